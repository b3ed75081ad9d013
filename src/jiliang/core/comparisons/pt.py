r"""Proficiency-testing statistics (能力验证统计) after ISO 13528:2022.

Robust consensus (稳健统计):

* :func:`algorithm_a` — Algorithm A (C.3.1): start x* = median, s* = 1.483·MAD; winsorise at
  x* ± δ, δ = 1.5·s*; update x* = mean, s* = 1.134·sd of the winsorised values; iterate until
  both change by less than ``tol``·s* (default 10⁻⁶, far below the standard's "third significant
  figure").
* :func:`q_method` (C.5.2, robust s* from all pairwise differences), :func:`hampel` (C.5.3,
  finite-step Hampel M-estimate of location) and :func:`q_hampel` combining them.
* :func:`made` (1.483·MAD) and :func:`niqr` (0.7413·IQR), the simple estimators of C.2.
* :func:`robust_mean_uncertainty` — u(x_pt) = 1.25·s*/√p (7.7.3).

Assigned value and σ_pt (指定值、能力评定标准差):

* :class:`AssignedValue` — x_pt with its standard uncertainty and :class:`AssignedValueSource`
  (reference laboratory 7.5, CRM 7.4, formulation 7.3, consensus 7.6/7.7);
* :func:`check_assigned_uncertainty` — u(x_pt) ≤ 0.3·σ_pt (9.2.1), otherwise z′ is recommended;
* :class:`SigmaPT` — σ_pt by fitness for purpose (8.2/8.4), from a previous round (8.3) or the
  robust s* of this round (8.7).

Performance scores (能力评价统计量), vectorised over participants (one numpy array each):
:func:`z_scores` (9.4), :func:`z_prime_scores` (9.5), :func:`zeta_scores` (9.6),
:func:`en_scores` (9.7). Classification: |z|, |z′|, |ζ| ≤ 2 satisfactory (满意), 2 < |·| < 3
questionable (有问题), ≥ 3 unsatisfactory (不满意); |Eₙ| ≤ 1 satisfactory, > 1 unsatisfactory.

Graphical methods (10.3, 10.5): :func:`kernel_density` (Gaussian kernel, default bandwidth
h = 0.9·s*·p^(−1/5)) and :func:`youden_data` (standardised pairs for a Youden plot).

Units: every value, uncertainty, σ_pt, s* and bandwidth is in the unit of the measurand (the caller
converts with :mod:`jiliang.core.units` first); scores are dimensionless; a kernel density is in
1/unit of the measurand.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum

import numpy as np
from scipy import stats

__all__ = [
    "MAD_FACTOR",
    "AssignedValue",
    "AssignedValueSource",
    "KernelDensity",
    "PTError",
    "Performance",
    "RobustEstimate",
    "Scores",
    "SigmaPT",
    "SigmaSource",
    "UncertaintyCheck",
    "YoudenData",
    "algorithm_a",
    "check_assigned_uncertainty",
    "en_scores",
    "hampel",
    "kernel_density",
    "made",
    "niqr",
    "q_hampel",
    "q_method",
    "robust_mean_uncertainty",
    "youden_data",
    "z_prime_scores",
    "z_scores",
    "zeta_scores",
]

MAD_FACTOR = 1.483  # ISO 13528:2022 C.2.2 / C.3.1: 1/Φ⁻¹(0.75) rounded as in the standard
NIQR_FACTOR = 0.7413  # C.2.3: 1/(2·Φ⁻¹(0.75))
ALGORITHM_A_DELTA = 1.5  # δ = 1.5·s* (C.3.1)
ALGORITHM_A_SCALE = 1.134  # consistency factor of the winsorised sd at 1.5 (C.3.1)
MIN_RESULTS = 3


class PTError(ValueError):
    """Invalid input to a proficiency-testing calculation; the message names the field."""

    def __init__(self, field_name: str, message: str):
        super().__init__(f"{field_name}: {message}")
        self.field = field_name


# --------------------------------------------------------------------------------------------
# input checks
# --------------------------------------------------------------------------------------------
def _finite_scalar(name: str, x: float) -> float:
    if isinstance(x, bool):
        raise PTError(name, f"must be a finite number, got {x!r}")
    try:
        v = float(x)
    except (TypeError, ValueError):
        raise PTError(name, f"must be a finite number, got {x!r}") from None
    if not math.isfinite(v):
        raise PTError(name, f"must be a finite number, got {x!r}")
    return v


def _positive_scalar(name: str, x: float) -> float:
    v = _finite_scalar(name, x)
    if v <= 0:
        raise PTError(name, f"must be > 0, got {v}")
    return v


def _results(name: str, values: Sequence[float] | np.ndarray) -> np.ndarray:
    """1-D float array of finite results; the error names the first bad participant index."""
    try:
        a = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise PTError(name, "must be a sequence of numbers") from None
    if a.ndim != 1:
        raise PTError(name, f"must be one-dimensional (one result per participant), got {a.ndim}-D")
    bad = np.flatnonzero(~np.isfinite(a))
    if bad.size:
        i = int(bad[0])
        raise PTError(name, f"participant index {i}: result missing or not finite ({a[i]!r})")
    return a


def _uncertainties(name: str, u: float | Sequence[float] | np.ndarray, n: int) -> np.ndarray:
    """Uncertainties broadcast to n participants; NaN (missing) or negative → error with index."""
    try:
        a = np.asarray(u, dtype=float)
    except (TypeError, ValueError):
        raise PTError(name, "must be a number or a sequence of numbers") from None
    if a.ndim == 0:
        a = np.full(n, float(a))
    if a.shape != (n,):
        raise PTError(name, f"needs one value per participant ({n}), got shape {a.shape}")
    missing = np.flatnonzero(~np.isfinite(a))
    if missing.size:
        i = int(missing[0])
        raise PTError(name, f"participant index {i}: uncertainty missing ({a[i]!r})")
    negative = np.flatnonzero(a < 0)
    if negative.size:
        i = int(negative[0])
        raise PTError(name, f"participant index {i}: uncertainty must be ≥ 0, got {a[i]}")
    return a


def _enough(name: str, p: int, minimum: int) -> None:
    if p < minimum:
        raise PTError(
            name,
            f"{p} results; this statistic needs at least {minimum}. ISO 13528:2022 §5.4 (small "
            "numbers of participants): do not rely on a consensus of so few results — use an "
            "assigned value from a reference laboratory, a CRM or formulation (7.3–7.5) and a "
            "fitness-for-purpose σ_pt (8.2), or score with ζ / Eₙ on the stated uncertainties",
        )


# --------------------------------------------------------------------------------------------
# robust statistics (ISO 13528:2022 Annex C)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RobustEstimate:
    """Robust location x* and scale s* of p results (unit of the measurand).

    ``history`` holds (x*, s*) after each iteration, starting with the initial values, when the
    caller asked for it.
    """

    location: float
    scale: float
    p: int
    method: str
    iterations: int = 0
    history: tuple[tuple[float, float], ...] = ()

    @property
    def u_location(self) -> float:
        """Standard uncertainty of x* as assigned value: 1.25·s*/√p (ISO 13528:2022 7.7.3)."""
        return robust_mean_uncertainty(self.scale, self.p)


def made(values: Sequence[float] | np.ndarray) -> float:
    """Scaled median absolute deviation MADe = 1.483·median|xᵢ − med(x)| (C.2.2), unit of x."""
    x = _results("values", values)
    _enough("values", x.size, 1)
    return float(MAD_FACTOR * np.median(np.abs(x - np.median(x))))


def niqr(values: Sequence[float] | np.ndarray) -> float:
    """Normalised interquartile range nIQR = 0.7413·(Q3 − Q1) (C.2.3), unit of x."""
    x = _results("values", values)
    _enough("values", x.size, 2)
    q1, q3 = np.percentile(x, [25.0, 75.0])
    return float(NIQR_FACTOR * (q3 - q1))


def algorithm_a(
    values: Sequence[float] | np.ndarray,
    *,
    tol: float = 1e-6,
    max_iter: int = 1000,
    min_results: int = MIN_RESULTS,
    keep_history: bool = False,
) -> RobustEstimate:
    """Algorithm A (ISO 13528:2022 C.3.1): robust mean x* and robust sd s* (unit of x).

    Stops when |Δs*| ≤ tol·s* and |Δx*| ≤ tol·s*. Raises :class:`PTError` naming ``values`` when
    fewer than ``min_results`` results are given, or when the MAD is 0 (more than half of the
    results identical — Algorithm A cannot start; ISO 13528:2022 C.2/C.5 suggest a scale that
    copes with ties such as the Q method (:func:`q_method`), or σ_pt by fitness for purpose);
    ``max_iter`` when it has not converged.
    """
    x = _results("values", values)
    tol = _positive_scalar("tol", tol)
    if isinstance(max_iter, bool) or not isinstance(max_iter, int) or max_iter < 1:
        raise PTError("max_iter", f"must be an integer ≥ 1, got {max_iter!r}")
    _enough("values", x.size, max(int(min_results), 2))
    p = x.size
    loc = float(np.median(x))
    scale = float(MAD_FACTOR * np.median(np.abs(x - loc)))
    if scale == 0.0:
        raise PTError(
            "values",
            "median absolute deviation is 0 (more than half of the results are identical): "
            "Algorithm A cannot start. ISO 13528:2022: use a robust scale that handles ties "
            "(Q method, C.5.2) or set σ_pt by fitness for purpose (8.2) instead of s*",
        )
    history = [(loc, scale)] if keep_history else []
    sqrt_dof = math.sqrt(p - 1)
    for it in range(1, max_iter + 1):
        delta = ALGORITHM_A_DELTA * scale
        w = np.clip(x, loc - delta, loc + delta)
        new_loc = float(w.mean())
        new_scale = float(ALGORITHM_A_SCALE * np.linalg.norm(w - new_loc) / sqrt_dof)
        done = abs(new_scale - scale) <= tol * scale and abs(new_loc - loc) <= tol * scale
        loc, scale = new_loc, new_scale
        if keep_history:
            history.append((loc, scale))
        if done:
            return RobustEstimate(loc, scale, p, "Algorithm A", it, tuple(history))
        if scale == 0.0:
            raise PTError("values", "robust standard deviation collapsed to 0 during iteration")
    raise PTError(
        "max_iter", f"Algorithm A did not converge to tol={tol} within {max_iter} iterations"
    )


def _pairwise_abs_differences(x: np.ndarray) -> np.ndarray:
    i, j = np.triu_indices(x.size, k=1)
    return np.abs(x[j] - x[i])


def q_method(
    values: Sequence[float] | np.ndarray,
    *,
    min_results: int = MIN_RESULTS,
    max_results: int = 5000,
) -> float:
    """Robust standard deviation s* by the Q method (ISO 13528:2022 C.5.2), one result per lab.

    H₁ is the empirical distribution of the p(p−1)/2 absolute pairwise differences, G₁ its
    mid-point version G₁(xₖ) = ½[H₁(xₖ) + H₁(xₖ₋)] at the jumps, G₁(0) = 0, linear between;
    s* = G₁⁻¹(0.25 + 0.75·H₁(0)) / (√2·Φ⁻¹(0.625 + 0.375·H₁(0))). Memory grows as p², so more
    than ``max_results`` results are refused (use Algorithm A for very large rounds).
    """
    x = _results("values", values)
    _enough("values", x.size, max(int(min_results), 2))
    if x.size > max_results:
        raise PTError(
            "values",
            f"{x.size} results exceed max_results={max_results} for the Q method (memory ∝ p²)",
        )
    d = _pairwise_abs_differences(x)
    n_pairs = d.size
    h0 = float(np.count_nonzero(d == 0.0)) / n_pairs
    if h0 >= 1.0:
        raise PTError("values", "all results are identical: no scale can be estimated")
    jumps, counts = np.unique(d[d > 0.0], return_counts=True)
    h_at = h0 + np.cumsum(counts) / n_pairs  # H₁(xₖ)
    h_before = np.concatenate(([h0], h_at[:-1]))  # H₁(xₖ₋)
    g = 0.5 * (h_at + h_before)
    knots_x = np.concatenate(([0.0], jumps))
    knots_g = np.concatenate(([0.0], g))
    level = 0.25 + 0.75 * h0
    q = float(np.interp(level, knots_g, knots_x))
    return q / (math.sqrt(2.0) * float(stats.norm.ppf(0.625 + 0.375 * h0)))


def _hampel_psi(q: np.ndarray) -> np.ndarray:
    """Hampel's redescending ψ with knots 1.5, 3, 4.5 (ISO 13528:2022 C.5.3)."""
    a = np.abs(q)
    out = np.where(a <= 1.5, a, np.where(a <= 3.0, 1.5, np.where(a <= 4.5, 4.5 - a, 0.0)))
    return np.sign(q) * out


