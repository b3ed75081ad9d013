"""Tests for jiliang.core.conformity (decision rules, probabilities, capability)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from jiliang.core.conformity import (
    CapabilityRule,
    ConformityError,
    DecisionRule,
    RuleKind,
    Tolerance,
    Verdict,
    acceptance_limits,
    conformance_probability,
    decide,
    global_risks,
    measurement_capability,
    specific_risks,
)

TOL = Tolerance(9.0, 10.0)


# ---------------------------------------------------------------- input validation
@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"lower": 10.0, "upper": 9.0}, "tolerance"),
        ({"lower": 1.0, "upper": 1.0}, "tolerance"),
        ({}, "tolerance"),
        ({"lower": math.nan, "upper": 1.0}, "tolerance.lower"),
        ({"upper": math.inf}, "tolerance.upper"),
    ],
)
def test_tolerance_validation(kwargs: dict, field: str) -> None:
    with pytest.raises(ConformityError) as info:
        Tolerance(**kwargs)
    assert info.value.field == field


def test_tolerance_properties() -> None:
    assert TOL.sides == "two-sided" and TOL.span == 1.0
    assert Tolerance(upper=5).sides == "upper-only" and math.isinf(Tolerance(upper=5).span)
    assert Tolerance(lower=5).sides == "lower-only"
    assert Tolerance.symmetric(0.0, 0.5) == Tolerance(-0.5, 0.5)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: decide(math.nan, 0.1, TOL), "value"),
        (lambda: decide(9.5, -0.1, TOL), "expanded_uncertainty"),
        (lambda: decide(9.5, math.nan, TOL), "expanded_uncertainty"),
        (lambda: decide(9.5, 0.1, TOL, k=0), "k"),
        (lambda: decide(9.5, 0.5, TOL, DecisionRule.guarded_acceptance()), "expanded_uncertainty"),
        (lambda: conformance_probability(9.5, 0.0, TOL), "u"),
        (lambda: conformance_probability(9.5, 0.1, TOL, dof=0), "dof"),
        (lambda: DecisionRule.guarded_acceptance(-1.0), "rule.r"),
        (lambda: DecisionRule(RuleKind.SIMPLE_ACCEPTANCE, 1.0), "rule.r"),
        (lambda: global_risks(0, 0, 1, TOL), "process_u"),
        (lambda: global_risks(0, 1, math.nan, TOL), "measurement_u"),
        (
            lambda: global_risks(0, 1, 1, TOL, acceptance_lower=9.8, acceptance_upper=9.2),
            "acceptance limits",
        ),
        (lambda: measurement_capability(0.0, mpe=1.0), "expanded_uncertainty"),
        (lambda: measurement_capability(0.1), "mpe"),
        (lambda: measurement_capability(0.1, tolerance=Tolerance(upper=1)), "tolerance"),
    ],
)
def test_bad_input_names_the_field(call, field: str) -> None:
    with pytest.raises(ConformityError) as info:
        call()
    assert info.value.field == field


# ---------------------------------------------------------------- decision rules
@pytest.mark.parametrize(
    ("y", "verdict"),
    [(9.5, Verdict.PASS), (9.95, Verdict.PASS), (10.0, Verdict.PASS), (10.01, Verdict.FAIL)],
)
def test_simple_acceptance(y: float, verdict: Verdict) -> None:
    d = decide(y, 0.1, TOL)
    assert d.verdict is verdict and d.guard_band == 0.0
    assert (d.acceptance_lower, d.acceptance_upper) == (9.0, 10.0)
    assert d.rule.kind is RuleKind.SIMPLE_ACCEPTANCE


def test_guarded_acceptance_w_equals_u_and_r_u() -> None:
    d = decide(9.95, 0.1, TOL, DecisionRule.guarded_acceptance())
    assert d.verdict is Verdict.FAIL
    assert d.acceptance_lower == pytest.approx(9.1) and d.acceptance_upper == pytest.approx(9.9)
    d = decide(9.85, 0.1, TOL, DecisionRule.guarded_acceptance(r=0.5))
    assert d.verdict is Verdict.PASS and d.guard_band == pytest.approx(0.05)
    assert d.acceptance_upper == pytest.approx(9.95)


def test_guarded_rejection_widens_acceptance() -> None:
    d = decide(10.05, 0.1, TOL, DecisionRule.guarded_rejection())
    assert d.verdict is Verdict.PASS and d.acceptance_upper == pytest.approx(10.1)


@pytest.mark.parametrize(
    ("y", "verdict"),
    [
        (9.5, Verdict.PASS),
        (9.95, Verdict.CONDITIONAL_PASS),
        (9.05, Verdict.CONDITIONAL_PASS),
        (10.05, Verdict.CONDITIONAL_FAIL),
        (8.95, Verdict.CONDITIONAL_FAIL),
        (10.2, Verdict.FAIL),
    ],
)
def test_non_binary(y: float, verdict: Verdict) -> None:
    d = decide(y, 0.1, TOL, DecisionRule.non_binary())
    assert d.verdict is verdict
    assert d.accepted == (verdict in (Verdict.PASS, Verdict.CONDITIONAL_PASS))


def test_one_sided_limits() -> None:
    upper = Tolerance(upper=50.0)
    d = decide(49.0, 2.0, upper, DecisionRule.guarded_acceptance())
    assert d.verdict is Verdict.FAIL and d.acceptance_upper == 48.0 and d.acceptance_lower is None
    assert decide(47.5, 2.0, upper, DecisionRule.guarded_acceptance()).verdict is Verdict.PASS
    lower = Tolerance(lower=50.0)
    d = decide(51.0, 2.0, lower, DecisionRule.guarded_acceptance())
    assert d.verdict is Verdict.FAIL and d.acceptance_lower == 52.0
    assert decide(51.0, 2.0, lower).verdict is Verdict.PASS


def test_decision_to_dict() -> None:
    data = decide(9.95, 0.1, TOL, DecisionRule.non_binary()).to_dict()
    assert data["verdict"] == "conditional pass" and data["verdict_zh"] == "有条件合格"
    assert data["rule"] == {"kind": "non-binary", "r": 1.0, "description": "non-binary (w = 1·U)"}
    assert data["tolerance"] == {"lower": 9.0, "upper": 10.0}
    assert "conditional pass" in data["explanation"]


def test_decision_probability_matches_formula() -> None:
    d = decide(9.95, 0.1, TOL, k=2.0)
    expected = stats.norm.cdf((10.0 - 9.95) / 0.05) - stats.norm.cdf((9.0 - 9.95) / 0.05)
    assert d.probability_of_conformity == pytest.approx(expected, rel=1e-12)
    assert d.notes and "false-accept" in d.notes[0]


# ---------------------------------------------------------------- probabilities
def test_conformance_probability_two_sided_centre() -> None:
    # T = y ± 2u: p_c = 2Φ(2) − 1
    assert conformance_probability(0.0, 1.0, Tolerance(-2, 2)) == pytest.approx(
        2 * stats.norm.cdf(2.0) - 1, rel=1e-12
    )


def test_conformance_probability_with_t() -> None:
    pc = conformance_probability(0.0, 1.0, Tolerance(upper=2.0), dof=5)
    assert pc == pytest.approx(stats.t.cdf(2.0, 5), rel=1e-12)
    assert pc < conformance_probability(0.0, 1.0, Tolerance(upper=2.0))


@given(
    st.floats(-5, 5),
    st.floats(0.01, 3),
    st.floats(-4, 4),
    st.floats(0.1, 4),
)
def test_probability_is_a_probability(y: float, u: float, centre: float, half: float) -> None:
    tol = Tolerance(centre - half, centre + half)
    pc = conformance_probability(y, u, tol)
    assert 0.0 <= pc <= 1.0
    pc_upper = conformance_probability(y, u, Tolerance(upper=centre + half))
    assert pc <= pc_upper + 1e-15


def test_specific_risks() -> None:
    accepted = specific_risks(9.95, 0.05, TOL, accepted=True)
    assert accepted.false_accept == pytest.approx(1 - accepted.probability_of_conformity)
    assert accepted.false_reject == 0.0
    rejected = specific_risks(10.02, 0.05, TOL, accepted=False)
    assert rejected.false_reject == pytest.approx(rejected.probability_of_conformity)
    assert rejected.to_dict()["accepted"] is False


# ---------------------------------------------------------------- global risks
def _monte_carlo_risks(y0, u0, um, lo, hi, a_lo, a_hi, n=2_000_000, seed=106):
    rng = np.random.default_rng(seed)
    eta = rng.normal(y0, u0, n)
    measured = eta + rng.normal(0.0, um, n)
    good = (eta >= lo) & (eta <= hi)
    accept = (measured >= a_lo) & (measured <= a_hi)
    return np.mean(~good & accept), np.mean(good & ~accept)


@pytest.mark.parametrize(
    ("y0", "u0", "um", "a_lo", "a_hi"),
    [(0.0, 1.0, 0.25, -2.0, 2.0), (0.5, 0.8, 0.4, -1.6, 1.6), (1.0, 1.0, 0.5, -2.0, 1.8)],
)
def test_global_risks_agree_with_monte_carlo(y0, u0, um, a_lo, a_hi) -> None:
    # independent check of the quadrature by simulation; 2e6 trials, tolerance 5 standard errors
    risks = global_risks(
        y0, u0, um, Tolerance(-2.0, 2.0), acceptance_lower=a_lo, acceptance_upper=a_hi
    )
    rc, rp = _monte_carlo_risks(y0, u0, um, -2.0, 2.0, a_lo, a_hi)
    n = 2_000_000
    assert risks.consumer_risk == pytest.approx(rc, abs=5 * math.sqrt(rc / n) + 1e-6)
    assert risks.producer_risk == pytest.approx(rp, abs=5 * math.sqrt(rp / n) + 1e-6)


def test_guard_band_trades_consumer_for_producer_risk() -> None:
    simple = global_risks(0.0, 1.0, 0.5, Tolerance(-2, 2))
    guarded = global_risks(
        0.0, 1.0, 0.5, Tolerance(-2, 2), acceptance_lower=-1.0, acceptance_upper=1.0
    )
    assert guarded.consumer_risk < simple.consumer_risk
    assert guarded.producer_risk > simple.producer_risk
    assert simple.measurement_capability_index == pytest.approx(2.0)  # 4 / (4 · 0.5)
    assert simple.prior_conformance == pytest.approx(2 * stats.norm.cdf(2) - 1)


def test_global_risks_one_sided_and_symmetry() -> None:
    one = global_risks(0.0, 1.0, 0.3, Tolerance(upper=2.0))
    mirror = global_risks(0.0, 1.0, 0.3, Tolerance(lower=-2.0))
    assert one.consumer_risk == pytest.approx(mirror.consumer_risk, rel=1e-9)
    assert one.producer_risk == pytest.approx(mirror.producer_risk, rel=1e-9)
    assert one.measurement_capability_index is None
    assert one.to_dict()["acceptance_upper"] == 2.0


# ---------------------------------------------------------------- capability
def test_capability_jjf1094_and_tur() -> None:
    ok = measurement_capability(0.1, mpe=0.5)
    assert ok.capable and ok.ratio == pytest.approx(0.2) and ok.tur == pytest.approx(5.0)
    # U/MPE = 0.3 ≤ 1/3 but TUR 3.33 < 4: only the rule that adds TUR ≥ 4 refuses it.
    third_only = measurement_capability(0.15, mpe=0.5, rule="both")
    assert third_only.meets_one_third and not third_only.meets_tur and not third_only.capable
    assert "TUR = 3.33 < 4" in third_only.explanation
    relaxed = measurement_capability(0.15, mpe=0.5, min_tur=3.0, rule="both")
    assert relaxed.capable
    bad = measurement_capability(0.2, tolerance=Tolerance(-0.5, 0.5))
    assert not bad.meets_one_third and bad.mpe == 0.5 and bad.tur == pytest.approx(2.5)
    assert bad.to_dict()["capable"] is False


def test_acceptance_limits_feed_global_risks() -> None:
    tol = Tolerance(-2.0, 2.0)
    lo, hi = acceptance_limits(tol, DecisionRule.guarded_acceptance(r=0.5), 0.8)
    assert (lo, hi) == pytest.approx((-1.6, 1.6))
    assert acceptance_limits(tol, DecisionRule.guarded_rejection(), 0.5) == (-2.5, 2.5)
    assert acceptance_limits(Tolerance(upper=3.0), DecisionRule.shared_risk(), 1.0) == (None, 3.0)
    risks = global_risks(0.0, 1.0, 0.4, tol, acceptance_lower=lo, acceptance_upper=hi)
    assert risks.acceptance_lower == pytest.approx(-1.6)


# JJF 1094-2002 §5.3.1: when U95 ≤ MPEV/3 the indication error alone is compared with the MPE.
# For a symmetric ±MPE that is TUR = MPE/U95 ≥ 3; TUR ≥ 4 (ANSI/NCSL Z540.3-2006 §5.3 b) is
# another, stricter rule, and must not silently override the one-third rule.
def test_default_capability_is_jjf1094_one_third_not_tur4() -> None:
    check = measurement_capability(0.15, mpe=0.5)  # U/MPE = 0.30, TUR = 3.33
    assert check.capable and check.meets_one_third and not check.meets_tur
    assert check.rule == CapabilityRule.JJF1094_ONE_THIRD == "jjf1094-one-third"
    assert "JJF 1094-2002 §5.3.1" in check.basis and check.to_dict()["rule"] == check.rule
    assert "[not part of the rule]" in check.explanation
    exactly_third = measurement_capability(0.5 / 3, mpe=0.5)  # the limit itself is capable
    assert exactly_third.capable
    assert not measurement_capability(0.17, mpe=0.5).capable  # 0.34 > 1/3


def test_tur_rule_selectable_and_recorded() -> None:
    tur = measurement_capability(0.15, mpe=0.5, rule=CapabilityRule.TUR)
    assert not tur.capable and tur.rule == "tur" and "Z540.3" in tur.basis
    assert "TUR = 3.33 < 4" in tur.explanation
    # TUR alone ignores the one-third criterion (an asymmetric MPE passed as a tolerance).
    wide = measurement_capability(0.1, tolerance=Tolerance(-0.5, 0.5), rule="tur")
    assert wide.capable and wide.tur == pytest.approx(5.0)
    both = measurement_capability(0.1, mpe=0.5, rule="both")
    assert both.capable and both.rule == "both"


def test_unknown_capability_rule_names_the_field() -> None:
    with pytest.raises(ConformityError) as info:
        measurement_capability(0.1, mpe=0.5, rule="tur4")
    assert info.value.field == "rule" and "jjf1094-one-third" in str(info.value)
