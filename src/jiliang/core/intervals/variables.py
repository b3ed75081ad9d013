r"""Variables-data interval method (变量数据法): drift regression of as-found deviations.

For each calibration the time t since the previous calibration (days) and the as-found deviation
δ (as-found − as-left, in the attribute's unit). Following NASA-HDBK-8739.19-5 §7 and Castrup's
variables method (NCSLI RP-1 "variables data"), δ is regressed on t by a polynomial through the
origin (the as-left value y₀ holds at t = 0):

    δ(t) = Σ_{k=1..m} b_k t^k,   b = (TᵀT)⁻¹Tᵀδ,   s² = RSS/(n − m),   cov(b) = s²(TᵀT)⁻¹

The attribute at time t is predicted as y(t) = y₀ + δ̂(t) with standard uncertainty

    u²(t) = t′ᵀ cov(b) t′ + u₀²  (+ s² for ``band="prediction"``)

(u₀ the time-of-test standard uncertainty) with ν = n − m degrees of freedom (the handbook's
convention; give ``u0_dof`` to combine by Welch–Satterthwaite instead). The prediction band at
confidence p is y(t) ± t_ν,q·u(t) with q = (1 + p)/2 when both tolerance limits are given
(two-sided) and q = p for a one-sided tolerance (a limit None). The recommended interval is the
first t where the band reaches a limit; the result also reports the in-tolerance probability
R(τ) = F_ν((T_U − y)/u) − F_ν((T_L − y)/u) there. ``band="prediction"`` (default, as the
handbook's worked example) includes the scatter s of single items about the line;
``band="confidence"`` only the fit's uncertainty and u₀.

:func:`uncertainty_target_interval` gives the NASA "uncertainty target" variant: the first t
where √(t′ᵀ cov t′ + s² + u₀²) reaches a stated standard uncertainty.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

from ._base import IntervalAdvice, IntervalError, as_float_array, finite, probability, same_length


@dataclass(frozen=True)
class DriftPolynomial:
    """δ(t) = Σ b_k t^k (k = 1..m) through the origin, with its covariance."""

    coefficients: tuple[float, ...]  # b₁ (unit/day), b₂ (unit/day²), …
    cov: np.ndarray
    s: float  # residual standard deviation (unit)
    dof: int  # n − m

    @property
    def order(self) -> int:
        return len(self.coefficients)

    def _powers(self, t: np.ndarray) -> np.ndarray:
        return np.stack([t**k for k in range(1, self.order + 1)])

    def deviation(self, t: float | np.ndarray) -> np.ndarray:
        """Predicted deviation δ̂(t) from the as-left value."""
        t = np.asarray(t, dtype=float)
        return np.asarray(np.tensordot(np.asarray(self.coefficients), self._powers(t), 1))

    def u_fit(self, t: float | np.ndarray) -> np.ndarray:
        """Standard uncertainty of δ̂(t) from the fitted coefficients (confidence band)."""
        p = self._powers(np.asarray(t, dtype=float))
        return np.sqrt(np.einsum("i...,ij,j...->...", p, self.cov, p))


def fit_drift_polynomial(t: np.ndarray, delta: np.ndarray, order: int) -> DriftPolynomial:
    tm = np.stack([t**k for k in range(1, order + 1)], axis=1)
    ata = tm.T @ tm
    b = np.linalg.solve(ata, tm.T @ delta)
    dof = t.size - order
    s2 = float(np.sum((delta - tm @ b) ** 2) / dof)
    return DriftPolynomial(tuple(float(v) for v in b), np.linalg.inv(ata) * s2, math.sqrt(s2), dof)


@dataclass(frozen=True, kw_only=True)
class VariablesResult(IntervalAdvice):
    """Variables outcome. ``confidence`` = the level p of the (one- or two-sided) prediction band
    that reaches the tolerance at ``interval_days``; ``reliability`` = R(τ), the in-tolerance
    probability there."""

    fit: DriftPolynomial | None = None
    predicted_value: float | None = None  # y(τ) = y₀ + δ̂(τ)
    predicted_u: float | None = None  # u(τ)
    predicted_dof: float | None = None
    note: str | None = None


def _check(t, delta, order, max_order):
    t = as_float_array("times", t, nonnegative=True)
    d = as_float_array("deviations", delta)
    same_length(times=t, deviations=d)
    if order is not None and (isinstance(order, bool) or order not in (1, 2, 3)):
        raise IntervalError("order", f"must be 1, 2 or 3, got {order!r}")
    if max_order not in (1, 2, 3):
        raise IntervalError("max_order", f"must be 1, 2 or 3, got {max_order!r}")
    return t, d


def _choose_fit(t, d, order, max_order) -> tuple[DriftPolynomial | None, str | None]:
    need = (order or 1) + 2
    if t.size < need:
        return None, f"times: {t.size} observations, the order-{order or 1} fit needs ≥ {need}"
    if np.unique(t).size < (order or 1) + 1 or np.all(t == 0):
        return None, "times: too few distinct times since calibration to fit a drift"
    if order is not None:
        return fit_drift_polynomial(t, d, order), None
    best = None
    for m in range(1, max_order + 1):
        if t.size < m + 2 or np.unique(t).size < m + 1:
            break
        fit = fit_drift_polynomial(t, d, m)
        if best is None or fit.s < best.s:  # Castrup §6: the order with the least s
            best = fit
    return best, None


def variables_interval(
    times: Sequence[float],
    deviations: Sequence[float],
    *,
    lower: float | None,
    upper: float | None,
    target: float = 0.95,
    u0: float = 0.0,
    u0_dof: float | None = None,
    as_left: float = 0.0,
    order: int | None = 1,
    max_order: int = 3,
    band: str = "prediction",
    horizon_factor: float = 50.0,
) -> VariablesResult:
    """Interval (days) at which the ``target``-confidence prediction band reaches the tolerance.

    ``lower``/``upper`` are the tolerance limits of the attribute's value (same unit as the
    deviations and ``as_left`` y₀; one may be None for a one-sided tolerance), ``u0`` the
    time-of-test standard uncertainty. ``order=None`` picks 1..``max_order`` by least residual
    standard deviation.
    """
    t, d = _check(times, deviations, order, max_order)
    rt = probability("target", target)
    u0 = finite("u0", u0)
    if u0 < 0:
        raise IntervalError("u0", f"must be ≥ 0, got {u0}")
    y0 = finite("as_left", as_left)
    lo = None if lower is None else finite("lower", lower)
    hi = None if upper is None else finite("upper", upper)
    if lo is None and hi is None:
        raise IntervalError("upper", "at least one tolerance limit is needed")
    if lo is not None and hi is not None and lo >= hi:
        raise IntervalError("lower", f"must be below upper ({lo} ≥ {hi})")
    if band not in ("prediction", "confidence"):
        raise IntervalError("band", f"must be 'prediction' or 'confidence', got {band!r}")
    fit, why = _choose_fit(t, d, order, max_order)
    if fit is None:
        return VariablesResult(
            interval_days=None,
            reliability=None,
            confidence=None,
            method="variables",
            insufficient=why,
        )
    two_sided = lo is not None and hi is not None
    quant = (1.0 + rt) / 2.0 if two_sided else rt

    def spread(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        uf = fit.u_fit(x)
        parts = [(uf, fit.dof), (np.full_like(uf, u0), fit.dof if u0_dof is None else u0_dof)]
        if band == "prediction":
            parts.append((np.full_like(uf, fit.s), fit.dof))
        u2 = sum(p[0] ** 2 for p in parts)
        if u0_dof is None:
            return np.sqrt(u2), np.full_like(uf, float(fit.dof))
        with np.errstate(divide="ignore", invalid="ignore"):
            den = sum(p[0] ** 4 / p[1] for p in parts)
            nu = np.where(den > 0, u2**2 / den, np.inf)
        return np.sqrt(u2), nu

    def margin(x: np.ndarray) -> np.ndarray:
        """Distance of the nearer band edge from its limit (> 0 while inside)."""
        x = np.atleast_1d(np.asarray(x, dtype=float))
        mu = y0 + fit.deviation(x)
        u, nu = spread(x)
        k = stats.t.ppf(quant, nu)
        m_up = np.full_like(mu, np.inf) if hi is None else hi - (mu + k * u)
        m_dn = np.full_like(mu, np.inf) if lo is None else (mu - k * u) - lo
        return np.minimum(m_up, m_dn)

    def reliability(x: float) -> float:
        mu = float(y0 + fit.deviation(x))
        u, nu = (float(v[0]) for v in spread(np.array([x])))
        up = 1.0 if hi is None else float(stats.t.cdf((hi - mu) / u, nu))
        dn = 0.0 if lo is None else float(stats.t.cdf((lo - mu) / u, nu))
        return up - dn

    def result(tau: float | None, note: str | None, insufficient: str | None = None):
        pv = pu = pn = None
        if tau is not None:
            pv = float(y0 + fit.deviation(tau))
            u, nu = spread(np.array([tau]))
            pu, pn = float(u[0]), float(nu[0])
        return VariablesResult(
            interval_days=tau,
            reliability=None if tau is None else reliability(tau),
            confidence=None if tau is None else rt,
            method=f"variables/{band}",
            insufficient=insufficient,
            fit=fit,
            predicted_value=pv,
            predicted_u=pu,
            predicted_dof=pn,
            note=note,
        )

    if margin(np.array([0.0]))[0] <= 0:
        return result(0.0, "the band is outside the tolerance already at t = 0 (u0 vs tolerance)")
    horizon = horizon_factor * float(t.max())
    grid = np.linspace(0.0, horizon, 2001)
    vals = margin(grid)
    below = np.nonzero(vals <= 0)[0]
    if below.size == 0:
        return result(
            None,
            None,
            f"deviations: the prediction band stays inside the tolerance for "
            f"{horizon_factor:g}× the longest observed time (no usable drift)",
        )
    k = below[0]
    tau = float(optimize.brentq(lambda x: margin(x)[0], grid[k - 1], grid[k], xtol=1e-9))
    return result(tau, None)


def uncertainty_target_interval(
    times: Sequence[float],
    deviations: Sequence[float],
    u_target: float,
    *,
    u0: float = 0.0,
    order: int | None = 1,
    max_order: int = 3,
    horizon_factor: float = 50.0,
) -> VariablesResult:
    """First t (days) where √(u_fit²(t) + s² + u₀²) reaches ``u_target`` (NASA uncertainty
    target, NASA-HDBK-8739.19-5 Table 7-7)."""
    t, d = _check(times, deviations, order, max_order)
    ut = finite("u_target", u_target)
    u0 = finite("u0", u0)
    if ut <= u0:
        raise IntervalError("u_target", f"must exceed u0 ({ut} ≤ {u0})")
    fit, why = _choose_fit(t, d, order, max_order)
    if fit is not None and math.hypot(fit.s, u0) >= ut:
        return VariablesResult(
            interval_days=0.0,
            reliability=None,
            confidence=None,
            method="variables/uncertainty",
            fit=fit,
            note="scatter and u0 already exceed u_target at t = 0",
        )
    if fit is None:
        return VariablesResult(
            interval_days=None,
            reliability=None,
            confidence=None,
            method="variables/uncertainty",
            insufficient=why,
        )
    horizon = horizon_factor * float(t.max())

    def g(x: float) -> float:
        return float(math.sqrt(float(fit.u_fit(x)) ** 2 + fit.s**2 + u0**2) - ut)

    if g(horizon) < 0:
        return VariablesResult(
            interval_days=None,
            reliability=None,
            confidence=None,
            method="variables/uncertainty",
            fit=fit,
            insufficient="deviations: the fit's uncertainty stays below "
            "u_target beyond the horizon",
        )
    tau = float(optimize.brentq(g, 0.0, horizon, xtol=1e-9))
    return VariablesResult(
        interval_days=tau,
        reliability=None,
        confidence=None,
        method="variables/uncertainty",
        fit=fit,
        predicted_value=float(fit.deviation(tau)),
        predicted_u=ut,
    )
