r"""Batch interval advice for many instrument classes at once (批量校准间隔分析, issue 15).

The per-class functions :func:`.reactive.interval_test` (RP-1 method A3) and
:func:`.reliability.binomial_interval` (method S2) spend their time in Python overhead: one
Fisher-scoring loop, one root search and a few scalar ``scipy.stats`` calls per model per class.
Here the same algorithms run over all classes together with numpy:

- events are grouped by (class, resubmission time) once, with one sort over all classes; the
  distinct times of a chunk of classes (sorted by their number of distinct times, so little
  padding) form a classes × times array, padded with zero counts that add nothing to ln L, its
  gradient or the information;
- every model is fitted by the *same* Fisher scoring in log-parameters as
  :func:`.reliability._maximise` (same start, bounds, regularisation, step halving from 1 down
  to 2⁻⁹ and stop when −ln L improves by < 1e-6), advanced one iteration for all unfinished
  classes at a time; a class whose scoring would hand over to L-BFGS-B (singular information,
  non-finite step, 60 iterations) is fitted by the per-class code instead, so it gets exactly the
  per-class result;
- the RP-1 F-test bins are formed once per class for all models; the interval τ (R(τ) = R_t)
  and the delta-method band use the same 80-point geometric grid for the first sign change,
  then a vectorised bisection to 1e-12 relative instead of ``brentq`` (xtol = 1e-6 d);
  ``scipy.stats`` distribution functions are called once on arrays;
- A3 counts come from the same window rule; the binomial tail and the Clopper–Pearson limits are
  evaluated for all classes in one call, the change rules per class in plain Python.

Results equal the per-class ones up to floating-point rounding (summation order, ln(1 − R)
as log(1 − R)): fitted parameters, ln L and AIC well within 1e-6 (typically 1e-9); intervals
and bands to 1e-6 relative or 2e-6 d absolute, whichever is larger (the per-class ``brentq``
stops within 1e-6 d of the root, the bisection here within 1e-12 relative; typically they
agree to 1e-8); the same model choice except where two models' AIC tie to rounding (none in
1300 simulated classes). Inputs are checked as the per-class functions check them; an error
names the class, e.g. ``histories[3].intervals``.

Days throughout; in-tolerance results are booleans (True = found in tolerance, 合格).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np
from scipy import special, stats

from . import reliability as _rel
from ._base import (
    IntervalError,
    as_bool_array,
    as_float_array,
    positive,
    probability,
    same_length,
)
from .reactive import IntervalTestResult
from .reliability import BOUNDS, MODELS, ModelFit, ReliabilityResult

__all__ = ["binomial_interval_many", "fit_many", "interval_test_many"]

_EPS = _rel._EPS
_CHUNK = 512  # classes per vectorised block (keeps the classes × times arrays in cache)
_BISECT = 60  # bisection steps; stops earlier once the bracket is < 1e-12 relative

History = tuple[Sequence[float], Sequence[bool]]


def _in_class(i: int, exc: IntervalError) -> IntervalError:
    """The per-class error, its field prefixed with the class index."""
    message = str(exc).split(": ", 1)[-1]
    return IntervalError(f"histories[{i}].{exc.field}", message)


def _events(i: int, intervals: Sequence[float], in_tolerance: Sequence[bool]):
    try:
        t = as_float_array("intervals", intervals, nonnegative=True)
        ok = as_bool_array("in_tolerance", in_tolerance)
        same_length(intervals=t, in_tolerance=ok)
    except IntervalError as exc:
        raise _in_class(i, exc) from None
    return t, ok


# --------------------------------------------------------------------------------------------
# A3 for many classes
# --------------------------------------------------------------------------------------------
def interval_test_many(
    histories: Sequence[tuple[Sequence[float], Sequence[bool], float]],
    target: float,
    *,
    window_days: float = 56.0,
    window_fraction: float = 0.5,
    change_confidence: float = 0.5,
    max_change: float = 2.0,
    min_change_days: float = 5.0,
    min_interval: float = 14.0,
    max_interval: float = 1826.0,
) -> list[IntervalTestResult]:
    """:func:`.reactive.interval_test` for each (intervals, in_tolerance, current interval I₀)
    of ``histories`` (days); the options are those of the per-class function."""
    rt = probability("target", target)
    conf = probability("change_confidence", change_confidence)
    m = positive("max_change", max_change)
    if m < 1:
        raise IntervalError("max_change", f"must be ≥ 1, got {m}")
    lo, hi = positive("min_interval", min_interval), positive("max_interval", max_interval)
    if lo > hi:
        raise IntervalError("min_interval", f"must not exceed max_interval ({lo} > {hi})")
    wd, wf = positive("window_days", window_days), positive("window_fraction", window_fraction)
    k = len(histories)
    xs = np.zeros(k, dtype=np.int64)
    ns = np.zeros(k, dtype=np.int64)
    unused = np.zeros(k, dtype=np.int64)
    i0s = np.zeros(k)
    for i, (intervals, in_tolerance, current) in enumerate(histories):
        t, ok = _events(i, intervals, in_tolerance)
        try:
            i0 = positive("current_interval", current)
        except IntervalError as exc:
            raise _in_class(i, exc) from None
        use = np.abs(t - i0) <= min(wd, wf * i0)
        xs[i], ns[i], unused[i], i0s[i] = int(ok[use].sum()), int(use.sum()), int((~use).sum()), i0

    # the scipy.stats calls of rejection_confidence / reliability_limits, once on arrays
    tail = np.zeros(k)
    inner = (ns > 0) & (xs > 0) & (xs < ns)
    # R₀ = x/n compared with R_t as the per-class code compares them (x/n as a float)
    r0 = np.divide(xs, ns, out=np.zeros(k), where=ns > 0)
    low = inner & (r0 < rt)
    high = inner & (r0 > rt)
    if low.any():
        tail[low] = stats.binom.cdf(xs[low], ns[low], rt)
    if high.any():
        tail[high] = stats.binom.sf(xs[high] - 1, ns[high], rt)
    alpha = 1.0 - conf
    beta_lo = np.zeros(k)
    beta_hi = np.zeros(k)
    if inner.any():
        beta_lo[inner] = stats.beta.ppf(alpha / 2.0, xs[inner], ns[inner] - xs[inner] + 1)
        beta_hi[inner] = stats.beta.ppf(1.0 - alpha / 2.0, xs[inner] + 1, ns[inner] - xs[inner])

    out = []
    for i in range(k):
        x, n, i0 = int(xs[i]), int(ns[i]), float(i0s[i])
        if n == 0:
            out.append(
                IntervalTestResult(
                    interval_days=None,
                    reliability=None,
                    confidence=None,
                    method="A3",
                    insufficient="n: no calibrations at the current interval to test",
                    current_interval=i0,
                    target=rt,
                    unused=int(unused[i]),
                )
            )
            continue
        # same arithmetic as reactive.rejection_confidence / interval_test_counts
        r = x / n
        if x == n:
            c = 1.0 - rt**n
        elif x == 0:
            c = 1.0 - (1.0 - rt) ** n
        elif r < rt or r > rt:
            c = max(0.0, 1.0 - 2.0 * float(tail[i]))
        else:
            c = 0.0
        if r < rt:
            factor = max(10.0 ** ((r - rt) * c), 1.0 / m)
        elif r > rt:
            expo = math.inf if c >= 1.0 else (r - rt) / (1.0 - c)
            factor = m if expo >= math.log10(m) else 10.0**expo
        else:
            factor = 1.0
        calc = factor * i0
        changed = c > conf and abs(calc - i0) >= min_change_days
        new = min(max(calc, lo), hi) if changed else i0
        if x == 0:
            rl, ru = 0.0, 1.0 - alpha ** (1.0 / n)
        elif x == n:
            rl, ru = alpha ** (1.0 / n), 1.0
        else:
            rl, ru = float(beta_lo[i]), float(beta_hi[i])
        out.append(
            IntervalTestResult(
                interval_days=float(new),
                reliability=r,
                confidence=c,
                method="A3",
                current_interval=i0,
                calculated_interval=float(calc),
                changed=bool(changed),
                target=rt,
                reliability_low=rl,
                reliability_high=ru,
                n_in_tolerance=x,
                n=n,
                unused=int(unused[i]),
            )
        )
    return out


# --------------------------------------------------------------------------------------------
# S2: vectorised pieces (rows = classes, columns = distinct resubmission times, zero-padded)
# --------------------------------------------------------------------------------------------
def _col(p: np.ndarray) -> np.ndarray:
    """(C, m) parameters → (m, C, 1), the shape the model functions broadcast against (C, K)."""
    return p.T[:, :, None]


def _r_inplace(model: str, t: np.ndarray, p: np.ndarray) -> np.ndarray:
    """R(t) of ``reliability.MODELS[model]`` for rows of t (C, K) and parameters p (C, m), the
    same floating-point operations in the same order, without temporaries."""
    a = p[:, :1]
    r = np.multiply(t, a) if model != "random_walk" else np.multiply(t, p[:, 1:2])
    if model == "exponential":  # exp(−λt)
        np.negative(r, out=r)
        np.exp(r, out=r)
    elif model == "weibull":  # exp(−(λt)^β)
        np.power(r, p[:, 1:2], out=r)
        np.negative(r, out=r)
        np.exp(r, out=r)
    elif model == "mixed_exponential":  # (1 + κt/β)^(−β)
        r /= p[:, 1:2]
        r += 1.0
        np.power(r, -p[:, 1:2], out=r)
    else:  # 2Φ(1/√(θ₁ + θ₂t)) − 1
        r += a
        np.sqrt(r, out=r)
        np.divide(1.0, r, out=r)
        special.ndtr(r, out=r)
        r *= 2.0
        r -= 1.0
    return r


def _value_many(model: str, logp, t, g, b) -> np.ndarray:
    """−ln L per row (C,), as ``reliability._nll`` (1e300 where not finite); b = n − g."""
    with np.errstate(all="ignore"):
        r = _r_inplace(model, t, np.exp(logp))
        np.clip(r, _EPS, 1.0 - _EPS, out=r)
        lr = np.log(r)
        lr *= g
        # ln(1 − R) as log(1 − R): 1 − R is exact for R ≥ ½ (Sterbenz), and below ½ its
        # rounding moves a term by < 2⁻⁵³ absolute; half the cost of log1p(−R)
        np.subtract(1.0, r, out=r)
        np.log(r, out=r)
        r *= b
        lr += r
        val = -np.sum(lr, axis=1)
    val[~np.isfinite(val)] = 1e300
    return val


def _state_many(logp, f, df, t, n, g) -> tuple[np.ndarray, np.ndarray]:
    """At log-parameters (C, m): the gradient of −ln L (C, m) of ``reliability._nll`` and the
    expected information (C, m, m) of ``reliability._information``, from one evaluation of R and
    ∇R. Rows whose −ln L is not finite get a zero gradient, as in ``_nll``."""
    p = np.exp(logp)
    pc = _col(p)
    with np.errstate(all="ignore"):
        r = np.clip(f(t, pc), _EPS, 1.0 - _EPS)
        # −ln L is finite exactly where every clipped R is (counts are finite)
        bad = np.isnan(r).any(axis=1)
        w = -(g / r - (n - g) / (1.0 - r))
        dr = df(t, pc)  # (m, C, K)
        grad = np.einsum("mck,ck->cm", dr, w) * p
        d = (dr * pc).transpose(1, 0, 2)  # (C, m, K), per log-parameter
        info = np.matmul(d * (n / (r * (1.0 - r)))[:, None, :], d.transpose(0, 2, 1))
    grad = np.where(np.isfinite(grad), grad, 0.0)
    grad[bad] = 0.0
    return grad, info


def _info_many(p, f, df, t, n) -> np.ndarray:
    """Expected information in log-parameters (C, m, m), as ``reliability._information``."""
    pc = _col(p)
    r = np.clip(f(t, pc), _EPS, 1.0 - _EPS)
    d = (df(t, pc) * pc).transpose(1, 0, 2)  # (C, m, K)
    return np.matmul(d * (n / (r * (1.0 - r)))[:, None, :], d.transpose(0, 2, 1))


def _start_many(model: str, t, n, g) -> np.ndarray:
    """``reliability._start`` for every row (C, m)."""
    rbar = np.clip(g.sum(axis=1) / n.sum(axis=1), 0.02, 0.98)
    tbar = np.sum(n * t, axis=1) / n.sum(axis=1)
    lam = -np.log(rbar) / np.maximum(tbar, _EPS)
    if model == "exponential":
        return np.log(lam)[:, None]
    if model in ("weibull", "mixed_exponential"):
        shape = 1.0 if model == "weibull" else 10.0
        return np.log(np.stack([lam, np.full_like(lam, shape)], axis=1))
    q = special.ndtri((1.0 + rbar) / 2.0) ** -2.0
    return np.log(np.stack([0.1 * q, 0.9 * q / np.maximum(tbar, _EPS)], axis=1))


def _solve_steps(info: np.ndarray, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scoring steps −I⁻¹∇ per row; second value True where ``np.linalg.solve`` would fail."""
    try:
        step = -np.linalg.solve(info, grad[:, :, None])[:, :, 0]
        failed = np.zeros(len(grad), dtype=bool)
    except np.linalg.LinAlgError:
        step = np.zeros_like(grad)
        failed = np.zeros(len(grad), dtype=bool)
        for i in range(len(grad)):
            try:
                step[i] = -np.linalg.solve(info[i], grad[i])
            except np.linalg.LinAlgError:
                failed[i] = True
    return step, failed | ~np.all(np.isfinite(step), axis=1)


