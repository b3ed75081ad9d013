"""Interval histories per instrument class from the registry's calibration events (校准历史).

A *class* (器具类) is category × model (型号) × manufacturer (制造商) × either the owner
(使用单位, ``group_by="owner"``) or the instrument's region (所在区划, ``group_by="region"``).
Its history is one item per pair of consecutive calibrations/verifications of the same
instrument: the interval between them (days, ``performed_on`` to ``performed_on``) and whether
the instrument was found in tolerance at the later one (its ``conformity``: pass → True,
fail → False), the attribute data of NCSLI RP-1 / OIML D 10 methods A3 and S2.

Pairs that say nothing about the as-found state are skipped and counted: the later event has no
verdict (``none``/``inconclusive``) or both fall on the same day. Withdrawn events (已撤回) are
not calibrations and are left out entirely.

Memory stays bounded for 10⁶ instruments: one query reads only the needed columns
(``values_list``), ordered by class, then instrument, then date, streamed by ``iterator()``;
:func:`iter_histories` keeps one class at a time and yields it when the next begins.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from django.db.models import QuerySet

from jiliang.platform.accounts.roles import Role, role_of
from jiliang.platform.registry.models import CalibrationEvent, Instrument
from jiliang.platform.registry.permissions import readable

#: how a class is completed after category × model × manufacturer
GROUP_BY = ("owner", "region")
#: the column that names the group, per ``group_by``
GROUP_COLUMN = {"owner": "instrument__owner__code", "region": "instrument__region__code"}
#: rows read from the database at a time
CHUNK = 5000
_PASS, _FAIL = CalibrationEvent.Conformity.PASS, CalibrationEvent.Conformity.FAIL


def check_group_by(group_by: str) -> str:
    """``group_by`` itself, or ``ValueError`` naming the field."""
    if group_by not in GROUP_BY:
        raise ValueError(f"group_by: must be one of {', '.join(GROUP_BY)}, got {group_by!r}")
    return group_by


@dataclass(frozen=True, order=True)
class ClassKey:
    """Identity of an instrument class; ``group`` is the owner's credit code or a region code."""

    category: str
    model_name: str
    manufacturer: str
    group_by: str
    group: str

    @property
    def token(self) -> str:
        """URL-safe text naming the class (the API's and the pages' class id)."""
        raw = json.dumps(
            [self.category, self.model_name, self.manufacturer, self.group_by, self.group],
            ensure_ascii=False,
            separators=(",", ":"),
        )
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def from_token(cls, token: str) -> ClassKey:
        """The class a :attr:`token` names; ``ValueError`` naming ``key`` when it names none."""
        try:
            if len(token) > 2000:
                raise ValueError("too long")
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            parts = json.loads(raw.decode())
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise ValueError("key: not a class key") from None
        if not (
            isinstance(parts, list) and len(parts) == 5 and all(isinstance(p, str) for p in parts)
        ):
            raise ValueError("key: not a class key")
        key = cls(*parts)
        check_group_by(key.group_by)
        return key

    def filter(self) -> dict[str, str]:
        """ORM lookups (on ``CalibrationEvent``) selecting the class's events."""
        return {
            "instrument__category": self.category,
            "instrument__model_name": self.model_name,
            "instrument__manufacturer": self.manufacturer,
            GROUP_COLUMN[self.group_by]: self.group,
        }


@dataclass(frozen=True)
class History:
    """The attribute history of one class (intervals in days, oldest pair first per instrument).

    ``events`` counts every (non-withdrawn) event of the class, ``skipped`` the consecutive
    pairs left out (no verdict, same day), ``compulsory`` the instruments under compulsory
    verification (强制检定, the registry's derived flag).
    """

    key: ClassKey
    intervals: np.ndarray
    in_tolerance: np.ndarray
    instruments: int
    events: int
    compulsory: int
    skipped: int

    @property
    def n(self) -> int:
        """Number of history items (pairs with a verdict)."""
        return int(self.intervals.size)

    @property
    def n_in_tolerance(self) -> int:
        return int(self.in_tolerance.sum())

    @property
    def observed_reliability(self) -> float | None:
        """Fraction of items found in tolerance (观测可靠度), ``None`` without items."""
        return self.n_in_tolerance / self.n if self.n else None

    @property
    def median_interval(self) -> float | None:
        """Median recorded interval in days, ``None`` without items."""
        return float(np.median(self.intervals)) if self.n else None

    def pairs(self) -> list[tuple[float, bool]]:
        """The items as (interval days, in tolerance) tuples."""
        pairs = zip(self.intervals, self.in_tolerance, strict=True)
        return [(float(t), bool(ok)) for t, ok in pairs]


