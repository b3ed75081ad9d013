"""Budgets (evaluate_budget, CSV/JSON export, limits) and the ``jiliang uncertainty`` CLI."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from jiliang.cli.uncertainty import app
from jiliang.core.uncertainty import (
    BudgetLimits,
    ExpressionError,
    InputError,
    LimitError,
    UncertaintyError,
    evaluate_budget,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "budgets"

SPEC = {
    "title": "resistor",
    "model": "V / I",
    "output": {"name": "R", "unit": "ohm"},
    "inputs": {
        "V": {"value": 10.0, "u": 0.01, "dof": 9, "unit": "V"},
        "I": {"distribution": "rectangular", "value": 0.1, "half_width": 0.0002, "unit": "A"},
    },
    "mcm": {"trials": 50_000, "seed": 3},
}


def test_evaluate_budget_lpu_table_and_exports():
    res = evaluate_budget(SPEC)
    lp = res.primary
    assert lp.y == pytest.approx(100.0)
    # c_V = 1/I = 10 /A, c_I = −V/I² = −1000 V/A²
    assert lp.sensitivities == pytest.approx([10.0, -1000.0])
    u_i = 0.0002 / 3**0.5
    assert lp.u == pytest.approx((0.1**2 + (1000 * u_i) ** 2) ** 0.5)
    data = json.loads(res.to_json())
    assert data["unit"] == "ohm" and data["y"] == pytest.approx(100.0)
    assert [c["name"] for c in data["contributions"]] == ["V", "I"]
    rows = list(csv.DictReader(io.StringIO(res.to_csv())))
    assert [r["name"] for r in rows] == ["V", "I", "R"]
    assert rows[1]["distribution"] == "rectangular" and rows[0]["unit"] == "V"
    assert float(rows[0]["share"]) + float(rows[1]["share"]) == pytest.approx(1.0)


def test_evaluate_budget_both_validates():
    res = evaluate_budget(SPEC, method="both")
    assert res.mcm.trials == 50_000
    assert res.validation is not None
    data = res.to_dict()
    assert set(data["validation"]) == {"d_low", "d_high", "delta", "n_dig", "passed"}
    assert sum(data["mcm"]["histogram"]["counts"]) == 50_000


def test_multi_output_budget():
    spec = {
        "model": {"P": "V * I", "R": "V / I"},
        "inputs": {"V": {"value": 2.0, "u": 0.1}, "I": {"value": 0.5, "u": 0.01}},
    }
    res = evaluate_budget(spec)
    assert res.lpu.names == ["P", "R"]
    assert res.to_dict()["lpu"]["correlation"][0][1] < 0.99


def test_budget_limits():
    many = {
        "model": "a",
        "inputs": {f"x{i}": {"value": 0, "u": 1} for i in range(5)} | {"a": {"value": 1, "u": 1}},
    }
    with pytest.raises(LimitError, match="6 inputs exceed the limit of 3"):
        evaluate_budget(many, limits=BudgetLimits(max_inputs=3))
    with pytest.raises(LimitError, match="trials = 5000000 exceed"):
        evaluate_budget(SPEC, method="mcm", trials=5_000_000, limits=BudgetLimits(max_trials=10**6))
    with pytest.raises(LimitError, match="expression longer"):
        evaluate_budget(SPEC, limits=BudgetLimits(max_expression_length=3))


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        ({"model": "V / J"}, ExpressionError, "unknown name 'J'"),
        ({"model": None}, UncertaintyError, "no 'model'"),
        ({"inputs": {}}, UncertaintyError, "no 'inputs'"),
        ({"inputs": {"V": {"value": 1, "u": -1}, "I": {"value": 1, "u": 1}}}, InputError, "'V'"),
        ({"correlations": [["V", "I", 2]]}, UncertaintyError, r"\(V, I\)"),
    ],
)
def test_bad_budgets(change, error, match):
    with pytest.raises(error, match=match):
        evaluate_budget({**SPEC, **change})
    with pytest.raises(UncertaintyError, match="method"):
        evaluate_budget(SPEC, method="fast")


def test_sample_budget_files_load():
    for path in sorted(EXAMPLES.glob("*.yaml")):
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert evaluate_budget(spec).primary.u > 0, path.name


runner = CliRunner()


def test_cli_table():
    result = runner.invoke(app, ["evaluate", str(EXAMPLES / "gum_h1_end_gauge.yaml")])
    assert result.exit_code == 0, result.output
    # GUM 7.2.6: u to two significant digits, as GUM H.1.6 reports it (u_c = 32 nm)
    assert "d_theta" in result.output and "u = 32 nm" in result.output


def test_cli_json_mcm(tmp_path):
    csv_path = tmp_path / "budget.csv"
    args = [
        "evaluate",
        str(EXAMPLES / "jcgm101_additive_rectangular.yaml"),
        "--method",
        "both",
        "--trials",
        "100000",
        "--seed",
        "5",
        "--json",
        "--csv",
        str(csv_path),
    ]
    result = runner.invoke(app, args)
    data = json.loads(result.stdout)
    assert data["u"] == pytest.approx(2.0) and data["k"] == pytest.approx(1.96, abs=0.001)
    assert data["mcm"]["trials"] == 100_000 and data["mcm"]["seed"] == 5
    assert {"y", "u", "U", "k", "dof_eff", "interval", "contributions"} <= set(data)
    assert result.exit_code == (0 if data["validation"]["passed"] else 1)
    assert csv_path.read_text().startswith("name,unit,value")


def test_cli_failed_validation_exit_1():
    # JCGM 101 §9.3: the first-order GUF is not validated against MCM → exit code 1
    path = str(EXAMPLES / "jcgm101_mass_calibration.yaml")
    result = runner.invoke(app, ["evaluate", path, "--method", "both", "--trials", "200000"])
    assert result.exit_code == 1
    assert "failed" in result.output


def test_cli_usage_errors(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("model: 'a +'\ninputs: {a: {value: 1, u: 1}}\n")
    assert runner.invoke(app, ["evaluate", str(bad)]).exit_code == 2
    assert runner.invoke(app, ["evaluate", str(tmp_path / "missing.yaml")]).exit_code == 2
    path = str(EXAMPLES / "gum_h1_end_gauge.yaml")
    assert runner.invoke(app, ["evaluate", path, "--method", "x"]).exit_code == 2
    assert runner.invoke(app, ["evaluate", path, "--trials", "5", "--adaptive"]).exit_code == 2