def _maximise_many(model: str, t, n, g) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fisher scoring of ``reliability._maximise`` for all rows at once.

    Returns log-parameters (C, m), −ln L (C,) and a mask of the rows whose per-class scoring
    would hand over to L-BFGS-B (those rows must be refitted by the per-class code). Trial
    points of the step halving get −ln L only; gradient and information are evaluated once per
    accepted point."""
    f, df, m = MODELS[model]
    bounds = BOUNDS[model]
    x = np.clip(_start_many(model, t, n, g), bounds[:, 0], bounds[:, 1])
    b = n - g
    val = _value_many(model, x, t, g, b)
    active = np.ones(len(x), dtype=bool)
    polish = np.zeros(len(x), dtype=bool)
    eye = np.eye(m)
    idx = np.arange(len(x))  # rows whose gradient and information are due
    for _ in range(60):
        if idx.size == 0:
            break
        if idx.size == len(x):  # no copies while every row is still iterating
            ti, ni, gi, bi = t, n, g, b
        else:
            ti, ni, gi, bi = t[idx], n[idx], g[idx], b[idx]
        grad, info = _state_many(x[idx], f, df, ti, ni, gi)
        with np.errstate(all="ignore"):
            info = info + 1e-9 * np.trace(info, axis1=1, axis2=2)[:, None, None] * eye
            step, failed = _solve_steps(info, grad)
        if failed.any():
            polish[idx[failed]] = True
            active[idx[failed]] = False
            keep = ~failed
            idx, step = idx[keep], step[keep]
            ti, gi, bi = ti[keep], gi[keep], bi[keep]
        # step halving: λ = 1, ½, … while λ > 1e-3; the first λ with −ln L not larger wins
        # (ti, gi, bi, step) shrink to the rows still searching after each trial
        rows = idx
        lam = 1.0
        moved = []
        while lam > 1e-3 and rows.size:
            xn = np.clip(x[rows] + lam * step, bounds[:, 0], bounds[:, 1])
            vn = _value_many(model, xn, ti, gi, bi)
            ok = vn <= val[rows]
            acc = rows[ok]
            gain = val[acc] - vn[ok]
            x[acc], val[acc] = xn[ok], vn[ok]
            done = gain < 1e-6
            active[acc[done]] = False
            moved.append(acc[~done])
            if ok.any():
                rest = ~ok
                rows, step, ti, gi, bi = rows[rest], step[rest], ti[rest], gi[rest], bi[rest]
            lam /= 2.0
        active[rows] = False  # no descent along the scoring direction: at the optimum
        idx = np.sort(np.concatenate(moved)) if moved else idx[:0]
    polish |= active  # 60 iterations without converging
    return x, val, polish


def _geomgrid(hi: np.ndarray) -> np.ndarray:
    """The grid of ``reliability._solve`` per row: 1e-9, then 80 points geometric 1e-3 … hi."""
    grid = np.geomspace(1e-3, hi, 80, axis=1)
    return np.concatenate([np.full((len(hi), 1), 1e-9), grid], axis=1)


def _solve_many(fun, hi: np.ndarray) -> np.ndarray:
    """``reliability._solve`` per row: smallest root of ``fun`` (rows of x ↦ rows of values) on
    (0, hi] where it turns from > 0 to ≤ 0; NaN where there is none."""
    grid = _geomgrid(hi)
    with np.errstate(all="ignore"):
        vals = fun(grid)
    cross = (vals[:, :-1] > 0) & (vals[:, 1:] <= 0)
    has = cross.any(axis=1)
    root = np.full(len(hi), np.nan)
    if not has.any():
        return root
    rows = np.nonzero(has)[0]
    j = np.argmax(cross[rows], axis=1)
    a, b = grid[rows, j], grid[rows, j + 1]
    fb = vals[rows, j + 1]
    with np.errstate(all="ignore"):
        for _ in range(_BISECT):
            mid = 0.5 * (a + b)
            fm = fun_rows(fun, mid, rows, len(hi))
            pos = fm > 0
            a = np.where(pos, mid, a)
            b = np.where(pos, b, mid)
            fb = np.where(pos, fb, fm)
            if np.all(b - a <= 1e-12 * b):
                break
    root[rows] = np.where(fb == 0, b, 0.5 * (a + b))
    return root


def fun_rows(fun, x: np.ndarray, rows: np.ndarray, c: int) -> np.ndarray:
    """Evaluate a row-wise ``fun`` at one point per row of ``rows`` (others at a dummy 1.0)."""
    pts = np.ones((c, 1))
    pts[rows, 0] = x
    return fun(pts)[rows, 0]


def _bins_many(t, n, g, sizes: np.ndarray, bins: int) -> tuple[np.ndarray, ...]:
    """``reliability._bins`` per row, zero-padded to ``bins`` columns; also the bin counts k."""
    c, kmax = t.shape
    cols = np.arange(kmax)
    if bins >= 1 and np.all(sizes <= bins):  # every distinct time its own bin
        k = sizes.copy()
        return t, n, g, k
    nb_cols = max(bins, 1)
    cum = np.cumsum(n, axis=1)
    labels = np.empty((c, kmax), dtype=np.int64)
    for i in range(c):
        if sizes[i] <= bins:
            labels[i] = np.minimum(cols, nb_cols)
            continue
        ci = cum[i, : sizes[i]]
        edges = np.searchsorted(ci, np.linspace(0, ci[-1], bins + 1)[1:-1], side="left")
        splits = np.unique(edges + 1)
        labels[i] = np.searchsorted(splits, cols, side="right")
    labels[cols[None, :] >= sizes[:, None]] = nb_cols  # padding: a bin of its own, left out
    flat = (labels + (nb_cols + 1) * np.arange(c)[:, None]).ravel()
    size = c * (nb_cols + 1)

    def total(w: np.ndarray) -> np.ndarray:
        out = np.bincount(flat, weights=w.ravel(), minlength=size).reshape(c, nb_cols + 1)
        return out[:, :nb_cols]

    nb, gb = total(n), total(g)
    tb = np.divide(total(t * n), nb, out=np.ones((c, nb_cols)), where=nb > 0)
    small = sizes <= bins
    if small.any():
        width = min(nb_cols, kmax)
        tb[small, :width] = np.where(n[small, :width] > 0, t[small, :width], 1.0)
    k = np.count_nonzero(nb > 0, axis=1)
    return tb, nb, gb, k


def _rejection_many(f, p, tb, nb, gb, k, m: int) -> np.ndarray:
    """RP-1 rejection confidence per row (NaN where ``reliability._rejection`` gives None)."""
    ntot = nb.sum(axis=1)
    out = np.full(len(k), np.nan)
    valid = (k > m) & (ntot > k)
    if not valid.any():
        return out
    with np.errstate(all="ignore"):
        rb = np.divide(gb, nb, out=np.zeros_like(gb), where=nb > 0)
        se2 = np.sum(nb * rb * (1 - rb), axis=1) / (ntot - k)
        sl2 = np.sum(nb * (rb - f(tb, _col(p))) ** 2, axis=1) / (k - m)
    valid &= se2 > 0
    if valid.any():
        out[valid] = stats.f.cdf(sl2[valid] / se2[valid], k[valid] - m, ntot[valid] - k[valid])
    return out


def _band_many(model: str, p, t, n, target: float, confidence: float):
    """``reliability._band`` per row: τ_low, τ_high (NaN = None) and a mask of singular rows."""
    f, df, _ = MODELS[model]
    c = len(p)
    horizon = 50.0 * t.max(axis=1)
    lo = np.full(c, np.nan)
    hi = np.full(c, np.nan)
    with np.errstate(all="ignore"):
        info = _info_many(p, f, df, t, n)
    good = np.all(np.isfinite(info), axis=(1, 2))
    if good.any():
        with np.errstate(all="ignore"):
            cond = np.linalg.cond(info[good])
        good[good] = cond < 1e12
    cov = np.zeros_like(info)
    if good.any():
        rows = np.nonzero(good)[0]
        try:
            cov[rows] = np.linalg.inv(info[rows])
        except np.linalg.LinAlgError:
            for i in rows:
                try:
                    cov[i] = np.linalg.inv(info[i])
                except np.linalg.LinAlgError:
                    good[i] = False
        good &= np.all(np.diagonal(cov, axis1=1, axis2=2) >= 0, axis=1)
    if not good.any():
        return lo, hi, ~good
    rows = np.nonzero(good)[0]
    z = float(stats.norm.ppf(0.5 + confidence / 2.0))
    pr, covr = p[rows], cov[rows]

    def u_r(x: np.ndarray) -> np.ndarray:
        grad = df(x, _col(pr)) * _col(pr)  # (m, C, L) per log-parameter
        return np.sqrt(np.maximum(np.einsum("ick,cij,jck->ck", grad, covr, grad), 0.0))

    lo[rows] = _solve_many(lambda x: f(x, _col(pr)) - z * u_r(x) - target, horizon[rows])
    hi[rows] = _solve_many(lambda x: f(x, _col(pr)) + z * u_r(x) - target, horizon[rows])
    return lo, hi, ~good


def _none(v: float) -> float | None:
    return None if math.isnan(v) else float(v)


_SINGULAR = "information matrix singular: no confidence band"
_NO_ROOT = "R stays above the target within 50× the longest interval"
_TWO_TIMES = "needs ≥ 2 distinct resubmission times"


def _fit_block(model, t, n, g, sizes, binned, target, confidence, bins, band) -> list[ModelFit]:
    """Fit ``model`` to every row of one block; ModelFit per row as ``reliability._fit``."""
    f, _, m = MODELS[model]
    c = len(t)
    fits: list[ModelFit | None] = [None] * c
    rows = np.nonzero(sizes >= 2)[0] if m > 1 else np.arange(c)
    for i in np.nonzero(sizes < 2)[0] if m > 1 else ():
        fits[i] = ModelFit(model, (), math.nan, math.inf, None, None, None, None, note=_TWO_TIMES)
    if rows.size == 0:
        return fits  # type: ignore[return-value]
    tr, nr, gr = t[rows], n[rows], g[rows]
    lp, val, polish = _maximise_many(model, tr, nr, gr)
    p = np.exp(lp)
    ll = -val
    aic = 2 * m - 2 * ll
    tb, nb, gb, k = (a[rows] for a in binned)
    rej = _rejection_many(f, p, tb, nb, gb, k, m)
    horizon = 50.0 * tr.max(axis=1)
    tau = _solve_many(lambda x: f(x, _col(p)) - target, horizon)
    lo = np.full(rows.size, np.nan)
    hi = np.full(rows.size, np.nan)
    singular = np.zeros(rows.size, dtype=bool)
    if band and np.isfinite(tau).any():
        sel = np.nonzero(np.isfinite(tau))[0]
        lo[sel], hi[sel], singular[sel] = _band_many(
            model, p[sel], tr[sel], nr[sel], target, confidence
        )
    for j, i in enumerate(rows):
        if polish[j]:  # per-class scoring hands over to L-BFGS-B: use the per-class fit
            sz = sizes[i]
            fits[i] = _rel._fit(
                model, t[i, :sz], n[i, :sz], g[i, :sz], target, confidence, bins, band=band
            )
            continue
        tj = _none(tau[j])
        note = None if tj is not None else _NO_ROOT
        if tj is not None and band:
            note = _SINGULAR if singular[j] else None
        fits[i] = ModelFit(
            model,
            tuple(float(v) for v in p[j]),
            float(ll[j]),
            float(aic[j]),
            _none(rej[j]),
            tj,
            _none(lo[j]),
            _none(hi[j]),
            note,
        )
    return fits  # type: ignore[return-value]


def _grouped(ts: list[np.ndarray], oks: list[np.ndarray]):
    """Distinct times per class with their counts (one sort over all classes): for each class
    (times, n, g) exactly as ``reliability._group``, as slices of three flat arrays."""
    lengths = np.array([a.size for a in ts], dtype=np.int64)
    cid = np.repeat(np.arange(len(ts)), lengths)
    t = np.concatenate(ts) if ts else np.zeros(0)
    ok = np.concatenate(oks).astype(float) if oks else np.zeros(0)
    order = np.lexsort((t, cid))
    t, ok, cid = t[order], ok[order], cid[order]
    new = np.ones(t.size, dtype=bool)
    new[1:] = (t[1:] != t[:-1]) | (cid[1:] != cid[:-1])
    key = np.cumsum(new) - 1
    tu = t[new]
    nn = np.bincount(key).astype(float)
    gg = np.bincount(key, weights=ok, minlength=tu.size)
    sizes = np.bincount(cid[new], minlength=len(ts))
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    return tu, nn, gg, sizes, starts


def _pad(tu, nn, gg, sizes, starts, rows: np.ndarray):
    """Classes × times arrays of the given classes, zero counts beyond each class's times."""
    width = max(int(sizes[rows].max()), 1)
    col = np.arange(width)
    inside = col[None, :] < sizes[rows, None]
    src = np.where(inside, starts[rows, None] + col[None, :], starts[rows, None])
    t = tu[src]  # padding repeats the class's first time (finite wherever the data are)
    n = np.where(inside, nn[src], 0.0)
    g = np.where(inside, gg[src], 0.0)
    return t, n, g


