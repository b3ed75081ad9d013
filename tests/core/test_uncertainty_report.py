"""Budget files that cannot be silently misread, and CLI tables that show everything.

Unknown keys, YAML-mangled D-SI units, every output of a multi-output model with the output
correlations (JCGM 102 §6.2), correlation terms as a budget row (GUM eq. 16), estimates to the
decimal place of their uncertainty (GUM 7.2.6) and tables that are never cut at 80 columns.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from jiliang.cli.uncertainty import _print_table, app
from jiliang.core.uncertainty import (
    InputError,
    UncertaintyError,
    budget_rows,
    evaluate_budget,
    load_budget,
)
from jiliang.core.uncertainty.rounding import format_uncertainty, format_with_uncertainty

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "budgets"
runner = CliRunner()

# GUM H.2 (Table H.2 means and standard uncertainties, H.2.2 correlations), given as a budget
# with infinite ν so only the table rows are under test here
H2 = {
    "title": "GUM H.2",
    "model": {"R": "V/I*cos(phi)", "X": "V/I*sin(phi)", "Z": "V/I"},
    "inputs": {
        "V": {"value": 4.9990, "u": 0.0032},
        "I": {"value": 19.661e-3, "u": 0.0095e-3},
        "phi": {"value": 1.04446, "u": 0.00075},
    },
    "correlations": [["V", "I", -0.36], ["V", "phi", 0.86], ["I", "phi", -0.65]],
}


def test_typo_dgo_for_dof_is_an_error_naming_the_key():
    spec = {"model": "a", "inputs": {"a": {"value": 1.0, "u": 0.1, "dgo": 5}}}
    with pytest.raises(InputError, match="input 'a': unknown field 'dgo'"):
        evaluate_budget(spec)


def test_field_of_another_distribution_is_not_silently_ignored():
    spec = {"model": "a", "inputs": {"a": {"value": 1.0, "u": 0.1, "half_width": 0.2}}}
    with pytest.raises(InputError, match="'half_width' for a normal input"):
        evaluate_budget(spec)


def test_comma_in_unquoted_flow_text_is_caught_with_a_quoting_hint(tmp_path):
    # {…, description: a, b} is YAML for description "a" plus a key "b" with no value
    path = tmp_path / "b.yaml"
    path.write_text("model: a\ninputs:\n  a: {value: 1, u: 0.1, description: mean, n = 3}\n")
    with pytest.raises(InputError, match=r"'n = 3'.*quote the text"):
        evaluate_budget(load_budget(path))


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"corelations": []}, "budget: unknown key 'corelations'"),
        ({"output": {"name": "y", "uint": "g"}}, "output: unknown key 'uint'"),
        ({"mcm": {"trails": 10}}, "mcm: unknown key 'trails'"),
    ],
)
def test_unknown_budget_keys_are_errors(change, needle):
    spec = {"model": "a", "inputs": {"a": {"value": 1.0, "u": 0.1}}} | change
    with pytest.raises(UncertaintyError, match=needle):
        evaluate_budget(spec)


def test_dsi_unit_with_braces_unquoted_in_block_style_is_kept(tmp_path):
    path = tmp_path / "dsi.yaml"
    path.write_text(
        "model: A\noutput:\n  name: A\n  unit: \\micro\\metre\\tothe{2}\ninputs:\n  A:\n"
        "    value: 4.0\n    u: 0.1\n    unit: \\micro\\metre\\tothe{2}\n",
        encoding="utf-8",
    )
    res = evaluate_budget(load_budget(path))
    assert res.units["A"] == r"\micro\metre\tothe{2}"
    assert res.primary.u == pytest.approx(0.1)


def test_dsi_unit_in_double_quotes_mangled_by_yaml_escapes_is_refused(tmp_path):
    # "\volt" in double quotes is YAML for a vertical tab + "olt"
    path = tmp_path / "dq.yaml"
    path.write_text('model: V\ninputs:\n  V: {value: 1, u: 0.1, unit: "\\volt"}\n')
    with pytest.raises(InputError, match=r"input 'V': unit .*control character.*single quotes"):
        evaluate_budget(load_budget(path))


def test_dsi_braces_in_flow_mapping_error_explains_the_quoting(tmp_path):
    path = tmp_path / "flow.yaml"
    path.write_text("model: A\ninputs:\n  A: {value: 1, u: 0.1, unit: \\metre\\tothe{2}}\n")
    with pytest.raises(UncertaintyError, match=r"(?s)not valid YAML.*single quotes"):
        load_budget(path)
    result = runner.invoke(app, ["evaluate", str(path)])
    assert result.exit_code == 2 and "single quotes" in result.output


def test_correlation_terms_row_makes_shares_sum_to_one_gum_eq_16():
    # GUM H.2, R: the input shares alone are 133 %, 75 %, 541 %; the cross terms of eq. (16)
    # are a negative share, and together they are 100 % of u²(R)
    res = evaluate_budget(H2)
    rows = budget_rows(res)
    names = [r["name"] for r in rows]
    assert names == ["V", "I", "phi", "(correlations)", "R"]
    assert sum(r["share"] for r in rows[:-1]) == pytest.approx(1.0, abs=1e-12)
    corr = rows[3]
    assert corr["share"] < 0 and corr["contribution"] < 0
    assert corr["contribution"] ** 2 == pytest.approx(-res.primary.correlation_variance)


def test_second_order_row_makes_shares_sum_to_one():
    # GUM H.1.7: second-order terms raise u from 32 nm to 34 nm — shown as their own row
    spec = load_budget(EXAMPLES / "gum_h1_end_gauge.yaml") | {"second_order": True}
    rows = budget_rows(evaluate_budget(spec))
    assert rows[-2]["name"] == "(second order)"
    assert sum(r["share"] for r in rows[:-1]) == pytest.approx(1.0, abs=1e-12)


def test_cli_shows_every_output_and_the_output_correlations(tmp_path):
    # GUM H.2 Table H.3: R, X and Z with r(R, X) = −0.588, r(R, Z) = −0.485, r(X, Z) = 0.993
    # (from the rounded Table H.2 figures used here: −0.591, −0.491, 0.993)
    import yaml

    path = tmp_path / "h2.yaml"
    path.write_text(yaml.safe_dump(H2), encoding="utf-8")
    result = runner.invoke(app, ["evaluate", str(path)])
    assert result.exit_code == 0, result.output
    for line in ("LPU: R = 127.732", "LPU: X = 219.85", "LPU: Z = 254.26"):
        assert line in result.output
    assert "Output correlations" in result.output
    r = evaluate_budget(H2).lpu.correlation
    for (i, j), published in {(0, 1): -0.588, (0, 2): -0.485, (1, 2): 0.993}.items():
        assert r[i, j] == pytest.approx(published, abs=0.01)
        assert f"{r[i, j]:.3f}" in result.output
    assert result.output.count("(correlations)") == 3


def test_cli_estimate_keeps_the_digits_its_uncertainty_needs_gum_7_2_6():
    # EA-4/02 S2: m_S = 10 000.005 g (u = 22.5 mg) and m_X = 10 000.025 g, U = 59 mg — not "10000"
    result = runner.invoke(app, ["evaluate", str(EXAMPLES / "ea402_s2_weight_10kg.yaml")])
    assert result.exit_code == 0, result.output
    assert "10000.005" in result.output
    assert "m_X = 10000.025 g, u = 0.029 g" in result.output and "U = 0.059 g" in result.output


def test_rounding_rules_gum_7_2_6():
    assert format_with_uncertainty(10000.005, 0.0293) == ["10000.005", "0.029"]
    assert format_with_uncertainty(-0.149377, 0.0041386) == ["-0.1494", "0.0041"]  # GUM H.3
    assert format_with_uncertainty(127.732, 0.0996) == ["127.73", "0.10"]  # carry: 0.0996 → 0.10
    assert format_with_uncertainty(11.5e-6, 1.2e-6) == ["1.15e-5", "1.2e-6"]
    assert format_with_uncertainty(5.0, 0.0) == ["5", "0"]  # exact: all digits of the value
    assert format_uncertainty(250.4) == "250"


def test_budget_table_on_a_narrow_terminal_is_one_block_per_input_not_truncated():
    res = evaluate_budget(load_budget(EXAMPLES / "ea402_s2_weight_10kg.yaml"))
    buf = io.StringIO()
    console = Console(file=buf, width=44, force_terminal=True, color_system=None)
    _print_table(res, console)
    text = buf.getvalue()
    assert "…" not in text
    lines = [line.split() for line in text.split("LPU:")[0].splitlines()]
    # issue 18: no number folded across lines — each value whole on its own line
    assert ["input:", "m_S"] in lines and ["estimate", "10000.005"] in lines
    assert ["distribution", "rectangular"] in lines
    assert max(len(line) for line in text.split("LPU:")[0].splitlines()) <= 44
    assert "m_X = 10000.025 g" in text


def test_budget_table_piped_is_not_cut_at_80_columns():
    # a pipe gives rich an 80-column console: the table is printed at the width it needs
    result = runner.invoke(
        app, ["evaluate", str(EXAMPLES / "gum_h1_end_gauge.yaml")], env={"COLUMNS": "60"}
    )
    lines = result.output.splitlines()
    assert max(len(line) for line in lines) > 60
    assert "…" not in result.output
    row = next(line for line in lines if line.startswith("│ l_s"))
    assert "50000623" in row and "62.2 %" in row


def test_json_carries_warnings_and_curves():
    result = runner.invoke(
        app, ["evaluate", str(EXAMPLES / "gum_h3_thermometer_curve.yaml"), "--json"]
    )
    import json

    data = json.loads(result.stdout)
    assert data["dof_eff"] == pytest.approx(9.0)
    assert data["curves"]["b"]["method"] == "ols"
    assert any("extrapolated" in w for w in data["warnings"])
    assert math.isclose(data["u"], 0.0041386, rel_tol=1e-4)


def test_odd_nonlinearity_x_cubed_at_zero_is_warned_even_with_second_order():
    # f = x³ at x = 0: first- and second-order terms vanish (u = 0 either way); the odd
    # third-order part is what the probe sees
    from jiliang.core.uncertainty import Input, lpu

    res = lpu("a**3", [Input.normal("a", 0.0, 0.1)], second_order=True)
    assert res.u == 0.0
    assert len(res.warnings) == 1 and "vanish" in res.warnings[0]


def test_model_undefined_within_the_input_pdf_is_warned():
    # sqrt(a) with a = 0.01, u = 0.02: a normal PDF puts a large part of a below 0
    from jiliang.core.uncertainty import Input, lpu

    res = lpu("sqrt(a)", [Input.normal("a", 0.01, 0.02)])
    assert any("non-finite values" in w for w in res.warnings)
    assert lpu("sqrt(a)", [Input.normal("a", 1.0, 0.02)]).warnings == []
