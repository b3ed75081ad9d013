"""Conformity calculations against published values (source cited beside each test)."""

from __future__ import annotations

import pytest

from jiliang.core.conformity import (
    DecisionRule,
    Tolerance,
    conformance_probability,
    decide,
    global_risks,
    specific_risks,
)


@pytest.mark.parametrize(
    ("z", "p_c"),
    [(0.84, 0.80), (1.28, 0.90), (1.64, 0.95), (2.33, 0.99), (3.09, 0.999)],
)
def test_jcgm106_7_3_table1_one_sided(z: float, p_c: float) -> None:
    # JCGM 106:2012 §7.3, Table 1: single upper limit, normal PDF, z = (T_U − y)/u and the
    # conformance probability p_c it gives (values printed to 2 or 3 figures).
    y, u = 10.0, 0.5
    assert conformance_probability(y, u, Tolerance(upper=y + z * u)) == pytest.approx(
        p_c, abs=0.001
    )
    # the lower-limit case mirrors it (JCGM 106 §7.3: p_c = Φ((y − T_L)/u))
    assert conformance_probability(y, u, Tolerance(lower=y - z * u)) == pytest.approx(
        p_c, abs=0.001
    )


def test_ilac_g8_guard_band_w_equals_u_keeps_false_accept_below_2_5_percent() -> None:
    # ILAC-G8:09/2019 §4.2.2: with guard band w = U (k = 2, normal), an accepted result at the
    # acceptance limit has a specific probability of false accept below 2.5 % (1 − Φ(2) ≈ 2.3 %).
    tol = Tolerance(-1.0, 1.0)
    rule = DecisionRule.guarded_acceptance(r=1.0)
    decision = decide(0.8, 0.2, tol, rule, k=2.0)  # y exactly at A_U = T_U − U
    assert decision.accepted and decision.acceptance_upper == pytest.approx(0.8)
    risk = specific_risks(0.8, 0.1, tol, accepted=True)
    assert risk.false_accept < 0.025
    assert risk.false_accept == pytest.approx(0.02275, abs=5e-5)


def test_ilac_g8_simple_acceptance_at_the_limit_is_a_50_percent_risk() -> None:
    # ILAC-G8:09/2019 §4.2.1: under simple acceptance the specific risk of false accept can be as
    # large as 50 % (a result on the tolerance limit).
    risk = specific_risks(1.0, 0.1, Tolerance(-1.0, 1.0), accepted=True)
    assert risk.false_accept == pytest.approx(0.5, abs=1e-9)


@pytest.mark.parametrize(
    ("process_u", "measurement_u", "acceptance", "pfa", "pfr", "pfr_tol"),
    [
        # SL = 2, TUR = 4, no guard band: PFA ≈ 0.8 %, PFR ≈ 1.5 %
        (1.0, 0.25, 2.0, 0.008, 0.015, 5e-4),
        # SL = 2, TUR = 2, guard-band factor 0.91 (acceptance ±0.91·L): PFA ≈ 0.8 %, PFR ≈ 6.6 %
        (1.0, 0.5, 1.82, 0.008, 0.066, 1e-3),
        # SL = 2.5, TUR = 1: PFA ≈ 0.5 %
        (0.8, 1.0, 2.0, 0.005, None, None),
    ],
)
def test_deaver_1994_global_risks(process_u, measurement_u, acceptance, pfa, pfr, pfr_tol) -> None:
    # D. Deaver, "Guardbanding with Confidence", Proc. NCSL Workshop & Symposium (1994), p. 7
    # and p. 10: global false-accept / false-reject probabilities for a normal process (in-tolerance
    # limits ±L, SL = L/σ_process) measured with normal error (TUR = L/(2σ_measurement)).
    # This is the JCGM 106 §9.5 integral with prior N(0, u₀²) and measurement N(η, u_m²).
    tol = Tolerance(-2.0, 2.0)
    risks = global_risks(
        0.0,
        process_u,
        measurement_u,
        tol,
        acceptance_lower=-acceptance,
        acceptance_upper=acceptance,
    )
    assert risks.consumer_risk == pytest.approx(pfa, abs=5e-4)
    if pfr is not None:
        assert risks.producer_risk == pytest.approx(pfr, abs=pfr_tol)
