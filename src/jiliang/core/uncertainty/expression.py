"""Safe model expressions for budget files (模型表达式的安全解析).

A budget file states its measurement model as a string such as
``"(m_Rc + dm_Rc) * (1 + (rho_a - rho_a0) * (1/rho_W - 1/rho_R)) - m_nom"``. The string is parsed
with :mod:`ast` and only a whitelist is accepted: numbers, names of inputs and constants,
``+ - * / ** %``, unary ±, and calls of the numpy functions in :data:`FUNCTIONS`. The accepted tree
is turned into nested closures — nothing is passed to ``eval``/``exec`` — and the closures work on
floats, numpy arrays (Monte Carlo) and traced values (automatic differentiation) alike.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from .errors import ExpressionError

__all__ = ["FUNCTIONS", "compile_expression", "expression_names"]

#: functions a budget expression may call
FUNCTIONS: dict[str, Callable[..., Any]] = {
    "sqrt": np.sqrt,
    "exp": np.exp,
    "log": np.log,
    "ln": np.log,
    "log10": np.log10,
    "log2": np.log2,
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "asin": np.arcsin,
    "acos": np.arccos,
    "atan": np.arctan,
    "arcsin": np.arcsin,
    "arccos": np.arccos,
    "arctan": np.arctan,
    "atan2": np.arctan2,
    "arctan2": np.arctan2,
    "sinh": np.sinh,
    "cosh": np.cosh,
    "tanh": np.tanh,
    "abs": np.abs,
    "hypot": np.hypot,
}
_CONSTANTS = {"pi": math.pi, "e": math.e}
_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
    ast.Mod: lambda a, b: a % b,
}
_UNARY: dict[type, Callable[[Any], Any]] = {ast.USub: lambda a: -a, ast.UAdd: lambda a: +a}

MAX_EXPRESSION_LENGTH = 20_000
#: deepest allowed nesting: evaluation recurses once per level
MAX_DEPTH = 400


def _depth(tree: ast.AST) -> int:
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in ast.iter_child_nodes(node))
    return deepest


def _parse(text: str) -> ast.Expression:
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("model expression must be a non-empty string")
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(f"model expression longer than {MAX_EXPRESSION_LENGTH} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(
            f"model expression is not valid syntax at column {exc.offset}: {exc.msg}"
        ) from None
    except (RecursionError, MemoryError):
        raise ExpressionError("model expression is nested too deeply") from None
    if _depth(tree) > MAX_DEPTH:
        raise ExpressionError(f"model expression is nested too deeply (> {MAX_DEPTH} levels)")
    return tree


def expression_names(text: str) -> set[str]:
    """Names (inputs or constants) the expression refers to, excluding function names."""
    tree = _parse(text)
    calls = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in calls}


def compile_expression(
    text: str, names: Iterable[str], constants: Mapping[str, float] | None = None
) -> Callable[..., Any]:
    """Compile ``text`` into ``f(**inputs)``.

    Args:
        text: the expression.
        names: input names the function will receive as keyword arguments.
        constants: extra fixed values (e.g. ``{"m_nom": 100000}``); override ``pi``/``e``.

    Raises:
        ExpressionError: syntax outside the whitelist, or an unknown name (named in the message).
    """
    allowed_inputs = set(names)
    consts = {**_CONSTANTS, **{k: float(v) for k, v in (constants or {}).items()}}
    clash = allowed_inputs & set(constants or {})
    if clash:
        raise ExpressionError(f"names defined both as input and constant: {sorted(clash)}")
    tree = _parse(text)

    def build(node: ast.AST) -> Callable[[Mapping[str, Any]], Any]:
        if isinstance(node, ast.Expression):
            return build(node.body)
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, int | float):
                raise ExpressionError(f"constant {node.value!r} is not a number")
            value = float(node.value)
            return lambda env: value
        if isinstance(node, ast.Name):
            name = node.id
            if name in allowed_inputs:
                return lambda env: env[name]
            if name in consts:
                value = consts[name]
                return lambda env: value
            raise ExpressionError(f"unknown name {name!r} in model expression")
        if isinstance(node, ast.BinOp):
            op = _BINOPS.get(type(node.op))
            if op is None:
                raise ExpressionError(f"operator {type(node.op).__name__} is not allowed")
            left, right = build(node.left), build(node.right)
            return lambda env: op(left(env), right(env))
        if isinstance(node, ast.UnaryOp):
            uop = _UNARY.get(type(node.op))
            if uop is None:
                raise ExpressionError(f"operator {type(node.op).__name__} is not allowed")
            operand = build(node.operand)
            return lambda env: uop(operand(env))
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                shown = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
                raise ExpressionError(
                    f"function {shown!r} is not allowed; allowed: {', '.join(sorted(FUNCTIONS))}"
                )
            if node.keywords:
                raise ExpressionError("keyword arguments are not allowed in model expressions")
            fn = FUNCTIONS[node.func.id]
            args = [build(a) for a in node.args]
            return lambda env: fn(*(a(env) for a in args))
        raise ExpressionError(f"{type(node).__name__} is not allowed in a model expression")

    evaluate = build(tree)

    def model(**inputs: Any) -> Any:
        return evaluate(inputs)

    model.__doc__ = f"Measurement model {text!r}"
    return model
