"""Simultaneous observations, jointly estimated inputs and ν_eff with correlation (issue 13).

References: GUM (JCGM 100:2008) C.3.6 and eq. (17) (correlation of means of simultaneous
observations), G.4.1 (Welch–Satterthwaite, independent inputs only); R. Willink, "A
generalization of the Welch–Satterthwaite formula for use with correlations between errors",
Metrologia 44 (2007) 340–349 (an ensemble of jointly estimated quantities counts as one term);
JCGM 101:2008 §6.4.8 (multivariate Gaussian); JCGM 102:2011 §5.3.2 (multivariate t:
t_ν(x̄, S/(n(n − N))·(n − 1)) with ν = n − N, covariance (n − 1)/(n − N − 2)·S/n).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from jiliang.core.uncertainty import (
    CorrelationError,
    Correlations,
    Ensemble,
    Input,
    InputError,
    UncertaintyError,
    coverage_factor,
    evaluate_budget,
    lpu,
    mcm,
    type_a_multivariate,
)

ROWS = [[1.02, 2.11], [0.97, 1.95], [1.05, 2.08], [0.99, 1.99], [1.01, 2.04],
        [0.96, 1.93], [1.04, 2.10], [1.00, 2.00], [0.98, 1.97], [1.03, 2.06]]  # fmt: skip


def _block(pdf: str = "normal", rows: list | None = None) -> dict:
    return {
        "model": "a",
        "simultaneous": [{"inputs": ["a", "b"], "rows": rows or ROWS, "pdf": pdf}],
    }


def test_correlated_inputs_with_finite_dof_get_no_silent_k():
    # GUM G.4.1 assumes independence; with r ≠ 0 and finite ν there is no valid ν_eff: refuse
    ins = [Input.normal("a", 0, 1, dof=4), Input.normal("b", 0, 1, dof=4)]
    with pytest.raises(UncertaintyError, match=r"correlation \(a, b\).*no valid ν_eff"):
        lpu("a + b", ins, [["a", "b", 0.5]])
    # with ν = ∞ for the correlated pair the formula has nothing to say about it: allowed
    ins2 = [Input.normal("a", 0, 1), Input.normal("b", 0, 1), Input.normal("c", 0, 1, dof=4)]
    res = lpu("a + b + c", ins2, [["a", "b", 0.5]])
    assert res.dof == pytest.approx(res.u**4 / (1 / 4))


def test_willink_ensemble_with_an_independent_input():
    # Willink (2007): ν_eff = u_c⁴ / (v_g²/ν_g + u_c(y)⁴/ν_c), v_g = u_a² + u_b² + 2 r u_a u_b
    ua, ub, uc, r = 0.3, 0.4, 0.2, -0.6
    ins = [Input.normal("a", 0, ua, dof=4), Input.normal("b", 0, ub, dof=4)]
    ins.append(Input.normal("c", 0, uc, dof=10))
    corr = Correlations({("a", "b"): r}, [Ensemble(("a", "b"), 4.0)])
    res = lpu("a + b + c", ins, corr)
    v_g = ua**2 + ub**2 + 2 * r * ua * ub
    assert res.u == pytest.approx(math.sqrt(v_g + uc**2), rel=1e-12)
    assert res.dof == pytest.approx((v_g + uc**2) ** 2 / (v_g**2 / 4 + uc**4 / 10), rel=1e-12)


def test_ensemble_member_with_another_dof_is_refused():
    ins = [Input.normal("a", 0, 1, dof=4), Input.normal("b", 0, 1, dof=9)]
    corr = Correlations({("a", "b"): 0.2}, [Ensemble(("a", "b"), 4.0)])
    with pytest.raises(UncertaintyError, match=r"input 'b': ν = 9.*share one ν"):
        lpu("a + b", ins, corr)


def test_jointly_estimated_budget_entry_needs_one_dof():
    spec = {
        "model": "a + b",
        "inputs": {"a": {"value": 0, "u": 1, "dof": 4}, "b": {"value": 0, "u": 1, "dof": 9}},
        "correlations": [["a", "b", 0.3]],
        "jointly_estimated": [["a", "b"]],
    }
    with pytest.raises(CorrelationError, match="share one dof"):
        evaluate_budget(spec)
    spec["jointly_estimated"] = [["a", "zz"]]
    with pytest.raises(CorrelationError, match="unknown input 'zz'"):
        evaluate_budget(spec)


def test_dof_equal_to_an_integer_up_to_rounding_is_not_truncated_below_it():
    # ν_eff = ν_g computes as 3.9999999999999902 for GUM H.2; truncation (G.4.1 note 1) must
    # give t_95(4), not t_95(3)
    assert coverage_factor(0.95, 3.9999999999999902) == pytest.approx(stats.t.ppf(0.975, 4))
    assert coverage_factor(0.95, 3.9) == pytest.approx(stats.t.ppf(0.975, 3))


def test_simultaneous_block_matches_type_a_multivariate():
    res = evaluate_budget({**_block(), "model": "a + b"})
    ins, corr = type_a_multivariate({"a": [r[0] for r in ROWS], "b": [r[1] for r in ROWS]})
    r = corr.pairs[("a", "b")]
    expected = math.sqrt(ins[0].u ** 2 + ins[1].u ** 2 + 2 * r * ins[0].u * ins[1].u)
    assert res.primary.u == pytest.approx(expected, rel=1e-12)
    assert res.primary.dof == pytest.approx(9.0)  # n − 1 for one ensemble


@pytest.mark.parametrize(
    ("block", "match"),
    [
        ({"inputs": ["a", "b"], "rows": [[1, 2], [3]]}, r"row 2 must list 2 values"),
        ({"inputs": ["a", "b"]}, r"'rows' must be a list"),
        ({"inputs": "a", "rows": [[1], [2]]}, r"'inputs' must be a non-empty list"),
        ({"inputs": ["a", "a"], "rows": [[1, 2], [3, 4]]}, r"named twice"),
        ({"inputs": ["a"], "rows": [[1]]}, r"at least 2 observations"),
        ({"inputs": ["a", "b"], "rows": [[1, "x"], [3, 4]]}, r"must be numbers"),
        ({"inputs": ["a", "b"], "rows": [[1, 2], [3, 4]], "units": ["g"]}, r"'units' must list"),
        ({"inputs": ["a", "b"], "rows": [[1, 2], [3, 4]], "oops": 1}, r"unknown field 'oops'"),
        ({"inputs": ["a", "b"], "rows": [[1, 2], [3, 4]], "pdf": "t"}, r"ν = n − N = 0"),
    ],
)
def test_bad_simultaneous_block_names_the_block(block, match):
    with pytest.raises(InputError, match=match) as info:
        evaluate_budget({"model": "a", "simultaneous": [block]})
    assert info.value.input.startswith(("simultaneous[0]", "a"))


def test_input_given_twice_or_correlation_given_twice_is_refused():
    spec = {**_block(), "inputs": {"a": {"value": 1, "u": 0.1}}}
    with pytest.raises(InputError, match=r"input 'a': given both in 'inputs' and"):
        evaluate_budget(spec)
    spec = {**_block(), "correlations": [["a", "b", 0.5]]}
    with pytest.raises(CorrelationError, match=r"estimated from the rows"):
        evaluate_budget(spec)


def test_simultaneous_block_units_are_checked_and_converted():
    spec = {
        "model": "a + b",
        "output": {"name": "m", "unit": "g"},
        "simultaneous": [{"inputs": ["a", "b"], "units": ["g", "mg"], "rows": ROWS}],
    }
    res = evaluate_budget(spec)
    assert res.primary.y == pytest.approx(np.mean([r[0] for r in ROWS]) + 1e-3 * 2.023)
    assert res.units == {"a": "g", "b": "g"}


def test_mcm_multivariate_t_has_the_jcgm102_covariance():
    # JCGM 102 §5.3.2: covariance of t_ν(x̄, (n−1)/(n−N)·S/n), ν = n − N, is (n−1)/(n−N−2)·S/n;
    # n = 10, N = 2 → 9/6 = 1.5 × the LPU variance u². The multivariate normal gives 1.0.
    lp = evaluate_budget(_block()).primary
    normal = evaluate_budget(_block(), method="mcm", trials=400_000, seed=2, workers=1).mcm
    t = evaluate_budget(_block("t"), method="mcm", trials=400_000, seed=2, workers=1).mcm
    assert normal.u**2 / lp.u**2 == pytest.approx(1.0, abs=0.01)
    assert t.u**2 / lp.u**2 == pytest.approx(1.5, abs=0.06)
    # and the correlation survives: y = a − b uses the off-diagonal terms
    diff = {**_block("t"), "model": "a - b"}
    lp_d = evaluate_budget(diff).primary
    t_d = evaluate_budget(diff, method="mcm", trials=400_000, seed=2, workers=1).mcm
    assert t_d.u**2 / lp_d.u**2 == pytest.approx(1.5, abs=0.06)


def test_mcm_refuses_t_ensemble_correlated_with_another_input():
    ins, corr = type_a_multivariate({"a": [r[0] for r in ROWS], "b": [r[1] for r in ROWS]}, pdf="t")
    ins.append(Input.normal("c", 0.0, 1.0))
    corr.pairs[("a", "c")] = 0.3
    with pytest.raises(UncertaintyError, match=r"multivariate-t ensemble"):
        mcm("a + c", ins, corr, trials=10_000, seed=1)
