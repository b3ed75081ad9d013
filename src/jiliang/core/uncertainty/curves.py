"""Calibration curves (校准曲线) as budget inputs: least squares, weighted, and with u(x).

A calibration curve fitted to n points (x_i, y_i) gives the prediction ŷ(x*) at a point x* with
its standard uncertainty u(ŷ) from the covariance V of the coefficients, u²(ŷ) = gᵀ V g with
g = (1, x* − x₀, (x* − x₀)², …). Fits:

* ``ols`` — ordinary least squares, polynomial of any degree; V = s²(XᵀX)⁻¹ with the residual
  standard deviation s and ν = n − p (p coefficients). For a straight line this is JCGM 100 H.3
  (eqs. H.13–H.16), ν = n − 2.
* ``wls`` — relative weights wᵢ (known up to one factor): V = s_w²(XᵀWX)⁻¹, ν = n − p.
* ``wls-known-u`` — known standard uncertainties u(yᵢ) (ISO/TS 28037:2010 §6): weights 1/u²(yᵢ),
  V = (XᵀWX)⁻¹ unscaled, ν = ∞, and the χ² consistency test of §6.3 (warned when the observed
  χ² exceeds its 95 % quantile with n − p degrees of freedom).
* ``gdr`` — straight line with uncertainties in both x and y, ISO/TS 28037 §7 generalized distance
  regression (Gauss–Newton on fᵢ = tᵢ^½(yᵢ − a − bxᵢ), tᵢ = 1/(u²(yᵢ) + b²u²(xᵢ)), footpoints
  xᵢ* = xᵢ + b u²(xᵢ) tᵢ (yᵢ − a − bxᵢ)); V = (JᵀJ)⁻¹, ν = ∞, same χ² test.

Not done: covariances between the yᵢ or between xᵢ and yᵢ (ISO/TS 28037 §8–§10), polynomial fits
with u(x), an uncertain evaluation point x*, inverse evaluation (stimulus from a response), and the
correlation between two predictions of one curve used twice in a budget.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from . import distributions as d
from .errors import InputError, UncertaintyError, did_you_mean

__all__ = ["CurveFit", "curve_input", "fit_curve", "fit_line_gdr"]

#: keys of a ``calibration:`` mapping in a budget file
CURVE_KEYS = frozenset({"x", "y", "x0", "degree", "u_y", "weights", "u_x", "at"})
_MAX_POINTS = 100_000
_GDR_MAX_ITER = 100


@dataclass(frozen=True)
class CurveFit:
    """Fitted curve y = Σ c_k (x − x0)^k with the covariance of its coefficients.

    Attributes:
        coefficients: c_0, c_1, … (unit of y per unit of x to the power k).
        covariance: covariance matrix of the coefficients.
        dof: degrees of freedom of the coefficient uncertainties (n − p, or ∞ when the data
            uncertainties are known).
        method: ``ols`` | ``wls`` | ``wls-known-u`` | ``gdr``.
        x0: reference point of the powers (e.g. t₀ = 20 °C in GUM H.3).
        n: number of points.
        s: residual standard deviation (weighted for ``wls``), unit of y (``nan`` when unused).
        chi2: observed χ² = Σ fᵢ² for known uncertainties (``nan`` otherwise).
        warnings: findings of the fit (e.g. a failed χ² test).
    """

    coefficients: np.ndarray
    covariance: np.ndarray
    dof: float
    method: str
    x0: float
    n: int
    s: float = math.nan
    chi2: float = math.nan
    warnings: list[str] = field(default_factory=list)

    @property
    def degree(self) -> int:
        return int(self.coefficients.size - 1)

    @property
    def u_coefficients(self) -> np.ndarray:
        """Standard uncertainties of the coefficients."""
        return np.sqrt(np.clip(np.diag(self.covariance), 0, None))

    @property
    def correlation(self) -> np.ndarray:
        """Correlation matrix of the coefficients (r(y₁, y₂) = −0.930 in GUM H.3)."""
        s = self.u_coefficients
        with np.errstate(invalid="ignore", divide="ignore"):
            r = self.covariance / np.outer(s, s)
        r[~np.isfinite(r)] = 0.0
        np.fill_diagonal(r, 1.0)
        return r

    def predict(self, at: float) -> tuple[float, float]:
        """(ŷ(at), u(ŷ(at))): the curve at ``at`` and its standard uncertainty (GUM eq. H.16)."""
        g = (float(at) - self.x0) ** np.arange(self.coefficients.size)
        var = float(g @ self.covariance @ g)
        return float(g @ self.coefficients), math.sqrt(max(var, 0.0))

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary."""
        return {
            "method": self.method,
            "degree": self.degree,
            "n": self.n,
            "x0": self.x0,
            "coefficients": self.coefficients.tolist(),
            "u_coefficients": self.u_coefficients.tolist(),
            "correlation": self.correlation.tolist(),
            "dof": "inf" if math.isinf(self.dof) else self.dof,
            "s": None if math.isnan(self.s) else self.s,
            "chi2": None if math.isnan(self.chi2) else self.chi2,
            "warnings": list(self.warnings),
        }


