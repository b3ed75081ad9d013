"""Inputs, distributions, correlations and safe expressions of jiliang.core.uncertainty."""

from __future__ import annotations

import math

import numpy as np
import pytest

from jiliang.core.uncertainty import (
    Arcsine,
    CorrelationError,
    Correlations,
    CurvilinearTrapezoid,
    DistributionError,
    Exponential,
    ExpressionError,
    Gamma,
    Input,
    InputError,
    InputSet,
    Normal,
    Rectangular,
    StudentT,
    Trapezoidal,
    Triangular,
    compile_expression,
    input_from_spec,
    type_a,
)
from jiliang.core.uncertainty.expression import expression_names

# (distribution, expected mean, expected standard deviation) — JCGM 101 §6.4 formulas
CASES = [
    (Normal(1.0, 0.5), 1.0, 0.5),  # §6.4.7
    (Rectangular(-1.0, 3.0), 1.0, 4 / math.sqrt(12)),  # §6.4.2.3
    (Triangular(0.0, 2.0), 1.0, 2 / math.sqrt(24)),  # §6.4.5.3
    (Trapezoidal(0.0, 2.0, 0.5), 1.0, 2 * math.sqrt((1 + 0.25) / 24)),  # §6.4.4.3
    (CurvilinearTrapezoid(-1.0, 1.0, 0.2), 0.0, math.sqrt(4 / 12 + 0.04 / 9)),  # §6.4.3.3
    (Arcsine(-2.0, 2.0), 0.0, 4 / (2 * math.sqrt(2))),  # §6.4.6.3
    (StudentT(5.0, 0.1, 6), 5.0, 0.1 * math.sqrt(6 / 4)),  # §6.4.9.3: s·√(ν/(ν−2))
    (Exponential(2.0), 2.0, 2.0),  # §6.4.10.3
    (Gamma(4.0, 0.5), 2.0, 1.0),  # §6.4.11.3: mean αθ, sd √α·θ
]


@pytest.mark.parametrize(("dist", "mean", "sd"), CASES, ids=lambda c: getattr(c, "name", ""))
def test_sampling_moments(dist, mean, sd):
    x = dist.sample(np.random.default_rng(42), 400_000)
    # 5 standard errors of the mean and (≈) of the standard deviation
    assert x.mean() == pytest.approx(mean, abs=5 * sd / math.sqrt(x.size))
    assert x.std() == pytest.approx(sd, rel=0.01)
    if dist.name != "t":
        assert dist.standard_uncertainty == pytest.approx(sd, rel=1e-12)
    assert dist.estimate == pytest.approx(mean)


def test_sampling_support_and_shape():
    rng = np.random.default_rng(1)
    ct = CurvilinearTrapezoid(-1.0, 1.0, 0.2).sample(rng, 100_000)
    assert ct.min() >= -1.2 and ct.max() <= 1.2
    arc = Arcsine(-1.0, 1.0).sample(rng, 100_000)
    # the arcsine PDF piles up at its limits: P(|X| > 0.9) = 1 − (2/π) asin(0.9) ≈ 0.287
    assert np.mean(np.abs(arc) > 0.9) == pytest.approx(1 - 2 / math.pi * math.asin(0.9), abs=0.006)


def test_type_a_from_observations():
    # GUM 4.2: x̄, s(x̄) = s/√n, ν = n − 1; JCGM 101 §6.4.9.7 t_{n−1} PDF for MCM
    obs = [10.1, 10.3, 9.9, 10.2, 10.0]
    inp = type_a("x", obs)
    assert inp.value == pytest.approx(10.1)
    assert inp.u == pytest.approx(np.std(obs, ddof=1) / math.sqrt(5))
    assert inp.dof == 4
    assert inp.distribution.name == "t"


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ({"value": 1.0, "u": -0.1}, "u must be finite and ≥ 0"),
        ({"value": 1.0, "u": float("nan")}, "u must be finite"),
        ({"value": 1.0, "u": 0.1, "dof": 0}, "degrees of freedom must be > 0"),
        ({"value": 1.0, "u": 0.1, "dof": -3}, "degrees of freedom must be > 0"),
        ({"u": 0.1}, "missing field 'value'"),
        ({"value": 1.0}, "missing field 'u'"),
        ({"value": "abc", "u": 0.1}, "must be a number"),
        ({"distribution": "rectangular", "value": 1.0}, "half_width"),
        ({"value": 1.0, "expanded": 0.2, "k": 0}, "coverage factor"),
        ({"observations": [1.0]}, "at least 2 observations"),
    ],
)
def test_bad_input_names_the_input(spec, match):
    with pytest.raises(InputError, match=match) as info:
        input_from_spec("T_ref", spec)
    assert "T_ref" in str(info.value)


