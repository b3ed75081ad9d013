"""Safe model expressions for budget files (模型表达式的安全解析).

A budget file states its measurement model as a string such as
``"(m_Rc + dm_Rc) * (1 + (rho_a - rho_a0) * (1/rho_W - 1/rho_R)) - m_nom"``. The string is parsed
with :mod:`ast` and only a whitelist is accepted: numbers, names of inputs and constants,
``+ - * / **``, unary ±, and calls of the numpy functions in :data:`FUNCTIONS`. The accepted tree
is turned into nested closures — nothing is passed to ``eval``/``exec`` — and the closures work on
floats, numpy arrays (Monte Carlo) and traced values (automatic differentiation) alike.

``%`` is refused: a measurement model must be differentiable at the estimates (GUM 5.1.2) and the
remainder is not, so sensitivity coefficients of ``x % 2`` would be meaningless.

Arithmetic faults are errors that name the sub-expression, never crashes: a sub-expression made of
constants only is evaluated once at compile time (``10**10**10`` → "exponent too large",
``sqrt(-1)`` → "domain error"), and at a single evaluation point (the LPU at the estimates)
each operation checks its result, so ``x/0`` is "division by zero at the evaluation point".
Arrays (Monte Carlo trials) are not checked per operation: the Monte Carlo engine reports the
trials whose output is not finite.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from .autodiff import Var
from .errors import ExpressionError, ModelError

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
}
_SYMBOLS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
#: positional arguments of the functions (all others take one)
_ARITY = {"atan2": 2, "arctan2": 2, "hypot": 2}
_REFUSED_OPS = {
    ast.Mod: "% (remainder) is not supported: the model must be differentiable",
    ast.FloorDiv: "// (floor division) is not supported: the model must be differentiable",
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
    except ValueError as exc:  # e.g. an integer literal over Python's 4300-digit limit
        raise ExpressionError(f"model expression cannot be read: {exc}") from None
    if _depth(tree) > MAX_DEPTH:
        raise ExpressionError(f"model expression is nested too deeply (> {MAX_DEPTH} levels)")
    return tree


def _shown(node: ast.AST) -> str:
    """The sub-expression as written (shortened), for error messages."""
    text = ast.unparse(node)
    return repr(text if len(text) <= 80 else text[:77] + "...")


def _scalar(v: Any) -> Any:
    """The number inside a float, numpy scalar or traced scalar; ``None`` for arrays."""
    v = v.value if isinstance(v, Var) else v
    if isinstance(v, np.ndarray):
        return v[()] if v.ndim == 0 else None
    return v if isinstance(v, int | float | complex | np.number) else None


def _check_scalar(result: Any, operands: Iterable[Any], kind: type, shown: str) -> None:
    """Raise :class:`ModelError` when finite real operands gave a non-finite or complex result.

    Only single evaluation points are checked (scalars); Monte Carlo arrays are left to the
    engine's own non-finite-trial report. Complex operands (complex-step derivatives) pass.
    """
    r = _scalar(result)
    if r is None:
        return
    ops = [_scalar(o) for o in operands]
    if any(o is None or np.iscomplexobj(o) or not np.isfinite(o) for o in ops):
        return
    if np.iscomplexobj(r) or not np.isfinite(r):
        if kind is ast.Div and ops[1] == 0:
            raise ModelError(f"division by zero at the evaluation point in {shown}")
        if kind is ast.Pow and not np.iscomplexobj(r) and np.isinf(r):
            raise ModelError(f"exponent too large: {shown} overflows at the evaluation point")
        if kind is ast.Call or kind is ast.Pow:
            raise ModelError(
                f"domain error: {shown} is non-finite or not real at the evaluation point"
            )
        raise ModelError(f"{shown} overflows (non-finite) at the evaluation point")


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

    # nodes that depend on an input: marked upwards from each input name, O(size of the tree)
    parent: dict[int, ast.AST] = {}
    for n in ast.walk(tree):
        for child in ast.iter_child_nodes(n):
            parent[id(child)] = n
    varying: set[int] = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.Name) and n.id in allowed_inputs:
            cur: ast.AST | None = n
            while cur is not None and id(cur) not in varying:
                varying.add(id(cur))
                cur = parent.get(id(cur))

    def fold(node: ast.AST, fn: Callable[[Mapping[str, Any]], Any]) -> Callable:
        if id(node) in varying:
            return fn
        try:
            with np.errstate(all="ignore"):
                value = fn({})
        except ModelError as exc:
            raise ExpressionError(str(exc).replace(" at the evaluation point", "")) from None
        value = float(value) if np.ndim(value) == 0 and np.isrealobj(value) else value
        return lambda env: value

    def build(node: ast.AST) -> Callable[[Mapping[str, Any]], Any]:
        if isinstance(node, ast.Expression):
            return build(node.body)
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, int | float):
                raise ExpressionError(f"constant {node.value!r} is not a number")
            try:
                value = float(node.value)
            except OverflowError:
                raise ExpressionError(f"constant {_shown(node)} is too large") from None
            if not math.isfinite(value):
                raise ExpressionError(f"constant {_shown(node)} is not a finite number")
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
                reason = _REFUSED_OPS.get(type(node.op))
                if reason:
                    raise ExpressionError(f"operator {reason} (in {_shown(node)})")
                raise ExpressionError(f"operator {type(node.op).__name__} is not allowed")
            left, right = build(node.left), build(node.right)
            kind, shown = type(node.op), _shown(node)

            def binop(env: Mapping[str, Any]) -> Any:
                a, b = left(env), right(env)
                try:
                    r = op(a, b)
                except ZeroDivisionError:
                    raise ModelError(
                        f"division by zero at the evaluation point in {shown}"
                    ) from None
                except OverflowError:
                    raise ModelError(
                        f"exponent too large: {shown} overflows at the evaluation point"
                    ) from None
                _check_scalar(r, (a, b), kind, shown)
                return r

            return fold(node, binop)
        if isinstance(node, ast.UnaryOp):
            uop = _UNARY.get(type(node.op))
            if uop is None:
                raise ExpressionError(f"operator {type(node.op).__name__} is not allowed")
            operand = build(node.operand)
            return fold(node, lambda env: uop(operand(env)))
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                shown = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
                raise ExpressionError(
                    f"function {shown!r} is not allowed; allowed: {', '.join(sorted(FUNCTIONS))}"
                )
            if node.keywords:
                raise ExpressionError("keyword arguments are not allowed in model expressions")
            fname = node.func.id
            want = _ARITY.get(fname, 1)
            if len(node.args) != want or any(isinstance(a, ast.Starred) for a in node.args):
                raise ExpressionError(
                    f"function {fname!r} takes {want} argument{'s' if want > 1 else ''}, "
                    f"got {len(node.args)} (in {_shown(node)})"
                )
            fn = FUNCTIONS[fname]
            args = [build(a) for a in node.args]
            shown = _shown(node)

            def call(env: Mapping[str, Any]) -> Any:
                values = [a(env) for a in args]
                try:
                    r = fn(*values)
                except (ZeroDivisionError, OverflowError, ValueError):
                    raise ModelError(
                        f"domain error: {shown} cannot be evaluated at the evaluation point"
                    ) from None
                _check_scalar(r, values, ast.Call, shown)
                return r

            return fold(node, call)
        raise ExpressionError(f"{type(node).__name__} is not allowed in a model expression")

    evaluate = build(tree)

    def model(**inputs: Any) -> Any:
        return evaluate(inputs)

    model.__doc__ = f"Measurement model {text!r}"
    return model
