r"""Reactive interval methods (反应式方法): staircase adjustment and the A3 interval test.

- :func:`staircase` — OIML D 10:2022 (ILAC-G24) method 1, "automatic adjustment or staircase"
  (阶梯式自动调整): after each routine calibration the next interval is lengthened by the factor
  (1 + a) when the item was found in tolerance and shortened by (1 − b) when it was not. NCSLI
  RP-1 calls this method A1. When b is not given it is chosen so that the staircase is in
  equilibrium at the reliability target R*: the expected change of ln I is zero,
  R*·ln(1 + a) + (1 − R*)·ln(1 − b) = 0, i.e. b = 1 − (1 + a)^(−R*/(1 − R*)).
- :func:`interval_test` / :func:`interval_test_counts` — NCSLI RP-1 method A3 (区间检验法): the
  observed in-tolerance fraction R₀ = x/n at the current interval I₀ is tested against the target
  R_t with the binomial distribution. The rejection confidence C is the probability that a
  reliability of R_t would have produced a result less extreme than x (equal tails:
  C = 1 − 2·P(X ≤ x | n, R_t) for R₀ < R_t, C = 1 − 2·P(X ≥ x | n, R_t) for R₀ > R_t; one
  tail when x = 0 or x = n). Only when C exceeds the change confidence is the interval changed,
  by the RP-1 extrapolation I₁ = I₀·10^((R₀ − R_t)·C) when shortening and
  I₁ = I₀·10^((R₀ − R_t)/(1 − C)) when lengthening, limited to [I₀/m, m·I₀] (m the largest
  change factor), then to [min, max] interval, and only if it moves by at least the minimum
  change in days. The reliability confidence limits are Clopper–Pearson at the change
  confidence.

Intervals are in days; in-tolerance results are booleans (True = found in tolerance, 合格).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from ._base import (
    IntervalAdvice,
    IntervalError,
    as_bool_array,
    as_float_array,
    positive,
    probability,
    same_length,
)


# --------------------------------------------------------------------------------------------
# Staircase (D 10 method 1, RP-1 A1)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class StaircaseResult(IntervalAdvice):
    """Staircase outcome. ``reliability`` is the observed in-tolerance fraction over the history;
    ``confidence`` is None (a reactive rule carries no statistical confidence).
    ``history`` holds the interval assigned after each calibration (days)."""

    history: tuple[float, ...] = ()
    extend: float = 0.0
    reduce: float = 0.0


def equilibrium_reduction(extend: float, target: float) -> float:
    """Reduction fraction b that balances extension a at reliability target R* (see module)."""
    a = positive("extend", extend)
    r = probability("target", target)
    return 1.0 - (1.0 + a) ** (-r / (1.0 - r))


def staircase(
    in_tolerance: Sequence[bool],
    initial_interval: float,
    *,
    extend: float = 0.1,
    reduce: float | None = None,
    target: float = 0.9,
    min_interval: float = 1.0,
    max_interval: float = 3650.0,
) -> StaircaseResult:
    """Run the staircase over successive as-found results (oldest first).

    ``initial_interval``, ``min_interval``, ``max_interval`` in days; ``extend`` a (> 0) and
    ``reduce`` b (0 < b < 1) are fractions; b defaults to :func:`equilibrium_reduction`.
    """
    results = as_bool_array("in_tolerance", in_tolerance)
    i0 = positive("initial_interval", initial_interval)
    lo = positive("min_interval", min_interval)
    hi = positive("max_interval", max_interval)
    if lo > hi:
        raise IntervalError("min_interval", f"must not exceed max_interval ({lo} > {hi})")
    a = positive("extend", extend)
    b = equilibrium_reduction(a, target) if reduce is None else probability("reduce", reduce)
    if results.size == 0:
        return StaircaseResult(
            interval_days=None,
            reliability=None,
            confidence=None,
            method="staircase",
            insufficient="in_tolerance: no calibration results to adjust from",
            extend=a,
            reduce=b,
        )
    interval = i0
    hist = []
    for ok in results:
        interval *= (1.0 + a) if ok else (1.0 - b)
        interval = min(max(interval, lo), hi)
        hist.append(interval)
    return StaircaseResult(
        interval_days=interval,
        reliability=float(results.mean()),
        confidence=None,
        method="staircase",
        history=tuple(hist),
        extend=a,
        reduce=b,
    )


# --------------------------------------------------------------------------------------------
# A3 interval test
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class IntervalTestResult(IntervalAdvice):
    """A3 outcome. ``reliability`` is the observed R₀ = x/n at the current interval,
    ``confidence`` the rejection confidence C of "R₀ is consistent with the target"."""

    current_interval: float = math.nan
    calculated_interval: float = math.nan  # the extrapolated I₁ before the change rules
    changed: bool = False
    target: float = math.nan
    reliability_low: float = math.nan  # Clopper–Pearson at change_confidence
    reliability_high: float = math.nan
    n_in_tolerance: int = 0
    n: int = 0
    unused: int = 0  # events outside the window around I₀


def rejection_confidence(x: int, n: int, target: float) -> float:
    """Binomial rejection confidence of R_t given x of n in tolerance (see module)."""
    if n <= 0:
        raise IntervalError("n", f"must be ≥ 1, got {n}")
    if not 0 <= x <= n:
        raise IntervalError("n_in_tolerance", f"must lie in [0, n={n}], got {x}")
    r0 = x / n
    if x == n:
        return 1.0 - target**n
    if x == 0:
        return 1.0 - (1.0 - target) ** n
    if r0 < target:
        return max(0.0, 1.0 - 2.0 * float(stats.binom.cdf(x, n, target)))
    if r0 > target:
        return max(0.0, 1.0 - 2.0 * float(stats.binom.sf(x - 1, n, target)))
    return 0.0


def reliability_limits(x: int, n: int, confidence: float) -> tuple[float, float]:
    """Clopper–Pearson limits of R at ``confidence`` (one-sided at x = 0 or x = n)."""
    alpha = 1.0 - confidence
    if x == 0:
        return 0.0, 1.0 - alpha ** (1.0 / n)
    if x == n:
        return alpha ** (1.0 / n), 1.0
    lo = float(stats.beta.ppf(alpha / 2.0, x, n - x + 1))
    hi = float(stats.beta.ppf(1.0 - alpha / 2.0, x + 1, n - x))
    return lo, hi


def interval_test_counts(
    n_in_tolerance: int,
    n: int,
    current_interval: float,
    target: float,
    *,
    change_confidence: float = 0.5,
    max_change: float = 2.0,
    min_change_days: float = 5.0,
    min_interval: float = 14.0,
    max_interval: float = 1826.0,
    unused: int = 0,
) -> IntervalTestResult:
    """A3 from counts: x of n calibrations at the current interval I₀ (days) in tolerance.

    Defaults are those of the RP-1 / NCSL 2019 interval tutorial: change confidence 0.5, change
    factor ≤ 2, ≥ 5 days change, interval in [14, 1826] days.
    """
    for name, v in (("n_in_tolerance", n_in_tolerance), ("n", n)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
            raise IntervalError(name, f"must be a non-negative integer, got {v!r}")
    x, n = int(n_in_tolerance), int(n)
    if x > n:
        raise IntervalError("n_in_tolerance", f"must not exceed n ({x} > {n})")
    i0 = positive("current_interval", current_interval)
    rt = probability("target", target)
    conf = probability("change_confidence", change_confidence)
    m = positive("max_change", max_change)
    if m < 1:
        raise IntervalError("max_change", f"must be ≥ 1, got {m}")
    lo, hi = positive("min_interval", min_interval), positive("max_interval", max_interval)
    if lo > hi:
        raise IntervalError("min_interval", f"must not exceed max_interval ({lo} > {hi})")
    if n == 0:
        return IntervalTestResult(
            interval_days=None,
            reliability=None,
            confidence=None,
            method="A3",
            insufficient="n: no calibrations at the current interval to test",
            current_interval=i0,
            target=rt,
            unused=unused,
        )
    r0 = x / n
    c = rejection_confidence(x, n, rt)
    if r0 < rt:
        factor = max(10.0 ** ((r0 - rt) * c), 1.0 / m)
    elif r0 > rt:
        # exponent grows without bound as C → 1: compare it with log10(m) before raising 10 to it
        expo = math.inf if c >= 1.0 else (r0 - rt) / (1.0 - c)
        factor = m if expo >= math.log10(m) else 10.0**expo
    else:
        factor = 1.0
    calc = factor * i0
    changed = c > conf and abs(calc - i0) >= min_change_days
    new = min(max(calc, lo), hi) if changed else i0
    rl, ru = reliability_limits(x, n, conf)
    return IntervalTestResult(
        interval_days=float(new),
        reliability=r0,
        confidence=c,
        method="A3",
        current_interval=i0,
        calculated_interval=float(calc),
        changed=bool(changed),
        target=rt,
        reliability_low=rl,
        reliability_high=ru,
        n_in_tolerance=x,
        n=n,
        unused=int(unused),
    )


def interval_test(
    intervals: Sequence[float],
    in_tolerance: Sequence[bool],
    current_interval: float,
    target: float,
    *,
    window_days: float = 56.0,
    window_fraction: float = 0.5,
    **options: float,
) -> IntervalTestResult:
    """A3 from events: (interval length in days, found in tolerance) per calibration.

    Only events whose interval lies within min(window_days, window_fraction·I₀) of I₀ count
    (RP-1: the test is of the current interval); the others are reported as ``unused``.
    ``options`` go to :func:`interval_test_counts`.
    """
    t = as_float_array("intervals", intervals, nonnegative=True)
    ok = as_bool_array("in_tolerance", in_tolerance)
    same_length(intervals=t, in_tolerance=ok)
    i0 = positive("current_interval", current_interval)
    w = min(positive("window_days", window_days), positive("window_fraction", window_fraction) * i0)
    use = np.abs(t - i0) <= w
    return interval_test_counts(
        int(ok[use].sum()),
        int(use.sum()),
        i0,
        target,
        unused=int((~use).sum()),
        **options,
    )
