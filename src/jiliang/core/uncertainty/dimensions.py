"""Units in budgets (预算中的计量单位): dimensional check and conversion of a measurement model.

A budget's units used to be labels: an input in g plus one in mg gave a number in "g" that was
wrong by the factor 1000. Here the model is read as a *quantity equation* (ISO 80000-1 §6.2):

1. Every unit is parsed by :mod:`jiliang.core.units` (D-SI or pint spelling) into a dimension
   and a factor to coherent SI. An unparseable unit is an error naming the input.
2. Inputs (and constants with a unit) are converted to one unit per kind of quantity: the
   declared output unit where the dimension matches (the common case: every term of a sum), else
   the first unit of that dimension among the inputs; angles to rad (trigonometric functions
   take radians). Dimensionless inputs (%, ppm, 1) are left as given.
3. The model expression is walked once with (dimension, factor) per node: the terms of a sum
   must have the same dimension *and* unit, the arguments of exp, log, … must be pure numbers,
   those of sin, cos, tan numbers or rad, and an exponent must be a number. A mismatch is an
   error naming the input and the sub-expression.
4. The dimension of each output is compared with its declared unit (incommensurable → error);
   a remaining factor (R = V/I with I in mA gives V/mA = kΩ) becomes a scale applied to the
   model output, so the result is in the declared unit. Without a declared unit the output
   takes the unit of an input of the same kind, else coherent SI.

Temperatures with an offset (℃, ℉) enter products as differences (1/℃ · ℃ is a number). A
conversion between units with different offsets (℃ → K) is refused: the budget cannot know
whether the input is a temperature or a temperature difference.

A budget with no unit on any input or constant is a set of pure numbers: nothing is checked and
the output unit stays a label. The check costs one walk of the expression tree and one unit
lookup per distinct unit (cached by :mod:`jiliang.core.units`), so large budgets stay fast.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from .. import units as core_units
from .errors import ExpressionError, InputError, ModelError, UncertaintyError
from .expression import compile_expression

__all__ = ["UnitPlan", "plan_units", "split_constants"]

_ZERO = (Fraction(0),) * 10
_ANGLE = tuple(Fraction(int(i == 7)) for i in range(10))  # plane angle in core.units
_SI_SYMBOLS = ("m", "kg", "s", "A", "K", "mol", "cd", "rad", "bit", "dB")
_NUMBER_FUNCS = {"exp", "log", "ln", "log10", "log2", "sinh", "cosh", "tanh"}
_TRIG = {"sin", "cos", "tan"}
_INVERSE_TRIG = {"asin", "acos", "atan", "arcsin", "arccos", "arctan"}
_REL = 1e-12  # factors closer than this are the same unit (Ω and ohm, 1/℃ and 1/K)


@dataclass(frozen=True)
class _Unit:
    exps: tuple[Fraction, ...]
    factor: float  # value in coherent SI per value in this unit (differences: no offset)
    offset: float = 0.0


@dataclass(frozen=True)
class _Node:
    exps: tuple[Fraction, ...]
    factor: float
    number: bool  # a bare number: literal, unitless constant, or arithmetic of those


@dataclass
class UnitPlan:
    """What :func:`plan_units` decided for one budget.

    Attributes:
        checked: False when no input or constant has a unit (pure numbers: nothing checked).
        input_units: unit of each input after conversion (shown in the budget table).
        input_factors: factor given unit → shown unit for the converted inputs only.
        constants: numeric constants, converted like the inputs.
        output_units: unit of each output.
        output_scales: factor applied to each model output (≠ 1 only where the quantity equation
            gives the output in a multiple of its unit, e.g. V/mA for Ω).
        conversions: one JSON-safe record per converted input or constant.
    """

    checked: bool
    input_units: dict[str, str] = field(default_factory=dict)
    input_factors: dict[str, float] = field(default_factory=dict)
    constants: dict[str, float] = field(default_factory=dict)
    output_units: dict[str, str] = field(default_factory=dict)
    output_scales: dict[str, float] = field(default_factory=dict)
    conversions: list[dict[str, Any]] = field(default_factory=list)


def split_constants(raw: Any) -> tuple[dict[str, float], dict[str, str]]:
    """``constants:`` of a budget → (values, units); a constant is a number or {value, unit}."""
    if raw is None:
        return {}, {}
    if not isinstance(raw, Mapping):
        raise UncertaintyError("'constants' must be a mapping of name → number or {value, unit}")
    values: dict[str, float] = {}
    units: dict[str, str] = {}
    for name, spec in raw.items():
        name = str(name)
        if isinstance(spec, Mapping):
            unknown = sorted(set(spec) - {"value", "unit", "description"})
            if unknown or "value" not in spec:
                raise UncertaintyError(
                    f"constant {name!r}: give a number or {{value: …, unit: …}}"
                    + (f" (unknown field {unknown[0]!r})" if unknown else "")
                )
            value, unit = spec["value"], str(spec.get("unit", "") or "")
        else:
            value, unit = spec, ""
        try:
            values[name] = float(value)
        except (TypeError, ValueError):
            raise UncertaintyError(f"constant {name!r}: value must be a number") from None
        if not math.isfinite(values[name]):
            raise UncertaintyError(f"constant {name!r}: value must be finite")
        if unit:
            units[name] = unit
    return values, units


def _unit(unit: str, owner: str, what: str = "input") -> _Unit:
    """Parse ``unit`` of ``owner``; errors name the input (or constant / output)."""
    try:
        dim = core_units.dimension_of(unit)
        zero = float(core_units.to_si(0.0, unit)[0])
        one = float(core_units.to_si(1.0, unit)[0])
    except core_units.UnitError as err:
        msg = f"unit {unit!r} is not a known unit ({err})"
        if what == "input":
            raise InputError(owner, msg) from None
        raise UncertaintyError(f"{what} {owner!r}: {msg}") from None
    exps = tuple(dim.exponents)
    if zero != 0.0 and exps != _temperature():
        # pint's logarithmic units come back as an offset scale: refuse, do not mis-convert
        msg = f"unit {unit!r} (logarithmic or with an offset) cannot be used in a model"
        if what == "input":
            raise InputError(owner, msg)
        raise UncertaintyError(f"{what} {owner!r}: {msg}")
    return _Unit(exps, one - zero, zero)


def _temperature() -> tuple[Fraction, ...]:
    return tuple(Fraction(int(i == 4)) for i in range(10))


def _dim_text(exps: tuple[Fraction, ...]) -> str:
    """Coherent SI unit of a dimension, e.g. ``kg·m²·s⁻³·A⁻²`` — for messages and outputs."""
    if exps == _ZERO:
        return "1"
    sup = str.maketrans("0123456789-/", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻ᐟ")
    order = (1, 0, 2, 3, 4, 5, 6, 7, 8, 9)  # kg before m, as the SI brochure writes kg·m²
    parts = []
    for i in order:
        e = exps[i]
        if e:
            parts.append(_SI_SYMBOLS[i] + ("" if e == 1 else str(e).translate(sup)))
    return "·".join(parts)


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= _REL * max(abs(a), abs(b))


def plan_units(
    expressions: Mapping[str, str],
    input_units: Mapping[str, str],
    constants: Mapping[str, float],
    constant_units: Mapping[str, str],
    output_units: Mapping[str, str],
    *,
    validate: bool = True,
) -> UnitPlan:
    """Check the model dimensionally and choose the unit of every input and output.

    Args:
        expressions: output name → model expression.
        input_units: input name → unit as given ("" for none), in input order.
        constants, constant_units: values and units of the named constants.
        output_units: output name → declared unit ("" or missing for none).
        validate: compile the expressions first so that syntax errors and unknown names get
            the compiler's messages; pass False if the caller has compiled them already.

    Raises:
        InputError: an input's unit is unknown, or does not fit the model (names the input).
        UncertaintyError: a constant's or the output's unit is unknown or does not fit.
    """
    given_out = {k: str(v or "") for k, v in output_units.items()}
    if not any(input_units.values()) and not constant_units:
        return UnitPlan(
            checked=False,
            input_units={k: str(v or "") for k, v in input_units.items()},
            constants=dict(constants),
            output_units={k: given_out.get(k, "") for k in expressions},
        )
    out_parsed = {k: _unit(u, k, "output") for k, u in given_out.items() if u}
    # the unit each kind of quantity is shown in: output units first, angles in rad
    canon: dict[tuple[Fraction, ...], tuple[str, _Unit]] = {_ANGLE: ("rad", _Unit(_ANGLE, 1.0))}
    for name, parsed in out_parsed.items():
        if parsed.exps != _ANGLE:
            canon.setdefault(parsed.exps, (given_out[name], parsed))

    plan = UnitPlan(checked=True)
    env: dict[str, _Node] = {}

    def place(name: str, unit: str, kind: str) -> tuple[str, float]:
        """Target unit of one input/constant and the factor given → target."""
        parsed = _unit(unit, name, kind)
        if parsed.exps == _ZERO:
            target, tparsed = unit, parsed  # %, ppm and 1 are kept: see the module docstring
        else:
            target, tparsed = canon.setdefault(parsed.exps, (unit, parsed))
        factor = parsed.factor / tparsed.factor
        if target != unit and parsed.offset != tparsed.offset:
            msg = (
                f"unit {unit!r} would have to be converted to {target!r}, but with an offset "
                "(℃, K, ℉) the budget cannot tell a temperature from a temperature "
                f"difference; give all temperatures of the budget in {target!r}"
            )
            if kind == "input":
                raise InputError(name, msg)
            raise UncertaintyError(f"{kind} {name!r}: {msg}")
        if target == unit or _same(factor, 1.0):
            target, factor = unit, 1.0
        env[name] = _Node(tparsed.exps, tparsed.factor, False)
        if factor != 1.0:
            plan.conversions.append({kind: name, "from": unit, "to": target, "factor": factor})
        return target, factor

    for name, unit in input_units.items():
        target, factor = place(name, str(unit or ""), "input")
        plan.input_units[name] = target
        if factor != 1.0:
            plan.input_factors[name] = factor
    for name, value in constants.items():
        if name in constant_units:
            _, factor = place(name, constant_units[name], "constant")
            plan.constants[name] = value * factor
            if factor != 1.0:
                plan.conversions[-1]["value"] = value
        else:
            plan.constants[name] = value
            env[name] = _Node(_ZERO, 1.0, True)

    for out, text in expressions.items():
        if validate:  # syntax, names and functions: the messages of the expression compiler
            compile_expression(str(text), list(input_units), plan.constants)
        tree = ast.parse(str(text).strip(), mode="eval")
        shown = {**plan.input_units, **constant_units}
        result = _Walker(env, plan.constants, out, shown).node(tree.body)
        declared = out_parsed.get(out)
        if declared is not None:
            if result.exps != declared.exps:
                raise UncertaintyError(
                    f"output {out!r}: the model gives a quantity in {_dim_text(result.exps)}, "
                    f"which cannot be expressed in the declared unit {given_out[out]!r} "
                    f"({_dim_text(declared.exps)}); check the units of the inputs"
                )
            unit, scale = given_out[out], result.factor / declared.factor
        else:
            unit, scale = _infer_output(result, plan.input_units)
        plan.output_units[out] = unit
        plan.output_scales[out] = 1.0 if _same(scale, 1.0) else scale
        if plan.output_scales[out] != 1.0:
            # e.g. V/I with I in mA: the quantity equation gives kΩ, the output is shown in Ω
            plan.conversions.append(
                {"output": out, "from": "units of the inputs", "to": unit, "factor": scale}
            )
    return plan


def _infer_output(result: _Node, shown_units: Mapping[str, str]) -> tuple[str, float]:
    """Unit of an output without a declared one: an input's unit of that kind, else SI."""
    for unit in shown_units.values():
        parsed = _unit(unit, unit, "output")
        if parsed.exps == result.exps and _same(parsed.factor, result.factor):
            return unit, 1.0
    if result.exps == _ZERO:
        return "", result.factor
    return _dim_text(result.exps), result.factor


