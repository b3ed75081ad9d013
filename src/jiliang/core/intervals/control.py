r"""Control-chart method for standards (控制图法, OIML D 10:2022 method 3 / ILAC-G24).

A check standard (核查标准) is measured with the reference standard between calibrations; its
values are charted against time. D 10: "from these plots both scatter and drift are calculated
… the optimum interval can be calculated from the drift".

- :func:`shewhart` — individuals chart: centre x̄ and σ̂ = MR̄/d₂ (d₂ = 1.128 for moving ranges of
  two) from a baseline (the first ``baseline`` points unless centre/σ are given), limits
  x̄ ± L·σ̂, alarms where a value lies outside.
- :func:`ewma` — z_i = λx_i + (1 − λ)z_{i−1}, z₀ = centre, limits centre ±
  L·σ·√(λ/(2 − λ)·(1 − (1 − λ)^{2i})) (time-varying; steady state for large i).
- :func:`control_chart_interval` — the interval advice: the straight line x(t) = a + b(t − t̄)
  through the check values (OLS; residual s with n − 2 degrees of freedom) is extrapolated from
  the last calibration; the interval is the time from the last calibration to where the
  prediction band x̂(t) ± t_{ν,q}·s·√(1 + 1/n + (t − t̄)²/S_tt) reaches a tolerance limit of the
  check value (q as in the variables method: (1 + p)/2 two-sided, p one-sided). An alarm on
  either chart after the baseline means the standard is not in statistical control: the advice
  is then "recalibrate now" (interval = time to the first alarm) unless the band gives less.

Times in days, values in the check quantity's unit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

from ._base import (
    IntervalAdvice,
    IntervalError,
    as_float_array,
    finite,
    positive,
    probability,
    same_length,
)

D2_MOVING_RANGE = 1.128  # d₂ for subgroups of 2 (ASTM MNL 7, Montgomery Table VI)


@dataclass(frozen=True)
class Chart:
    """A control chart: the charted statistic, its limits and the alarm indices."""

    kind: str  # "shewhart" | "ewma"
    center: float
    sigma: float
    statistic: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    alarms: tuple[int, ...]


def _baseline(x: np.ndarray, center, sigma, baseline: int) -> tuple[float, float]:
    if center is not None and sigma is not None:
        return finite("center", center), positive("sigma", sigma)
    if isinstance(baseline, bool) or not isinstance(baseline, int) or baseline < 2:
        raise IntervalError("baseline", f"must be an integer ≥ 2, got {baseline!r}")
    if x.size < baseline:
        raise IntervalError("values", f"{x.size} values, the baseline needs {baseline}")
    b = x[:baseline]
    c = float(b.mean()) if center is None else finite("center", center)
    if sigma is None:
        mr = float(np.mean(np.abs(np.diff(b))))
        if mr == 0:
            raise IntervalError("values", "baseline values are all equal: σ cannot be estimated")
        s = mr / D2_MOVING_RANGE
    else:
        s = positive("sigma", sigma)
    return c, s


def shewhart(
    values: Sequence[float],
    *,
    center: float | None = None,
    sigma: float | None = None,
    baseline: int = 10,
    limit: float = 3.0,
) -> Chart:
    """Individuals (X) chart; σ̂ from the mean moving range of the baseline."""
    x = as_float_array("values", values)
    c, s = _baseline(x, center, sigma, baseline)
    L = positive("limit", limit)
    lo = np.full(x.size, c - L * s)
    hi = np.full(x.size, c + L * s)
    alarms = tuple(int(i) for i in np.nonzero((x < lo) | (x > hi))[0])
    return Chart("shewhart", c, s, x, lo, hi, alarms)


def ewma(
    values: Sequence[float],
    *,
    lam: float = 0.2,
    center: float | None = None,
    sigma: float | None = None,
    baseline: int = 10,
    limit: float = 3.0,
    steady_state: bool = False,
) -> Chart:
    """EWMA chart with time-varying (or ``steady_state``) limits."""
    x = as_float_array("values", values)
    lam = probability("lam", lam)
    c, s = _baseline(x, center, sigma, baseline)
    L = positive("limit", limit)
    z = np.empty(x.size)
    prev = c
    for i, v in enumerate(x):
        prev = lam * v + (1.0 - lam) * prev
        z[i] = prev
    i = np.arange(1, x.size + 1)
    factor = lam / (2.0 - lam) * (1.0 if steady_state else 1.0 - (1.0 - lam) ** (2 * i))
    half = L * s * np.sqrt(np.broadcast_to(factor, z.shape))
    lo, hi = c - half, c + half
    alarms = tuple(int(k) for k in np.nonzero((z < lo) | (z > hi))[0])
    return Chart("ewma", c, s, z, np.asarray(lo), np.asarray(hi), alarms)


@dataclass(frozen=True, kw_only=True)
class ControlChartResult(IntervalAdvice):
    """Control-chart advice. ``confidence`` = level of the prediction band; ``reliability`` =
    probability the check value is within tolerance at the end of the interval."""

    shewhart: Chart | None = None
    ewma: Chart | None = None
    slope: float | None = None  # drift of the check value, unit/day
    u_slope: float | None = None
    residual_s: float | None = None
    out_of_control: bool = False
    first_alarm_time: float | None = None
    note: str | None = None


def control_chart_interval(
    times: Sequence[float],
    values: Sequence[float],
    *,
    lower: float | None,
    upper: float | None,
    last_calibration: float,
    confidence: float = 0.95,
    baseline: int = 10,
    lam: float = 0.2,
    limit: float = 3.0,
    min_points: int = 12,
    horizon_days: float | None = None,
    on_alarm: str = "recalibrate",
) -> ControlChartResult:
    """Interval (days from ``last_calibration``) from a check standard's chart.

    ``times`` in days (same origin as ``last_calibration``), ``values`` the check values,
    ``lower``/``upper`` the tolerance of the check value (one may be None). ``on_alarm``:
    ``"recalibrate"`` (default) caps the interval at the first alarm after the baseline,
    ``"report"`` only reports the alarms (a steady drift that the extrapolation already covers
    also raises them).
    """
    if on_alarm not in ("recalibrate", "report"):
        raise IntervalError("on_alarm", f"must be 'recalibrate' or 'report', got {on_alarm!r}")
    t = as_float_array("times", times)
    x = as_float_array("values", values)
    same_length(times=t, values=x)
    if np.any(np.diff(t) < 0):
        raise IntervalError("times", "must be in chronological order")
    t_cal = finite("last_calibration", last_calibration)
    p = probability("confidence", confidence)
    lo = None if lower is None else finite("lower", lower)
    hi = None if upper is None else finite("upper", upper)
    if lo is None and hi is None:
        raise IntervalError("upper", "at least one tolerance limit is needed")
    if lo is not None and hi is not None and lo >= hi:
        raise IntervalError("lower", f"must be below upper ({lo} ≥ {hi})")

    def short(reason: str) -> ControlChartResult:
        return ControlChartResult(
            interval_days=None,
            reliability=None,
            confidence=None,
            method="control-chart",
            insufficient=reason,
        )

    if t.size < max(min_points, baseline + 2):
        return short(
            f"values: {t.size} check values, the control-chart method needs "
            f"≥ {max(min_points, baseline + 2)}"
        )
    if np.ptp(t) == 0:
        return short("times: all check values at one time, no drift can be seen")
    try:
        sh = shewhart(x, baseline=baseline, limit=limit)
        ew = ewma(x, lam=lam, baseline=baseline, limit=limit)
    except IntervalError as exc:
        return short(str(exc))
    alarm_idx = sorted(i for i in set(sh.alarms) | set(ew.alarms) if i >= baseline)
    first_alarm = float(t[alarm_idx[0]]) if alarm_idx else None

    n = t.size
    tbar = float(t.mean())
    stt = float(np.sum((t - tbar) ** 2))
    b = float(np.sum((t - tbar) * (x - x.mean())) / stt)
    a = float(x.mean())
    resid = x - (a + b * (t - tbar))
    dof = n - 2
    s = math.sqrt(float(np.sum(resid**2)) / dof)
    u_b = s / math.sqrt(stt)
    two_sided = lo is not None and hi is not None
    k = float(stats.t.ppf((1.0 + p) / 2.0 if two_sided else p, dof))

    def band(tt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mu = a + b * (tt - tbar)
        u = s * np.sqrt(1.0 + 1.0 / n + (tt - tbar) ** 2 / stt)
        return mu, u

    def margin(tt: np.ndarray) -> np.ndarray:
        mu, u = band(np.atleast_1d(tt))
        m_up = np.full_like(mu, np.inf) if hi is None else hi - (mu + k * u)
        m_dn = np.full_like(mu, np.inf) if lo is None else (mu - k * u) - lo
        return np.minimum(m_up, m_dn)

    def in_tol(tt: float) -> float:
        mu, u = (float(v[0]) for v in band(np.array([tt])))
        up = 1.0 if hi is None else float(stats.t.cdf((hi - mu) / u, dof))
        dn = 0.0 if lo is None else float(stats.t.cdf((lo - mu) / u, dof))
        return up - dn

    common = dict(
        shewhart=sh,
        ewma=ew,
        slope=b,
        u_slope=u_b,
        residual_s=s,
        out_of_control=bool(alarm_idx),
        first_alarm_time=first_alarm,
    )
    if margin(np.array([t_cal]))[0] <= 0:
        return ControlChartResult(
            interval_days=0.0,
            reliability=in_tol(t_cal),
            confidence=p,
            method="control-chart",
            note="the prediction band is outside the tolerance already at the calibration",
            **common,
        )
    horizon = horizon_days if horizon_days is not None else 50.0 * float(np.ptp(t))
    grid = t_cal + np.linspace(0.0, positive("horizon_days", horizon), 4001)
    below = np.nonzero(margin(grid) <= 0)[0]
    tau = None
    if below.size:
        j = below[0]
        t_end = optimize.brentq(lambda v: margin(np.array([v]))[0], grid[j - 1], grid[j])
        tau = float(t_end - t_cal)
    note = None
    if first_alarm is not None and on_alarm == "recalibrate":
        to_alarm = max(first_alarm - t_cal, 0.0)
        if tau is None or to_alarm < tau:
            tau = to_alarm
            note = "out of statistical control: recalibrate (interval = time to first alarm)"
    if tau is None:
        return ControlChartResult(
            interval_days=None,
            reliability=None,
            confidence=None,
            method="control-chart",
            insufficient="values: no drift towards the tolerance within the horizon "
            f"({horizon:g} days); the data do not bound the interval",
            **common,
        )
    return ControlChartResult(
        interval_days=tau,
        reliability=in_tol(t_cal + tau),
        confidence=p,
        method="control-chart",
        note=note,
        **common,
    )
