"""JCGM 100:2008 (GUM) Annex H examples reproduced by the LPU of jiliang.core.uncertainty."""

from __future__ import annotations

import math

import numpy as np
import pytest

from jiliang.core.uncertainty import (
    Input,
    UncertaintyError,
    evaluate_budget,
    fit_line,
    load_budget,
    lpu,
    mcm_multivariate,
    type_a_multivariate,
)

EXAMPLES = __import__("pathlib").Path(__file__).resolve().parents[2] / "examples" / "budgets"

# GUM H.1, Table H.1: lengths in nm, expansion coefficients in 1/°C, temperatures in °C
H1_INPUTS = [
    Input.normal("l_s", 50_000_623.0, 25.0, 18),
    Input.normal("d", 215.0, 9.7, 25.6),
    Input.normal("d_alpha", 0.0, 0.58e-6, 50),
    Input.normal("theta", -0.1, 0.41),
    Input.normal("alpha_s", 11.5e-6, 1.2e-6),
    Input.normal("d_theta", 0.0, 0.029, 2),
]
H1_MODEL = "l_s + d - l_s*(d_alpha*theta + alpha_s*d_theta)"  # GUM eq. (H.3)


def test_h1_end_gauge_first_order():
    # JCGM 100 H.1.5–H.1.6: l = 50.000 838 mm, u_c = 32 nm, ν_eff ≈ 16, U99 = 93 nm
    r = lpu(H1_MODEL, H1_INPUTS, p=0.99)
    assert r.y == pytest.approx(50_000_838.0, abs=0.5)
    assert round(r.u) == 32
    assert math.floor(r.dof) == 16
    assert round(r.U) == 93
    # GUM Table H.1 sensitivity coefficients: c(δα) = −l_s θ = 5.0 mm·°C, c(δθ) = −l_s α_s
    names = [i.name for i in H1_INPUTS]
    assert r.sensitivities[names.index("d_alpha")] == pytest.approx(5_000_062.3, rel=1e-9)
    assert r.sensitivities[names.index("d_theta")] == pytest.approx(-575.007, rel=1e-5)
    assert r.method == "autodiff"


def test_h1_end_gauge_second_order():
    # JCGM 100 H.1.7: with the second-order terms of 5.1.2 u_c = 34 nm
    r = lpu(H1_MODEL, H1_INPUTS, second_order=True)
    assert round(r.u) == 34
    assert round(r.u_first_order) == 32


def test_h1_budget_file_matches_python_api():
    # JCGM 100 H.1 via the sample budget file examples/budgets/gum_h1_end_gauge.yaml
    result = evaluate_budget(load_budget(EXAMPLES / "gum_h1_end_gauge.yaml"))
    assert round(result.primary.u) == 32
    assert result.to_dict()["y"] == pytest.approx(50_000_838.0, abs=0.5)


# GUM H.2, Table H.2: five simultaneous sets of V (V), I (mA) and φ (rad)
H2_OBS = {
    "V": [5.007, 4.994, 5.005, 4.990, 4.999],
    "I": [19.663e-3, 19.639e-3, 19.640e-3, 19.685e-3, 19.678e-3],
    "phi": [1.0456, 1.0438, 1.0468, 1.0428, 1.0433],
}


def _h2(V, I, phi):  # noqa: E741 - GUM symbol
    return {"R": V / I * np.cos(phi), "X": V / I * np.sin(phi), "Z": V / I}


def test_h2_type_a_correlations():
    # JCGM 100 Table H.2: r(V, I) = −0.36, r(V, φ) = 0.86, r(I, φ) = −0.65
    inputs, corr = type_a_multivariate(H2_OBS)
    assert inputs[0].value == pytest.approx(4.9990)
    assert inputs[0].u == pytest.approx(0.0032, abs=5e-5)
    assert inputs[1].u == pytest.approx(0.0095e-3, abs=5e-8)
    assert inputs[2].u == pytest.approx(0.00075, abs=5e-6)
    assert corr.pairs[("V", "I")] == pytest.approx(-0.36, abs=0.005)
    assert corr.pairs[("V", "phi")] == pytest.approx(0.86, abs=0.005)
    assert corr.pairs[("I", "phi")] == pytest.approx(-0.65, abs=0.005)