def test_bad_distribution():
    with pytest.raises(DistributionError, match="'T_ref': unknown distribution 'lognormal'"):
        input_from_spec("T_ref", {"distribution": "lognormal", "value": 1, "u": 1})
    with pytest.raises(DistributionError, match=r"'T_ref'.*beta"):
        input_from_spec("T_ref", {"distribution": "trapezoidal", "lower": 0, "upper": 1, "beta": 2})
    with pytest.raises(DistributionError, match="upper limit"):
        Rectangular(2.0, 1.0)


def test_spec_variants():
    assert input_from_spec("a", {"value": 5, "expanded": 0.4, "k": 2}).u == pytest.approx(0.2)
    r = input_from_spec("b", {"distribution": "uniform", "lower": 1, "upper": 3})
    assert (r.value, r.u) == (2.0, pytest.approx(2 / math.sqrt(12)))
    t = input_from_spec("c", {"distribution": "t", "value": 1, "u": 0.1, "dof": 4})
    assert (t.u, t.dof) == (0.1, 4.0)
    assert input_from_spec("d", {"value": 1, "u": 0.1, "dof": "inf"}).dof == math.inf
    obs = input_from_spec("e", {"observations": [1.0, 2.0, 3.0, 4.0], "unit": "V"})
    # GUM 4.2.3: s(q̄) = s(q)/√n = 1.2910/2, ν = 3
    assert (obs.value, obs.dof, obs.unit) == (2.5, 3.0, "V")
    assert obs.u == pytest.approx(math.sqrt(5 / 3) / 2)


def test_input_set_from_arrays_validates():
    s = InputSet.from_arrays([1.0, 2.0], [0.1, 0.2])
    assert s.names == ["x0", "x1"] and s.items[1].u == 0.2
    with pytest.raises(InputError, match=r"'x1'.*standard uncertainty"):
        InputSet.from_arrays([1.0, 2.0], [0.1, -0.2])
    with pytest.raises(InputError, match="duplicate"):
        InputSet.of([Input.normal("a", 1, 1), Input.normal("a", 2, 1)])


def test_correlations_validated():
    names = ["a", "b", "c"]
    ok = Correlations.from_any([["a", "b", 0.5]]).validated(names)
    assert ok.matrix(["a", "b"])[0, 1] == 0.5
    with pytest.raises(CorrelationError, match=r"\(a, b\).*not in \[-1, 1\]"):
        Correlations.from_any([["a", "b", 1.5]]).validated(names)
    with pytest.raises(CorrelationError, match="unknown input 'z'"):
        Correlations.from_any([["a", "z", 0.1]]).validated(names)
    # r(a,b) = r(b,c) = 0.9 with r(a,c) = −0.9 is impossible: the matrix is not PSD
    bad = [["a", "b", 0.9], ["b", "c", 0.9], ["a", "c", -0.9]]
    with pytest.raises(CorrelationError, match="a, b, c is not positive semi-definite"):
        Correlations.from_any(bad).validated(names)


def test_expression_whitelist():
    text = "sqrt(a**2 + b**2) * cos(pi * c) + k"
    assert expression_names(text) == {"a", "b", "c", "pi", "k"}  # function names excluded
    f = compile_expression(text, ["a", "b", "c"], {"k": 1.0})
    assert f(a=3.0, b=4.0, c=0.0) == pytest.approx(6.0)
    assert f(a=np.array([3.0, 6.0]), b=np.array([4.0, 8.0]), c=0.0) == pytest.approx([6.0, 11.0])
    for text, match in [
        ("__import__('os').system('true')", "not allowed"),
        ("a.__class__", "Attribute is not allowed"),
        ("[a for a in b]", "not allowed"),
        ("open('x')", "function 'open' is not allowed"),
        ("a + zz", "unknown name 'zz'"),
        ("a if b else c", "IfExp is not allowed"),
        ("'text'", "not a number"),
        ("a +", "not valid syntax"),
        ("lambda: 1", "Lambda is not allowed"),
        ("(" * 300 + "a" + ")" * 300, "nested too deeply|not valid syntax"),
        ("-" * 5000 + "a", "nested too deeply"),
        ("+".join(["a"] * 500), "nested too deeply"),
    ]:
        with pytest.raises(ExpressionError, match=match):
            compile_expression(text, ["a", "b", "c"])
