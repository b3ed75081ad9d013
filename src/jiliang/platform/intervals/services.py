"""Interval advice (校准间隔建议) per instrument class and per measurement standard.

Every number is the core's (:mod:`jiliang.core.intervals`); this module chooses the inputs:

- the **history** of a class (:mod:`.history`): (interval days, found in tolerance) pairs;
- the **current interval** I₀: for a class with instruments under compulsory periodic
  verification, the period of the compulsory catalogue (:mod:`jiliang.core.legal.catalogue`,
  SAMR 2020 No. 42, months × 365.2425/12 days); otherwise the median recorded interval;
- the **reliability target** R_t (default 0.95, end-of-period in-tolerance probability).

It runs RP-1 method A3 (:func:`~jiliang.core.intervals.interval_test`, the test of the current
interval) and S2 (:func:`~jiliang.core.intervals.binomial_interval`, reliability models chosen by
fit). The recommendation is S2's interval when S2 has enough data (it models the whole history),
else A3's; when neither has, no number is given and the core's reasons are reported.

A standard's drift (:func:`advice_for_standard`) is :func:`jiliang.core.intervals.drift_warning`
on its certificates (value and U in SI per event), with the standard's own expanded uncertainty
as the allowance unless another is given. Nothing here writes: there is nothing to audit.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import multiprocessing as mp
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
from django.db.models import QuerySet
from django.utils import timezone

from jiliang.core.intervals import (
    DriftWarning,
    IntervalTestResult,
    ReliabilityResult,
    binomial_interval,
    drift_warning,
    interval_test,
)
from jiliang.core.intervals.batch import binomial_interval_many, interval_test_many
from jiliang.core.legal.catalogue import Mode, default_catalogue
from jiliang.platform.registry.models import CalibrationEvent, MeasurementStandard
from jiliang.platform.registry.permissions import readable

from .history import ClassKey, History, filter_events, history_for, iter_histories, scoped_events

#: default end-of-period reliability target R_t (期末可靠度目标)
DEFAULT_TARGET = 0.95
#: mean Gregorian month, days (a catalogue period in months → days)
MONTH_DAYS = 365.2425 / 12


def check_target(target: float) -> float:
    """``target`` as a float in (0, 1), else ``ValueError`` naming the field."""
    try:
        value = float(target)
    except (TypeError, ValueError):
        raise ValueError(f"target: must be a number, got {target!r}") from None
    if not (math.isfinite(value) and 0 < value < 1):
        raise ValueError(f"target: must lie strictly between 0 and 1, got {target!r}")
    return value


@dataclass(frozen=True)
class CurrentInterval:
    """The interval in force for a class: ``source`` "catalogue" (``months`` of the JJG named
    in ``basis``), "median" (of the recorded intervals) or ``None`` (nothing to go by)."""

    days: float | None
    source: str | None
    months: int | None = None
    basis: str = ""


def catalogue_period(category: str) -> tuple[int, str] | None:
    """(months, JJG) of a category's periodic compulsory verification when the catalogue gives
    one period for it (a single periodic variant, or all its periodic variants agree)."""
    item = default_catalogue().items.get(category)
    if item is None or not item.regime.verification:
        return None
    periods = {v.period_months for v in item.variants if v.mode is Mode.PERIODIC}
    if len(periods) != 1:
        return None
    (months,) = periods
    jjg = next(v.jjg for v in item.variants if v.mode is Mode.PERIODIC) or item.jjg
    return int(months), jjg


def current_interval(history: History) -> CurrentInterval:
    """The catalogue's period when the class holds compulsory instruments and the catalogue
    gives one; else the median recorded interval; else ``None``."""
    if history.compulsory:
        period = catalogue_period(history.key.category)
        if period is not None:
            months, jjg = period
            return CurrentInterval(months * MONTH_DAYS, "catalogue", months, jjg)
    median = history.median_interval
    if median is not None:
        return CurrentInterval(median, "median")
    return CurrentInterval(None, None)


@dataclass(frozen=True)
class ClassAdvice:
    """Advice for one class. ``recommended_days`` is ``None`` exactly when ``insufficient``
    gives the reason; ``confidence`` is S2's band level or A3's rejection confidence."""

    key: ClassKey
    target: float
    instruments: int
    events: int
    n: int
    n_in_tolerance: int
    skipped: int
    observed_reliability: float | None
    current: CurrentInterval
    recommended_days: float | None
    confidence: float | None
    method: str | None
    insufficient: str | None
    a3: IntervalTestResult | None = field(default=None, repr=False)
    s2: ReliabilityResult | None = field(default=None, repr=False)


def advise(history: History, target: float = DEFAULT_TARGET) -> ClassAdvice:
    """A3 and S2 on ``history`` at reliability ``target`` (see module), per class."""
    rt = check_target(target)
    current = current_interval(history)
    s2 = binomial_interval(history.intervals, history.in_tolerance, rt)
    a3 = None
    if current.days is not None:
        a3 = interval_test(history.intervals, history.in_tolerance, current.days, rt)
    return _combine(history, rt, current, a3, s2)


def advise_many(histories: Sequence[History], target: float = DEFAULT_TARGET) -> list[ClassAdvice]:
    """:func:`advise` for many classes at once, by the core's vectorised batch functions
    (:mod:`jiliang.core.intervals.batch`: the same methods, equal up to rounding, ~1e-6)."""
    rt = check_target(target)
    histories = list(histories)
    currents = [current_interval(h) for h in histories]
    s2s = binomial_interval_many([(h.intervals, h.in_tolerance) for h in histories], rt)
    with_current = [i for i, c in enumerate(currents) if c.days is not None]
    a3_rows = interval_test_many(
        [
            (histories[i].intervals, histories[i].in_tolerance, currents[i].days)
            for i in with_current
        ],
        rt,
    )
    a3s: list[IntervalTestResult | None] = [None] * len(histories)
    for i, a3 in zip(with_current, a3_rows, strict=True):
        a3s[i] = a3
    return [
        _combine(h, rt, c, a3, s2)
        for h, c, a3, s2 in zip(histories, currents, a3s, s2s, strict=True)
    ]


#: histories handed to forked workers by :func:`advise_parallel` (read in the child only)
_SHARED: list[History] = []


def _advise_slice(args: tuple[int, int, float]) -> list[ClassAdvice]:
    lo, hi, rt = args
    return advise_many(_SHARED[lo:hi], rt)


def advise_parallel(
    histories: Sequence[History], target: float = DEFAULT_TARGET, *, workers: int = 2
) -> list[ClassAdvice]:
    """:func:`advise_many` with the classes split into ``workers`` contiguous parts, each run by
    a forked process (POSIX ``fork``: the histories are not pickled, only the advice comes
    back). The answer of :func:`advise_many` up to the batch core's rounding (classes share
    other blocks; 1e-6 relative); falls back to it for one worker, few classes or
    where ``fork`` is not available. The children touch no database connection."""
    rt = check_target(target)
    histories = list(histories)
    if workers < 1:
        raise ValueError(f"workers: must be at least 1, got {workers!r}")
    if workers == 1 or len(histories) < 2 * workers or "fork" not in mp.get_all_start_methods():
        return advise_many(histories, rt)
    global _SHARED
    _SHARED = histories
    try:
        # equal shares of history items (the core's cost follows the items, not the classes)
        sizes = np.fromiter((h.n + 1 for h in histories), dtype=float, count=len(histories))
        cuts = np.searchsorted(np.cumsum(sizes), np.linspace(0, sizes.sum(), workers + 1)[1:-1])
        bounds = [0, *(int(c) + 1 for c in cuts), len(histories)]
        parts = [(lo, hi, rt) for lo, hi in itertools.pairwise(bounds) if hi > lo]
        with mp.get_context("fork").Pool(len(parts)) as pool:
            return [a for part in pool.map(_advise_slice, parts) for a in part]
    finally:
        _SHARED = []


def _combine(
    history: History,
    rt: float,
    current: CurrentInterval,
    a3: IntervalTestResult | None,
    s2: ReliabilityResult,
) -> ClassAdvice:
    """S2's interval when S2 has the data, else A3's, else the reasons of both."""
    reasons = []
    if a3 is None:
        reasons.append("A3: current_interval: no recorded interval and no catalogue period")
    chosen: ReliabilityResult | IntervalTestResult | None = None
    if s2.insufficient is None:
        chosen = s2
    elif a3 is not None and a3.insufficient is None:
        chosen = a3
    if chosen is None:
        reasons.insert(0, f"S2: {s2.insufficient}")
        if a3 is not None and a3.insufficient:
            reasons.append(f"A3: {a3.insufficient}")
    return ClassAdvice(
        key=history.key,
        target=rt,
        instruments=history.instruments,
        events=history.events,
        n=history.n,
        n_in_tolerance=history.n_in_tolerance,
        skipped=history.skipped,
        observed_reliability=history.observed_reliability,
        current=current,
        recommended_days=chosen.interval_days if chosen else None,
        confidence=chosen.confidence if chosen else None,
        method=chosen.method if chosen else None,
        insufficient=None if chosen else "; ".join(reasons),
        a3=a3,
        s2=s2,
    )


def class_histories(
    user,
    *,
    group_by: str = "owner",
    category: str | None = None,
    region: str | None = None,
) -> Iterator[History]:
    """The histories of the classes ``user`` may read, filtered, in class order."""
    events = filter_events(scoped_events(user), category=category, region=region)
    return iter_histories(events, group_by)


def below_target(histories: Iterable[History], target: float) -> Iterator[History]:
    """Classes with data whose observed reliability is below ``target`` (no core call)."""
    rt = check_target(target)
    for h in histories:
        r = h.observed_reliability
        if r is not None and r < rt:
            yield h


def advise_all(
    histories: Iterable[History], target: float = DEFAULT_TARGET, *, batch: int = 512
) -> Iterator[ClassAdvice]:
    """:func:`advise_many` over a stream of histories, ``batch`` classes at a time (exports and
    whole-region runs stream through it; memory bounded by the batch)."""
    block: list[History] = []
    for h in histories:
        block.append(h)
        if len(block) >= batch:
            yield from advise_many(block, target)
            block = []
    if block:
        yield from advise_many(block, target)


def class_advice_page(
    histories: Iterable[History], *, offset: int, limit: int, target: float = DEFAULT_TARGET
) -> tuple[int, list[ClassAdvice]]:
    """(number of classes, advice for classes ``offset``…``offset+limit``): the core runs only
    for the page, the other classes are counted while the histories stream past."""
    check_target(target)
    count, page = 0, []
    for h in histories:
        if offset <= count < offset + limit:
            page.append(h)
        count += 1
    return count, advise_many(page, target)


def advice_for_class(user, key: ClassKey, target: float = DEFAULT_TARGET) -> ClassAdvice | None:
    """Advice for one class from the events ``user`` may read (``None``: no such class)."""
    history = history_for(scoped_events(user), key)
    return advise(history, target) if history is not None else None


# ----------------------------------------------------------------------------------------------
# standards
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Certificate:
    """One certificate of a standard as the drift fit uses it (SI unit)."""

    certificate_no: str
    performed_on: dt.date
    value: float
    expanded_uncertainty: float
    k: float


@dataclass(frozen=True)
class StandardDrift:
    """Drift advice of a standard: the core's warning (fit, interval, warning date) and the
    predicted value ± standard uncertainty of the line at ``predicted_on``."""

    standard: MeasurementStandard
    unit: str
    certificates: tuple[Certificate, ...]
    warning: DriftWarning
    predicted_on: dt.date
    predicted_value: float | None
    predicted_u: float | None


def standard_certificates(standard: MeasurementStandard, user=None) -> QuerySet:
    """The standard's events with a value and U (readable by ``user``; all when ``None``)."""
    events = CalibrationEvent.objects.all() if user is None else readable(user, CalibrationEvent)
    return events.filter(
        standard=standard,
        withdrawn=False,
        result_value_si__isnull=False,
        result_uncertainty_si__isnull=False,
    ).order_by("performed_on", "pk")


