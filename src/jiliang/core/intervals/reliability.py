r"""Binomial / maximum-likelihood interval method S2 (可靠性模型法) of NCSLI RP-1 and OIML D 10.

Data are attributes: for each calibration the time since the previous one (resubmission time t,
days) and whether the item was found in tolerance. A reliability model R(t; θ) — the probability
of being in tolerance t days after calibration — is fitted by maximum likelihood to the
Bernoulli outcomes (RP-1 Appendix D, eq. D-5, with the observations grouped by distinct t):

    ln L(θ) = Σ_j [g_j ln R(t_j; θ) + (n_j − g_j) ln(1 − R(t_j; θ))]

Models (θ > 0; all decrease from R(0) = 1 — random walk from R(0) = 2Φ(1/√θ₁) − 1):

- ``exponential``        R = exp(−λt)                     (constant out-of-tolerance rate)
- ``weibull``            R = exp(−(λt)^β)
- ``mixed_exponential``  R = (1 + κt/β)^(−β)              (rates gamma-distributed over items:
                                                           mean initial rate κ, shape β; → e^(−κt)
                                                           as β → ∞)
- ``random_walk``        R = 2Φ(1/√(θ₁ + θ₂t)) − 1        (Brownian drift of the attribute)

The recommended interval τ solves R(τ; θ̂) = R_t (the reliability target). Its confidence band
comes from the delta method: u²(R(τ)) = ∇R(τ)ᵀ I(θ̂)⁻¹ ∇R(τ) with the expected (Fisher)
information I = Σ n_j ∇R(t_j)∇R(t_j)ᵀ/(R(1 − R)) (RP-1 eq. D-29's weights); τ_low and τ_high
solve R(τ) ∓ z·u(R(τ)) = R_t with z the two-sided normal quantile of the stated confidence.
The band is computed for the chosen model (``all_bands=True``: for every model). Fits use
Fisher scoring in log-parameters within bounds that keep the two-parameter models' degenerate
ridges finite (see ``BOUNDS``).

Each fit also gets the RP-1 rejection confidence of the model (eqs. D-19, D-23): with the data in
k bins, s_e² = Σ n_i R̄_i(1 − R̄_i)/(n − k) (pure binomial scatter) and s_l² = Σ n_i (R̄_i −
R(t̄_i))²/(k − m) (lack of fit), F = s_l²/s_e² and C = F_cdf(F; k − m, n − k). A model is
accepted when C < 0.95 (RP-1's default); among accepted models the lowest AIC = 2m − 2 ln L
wins (``select="aic"``), or the lowest C (``select="rejection"``).

Insufficient data are reported, not fitted: fewer events than ``min_events``, no
out-of-tolerance event (the MLE of every model is "never fails"), no in-tolerance event; models
with two parameters need ≥ 2 distinct resubmission times.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize, special, stats

from ._base import (
    IntervalAdvice,
    IntervalError,
    as_bool_array,
    as_float_array,
    probability,
    same_length,
)

_EPS = 1e-12
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _r_exp(t: np.ndarray, p: np.ndarray) -> np.ndarray:
    return np.exp(-p[0] * t)


def _d_exp(t: np.ndarray, p: np.ndarray) -> np.ndarray:
    return np.stack([-t * np.exp(-p[0] * t)])


def _r_weibull(t: np.ndarray, p: np.ndarray) -> np.ndarray:
    return np.exp(-((p[0] * t) ** p[1]))


def _d_weibull(t: np.ndarray, p: np.ndarray) -> np.ndarray:
    lt = np.maximum(p[0] * t, 1e-300)
    u = lt ** p[1]
    r = np.exp(-u)
    return np.stack([-r * p[1] * u / p[0], -r * u * np.log(lt)])


def _r_mixed(t: np.ndarray, p: np.ndarray) -> np.ndarray:
    return (1.0 + p[0] * t / p[1]) ** (-p[1])


def _d_mixed(t: np.ndarray, p: np.ndarray) -> np.ndarray:
    x = p[0] * t / p[1]
    base = 1.0 + x
    r = base ** (-p[1])
    return np.stack([-r * t / base, r * (x / base - np.log(base))])


def _r_walk(t: np.ndarray, p: np.ndarray) -> np.ndarray:
    return 2.0 * special.ndtr(1.0 / np.sqrt(p[0] + p[1] * t)) - 1.0


def _d_walk(t: np.ndarray, p: np.ndarray) -> np.ndarray:
    s = p[0] + p[1] * t
    q = 1.0 / np.sqrt(s)
    dq = -_INV_SQRT_2PI * np.exp(-0.5 * q * q) * s**-1.5  # 2φ(q)·(−½ s^(−3/2))
    return np.stack([dq, dq * t])


Model = tuple[
    Callable[[np.ndarray, np.ndarray], np.ndarray],
    Callable[[np.ndarray, np.ndarray], np.ndarray],
    int,
]
_RATE = (-40.0, 5.0)  # ln of a rate in 1/day
# bounds of the log-parameters: they keep the degenerate ridges of two-parameter models finite
# (Weibull shape 0.05…20, mixed-exponential shape 0.01…1000 — beyond it is the exponential —
# random-walk θ₁ ≥ 6e-6, where R(0) = 1 to machine precision)
BOUNDS: dict[str, np.ndarray] = {
    "exponential": np.array([_RATE]),
    "weibull": np.array([_RATE, (math.log(0.05), math.log(20.0))]),
    "mixed_exponential": np.array([_RATE, (math.log(0.01), math.log(1000.0))]),
    "random_walk": np.array([(-12.0, 5.0), _RATE]),
}
MODELS: dict[str, Model] = {
    "exponential": (_r_exp, _d_exp, 1),
    "weibull": (_r_weibull, _d_weibull, 2),
    "mixed_exponential": (_r_mixed, _d_mixed, 2),
    "random_walk": (_r_walk, _d_walk, 2),
}


def model_reliability(model: str, t: float | np.ndarray, params: Sequence[float]) -> np.ndarray:
    """R(t) of a named model with parameters ``params`` (t in days)."""
    if model not in MODELS:
        raise IntervalError("model", f"unknown {model!r}; choose from {sorted(MODELS)}")
    return MODELS[model][0](np.asarray(t, dtype=float), np.asarray(params, dtype=float))


@dataclass(frozen=True)
class ModelFit:
    """One fitted reliability model."""

    model: str
    params: tuple[float, ...]  # λ or κ in 1/day, shapes β dimensionless; walk θ₁, θ₂ (1/day)
    log_likelihood: float
    aic: float
    rejection_confidence: float | None  # RP-1 F-test; None when the bins cannot give it
    interval: float | None  # τ with R(τ) = target, days
    interval_low: float | None
    interval_high: float | None
    note: str | None = None

    @property
    def accepted(self) -> bool:
        return self.rejection_confidence is None or self.rejection_confidence < 0.95


@dataclass(frozen=True, kw_only=True)
class ReliabilityResult(IntervalAdvice):
    """S2 outcome. ``interval_days`` = τ̂ of the chosen model, ``reliability`` = the target it
    meets, ``confidence`` = the level of the band [``interval_low``, ``interval_high``]."""

    model: str | None = None
    interval_low: float | None = None
    interval_high: float | None = None
    fits: tuple[ModelFit, ...] = field(default=())
    n: int = 0
    n_in_tolerance: int = 0


def _group(t: np.ndarray, ok: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    tu, inv = np.unique(t, return_inverse=True)
    n = np.bincount(inv).astype(float)
    g = np.bincount(inv, weights=ok.astype(float))
    return tu, n, g


def _nll(logp: np.ndarray, f, df, tu, n, g) -> tuple[float, np.ndarray]:
    """−ln L and its gradient in log-parameters."""
    p = np.exp(logp)
    with np.errstate(all="ignore"):
        r = np.clip(f(tu, p), _EPS, 1.0 - _EPS)
        val = float(-np.sum(g * np.log(r) + (n - g) * np.log1p(-r)))
        w = -(g / r - (n - g) / (1.0 - r))
        grad = (df(tu, p) @ w) * p
    if not np.isfinite(val):
        return 1e300, np.zeros_like(logp)
    return val, np.where(np.isfinite(grad), grad, 0.0)


def _information(p: np.ndarray, df, f, tu, n) -> np.ndarray:
    """Expected (Fisher) information in log-parameters: Σ n ∇R∇Rᵀ/(R(1 − R)) (RP-1 D-29)."""
    r = np.clip(f(tu, p), _EPS, 1.0 - _EPS)
    d = df(tu, p) * p[:, None]
    return (d * (n / (r * (1.0 - r)))) @ d.T


def _maximise(x0: np.ndarray, f, df, tu, n, g, bounds: np.ndarray) -> tuple[np.ndarray, float]:
    """Fisher scoring in log-parameters with step halving, stopped when −ln L improves by
    < 1e-6 (far below what moves an interval); L-BFGS-B polishes if scoring stalls early."""
    x = x0.copy()
    val, grad = _nll(x, f, df, tu, n, g)
    for _ in range(60):
        with np.errstate(all="ignore"):
            info = _information(np.exp(x), df, f, tu, n)
        info = info + 1e-9 * np.trace(info) * np.eye(x.size)
        try:
            step = -np.linalg.solve(info, grad)
        except np.linalg.LinAlgError:
            break
        if not np.all(np.isfinite(step)):
            break
        lam = 1.0
        while lam > 1e-3:
            xn = np.clip(x + lam * step, bounds[:, 0], bounds[:, 1])
            vn, gn = _nll(xn, f, df, tu, n, g)
            if vn <= val:
                break
            lam /= 2.0
        else:
            return x, val  # no descent along the scoring direction: at the optimum
        gain = val - vn
        x, val, grad = xn, vn, gn
        if gain < 1e-6:
            return x, val
    with np.errstate(all="ignore"):
        res = optimize.minimize(
            _nll,
            x,
            args=(f, df, tu, n, g),
            jac=True,
            method="L-BFGS-B",
            bounds=[tuple(b) for b in bounds],
        )
    if res.fun <= val:
        return np.asarray(res.x, dtype=float), float(res.fun)
    return x, val


def _start(model: str, tu: np.ndarray, n: np.ndarray, g: np.ndarray) -> np.ndarray:
    rbar = min(max(g.sum() / n.sum(), 0.02), 0.98)
    tbar = float(np.sum(n * tu) / n.sum())
    lam = -math.log(rbar) / max(tbar, _EPS)
    if model == "exponential":
        return np.log([lam])
    if model == "weibull":
        return np.log([lam, 1.0])
    if model == "mixed_exponential":
        return np.log([lam, 10.0])
    q = stats.norm.ppf((1.0 + rbar) / 2.0) ** -2.0  # θ₁ + θ₂ t̄ ≈ q
    return np.log([0.1 * q, 0.9 * q / max(tbar, _EPS)])


def _solve(fun, hi: float) -> float | None:
    """Smallest root of ``fun`` (vectorised) on (0, hi] where it turns from > 0 to ≤ 0."""
    grid = np.concatenate([[1e-9], np.geomspace(1e-3, hi, 80)])
    with np.errstate(all="ignore"):
        vals = fun(grid)
    idx = np.nonzero((vals[:-1] > 0) & (vals[1:] <= 0))[0]
    if idx.size == 0:
        return None
    a, b = grid[idx[0]], grid[idx[0] + 1]
    with np.errstate(all="ignore"):
        return float(optimize.brentq(lambda x: float(fun(np.array([x]))[0]), a, b, xtol=1e-6))


def _bins(tu: np.ndarray, n: np.ndarray, g: np.ndarray, bins: int) -> tuple[np.ndarray, ...]:
    """Bins of roughly equal event count over the sorted distinct times (t̄ = mean t in bin)."""
    if tu.size <= bins:
        return tu, n, g
    cum = np.cumsum(n)
    edges = np.searchsorted(cum, np.linspace(0, cum[-1], bins + 1)[1:-1], side="left")
    groups = np.split(np.arange(tu.size), np.unique(edges + 1))
    groups = [gr for gr in groups if gr.size]
    tb = np.array([np.sum(tu[gr] * n[gr]) / n[gr].sum() for gr in groups])
    nb = np.array([n[gr].sum() for gr in groups])
    gb = np.array([g[gr].sum() for gr in groups])
    return tb, nb, gb


def _rejection(f, p, tb, nb, gb, m: int) -> float | None:
    k, ntot = tb.size, nb.sum()
    if k <= m or ntot <= k:
        return None
    rb = gb / nb
    se2 = float(np.sum(nb * rb * (1 - rb)) / (ntot - k))
    sl2 = float(np.sum(nb * (rb - f(tb, p)) ** 2) / (k - m))
    if se2 <= 0:
        return None
    return float(stats.f.cdf(sl2 / se2, k - m, ntot - k))


def fit_model(
    model: str,
    intervals: Sequence[float],
    in_tolerance: Sequence[bool],
    target: float,
    *,
    confidence: float = 0.95,
    bins: int = 8,
) -> ModelFit:
    """Maximum-likelihood fit of one reliability model and its interval for ``target``."""
    t = as_float_array("intervals", intervals, nonnegative=True)
    ok = as_bool_array("in_tolerance", in_tolerance)
    same_length(intervals=t, in_tolerance=ok)
    return _fit(model, *_group(t, ok), probability("target", target), confidence, bins)


def _band(model, p, tu, n, target, confidence) -> tuple[float | None, float | None, str | None]:
    """τ_low, τ_high where R ∓ z·u(R) = target (delta method, expected information)."""
    f, df, _ = MODELS[model]
    horizon = 50.0 * float(tu.max())
    with np.errstate(all="ignore"):
        info = _information(p, df, f, tu, n)
    if not (np.all(np.isfinite(info)) and np.linalg.cond(info) < 1e12):
        return None, None, "information matrix singular: no confidence band"
    cov = np.linalg.inv(info)
    if not np.all(np.diag(cov) >= 0):
        return None, None, "information matrix singular: no confidence band"
    z = float(stats.norm.ppf(0.5 + confidence / 2.0))

    def u_r(x: np.ndarray) -> np.ndarray:
        grad = df(x, p) * p[:, None]  # m × len(x), per log-parameter
        return np.sqrt(np.maximum(np.einsum("ik,ij,jk->k", grad, cov, grad), 0.0))

    lo = _solve(lambda x: f(x, p) - z * u_r(x) - target, horizon)
    hi = _solve(lambda x: f(x, p) + z * u_r(x) - target, horizon)
    return lo, hi, None


def _fit(model, tu, n, g, target, confidence, bins, band: bool = True) -> ModelFit:
    if model not in MODELS:
        raise IntervalError("models", f"unknown {model!r}; choose from {sorted(MODELS)}")
    f, df, m = MODELS[model]
    if m > 1 and tu.size < 2:
        return ModelFit(
            model,
            (),
            math.nan,
            math.inf,
            None,
            None,
            None,
            None,
            note="needs ≥ 2 distinct resubmission times",
        )
    x0 = _start(model, tu, n, g)
    bounds = BOUNDS[model]
    lp, fun = _maximise(np.clip(x0, bounds[:, 0], bounds[:, 1]), f, df, tu, n, g, bounds)
    p = np.exp(lp)
    ll = -fun
    aic = 2 * m - 2 * ll
    tb, nb, gb = _bins(tu, n, g, bins)
    rej = _rejection(f, p, tb, nb, gb, m)
    horizon = 50.0 * float(tu.max())

    def r_at(x: np.ndarray) -> np.ndarray:
        return f(np.asarray(x, dtype=float), p)

    tau = _solve(lambda x: r_at(x) - target, horizon)
    note = None if tau is not None else "R stays above the target within 50× the longest interval"
    lo = hi = None
    if tau is not None and band:
        lo, hi, note = _band(model, p, tu, n, target, confidence)
    return ModelFit(model, tuple(float(v) for v in p), ll, aic, rej, tau, lo, hi, note)


def binomial_interval(
    intervals: Sequence[float],
    in_tolerance: Sequence[bool],
    target: float,
    *,
    models: Sequence[str] = tuple(MODELS),
    confidence: float = 0.95,
    select: str = "aic",
    bins: int = 8,
    min_events: int = 10,
    all_bands: bool = False,
) -> ReliabilityResult:
    """Method S2: fit each model, choose by fit, return τ̂ and its band (days).

    ``intervals`` are resubmission times in days, ``in_tolerance`` the as-found results,
    ``target`` the end-of-period reliability target R_t.
    """
    t = as_float_array("intervals", intervals, nonnegative=True)
    ok = as_bool_array("in_tolerance", in_tolerance)
    same_length(intervals=t, in_tolerance=ok)
    rt = probability("target", target)
    conf = probability("confidence", confidence)
    if select not in ("aic", "rejection"):
        raise IntervalError("select", f"must be 'aic' or 'rejection', got {select!r}")
    if not models:
        raise IntervalError("models", "needs at least one model")
    for name in models:
        if name not in MODELS:
            raise IntervalError("models", f"unknown {name!r}; choose from {sorted(MODELS)}")
    n, x = int(t.size), int(ok.sum())

    def short(reason: str) -> ReliabilityResult:
        return ReliabilityResult(
            interval_days=None,
            reliability=None,
            confidence=None,
            method="S2",
            insufficient=reason,
            n=n,
            n_in_tolerance=x,
        )

    if n < min_events:
        return short(f"intervals: {n} calibration events, S2 needs ≥ {min_events}")
    if x == n:
        return short("in_tolerance: no out-of-tolerance event, reliability cannot be modelled")
    if x == 0:
        return short("in_tolerance: no in-tolerance event, reliability cannot be modelled")
    if np.any(t <= 0):
        raise IntervalError("intervals", "resubmission times must be > 0 days for S2")
    tu, nn, g = _group(t, ok)
    # bands only for the chosen model (``all_bands=True``: for every model)
    fits = tuple(_fit(mdl, tu, nn, g, rt, conf, bins, band=all_bands) for mdl in models)
    usable = [f for f in fits if f.interval is not None and math.isfinite(f.aic)]
    if not usable:
        return ReliabilityResult(
            interval_days=None,
            reliability=None,
            confidence=None,
            method="S2",
            insufficient="no model reaches the target within 50× the longest interval "
            "(too few out-of-tolerance events to see the decline)",
            fits=fits,
            n=n,
            n_in_tolerance=x,
        )
    pool = [f for f in usable if f.accepted] or usable
    if select == "aic":
        best = min(pool, key=lambda f: f.aic)
    else:
        best = min(pool, key=lambda f: (f.rejection_confidence or 0.0, f.aic))
    if not all_bands:
        lo, hi, note = _band(best.model, np.asarray(best.params), tu, nn, rt, conf)
        banded = dataclasses.replace(best, interval_low=lo, interval_high=hi, note=note)
        fits = tuple(banded if f is best else f for f in fits)
        best = banded
    return ReliabilityResult(
        interval_days=best.interval,
        reliability=rt,
        confidence=conf if best.interval_low is not None else None,
        method=f"S2/{best.model}",
        model=best.model,
        interval_low=best.interval_low,
        interval_high=best.interval_high,
        fits=fits,
        n=n,
        n_in_tolerance=x,
    )