def hampel(
    values: Sequence[float] | np.ndarray, scale: float, *, min_results: int = MIN_RESULTS
) -> float:
    """Hampel M-estimate x* of location for a given robust scale s* (C.5.3.2, finite steps).

    Ψ(x) = Σ ψ((xᵢ − x)/s*) is piecewise linear in x with knots xᵢ ± {1.5, 3, 4.5}·s*; its zeros
    are found exactly between knots; the zero (or the mid-point of a zero interval) nearest to the
    median is x*. Unit of x.
    """
    x = _results("values", values)
    _enough("values", x.size, max(int(min_results), 2))
    s = _positive_scalar("scale", scale)
    knots = np.unique((x[:, None] + np.array([-4.5, -3.0, -1.5, 1.5, 3.0, 4.5]) * s).ravel())
    # Ψ at every knot (p × 6p values; chunked to bound memory)
    psi = np.empty(knots.size)
    step = max(1, 2_000_000 // max(x.size, 1))
    for k in range(0, knots.size, step):
        t = knots[k : k + step]
        psi[k : k + step] = _hampel_psi((x[None, :] - t[:, None]) / s).sum(axis=1)
    scale_tol = 1e-12 * x.size
    zero = np.abs(psi) <= scale_tol
    candidates: list[float] = []
    # exact zeros at knots, merged into intervals where Ψ ≡ 0 (mid-point); skip the outer
    # region beyond every ψ's support, where Ψ is trivially 0
    k = 0
    n = knots.size
    while k < n:
        if zero[k]:
            j = k
            while j + 1 < n and zero[j + 1]:
                j += 1
            if k > 0 and j < n - 1:
                candidates.append(0.5 * (knots[k] + knots[j]))
            k = j + 1
        else:
            k += 1
    # sign changes strictly between two knots (Ψ linear there)
    v0, v1 = psi[:-1], psi[1:]
    cross = np.flatnonzero((v0 * v1 < 0) & ~zero[:-1] & ~zero[1:])
    for c in cross:
        t0, t1 = knots[c], knots[c + 1]
        candidates.append(float(t0 - v0[c] * (t1 - t0) / (v1[c] - v0[c])))
    if not candidates:
        raise PTError("values", "the Hampel equation has no solution for this scale")
    med = float(np.median(x))
    cand = np.array(candidates)
    return float(cand[np.argmin(np.abs(cand - med))])


def q_hampel(
    values: Sequence[float] | np.ndarray, *, min_results: int = MIN_RESULTS
) -> RobustEstimate:
    """Q/Hampel: s* by :func:`q_method`, x* by :func:`hampel` with that s* (C.5)."""
    x = _results("values", values)
    s = q_method(x, min_results=min_results)
    if s == 0.0:
        raise PTError("values", "Q-method scale is 0: the Hampel estimate cannot be formed")
    return RobustEstimate(hampel(x, s, min_results=min_results), s, x.size, "Q/Hampel")


def robust_mean_uncertainty(s_star: float, p: int) -> float:
    """u(x_pt) = 1.25·s*/√p for a robust consensus of p results (ISO 13528:2022 7.7.3).

    Unit of s*. The factor 1.25 is the ratio of the sd of the robust mean to that of the
    arithmetic mean for normal data; it assumes no large number of outliers.
    """
    s = _finite_scalar("s_star", s_star)
    if s < 0:
        raise PTError("s_star", f"must be ≥ 0, got {s}")
    if isinstance(p, bool) or not isinstance(p, (int, np.integer)) or p < 1:
        raise PTError("p", f"must be an integer ≥ 1, got {p!r}")
    return 1.25 * s / math.sqrt(int(p))


# --------------------------------------------------------------------------------------------
# assigned value and σ_pt
# --------------------------------------------------------------------------------------------
class AssignedValueSource(StrEnum):
    """How the assigned value x_pt (指定值) was obtained (ISO 13528:2022 clause 7)."""

    FORMULATION = "formulation"  # 7.3 配制值
    CRM = "crm"  # 7.4 有证标准物质
    REFERENCE_LAB = "reference_lab"  # 7.5 参考实验室
    EXPERT_CONSENSUS = "expert_consensus"  # 7.6 专家实验室公议值
    CONSENSUS = "consensus"  # 7.7 参加者公议值


@dataclass(frozen=True)
class AssignedValue:
    """Assigned value x_pt and its standard uncertainty u(x_pt), unit of the measurand."""

    value: float
    standard_uncertainty: float
    source: AssignedValueSource
    note: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", _finite_scalar("assigned.value", self.value))
        u = _finite_scalar("assigned.standard_uncertainty", self.standard_uncertainty)
        if u < 0:
            raise PTError("assigned.standard_uncertainty", f"must be ≥ 0, got {u}")
        object.__setattr__(self, "standard_uncertainty", u)
        try:
            object.__setattr__(self, "source", AssignedValueSource(self.source))
        except ValueError:
            choices = ", ".join(s.value for s in AssignedValueSource)
            raise PTError("assigned.source", f"{self.source!r} is not one of {choices}") from None

    @classmethod
    def from_expanded(
        cls, value: float, expanded_uncertainty: float, k: float, source: AssignedValueSource
    ) -> AssignedValue:
        """From a certificate's U and coverage factor k: u(x_pt) = U/k."""
        big_u = _finite_scalar("expanded_uncertainty", expanded_uncertainty)
        if big_u < 0:
            raise PTError("expanded_uncertainty", f"must be ≥ 0, got {big_u}")
        return cls(value, big_u / _positive_scalar("k", k), source)

    @classmethod
    def from_consensus(cls, estimate: RobustEstimate) -> AssignedValue:
        """x_pt = x*, u(x_pt) = 1.25·s*/√p (7.7.3)."""
        return cls(
            estimate.location, estimate.u_location, AssignedValueSource.CONSENSUS, estimate.method
        )


class SigmaSource(StrEnum):
    """Where σ_pt (能力评定标准差) comes from (ISO 13528:2022 clause 8)."""

    FITNESS_FOR_PURPOSE = "fitness_for_purpose"  # 8.2 expert perception / 8.4 general model
    PREVIOUS_ROUND = "previous_round"  # 8.3 experience from previous rounds
    ROBUST_SD = "robust_sd"  # 8.7 from the participants' results of this round


@dataclass(frozen=True)
class SigmaPT:
    """Standard deviation for proficiency assessment σ_pt (unit of the measurand)."""

    value: float
    source: SigmaSource
    note: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", _positive_scalar("sigma_pt", self.value))
        try:
            object.__setattr__(self, "source", SigmaSource(self.source))
        except ValueError:
            choices = ", ".join(s.value for s in SigmaSource)
            raise PTError("sigma_pt.source", f"{self.source!r} is not one of {choices}") from None

    @classmethod
    def fitness_for_purpose(cls, value: float, note: str = "") -> SigmaPT:
        return cls(value, SigmaSource.FITNESS_FOR_PURPOSE, note)

    @classmethod
    def previous_round(cls, value: float, note: str = "") -> SigmaPT:
        return cls(value, SigmaSource.PREVIOUS_ROUND, note)

    @classmethod
    def robust(cls, estimate: RobustEstimate) -> SigmaPT:
        """σ_pt = s* of this round (8.7); then u(x_pt) ≤ 0.3σ_pt needs p ≥ 18 (1.25/√p ≤ 0.3)."""
        return cls(estimate.scale, SigmaSource.ROBUST_SD, estimate.method)


@dataclass(frozen=True)
class UncertaintyCheck:
    """Result of the check u(x_pt) ≤ 0.3·σ_pt (ISO 13528:2022 9.2.1)."""

    u_x_pt: float
    sigma_pt: float
    limit: float  # 0.3·σ_pt
    ratio: float  # u(x_pt)/σ_pt
    negligible: bool
    recommended_score: str  # "z" or "z′"
    message: str


def _sigma_value(sigma_pt: float | SigmaPT) -> float:
    if isinstance(sigma_pt, SigmaPT):
        return sigma_pt.value
    return _positive_scalar("sigma_pt", sigma_pt)


def check_assigned_uncertainty(
    assigned: AssignedValue | float, sigma_pt: float | SigmaPT
) -> UncertaintyCheck:
    """Is u(x_pt) negligible, u(x_pt) ≤ 0.3·σ_pt (9.2.1)? If not, recommend z′ (9.5).

    ``assigned`` is an :class:`AssignedValue` or u(x_pt) itself.
    """
    if isinstance(assigned, AssignedValue):
        u = assigned.standard_uncertainty
    else:
        u = _finite_scalar("u_x_pt", assigned)
        if u < 0:
            raise PTError("u_x_pt", f"must be ≥ 0, got {u}")
    s = _sigma_value(sigma_pt)
    limit = 0.3 * s
    ok = u <= limit
    if ok:
        msg = f"u(x_pt) = {u:.4g} ≤ 0.3·σ_pt = {limit:.4g}: negligible, use z scores"
    else:
        msg = (
            f"u(x_pt) = {u:.4g} > 0.3·σ_pt = {limit:.4g}: not negligible — use z′ (9.5), "
            "reduce u(x_pt), or state the uncertainty in the report (9.2.1)"
        )
    return UncertaintyCheck(u, s, limit, u / s, ok, "z" if ok else "z′", msg)


# --------------------------------------------------------------------------------------------
# scores (ISO 13528:2022 clause 9)
# --------------------------------------------------------------------------------------------
class Performance(IntEnum):
    """Performance class of a score (ISO 13528:2022 9.4.1, 9.7; ISO/IEC 17043)."""

    SATISFACTORY = 0  # 满意
    QUESTIONABLE = 1  # 有问题
    UNSATISFACTORY = 2  # 不满意


@dataclass(frozen=True, eq=False)
class Scores:
    """Scores of p participants (dimensionless) and their classes (``Performance`` codes)."""

    kind: str  # "z", "z′", "ζ", "Eₙ"
    values: np.ndarray
    classes: np.ndarray  # int8 codes of :class:`Performance`
    parameters: dict[str, float] = field(default_factory=dict)

    def labels(self) -> list[str]:
        """Class names per participant: 'satisfactory', 'questionable', 'unsatisfactory'."""
        names = np.array([p.name.lower() for p in Performance])
        return names[self.classes].tolist()

    def counts(self) -> dict[str, int]:
        c = np.bincount(self.classes, minlength=len(Performance))
        return {p.name.lower(): int(c[p.value]) for p in Performance}

    def __len__(self) -> int:
        return int(self.values.size)


def _classify_z(z: np.ndarray) -> np.ndarray:
    a = np.abs(z)
    out = np.full(a.shape, Performance.QUESTIONABLE, dtype=np.int8)
    out[a <= 2.0] = Performance.SATISFACTORY
    out[a >= 3.0] = Performance.UNSATISFACTORY
    return out


def _classify_en(en: np.ndarray) -> np.ndarray:
    out = np.full(en.shape, Performance.UNSATISFACTORY, dtype=np.int8)
    out[np.abs(en) <= 1.0] = Performance.SATISFACTORY
    return out


def _x_pt(x_pt: float | AssignedValue) -> float:
    return x_pt.value if isinstance(x_pt, AssignedValue) else _finite_scalar("x_pt", x_pt)


def z_scores(
    x: Sequence[float] | np.ndarray, x_pt: float | AssignedValue, sigma_pt: float | SigmaPT
) -> Scores:
    """z = (xᵢ − x_pt)/σ_pt (ISO 13528:2022 9.4)."""
    a = _results("x", x)
    xp, s = _x_pt(x_pt), _sigma_value(sigma_pt)
    z = (a - xp) / s
    return Scores("z", z, _classify_z(z), {"x_pt": xp, "sigma_pt": s})


def z_prime_scores(
    x: Sequence[float] | np.ndarray,
    x_pt: float | AssignedValue,
    sigma_pt: float | SigmaPT,
    u_x_pt: float | None = None,
) -> Scores:
    """z′ = (xᵢ − x_pt)/√(σ_pt² + u²(x_pt)) (9.5).

    u(x_pt) is taken from ``x_pt`` when it is an :class:`AssignedValue` and ``u_x_pt`` is omitted.
    """
    a = _results("x", x)
    xp, s = _x_pt(x_pt), _sigma_value(sigma_pt)
    if u_x_pt is None:
        if not isinstance(x_pt, AssignedValue):
            raise PTError("u_x_pt", "z′ needs the standard uncertainty of the assigned value")
        u = x_pt.standard_uncertainty
    else:
        u = _finite_scalar("u_x_pt", u_x_pt)
        if u < 0:
            raise PTError("u_x_pt", f"must be ≥ 0, got {u}")
    z = (a - xp) / math.sqrt(s * s + u * u)
    return Scores("z′", z, _classify_z(z), {"x_pt": xp, "sigma_pt": s, "u_x_pt": u})


def zeta_scores(
    x: Sequence[float] | np.ndarray,
    u_x: float | Sequence[float] | np.ndarray,
    x_pt: float | AssignedValue,
    u_x_pt: float | None = None,
) -> Scores:
    """ζ = (xᵢ − x_pt)/√(u²(xᵢ) + u²(x_pt)) with standard uncertainties (9.6)."""
    a = _results("x", x)
    u = _uncertainties("u_x", u_x, a.size)
    xp = _x_pt(x_pt)
    if u_x_pt is None:
        if not isinstance(x_pt, AssignedValue):
            raise PTError("u_x_pt", "ζ needs the standard uncertainty of the assigned value")
        upt = x_pt.standard_uncertainty
    else:
        upt = _finite_scalar("u_x_pt", u_x_pt)
        if upt < 0:
            raise PTError("u_x_pt", f"must be ≥ 0, got {upt}")
    den = np.sqrt(u * u + upt * upt)
    zero = np.flatnonzero(den == 0)
    if zero.size:
        raise PTError(
            "u_x", f"participant index {int(zero[0])}: u(xᵢ) and u(x_pt) are both 0, ζ undefined"
        )
    z = (a - xp) / den
    return Scores("ζ", z, _classify_z(z), {"x_pt": xp, "u_x_pt": upt})


def en_scores(
    x: Sequence[float] | np.ndarray,
    expanded_u_x: float | Sequence[float] | np.ndarray,
    x_pt: float | AssignedValue,
    expanded_u_x_pt: float | None = None,
    *,
    k: float = 2.0,
) -> Scores:
    """Eₙ = (xᵢ − x_pt)/√(U²(xᵢ) + U²(x_pt)) with expanded uncertainties (9.7).

    ``k`` is the coverage factor the U are stated at (about 95 %: k = 2); when ``x_pt`` is an
    :class:`AssignedValue` and ``expanded_u_x_pt`` is omitted, U(x_pt) = k·u(x_pt).
    """
    a = _results("x", x)
    big_u = _uncertainties("expanded_u_x", expanded_u_x, a.size)
    kk = _positive_scalar("k", k)
    xp = _x_pt(x_pt)
    if expanded_u_x_pt is None:
        if not isinstance(x_pt, AssignedValue):
            raise PTError("expanded_u_x_pt", "Eₙ needs the expanded uncertainty U(x_pt)")
        upt = kk * x_pt.standard_uncertainty
    else:
        upt = _finite_scalar("expanded_u_x_pt", expanded_u_x_pt)
        if upt < 0:
            raise PTError("expanded_u_x_pt", f"must be ≥ 0, got {upt}")
    den = np.sqrt(big_u * big_u + upt * upt)
    zero = np.flatnonzero(den == 0)
    if zero.size:
        raise PTError(
            "expanded_u_x",
            f"participant index {int(zero[0])}: U(xᵢ) and U(x_pt) are both 0, Eₙ undefined",
        )
    en = (a - xp) / den
    return Scores("Eₙ", en, _classify_en(en), {"x_pt": xp, "U_x_pt": upt, "k": kk})


# --------------------------------------------------------------------------------------------
# graphical methods (ISO 13528:2022 clause 10)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class KernelDensity:
    """Gaussian kernel density of the results: ``grid`` (unit of x), ``density`` (1/unit of x)."""

    grid: np.ndarray
    density: np.ndarray
    bandwidth: float
    mode: float  # grid point of the highest density (unit of x)


def kernel_density(
    values: Sequence[float] | np.ndarray,
    *,
    bandwidth: float | None = None,
    s_star: float | None = None,
    points: int = 512,
    extend: float = 3.0,
) -> KernelDensity:
    """Kernel density estimate for graphical review (ISO 13528:2022 10.3).

    Bandwidth h = 0.9·s*·p^(−1/5) (Silverman's rule on a robust s*, as 10.3 proposes) with s*
    from Algorithm A unless ``s_star`` or an explicit ``bandwidth`` (e.g. 0.75·σ_pt) is given.
    The grid spans [min − extend·h, max + extend·h] with ``points`` points; the density integrates
    to 1 over the real line.
    """
    x = _results("values", values)
    _enough("values", x.size, 2)
    if bandwidth is None:
        s = algorithm_a(x).scale if s_star is None else _positive_scalar("s_star", s_star)
        h = 0.9 * s * x.size ** (-0.2)
    else:
        h = _positive_scalar("bandwidth", bandwidth)
    if isinstance(points, bool) or not isinstance(points, int) or points < 2:
        raise PTError("points", f"must be an integer ≥ 2, got {points!r}")
    ext = _positive_scalar("extend", extend)
    grid = np.linspace(x.min() - ext * h, x.max() + ext * h, points)
    dens = np.zeros(points)
    step = max(1, 4_000_000 // points)
    for k in range(0, x.size, step):
        u = (grid[:, None] - x[None, k : k + step]) / h
        dens += np.exp(-0.5 * u * u).sum(axis=1)
    dens /= x.size * h * math.sqrt(2.0 * math.pi)
    return KernelDensity(grid, dens, h, float(grid[int(np.argmax(dens))]))


@dataclass(frozen=True, eq=False)
class YoudenData:
    """Standardised pairs for a Youden plot (10.5): zₐ, z_b per participant (dimensionless)."""

    z_a: np.ndarray
    z_b: np.ndarray
    centre_a: float
    centre_b: float
    scale_a: float
    scale_b: float
    correlation: float  # Pearson r of the pairs: clearly > 0 hints at laboratory bias
    rank_correlation: float  # Spearman ρ of the pairs (robust to outlying pairs)


def youden_data(
    a: Sequence[float] | np.ndarray,
    b: Sequence[float] | np.ndarray,
    *,
    centre_a: float | None = None,
    centre_b: float | None = None,
    scale_a: float | None = None,
    scale_b: float | None = None,
) -> YoudenData:
    """Standardise paired results of items A and B, zₐ = (aᵢ − x_A)/s_A, z_b likewise.

    Centres and scales default to Algorithm A's x* and s* of each item; pass x_pt and σ_pt to plot
    z scores instead.
    """
    xa, xb = _results("a", a), _results("b", b)
    if xa.size != xb.size:
        raise PTError("b", f"needs one result per participant of a ({xa.size}), got {xb.size}")
    _enough("a", xa.size, MIN_RESULTS)
    ra = algorithm_a(xa) if centre_a is None or scale_a is None else None
    rb = algorithm_a(xb) if centre_b is None or scale_b is None else None
    ca = ra.location if centre_a is None else _finite_scalar("centre_a", centre_a)
    cb = rb.location if centre_b is None else _finite_scalar("centre_b", centre_b)
    sa = ra.scale if scale_a is None else _positive_scalar("scale_a", scale_a)
    sb = rb.scale if scale_b is None else _positive_scalar("scale_b", scale_b)
    za, zb = (xa - ca) / sa, (xb - cb) / sb
    r = float(np.corrcoef(za, zb)[0, 1])
    rho = float(stats.spearmanr(za, zb).statistic)
    return YoudenData(za, zb, ca, cb, sa, sb, r, rho)
