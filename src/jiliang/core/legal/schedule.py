"""Compulsory-verification schedule (强制检定计划): next due date or replacement date.

Dates are calendar dates (the legal unit of a verification period is the month). A period of
*m* months from a verification on day *d* ends on the same day-of-month *m* months later,
clamped to the month's last day (31 Jan + 1 month → 28/29 Feb). The instrument must be
re-verified (or replaced) **on or before** that date; it is overdue from the day after.
"""

from __future__ import annotations

import calendar
import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jiliang.core.legal.catalogue import Catalogue, Mode, Use


class Status(enum.StrEnum):
    """Schedule status of a filed instrument."""

    OK = "ok"
    DUE_SOON = "due_soon"  # 即将到期
    OVERDUE = "overdue"  # 超期未检
    MUST_REPLACE = "must_replace"  # 到期轮换 / 失准报废
    NOT_COMPULSORY = "not_compulsory"  # 非强制检定


class Result(enum.StrEnum):
    """Outcome of a verification (检定结论)."""

    PASS = "pass"
    FAIL = "fail"


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months, clamped to the end of the target month."""
    y, m0 = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m0 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class FiledInstrument:
    """An instrument as filed (备案) by its user, the input of the schedule.

    ``params`` carries what the catalogue conditions need (``dn_mm`` for water meters, ``g_size``
    for gas meters, ``type`` for sphygmomanometers). ``first_verified`` is the initial
    verification date; ``last_verified``/``last_result`` the latest verification.
    """

    id: str
    item_code: str
    use: Use | str
    params: Mapping[str, Any] = field(default_factory=dict)
    first_verified: dt.date | None = None
    last_verified: dt.date | None = None
    last_result: Result | str | None = None


@dataclass(frozen=True)
class ScheduleEntry:
    """Where a filed instrument stands on ``as_of`` and which rule says so."""

    instrument_id: str
    status: Status
    due_date: dt.date | None
    replace_date: dt.date | None
    rule: str
    reason: str


def _window(
    deadline: dt.date, as_of: dt.date, soon_days: int, late: Status, texts: tuple[str, str, str]
) -> tuple[Status, str]:
    """Status against a deadline and its reason: ``texts`` = (ok, due soon, late)."""
    if as_of > deadline:
        return late, texts[2]
    if (deadline - as_of).days <= soon_days:
        return Status.DUE_SOON, texts[1]
    return Status.OK, texts[0]


def schedule(
    inst: FiledInstrument,
    catalogue: Catalogue,
    as_of: dt.date,
    due_soon_days: int | None = None,
) -> ScheduleEntry:
    """Status, next due date or replacement date of one filed instrument on ``as_of``.

    ``due_soon_days`` (days) defaults to the catalogue table's ``due_soon_days``.
    """
    soon = catalogue.due_soon_days if due_soon_days is None else due_soon_days
    if soon < 0:
        raise ValueError(f"due_soon_days must be ≥ 0, got {soon}")
    rule = catalogue.resolve(inst.item_code, inst.use, inst.params, on=as_of)
    text = rule.describe()

    def entry(status: Status, reason: str, due=None, replace=None) -> ScheduleEntry:
        return ScheduleEntry(inst.id, status, due, replace, text, reason)

    if not rule.compulsory or rule.variant is None:
        return entry(Status.NOT_COMPULSORY, rule.reason)
    variant = rule.variant
    result = Result(inst.last_result) if inst.last_result is not None else None
    last = inst.last_verified or inst.first_verified
    if last is None:
        return entry(Status.OVERDUE, "never verified: verification is required before use")
    if last > as_of:
        raise ValueError(f"last_verified {last} is after as_of {as_of} for {inst.id!r}")

    if variant.mode is Mode.INITIAL_SCRAP:
        if result is Result.FAIL:
            return entry(Status.MUST_REPLACE, "failed verification: scrap (失准报废)")
        return entry(Status.OK, "initial verification passed; no further compulsory verification")

    if variant.mode is Mode.INITIAL_FIXED_LIFE:
        start = inst.first_verified or last
        replace = add_months(start, variant.service_life_months or 0)
        if result is Result.FAIL:
            return entry(Status.MUST_REPLACE, "failed verification: replace", replace=replace)
        status, reason = _window(
            replace,
            as_of,
            soon,
            Status.MUST_REPLACE,
            (
                f"in service until {replace}",
                f"service life ends {replace}: plan replacement (到期轮换)",
                f"service life ended {replace}: replace (到期轮换)",
            ),
        )
        return entry(status, reason, replace=replace)

    due = add_months(last, variant.period_months or 0)
    if result is Result.FAIL:
        return entry(
            Status.OVERDUE,
            "failed last verification: out of use until repaired and re-verified",
            due=last,
        )
    status, reason = _window(
        due,
        as_of,
        soon,
        Status.OVERDUE,
        (
            f"verified {last}; next verification by {due}",
            f"verification due by {due}",
            f"verification was due by {due}; {(as_of - due).days} days overdue",
        ),
    )
    return entry(status, reason, due=due)
