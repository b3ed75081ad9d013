"""Detect when the first-order LPU is not adequate (GUM 5.1.2 note, JCGM 101 §5.7, §9.4).

The LPU keeps the first-order Taylor term of f only. It fails silently when the sensitivity
coefficients vanish at the estimates (JCGM 101 §9.4.2.2, Y = X₁² + X₂² at x = 0: u = 0) or when
the higher-order terms are comparable with the first-order ones. The probe evaluates the model at
x ± δ_k along a few fixed pseudo-random directions δ_k = z_k ∘ u (z_k standard normal, so every
input moves by about its own standard uncertainty) and measures

* the even part  e_k = ½ |f(x + δ_k) + f(x − δ_k) − 2 f(x)|  ≈ ½ δ_kᵀ H δ_k (second order), and
* the odd part   o_k = ½ |f(x + δ_k) − f(x − δ_k) − 2 J δ_k|  (third and higher odd orders).

For normal z, E[(½δᵀHδ)²] = ¼ (tr A)² + ½ ‖A‖²_F with A = diag(u) H diag(u): the shift of the
expectation plus the second-order variance term of GUM eq. (10) note. The r.m.s. of e_k and o_k
over the directions, u_nl, is compared with the first-order u(y); cost: 2K model evaluations
(K = 16; 4 above 1000 inputs) in one batched call, linear in the number of inputs.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np

from .errors import UncertaintyError
from .model import Model

__all__ = ["NONLINEAR_RATIO", "linearity_warnings"]

#: warn when u_nl > NONLINEAR_RATIO · u_first (u would change by ≳ 2 % in quadrature, and the
#: expectation can move by a fifth of u)
NONLINEAR_RATIO = 0.2
_DIRECTIONS = 16
#: above this many inputs only 4 directions are probed, so a 10⁴-input LPU stays sub-millisecond
_MANY_INPUTS = 1000
_DIRECTIONS_MANY = 4
_SEED = 20080901  # fixed: the same model and inputs always give the same verdict
#: skip the probe above this many floats (N × 2K): models of more than 250 000 inputs
_MAX_FLOATS = 2_000_000


@functools.lru_cache(maxsize=4)
def _directions(n: int, k: int) -> np.ndarray:
    """The fixed standard-normal directions zᵀ (K, n), cached: drawing them costs more than a
    10⁴-input LPU."""
    z = np.random.default_rng(_SEED).standard_normal((k, n))
    z.setflags(write=False)
    return z


def _probe(
    model: Model, names: Sequence[str], x: np.ndarray, u: np.ndarray, y: np.ndarray, jac: np.ndarray
) -> tuple[np.ndarray | None, int, int]:
    """(u_nl per output, directions failed, directions probed); u_nl is None when the model
    cannot be evaluated around the estimates at all."""
    k = _DIRECTIONS if x.size <= _MANY_INPUTS else _DIRECTIONS_MANY
    # built transposed, (2K, N): contiguous writes, and the (N, 2K) view the model sees is
    # column-major, so a vector model's reductions over axis 0 run over contiguous memory
    delta_t = _directions(x.size, k) * u
    points_t = np.empty((2 * k, x.size))
    np.add(x, delta_t, out=points_t[:k])
    np.subtract(x, delta_t, out=points_t[k:])
    try:
        with np.errstate(all="ignore"):
            f = model.evaluate_points(names, points_t.T)
    except (UncertaintyError, ArithmeticError, ValueError, TypeError):
        return None, 0, k
    probed, failed = k, 0
    if not np.isfinite(f).all():
        # outside the model's domain along some directions: judge by the others
        ok = np.isfinite(f[:, :k]).all(axis=0) & np.isfinite(f[:, k:]).all(axis=0)
        failed = int(k - ok.sum())
        if not ok.any():
            return None, failed, probed
        f = np.concatenate([f[:, :k][:, ok], f[:, k:][:, ok]], axis=1)
        delta_t = delta_t[ok]
        k = int(ok.sum())
    plus, minus = f[:, :k], f[:, k:]
    even = plus + minus - 2 * y[:, None]  # 2 × even part
    odd = plus - minus - 2 * (delta_t @ jac.T).T  # 2 × odd part
    u_nl = 0.5 * np.sqrt((even * even + odd * odd).mean(axis=1))
    # rounding noise of f at the probe points is not non-linearity
    noise = 64 * np.finfo(float).eps * np.maximum(np.abs(f).max(axis=1), np.abs(y))
    return np.where(u_nl > noise, u_nl, 0.0), failed, probed


def linearity_warnings(
    model: Model,
    names: Sequence[str],
    x: np.ndarray,
    u: np.ndarray,
    y: np.ndarray,
    jac: np.ndarray,
    u_first: np.ndarray,
    output_names: Sequence[str],
    u_total: np.ndarray | None = None,
) -> tuple[np.ndarray, list[list[str]]]:
    """(u_nl, warnings): the non-linearity measure and the warnings per output when the
    first-order LPU is doubtful (u_nl = 0 and empty lists when it is fine or not probed).

    Args:
        model, names: the measurement model and its input names.
        x, u: input estimates and standard uncertainties.
        y, jac: output estimates (m,) and Jacobian (m, N) at x.
        u_first: first-order combined standard uncertainties (m,), correlations included.
        output_names: names of the m outputs (for the messages).
        u_total: u(y) with the second-order terms, when they were included; then only
            non-linearity well beyond them (odd terms such as x³ at x = 0) is reported.
    """
    m = y.size
    out: list[list[str]] = [[] for _ in range(m)]
    if x.size * 2 * _DIRECTIONS_MANY > _MAX_FLOATS or not np.any(u > 0):
        return np.zeros(m), out
    u_nl, failed, probed = _probe(model, names, x, u, y, jac)
    if failed:
        for k in range(m):
            out[k].append(
                f"{output_names[k]}: the model gives non-finite values within a few u of the "
                f"estimates ({failed} of {probed} probe directions): the inputs' PDFs reach "
                "outside the model's domain, so the first-order LPU and a Monte Carlo over these "
                "PDFs are both doubtful — check the PDFs (e.g. bounded ones) or the model"
            )
    if u_nl is None:
        return np.zeros(m), out
    for k in range(m):
        first, nl = float(u_first[k]), float(u_nl[k])
        if nl == 0.0 or nl <= NONLINEAR_RATIO * first:
            continue
        if u_total is not None and nl <= 2 * float(u_total[k]):
            continue  # the second-order terms already cover it
        vanish = np.flatnonzero((u > 0) & (np.abs(jac[k]) * u <= 1e-9 * max(first, nl)))
        # vector models carry no names: use the default names x0, x1, … of InputSet
        zero = [names[i] if len(names) == x.size else f"x{i}" for i in vanish[:6]]
        where = ""
        if zero:
            shown = ", ".join(zero[:5]) + (" …" if vanish.size > 5 else "")
            where = f"; the sensitivity coefficients of {shown} vanish at the estimates"
        if first <= 1e-9 * nl:
            head = (
                f"{output_names[k]}: the first-order LPU gives u = {first:.3g}, but the model "
                f"varies by about {nl:.2g} over ±u of the inputs{where}"
            )
        else:
            ratio = nl / first
            head = (
                f"{output_names[k]}: the model is not linear over ±u of the inputs — "
                f"higher-order terms ≈ {nl:.2g} against u = {first:.3g} "
                f"(ratio {ratio:.2g}){where}"
            )
        out[k].append(
            head + ". Use the second-order terms (second_order: true, GUM 5.1.2 note) or the "
            "Monte Carlo method (--method mcm or both, JCGM 101 §5.7)"
        )
    return u_nl, out
