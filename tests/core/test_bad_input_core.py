"""Bad input at the core: model expressions and ledger coordinates fail with a named error.

Each case used to crash with a bare Python exception (a 500 once behind the API): ``x/0`` raised
ZeroDivisionError in the LPU, ``x%2`` a TypeError from the tracer, ``10**10**10`` an
OverflowError, ``sqrt(-1)+x`` a RecursionError, and ``tile(-1, -5)`` "negative shift count".
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from jiliang.core.ledger import IndexOutOfRangeError, Log
from jiliang.core.uncertainty import ExpressionError, compile_expression, evaluate_budget
from jiliang.core.uncertainty.autodiff import Var, gradients
from jiliang.core.uncertainty.errors import ModelError, UncertaintyError

INPUTS = {"x": {"value": 1.0, "u": 0.1}}


def spec(model: str) -> dict:
    return {"model": model, "inputs": INPUTS, "mcm": {"trials": 20_000, "seed": 1}}


@pytest.mark.parametrize(
    ("method", "match"),
    [
        ("lpu", r"division by zero at the evaluation point in 'x / 0'"),
        ("both", r"division by zero at the evaluation point in 'x / 0'"),
        # every Monte Carlo trial is x/0 = inf: refused with the count, never averaged
        ("mcm", r"non-finite values \(inf\) for 20000 of 20000 trials"),
    ],
)
def test_division_by_zero_at_the_evaluation_point_is_a_model_error(method, match):
    with pytest.raises(ModelError, match=match):
        evaluate_budget(spec("x/0"), method=method)


def test_division_by_zero_only_at_the_estimate_names_the_sub_expression():
    with pytest.raises(ModelError, match=r"division by zero .* in 'x / \(x - 1\)'"):
        evaluate_budget(spec("x/(x-1)"))


@pytest.mark.parametrize("model", ["x % 2", "x // 2"])
def test_remainder_and_floor_division_are_unsupported_operators(model):
    with pytest.raises(ExpressionError, match="not supported: the model must be differentiable"):
        evaluate_budget(spec(model), method="mcm")


def test_exponent_too_large_is_refused_at_compile_time_without_hanging():
    start = time.perf_counter()
    with pytest.raises(ExpressionError, match=r"exponent too large: '10 \*\* 10 \*\* 10'"):
        evaluate_budget(spec("10**10**10 * x"), method="both")
    assert time.perf_counter() - start < 2.0  # float arithmetic: no 10-billion-digit integer


@pytest.mark.parametrize(
    ("model", "shown"),
    [
        ("sqrt(-1)+x", r"'sqrt\(-1\)'"),
        ("log(0)+x", r"'log\(0\)'"),
        ("(-8)**(1/3)+x", r"'\(-8\) \*\* \(1 / 3\)'"),
    ],
)
def test_domain_error_of_a_constant_sub_expression_not_recursion_error(model, shown):
    with pytest.raises(ExpressionError, match=f"domain error: {shown}"):
        evaluate_budget(spec(model))


def test_domain_error_at_the_estimate_names_the_function_call():
    with pytest.raises(ModelError, match=r"domain error: 'sqrt\(x - 2\)' .* evaluation point"):
        evaluate_budget(spec("sqrt(x - 2)"))


def test_numpy_scalar_plus_traced_value_does_not_recurse():
    # np.float64 + Var goes through Var.__array_ufunc__; it used to call a + b again, forever
    x = Var(np.float64(2.0))
    y = np.float64(3.0) + x
    z = np.float64(12.0) / x
    w = np.float64(2.0) ** x
    assert y.value == 5.0 and z.value == 6.0 and w.value == 4.0
    (dz,) = gradients(z, [x])
    assert dz == pytest.approx(-3.0)  # d(12/x)/dx = −12/x²


@pytest.mark.parametrize(
    ("model", "match"),
    [
        ("hypot(x)", "takes 2 arguments"),
        ("sqrt(x, x)", "takes 1 argument"),
        ("1e400 * x", "not a finite number"),
        ("9" * 400 + " * x", "is too large"),  # an int literal past the float range
        ("9" * 4400 + " * x", "not valid syntax"),  # past Python's int-string limit
    ],
)
def test_malformed_calls_and_literals_are_expression_errors(model, match):
    with pytest.raises(ExpressionError, match=match):
        compile_expression(model, ["x"])


def test_deep_but_allowed_nesting_still_evaluates():
    # per-operation checks must not add a stack frame per level (RecursionError at depth 400)
    model = "-(" * 190 + "x" + ")" * 190 + " + " + "(x + " * 100 + "x" + ")" * 100
    result = evaluate_budget(spec(model))
    assert result.primary.y == pytest.approx(1.0 + 101.0)


def test_fault_errors_are_uncertainty_errors_for_the_api():
    # the platform turns UncertaintyError into a 422; every fault above must be one
    for model in ["x/0", "x%2", "10**10**10", "sqrt(-1)+x"]:
        with pytest.raises(UncertaintyError):
            evaluate_budget(spec(model))


def test_negative_tile_level_and_index_are_index_errors_not_value_errors(tmp_path):
    with Log.create(tmp_path / "log", "example.org/log", durable=False) as log:
        log.append_many([b"a", b"b", b"c"])
        with pytest.raises(IndexOutOfRangeError, match="must be ≥ 0"):
            log.tile(-1, -5)
        with pytest.raises(IndexOutOfRangeError):
            log.tile(0, -1)


def test_kcdb_file_nested_past_the_json_decoder_stack_is_a_format_error():
    from jiliang.core.traceability.kcdb import KCDBFormatError, parse_kcdb

    with pytest.raises(KCDBFormatError, match="nested too deeply"):
        parse_kcdb(b"[" * 100_000)
