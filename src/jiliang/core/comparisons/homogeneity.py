r"""Homogeneity and stability of PT items (样品均匀性和稳定性), ISO 13528:2022 Annex B.

* :func:`homogeneity_check` — g items × m replicates (B.3): item averages x̄ₜ, general average x̿,
  s_x (sd of the item averages), s_w (within-item sd, pooled), s_s = √max(0, s_x² − s_w²/m)
  (between-item sd); criterion s_s ≤ 0.3·σ_pt (B.2.1) and the expanded criterion
  s_s ≤ √(F₁·(0.3σ_pt)² + F₂·s_w²) (B.2.2) that allows for the sampling error of s_s.
* :func:`expanded_criterion_factors` — F₁ = χ²₀.₉₅(g−1)/(g−1), F₂ = (F₀.₉₅(g−1, g(m−1)) − 1)/m;
  for duplicates (m = 2) these are the values of ISO 13528:2022 Table B.1 (g = 7 … 20).
* :func:`stability_check` — |ȳ₁ − ȳ₂| ≤ 0.3·σ_pt (B.5), optionally widened by
  2·√(u²(ȳ₁) + u²(ȳ₂)) when the measurements of the two occasions are not under repeatability.

All values, averages and standard deviations are in the unit of the measurand.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from .pt import PTError, SigmaPT

__all__ = [
    "HomogeneityResult",
    "StabilityResult",
    "expanded_criterion_factors",
    "homogeneity_check",
    "stability_check",
]


def _sigma(sigma_pt: float | SigmaPT) -> float:
    v = sigma_pt.value if isinstance(sigma_pt, SigmaPT) else sigma_pt
    try:
        s = float(v)
    except (TypeError, ValueError):
        raise PTError("sigma_pt", f"must be a number > 0, got {v!r}") from None
    if not math.isfinite(s) or s <= 0:
        raise PTError("sigma_pt", f"must be a finite number > 0, got {v!r}")
    return s


def _table(name: str, data: Sequence[Sequence[float]] | np.ndarray) -> np.ndarray:
    try:
        a = np.asarray(data, dtype=float)
    except (TypeError, ValueError):
        raise PTError(name, "must be a g × m table of numbers (items × replicates)") from None
    if a.ndim != 2:
        raise PTError(name, f"must be a g × m table (items × replicates), got {a.ndim}-D")
    bad = np.argwhere(~np.isfinite(a))
    if bad.size:
        t, r = (int(v) for v in bad[0])
        raise PTError(name, f"item index {t}, replicate {r}: missing or not finite")
    return a


def expanded_criterion_factors(
    g: int, m: int = 2, *, confidence: float = 0.95
) -> tuple[float, float]:
    """(F₁, F₂) of the expanded homogeneity criterion for g items and m replicates (B.2.2)."""
    if isinstance(g, bool) or not isinstance(g, (int, np.integer)) or g < 2:
        raise PTError("g", f"number of items must be an integer ≥ 2, got {g!r}")
    if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < 2:
        raise PTError("m", f"number of replicates must be an integer ≥ 2, got {m!r}")
    if not 0 < confidence < 1:
        raise PTError("confidence", f"must be in (0, 1), got {confidence!r}")
    g, m = int(g), int(m)
    f1 = float(stats.chi2.ppf(confidence, g - 1)) / (g - 1)
    f2 = (float(stats.f.ppf(confidence, g - 1, g * (m - 1))) - 1.0) / m
    return f1, f2


@dataclass(frozen=True, eq=False)
class HomogeneityResult:
    """Homogeneity statistics of g items × m replicates (unit of the measurand)."""

    g: int
    m: int
    item_means: np.ndarray
    general_mean: float  # x̿
    s_x: float  # sd of the item averages
    s_w: float  # within-item sd
    s_s: float  # between-item sd
    sigma_pt: float
    limit: float  # 0.3·σ_pt (B.2.1)
    passes: bool  # s_s ≤ 0.3·σ_pt
    f1: float
    f2: float
    expanded_limit: float  # √(F₁·(0.3σ_pt)² + F₂·s_w²) (B.2.2)
    passes_expanded: bool


def homogeneity_check(
    data: Sequence[Sequence[float]] | np.ndarray, sigma_pt: float | SigmaPT
) -> HomogeneityResult:
    """Between-item sd s_s of a homogeneity study and its criteria (ISO 13528:2022 B.2, B.3).

    ``data`` is a table with one row per item (g ≥ 2) and one column per replicate (m ≥ 2), all
    measured under repeatability conditions in random order. ISO 13528 recommends g ≥ 10.
    """
    x = _table("data", data)
    g, m = x.shape
    if g < 2:
        raise PTError("data", f"needs at least 2 items (rows), got {g}; ISO recommends g ≥ 10")
    if m < 2:
        raise PTError("data", f"needs at least 2 replicates per item (columns), got {m}")
    s = _sigma(sigma_pt)
    means = x.mean(axis=1)
    general = float(means.mean())
    s_x = float(means.std(ddof=1))
    s_w = float(math.sqrt(x.var(axis=1, ddof=1).mean()))
    s_s = math.sqrt(max(0.0, s_x * s_x - s_w * s_w / m))
    limit = 0.3 * s
    f1, f2 = expanded_criterion_factors(g, m)
    expanded = math.sqrt(f1 * limit * limit + f2 * s_w * s_w)
    return HomogeneityResult(
        g, m, means, general, s_x, s_w, s_s, s, limit, s_s <= limit, f1, f2, expanded,
        s_s <= expanded,
    )  # fmt: skip


@dataclass(frozen=True)
class StabilityResult:
    """Stability check (unit of the measurand)."""

    mean_1: float  # ȳ₁: before / homogeneity study
    mean_2: float  # ȳ₂: after / at the end of the round
    difference: float  # |ȳ₁ − ȳ₂|
    limit: float  # 0.3·σ_pt
    passes: bool
    expanded_limit: float | None  # 0.3·σ_pt + 2·√(u²(ȳ₁) + u²(ȳ₂)) when uncertainties known
    passes_expanded: bool | None


def _values(name: str, v: Sequence[float] | np.ndarray) -> np.ndarray:
    try:
        a = np.asarray(v, dtype=float).ravel()
    except (TypeError, ValueError):
        raise PTError(name, "must be numbers") from None
    if a.size == 0:
        raise PTError(name, "needs at least one result")
    bad = np.flatnonzero(~np.isfinite(a))
    if bad.size:
        raise PTError(name, f"index {int(bad[0])}: missing or not finite")
    return a


def stability_check(
    first: Sequence[float] | np.ndarray,
    second: Sequence[float] | np.ndarray,
    sigma_pt: float | SigmaPT,
    *,
    with_uncertainty: bool = False,
) -> StabilityResult:
    """|ȳ₁ − ȳ₂| ≤ 0.3·σ_pt (ISO 13528:2022 B.5) for results of two occasions.

    ``first`` and ``second`` are all results (any shape, flattened) of each occasion. With
    ``with_uncertainty`` the limit is widened by 2·√(u²(ȳ₁) + u²(ȳ₂)), u(ȳ) = s/√n, for
    measurements not made under repeatability conditions (B.5 note).
    """
    a, b = _values("first", first), _values("second", second)
    s = _sigma(sigma_pt)
    m1, m2 = float(a.mean()), float(b.mean())
    diff = abs(m1 - m2)
    limit = 0.3 * s
    exp_limit: float | None = None
    exp_pass: bool | None = None
    if with_uncertainty:
        if a.size < 2 or b.size < 2:
            raise PTError("first" if a.size < 2 else "second", "needs ≥ 2 results for u(ȳ)")
        u1 = float(a.std(ddof=1)) / math.sqrt(a.size)
        u2 = float(b.std(ddof=1)) / math.sqrt(b.size)
        exp_limit = limit + 2.0 * math.sqrt(u1 * u1 + u2 * u2)
        exp_pass = diff <= exp_limit
    return StabilityResult(m1, m2, diff, limit, diff <= limit, exp_limit, exp_pass)
