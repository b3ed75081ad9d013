"""Units in budgets are quantities, not labels: dimensional check and conversion (issue 13).

Reference for the conversions: SI Brochure (9th ed.) §5.4 (quantity calculus: a quantity is a
number times a unit, Q = {Q}·[Q]) and ISO 80000-1:2009 §6 (quantity equations).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from jiliang.core.uncertainty import (
    InputError,
    UncertaintyError,
    budget_rows,
    evaluate_budget,
)


def _sum_budget(unit_b: str, u_b: float = 8.66) -> dict:
    return {
        "model": "a + b",
        "output": {"name": "m", "unit": "g"},
        "inputs": {
            "a": {"value": 10.0, "u": 0.005, "unit": "g"},
            "b": {"value": 5.0, "u": u_b, "unit": unit_b},
        },
    }


def test_gram_plus_milligram_is_converted_not_reported_as_8_66_g():
    # issue 13: 10 g (u 5 mg) + 5 mg (u 8.66 mg) used to give u = 8.66 "g". As quantities:
    # y = 10.005 g, u = √(0.005² + 0.00866²) g = 0.0100 g
    res = evaluate_budget(_sum_budget("mg"))
    assert res.primary.y == pytest.approx(10.005, rel=1e-12)
    assert res.primary.u == pytest.approx(math.hypot(0.005, 0.00866), rel=1e-12)
    assert res.units_checked
    assert res.units == {"a": "g", "b": "g"}
    assert res.unit_conversions == [{"input": "b", "from": "mg", "to": "g", "factor": 1e-3}]
    # the converted estimate and uncertainty are what the table shows
    row = next(r for r in budget_rows(res) if r["name"] == "b")
    assert (row["unit"], row["value"], row["u"]) == (
        "g",
        pytest.approx(0.005),
        pytest.approx(8.66e-3),
    )
    assert res.to_dict()["unit_conversions"][0]["to"] == "g"


def test_dsi_spelling_is_converted_like_the_pint_one():
    res = evaluate_budget(_sum_budget(r"\milli\gram"))
    assert res.primary.u == pytest.approx(math.hypot(0.005, 0.00866), rel=1e-12)


def test_seconds_added_to_grams_is_an_error_naming_the_input():
    with pytest.raises(InputError, match=r"input 'b'.*different kinds of quantity") as info:
        evaluate_budget(_sum_budget("s"))
    assert info.value.input == "b"


def test_unknown_unit_is_an_error_naming_the_input():
    with pytest.raises(InputError, match=r"input 'b'.*not a known unit"):
        evaluate_budget(_sum_budget("furlongz"))


def test_ohms_law_with_current_in_milliampere_gives_ohm():
    # R = V/I with V = 5 V, I = 20 mA: the quantity equation gives 0.25 V/mA = 250 Ω; inputs of
    # different dimensions are legitimate here, only the output dimension is checked
    spec = {
        "model": "V / I",
        "output": {"name": "R", "unit": "Ω"},
        "inputs": {
            "V": {"value": 5.0, "u": 0.01, "unit": "V"},
            "I": {"value": 20.0, "u": 0.02, "unit": "mA"},
        },
    }
    res = evaluate_budget(spec)
    assert res.primary.y == pytest.approx(250.0, rel=1e-12)
    assert res.primary.u == pytest.approx(250.0 * math.hypot(0.01 / 5, 0.02 / 20), rel=1e-12)
    # c_I = ∂R/∂I in Ω per mA
    assert res.primary.sensitivities[1] == pytest.approx(-5.0 / 20.0**2 * 1000, rel=1e-12)
    assert res.output_unit == "Ω"
    assert res.unit_conversions[-1]["output"] == "R"
    assert res.unit_conversions[-1]["factor"] == pytest.approx(1000.0)
    # the same model declared in kΩ needs no scale
    spec["output"]["unit"] = "kΩ"
    assert evaluate_budget(spec).primary.y == pytest.approx(0.25, rel=1e-12)


def test_output_declared_in_wrong_dimension_is_refused():
    spec = {
        "model": "V / I",
        "output": {"name": "R", "unit": "kg"},
        "inputs": {
            "V": {"value": 5, "u": 0.01, "unit": "V"},
            "I": {"value": 2, "u": 0.01, "unit": "A"},
        },
    }
    with pytest.raises(UncertaintyError, match=r"output 'R'.*declared unit 'kg'"):
        evaluate_budget(spec)


def test_unitless_constant_in_a_sum_is_refused_and_a_unitful_one_converted():
    spec = {
        "model": "m - m_nom",
        "output": {"name": "dm", "unit": "g"},
        "constants": {"m_nom": 100000},
        "inputs": {"m": {"value": 100.0012, "u": 0.0001, "unit": "g"}},
    }
    with pytest.raises(UncertaintyError, match=r"constant 'm_nom' has no unit"):
        evaluate_budget(spec)
    spec["constants"] = {"m_nom": {"value": 100000, "unit": "mg"}}
    res = evaluate_budget(spec)
    assert res.primary.y == pytest.approx(0.0012, abs=1e-12)
    assert {"constant": "m_nom", "from": "mg", "to": "g", "factor": 1e-3, "value": 100000.0} in (
        res.unit_conversions
    )


def test_celsius_converted_to_kelvin_is_refused_as_ambiguous():
    # 20 ℃ is 293.15 K as a temperature but 20 K as a difference: the budget cannot know which
    spec = {
        "model": "t",
        "output": {"name": "T", "unit": "K"},
        "inputs": {"t": {"value": 20.0, "u": 0.1, "unit": "°C"}},
    }
    with pytest.raises(InputError, match=r"input 't'.*temperature difference"):
        evaluate_budget(spec)


def test_degrees_are_converted_to_radians_for_cos():
    # cos(60°) = 0.5: numpy's cos takes radians, so a label-only budget gave cos(60 rad) = −0.95
    spec = {
        "model": "L * cos(phi)",
        "output": {"name": "x", "unit": "m"},
        "inputs": {
            "L": {"value": 2.0, "u": 0.001, "unit": "m"},
            "phi": {"value": 60.0, "u": 0.1, "unit": "°"},
        },
    }
    res = evaluate_budget(spec)
    assert res.primary.y == pytest.approx(1.0, rel=1e-12)
    assert res.units["phi"] == "rad"
    u_phi = math.radians(0.1)
    expected = math.hypot(0.001 * 0.5, 2.0 * math.sin(math.radians(60)) * u_phi)
    assert res.primary.u == pytest.approx(expected, rel=1e-12)


def test_percent_added_to_one_is_refused_not_misread():
    # x·(1 + d) with d = 5 %: is d the number 5 (label) or 0.05 (quantity)? refused, explained
    spec = {
        "model": "x * (1 + d)",
        "output": {"name": "y", "unit": "m"},
        "inputs": {
            "x": {"value": 1.0, "u": 0.01, "unit": "m"},
            "d": {"value": 5.0, "u": 0.1, "unit": "%"},
        },
    }
    with pytest.raises(InputError, match=r"input 'd'.*5 % = 0.05"):
        evaluate_budget(spec)


def test_log_of_a_length_is_refused():
    spec = {
        "model": "log(x)",
        "inputs": {"x": {"value": 2.0, "u": 0.01, "unit": "m"}},
    }
    with pytest.raises(InputError, match=r"input 'x'.*log\(\) takes a pure number"):
        evaluate_budget(spec)


def test_budget_without_units_is_pure_numbers_and_says_so():
    spec = {"model": "a + b", "inputs": {"a": {"value": 1, "u": 0.1}, "b": {"value": 2, "u": 0.2}}}
    res = evaluate_budget(spec)
    assert res.units_checked is False
    assert res.to_dict()["units_checked"] is False
    assert res.primary.u == pytest.approx(math.hypot(0.1, 0.2))


def test_rectangular_input_in_mg_is_scaled_for_lpu_and_mcm():
    # a rectangular PDF of half-width 10 mg is one of half-width 0.010 g (JCGM 101 §6.4.2)
    spec = {
        "model": "a + b",
        "output": {"name": "m", "unit": "g"},
        "inputs": {
            "a": {"value": 10.0, "u": 1e-6, "unit": "g"},
            "b": {"distribution": "rectangular", "value": 0, "half_width": 10, "unit": "mg"},
        },
    }
    res = evaluate_budget(spec, method="mcm", trials=200_000, seed=3, workers=1)
    assert res.mcm.u == pytest.approx(0.010 / math.sqrt(3), rel=0.01)
    assert res.mcm.high - res.mcm.low == pytest.approx(2 * 0.95 * 0.010, rel=0.01)
    assert np.isclose(evaluate_budget(spec).primary.u, 0.010 / math.sqrt(3), rtol=1e-6)


def test_output_unit_without_input_units_is_flagged_as_a_label():
    spec = {
        "model": "a + b",
        "output": {"name": "m", "unit": "g"},
        "inputs": {"a": {"value": 1, "u": 0.1}, "b": {"value": 2, "u": 0.2}},
    }
    res = evaluate_budget(spec)
    assert not res.units_checked
    assert any("only a label" in w for w in res.warnings)