class _Walker:
    """(dimension, factor) of every node of one model expression."""

    def __init__(
        self,
        env: Mapping[str, _Node],
        constants: Mapping[str, float],
        out: str,
        shown: Mapping[str, str],
    ):
        self.env = env
        self.constants = constants
        self.out = out
        self.shown = shown  # unit of each input / constant as shown in the table

    def _names(self, node: ast.AST) -> list[str]:
        return [
            n.id
            for n in ast.walk(node)
            if isinstance(n, ast.Name) and n.id in self.env and not self.env[n.id].number
        ]

    def _fail(self, culprit: ast.AST, whole: ast.AST, reason: str) -> UncertaintyError:
        names = self._names(culprit) or self._names(whole)
        where = f" (in '{ast.unparse(whole)}' of the model for {self.out!r})"
        if names:
            return InputError(names[0], reason + where)
        return ModelError(reason + where)

    def _show(self, node: ast.AST, value: _Node) -> str:
        text = ast.unparse(node)
        if value.number:
            return f"the number '{text}'"
        if isinstance(node, ast.Name) and self.shown.get(node.id):
            return f"'{text}' [{self.shown[node.id]}]"
        for unit in self.shown.values():
            if unit:
                parsed = _unit(unit, unit, "unit")
                if parsed.exps == value.exps and _same(parsed.factor, value.factor):
                    return f"'{text}' [{unit}]"
        kind = _dim_text(value.exps)
        if not _same(value.factor, 1.0):
            kind = f"{value.factor:g} {kind}"
        return f"'{text}' [{kind}]"

    def node(self, node: ast.AST) -> _Node:
        if isinstance(node, ast.Constant):
            return _Node(_ZERO, 1.0, True)
        if isinstance(node, ast.Name):
            if node.id in self.env:
                return self.env[node.id]
            return _Node(_ZERO, 1.0, True)  # pi, e (unknown names: compile_expression)
        if isinstance(node, ast.UnaryOp):
            return self.node(node.operand)
        if isinstance(node, ast.BinOp):
            return self._binop(node)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            return self._call(node, node.func.id)
        raise ExpressionError(f"construct {ast.unparse(node)!r} is not allowed in a model")

    def _binop(self, node: ast.BinOp) -> _Node:
        a = self.node(node.left)
        if isinstance(node.op, ast.Pow):
            return self._power(node, a)
        b = self.node(node.right)
        number = a.number and b.number
        if isinstance(node.op, ast.Mult):
            exps = tuple(x + y for x, y in zip(a.exps, b.exps, strict=True))
            return _Node(exps, a.factor * b.factor, number)
        if isinstance(node.op, ast.Div):
            exps = tuple(x - y for x, y in zip(a.exps, b.exps, strict=True))
            return _Node(exps, a.factor / b.factor, number)
        # + and −: the terms must be the same kind of quantity in the same unit
        if a.exps == b.exps and _same(a.factor, b.factor):
            return _Node(a.exps, a.factor, number)
        culprit = node.right if not b.number or a.number else node.left
        if a.exps == b.exps:
            reason = (
                f"{self._show(node.left, a)} and {self._show(node.right, b)} are the same kind "
                "of quantity in different units"
            )
            if a.exps == _ZERO:
                reason += (
                    " (a dimensionless input in % or ppm is a fraction of 1: 5 % = 0.05; give "
                    "it in unit 1, or write the model for the fraction)"
                )
        elif a.number or b.number:
            num, other = (node.left, node.right) if a.number else (node.right, node.left)
            shown = self._show(other, b if a.number else a)
            where = f" (in '{ast.unparse(node)}' of the model for {self.out!r})"
            if isinstance(num, ast.Name) and num.id in self.constants:
                value = self.constants[num.id]
                raise UncertaintyError(
                    f"constant {num.id!r} has no unit but is added to or subtracted from "
                    f"{shown}: give it with its unit, e.g. {num.id}: "
                    f"{{value: {value:.15g}, unit: …}}{where}"
                )
            raise self._fail(
                other,
                node,
                f"the number '{ast.unparse(num)}' is added to or subtracted from {shown}: a "
                "number has no unit; give it as a constant with a unit "
                "(constants: {name: {value: …, unit: …}})",
            )
        else:
            reason = (
                f"{self._show(node.left, a)} and {self._show(node.right, b)} are different "
                "kinds of quantity and cannot be added or subtracted"
            )
        raise self._fail(culprit, node, reason)

    def _power(self, node: ast.BinOp, base: _Node) -> _Node:
        exp_node = self.node(node.right)
        if exp_node.exps != _ZERO or not _same(exp_node.factor, 1.0):
            raise self._fail(node.right, node, "an exponent must be a pure number")
        if self._names(node.right):
            # x**n with n an input: the dimension of the result would vary with n
            if base.exps != _ZERO or not _same(base.factor, 1.0):
                raise self._fail(node.left, node, "a quantity with a unit has a varying exponent")
            return _Node(_ZERO, 1.0, base.number)
        try:
            p = float(compile_expression(ast.unparse(node.right), [], self.constants)())
        except (UncertaintyError, ValueError, OverflowError):
            return _Node(_ZERO, 1.0, base.number)  # compile_expression reports it
        if base.exps == _ZERO:
            return _Node(_ZERO, base.factor**p, base.number)
        frac = Fraction(p).limit_denominator(1000)
        return _Node(tuple(e * frac for e in base.exps), base.factor**p, base.number)

    def _call(self, node: ast.Call, fname: str) -> _Node:
        args = [self.node(a) for a in node.args]
        if not args:
            return _Node(_ZERO, 1.0, True)
        a = args[0]
        number = all(x.number for x in args)
        if fname == "sqrt":
            return _Node(tuple(e / 2 for e in a.exps), math.sqrt(a.factor), number)
        if fname == "abs":
            return a
        if fname in ("hypot", "atan2", "arctan2"):
            b = args[1] if len(args) > 1 else a
            if a.exps != b.exps or not _same(a.factor, b.factor):
                raise self._fail(
                    node,
                    node,
                    f"{fname}() needs both arguments in the same unit, got "
                    f"{self._show(node.args[0], a)} and {self._show(node.args[1], b)}",
                )
            return a if fname == "hypot" else _Node(_ANGLE, 1.0, number)
        pure = a.exps == _ZERO and _same(a.factor, 1.0)
        if fname in _TRIG:
            if not (pure or (a.exps == _ANGLE and _same(a.factor, 1.0))):
                raise self._fail(
                    node,
                    node,
                    f"{fname}() takes an angle in rad or a number, got "
                    f"{self._show(node.args[0], a)}",
                )
            return _Node(_ZERO, 1.0, number)
        if fname in _NUMBER_FUNCS or fname in _INVERSE_TRIG:
            if not pure:
                raise self._fail(
                    node,
                    node,
                    f"{fname}() takes a pure number, got {self._show(node.args[0], a)}",
                )
            return _Node(_ANGLE if fname in _INVERSE_TRIG else _ZERO, 1.0, number)
        return _Node(_ZERO, 1.0, number)


def scale_outputs(func: Any, scales: Mapping[str, float], names: Sequence[str]) -> Any:
    """Wrap a model function so each output is multiplied by its unit scale (see UnitPlan)."""
    single = len(names) == 1
    only = scales.get(names[0], 1.0) if single else 1.0

    def scaled(**inputs: Any) -> Any:
        raw = func(**inputs)
        if isinstance(raw, Mapping):
            return {k: v * scales.get(k, 1.0) for k, v in raw.items()}
        return raw * only

    return scaled
