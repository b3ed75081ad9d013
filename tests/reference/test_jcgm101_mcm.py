"""JCGM 101:2008 (GUM Supplement 1) clause 9 examples reproduced by the Monte Carlo method.

Tolerances are a few Monte Carlo standard errors of the run (and of the published 10⁶-trial run),
or the rounding of the published figure, whichever is larger.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from jiliang.core.uncertainty import (
    Arcsine,
    CurvilinearTrapezoid,
    Input,
    Normal,
    Rectangular,
    StudentT,
    evaluate_budget,
    load_budget,
    lpu,
    mcm,
    validate,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "budgets"
ADDITIVE = "X1 + X2 + X3 + X4"


def test_9_2_2_additive_normal():
    # JCGM 101 §9.2.2, Table 2: GUF and MCM y = 0, u(y) = 2, 95 % interval [−3.92, 3.92]
    inputs = [Input.normal(f"X{i}", 0.0, 1.0) for i in range(1, 5)]
    g = lpu(ADDITIVE, inputs)
    assert (g.y, g.u) == (0.0, 2.0)
    assert g.interval == pytest.approx((-3.92, 3.92), abs=0.005)
    m = mcm(ADDITIVE, inputs, trials=10**6, seed=11, interval="symmetric")
    assert m.y == pytest.approx(0.0, abs=0.01)
    assert m.u == pytest.approx(2.0, abs=0.005)
    assert m.interval == pytest.approx((-3.92, 3.92), abs=0.02)
    assert validate(g, m, n_dig=2).passed  # JCGM 101 §9.2.2.3: the GUF is validated


def test_9_2_3_additive_rectangular():
    # JCGM 101 §9.2.3, Table 3: rectangular inputs of u = 1; MCM interval [−3.88, 3.88]
    # (GUF [−3.92, 3.92]); budget file examples/budgets/jcgm101_additive_rectangular.yaml
    res = evaluate_budget(
        load_budget(EXAMPLES / "jcgm101_additive_rectangular.yaml"), method="both"
    )
    assert res.primary.u == pytest.approx(2.0, abs=1e-12)
    assert res.primary.interval == pytest.approx((-3.92, 3.92), abs=0.005)
    assert res.mcm.u == pytest.approx(2.0, abs=0.005)
    assert res.mcm.interval == pytest.approx((-3.88, 3.88), abs=0.02)


MASS_INPUTS = [
    Input.normal("m_Rc", 100_000.000, 0.050),
    Input.normal("dm_Rc", 1.234, 0.020),
    Input("rho_a", Rectangular(1.10, 1.30)),
    Input("rho_W", Rectangular(7000.0, 9000.0)),
    Input("rho_R", Rectangular(7950.0, 8050.0)),
]


def mass_model(m_Rc, dm_Rc, rho_a, rho_W, rho_R):
    """JCGM 101 eq. (21) in mg: δm = (m_R,c + δm_R,c)[1 + (ρ_a − ρ_a0)(1/ρ_W − 1/ρ_R)] − m_nom."""
    return (m_Rc + dm_Rc) * (1 + (rho_a - 1.2) * (1 / rho_W - 1 / rho_R)) - 100_000.0


def test_9_3_mass_calibration():
    # JCGM 101 §9.3, Table 9: GUF δm = 1.2340 mg, u = 0.0539 mg, [1.1285, 1.3395];
    # GUF with higher-order terms u = 0.0750 mg; MCM 1.2341 mg, u = 0.0754 mg, shortest
    # interval [1.0834, 1.3825] mg
    g = lpu(mass_model, MASS_INPUTS)
    assert g.y == pytest.approx(1.2340, abs=5e-5)
    assert g.u == pytest.approx(0.0539, abs=5e-5)
    assert g.interval == pytest.approx((1.1285, 1.3395), abs=5e-5)
    g2 = lpu(mass_model, MASS_INPUTS, second_order=True)
    assert g2.u == pytest.approx(0.0750, abs=5e-5)
    m = mcm(mass_model, MASS_INPUTS, trials=10**6, seed=2)
    assert m.y == pytest.approx(1.2341, abs=3e-4)
    assert m.u == pytest.approx(0.0754, abs=2e-4)
    # the location of the shortest interval is poorly determined for this output PDF (it moves by
    # ±2·10⁻³ mg between 10⁶-trial runs, ours and the published one), its length is not
    assert m.high - m.low == pytest.approx(1.3825 - 1.0834, abs=1e-3)
    assert m.interval == pytest.approx((1.0834, 1.3825), abs=4e-3)
    # the probabilistically symmetric interval is stable: y ± 0.1497 mg
    s = mcm(mass_model, MASS_INPUTS, trials=10**6, seed=2, interval="symmetric")
    assert s.interval == pytest.approx((1.0843, 1.3837), abs=5e-4)
    # §9.3.3: the GUF (first order) is not validated
    assert not validate(g, m, n_dig=2).passed


def test_9_3_mass_calibration_adaptive_budget_file():
    # JCGM 101 §9.3 with the adaptive procedure of §7.9 (n_dig = 2): u(y) = 0.075 mg
    res = evaluate_budget(load_budget(EXAMPLES / "jcgm101_mass_calibration.yaml"), method="mcm")
    assert res.mcm.adaptive and res.mcm.trials >= 2 * 10**4
    assert abs(res.mcm.u - 0.0754) <= res.mcm.delta  # δ = 0.0005 mg for n_dig = 2
    assert res.mcm.y == pytest.approx(1.2341, abs=5e-4)


@pytest.mark.parametrize("r", [0.0, 0.9])
def test_9_4_comparison_loss(r):
    # JCGM 101 §9.4: δY = X1² + X2², X1 ~ N(x1, u²), X2 ~ N(0, u²), u = 0.005, r(X1, X2) = r.
    # For x1 = 0.010 (§9.4.2.2.3 and §9.4.3.2.2, analytic moments): E(Y) = x1² + 2u²,
    # V(Y) = 4u²x1² + 4u⁴(1 + r²); the GUF gives y = x1² = 0.000 10, u(y) = 2x1·u = 0.000 10.
    x1, u = 0.010, 0.005
    inputs = [Input.normal("X1", x1, u), Input.normal("X2", 0.0, u)]
    corr = [["X1", "X2", r]] if r else None
    g = lpu("X1**2 + X2**2", inputs, corr)
    assert g.y == pytest.approx(1.0e-4, rel=1e-12)
    assert g.u == pytest.approx(1.0e-4, rel=1e-9)
    m = mcm("X1**2 + X2**2", inputs, corr, trials=10**6, seed=5)
    assert m.y == pytest.approx(x1**2 + 2 * u**2, rel=4e-3)  # 0.000 15
    sd = np.sqrt(4 * u**2 * x1**2 + 4 * u**4 * (1 + r**2))  # 0.000 11 (r = 0), 0.000 12 (r = 0.9)
    assert m.u == pytest.approx(sd, rel=5e-3)


def test_9_4_comparison_loss_zero_estimate():
    # JCGM 101 §9.4.2.2, x1 = 0: GUF u(y) = 0 (all sensitivities vanish); MCM y = 0.000 05,
    # u(y) = 0.000 05, shortest 95 % interval [0, 0.000 15] (Y/u² is χ² with 2 degrees of freedom:
    # the interval is [0, −2 ln(0.05) u²])
    u = 0.005
    inputs = [Input.normal("X1", 0.0, u), Input.normal("X2", 0.0, u)]
    assert lpu("X1**2 + X2**2", inputs).u == 0.0
    m = mcm("X1**2 + X2**2", inputs, trials=10**6, seed=6)
    assert m.y == pytest.approx(5.0e-5, rel=5e-3)
    assert m.u == pytest.approx(5.0e-5, rel=5e-3)
    assert m.low == pytest.approx(0.0, abs=1e-7)
    assert m.high == pytest.approx(-2 * np.log(0.05) * u**2, rel=5e-3)


GAUGE_INPUTS = [  # JCGM 101 §9.5.2, Table 15 (lengths in nm)
    Input("L_s", StudentT(50_000_623.0, 25.0, 18)),
    Input("D", StudentT(215.0, 5.8, 24)),
    Input("D1", StudentT(0.0, 3.9, 5)),
    Input("D2", StudentT(0.0, 6.7, 8)),
    Input("alpha_s", Rectangular(9.5e-6, 13.5e-6)),
    Input("theta_bar", Normal(-0.1, 0.2)),
    Input("Delta", Arcsine(-0.5, 0.5)),
    Input("d_alpha", CurvilinearTrapezoid(-1.0e-6, 1.0e-6, 0.1e-6), dof=50),  # GUM H.1: ν = 50
    Input("d_theta", CurvilinearTrapezoid(-0.050, 0.050, 0.025), dof=2),  # GUM H.1: ν = 2
]


def gauge_model(L_s, D, D1, D2, alpha_s, theta_bar, Delta, d_alpha, d_theta):
    """JCGM 101 eq. (25): L = [L_s(1 + α_s(θ − δθ)) + D]/(1 + (α_s + δα)θ), as L − 50 mm in nm."""
    theta = theta_bar + Delta
    num = L_s * (1 + alpha_s * (theta - d_theta)) + D + D1 + D2
    return num / (1 + (alpha_s + d_alpha) * theta) - 50_000_000.0


def test_9_5_gauge_block():
    # JCGM 101 §9.5.4, Table 16 (99 %): GUF 838 nm, u 32 nm, [745, 931] nm (ν_eff = 16);
    # MCM 838 nm, u 36 nm, shortest interval [745, 932] nm
    # (the CTrap u(δθ) = 0.030 °C here against 0.029 °C in GUM H.1, so ν_eff = 15.8 not 16.7)
    g = lpu(gauge_model, GAUGE_INPUTS, p=0.99)
    assert round(g.y) == 838 and round(g.u) == 32
    assert g.interval == pytest.approx((745, 931), abs=2.0)
    m = mcm(gauge_model, GAUGE_INPUTS, trials=10**6, p=0.99, seed=9)
    assert round(m.y) == 838 and round(m.u) == 36
    assert m.interval == pytest.approx((745, 932), abs=2.0)
