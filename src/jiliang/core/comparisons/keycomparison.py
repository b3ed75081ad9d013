"""CIPM MRA key-comparison analysis (关键比对数据分析): KCRV, consistency, degrees of equivalence.

Units: every value ``x`` and standard uncertainty ``u`` is in the unit of the measurand (the
same unit for all labs: m, V, mg/kg…); covariances and the between-lab variance τ² are in that
unit squared; χ², p-values, weights and Eₙ-like ratios are dimensionless.

Reference values (关键比对参考值 KCRV), each a :class:`ReferenceValue`:

* :func:`weighted_mean` — Cox 2002 (Metrologia 39 589) procedure A: inverse-variance weighted
  mean (generalised least squares when a covariance matrix of the labs is given, Cox 2007 §3),
  u(x_ref) = (Σ 1/u²)^-½, and the χ² consistency test χ²_obs against χ²_{N−1} at 5 %
  (:func:`consistency_test`, also P(χ²_{N−1} > χ²_obs)).
* :func:`largest_consistent_subset` — Cox 2007 (Metrologia 44 187): when the test fails, the
  largest subset of labs whose weighted mean passes it (complete enumeration, largest size
  first; ties broken by the smallest u(x_ref), as metRology's ``LCS``).
* :func:`median_reference` — Cox 2002 procedure B: median, u(median) by Monte Carlo with
  :func:`jiliang.core.uncertainty.mcm_multivariate` (JCGM 101/102), which also gives u(dᵢ).
* :func:`dersimonian_laird`, :func:`paule_mandel` — random-effects (随机效应) consensus:
  between-lab variance τ² (暗不确定度 "dark uncertainty"), weights 1/(uᵢ² + τ²).
* :func:`arithmetic_mean` — the plain mean with u = s/√N and ν = N − 1 (CCQM guidance).

Degrees of equivalence (等效度): :func:`degrees_of_equivalence` gives dᵢ = xᵢ − x_ref and
u²(dᵢ) = Vᵢᵢ + u²(x_ref) − 2 cov(xᵢ, x_ref) with cov(xᵢ, x_ref) = (V a)ᵢ for a reference that
is linear in the lab values, x_ref = Σ aⱼ xⱼ. For the weighted mean of independent labs this is
u²(xᵢ) − u²(x_ref) for a contributing lab and u²(xᵢ) + u²(x_ref) for a non-contributing one
(Cox 2002 §5); a shared traceability source enters through V (correlated labs).
:func:`pairwise_degrees_of_equivalence` gives dᵢⱼ = xᵢ − xⱼ, u²(dᵢⱼ) = Vᵢᵢ + Vⱼⱼ − 2Vᵢⱼ.

:func:`evaluate_key_comparison` runs the usual sequence: weighted mean and χ² test, and when it
fails a documented alternative, then the DoE tables. Linking an RMO comparison to the CIPM one
is in :mod:`jiliang.core.comparisons.linking`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from scipy import linalg, optimize, stats

__all__ = [
    "ComparisonData",
    "ConsistencyTest",
    "DegreesOfEquivalence",
    "KeyComparisonResult",
    "LCSResult",
    "PairwiseDoE",
    "ReferenceValue",
    "arithmetic_mean",
    "consistency_test",
    "degrees_of_equivalence",
    "dersimonian_laird",
    "evaluate_key_comparison",
    "largest_consistent_subset",
    "median_reference",
    "pairwise_degrees_of_equivalence",
    "paule_mandel",
    "weighted_mean",
]

Fallback = Literal["lcs", "median", "dersimonian_laird", "paule_mandel", "none"]


def _readonly(a: np.ndarray) -> np.ndarray:
    a = np.array(a, dtype=float, copy=True)
    a.flags.writeable = False
    return a


@dataclass(frozen=True)
class ComparisonData:
    """The labs' results (比对结果): values, standard uncertainties and their covariance.

    Attributes:
        labs: laboratory identifiers (unique).
        x: measured values xᵢ, unit of the measurand.
        u: standard uncertainties u(xᵢ) > 0, unit of the measurand.
        cov: covariance matrix V of the xᵢ (unit²); ``diag(u²)`` when the labs are
            independent. Off-diagonal terms model a shared traceability source (共同溯源).
        correlated: True when a covariance matrix with off-diagonal terms was given.
    """

    labs: tuple[str, ...]
    x: np.ndarray
    u: np.ndarray
    cov: np.ndarray
    correlated: bool = False

    @classmethod
    def of(
        cls,
        x: Sequence[float] | np.ndarray,
        u: Sequence[float] | np.ndarray,
        labs: Sequence[str] | None = None,
        cov: Sequence[Sequence[float]] | np.ndarray | None = None,
        *,
        min_labs: int = 2,
    ) -> ComparisonData:
        """Validate and freeze the inputs; raise ValueError naming the offending field."""
        xa = np.asarray(x, dtype=float)
        ua = np.asarray(u, dtype=float)
        if xa.ndim != 1:
            raise ValueError(f"x must be a 1-D sequence of values, got shape {xa.shape}")
        if ua.ndim != 1:
            raise ValueError(f"u must be a 1-D sequence of uncertainties, got shape {ua.shape}")
        n = xa.size
        if ua.size != n:
            raise ValueError(f"x and u must have the same length ({n} ≠ {ua.size})")
        if n < min_labs:
            raise ValueError(f"x: at least {min_labs} labs are needed, got {n}")
        bad = np.flatnonzero(~np.isfinite(xa))
        if bad.size:
            raise ValueError(f"x[{bad[0]}] must be finite, got {xa[bad[0]]!r}")
        bad = np.flatnonzero(~(np.isfinite(ua) & (ua > 0)))
        if bad.size:
            raise ValueError(f"u[{bad[0]}] must be positive and finite, got {ua[bad[0]]!r}")
        if labs is None:
            names = tuple(f"L{i + 1}" for i in range(n))
        else:
            names = tuple(str(s) for s in labs)
            if len(names) != n:
                raise ValueError(f"labs and x must have the same length ({len(names)} ≠ {n})")
            dup = [s for s in set(names) if names.count(s) > 1]
            if dup:
                raise ValueError(f"labs must be unique, {sorted(dup)[0]!r} appears twice")
        correlated = False
        if cov is None:
            v = np.diag(ua**2)
        else:
            v = np.asarray(cov, dtype=float)
            if v.shape != (n, n):
                raise ValueError(f"cov must be a {n}×{n} matrix, got shape {v.shape}")
            if not np.all(np.isfinite(v)):
                raise ValueError("cov must contain only finite numbers")
            if not np.allclose(v, v.T, rtol=1e-12, atol=0.0):
                raise ValueError("cov must be symmetric")
            if not np.allclose(np.diag(v), ua**2, rtol=1e-9, atol=0.0):
                i = int(np.argmax(np.abs(np.diag(v) - ua**2)))
                raise ValueError(
                    f"cov diagonal must equal u² (cov[{i}][{i}] = {v[i, i]!r}, "
                    f"u[{i}]² = {ua[i] ** 2!r})"
                )
            lam = np.linalg.eigvalsh(v)
            if lam[0] < -1e-12 * max(lam[-1], 0.0):
                raise ValueError(
                    f"cov must be positive semi-definite (smallest eigenvalue {lam[0]:.3g})"
                )
            correlated = bool(np.any(v - np.diag(np.diag(v))))
        return cls(names, _readonly(xa), _readonly(ua), _readonly(v), correlated)

    @property
    def n(self) -> int:
        return int(self.x.size)

    def mask(self, include: Sequence[bool] | Sequence[str] | None) -> np.ndarray:
        """Boolean mask of contributing labs from booleans or lab names (``None`` → all)."""
        if include is None:
            return np.ones(self.n, dtype=bool)
        inc = list(include)
        if inc and all(isinstance(v, bool | np.bool_) for v in inc):
            if len(inc) != self.n:
                raise ValueError(f"include and x must have the same length ({len(inc)} ≠ {self.n})")
            return np.asarray(inc, dtype=bool)
        m = np.zeros(self.n, dtype=bool)
        for name in inc:
            if str(name) not in self.labs:
                raise ValueError(f"include: unknown lab {name!r}")
            m[self.labs.index(str(name))] = True
        return m


@dataclass(frozen=True)
class ConsistencyTest:
    """χ² consistency check (一致性检验) of Cox 2002 §4 procedure A step 3.

    χ²_obs = Σ (xᵢ − x_ref)²/u²(xᵢ) (or rᵀV⁻¹r with correlations), compared with the
    (1 − α) quantile of χ² with ν = N − 1 degrees of freedom; ``p_value`` = P(χ²_ν > χ²_obs).
    """

    chi2_obs: float
    dof: int
    alpha: float
    critical: float
    p_value: float

    @property
    def passed(self) -> bool:
        """True when χ²_obs ≤ χ²_{ν, 1−α} (the labs are consistent)."""
        return self.chi2_obs <= self.critical

    @property
    def birge_ratio(self) -> float:
        """R_B = √(χ²_obs/ν)."""
        return math.sqrt(self.chi2_obs / self.dof)


@dataclass(frozen=True)
class ReferenceValue:
    """A key comparison reference value x_ref with its standard uncertainty (unit of x).

    Attributes:
        method: ``weighted_mean``, ``lcs``, ``median``, ``dersimonian_laird``,
            ``paule_mandel`` or ``arithmetic_mean``.
        value, u: x_ref and u(x_ref).
        included: per lab, whether it contributes to x_ref.
        weights: sensitivities aᵢ of a linear reference x_ref = Σ aᵢ xᵢ (Σ aᵢ = 1, 0 for
            non-contributing labs); ``None`` for the median.
        tau2: between-lab variance τ² (unit²), 0 unless random effects.
        dof: degrees of freedom of u(x_ref) (``inf`` except for the arithmetic mean).
        consistency: χ² test of the contributing labs about x_ref (weighted means only).
        u_doe: for the median, Monte Carlo u(dᵢ) per lab; ``None`` otherwise.
        trials, seed: Monte Carlo trials and seed (median only).
        data: the labs' results the reference was computed from.
    """

    method: str
    value: float
    u: float
    included: tuple[bool, ...]
    weights: tuple[float, ...] | None
    data: ComparisonData = field(repr=False)
    tau2: float = 0.0
    dof: float = math.inf
    consistency: ConsistencyTest | None = None
    u_doe: tuple[float, ...] | None = None
    trials: int | None = None
    seed: int | None = None

    @property
    def tau(self) -> float:
        return math.sqrt(self.tau2)

    def expanded(self, k: float = 2.0) -> float:
        """U(x_ref) = k·u(x_ref)."""
        return k * self.u


@dataclass(frozen=True)
class LCSResult:
    """Largest consistent subset (最大一致子集, Cox 2007).

    Attributes:
        reference: the weighted mean of the chosen subset (method ``lcs``).
        subsets: every consistent subset of the largest size, as tuples of lab names.
        excluded: labs outside the chosen subset (their DoE are non-contributing).
        evaluated: number of subsets whose χ² was computed.
    """

    reference: ReferenceValue
    subsets: tuple[tuple[str, ...], ...]
    excluded: tuple[str, ...]
    evaluated: int


@dataclass(frozen=True)
class DegreesOfEquivalence:
    """Unilateral degrees of equivalence (单边等效度) dᵢ = xᵢ − x_ref (unit of x).

    ``en`` is the Eₙ-like ratio |dᵢ|/U(dᵢ); ``flagged`` marks |dᵢ| > U(dᵢ).
    """

    labs: tuple[str, ...]
    d: tuple[float, ...]
    u: tuple[float, ...]
    U: tuple[float, ...]
    k: float
    en: tuple[float, ...]
    included: tuple[bool, ...]
    method: str

    @property
    def flagged(self) -> tuple[bool, ...]:
        return tuple(e > 1.0 for e in self.en)

    def rows(self) -> list[dict[str, Any]]:
        """One dict per lab (for tables and reports)."""
        return [
            {
                "lab": lab,
                "d": d,
                "u": u,
                "U": U,
                "en": en,
                "included": inc,
                "flagged": en > 1.0,
            }
            for lab, d, u, U, en, inc in zip(
                self.labs, self.d, self.u, self.U, self.en, self.included, strict=True
            )
        ]


@dataclass(frozen=True)
class PairwiseDoE:
    """Bilateral degrees of equivalence (双边等效度) dᵢⱼ = xᵢ − xⱼ, matrices indexed [i][j]."""

    labs: tuple[str, ...]
    d: tuple[tuple[float, ...], ...]
    u: tuple[tuple[float, ...], ...]
    U: tuple[tuple[float, ...], ...]
    k: float

    @property
    def en(self) -> tuple[tuple[float, ...], ...]:
        """|dᵢⱼ|/U(dᵢⱼ) (0 on the diagonal)."""
        return tuple(
            tuple(abs(d) / U if U > 0 else 0.0 for d, U in zip(dr, Ur, strict=True))
            for dr, Ur in zip(self.d, self.U, strict=True)
        )


@dataclass(frozen=True)
class KeyComparisonResult:
    """Outcome of :func:`evaluate_key_comparison`."""

    reference: ReferenceValue
    weighted_mean: ReferenceValue
    consistency: ConsistencyTest
    fallback: str | None
    doe: DegreesOfEquivalence
    pairwise: PairwiseDoE
    lcs: LCSResult | None = None


# ----------------------------------------------------------------------------- helpers


def _check_alpha(alpha: float) -> float:
    if not (isinstance(alpha, int | float) and 0.0 < float(alpha) < 1.0):
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    return float(alpha)


def _chi2(chi2_obs: float, dof: int, alpha: float) -> ConsistencyTest:
    return ConsistencyTest(
        chi2_obs=float(chi2_obs),
        dof=int(dof),
        alpha=alpha,
        critical=float(stats.chi2.ppf(1.0 - alpha, dof)),
        p_value=float(stats.chi2.sf(chi2_obs, dof)),
    )


def _gls(x: np.ndarray, v: np.ndarray) -> tuple[float, float, np.ndarray, float]:
    """Weighted mean of x with covariance v: (x_ref, u(x_ref), sensitivities a, χ²_obs)."""
    n = x.size
    dv = np.diag(v)
    if not np.any(v - np.diag(dv)):  # independent labs: the closed form, O(N)
        w = 1.0 / dv
        s = float(w.sum())
        a = w / s
        ref = float(a @ x)
        return ref, 1.0 / math.sqrt(s), a, float((w * (x - ref) ** 2).sum())
    try:
        c = np.linalg.cholesky(v)
    except np.linalg.LinAlgError:
        raise ValueError("cov of the contributing labs must be positive definite") from None
    ones = np.ones(n)
    y1 = linalg.solve_triangular(c, ones, lower=True)
    vinv1 = linalg.solve_triangular(c.T, y1, lower=False)
    s = float(ones @ vinv1)
    a = vinv1 / s
    ref = float(a @ x)
    z = linalg.solve_triangular(c, x - ref, lower=True)
    return ref, 1.0 / math.sqrt(s), a, float(z @ z)


def _linear_reference(
    data: ComparisonData,
    mask: np.ndarray,
    method: str,
    alpha: float,
    tau2: float = 0.0,
) -> ReferenceValue:
    idx = np.flatnonzero(mask)
    v = data.cov[np.ix_(idx, idx)] + tau2 * np.eye(idx.size)
    ref, u_ref, a_sub, chi2_obs = _gls(data.x[idx], v)
    a = np.zeros(data.n)
    a[idx] = a_sub
    test = _chi2(chi2_obs, idx.size - 1, alpha) if tau2 == 0.0 else None
    return ReferenceValue(
        method=method,
        value=ref,
        u=u_ref,
        included=tuple(bool(b) for b in mask),
        weights=tuple(float(w) for w in a),
        data=data,
        tau2=float(tau2),
        consistency=test,
    )


def _mask_min(mask: np.ndarray, minimum: int, what: str) -> None:
    if int(mask.sum()) < minimum:
        raise ValueError(
            f"include: {what} needs at least {minimum} contributing labs, got {int(mask.sum())}"
        )


# ----------------------------------------------------------------------------- references


def consistency_test(
    x: Sequence[float] | np.ndarray,
    u: Sequence[float] | np.ndarray,
    *,
    cov: Sequence[Sequence[float]] | np.ndarray | None = None,
    alpha: float = 0.05,
) -> ConsistencyTest:
    """χ² test of the labs about their weighted mean (Cox 2002 procedure A, dimensionless)."""
    ref = weighted_mean(x, u, cov=cov, alpha=alpha)
    assert ref.consistency is not None
    return ref.consistency


def weighted_mean(
    x: Sequence[float] | np.ndarray,
    u: Sequence[float] | np.ndarray,
    labs: Sequence[str] | None = None,
    *,
    cov: Sequence[Sequence[float]] | np.ndarray | None = None,
    include: Sequence[bool] | Sequence[str] | None = None,
    alpha: float = 0.05,
) -> ReferenceValue:
    """KCRV as the inverse-variance weighted mean (加权平均, Cox 2002 procedure A).

    x_ref = Σ xᵢ/u²(xᵢ) / Σ 1/u²(xᵢ), u(x_ref) = (Σ 1/u²(xᵢ))^-½ (unit of x); with a
    covariance matrix V the generalised least-squares form x_ref = 1ᵀV⁻¹x / 1ᵀV⁻¹1,
    u²(x_ref) = 1/(1ᵀV⁻¹1). Only the ``include`` labs contribute; the χ² test of those labs is
    attached as ``consistency``.
    """
    alpha = _check_alpha(alpha)
    data = ComparisonData.of(x, u, labs, cov)
    mask = data.mask(include)
    _mask_min(mask, 2, "the weighted mean")
    return _linear_reference(data, mask, "weighted_mean", alpha)


def arithmetic_mean(
    x: Sequence[float] | np.ndarray,
    u: Sequence[float] | np.ndarray,
    labs: Sequence[str] | None = None,
    *,
    include: Sequence[bool] | Sequence[str] | None = None,
) -> ReferenceValue:
    """Arithmetic mean (算术平均) of the contributing labs, u = s/√N with ν = N − 1 (unit of x).

    Used when the stated uncertainties are not trusted for weighting (e.g. CCQM-K30). The
    sensitivities are aᵢ = 1/N, so the DoE covariance term is u²(xᵢ)/N for a contributing lab.
    """
    data = ComparisonData.of(x, u, labs, None)
    mask = data.mask(include)
    _mask_min(mask, 2, "the arithmetic mean")
    xs = data.x[mask]
    n = xs.size
    a = np.where(mask, 1.0 / n, 0.0)
    return ReferenceValue(
        method="arithmetic_mean",
        value=float(xs.mean()),
        u=float(xs.std(ddof=1) / math.sqrt(n)),
        included=tuple(bool(b) for b in mask),
        weights=tuple(float(w) for w in a),
        data=data,
        dof=float(n - 1),
    )


def largest_consistent_subset(
    x: Sequence[float] | np.ndarray,
    u: Sequence[float] | np.ndarray,
    labs: Sequence[str] | None = None,
    *,
    cov: Sequence[Sequence[float]] | np.ndarray | None = None,
    alpha: float = 0.05,
    max_subsets: int = 2_000_000,
) -> LCSResult:
    """Largest consistent subset (Cox 2007, Metrologia 44 187) and its weighted mean.

    Subsets are enumerated from size N downwards; the first size at which at least one subset
    passes the χ² test (α) is the LCS size. Several passing subsets of that size are all
    reported; the one with the smallest u(x_ref) is chosen (ties: smallest χ²_obs). Raises
    ValueError when more than ``max_subsets`` χ² evaluations would be needed or when no
    subset of two or more labs is consistent.
    """
    alpha = _check_alpha(alpha)
    data = ComparisonData.of(x, u, labs, cov, min_labs=3)
    n = data.n
    evaluated = 0
    w = 1.0 / data.u**2
    for size in range(n, 1, -1):
        count = math.comb(n, size)
        if evaluated + count > max_subsets:
            raise ValueError(
                f"x: the largest consistent subset of {n} labs needs more than "
                f"{max_subsets} subsets of size ≥ {size}; raise max_subsets or choose another "
                "reference"
            )
        crit = float(stats.chi2.ppf(1.0 - alpha, size - 1))
        passing: list[tuple[float, float, tuple[int, ...]]] = []
        if not data.correlated:
            combos = np.fromiter(
                itertools.chain.from_iterable(itertools.combinations(range(n), size)),
                dtype=np.int64,
                count=count * size,
            ).reshape(count, size)
            for start in range(0, count, 65536):
                c = combos[start : start + 65536]
                ws, xs = w[c], data.x[c]
                sw = ws.sum(axis=1)
                ref = (ws * xs).sum(axis=1) / sw
                chi = (ws * (xs - ref[:, None]) ** 2).sum(axis=1)
                for j in np.flatnonzero(chi <= crit):
                    passing.append((1.0 / math.sqrt(sw[j]), float(chi[j]), tuple(c[j])))
        else:
            for c in itertools.combinations(range(n), size):
                ci = list(c)
                _, u_ref, _, chi = _gls(data.x[ci], data.cov[np.ix_(ci, ci)])
                if chi <= crit:
                    passing.append((u_ref, chi, c))
        evaluated += count
        if passing:
            passing.sort()
            best = passing[0][2]
            mask = np.zeros(n, dtype=bool)
            mask[list(best)] = True
            ref = _linear_reference(data, mask, "lcs", alpha)
            return LCSResult(
                reference=ref,
                subsets=tuple(tuple(data.labs[i] for i in p[2]) for p in passing),
                excluded=tuple(data.labs[i] for i in range(n) if not mask[i]),
                evaluated=evaluated,
            )
    raise ValueError(f"x: no subset of two or more labs passes the χ² test at alpha = {alpha}")


def dersimonian_laird(
    x: Sequence[float] | np.ndarray,
    u: Sequence[float] | np.ndarray,
    labs: Sequence[str] | None = None,
    *,
    include: Sequence[bool] | Sequence[str] | None = None,
) -> ReferenceValue:
    """DerSimonian–Laird random-effects consensus (DerSimonian & Laird 1986).

    With wᵢ = 1/uᵢ², the fixed-effect mean x̄_w and Q = Σ wᵢ(xᵢ − x̄_w)²:
    τ² = max(0, (Q − (N − 1)) / (Σwᵢ − Σwᵢ²/Σwᵢ)) (unit²); then x_ref = Σ wᵢ* xᵢ / Σ wᵢ*,
    u(x_ref) = (Σ wᵢ*)^-½ with wᵢ* = 1/(uᵢ² + τ²). Labs are taken as independent.
    """
    data = ComparisonData.of(x, u, labs, None)
    mask = data.mask(include)
    _mask_min(mask, 3, "a random-effects reference")
    xs, us = data.x[mask], data.u[mask]
    w = 1.0 / us**2
    sw = w.sum()
    mean = float((w * xs).sum() / sw)
    q = float((w * (xs - mean) ** 2).sum())
    c = float(sw - (w**2).sum() / sw)
    tau2 = max(0.0, (q - (xs.size - 1)) / c)
    return _linear_reference(data, mask, "dersimonian_laird", 0.05, tau2)


def paule_mandel(
    x: Sequence[float] | np.ndarray,
    u: Sequence[float] | np.ndarray,
    labs: Sequence[str] | None = None,
    *,
    include: Sequence[bool] | Sequence[str] | None = None,
    rtol: float = 1e-12,
) -> ReferenceValue:
    """Paule–Mandel random-effects consensus (Paule & Mandel 1982, J. Res. NBS 87 377).

    τ² ≥ 0 solves Σ wᵢ*(xᵢ − x_ref)² = N − 1 with wᵢ* = 1/(uᵢ² + τ²) and x_ref their weighted
    mean (τ² = 0 when the left side is already ≤ N − 1 at τ² = 0); u(x_ref) = (Σ wᵢ*)^-½.
    Root by Brent's method on a bracket found by doubling (the left side decreases in τ²).
    """
    data = ComparisonData.of(x, u, labs, None)
    mask = data.mask(include)
    _mask_min(mask, 3, "a random-effects reference")
    xs, v = data.x[mask], data.u[mask] ** 2
    target = xs.size - 1

    def f(t2: float) -> float:
        w = 1.0 / (v + t2)
        m = (w * xs).sum() / w.sum()
        return float((w * (xs - m) ** 2).sum() - target)

    tau2 = 0.0
    if f(0.0) > 0.0:
        hi = max(float(np.var(xs, ddof=1)), float(v.max()), 1e-300)
        while f(hi) > 0.0:
            hi *= 2.0
        tau2 = float(optimize.brentq(f, 0.0, hi, xtol=1e-300, rtol=max(rtol, 4e-16)))
    return _linear_reference(data, mask, "paule_mandel", 0.05, tau2)


def median_reference(
    x: Sequence[float] | np.ndarray,
    u: Sequence[float] | np.ndarray,
    labs: Sequence[str] | None = None,
    *,
    cov: Sequence[Sequence[float]] | np.ndarray | None = None,
    include: Sequence[bool] | Sequence[str] | None = None,
    trials: int = 200_000,
    seed: int | None = 1,
) -> ReferenceValue:
    """Median KCRV with its uncertainty by Monte Carlo (Cox 2002 procedure B).

    x_ref = median of the contributing xᵢ. Each trial draws X ~ N(x, V) (Gaussian, with the
    labs' covariance) and takes the median; u(x_ref) is the standard deviation of the trial
    medians, and u(dᵢ) the standard deviation of Xᵢ − median(X) per lab, so the DoE carry the
    correlation between a lab and the median. Propagation by
    :func:`jiliang.core.uncertainty.mcm_multivariate` (JCGM 102 §7), ``trials`` trials,
    reproducible for a given ``seed``.
    """
    from jiliang.core.uncertainty import Input, mcm_multivariate

    data = ComparisonData.of(x, u, labs, cov)
    mask = data.mask(include)
    _mask_min(mask, 3, "the median")
    if int(trials) < 1000:
        raise ValueError(f"trials must be ≥ 1000, got {trials!r}")
    names = [f"x{i}" for i in range(data.n)]
    inputs = [Input.normal(nm, xi, ui) for nm, xi, ui in zip(names, data.x, data.u, strict=True)]
    corr = None
    if data.correlated:
        r = data.cov / np.outer(data.u, data.u)
        corr = [
            [names[i], names[j], float(r[i, j])]
            for i in range(data.n)
            for j in range(i + 1, data.n)
            if r[i, j] != 0.0
        ]
    idx = np.flatnonzero(mask)

    def model(xx: np.ndarray) -> list[np.ndarray]:
        med = np.median(xx[idx], axis=0)
        return [med, *(xx - med)]

    res = mcm_multivariate(model, inputs, corr, trials=int(trials), seed=seed, vector=True)
    su = res.u
    return ReferenceValue(
        method="median",
        value=float(np.median(data.x[mask])),
        u=float(su[0]),
        included=tuple(bool(b) for b in mask),
        weights=None,
        data=data,
        u_doe=tuple(float(s) for s in su[1:]),
        trials=int(trials),
        seed=seed,
    )


# ----------------------------------------------------------------------------- DoE


def degrees_of_equivalence(
    reference: ReferenceValue, *, k: float = 2.0, include_tau2: bool = False
) -> DegreesOfEquivalence:
    """Unilateral DoE dᵢ = xᵢ − x_ref with u(dᵢ) and U(dᵢ) = k·u(dᵢ) (unit of x).

    Linear references (x_ref = Σ aⱼ xⱼ): u²(dᵢ) = Vᵢᵢ + aᵀVa − 2(Va)ᵢ — for the weighted mean
    of independent labs u²(xᵢ) − u²(x_ref) if lab i contributes and u²(xᵢ) + u²(x_ref) if not.
    With ``include_tau2`` (random effects) the lab variance is Vᵢᵢ + τ² and the covariance uses
    V + τ²I, so a lab's "dark uncertainty" enters its DoE. The median uses its Monte Carlo u(dᵢ).
    """
    if not (math.isfinite(k) and k > 0):
        raise ValueError(f"k must be positive, got {k!r}")
    data = reference.data
    d = data.x - reference.value
    if reference.weights is not None:
        a = np.asarray(reference.weights)
        v = data.cov + (reference.tau2 * np.eye(data.n) if include_tau2 else 0.0)
        va = v @ a
        var = np.diag(v) + float(a @ va) - 2.0 * va
        # rounding can leave a tiny negative variance when one lab dominates the reference
        var = np.maximum(var, 0.0)
        ud = np.sqrt(var)
    elif reference.u_doe is not None:
        if include_tau2 and reference.tau2:
            raise ValueError("include_tau2 needs a linear reference")
        ud = np.asarray(reference.u_doe)
    else:  # pragma: no cover - every constructor sets one of the two
        raise ValueError("reference has neither weights nor Monte Carlo u(d)")
    big = ud * k
    en = np.where(big > 0, np.abs(d) / np.where(big > 0, big, 1.0), np.inf)
    return DegreesOfEquivalence(
        labs=data.labs,
        d=tuple(float(v) for v in d),
        u=tuple(float(v) for v in ud),
        U=tuple(float(v) for v in big),
        k=float(k),
        en=tuple(float(v) for v in en),
        included=reference.included,
        method=reference.method,
    )


def pairwise_degrees_of_equivalence(
    x: Sequence[float] | np.ndarray | ComparisonData,
    u: Sequence[float] | np.ndarray | None = None,
    labs: Sequence[str] | None = None,
    *,
    cov: Sequence[Sequence[float]] | np.ndarray | None = None,
    k: float = 2.0,
    tau2: float = 0.0,
) -> PairwiseDoE:
    """Pairwise DoE dᵢⱼ = xᵢ − xⱼ, u²(dᵢⱼ) = Vᵢᵢ + Vⱼⱼ − 2Vᵢⱼ (+ 2τ²), U = k·u (unit of x)."""
    if isinstance(x, ComparisonData):
        data = x
    else:
        if u is None:
            raise ValueError("u is required with raw values x")
        data = ComparisonData.of(x, u, labs, cov)
    if not (math.isfinite(k) and k > 0):
        raise ValueError(f"k must be positive, got {k!r}")
    if not (math.isfinite(tau2) and tau2 >= 0):
        raise ValueError(f"tau2 must be ≥ 0, got {tau2!r}")
    v = data.cov
    dv = np.diag(v)
    d = data.x[:, None] - data.x[None, :]
    var = dv[:, None] + dv[None, :] - 2.0 * v + 2.0 * tau2
    np.fill_diagonal(var, 0.0)
    ud = np.sqrt(np.maximum(var, 0.0))

    def tup(m: np.ndarray) -> tuple[tuple[float, ...], ...]:
        return tuple(tuple(float(e) for e in row) for row in m)

    return PairwiseDoE(labs=data.labs, d=tup(d), u=tup(ud), U=tup(k * ud), k=float(k))


def evaluate_key_comparison(
    x: Sequence[float] | np.ndarray,
    u: Sequence[float] | np.ndarray,
    labs: Sequence[str] | None = None,
    *,
    cov: Sequence[Sequence[float]] | np.ndarray | None = None,
    include: Sequence[bool] | Sequence[str] | None = None,
    alpha: float = 0.05,
    fallback: Fallback = "lcs",
    k: float = 2.0,
    trials: int = 200_000,
    seed: int | None = 1,
) -> KeyComparisonResult:
    """Weighted mean + χ² test; if the test fails, the ``fallback`` reference; then the DoE.

    ``fallback``: ``lcs`` (Cox 2007), ``median`` (Cox 2002 procedure B), ``dersimonian_laird``,
    ``paule_mandel`` or ``none`` (keep the weighted mean and report the failed test).
    The random-effects DoE include τ² in the lab variance (``include_tau2``).
    """
    if fallback not in ("lcs", "median", "dersimonian_laird", "paule_mandel", "none"):
        raise ValueError(
            f"fallback must be lcs, median, dersimonian_laird, paule_mandel or none, "
            f"got {fallback!r}"
        )
    wm = weighted_mean(x, u, labs, cov=cov, include=include, alpha=alpha)
    test = wm.consistency
    assert test is not None
    data = wm.data
    ref, used, lcs, with_tau = wm, None, None, False
    if not test.passed and fallback != "none":
        used = fallback
        sel = [data.labs[i] for i in range(data.n) if wm.included[i]]
        if fallback == "lcs":
            sub_idx = [data.labs.index(s) for s in sel]
            lcs = largest_consistent_subset(
                data.x[sub_idx],
                data.u[sub_idx],
                sel,
                cov=data.cov[np.ix_(sub_idx, sub_idx)] if data.correlated else None,
                alpha=alpha,
            )
            chosen = [
                name
                for name, b in zip(lcs.reference.data.labs, lcs.reference.included, strict=True)
                if b
            ]
            ref = _linear_reference(data, data.mask(chosen), "lcs", alpha)
        elif fallback == "median":
            ref = median_reference(
                data.x, data.u, data.labs, cov=cov, include=sel, trials=trials, seed=seed
            )
        else:
            if data.correlated:
                raise ValueError("cov: random-effects references assume independent labs")
            fn = dersimonian_laird if fallback == "dersimonian_laird" else paule_mandel
            ref = fn(data.x, data.u, data.labs, include=sel)
            with_tau = True
    doe = degrees_of_equivalence(ref, k=k, include_tau2=with_tau)
    pair = pairwise_degrees_of_equivalence(data, k=k, tau2=ref.tau2 if with_tau else 0.0)
    return KeyComparisonResult(
        reference=ref,
        weighted_mean=wm,
        consistency=test,
        fallback=used,
        doe=doe,
        pairwise=pair,
        lcs=lcs,
    )
