"""LPU (JCGM 100 §5): sensitivities, correlations, ν_eff, k, vector outputs (JCGM 102)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from jiliang.core.uncertainty import (
    Input,
    InputSet,
    ModelError,
    UncertaintyError,
    coverage_factor,
    lpu,
)

INPUTS = [Input.normal("a", 1.3, 0.01), Input.normal("b", 0.7, 0.02), Input.normal("c", 2.0, 0.05)]


def smooth(a, b, c):
    return a * np.exp(b) / np.sqrt(c) + np.sin(a * b)


def grad_smooth(a, b, c):
    return np.array(
        [
            np.exp(b) / np.sqrt(c) + b * np.cos(a * b),
            a * np.exp(b) / np.sqrt(c) + a * np.cos(a * b),
            -0.5 * a * np.exp(b) * c**-1.5,
        ]
    )


@pytest.mark.parametrize(
    ("method", "rel"), [("autodiff", 1e-14), ("complex-step", 1e-14), ("central", 1e-9)]
)
def test_sensitivities_match_analytic_derivatives(method, rel):
    r = lpu(smooth, INPUTS, derivative=method)
    assert r.method == method
    expected = grad_smooth(1.3, 0.7, 2.0)
    assert r.sensitivities == pytest.approx(expected, rel=rel)
    u = np.array([0.01, 0.02, 0.05])
    assert r.u == pytest.approx(math.sqrt(np.sum((expected * u) ** 2)), rel=rel)


def test_fallbacks_when_not_traceable():
    # np.where cannot be traced → complex step; np.abs drops the imaginary part → central
    r = lpu(lambda a, b, c: np.where(a > 0, a * b * c, 0.0), INPUTS)
    assert r.method == "complex-step"
    assert r.sensitivities == pytest.approx([0.7 * 2.0, 1.3 * 2.0, 1.3 * 0.7], rel=1e-13)
    r = lpu(lambda a, b, c: np.clip(a, 0.0, None) * np.abs(b - 2.0) + c, INPUTS)
    assert r.method == "central"
    assert r.sensitivities == pytest.approx([1.3, -1.3, 1.0], rel=1e-8)


def test_vector_convention_sum_and_product():
    n = 2000
    rng = np.random.default_rng(3)
    x = rng.uniform(0.5, 1.5, n)
    u = rng.uniform(0.001, 0.01, n)
    s = InputSet.from_arrays(x, u)
    total = lpu(lambda v: v.sum(axis=0), s, vector=True)
    assert total.y == pytest.approx(x.sum(), rel=1e-12)
    assert total.u == pytest.approx(math.sqrt(np.sum(u**2)), rel=1e-12)
    prod = lpu(lambda v: np.prod(v, axis=0), s, vector=True)
    # c_i = Π x / x_i, so u_c/|y| = √Σ (u_i/x_i)²
    assert prod.u / abs(prod.y) == pytest.approx(math.sqrt(np.sum((u / x) ** 2)), rel=1e-10)
    # the keyword convention gives the same numbers
    kw = lpu(lambda **k: sum(k.values()), s)
    assert kw.u == pytest.approx(total.u, rel=1e-12)


def test_correlated_inputs():
    # GUM eq. (13): u² = u_a² + u_b² + 2 r u_a u_b for y = a + b
    ins = [Input.normal("a", 1.0, 0.3), Input.normal("b", 2.0, 0.4)]
    for r in (-0.5, 0.0, 0.8):
        res = lpu("a + b", ins, [["a", "b", r]])
        assert res.u == pytest.approx(math.sqrt(0.09 + 0.16 + 2 * r * 0.12), rel=1e-12)


def test_welch_satterthwaite_and_k():
    # GUM G.4.1: ν_eff = u⁴/Σ(u_i⁴/ν_i) = 4/(1/4 + 1/4) = 8 for y = a + b, u_a = u_b = 1, ν = 4
    res = lpu("a + b", [Input.normal("a", 0, 1, dof=4), Input.normal("b", 0, 1, dof=4)])
    assert res.dof == pytest.approx(8.0)
    assert res.k == pytest.approx(stats.t.ppf(0.975, 8))
    assert pytest.approx(res.k * math.sqrt(2)) == res.U
    # GUM Table G.2: t_95(10) = 2.23, t_99(10) = 3.17, t_95(∞) = 1.96;
    # ν_eff is truncated to an integer (G.4.1 note 1)
    assert round(coverage_factor(0.95, 10), 2) == 2.23
    assert round(coverage_factor(0.99, 10.9), 2) == 3.17
    assert round(coverage_factor(0.95, math.inf), 2) == 1.96
    with pytest.raises(UncertaintyError, match="coverage probability"):
        coverage_factor(1.5, 3)


def test_second_order_bilinear():
    # GUM 5.1.2 note: for y = a·b with a = b = 0 the first-order u is 0; second order gives u_a u_b
    res = lpu("a * b", [Input.normal("a", 0, 0.3), Input.normal("b", 0, 0.2)], second_order=True)
    assert res.u_first_order == 0.0
    assert res.u == pytest.approx(0.06, rel=1e-9)
    with pytest.raises(UncertaintyError, match="uncorrelated"):
        lpu(
            "a*b",
            [Input.normal("a", 0, 1), Input.normal("b", 0, 1)],
            [["a", "b", 0.5]],
            second_order=True,
        )


def test_vector_outputs_covariance():
    # JCGM 102 §6.2.1.3: U_y = C U_x Cᵀ; for y1 = a + b, y2 = a − b, u_a = u_b = 1: cov(y1, y2) = 0
    ins = [Input.normal("a", 1.0, 1.0), Input.normal("b", 2.0, 2.0)]
    res = lpu(lambda a, b: (a + b, a - b), ins)
    assert res.names == ["y1", "y2"]
    assert res.covariance == pytest.approx(np.array([[5.0, -3.0], [-3.0, 5.0]]))
    assert res.correlation[0, 1] == pytest.approx(-0.6)
    assert res.to_dict()["correlation"][0][1] == pytest.approx(-0.6)


def test_model_errors():
    with pytest.raises(ModelError, match="non-finite"):
        lpu("log(a - 1.3)", INPUTS)
    with pytest.raises(UncertaintyError, match="at least one input"):
        lpu("1.0", [])


def test_to_dict_is_json_safe():
    import json

    res = lpu(smooth, INPUTS)
    data = json.loads(json.dumps(res.to_dict()))
    assert data["dof"] == "inf"
    assert [c["name"] for c in data["contributions"]] == ["a", "b", "c"]
    assert sum(c["share"] for c in data["contributions"]) == pytest.approx(1.0)
