"""Calibration curves as budget inputs, checked against published examples.

* JCGM 100:2008 (GUM) H.3 — thermometer calibration line, from a YAML budget file.
* ISO/TS 28037:2010 §6.3 (weighted least squares with known u(y)) and §7.4 (generalized
  distance regression, uncertainties in x and y) — the published figures as quoted by the
  MSL GTC documentation ("Straight-line calibration functions", examples 1–4).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy import optimize

from jiliang.core.uncertainty import InputError, evaluate_budget, fit_line, load_budget
from jiliang.core.uncertainty.curves import fit_curve, fit_line_gdr

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "budgets"

# GUM Table H.6
H3_T = [21.521, 22.012, 22.512, 23.003, 23.507, 23.999, 24.513, 25.002, 25.503, 26.010, 26.511]
H3_B = [-0.171, -0.169, -0.166, -0.159, -0.164, -0.165, -0.156, -0.157, -0.159, -0.161, -0.160]


def test_gum_h3_budget_file_calibration_curve_carries_dof_n_minus_2():
    # JCGM 100 H.3.3–H.3.4: y1 = −0.1712 °C, u(y1) = 0.0029 °C, y2 = 0.00218, u(y2) = 0.00067,
    # r(y1, y2) = −0.930, ν = n − 2 = 9; b(30.00 °C) = −0.1494 °C with u = 0.0041 °C
    res = evaluate_budget(load_budget(EXAMPLES / "gum_h3_thermometer_curve.yaml"))
    lp = res.primary
    assert lp.y == pytest.approx(-0.1494, abs=5e-5)
    assert lp.u == pytest.approx(0.0041, abs=5e-5)
    assert lp.dof == pytest.approx(9.0)  # ν of the fit reaches ν_eff, not ∞ or 1.3
    assert lp.k == pytest.approx(2.262, abs=5e-4)  # t_0.975(9)
    curve = res.to_dict()["curves"]["b"]
    (y1, y2), (u1, u2) = curve["coefficients"], curve["u_coefficients"]
    assert y1 == pytest.approx(-0.1712, abs=5e-5) and y2 == pytest.approx(0.00218, abs=5e-6)
    assert u1 == pytest.approx(0.0029, abs=5e-5) and u2 == pytest.approx(0.00067, abs=5e-6)
    assert curve["correlation"][0][1] == pytest.approx(-0.930, abs=5e-4)
    assert curve["dof"] == 9
    # 30 °C lies outside the calibrated 21.5–26.5 °C: the extrapolation is reported
    assert any("extrapolated" in w for w in res.warnings)


def test_gum_h3_curve_input_in_a_larger_budget_welch_satterthwaite():
    # corrected reading t_c = t + b(t) with a Type B u(t) of infinite ν: ν_eff from GUM G.2b,
    # u_c⁴ / (u_b⁴/9) with the curve's ν = 9 entering as one input
    spec = load_budget(EXAMPLES / "gum_h3_thermometer_curve.yaml")
    spec["model"] = "t + b"
    spec["output"] = {"name": "t_c", "unit": "°C"}
    spec["inputs"]["t"] = {"value": 30.0, "u": 0.003, "unit": "°C"}
    lp = evaluate_budget(spec).primary
    u_b = fit_line(H3_T, H3_B, t0=20.0).predict(30.0)[1]
    assert lp.u == pytest.approx(math.hypot(u_b, 0.003), rel=1e-9)
    assert lp.dof == pytest.approx(lp.u**4 / (u_b**4 / 9), rel=1e-9)


def test_gum_h3_curve_input_monte_carlo_uses_t_pdf():
    # JCGM 101 §6.4.9: a least-squares prediction with ν = 9 is a scaled and shifted t_9 PDF
    res = evaluate_budget(
        load_budget(EXAMPLES / "gum_h3_thermometer_curve.yaml"),
        method="mcm",
        trials=200_000,
        seed=4,
    )
    u_b = 0.0041386
    assert res.mcm.u == pytest.approx(u_b * math.sqrt(9 / 7), rel=0.02)  # sd of t_9 = √(9/7)


def test_iso_ts_28037_6_3_wls_known_uncertainties():
    # ISO/TS 28037:2010 §6.3 example 1: a = 1.867, u(a) = 0.465, b = 1.757, u(b) = 0.120,
    # cov(a, b) = −0.050, χ² = 1.665 (ν = 4); known u(y) → ν = ∞
    fit = fit_curve([1, 2, 3, 4, 5, 6], [3.3, 5.6, 7.1, 9.3, 10.7, 12.1], u_y=0.5)
    assert fit.coefficients == pytest.approx([1.867, 1.757], abs=5e-4)
    assert fit.u_coefficients == pytest.approx([0.465, 0.120], abs=6e-4)
    assert fit.covariance[0, 1] == pytest.approx(-0.050, abs=5e-4)
    assert fit.chi2 == pytest.approx(1.665, abs=5e-4)
    assert math.isinf(fit.dof) and fit.warnings == []
    # §6.3 example 2, unequal u(y): a = 0.885, u(a) = 0.530, b = 2.057, u(b) = 0.178, χ² = 4.131
    fit = fit_curve([1, 2, 3, 4, 5, 6], [3.2, 4.3, 7.6, 8.6, 11.7, 12.8], u_y=[0.5] * 3 + [1] * 3)
    assert fit.coefficients == pytest.approx([0.885, 2.057], abs=5e-4)
    assert fit.u_coefficients == pytest.approx([0.530, 0.178], abs=5e-4)
    assert fit.chi2 == pytest.approx(4.131, abs=5e-4)


def test_iso_ts_28037_7_4_generalized_distance_regression():
    # ISO/TS 28037:2010 §7.4: uncertainties in x and y; a = 0.5788, u(a) = 0.4764,
    # b = 2.159(7), u(b) = 0.1355, cov(a, b) = −0.0577, χ² = 2.743 with ν = 4
    x = [1.2, 1.9, 2.9, 4.0, 4.7, 5.9]
    y = [3.4, 4.4, 7.2, 8.5, 10.8, 13.5]
    u_y = [0.2, 0.2, 0.2, 0.4, 0.4, 0.4]
    fit = fit_line_gdr(x, y, 0.2, u_y)
    assert fit.method == "gdr"
    assert fit.coefficients == pytest.approx([0.5788, 2.1597], abs=5e-4)
    assert fit.u_coefficients == pytest.approx([0.4764, 0.1355], abs=5e-5)
    assert fit.covariance[0, 1] == pytest.approx(-0.0577, abs=5e-5)
    assert fit.chi2 == pytest.approx(2.743, abs=5e-4)
    # the solution minimises Σ (y − a − bx)²/(u²(y) + b²u²(x)) — an independent optimiser agrees
    xs, ys, uy = np.array(x), np.array(y), np.array(u_y)

    def objective(p):
        return np.sum((ys - p[0] - p[1] * xs) ** 2 / (uy**2 + p[1] ** 2 * 0.04))

    best = optimize.minimize(objective, [0.0, 2.0], method="Nelder-Mead", tol=1e-14)
    assert fit.coefficients == pytest.approx(best.x, abs=1e-6)


def test_iso_ts_28037_relative_weights_dof_n_minus_2():
    # ISO/TS 28037 Annex E (as in GTC example 4): relative u(y), σ from the residuals:
    # a = 1.172, u(a) = 0.159, b = 1.964, u(b) = 0.041, cov = −0.006, ν = 4
    fit = fit_curve(
        [1, 2, 3, 4, 5, 6], [3.014, 5.225, 7.004, 9.061, 11.201, 12.762], weights=[1.0] * 6
    )
    assert fit.coefficients == pytest.approx([1.172, 1.964], abs=5e-4)
    assert fit.u_coefficients == pytest.approx([0.159, 0.041], abs=5e-4)
    assert fit.dof == 4


def test_polynomial_curve_input_from_budget_exact_quadratic_recovered():
    # a quadratic through 7 noisy points: the prediction equals gᵀc with u² = gᵀVg, ν = n − 3
    x = np.linspace(0.0, 6.0, 7)
    y = 1.0 + 0.5 * x - 0.05 * x**2 + np.array([1, -2, 0, 2, -1, 1, -1]) * 1e-3
    spec = {
        "model": "p",
        "inputs": {
            "p": {"calibration": {"x": x.tolist(), "y": y.tolist(), "degree": 2, "at": 2.5}}
        },
    }
    res = evaluate_budget(spec)
    fit = fit_curve(x, y, degree=2)
    assert res.primary.y == pytest.approx(fit.predict(2.5)[0], rel=1e-12)
    assert res.primary.u == pytest.approx(fit.predict(2.5)[1], rel=1e-12)
    assert res.primary.dof == 4
    coef = np.polyfit(x, y, 2)[::-1]  # numpy's independent fit
    assert fit.coefficients == pytest.approx(coef, rel=1e-9)


def test_curve_chi2_failure_is_warned_iso_ts_28037_6_3():
    # stated u(y) ten times too small: χ² far above its 95 % quantile → warning, not silence
    spec = {
        "model": "b",
        "inputs": {
            "b": {"calibration": {"x": H3_T, "y": H3_B, "x0": 20.0, "u_y": 0.00035, "at": 24.0}}
        },
    }
    res = evaluate_budget(spec)
    assert any("χ²" in w and "ISO/TS 28037" in w for w in res.warnings)


@pytest.mark.parametrize(
    ("calibration", "needle"),
    [
        ({"x": [1, 2, 3], "y": [1, 2], "at": 1}, "calibration.y has 2 values"),
        ({"x": [1, 2, 3], "y": [1, 2, 3]}, "'at'"),
        ({"x": [1, 1, 1, 1], "y": [1, 2, 3, 4], "at": 1}, "distinct x"),
        ({"x": [1, 2, 3], "y": [1, 2, 3], "at": 1, "degre": 2}, "unknown calibration field"),
        ({"x": [1, 2, 3], "y": [1, 2, 3], "at": 1, "u_x": 0.1}, "needs calibration.u_y"),
        ({"x": [1, 2, 3], "y": [1, 2, 3], "at": 1, "u_y": -1}, "u_y must be > 0"),
        ({"x": [1, 2], "y": [1, 2], "at": 1}, "needs > 2 points"),
    ],
)
def test_bad_calibration_inputs_name_the_input_and_field(calibration, needle):
    with pytest.raises(InputError, match="'c'") as info:
        evaluate_budget({"model": "c", "inputs": {"c": {"calibration": calibration}}})
    assert needle in str(info.value)
