"""The first-order LPU is never silently wrong: JCGM 101:2008 §9.4 (δY = X₁² + X₂²).

JCGM 101 §9.4.2.2, Table 11 (x₁ = x₂ = 0, u = 0.005): the first-order GUF gives y = 0, u(y) = 0
because every sensitivity coefficient vanishes; the higher-order GUF (GUM 5.1.2 note) gives
u(y) = 0.000 05 and the MCM y = 0.000 05, u(y) = 0.000 05. The LPU must say so, and the CLI must
not report the u = 0 result as a success.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from jiliang.cli.uncertainty import app
from jiliang.core.uncertainty import Input, evaluate_budget, load_budget, lpu

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "budgets"
U = 0.005
S1_ZERO = {
    "title": "JCGM 101 9.4 comparison loss, x1 = 0",
    "model": "X1**2 + X2**2",
    "output": {"name": "dY"},
    "inputs": {"X1": {"value": 0.0, "u": U}, "X2": {"value": 0.0, "u": U}},
}


def test_s1_9_4_zero_estimate_lpu_warns_vanishing_sensitivities():
    # JCGM 101 §9.4.2.2: first-order u(y) = 0 — reported, but with a warning naming the inputs
    res = evaluate_budget(S1_ZERO)
    assert res.primary.u == 0.0
    (warning,) = res.primary.warnings
    assert "X1, X2 vanish" in warning
    assert "second_order" in warning and "Monte Carlo" in warning
    assert res.warnings == res.primary.warnings  # carried into the budget result and its JSON
    assert res.to_dict()["warnings"] == [warning]
    assert res.primary.nonlinearity > 1e-5  # of the order of the MCM u(y) = 0.000 05


def test_s1_9_4_zero_estimate_second_order_is_the_published_value_without_warning():
    # JCGM 101 Table 11, higher-order GUF: u(y) = 0.000 05 (= 2u²); the terms are included
    res = evaluate_budget({**S1_ZERO, "second_order": True})
    assert res.primary.u == pytest.approx(2 * U**2, rel=1e-6)
    assert res.primary.warnings == []


def test_s1_9_4_x1_0_010_first_order_warned():
    # JCGM 101 §9.4.2.2.3, x1 = 0.010: first-order GUF u = 0.000 10 against MCM 0.000 11 and
    # y = 0.000 10 against E(Y) = 0.000 15 — the neglected terms are a third of u
    inputs = [Input.normal("X1", 0.010, U), Input.normal("X2", 0.0, U)]
    res = lpu("X1**2 + X2**2", inputs)
    assert res.u == pytest.approx(1.0e-4, rel=1e-9)
    assert len(res.warnings) == 1 and "not linear" in res.warnings[0]


def test_linear_budget_ea402_s2_gets_no_nonlinearity_warning():
    # EA-4/02 S2 (a sum of inputs): no false alarm
    res = evaluate_budget(load_budget(EXAMPLES / "ea402_s2_weight_10kg.yaml"))
    assert res.primary.warnings == [] and res.primary.nonlinearity == 0.0


def test_gum_h1_first_order_warned_as_gum_h1_7_says():
    # GUM H.1.7: the second-order terms of δα·θ and α_s·δθ raise u_c from 32 nm to 34 nm —
    # the first-order figure is flagged, the sensitivities of θ and α_s vanish
    res = evaluate_budget(load_budget(EXAMPLES / "gum_h1_end_gauge.yaml"))
    (warning,) = res.primary.warnings
    assert "theta, alpha_s vanish" in warning


def test_s1_9_4_cli_lpu_only_exits_1_with_warning(tmp_path):
    path = tmp_path / "s1.yaml"
    path.write_text(yaml.safe_dump(S1_ZERO), encoding="utf-8")
    result = CliRunner().invoke(app, ["evaluate", str(path)])
    assert result.exit_code == 1, result.output
    assert "warning:" in result.output and "vanish" in result.output
    # with the second-order terms the result stands (JCGM 101 Table 11: u = 0.000 05)
    path.write_text(yaml.safe_dump({**S1_ZERO, "second_order": True}), encoding="utf-8")
    result = CliRunner().invoke(app, ["evaluate", str(path)])
    assert result.exit_code == 0, result.output
    assert "u = 0.000050" in result.output