def _vector(name: str, key: str, value: Any, n: int | None = None) -> np.ndarray:
    """A finite 1-D float array from a list (or a scalar broadcast to ``n`` values)."""
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise InputError(name, f"calibration.{key} must be numbers, got {value!r}") from None
    if arr.ndim == 0 and n is not None:
        arr = np.full(n, float(arr))
    if arr.ndim != 1:
        raise InputError(name, f"calibration.{key} must be a list of numbers")
    if n is not None and arr.size != n:
        raise InputError(name, f"calibration.{key} has {arr.size} values, x has {n}")
    if arr.size > _MAX_POINTS:
        raise InputError(name, f"calibration.{key}: more than {_MAX_POINTS} points")
    if not np.all(np.isfinite(arr)):
        raise InputError(name, f"calibration.{key} must be finite numbers")
    return arr


def _chi2_warning(chi2: float, dof: int) -> list[str]:
    """ISO/TS 28037 §6.3: the model is doubtful when χ²_obs > χ²_ν(0.95)."""
    if dof <= 0:
        return []
    limit = float(stats.chi2.ppf(0.95, dof))
    if chi2 > limit:
        return [
            f"χ² = {chi2:.3g} exceeds its 95 % quantile {limit:.3g} (ν = {dof}): the data "
            "are inconsistent with the curve or with the stated uncertainties "
            "(ISO/TS 28037 §6.3)"
        ]
    return []


def _covariance_from_r(r: np.ndarray) -> np.ndarray:
    """(RᵀR)⁻¹ from the triangular factor of a QR decomposition (no normal equations)."""
    rinv = np.linalg.inv(r)
    return rinv @ rinv.T