def _fits_many(
    ts, oks, models, target, confidence, bins, band: bool, chunk: int
) -> list[tuple[ModelFit, ...]]:
    """ModelFits of every model for every class (classes must be valid for S2)."""
    tu, nn, gg, sizes, starts = _grouped(ts, oks)
    out: list[tuple[ModelFit, ...]] = [()] * len(ts)
    order = np.argsort(sizes, kind="stable")  # similar widths together: little padding
    for s in range(0, order.size, chunk):
        rows = order[s : s + chunk]
        t, n, g = _pad(tu, nn, gg, sizes, starts, rows)
        sz = sizes[rows]
        binned = _bins_many(t, n, g, sz, bins)
        per_model = [
            _fit_block(mdl, t, n, g, sz, binned, target, confidence, bins, band) for mdl in models
        ]
        for j, i in enumerate(rows):
            out[i] = tuple(fits[j] for fits in per_model)
    return out


def _validate_options(target, confidence, select, models) -> tuple[float, float]:
    rt = probability("target", target)
    conf = probability("confidence", confidence)
    if select not in ("aic", "rejection"):
        raise IntervalError("select", f"must be 'aic' or 'rejection', got {select!r}")
    if not models:
        raise IntervalError("models", "needs at least one model")
    for name in models:
        if name not in MODELS:
            raise IntervalError("models", f"unknown {name!r}; choose from {sorted(MODELS)}")
    return rt, conf


