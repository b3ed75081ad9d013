"""Tracking an indicator against its target (实施监测): path, red/amber/green, projection, ranking.

Time axis. A value for year *Y* (an ``int``) is the position at the **end** of year *Y*: a 2020
baseline is the state on 31 December 2020, a 2025 target is due on 31 December 2025. A date *d*
is the decimal year ``d.year - 1 + (day of year) / (days in year)``, so 31 December 2023 is
exactly 2023.0 and 1 July 2024 is 2023.5 + ½ day (see :func:`decimal_year`).

* :func:`path_value` — the linear path from baseline to target (规划路径);
* :func:`rag` — green on or above the path, amber within a tolerance below it, red below that
  (mirrored when lower is better);
* :func:`project` — least-squares linear trend of the series and the year the target is reached
  at the current pace, or None with the reason;
* :func:`progress_ratio` and :func:`rank_regions` — progress (actual − baseline) / (target −
  baseline) and the ranking of regions by it.
"""

from __future__ import annotations

import calendar
import datetime as dt
import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from jiliang.core.indicators.definitions import Direction

TimePoint = int | float | dt.date


def decimal_year(t: TimePoint) -> float:
    """Decimal year on the end-of-year axis (int year *Y* → *Y*.0 = 31 December *Y*)."""
    if isinstance(t, dt.datetime):
        t = t.date()
    if isinstance(t, dt.date):
        days = 366 if calendar.isleap(t.year) else 365
        return t.year - 1 + t.timetuple().tm_yday / days
    if isinstance(t, bool) or not isinstance(t, int | float) or not math.isfinite(t):
        raise ValueError(f"year: {t!r} is not a year or a date")
    return float(t)


def _direction(direction: Direction | str) -> Direction:
    try:
        return Direction(direction)
    except ValueError:
        raise ValueError(f"direction: {direction!r} is not 'higher' or 'lower'") from None


def path_value(
    baseline_year: TimePoint,
    baseline: float,
    target_year: TimePoint,
    target: float,
    at: TimePoint,
) -> float:
    """Value on the straight line from (baseline_year, baseline) to (target_year, target) at ``at``.

    Before the baseline the path is the baseline; after the target year it stays at the target.
    Units: those of the indicator.
    """
    t0, t1, t = decimal_year(baseline_year), decimal_year(target_year), decimal_year(at)
    if t1 <= t0:
        raise ValueError(
            f"target_year: {target_year!r} is not after the baseline {baseline_year!r}"
        )
    frac = min(max((t - t0) / (t1 - t0), 0.0), 1.0)
    return baseline + frac * (target - baseline)


class Status(enum.StrEnum):
    """Red/amber/green against the target path."""

    GREEN = "green"
    AMBER = "amber"
    RED = "red"


@dataclass(frozen=True)
class Assessment:
    """Where an actual value stands against the path."""

    status: Status
    actual: float
    expected: float
    #: how far behind the path, in indicator units (≤ 0: on or ahead of the path)
    shortfall: float
    #: width of the amber band, in indicator units
    band: float


def rag(
    actual: float,
    baseline_year: TimePoint,
    baseline: float,
    target_year: TimePoint,
    target: float,
    at: TimePoint,
    direction: Direction | str = Direction.HIGHER,
    tolerance: float = 0.1,
    tolerance_abs: float = 0.0,
) -> Assessment:
    """Status of ``actual`` at ``at`` against the linear path.

    Green when on or better than the path; amber when behind by at most the band; red beyond.
    The band is the larger of ``tolerance`` × |target − baseline| (a fraction of the planned
    change; default 10 %) and ``tolerance_abs`` (in indicator units). "Behind" is below the path
    when higher is better and above it when lower is better.
    """
    d = _direction(direction)
    if not 0 <= tolerance <= 1:
        raise ValueError(f"tolerance: {tolerance!r} is not a fraction between 0 and 1")
    if tolerance_abs < 0:
        raise ValueError(f"tolerance_abs: {tolerance_abs!r} is negative")
    expected = path_value(baseline_year, baseline, target_year, target, at)
    shortfall = expected - actual if d is Direction.HIGHER else actual - expected
    band = max(tolerance * abs(target - baseline), tolerance_abs)
    if shortfall <= 0:
        status = Status.GREEN
    elif shortfall <= band:
        status = Status.AMBER
    else:
        status = Status.RED
    return Assessment(status, actual, expected, shortfall, band)