def fit_curve(
    x: Sequence[float],
    y: Sequence[float],
    *,
    degree: int = 1,
    x0: float = 0.0,
    u_y: Sequence[float] | float | None = None,
    weights: Sequence[float] | None = None,
    name: str = "curve",
) -> CurveFit:
    """Least-squares polynomial y = Σ c_k (x − x0)^k (OLS, relative weights, or known u(yᵢ)).

    Args:
        x, y: the calibration points (stimulus and response, in their units).
        degree: polynomial degree (1 = straight line).
        x0: reference point of the powers; centring near the data keeps the fit well conditioned.
        u_y: known standard uncertainties of the yᵢ (ISO/TS 28037 §6) — gives ν = ∞.
        weights: relative weights wᵢ ∝ 1/σᵢ² (scaled by the residuals, ν = n − p).
        name: input name used in error messages.
    """
    if u_y is not None and weights is not None:
        raise InputError(name, "give calibration.u_y (known) or calibration.weights, not both")
    xs = _vector(name, "x", x)
    n = xs.size
    ys = _vector(name, "y", y, n)
    if not (isinstance(degree, int) and not isinstance(degree, bool)) or degree < 0:
        raise InputError(name, f"calibration.degree must be an integer ≥ 0, got {degree!r}")
    p = degree + 1
    dx = xs - float(x0)
    if np.unique(dx).size < p:
        raise InputError(name, f"a degree-{degree} curve needs at least {p} distinct x values")
    if u_y is not None:
        uy = _vector(name, "u_y", u_y, n)
        if np.any(uy <= 0):
            raise InputError(name, "calibration.u_y must be > 0")
        w = 1.0 / uy**2
        method = "wls-known-u"
    elif weights is not None:
        w = _vector(name, "weights", weights, n)
        if np.any(w <= 0):
            raise InputError(name, "calibration.weights must be > 0")
        method = "wls"
    else:
        w = np.ones(n)
        method = "ols"
    if method != "wls-known-u" and n <= p:
        raise InputError(
            name, f"a degree-{degree} fit with uncertainties from the residuals needs > {p} points"
        )
    sw = np.sqrt(w)
    design = dx[:, None] ** np.arange(p)
    q, r = np.linalg.qr(design * sw[:, None])
    if np.min(np.abs(np.diag(r))) <= 1e-12 * np.max(np.abs(np.diag(r))):
        raise InputError(name, "calibration curve is ill-conditioned: choose x0 near the data")
    coef = np.linalg.solve(r, q.T @ (ys * sw))
    resid = (ys - design @ coef) * sw
    base = _covariance_from_r(r)
    ssr = float(resid @ resid)
    if method == "wls-known-u":
        return CurveFit(
            coef, base, math.inf, method, float(x0), n, chi2=ssr, warnings=_chi2_warning(ssr, n - p)
        )
    s = math.sqrt(ssr / (n - p))
    return CurveFit(coef, s**2 * base, float(n - p), method, float(x0), n, s=s)


def fit_line_gdr(
    x: Sequence[float],
    y: Sequence[float],
    u_x: Sequence[float] | float,
    u_y: Sequence[float] | float,
    *,
    x0: float = 0.0,
    tol: float = 1e-13,
    name: str = "curve",
) -> CurveFit:
    """Straight line with uncertainties in x and y: ISO/TS 28037:2010 §7 (GDR).

    Minimises Σ (yᵢ − a − b(xᵢ − x0))² / (u²(yᵢ) + b² u²(xᵢ)) by Gauss–Newton starting from the
    weighted fit that ignores u(x); the covariance of (a, b) is (JᵀJ)⁻¹ at the solution, ν = ∞.
    """
    xs = _vector(name, "x", x)
    n = xs.size
    ys = _vector(name, "y", y, n)
    ux = _vector(name, "u_x", u_x, n)
    uy = _vector(name, "u_y", u_y, n)
    if np.any(ux < 0) or np.any(uy <= 0):
        raise InputError(name, "calibration.u_x must be ≥ 0 and calibration.u_y > 0")
    start = fit_curve(xs, ys, degree=1, x0=x0, u_y=uy, name=name)
    a, b = (float(c) for c in start.coefficients)
    dx = xs - float(x0)
    for _ in range(_GDR_MAX_ITER):
        t = 1.0 / (uy**2 + b**2 * ux**2)
        e = ys - a - b * dx
        foot = dx + b * ux**2 * t * e  # footpoints x*ᵢ − x0
        st = np.sqrt(t)
        jac = np.column_stack([st, st * foot])  # −∂fᵢ/∂(a, b)
        step, *_ = np.linalg.lstsq(jac, st * e, rcond=None)
        a, b = a + float(step[0]), b + float(step[1])
        if abs(step[0]) <= tol * max(abs(a), 1.0) and abs(step[1]) <= tol * max(abs(b), 1.0):
            break
    else:
        raise UncertaintyError(f"input {name!r}: generalized distance regression did not converge")
    t = 1.0 / (uy**2 + b**2 * ux**2)
    e = ys - a - b * dx
    foot = dx + b * ux**2 * t * e
    st = np.sqrt(t)
    jac = np.column_stack([st, st * foot])
    _, r = np.linalg.qr(jac)
    chi2 = float((st * e) @ (st * e))
    return CurveFit(
        np.array([a, b]),
        _covariance_from_r(r),
        math.inf,
        "gdr",
        float(x0),
        n,
        chi2=chi2,
        warnings=_chi2_warning(chi2, n - 2),
    )


