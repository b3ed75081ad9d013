"""Metrology credit (诚信计量) and the risk warning list (风险预警)."""

from __future__ import annotations

import datetime as dt

import pytest

from jiliang.core.legal.credit import CreditEvent, assess, serious_listings
from jiliang.core.legal.risk import RiskSubject, rank

AS_OF = dt.date(2026, 11, 23)


def ev(i, kind, on, entity="ENT1"):
    return CreditEvent(f"ev{i}", entity, kind, on)


def test_clean_entity_is_grade_a_and_events_explain_the_score():
    a = assess("ENT1", [ev(1, "self_commitment", dt.date(2015, 1, 1))], AS_OF)
    assert a.grade == "A" and a.score == 100  # clamped to the table's range
    assert a.contributions[0].effective == 5  # a standing commitment neither decays nor expires


def test_decay_halves_points_after_the_half_life():
    # half-life 24 months (credit table): a penalty exactly two years old counts about half
    on = dt.date(2024, 11, 23)
    a = assess("ENT1", [ev(1, "penalty", on)], AS_OF)
    assert a.contributions[0].factor == pytest.approx(0.5, abs=0.003)
    assert a.score == pytest.approx(100 - 15 * a.contributions[0].factor)
    assert a.grade == "A"
    old = assess("ENT1", [ev(2, "penalty", dt.date(2020, 1, 1))], AS_OF)  # > 60 months
    assert old.contributions == () and old.score == 100


def test_grades_follow_thresholds_and_contributions_are_ordered():
    events = [
        ev(1, "spot_check_fail", dt.date(2026, 10, 1)),
        ev(2, "penalty", dt.date(2026, 10, 1)),
        ev(3, "complaint", dt.date(2026, 9, 1)),
        ev(4, "spot_check_pass", dt.date(2026, 8, 1)),
        ev(5, "penalty", dt.date(2026, 10, 1), entity="OTHER"),
    ]
    a = assess("ENT1", events, AS_OF)
    expected = 100 + sum(c.effective for c in a.contributions)
    assert a.score == pytest.approx(expected)
    assert 60 <= a.score < 75 and a.grade == "C"
    assert [c.event.kind for c in a.contributions][:2] == ["penalty", "spot_check_fail"]
    assert all(c.event.entity_id == "ENT1" for c in a.contributions)
    assert "grade C" in a.explain()[0]


def test_cheating_device_lists_the_entity_as_d_until_removal():
    events = [ev(1, "cheating_device", dt.date(2025, 3, 1))]
    a = assess("ENT1", events, AS_OF)
    assert a.grade == "D" and a.score > 75  # graded D by the listing, not by the score
    (listing,) = a.listings
    assert listing.removal_due == dt.date(2028, 3, 1)  # 36-month listing period
    assert listing.early_removal_from == dt.date(2026, 3, 1)
    removed = assess("ENT1", events, AS_OF, removals={"ev1": dt.date(2026, 6, 1)})
    assert removed.listings == () and removed.grade == "B"
    with pytest.raises(ValueError, match="before the earliest removal date 2026-03-01"):
        serious_listings(events, removals={"ev1": dt.date(2025, 6, 1)}, as_of=AS_OF)


def test_unknown_event_kind_is_named():
    with pytest.raises(ValueError, match="kind 'rumour' is not in"):
        assess("ENT1", [ev(1, "rumour", dt.date(2026, 1, 1))], AS_OF)


def test_risk_ranking_with_reasons_and_levels():
    subjects = [
        RiskSubject("M1", "instrument", {"overdue_days": 400, "tamper_alarms": 1}),  # 36.5 + 30
        RiskSubject("M2", "instrument", {"failures": 2}),  # 30
        RiskSubject("M3", "instrument", {"overdue_days": 20}),  # 2
        RiskSubject("E1", "entity", {"credit_grade": "C", "complaints": 1}),  # 20 + 8
    ]
    ranked = rank(subjects)
    assert [r.id for r in ranked] == ["M1", "M2", "E1", "M3"]
    assert ranked[0].score == pytest.approx(66.5) and ranked[0].level == "high"
    assert ranked[0].reasons == ("overdue_days 400 (+36.5)", "tamper_alarms 1 (+30.0)")
    assert ranked[1].level == "medium_high" and ranked[2].level == "medium"
    assert ranked[3].level == "low"
    assert [r.id for r in rank(subjects, min_level="medium_high")] == ["M1", "M2"]


@pytest.mark.parametrize(
    ("factors", "message"),
    [
        ({"gossip": 1}, "unknown risk factor 'gossip'"),
        ({"complaints": -1}, "must be a number ≥ 0"),
        ({"credit_grade": "Z"}, "must be one of"),
    ],
)
def test_bad_risk_input(factors, message):
    with pytest.raises(ValueError, match=message):
        rank([RiskSubject("X", "entity", factors)])