def fit_many(
    model: str,
    histories: Sequence[History],
    target: float,
    *,
    confidence: float = 0.95,
    bins: int = 8,
    chunk: int = _CHUNK,
) -> list[ModelFit]:
    """:func:`.reliability.fit_model` for each (intervals, in_tolerance) of ``histories``."""
    if model not in MODELS:
        raise IntervalError("models", f"unknown {model!r}; choose from {sorted(MODELS)}")
    events = [_events(i, t, ok) for i, (t, ok) in enumerate(histories)]
    rt = probability("target", target)
    for i, (t, _ok) in enumerate(events):  # the per-class fit fails on these without a field
        if not np.any(t > 0):
            raise IntervalError(f"histories[{i}].intervals", "needs a resubmission time > 0 days")
    if not events:
        return []
    ts, oks = zip(*events, strict=True)
    fits = _fits_many(list(ts), list(oks), (model,), rt, confidence, bins, True, chunk)
    return [f[0] for f in fits]


def binomial_interval_many(
    histories: Sequence[History],
    target: float,
    *,
    models: Sequence[str] = tuple(MODELS),
    confidence: float = 0.95,
    select: str = "aic",
    bins: int = 8,
    min_events: int = 10,
    all_bands: bool = False,
    chunk: int = _CHUNK,
) -> list[ReliabilityResult]:
    """Method S2 (:func:`.reliability.binomial_interval`) for each (intervals, in_tolerance) of
    ``histories`` (days); the options are those of the per-class function, ``chunk`` the number
    of classes evaluated together (memory ≈ chunk × distinct times × a few dozen arrays)."""
    events = [_events(i, t, ok) for i, (t, ok) in enumerate(histories)]
    rt, conf = _validate_options(target, confidence, select, models)
    results: list[ReliabilityResult | None] = [None] * len(events)
    fit_rows = []
    for i, (t, ok) in enumerate(events):
        n, x = int(t.size), int(ok.sum())
        reason = None
        if n < min_events:
            reason = f"intervals: {n} calibration events, S2 needs ≥ {min_events}"
        elif x == n:
            reason = "in_tolerance: no out-of-tolerance event, reliability cannot be modelled"
        elif x == 0:
            reason = "in_tolerance: no in-tolerance event, reliability cannot be modelled"
        elif np.any(t <= 0):
            raise IntervalError(
                f"histories[{i}].intervals", "resubmission times must be > 0 days for S2"
            )
        if reason is not None:
            results[i] = ReliabilityResult(
                interval_days=None,
                reliability=None,
                confidence=None,
                method="S2",
                insufficient=reason,
                n=n,
                n_in_tolerance=x,
            )
        else:
            fit_rows.append(i)
    if fit_rows:
        ts = [events[i][0] for i in fit_rows]
        oks = [events[i][1] for i in fit_rows]
        fits_all = _fits_many(ts, oks, tuple(models), rt, conf, bins, all_bands, chunk)
        bests = [_choose(fits, select) for fits in fits_all]
        if not all_bands:
            _add_bands(ts, oks, fits_all, bests, rt, conf, chunk)
        for j, i in enumerate(fit_rows):
            t, ok = events[i]
            results[i] = _result(fits_all[j], bests[j], rt, conf, int(t.size), int(ok.sum()))
    return results  # type: ignore[return-value]