def curve_input(name: str, spec: Mapping[str, Any]) -> tuple[d.Distribution, float, CurveFit]:
    """Distribution, ν and fit of a ``calibration:`` budget input (see module docstring).

    The prediction ŷ(at) with u(ŷ) and ν = n − p is a scaled and shifted t PDF for the Monte
    Carlo method (exact for normal residuals); with known data uncertainties it is normal.
    """
    if not isinstance(spec, Mapping):
        raise InputError(name, "calibration must be a mapping with x, y and at")
    unknown = sorted(str(k) for k in spec if k not in CURVE_KEYS)
    if unknown:
        raise InputError(
            name,
            f"unknown calibration field {unknown[0]!r}{did_you_mean(unknown[0], CURVE_KEYS)}; "
            "known: " + ", ".join(sorted(CURVE_KEYS)),
            field="calibration",
        )
    for key in ("x", "y", "at"):
        if key not in spec:
            raise InputError(name, f"calibration needs field {key!r}")
    try:
        at = float(spec["at"])
        x0 = float(spec.get("x0", 0.0))
    except (TypeError, ValueError):
        raise InputError(name, "calibration.at and calibration.x0 must be numbers") from None
    if not (math.isfinite(at) and math.isfinite(x0)):
        raise InputError(name, "calibration.at and calibration.x0 must be finite")
    degree = spec.get("degree", 1)
    if "u_x" in spec:
        if degree != 1:
            raise InputError(name, "calibration.u_x (ISO/TS 28037 §7) is done for degree 1 only")
        if "u_y" not in spec:
            raise InputError(name, "calibration.u_x needs calibration.u_y as well")
        fit = fit_line_gdr(spec["x"], spec["y"], spec["u_x"], spec["u_y"], x0=x0, name=name)
    else:
        fit = fit_curve(
            spec["x"],
            spec["y"],
            degree=degree,
            x0=x0,
            u_y=spec.get("u_y"),
            weights=spec.get("weights"),
            name=name,
        )
    xs = np.asarray(spec["x"], dtype=float)
    if not xs.min() <= at <= xs.max():
        fit.warnings.append(
            f"calibration.at = {at:g} is outside the calibrated range "
            f"[{xs.min():g}, {xs.max():g}]: the curve is extrapolated"
        )
    value, u = fit.predict(at)
    dist: d.Distribution = (
        d.Normal(value, u) if math.isinf(fit.dof) else d.StudentT(value, u, fit.dof)
    )
    return dist, fit.dof, fit


def curve_fits(spec: Mapping[str, Any]) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Fit details and warnings of every ``calibration:`` input of a budget specification.

    The inputs themselves come from :func:`~.inputs.input_from_spec`; this gives the budget
    result the coefficients, their uncertainties and correlation, ν and the χ² test to show.
    """
    raw = spec.get("inputs")
    if isinstance(raw, Mapping):
        items = [(str(k), v) for k, v in raw.items()]
    elif isinstance(raw, list):
        items = [(str(e.get("name")), e) for e in raw if isinstance(e, Mapping)]
    else:
        return {}, []
    fits: dict[str, dict[str, Any]] = {}
    found: list[str] = []
    for name, entry in items:
        if not isinstance(entry, Mapping) or "calibration" not in entry:
            continue
        dist, _dof, fit = curve_input(name, entry["calibration"])
        at = float(entry["calibration"]["at"])
        fits[name] = fit.to_dict() | {
            "at": at,
            "value": dist.estimate,
            "u": dist.standard_uncertainty,
        }
        found.extend(f"input {name!r}: {w}" for w in fit.warnings)
    return fits, found
