"""Legal parameters the platform used to hard-code, now read from the core's rule tables.

Each parameter is an entry (or entry field) of a shipped table with its edition, source and
``confirmed`` flag; a newer edition or a bureau override changes what the core functions return.
"""

from __future__ import annotations

import datetime as dt
import textwrap

import pytest

from jiliang.core.legal import supervision
from jiliang.core.legal.credit import early_removal_months
from jiliang.core.legal.draw import risk_class_of_grade
from jiliang.core.legal.risk import failures_since, overdue_days
from jiliang.core.legal.rules import RuleBook

AS_OF = dt.date(2026, 11, 1)
#: a bureau's risk table (also read by the platform's tests): a one-year failure look-back and
#: 90 overdue days for a never-verified instrument, in force from 2026-01-01
RISK_OVERRIDE = """
    kind: risk
    key: factor
    override: true
    applies_to: "jiliang default 2026"
    edition: "bureau risk 2026"
    source: test fixture
    effective_from: 2026-01-01
    entries:
      - {factor: failures, window_days: 365}
      - {factor: overdue_days, never_verified_days: 90}
"""


def _book(tmp_path, text: str) -> RuleBook:
    path = tmp_path / "extra.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return RuleBook.default().extended(path)


def test_shipped_supervision_table_carries_provenance_and_the_former_constants():
    table = RuleBook.default().table("supervision", AS_OF)
    assert table.edition and table.source
    for name in supervision.PARAMETERS:
        entry = table.entry(name)
        assert entry["unit"] == "day" and isinstance(entry["confirmed"], bool)
        assert entry["confirmed"] or entry["note"].strip()
    # the values the platform hard-coded before (behaviour unchanged by the move)
    assert supervision.escalation_grace_days(as_of=AS_OF) == 30
    assert supervision.draw_publication_days(as_of=AS_OF) == 20


def test_newer_supervision_edition_changes_grace_and_publication_from_its_date(tmp_path):
    book = _book(
        tmp_path,
        """
        kind: supervision
        key: parameter
        edition: "bureau 2027"
        source: test fixture
        effective_from: 2027-01-01
        entries:
          - {parameter: escalation_grace_days, value: 10, unit: day, confirmed: true}
          - {parameter: draw_publication_days, value: 7, unit: day, confirmed: true}
        """,
    )
    assert supervision.escalation_grace_days(book, dt.date(2026, 12, 31)) == 30
    assert supervision.escalation_grace_days(book, dt.date(2027, 1, 1)) == 10
    assert supervision.draw_publication_days(book, dt.date(2027, 1, 1)) == 7


def test_malformed_supervision_value_is_refused_with_the_parameter_named(tmp_path):
    book = _book(
        tmp_path,
        """
        kind: supervision
        key: parameter
        edition: "broken"
        source: test fixture
        effective_from: 2027-01-01
        entries:
          - {parameter: escalation_grace_days, value: -3, confirmed: true}
        """,
    )
    with pytest.raises(ValueError, match="escalation_grace_days"):
        supervision.escalation_grace_days(book, dt.date(2027, 1, 1))
    with pytest.raises(KeyError, match="draw_publication_days"):
        supervision.draw_publication_days(book, dt.date(2027, 1, 1))


def test_failure_look_back_and_never_verified_days_follow_the_risk_table(tmp_path):
    # shipped: three years of 365 days (近三年) and a full year for a never-verified instrument
    assert failures_since(AS_OF) == AS_OF - dt.timedelta(days=3 * 365)
    assert overdue_days(AS_OF, None, overdue=True) == 365
    assert overdue_days(AS_OF, AS_OF - dt.timedelta(days=40), overdue=True) == 40
    assert overdue_days(AS_OF, None, overdue=False) == 0
    book = _book(tmp_path, RISK_OVERRIDE)
    assert failures_since(AS_OF, book) == AS_OF - dt.timedelta(days=365)
    assert overdue_days(AS_OF, None, overdue=True, book=book) == 90
    # before the override is in force the national edition applies
    early = dt.date(2025, 12, 31)
    assert failures_since(early, book) == early - dt.timedelta(days=1095)


def test_credit_grade_to_risk_class_comes_from_the_draw_table(tmp_path):
    assert risk_class_of_grade(as_of=AS_OF) == {
        "A": "low",
        "B": "medium",
        "C": "medium_high",
        "D": "high",
    }
    book = _book(
        tmp_path,
        """
        kind: draw
        key: risk_class
        override: true
        applies_to: "jiliang default 2026"
        edition: "strict bureau"
        source: test fixture
        effective_from: 2026-01-01
        entries:
          - {risk_class: high, credit_grades: [C, D]}
          - {risk_class: medium_high, credit_grades: []}
        """,
    )
    assert risk_class_of_grade(book, AS_OF)["C"] == "high"


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ("- {risk_class: high, credit_grades: [C, D]}", "'C' is listed under"),
        ("- {risk_class: low, credit_grades: []}", r"grade\(s\) \['A'\] have no class"),
    ],
)
def test_grade_mapping_with_a_twice_listed_or_missing_grade_is_refused(tmp_path, patch, message):
    book = _book(
        tmp_path,
        f"""
        kind: draw
        key: risk_class
        override: true
        edition: "broken bureau"
        source: test fixture
        effective_from: 2026-01-01
        entries:
          {patch}
        """,
    )
    with pytest.raises(ValueError, match=message):
        risk_class_of_grade(book, AS_OF)


def test_early_removal_waiting_time_is_the_credit_tables(tmp_path):
    # SAMR Order 44 (2021) waiting time as shipped (unconfirmed): 12 months
    assert early_removal_months(as_of=AS_OF) == 12
    book = _book(
        tmp_path,
        """
        kind: credit
        key: event
        edition: "credit 2027"
        source: test fixture
        effective_from: 2027-01-01
        serious_listing: {listing_months: 36, early_removal_after_months: 24, confirmed: true}
        entries:
          - {event: penalty, points: -15, confirmed: true}
        """,
    )
    assert early_removal_months(book, dt.date(2027, 1, 1)) == 24
