"""Sensitivity coefficients c_i = ∂f/∂x_i (灵敏系数) and second-order terms.

Method, in order of preference (the one used is reported in the result):

1. ``autodiff`` — reverse-mode automatic differentiation (:mod:`.autodiff`): one model call and
   one backward sweep, exact to rounding, cost linear in the model size.
2. ``complex-step`` — if the model cannot be traced but is complex-safe:
   c_i = Im f(x + i·h·e_i)/h with h = 10⁻²⁰·max(|x_i|, u_i, 1). No subtractive cancellation, so the
   result is accurate to rounding (truncation O(h²) ≈ 10⁻⁴⁰ relative). All N perturbations are
   evaluated in batched model calls on arrays (a batch axis), chunked to bound memory. The
   Jacobian is accepted only if it predicts a central difference along a random direction
   (functions such as ``np.abs`` silently drop the imaginary part).
3. ``central`` — central differences with a per-input step h_i = ε^{1/3}·max(|x_i|, u_i)
   (ε = 2.2·10⁻¹⁶), same batching; relative error ≈ ε^{2/3} ≈ 10⁻¹¹ for smooth models.

Second-order terms (GUM 5.1.2 note, eq. 10 note) use batched central differences with steps
h_i = u_i/16 for ∂²f/∂x_i∂x_j and ∂³f/∂x_i∂x_j².
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from .autodiff import NotDifferentiable, Var, gradients
from .errors import LimitError, ModelError
from .model import Model

__all__ = ["jacobian", "second_order_variance"]

_EPS = np.finfo(float).eps
#: floats per batched evaluation (N × batch) — bounds memory of the numerical fallbacks
_BATCH_FLOATS = 4_000_000
#: second-order terms need O(N²) model points; refuse above this many inputs
MAX_SECOND_ORDER_INPUTS = 200


def _check_outputs(values: np.ndarray, what: str) -> None:
    if not np.all(np.isfinite(values)):
        raise ModelError(f"model returned a non-finite value {what}")


def _autodiff(model: Model, names: Sequence[str], x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if model.vector:
        xv = Var(x.copy())
        outs = model.call(names, xv)
        y = np.array([float(np.asarray(o.value if isinstance(o, Var) else o)) for o in outs])
        jac = np.vstack([np.asarray(gradients(o, [xv])[0], dtype=float).reshape(-1) for o in outs])
        return y, jac
    # numpy scalars, not Python floats: x/0 must give inf (then a ModelError), not raise
    leaves = [Var(v) for v in x]
    outs = model.call(names, leaves)
    y = np.array([float(np.asarray(o.value if isinstance(o, Var) else o)) for o in outs])
    jac = np.array([np.asarray(gradients(o, leaves), dtype=float) for o in outs], dtype=float)
    return y, jac.reshape(len(outs), len(names))


def _perturbed_batches(x: np.ndarray, h: np.ndarray, dtype: type, sign: float):
    """Yield (start, points) with points[:, j] = x + sign·h_j e_{start+j} for a chunk of inputs."""
    n = x.size
    chunk = max(1, min(n, _BATCH_FLOATS // max(n, 1)))
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        pts = np.repeat(x.astype(dtype)[:, None], stop - start, axis=1)
        idx = np.arange(start, stop)
        pts[idx, idx - start] += sign * h[idx]
        yield start, pts


def _complex_step(
    model: Model, names: Sequence[str], x: np.ndarray, u: np.ndarray, y0: np.ndarray
) -> np.ndarray:
    h = 1e-20 * np.maximum(np.maximum(np.abs(x), u), 1.0)
    jac = np.empty((y0.size, x.size))
    with warnings.catch_warnings():
        warnings.simplefilter("error", np.exceptions.ComplexWarning)
        for start, pts in _perturbed_batches(x, h * 1j, complex, 1.0):
            out = model.evaluate_points(names, pts)
            if not np.iscomplexobj(out):
                raise TypeError("model dropped the imaginary part")
            # complex-safe models reproduce f(x) in the real part
            if not np.allclose(out.real, y0[:, None], rtol=1e-12, atol=0.0):
                raise TypeError("model is not complex-safe")
            jac[:, start : start + pts.shape[1]] = out.imag / h[start : start + pts.shape[1]]
    return jac


def _central(
    model: Model, names: Sequence[str], x: np.ndarray, u: np.ndarray, m: int
) -> np.ndarray:
    scale = np.maximum(np.abs(x), u)
    h = np.cbrt(_EPS) * np.where(scale > 0, scale, 1.0)
    jac = np.empty((m, x.size))
    for (start, plus), (_, minus) in zip(
        _perturbed_batches(x, h, float, 1.0), _perturbed_batches(x, h, float, -1.0), strict=True
    ):
        width = plus.shape[1]
        step = (plus - minus)[np.arange(start, start + width), np.arange(width)]
        fp = model.evaluate_points(names, plus)
        fm = model.evaluate_points(names, minus)
        _check_outputs(fp, "near the estimates (central differences)")
        _check_outputs(fm, "near the estimates (central differences)")
        jac[:, start : start + width] = (fp - fm) / step
    return jac


def _agrees_with_differences(
    model: Model, names: Sequence[str], x: np.ndarray, u: np.ndarray, jac: np.ndarray
) -> bool:
    """Check J·d against a central difference along one random ±h direction.

    Complex step silently loses terms through functions that drop the imaginary part
    (``np.abs``, ``np.real``…), so its Jacobian is accepted only if it predicts this difference.
    """
    scale = np.maximum(np.abs(x), u)
    h = np.cbrt(_EPS) * np.where(scale > 0, scale, 1.0)
    signs = np.random.default_rng(12345).choice([-1.0, 1.0], size=x.size)
    d = h * signs
    f = model.evaluate_points(names, np.column_stack([x + d, x - d]))
    diff = (f[:, 0] - f[:, 1]) / 2
    predicted = jac @ d
    bound = np.abs(jac) @ np.abs(d)
    return bool(
        np.all(np.abs(diff - predicted) <= 1e-6 * bound + 1e3 * _EPS * np.abs(f).max(axis=1))
    )


def jacobian(
    model: Model, names: Sequence[str], x: np.ndarray, u: np.ndarray, method: str = "auto"
) -> tuple[np.ndarray, np.ndarray, str]:
    """Output estimates y (m,), Jacobian (m, N) and the name of the method used."""
    if method in ("auto", "autodiff"):
        try:
            with np.errstate(all="ignore"):
                y, jac = _autodiff(model, names, x)
            _check_outputs(y, "at the input estimates")
            return y, jac, "autodiff"
        except NotDifferentiable:
            if method == "autodiff":
                raise
    y = model.evaluate_points(names, x[:, None])[:, 0].astype(float)
    _check_outputs(y, "at the input estimates")
    if method in ("auto", "complex-step"):
        try:
            jac = _complex_step(model, names, x, u, y)
            if _agrees_with_differences(model, names, x, u, jac):
                return y, jac, "complex-step"
            if method == "complex-step":
                raise ModelError(
                    "model is not complex-safe (complex-step Jacobian fails the check)"
                )
        except (TypeError, ValueError, np.exceptions.ComplexWarning):
            if method == "complex-step":
                raise
    return y, _central(model, names, x, u, y.size), "central"


def second_order_variance(
    model: Model, names: Sequence[str], x: np.ndarray, u: np.ndarray, jac: np.ndarray
) -> np.ndarray:
    """Σ_i Σ_j [½ (∂²f/∂x_i∂x_j)² + ∂f/∂x_i · ∂³f/∂x_i∂x_j²] u_i² u_j² per output (GUM 5.1.2 note).

    Valid for uncorrelated inputs with symmetric PDFs, as the GUM states.
    """
    n = x.size
    if n > MAX_SECOND_ORDER_INPUTS:
        raise LimitError(
            f"second-order terms need O(N²) model evaluations; N = {n} exceeds "
            f"{MAX_SECOND_ORDER_INPUTS}"
        )
    h = np.where(u > 0, u / 16.0, 0.0)
    active = np.flatnonzero(h > 0)
    # columns: x, x ± h_i, x ± 2h_i, x ± h_i ± h_j (i < j)
    cols = [np.zeros(n)]
    pos: dict[tuple, int] = {(): 0}

    def add(key: tuple, delta: np.ndarray) -> None:
        pos[key] = len(cols)
        cols.append(delta)

    for i in active:
        for s in (1, -1, 2, -2):
            e = np.zeros(n)
            e[i] = s * h[i]
            add((i, s), e)
    for a, i in enumerate(active):
        for j in active[a + 1 :]:
            for si in (1, -1):
                for sj in (1, -1):
                    e = np.zeros(n)
                    e[i], e[j] = si * h[i], sj * h[j]
                    add((i, si, j, sj), e)
    points = x[:, None] + np.column_stack(cols)
    f = model.evaluate_points(names, points)
    _check_outputs(f, "near the estimates (second-order terms)")

    def val(key: tuple) -> np.ndarray:
        return f[:, pos[key]]

    def pair(i: int, si: int, j: int, sj: int) -> np.ndarray:
        return val((i, si, j, sj)) if i < j else val((j, sj, i, si))

    f0 = val(())
    total = np.zeros(f.shape[0])
    for i in active:
        hi = h[i]
        fii = (val((i, 1)) - 2 * f0 + val((i, -1))) / hi**2
        fiii = (val((i, 2)) - 2 * val((i, 1)) + 2 * val((i, -1)) - val((i, -2))) / (2 * hi**3)
        total += (0.5 * fii**2 + jac[:, i] * fiii) * u[i] ** 4
        for j in active:
            if j == i:
                continue
            hj = h[j]
            fij = (
                pair(i, 1, j, 1) - pair(i, 1, j, -1) - pair(i, -1, j, 1) + pair(i, -1, j, -1)
            ) / (4 * hi * hj)
            fjj_plus = (pair(i, 1, j, 1) - 2 * val((i, 1)) + pair(i, 1, j, -1)) / hj**2
            fjj_minus = (pair(i, -1, j, 1) - 2 * val((i, -1)) + pair(i, -1, j, -1)) / hj**2
            fijj = (fjj_plus - fjj_minus) / (2 * hi)
            total += (0.5 * fij**2 + jac[:, i] * fijj) * u[i] ** 2 * u[j] ** 2
    return total