def scoped_events(user) -> QuerySet:
    """The instrument calibration events ``user`` may read, on instruments ``user`` may read.

    Both decisions are the registry's (:func:`readable` on ``CalibrationEvent`` and on
    ``Instrument``): a regulator or inspector gets the instruments of their region, a lab or an
    enterprise its own instruments (and what other apps grant it), never those of others it
    merely calibrated. Withdrawn events are left out.
    """
    events = readable(user, CalibrationEvent).filter(instrument__isnull=False, withdrawn=False)
    if role_of(user) is not Role.ADMIN:
        events = events.filter(instrument__in=readable(user, Instrument).values("pk"))
    return events


def filter_events(
    events: QuerySet, *, category: str | None = None, region: str | None = None
) -> QuerySet:
    """Narrow to a category (exact code) and a region-code prefix (GB/T 2260 digits)."""
    if category:
        events = events.filter(instrument__category=category)
    if region:
        if not (region.isascii() and region.isdigit() and len(region) <= 6):
            raise ValueError(f"region: must be a region-code prefix of 1–6 digits, got {region!r}")
        events = events.filter(instrument__region__code__startswith=region)
    return events


def iter_histories(events: QuerySet, group_by: str = "owner") -> Iterator[History]:
    """One :class:`History` per class, in class order, from ``events`` (already scoped).

    Reads the columns it needs in one ordered, streamed query; never a query per instrument.
    """
    group_col = GROUP_COLUMN[check_group_by(group_by)]
    rows = (
        events.filter(instrument__isnull=False, withdrawn=False)
        .order_by(
            "instrument__category",
            "instrument__model_name",
            "instrument__manufacturer",
            group_col,
            "instrument_id",
            "performed_on",
            "pk",
        )
        .values_list(
            "instrument__category",
            "instrument__model_name",
            "instrument__manufacturer",
            group_col,
            "instrument_id",
            "instrument__compulsory",
            "performed_on",
            "conformity",
            "pk",  # keeps rows distinct should the scope ever need DISTINCT
        )
        .iterator(chunk_size=CHUNK)
    )
    current: tuple | None = None
    intervals: list[int] = []
    verdicts: list[bool] = []
    counts = [0, 0, 0, 0]  # instruments, events, compulsory, skipped
    prev_instrument: int | None = None
    prev_day: dt.date | None = None

    def build() -> History:
        assert current is not None
        return History(
            ClassKey(current[0], current[1], current[2], group_by, current[3] or ""),
            np.asarray(intervals, dtype=float),
            np.asarray(verdicts, dtype=bool),
            *counts,
        )

    for category, model_name, manufacturer, group, inst, compulsory, day, conf, _pk in rows:
        key = (category, model_name, manufacturer, group)
        if key != current:
            if current is not None:
                yield build()
            current, intervals, verdicts = key, [], []
            counts = [0, 0, 0, 0]
            prev_instrument = None
        if inst != prev_instrument:
            counts[0] += 1
            counts[2] += bool(compulsory)
            prev_instrument, prev_day = inst, None
        counts[1] += 1
        if prev_day is not None:
            length = (day - prev_day).days
            if length > 0 and conf in (_PASS, _FAIL):
                intervals.append(length)
                verdicts.append(conf == _PASS)
            else:
                counts[3] += 1
        prev_day = day
    if current is not None:
        yield build()


def history_for(events: QuerySet, key: ClassKey) -> History | None:
    """The history of one class from ``events`` (``None`` when none of them is in it)."""
    return next(iter_histories(events.filter(**key.filter()), key.group_by), None)


@dataclass(frozen=True)
class EventRow:
    """One event of a class as the data behind its advice (days; ``in_tolerance`` of the pair
    that ends at this event, ``None`` for an instrument's first event or a skipped pair)."""

    certificate_no: str
    lifetime_id: str
    performed_on: dt.date
    due_on: dt.date | None
    conformity: str
    interval_days: int | None
    in_tolerance: bool | None


def event_rows(events: QuerySet, key: ClassKey) -> Iterator[EventRow]:
    """The events of class ``key`` in history order (instrument, date), streamed."""
    rows = (
        events.filter(instrument__isnull=False, withdrawn=False, **key.filter())
        .order_by("instrument_id", "performed_on", "pk")
        .values_list(
            "instrument_id",
            "instrument__lifetime_id",
            "certificate_no",
            "performed_on",
            "due_on",
            "conformity",
        )
        .iterator(chunk_size=CHUNK)
    )
    prev_instrument, prev_day = None, None
    for inst, lifetime_id, number, day, due, conf in rows:
        length: int | None = None
        ok: bool | None = None
        if inst == prev_instrument and prev_day is not None:
            length = (day - prev_day).days
            if length > 0 and conf in (_PASS, _FAIL):
                ok = conf == _PASS
        prev_instrument, prev_day = inst, day
        yield EventRow(number, lifetime_id, day, due, conf, length, ok)
