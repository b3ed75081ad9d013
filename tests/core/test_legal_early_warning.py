"""Regional early warning (计量风险预警): levels from the ``early_warning`` rule table.

No published thresholds exist (the shipped table is jiliang's choice, ``confirmed: false``):
the expected levels below are worked by hand from the table's figures (overdue rate amber 5 %,
red 10 %, min 20 filed; tamper alarms amber 1, red 3; three amber factors make red).
"""

import datetime as dt

import pytest

from jiliang.core.legal import early_warning as ew
from jiliang.core.legal.rules import RuleBook

QUIET = {
    "filed": 1000,
    "overdue": 10,  # 1 % → green
    "verified": 500,
    "failed": 5,  # 1 % → green
    "complaints": 0,
    "serious_credit": 0,
    "credit_events": 0,
    "comparison_flags": 0,
    "open_alarms": 0,
    "tamper_alarms": 0,
}


def test_every_shipped_threshold_is_unconfirmed_and_ordered():
    t = ew.table()
    assert t.kind == "early_warning"
    for e in t.entries:
        assert e["confirmed"] is False and e["note"]
        assert e["red"] >= e["amber"] > 0


def test_quiet_region_is_green_with_no_reasons():
    w = ew.assess(QUIET)
    assert w.level == "green" and w.reasons == ()
    overdue = next(f for f in w.factors if f.factor == "overdue_rate")
    assert overdue.value == pytest.approx(1.0)  # 10 / 1000 × 100 %


def test_overdue_rate_crosses_amber_then_red():
    amber = ew.assess({**QUIET, "overdue": 50})  # 5.00 % reaches amber (5)
    assert amber.level == "amber"
    assert amber.factors[0].factor == "overdue_rate" and amber.factors[0].value == 5.0
    assert "≥ 5" in amber.reasons[0] and amber.reasons[0].startswith("黄")
    just_below = ew.assess({**QUIET, "overdue": 49})  # 4.9 %
    assert just_below.level == "green"
    red = ew.assess({**QUIET, "overdue": 100})  # 10 %
    assert red.level == "red" and red.reasons[0].startswith("红")


def test_small_denominator_is_not_judged():
    w = ew.assess({**QUIET, "filed": 19, "overdue": 19})  # 100 % of 19 < min 20
    f = next(f for f in w.factors if f.factor == "overdue_rate")
    assert f.value is None and f.level == "green" and "19 < 20" in f.reason


def test_counts_and_escalation_of_three_ambers():
    one = ew.assess({**QUIET, "tamper_alarms": 1})
    assert one.level == "amber"
    three = ew.assess({**QUIET, "tamper_alarms": 1, "comparison_flags": 1, "serious_credit": 1})
    assert three.level == "red"
    assert three.reasons[-1] == "红 3 项黄色因素 ≥ 3"
    assert ew.assess({**QUIET, "tamper_alarms": 3}).level == "red"


def test_absent_counts_leave_the_factor_out():
    counts = {k: v for k, v in QUIET.items() if k != "complaints"}
    assert "complaints" not in {f.factor for f in ew.assess(counts).factors}


@pytest.mark.parametrize("bad", [-1, float("nan"), "3", True])
def test_bad_count_names_the_count(bad):
    with pytest.raises(ValueError, match="overdue"):
        ew.assess({**QUIET, "overdue": bad})


def test_window_and_rises():
    day = dt.date(2026, 6, 30)
    assert ew.window_start("failure_rate", day) == dt.date(2025, 6, 30)
    assert ew.window_start("open_alarms", day) is None
    assert ew.rises("amber", None) and ew.rises("red", "amber")
    assert not ew.rises("amber", "amber") and not ew.rises("green", None)
    with pytest.raises(ValueError, match="new"):
        ew.rises("purple", None)


def test_bureau_override_changes_a_threshold(tmp_path):
    p = tmp_path / "ov.yaml"
    p.write_text(
        "kind: early_warning\nkey: factor\nedition: bureau 2026\nsource: s\n"
        "effective_from: 2026-01-01\noverride: true\nentries:\n"
        "  - {factor: overdue_rate, amber: 2}\n",
        encoding="utf-8",
    )
    book = RuleBook.default().extended(p)
    w = ew.assess({**QUIET, "overdue": 20}, book=book, as_of=dt.date(2026, 6, 1))  # 2 %
    assert w.level == "amber"
    assert ew.assess({**QUIET, "overdue": 20}).level == "green"