def advice_for_standard(
    standard: MeasurementStandard,
    *,
    user=None,
    on: dt.date | None = None,
    allowance: float | None = None,
    k: float = 2.0,
) -> StandardDrift:
    """Drift of ``standard`` from its certificates (core :func:`drift_warning`).

    ``allowance`` (SI unit of the results, expanded) defaults to the standard's expanded
    uncertainty U; ``k`` is the coverage factor of the drift band; ``on`` the date of the
    prediction (today by default). ``user`` scopes which certificates are read.
    """
    rows = standard_certificates(standard, user).values_list(
        "certificate_no", "performed_on", "result_value_si", "result_uncertainty_si", "k", "si_unit"
    )
    certs, units = [], set()
    for number, day, value, big_u, kk, unit in rows:
        certs.append(Certificate(number, day, value, big_u, kk or 2.0))
        units.add(unit)
    if len(units) > 1:
        raise ValueError(f"result_value: certificates in different units {sorted(units)}")
    allow = standard.uncertainty_si if allowance is None else allowance
    if allow is None:
        raise ValueError("allowance: the standard has no expanded uncertainty; give an allowance")
    warning = drift_warning(
        [c.performed_on for c in certs],
        [c.value for c in certs],
        [c.expanded_uncertainty for c in certs],
        allowance=allow,
        coverage=[c.k for c in certs],
        k=k,
    )
    day = on or timezone.localdate()
    value = u = None
    if warning.fit is not None:
        value, u = warning.fit.predict(day)
    unit = units.pop() if units else (standard.si_unit or "")
    return StandardDrift(standard, unit, tuple(certs), warning, day, value, u)
