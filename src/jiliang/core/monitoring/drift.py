"""Drift of a meter's error over successive estimates (误差漂移): trend, alarms, crossing date.

Input: estimates ê_k ± u_k of one meter from successive windows (times t_k in days or any unit,
errors relative). Use non-overlapping windows: the alarms below assume independent points, and
overlapping windows share periods.

- :func:`trend` — weighted straight line ê(t) = b₀ + b₁(t − t̄) with covariance; when the points
  scatter more than their u say (Birge ratio > 1) the covariance is inflated by it rather than
  trusting the stated u;
- :func:`crossing` — the predicted time the line reaches ±MPE, with its standard uncertainty
  (first order in b₀, b₁); none when the slope is not significant (|b₁| < 2u(b₁));
- :func:`ewma` and :func:`cusum` — control-chart alarms on z_k = ê_k/u_k (target 0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .balance import MonitoringError


@dataclass(frozen=True)
class Trend:
    t_mean: float
    intercept: float  # ê at t̄
    slope: float  # per unit of t
    cov: np.ndarray  # 2 × 2 over (intercept, slope)
    birge_ratio: float
    n: int

    @property
    def u_slope(self) -> float:
        return math.sqrt(self.cov[1, 1])

    def at(self, t: float) -> tuple[float, float]:
        """Predicted error and its standard uncertainty at time t."""
        j = np.array([1.0, t - self.t_mean])
        return float(self.intercept + self.slope * (t - self.t_mean)), float(
            math.sqrt(j @ self.cov @ j)
        )


def _arrays(t, e, u) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    t, e, u = (np.asarray(a, dtype=float) for a in (t, e, u))
    if not (t.shape == e.shape == u.shape) or t.ndim != 1:
        raise MonitoringError("errors", "times, errors and uncertainties must be 1-D, one length")
    if not (np.all(np.isfinite(t)) and np.all(np.isfinite(e)) and np.all(np.isfinite(u))):
        raise MonitoringError("errors", "contains NaN or infinity")
    if np.any(u <= 0):
        raise MonitoringError("u", "every estimate needs a standard uncertainty > 0")
    return t, e, u


def trend(t, e, u) -> Trend:
    """Weighted least-squares line through the estimates (needs ≥ 3 points at ≥ 2 times)."""
    t, e, u = _arrays(t, e, u)
    if t.size < 3 or np.ptp(t) == 0:
        raise MonitoringError(
            "errors", f"a trend needs ≥ 3 estimates at distinct times, got {t.size}"
        )
    w = 1.0 / u**2
    t_mean = float(np.sum(w * t) / np.sum(w))
    a = np.column_stack([np.ones_like(t), t - t_mean])
    ata = a.T @ (a * w[:, None])
    coef = np.linalg.solve(ata, a.T @ (w * e))
    resid = e - a @ coef
    chi2 = float(np.sum(w * resid**2))
    birge = math.sqrt(chi2 / (t.size - 2))
    cov = np.linalg.inv(ata) * max(1.0, birge) ** 2
    return Trend(t_mean, float(coef[0]), float(coef[1]), cov, birge, int(t.size))


@dataclass(frozen=True)
class Crossing:
    time: float
    u_time: float
    limit: float  # +MPE or −MPE, the side crossed


def crossing(tr: Trend, mpe: float) -> Crossing | None:
    """When the trend line reaches ±``mpe`` (the side it heads to); None if no significant drift."""
    if mpe <= 0:
        raise MonitoringError("mpe", "must be > 0")
    if abs(tr.slope) < 2 * tr.u_slope:
        return None
    limit = math.copysign(mpe, tr.slope)
    dt = (limit - tr.intercept) / tr.slope
    jac = np.array([-1.0 / tr.slope, -dt / tr.slope])
    return Crossing(tr.t_mean + dt, float(math.sqrt(jac @ tr.cov @ jac)), limit)


def ewma(z, *, lam: float = 0.2, width: float = 3.0) -> list[int]:
    """Indices where the EWMA of standardised estimates leaves ±width·σ_EWMA (exact limits)."""
    z = np.asarray(z, dtype=float)
    if not 0 < lam <= 1:
        raise MonitoringError("lam", "must be in (0, 1]")
    s, out = 0.0, []
    for k, zk in enumerate(z, start=1):
        s = lam * zk + (1 - lam) * s
        limit = width * math.sqrt(lam / (2 - lam) * (1 - (1 - lam) ** (2 * k)))
        if abs(s) > limit:
            out.append(k - 1)
    return out


def cusum(z, *, k: float = 0.5, h: float = 5.0) -> list[int]:
    """Indices where the two-sided tabular CUSUM (reference k, decision h, in σ) signals."""
    z = np.asarray(z, dtype=float)
    hi = lo = 0.0
    out = []
    for i, zk in enumerate(z):
        hi = max(0.0, hi + zk - k)
        lo = max(0.0, lo - zk - k)
        if hi > h or lo > h:
            out.append(i)
            hi = lo = 0.0  # restart after a signal
    return out
