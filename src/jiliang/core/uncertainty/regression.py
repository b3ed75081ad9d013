"""Straight-line least-squares calibration (最小二乘直线拟合), JCGM 100 H.3.

Fits b = y₁ + y₂(t − t₀) by ordinary least squares and gives the coefficient uncertainties from
the residual standard deviation s (ν = n − 2), their correlation, and the predicted correction
with its standard uncertainty u²(b) = u²(y₁) + (t − t₀)² u²(y₂) + 2(t − t₀) u(y₁)u(y₂)r(y₁,y₂)
(GUM eq. H.16).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import UncertaintyError

__all__ = ["LineFit", "fit_line"]


@dataclass(frozen=True)
class LineFit:
    """Result of :func:`fit_line`: b(t) = intercept + slope·(t − t0)."""

    intercept: float
    slope: float
    u_intercept: float
    u_slope: float
    r: float
    s: float
    dof: int
    t0: float

    def predict(self, t: float) -> tuple[float, float]:
        """(b(t), u(b(t))) — predicted value and its standard uncertainty (GUM H.3.4)."""
        dt = t - self.t0
        b = self.intercept + self.slope * dt
        var = (
            self.u_intercept**2
            + dt**2 * self.u_slope**2
            + 2 * dt * self.u_intercept * self.u_slope * self.r
        )
        return b, math.sqrt(max(var, 0.0))

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def fit_line(t: Sequence[float], b: Sequence[float], t0: float = 0.0) -> LineFit:
    """Least-squares straight line of ``b`` against ``t − t0`` (GUM H.3.2, eqs. H.13, H.14)."""
    x = np.asarray(t, dtype=float) - t0
    y = np.asarray(b, dtype=float)
    if x.shape != y.shape or x.ndim != 1:
        raise UncertaintyError("t and b must be 1-D sequences of equal length")
    n = x.size
    if n < 3:
        raise UncertaintyError("a straight-line fit with uncertainties needs at least 3 points")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise UncertaintyError("t and b must be finite numbers")
    sx, sy = x.sum(), y.sum()
    sxx, sxy = (x * x).sum(), (x * y).sum()
    det = n * sxx - sx**2
    if det <= 0:
        raise UncertaintyError("t values must not all be equal")
    slope = (n * sxy - sx * sy) / det
    intercept = (sy * sxx - sx * sxy) / det
    resid = y - intercept - slope * x
    s = math.sqrt(float((resid**2).sum()) / (n - 2))
    u_i = s * math.sqrt(sxx / det)
    u_s = s * math.sqrt(n / det)
    r = -sx / math.sqrt(n * sxx)
    return LineFit(float(intercept), float(slope), u_i, u_s, float(r), s, n - 2, float(t0))