@dataclass(frozen=True)
class Projection:
    """Linear trend of a series and when it reaches the target.

    ``year`` is the calendar year in which the trend meets the target (the first year *Y* whose
    end is at or after the crossing time ``reached_at``), or None with ``reason``.
    """

    slope: float  # indicator units per year
    intercept: float  # value of the trend at decimal year 0
    n: int
    reached_at: float | None
    year: int | None
    reason: str = ""

    def value_at(self, at: TimePoint) -> float:
        """Trend value at ``at`` (indicator units)."""
        return self.intercept + self.slope * decimal_year(at)


def project(
    series: Mapping[TimePoint, float],
    target: float,
    direction: Direction | str = Direction.HIGHER,
) -> Projection:
    """Least-squares line through ``series`` and the year the target is reached at this pace.

    Needs at least two distinct time points. When the latest value already meets the target,
    ``year`` is the year of that observation (reason ``"already reached"``). When the trend does
    not move toward the target (slope ≤ 0 for higher-is-better, ≥ 0 for lower) ``year`` is None
    with reason ``"flat or declining trend"``.
    """
    d = _direction(direction)
    points = sorted((decimal_year(t), float(v)) for t, v in series.items())
    for t, v in points:
        if not math.isfinite(v):
            raise ValueError(f"series: value at {t} is not finite: {v!r}")
    if len({t for t, _ in points}) < 2:
        return Projection(math.nan, math.nan, len(points), None, None, "too few points")
    ts = np.array([t for t, _ in points])
    vs = np.array([v for _, v in points])
    # Centre the time axis for a well-conditioned fit (years ~2000 squared lose digits).
    tm = ts.mean()
    slope, c = np.polyfit(ts - tm, vs, 1)
    slope, intercept = float(slope), float(c - slope * tm)
    last_t, last_v = points[-1]
    met = last_v >= target if d is Direction.HIGHER else last_v <= target
    if met:
        return Projection(
            slope, intercept, len(points), last_t, math.ceil(last_t), "already reached"
        )
    towards = slope > 0 if d is Direction.HIGHER else slope < 0
    if not towards:
        return Projection(slope, intercept, len(points), None, None, "flat or declining trend")
    reached = (target - intercept) / slope
    # Trend noise may put the crossing before the last observation although the last value has
    # not reached the target; the earliest it can be reached is then the last observation's year.
    reached = max(reached, last_t)
    return Projection(slope, intercept, len(points), reached, math.ceil(reached - 1e-9))


def progress_ratio(baseline: float, target: float, actual: float) -> float:
    """(actual − baseline) / (target − baseline): 0 at the baseline, 1 at the target.

    Works for both directions (a falling target has a negative denominator). ValueError naming
    ``target`` when it equals the baseline.
    """
    if target == baseline:
        raise ValueError("target: equals the baseline; progress is undefined")
    return (actual - baseline) / (target - baseline)


@dataclass(frozen=True)
class Ranked:
    """One region in a ranking."""

    region: str
    ratio: float | None
    rank: int | None
    reason: str = ""


def rank_regions(
    figures: Mapping[str, tuple[float | None, float | None, float | None]],
) -> list[Ranked]:
    """Rank regions by progress ratio, best first (standard competition ranking: 1, 1, 3).

    ``figures`` maps a region code to (baseline, target, actual). Regions missing any of them, or
    with target = baseline, are listed last, unranked, with the reason. Ties are ordered by code.
    """
    ranked: list[tuple[float, str]] = []
    unranked: list[Ranked] = []
    for region, (baseline, target, actual) in figures.items():
        missing = [
            n
            for n, v in (("baseline", baseline), ("target", target), ("actual", actual))
            if v is None
        ]
        if missing:
            unranked.append(Ranked(region, None, None, "no " + ", ".join(missing)))
        elif target == baseline:
            unranked.append(Ranked(region, None, None, "target equals baseline"))
        else:
            ranked.append((progress_ratio(baseline, target, actual), region))
    ranked.sort(key=lambda x: (-x[0], x[1]))
    out: list[Ranked] = []
    for i, (ratio, region) in enumerate(ranked):
        rank = out[-1].rank if out and out[-1].ratio == ratio else i + 1
        out.append(Ranked(region, ratio, rank))
    return out + sorted(unranked, key=lambda r: r.region)