def test_h2_resistance_reactance_impedance():
    # JCGM 100 H.2.3, Table H.3 (approach 1): R = 127.732 Ω u 0.071, X = 219.847 Ω u 0.295,
    # Z = 254.260 Ω u 0.236; r(R,X) = −0.588, r(R,Z) = −0.485, r(X,Z) = 0.993
    inputs, corr = type_a_multivariate(H2_OBS)
    res = lpu(_h2, inputs, corr)
    assert res.names == ["R", "X", "Z"]
    assert res["R"].y == pytest.approx(127.732, abs=5e-4)
    assert res["X"].y == pytest.approx(219.847, abs=5e-4)
    assert res["Z"].y == pytest.approx(254.260, abs=5e-4)
    assert res["R"].u == pytest.approx(0.071, abs=5e-4)
    assert res["X"].u == pytest.approx(0.295, abs=1.5e-3)  # GUM rounds 0.2956 down
    assert res["Z"].u == pytest.approx(0.236, abs=5e-4)
    r = res.correlation
    assert r[0, 1] == pytest.approx(-0.588, abs=5e-4)
    assert r[0, 2] == pytest.approx(-0.485, abs=5e-4)
    assert r[1, 2] == pytest.approx(0.993, abs=5e-4)


def test_h3_thermometer_calibration():
    # JCGM 100 H.3, Table H.6 data; H.3.3–H.3.4: y1 = −0.1712 °C, s(y1) = 0.0029 °C,
    # y2 = 0.00218, s(y2) = 0.00067, r = −0.930, s = 0.0035 °C; b(30 °C) = −0.1494 °C u 0.0041 °C
    t = [21.521, 22.012, 22.512, 23.003, 23.507, 23.999, 24.513, 25.002, 25.503, 26.010, 26.511]
    b = [-0.171, -0.169, -0.166, -0.159, -0.164, -0.165, -0.156, -0.157, -0.159, -0.161, -0.160]
    fit = fit_line(t, b, t0=20.0)
    assert fit.intercept == pytest.approx(-0.1712, abs=5e-5)
    assert fit.slope == pytest.approx(0.00218, abs=5e-6)
    assert fit.u_intercept == pytest.approx(0.0029, abs=5e-5)
    assert fit.u_slope == pytest.approx(0.00067, abs=5e-6)
    assert fit.r == pytest.approx(-0.930, abs=5e-4)
    assert fit.s == pytest.approx(0.0035, abs=5e-5)
    assert fit.dof == 9
    value, u = fit.predict(30.0)
    assert value == pytest.approx(-0.1494, abs=5e-5)
    assert u == pytest.approx(0.0041, abs=5e-5)


def test_h2_by_monte_carlo_jcgm102():
    # JCGM 100 H.2 (Table H.3) evaluated by the multivariate MCM of JCGM 102 §7: the model is
    # nearly linear over ±u, so u and r agree with the published LPU figures within MC noise
    inputs, corr = type_a_multivariate(H2_OBS)
    one = mcm_multivariate(_h2, inputs, corr, trials=400_000, seed=1, workers=1)
    two = mcm_multivariate(_h2, inputs, corr, trials=400_000, seed=1, workers=2)
    assert np.array_equal(one.covariance, two.covariance)  # reproducible across thread counts
    assert one.names == ["R", "X", "Z"]
    assert one.y == pytest.approx([127.732, 219.847, 254.260], abs=2e-3)
    assert one.u == pytest.approx([0.071, 0.295, 0.236], abs=2e-3)
    assert one.correlation[0, 1] == pytest.approx(-0.588, abs=5e-3)
    assert one.correlation[0, 2] == pytest.approx(-0.485, abs=5e-3)
    assert one.correlation[1, 2] == pytest.approx(0.993, abs=1e-3)


