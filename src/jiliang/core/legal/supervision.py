"""Deadlines of the supervision process (监督管理时限) from the ``supervision`` rule table.

The platform's daily sweep escalates filings still overdue ``escalation_grace_days`` after their
deadline; a double-random draw must be published ``draw_publication_days`` after it is
committed. Both are entries of the ``supervision`` table (``parameter`` → ``value`` in days), so
a bureau changes them by loading its own edition or an override, not by editing code.
"""

from __future__ import annotations

import datetime as dt

from jiliang.core.legal.rules import RuleBook

#: parameters of the ``supervision`` table, all in days
PARAMETERS = ("escalation_grace_days", "draw_publication_days")


def parameter(name: str, book: RuleBook | None = None, as_of: dt.date | None = None) -> int:
    """Value (days) of parameter ``name`` in the ``supervision`` table in force on ``as_of``.

    KeyError naming the table when the entry is missing; ValueError when its value is not an
    integer ≥ 0.
    """
    table = (book or RuleBook.default()).table("supervision", as_of)
    value = table.entry(name).get("value")
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(
            f"supervision table {table.edition!r}: {name!r} must be an integer ≥ 0 (days), "
            f"got {value!r}"
        )
    return value


def escalation_grace_days(book: RuleBook | None = None, as_of: dt.date | None = None) -> int:
    """Days a filing may stay overdue after its deadline before regulators are alerted."""
    return parameter("escalation_grace_days", book, as_of)


def draw_publication_days(book: RuleBook | None = None, as_of: dt.date | None = None) -> int:
    """Calendar days from committing a double-random draw to its publication deadline."""
    return parameter("draw_publication_days", book, as_of)