def _choose(fits: tuple[ModelFit, ...], select: str) -> int | None:
    """Index of the chosen fit, as in ``binomial_interval``; None when no model is usable."""
    usable = [i for i, f in enumerate(fits) if f.interval is not None and math.isfinite(f.aic)]
    if not usable:
        return None
    pool = [i for i in usable if fits[i].accepted] or usable
    if select == "aic":
        return min(pool, key=lambda i: fits[i].aic)
    return min(pool, key=lambda i: (fits[i].rejection_confidence or 0.0, fits[i].aic))


def _add_bands(ts, oks, fits_all, bests, rt, conf, chunk) -> None:
    """Band of each class's chosen model (``all_bands=False``), vectorised per model."""
    by_model: dict[str, list[int]] = {}
    for j, b in enumerate(bests):
        if b is not None:
            by_model.setdefault(fits_all[j][b].model, []).append(j)
    for model, js in by_model.items():
        sub_t = [ts[j] for j in js]
        tu, nn, gg, sizes, starts = _grouped(sub_t, [oks[j] for j in js])
        order = np.argsort(sizes, kind="stable")
        for s in range(0, order.size, chunk):
            rows = order[s : s + chunk]
            t, n, _ = _pad(tu, nn, gg, sizes, starts, rows)
            p = np.array([fits_all[js[r]][bests[js[r]]].params for r in rows])
            lo, hi, singular = _band_many(model, p, t, n, rt, conf)
            for k, r in enumerate(rows):
                j = js[r]
                fits = fits_all[j]
                b = bests[j]
                banded = dataclasses.replace(
                    fits[b],
                    interval_low=_none(lo[k]),
                    interval_high=_none(hi[k]),
                    note=_SINGULAR if singular[k] else None,
                )
                fits_all[j] = (*fits[:b], banded, *fits[b + 1 :])


def _result(fits, best, rt, conf, n, x) -> ReliabilityResult:
    if best is None:
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
    b = fits[best]
    return ReliabilityResult(
        interval_days=b.interval,
        reliability=rt,
        confidence=conf if b.interval_low is not None else None,
        method=f"S2/{b.model}",
        model=b.model,
        interval_low=b.interval_low,
        interval_high=b.interval_high,
        fits=fits,
        n=n,
        n_in_tolerance=x,
    )