def test_h2_simultaneous_budget_file_gives_table_h3_and_nu_4():
    # JCGM 100 H.2 from examples/budgets/gum_h2_impedance.yaml (a 'simultaneous:' block with the
    # five sets of Table H.2, I in mA). Table H.3: R = 127.732 Ω u 0.071, X = 219.847 Ω u 0.295,
    # Z = 254.260 Ω u 0.236; r(R,X) = −0.588, r(R,Z) = −0.485, r(X,Z) = 0.993. The quantities are
    # jointly estimated from n = 5 sets: ν = n − 1 = 4 (GUM H.2.4; Willink, Metrologia 44
    # (2007) 340), so k95 = t_95(4) = 2.78 — not ν_eff = 0.13, k = 12.7 from Welch–Satterthwaite
    # applied to correlated inputs, and not u(R) = 0.1945 from treating V, I, φ as independent.
    res = evaluate_budget(load_budget(EXAMPLES / "gum_h2_impedance.yaml"))
    R, X, Z = res.lpu["R"], res.lpu["X"], res.lpu["Z"]
    assert res.output_units == {"R": "Ω", "X": "Ω", "Z": "Ω"}
    assert R.y == pytest.approx(127.732, abs=5e-4)
    assert X.y == pytest.approx(219.847, abs=5e-4)
    assert Z.y == pytest.approx(254.260, abs=5e-4)
    assert R.u == pytest.approx(0.071, abs=5e-4)
    assert X.u == pytest.approx(0.295, abs=1.5e-3)  # GUM rounds 0.2956 down
    assert Z.u == pytest.approx(0.236, abs=5e-4)
    r = res.lpu.correlation
    assert r[0, 1] == pytest.approx(-0.588, abs=5e-4)
    assert r[0, 2] == pytest.approx(-0.485, abs=5e-4)
    assert r[1, 2] == pytest.approx(0.993, abs=5e-4)
    for out in (R, X, Z):
        assert out.dof == pytest.approx(4.0)
        assert out.k == pytest.approx(2.7764, abs=1e-4)  # GUM Table G.2: t_95(4) = 2.78
        assert "Willink" in out.dof_method
    # Table H.2: the input correlations estimated from the rows (GUM C.3.6, eq. 17)
    rows = {c["name"]: c for c in R.to_dict()["contributions"]}
    assert rows["V"]["value"] == pytest.approx(4.9990)
    assert rows["I"]["value"] == pytest.approx(19.661, abs=5e-4)  # mA, as given
    assert res.units == {"V": "V", "I": "mA", "phi": "rad"}


def test_h2_per_input_observations_warn_that_correlations_are_lost():
    # GUM H.2 entered with per-input 'observations:' treats V, I, φ as independent (u(R) = 0.195
    # instead of 0.071): the result must say so rather than be silently wrong
    spec = {
        "model": {"R": "V/I*cos(phi)"},
        "inputs": {k: {"observations": v} for k, v in H2_OBS.items()},
    }
    res = evaluate_budget(spec)
    assert res.primary.u == pytest.approx(0.1945, abs=5e-4)
    assert any("simultaneous" in w and "V, I, phi" in w for w in res.warnings)


def test_h2_monte_carlo_from_the_simultaneous_block():
    # JCGM 101 §6.4.8: the means of simultaneous observations get a multivariate normal PDF
    # N(x̄, S/n); for the nearly linear H.2 model u(R) agrees with Table H.3 (0.071 Ω)
    res = evaluate_budget(
        load_budget(EXAMPLES / "gum_h2_impedance.yaml"), method="mcm", trials=200_000, seed=1
    )
    assert res.mcm.y == pytest.approx(127.732, abs=2e-3)
    assert res.mcm.u == pytest.approx(0.071, abs=2e-3)
    assert any("multivariate normal" in w and "ν = 4" in w for w in res.warnings)


def test_h3_line_coefficients_as_a_budget_give_nu_9():
    # JCGM 100 H.3.4 from examples/budgets/gum_h3_thermometer.yaml: b(30 °C) = −0.1494 °C,
    # u = 0.0041 °C, ν = n − 2 = 9 (y1, y2 from one least-squares fit of n = 11 points: jointly
    # estimated). Welch–Satterthwaite on the correlated pair would give ν_eff = 1.3.
    res = evaluate_budget(load_budget(EXAMPLES / "gum_h3_thermometer.yaml"))
    assert res.primary.y == pytest.approx(-0.1494, abs=5e-5)
    assert res.primary.u == pytest.approx(0.0041, abs=5e-5)
    assert res.primary.dof == pytest.approx(9.0)
    assert res.primary.k == pytest.approx(2.262, abs=1e-3)  # t_95(9), GUM Table G.2
    assert res.output_unit == "°C"
    # without the declaration the budget refuses to print a k from the invalid formula
    spec = load_budget(EXAMPLES / "gum_h3_thermometer.yaml")
    del spec["jointly_estimated"]
    with pytest.raises(UncertaintyError, match=r"correlation \(y1, y2\).*Welch–Satterthwaite"):
        evaluate_budget(spec)
