"""Recursive least squares (递推最小二乘) for the area balance: one update per new period.

:class:`RecursiveLeastSquares` with forgetting factor λ weights a period t steps old by λᵗ, so
its memory is about 1/(1 − λ) periods and a drifting meter is tracked; λ = 1 with a diffuse
start reproduces batch least squares. :class:`WindowedLeastSquares` keeps exactly the last L
periods (rank-one update for the new period, downdate for the one that leaves). Both hold
O(k²) state, so a concentrator's stream can be followed without keeping history.

The covariance reported is s²·P with s² the (discounted) residual mean square over its
(discounted) degrees of freedom — the recursive counterpart of OLS's s²(AᵀA)⁻¹.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from .balance import (
    ESTIMATORS,
    CoefficientFit,
    Design,
    MonitoringError,
    Underdetermined,
    _condition,
    _scaled,
)


class RecursiveLeastSquares:
    """Exponentially weighted RLS over k unknowns (λ in (0, 1]; P₀ = ``diffuse``·I)."""

    def __init__(self, k: int, *, forgetting: float = 1.0, diffuse: float = 1e8):
        if k < 1:
            raise MonitoringError("k", "needs at least one unknown")
        if not 0 < forgetting <= 1:
            raise MonitoringError("forgetting", f"must be in (0, 1], got {forgetting}")
        self.k = k
        self.lam = forgetting
        self.theta = np.zeros(k)
        self.p = np.eye(k) * diffuse
        self.sse = 0.0  # discounted sum of squared a-posteriori residuals
        self.weight = 0.0  # discounted number of periods
        self.n = 0

    def update(self, row: np.ndarray, y: float) -> None:
        """Add one period: regressors ``row`` (k) and observation ``y``."""
        row = np.asarray(row, dtype=float)
        if row.shape != (self.k,) or not np.all(np.isfinite(row)) or not math.isfinite(y):
            raise MonitoringError("row", f"needs {self.k} finite regressors and a finite y")
        pr = self.p @ row
        denom = self.lam + row @ pr
        gain = pr / denom
        err = y - row @ self.theta
        self.theta = self.theta + gain * err
        self.p = (self.p - np.outer(gain, pr)) / self.lam
        self.p = 0.5 * (self.p + self.p.T)  # keep P symmetric against round-off
        post = y - row @ self.theta
        self.sse = self.lam * self.sse + err * post  # e·ε = a-priori × a-posteriori residual
        self.weight = self.lam * self.weight + 1.0
        self.n += 1

    @property
    def dof(self) -> float:
        return self.weight - self.k

    def covariance(self) -> np.ndarray:
        """s²·P; raises :class:`Underdetermined` before there are more periods than unknowns."""
        if self.dof <= 0:
            raise Underdetermined(
                "periods",
                f"{self.weight:.1f} effective periods for {self.k} unknowns "
                f"(forgetting {self.lam}: memory ≈ {_memory(self.lam)} periods)",
            )
        return max(self.sse, 0.0) / self.dof * self.p


def _memory(lam: float) -> str:
    return "∞" if lam == 1 else f"{1 / (1 - lam):.0f}"


class WindowedLeastSquares:
    """Least squares over exactly the last ``window`` periods, updated and downdated."""

    def __init__(self, k: int, window: int):
        if window <= k:
            raise MonitoringError("window", f"must exceed the {k} unknowns, got {window}")
        self.k, self.window = k, window
        self.rows: deque[tuple[np.ndarray, float]] = deque()
        self.ata = np.zeros((k, k))
        self.atb = np.zeros(k)
        self.btb = 0.0

    def update(self, row: np.ndarray, y: float) -> None:
        row = np.asarray(row, dtype=float)
        if row.shape != (self.k,) or not np.all(np.isfinite(row)) or not math.isfinite(y):
            raise MonitoringError("row", f"needs {self.k} finite regressors and a finite y")
        self.rows.append((row, y))
        self.ata += np.outer(row, row)
        self.atb += row * y
        self.btb += y * y
        if len(self.rows) > self.window:
            old, yo = self.rows.popleft()
            self.ata -= np.outer(old, old)
            self.atb -= old * yo
            self.btb -= yo * yo

    def solve(self) -> tuple[np.ndarray, np.ndarray, float]:
        """(θ, s²(AᵀA)⁻¹, dof) over the current window."""
        n = len(self.rows)
        if n <= self.k:
            raise Underdetermined("periods", f"{n} periods in the window for {self.k} unknowns")
        inv = np.linalg.inv(self.ata)
        theta = inv @ self.atb
        # RSS recomputed from the rows kept: the normal-equation form loses digits
        rss = sum((y - r @ theta) ** 2 for r, y in self.rows)
        dof = n - self.k
        return theta, rss / dof * inv, float(dof)


def rls(
    d: Design,
    *,
    prior_gain: float = 1.0,
    weights: np.ndarray | None = None,
    forgetting: float = 1.0,
) -> CoefficientFit:
    """The balance regression by RLS over the periods in order (an estimator for ``fit_area``)."""
    del prior_gain
    xa, za, b = _scaled(d, weights)
    a_full = np.hstack([xa, za])
    n, k_all = a_full.shape
    if n <= k_all:
        raise Underdetermined("periods", f"RLS needs more periods than the {k_all} unknowns: {n}")
    est = RecursiveLeastSquares(k_all, forgetting=forgetting)
    for t in range(n):
        est.update(a_full[t], float(b[t]))
    cov = est.covariance()
    k = d.k
    return CoefficientFit(
        "rls" if forgetting == 1 else f"rls(λ={forgetting:g})",
        est.theta[:k].copy(),
        cov[:k, :k],
        est.theta[k:].copy(),
        d.extra_names,
        math.sqrt(max(est.sse, 0.0) / est.dof),
        est.dof,
        _condition(a_full),
        np.ones(n) if weights is None else np.asarray(weights, dtype=float),
    )


ESTIMATORS["rls"] = rls
