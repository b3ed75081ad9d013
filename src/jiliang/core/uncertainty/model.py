"""Measurement models (测量模型): Y = f(X_1, …, X_N), scalar or vector-valued.

Two calling conventions, both vectorised with numpy:

* ``keywords`` (default) — ``func(**{name: value})``. Values are floats (LPU), numpy arrays of
  trials (Monte Carlo) or traced values (automatic differentiation); write the model with numpy
  functions (``np.sqrt``, ``np.cos``…) so it broadcasts.
* ``vector`` — ``func(x)`` with the inputs stacked along axis 0 (``x[i]`` is input i, shape
  ``(N,)`` for the LPU and ``(N, trials)`` for Monte Carlo). Reduce over axis 0 (``x.sum(axis=0)``,
  ``np.prod(x, axis=0)``): this lets a 10⁴-input model run as a handful of numpy calls.

The model may return one value, a tuple/list of values, or a dict ``{output_name: value}``
(several outputs, JCGM 102).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import ExpressionError, ModelError
from .expression import compile_expression

__all__ = ["Model"]


@dataclass
class Model:
    """A measurement function with its calling convention and output names."""

    func: Callable[..., Any]
    vector: bool = False
    output_names: list[str] | None = None
    text: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, model: Any, input_names: Sequence[str], **kw: Any) -> Model:
        """Coerce a Model, a callable, an expression string or a ``{name: expression}`` dict."""
        if isinstance(model, Model):
            return model
        if isinstance(model, str | Mapping):
            return cls.from_expressions(model, input_names, constants=kw.get("constants"))
        if callable(model):
            return cls(
                model, vector=bool(kw.get("vector", False)), output_names=kw.get("output_names")
            )
        raise ModelError(
            f"model must be callable or an expression string, got {type(model).__name__}"
        )

    @classmethod
    def from_expressions(
        cls,
        expressions: str | Mapping[str, str],
        input_names: Sequence[str],
        constants: Mapping[str, float] | None = None,
        output_name: str = "y",
    ) -> Model:
        """Model from one expression or a mapping of output name → expression."""
        exprs = {output_name: expressions} if isinstance(expressions, str) else dict(expressions)
        if not exprs:
            raise ExpressionError("no model expression given")
        compiled = {k: compile_expression(v, input_names, constants) for k, v in exprs.items()}
        names = list(compiled)
        if len(names) == 1:
            (only,) = compiled.values()
            return cls(only, output_names=names, text=exprs)

        def multi(**inputs: Any) -> dict[str, Any]:
            return {k: f(**inputs) for k, f in compiled.items()}

        return cls(multi, output_names=names, text=exprs)

    def call(self, names: Sequence[str], columns: Sequence[Any] | Any) -> list[Any]:
        """Evaluate with ``columns[i]`` as input ``names[i]``; return the list of outputs."""
        if self.vector:
            raw = self.func(columns)
        else:
            raw = self.func(**dict(zip(names, columns, strict=True)))
        if isinstance(raw, Mapping):
            if self.output_names is None:
                self.output_names = [str(k) for k in raw]
            return [raw[k] for k in self.output_names]
        outs = list(raw) if isinstance(raw, tuple | list) else [raw]
        if self.output_names is None:
            self.output_names = ["y"] if len(outs) == 1 else [f"y{i + 1}" for i in range(len(outs))]
        if len(outs) != len(self.output_names):
            raise ModelError(
                f"model returned {len(outs)} outputs, expected {len(self.output_names)}"
            )
        return outs

    def evaluate_points(self, names: Sequence[str], points: np.ndarray) -> np.ndarray:
        """Evaluate at B points, ``points`` of shape (N, B); return outputs of shape (m, B)."""
        columns: Any = points if self.vector else list(points)
        outs = self.call(names, columns)
        batch = points.shape[1]
        return np.vstack([np.broadcast_to(np.asarray(o), (batch,)) for o in outs])
