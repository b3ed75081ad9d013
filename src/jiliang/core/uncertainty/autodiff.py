"""Reverse-mode automatic differentiation over numpy (反向自动微分), for sensitivity coefficients.

Why reverse mode: the gradient of a scalar model y = f(x_1..x_N) costs one model evaluation plus
one backward sweep, whatever N — so sensitivity coefficients scale linearly in the model size.
Forward differences (or complex step) need N perturbed evaluations, i.e. O(N²) for a model of
N inputs. The derivatives are exact up to floating-point rounding (no truncation error).

:class:`Var` wraps a float or ndarray and records, for each operation, its parents and the local
partial derivative. Numpy ufuncs (``np.sqrt``, ``np.sin``, …) and ``np.sum``/``np.prod``/
``np.mean`` dispatch here through ``__array_ufunc__``/``__array_function__``; anything else
raises :class:`NotDifferentiable` and the caller falls back to numerical differentiation.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["NotDifferentiable", "Var", "gradients"]

_counter = itertools.count()


class NotDifferentiable(TypeError):
    """The model used an operation this tracer does not differentiate."""


def _value(x: Any) -> Any:
    return x.value if isinstance(x, Var) else x


def _unbroadcast(g: Any, shape: tuple[int, ...]) -> Any:
    """Sum a gradient over the axes broadcasting added, back to ``shape``."""
    g_shape = np.shape(g)
    if g_shape == shape:
        return g
    g = np.asarray(g)
    extra = g.ndim - len(shape)
    if extra > 0:
        g = g.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, s in enumerate(shape) if s == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)


class Var:
    """A traced value: ``value`` plus ``parents`` = ((Var, local derivative or callable), ...)."""

    __slots__ = ("id", "parents", "shape", "value")
    __array_priority__ = 1000.0

    def __init__(self, value: Any, parents: tuple = ()) -> None:
        self.value = value
        self.parents = parents
        # python floats have no .shape; np.shape() on them costs a microsecond per node
        self.shape = getattr(value, "shape", ())
        self.id = next(_counter)

    # -- arithmetic ----------------------------------------------------------------------
    def __add__(self, o: Any) -> Var:
        if isinstance(o, Var):
            return Var(self.value + o.value, ((self, 1.0), (o, 1.0)))
        return Var(self.value + o, ((self, 1.0),))

    __radd__ = __add__

    def __sub__(self, o: Any) -> Var:
        if isinstance(o, Var):
            return Var(self.value - o.value, ((self, 1.0), (o, -1.0)))
        return Var(self.value - o, ((self, 1.0),))

    def __rsub__(self, o: Any) -> Var:
        return Var(o - self.value, ((self, -1.0),))

    def __mul__(self, o: Any) -> Var:
        if isinstance(o, Var):
            return Var(self.value * o.value, ((self, o.value), (o, self.value)))
        return Var(self.value * o, ((self, o),))

    __rmul__ = __mul__

    def __truediv__(self, o: Any) -> Var:
        if isinstance(o, Var):
            q = self.value / o.value
            return Var(q, ((self, 1.0 / o.value), (o, -q / o.value)))
        return Var(self.value / o, ((self, 1.0 / o),))

    def __rtruediv__(self, o: Any) -> Var:
        q = o / self.value
        return Var(q, ((self, -q / self.value),))

    def __pow__(self, o: Any) -> Var:
        if isinstance(o, Var):
            r = self.value**o.value
            return Var(
                r,
                (
                    (self, o.value * self.value ** (o.value - 1)),
                    (o, r * np.log(self.value)),
                ),
            )
        return Var(self.value**o, ((self, o * self.value ** (o - 1)),))

    def __rpow__(self, o: Any) -> Var:
        r = o**self.value
        return Var(r, ((self, r * np.log(o)),))

    def __neg__(self) -> Var:
        return Var(-self.value, ((self, -1.0),))

    def __pos__(self) -> Var:
        return self

    def __abs__(self) -> Var:
        return Var(abs(self.value), ((self, np.sign(self.value)),))

    def __getitem__(self, key: Any) -> Var:
        return Var(self.value[key], ((self, ("index", key)),))

    def __len__(self) -> int:
        return len(self.value)

    def __iter__(self):
        return (self[i] for i in range(len(self.value)))

    def __float__(self) -> float:
        raise NotDifferentiable("a traced value was converted to float (math.* or control flow)")

    def __bool__(self) -> bool:
        raise NotDifferentiable("a traced value was used in a condition")

    def _compare(self, *_: Any) -> Any:
        raise NotDifferentiable("a traced value was compared")

    __lt__ = __le__ = __gt__ = __ge__ = _compare

    def sum(self, axis: Any = None) -> Var:
        return _sum(self, axis)

    def prod(self, axis: Any = None) -> Var:
        return _prod(self, axis)

    def mean(self, axis: Any = None) -> Var:
        n = self.value.size if axis is None else self.value.shape[axis]
        return _sum(self, axis) / n

    # -- numpy protocol ------------------------------------------------------------------
    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *args: Any, **kwargs: Any) -> Any:
        if method != "__call__" or kwargs:
            raise NotDifferentiable(f"numpy {ufunc.__name__}.{method} is not differentiated")
        rule = _UFUNCS.get(ufunc.__name__)
        if rule is None:
            raise NotDifferentiable(f"numpy {ufunc.__name__} is not differentiated")
        return rule(*args)

    def __array_function__(self, func: Callable, types: Any, args: Any, kwargs: Any) -> Any:
        name = func.__name__
        if name == "sum":
            return _sum(args[0], kwargs.get("axis", args[1] if len(args) > 1 else None))
        if name == "prod":
            return _prod(args[0], kwargs.get("axis", args[1] if len(args) > 1 else None))
        if name == "mean":
            return args[0].mean(kwargs.get("axis", args[1] if len(args) > 1 else None))
        raise NotDifferentiable(f"numpy.{name} is not differentiated")


def _sum(x: Var, axis: Any) -> Var:
    shape = x.shape

    def back(g: Any) -> Any:
        if axis is not None:
            g = np.expand_dims(g, axis)
        return np.broadcast_to(g, shape)

    return Var(np.sum(x.value, axis=axis), ((x, back),))


def _prod(x: Var, axis: Any) -> Var:
    p = np.prod(x.value, axis=axis)
    shape = x.shape

    def back(g: Any) -> Any:
        # ∂(Πx)/∂x_j = Π_{k≠j} x_k computed without division so zeros are handled exactly
        v = np.moveaxis(np.asarray(x.value), axis or 0, -1) if axis is not None else x.value.ravel()
        ones = np.ones((*v.shape[:-1], 1))
        left = np.cumprod(np.concatenate([ones, v[..., :-1]], -1), -1)
        right = np.cumprod(np.concatenate([ones, v[..., :0:-1]], -1), -1)[..., ::-1]
        others = left * right
        if axis is None:
            return (g * others).reshape(shape)
        return np.moveaxis(np.expand_dims(g, -1) * others, -1, axis)

    return Var(p, ((x, back),))


def _unary(fn: Callable, deriv: Callable[[Any, Any], Any]) -> Callable:
    def rule(x: Any) -> Var:
        out = fn(x.value)
        return Var(out, ((x, deriv(x.value, out)),))

    return rule


def _binary(name: str) -> Callable:
    # Called by numpy when the left operand is a numpy scalar (np.float64(2) + Var): dispatch to
    # the Var's own (reflected) method. ``a + b`` here would hand the pair straight back to numpy
    # and recurse until RecursionError (``sqrt(-1) + x`` did exactly that).
    methods: dict[str, tuple[str, str]] = {
        "add": ("__add__", "__radd__"),
        "subtract": ("__sub__", "__rsub__"),
        "multiply": ("__mul__", "__rmul__"),
        "true_divide": ("__truediv__", "__rtruediv__"),
        "divide": ("__truediv__", "__rtruediv__"),
        "power": ("__pow__", "__rpow__"),
    }
    direct, reflected = methods[name]

    def op(a: Any, b: Any) -> Var:
        if isinstance(a, Var):
            return getattr(a, direct)(b)
        return getattr(b, reflected)(a)

    return op


def _arctan2(y: Any, x: Any) -> Var:
    yv, xv = _value(y), _value(x)
    r2 = xv * xv + yv * yv
    parents = []
    if isinstance(y, Var):
        parents.append((y, xv / r2))
    if isinstance(x, Var):
        parents.append((x, -yv / r2))
    return Var(np.arctan2(yv, xv), tuple(parents))


def _hypot(a: Any, b: Any) -> Var:
    av, bv = _value(a), _value(b)
    h = np.hypot(av, bv)
    parents = []
    if isinstance(a, Var):
        parents.append((a, av / h))
    if isinstance(b, Var):
        parents.append((b, bv / h))
    return Var(h, tuple(parents))


_UFUNCS: dict[str, Callable] = {
    "sqrt": _unary(np.sqrt, lambda x, y: 0.5 / y),
    "exp": _unary(np.exp, lambda x, y: y),
    "log": _unary(np.log, lambda x, y: 1.0 / x),
    "log10": _unary(np.log10, lambda x, y: 1.0 / (x * np.log(10.0))),
    "log2": _unary(np.log2, lambda x, y: 1.0 / (x * np.log(2.0))),
    "sin": _unary(np.sin, lambda x, y: np.cos(x)),
    "cos": _unary(np.cos, lambda x, y: -np.sin(x)),
    "tan": _unary(np.tan, lambda x, y: 1.0 + y * y),
    "arcsin": _unary(np.arcsin, lambda x, y: 1.0 / np.sqrt(1.0 - x * x)),
    "arccos": _unary(np.arccos, lambda x, y: -1.0 / np.sqrt(1.0 - x * x)),
    "arctan": _unary(np.arctan, lambda x, y: 1.0 / (1.0 + x * x)),
    "sinh": _unary(np.sinh, lambda x, y: np.cosh(x)),
    "cosh": _unary(np.cosh, lambda x, y: np.sinh(x)),
    "tanh": _unary(np.tanh, lambda x, y: 1.0 - y * y),
    "absolute": _unary(np.abs, lambda x, y: np.sign(x)),
    "square": _unary(np.square, lambda x, y: 2.0 * x),
    "negative": _unary(np.negative, lambda x, y: -1.0),
    "positive": _unary(np.positive, lambda x, y: 1.0),
    "arctan2": _arctan2,
    "hypot": _hypot,
}
for _name in ("add", "subtract", "multiply", "true_divide", "divide", "power"):
    _UFUNCS[_name] = _binary(_name)


def gradients(output: Var, inputs: list[Var]) -> list[Any]:
    """∂output/∂input for each of ``inputs`` (scalar ``output``), by one backward sweep."""
    if not isinstance(output, Var):
        return [np.zeros(v.shape) for v in inputs]
    # collect the graph reachable from the output; creation order is a topological order
    nodes: dict[int, Var] = {}
    stack = [output]
    while stack:
        node = stack.pop()
        if node.id in nodes:
            continue
        nodes[node.id] = node
        stack.extend(p for p, _ in node.parents if p.id not in nodes)
    grads: dict[int, Any] = {output.id: np.ones(output.shape) if output.shape else 1.0}
    for nid in sorted(nodes, reverse=True):
        node = nodes[nid]
        g = grads.pop(nid, None) if node.parents else grads.get(nid)
        if g is None or not node.parents:
            continue
        for parent, local in node.parents:
            if callable(local):
                contrib = local(g)
            elif isinstance(local, tuple):
                # indexing: scatter into the parent's gradient without materialising per-op arrays
                acc = grads.get(parent.id)
                if (
                    acc is None
                    or np.isscalar(acc)
                    or getattr(acc, "flags", None) is None
                    or not acc.flags.writeable
                ):
                    acc = np.zeros(parent.shape) if acc is None else np.array(acc, dtype=float)
                    grads[parent.id] = acc
                acc[local[1]] += g
                continue
            else:
                contrib = g * local
                if getattr(contrib, "shape", ()) != parent.shape:
                    contrib = _unbroadcast(contrib, parent.shape)
            prev = grads.get(parent.id)
            grads[parent.id] = contrib if prev is None else prev + contrib
    return [grads.get(v.id, np.zeros(v.shape) if v.shape else 0.0) for v in inputs]
