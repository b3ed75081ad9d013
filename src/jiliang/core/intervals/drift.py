r"""Drift of a standard from its calibration history (标准器漂移与预警).

Each certificate gives a value y_i with expanded uncertainty U_i and coverage factor k_i at a date
t_i (u_i = U_i/k_i). The weighted straight line y(t) = β₀ + β₁(t − t̄_w), weights w_i = 1/u_i²,
t̄_w the weighted mean date, has

    β = (AᵀWA)⁻¹AᵀWy,   cov(β) = (AᵀWA)⁻¹ · max(1, B²)   (B² = χ²/(n − 2), Birge ratio²)

— the covariance is inflated when the certificates scatter more than their uncertainties say
(``inflate=True``, the default; Birge 1932, as CODATA and :mod:`jiliang.core.monitoring.drift`).
β₀ and β₁ are uncorrelated because the line is centred on t̄_w.

- :meth:`DriftFit.predict` — ŷ(t) and u(ŷ(t)) = √(u²(β₀) + (t − t̄_w)²u²(β₁)) (the line's
  uncertainty; add the certificate's own u for a single future calibration result).
- :func:`drift_warning` — the lab uses the last certified value between calibrations and keeps
  an allowance D (expanded, same unit; the "drift" row of its uncertainty budget). The drift
  since the last certificate is Δ(t) = β₁(t − t_last) with U(Δ) = k·u(β₁)(t − t_last), so the
  allowance is used up when (|β₁| + k·u(β₁))(t − t_last) = D: the warning date is
  t_last + D/(|β₁| + k·u(β₁)), and that difference is the recommended interval.

Dates are ``datetime.date``/``datetime`` or numbers of days.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from ._base import IntervalAdvice, IntervalError, as_float_array, days, positive, same_length

_EPOCH = _dt.date(1970, 1, 1)


@dataclass(frozen=True)
class DriftFit:
    """Weighted straight line through a standard's certified values (value unit, days)."""

    t_mean: float  # weighted mean date, days (since 1970-01-01 when dates were given)
    intercept: float  # ŷ at t_mean
    slope: float  # unit per day
    u_intercept: float
    u_slope: float
    birge_ratio: float
    n: int
    dof: int

    def predict(self, t: float | _dt.date) -> tuple[float, float]:
        """Predicted value at ``t`` and its standard uncertainty from the fit."""
        tt = float(days("t", [t])[0]) if isinstance(t, (_dt.date, _dt.datetime)) else float(t)
        dt = tt - self.t_mean
        return self.intercept + self.slope * dt, math.hypot(self.u_intercept, dt * self.u_slope)

    @property
    def significant(self) -> bool:
        """|β₁| > 2u(β₁): the drift is distinguishable from none."""
        return abs(self.slope) > 2.0 * self.u_slope


def _inputs(dates, values, expanded, coverage):
    t = days("dates", dates)
    y = as_float_array("values", values)
    big_u = as_float_array("expanded_uncertainty", expanded)
    if np.isscalar(coverage) or np.ndim(coverage) == 0:
        k = np.full(t.size, positive("coverage", coverage))
    else:
        k = as_float_array("coverage", coverage)
    same_length(dates=t, values=y, expanded_uncertainty=big_u, coverage=k)
    if np.any(big_u <= 0):
        raise IntervalError("expanded_uncertainty", "every certificate needs U > 0")
    if np.any(k <= 0):
        raise IntervalError("coverage", "coverage factors must be > 0")
    return t, y, big_u / k


def fit_drift(
    dates: Sequence[float | _dt.date],
    values: Sequence[float],
    expanded_uncertainty: Sequence[float],
    *,
    coverage: float | Sequence[float] = 2.0,
    inflate: bool = True,
) -> DriftFit:
    """Weighted drift line through the certificates (needs ≥ 3 at ≥ 2 distinct dates)."""
    t, y, u = _inputs(dates, values, expanded_uncertainty, coverage)
    if t.size < 3 or np.unique(t).size < 2:
        raise IntervalError(
            "dates", f"a drift fit needs ≥ 3 certificates at ≥ 2 dates, got {t.size}"
        )
    w = 1.0 / u**2
    tm = float(np.sum(w * t) / np.sum(w))
    dt = t - tm
    b0 = float(np.sum(w * y) / np.sum(w))
    sxx = float(np.sum(w * dt**2))
    b1 = float(np.sum(w * dt * (y - b0)) / sxx)
    chi2 = float(np.sum(w * (y - b0 - b1 * dt) ** 2))
    dof = t.size - 2
    birge = math.sqrt(chi2 / dof)
    f = max(1.0, birge) if inflate else 1.0
    return DriftFit(
        tm, b0, b1, f / math.sqrt(float(np.sum(w))), f / math.sqrt(sxx), birge, int(t.size), dof
    )


@dataclass(frozen=True, kw_only=True)
class DriftWarning(IntervalAdvice):
    """Drift advice. ``interval_days`` = days from the last certificate until the drift uses the
    allowance; ``confidence`` = two-sided normal coverage of k (k = 2 → 0.954)."""

    fit: DriftFit | None = None
    last_calibration: float | None = None  # days
    warning_day: float | None = None  # days, same origin as the inputs
    warning_date: _dt.date | None = None  # when dates were given
    allowance: float | None = None


def drift_warning(
    dates: Sequence[float | _dt.date],
    values: Sequence[float],
    expanded_uncertainty: Sequence[float],
    *,
    allowance: float,
    coverage: float | Sequence[float] = 2.0,
    k: float = 2.0,
    inflate: bool = True,
) -> DriftWarning:
    """Warning date when the fitted drift (at coverage ``k``) uses up ``allowance`` (see module)."""
    t, _, _ = _inputs(dates, values, expanded_uncertainty, coverage)
    allow = positive("allowance", allowance)
    kk = positive("k", k)
    conf = float(2.0 * stats.norm.cdf(kk) - 1.0)
    if t.size < 3 or np.unique(t).size < 2:
        return DriftWarning(
            interval_days=None,
            reliability=None,
            confidence=None,
            method="drift",
            insufficient=f"dates: {t.size} certificates, a drift fit needs ≥ 3 at ≥ 2 dates",
            allowance=allow,
        )
    fit = fit_drift(dates, values, expanded_uncertainty, coverage=coverage, inflate=inflate)
    t_last = float(t.max())
    rate = abs(fit.slope) + kk * fit.u_slope
    interval = allow / rate
    warn_day = t_last + interval
    warn_date = None
    if any(isinstance(d, (_dt.date, _dt.datetime)) for d in dates):
        warn_date = _EPOCH + _dt.timedelta(days=math.floor(warn_day))
    return DriftWarning(
        interval_days=interval,
        reliability=None,
        confidence=conf,
        method="drift",
        fit=fit,
        last_calibration=t_last,
        warning_day=warn_day,
        warning_date=warn_date,
        allowance=allow,
    )
