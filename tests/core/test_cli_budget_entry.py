"""Issue 18 item 10: the bare command, a busy port, budget tables at any width, key typos."""

from __future__ import annotations

import socket

import pytest
from rich.console import Console
from typer.testing import CliRunner

from jiliang.cli import app as root_app
from jiliang.cli import port_problem
from jiliang.cli.uncertainty import _print_table
from jiliang.cli.uncertainty import app as uncertainty_app
from jiliang.core.uncertainty import UncertaintyError, evaluate_budget
from jiliang.core.uncertainty.errors import InputError, did_you_mean
from jiliang.core.uncertainty.rounding import format_with_uncertainty

runner = CliRunner()

BUDGET = {
    "title": "resistance of a long-named shunt resistor",
    "model": "V_across_the_shunt / I_through_the_shunt",
    "output": {"name": "R", "unit": "ohm"},
    "inputs": {
        "V_across_the_shunt": {"value": 0.100012345, "u": 1.2345e-6, "dof": 9, "unit": "V"},
        "I_through_the_shunt": {
            "distribution": "rectangular",
            "value": 1.000002,
            "half_width": 2.5e-5,
            "unit": "A",
        },
    },
}


def test_bare_jiliang_prints_help_and_serves_nothing(monkeypatch):
    served = []
    monkeypatch.setattr("waitress.serve", lambda *a, **k: served.append(a))
    result = runner.invoke(root_app, [])
    assert "Usage" in result.output and "serve" in result.output
    assert "serving" not in result.output
    assert served == []


def on_busy_port(command: str):
    """``jiliang <command>`` told to listen on a port another socket holds: (port, result)."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = runner.invoke(root_app, [command, "--port", str(port), "--data-dir", "/tmp/jl"])
    return port, result


def test_serve_on_busy_port_is_one_line_before_serving():
    port, result = on_busy_port("serve")
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == [f"error: port {port} is in use on 127.0.0.1 — choose another with --port"]
    assert "Traceback" not in result.output


def test_port_problem_free_port_and_bad_host():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    assert port_problem("127.0.0.1", free) is None
    # TEST-NET-1 (RFC 5737) is never an address of this machine
    assert "not an address of this machine" in port_problem("192.0.2.1", free)


def test_demo_refuses_a_busy_port_before_building():
    _port, result = on_busy_port("demo")
    assert result.exit_code == 2
    assert "in use" in result.output and "demo logins" not in result.output


def test_piped_table_is_not_cut_at_80_columns(tmp_path):
    import yaml

    path = tmp_path / "b.yaml"
    path.write_text(yaml.safe_dump(BUDGET), encoding="utf-8")
    result = runner.invoke(uncertainty_app, ["evaluate", str(path)])
    assert result.exit_code == 0, result.output
    # every input name and every heading on one line, no "…" and no folded cell
    assert "…" not in result.output
    header = next(line for line in result.output.splitlines() if "distribution" in line)
    assert all(h in header for h in ("input", "estimate", "u(x)", "u_i(y)", "share"))
    assert any(
        "V_across_the_shunt" in line and "normal" in line for line in result.output.splitlines()
    )
    assert max(len(line) for line in result.output.splitlines()) > 80


@pytest.mark.parametrize("width", [40, 60])
def test_narrow_terminal_gets_one_block_per_input(width):
    result = evaluate_budget(BUDGET)
    console = Console(width=width, force_terminal=True, color_system=None, record=True)
    _print_table(result, console)
    # the LPU result line is deliberately never broken (soft wrap): the table part must fit
    text = console.export_text().split("LPU:")[0]
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width
    # whole numbers on one line each: the estimate rounded to its uncertainty (GUM 7.2.6)
    assert "input: V_across_the_shunt" in text and "input: I_through_the_shunt" in text
    shown, _u = format_with_uncertainty(0.100012345, 1.2345e-6)
    assert any(line.split() == ["estimate", shown] for line in lines)
    assert any(line.split() == ["distribution", "rectangular"] for line in lines)


def test_width_option_keeps_the_chosen_width(tmp_path):
    import yaml

    path = tmp_path / "b.yaml"
    path.write_text(yaml.safe_dump(BUDGET), encoding="utf-8")
    result = runner.invoke(uncertainty_app, ["evaluate", str(path), "--width", "50"])
    assert result.exit_code == 0, result.output
    table_part = result.output.split("LPU:")[0]
    assert max(len(line) for line in table_part.splitlines()) <= 50
    assert "  share" in table_part


def test_unknown_input_key_names_it_and_suggests_the_closest():
    spec = {**BUDGET, "inputs": {"x": {"value": 1, "u": 0.1, "dgo": 5}}, "model": "x"}
    with pytest.raises(InputError) as info:
        evaluate_budget(spec)
    assert info.value.input == "x" and info.value.field == "dgo"
    assert "unknown field 'dgo'" in str(info.value)
    assert "did you mean 'dof'?" in str(info.value)


def test_unknown_top_level_and_distribution_suggest():
    with pytest.raises(UncertaintyError, match=r"'corelations' \(did you mean 'correlations'\?\)"):
        evaluate_budget({**BUDGET, "corelations": []})
    with pytest.raises(UncertaintyError, match=r"'trails' \(did you mean 'trials'\?\)"):
        evaluate_budget({**BUDGET, "mcm": {"trails": 1000}})
    bad = {"distribution": "rectangulr", "value": 1, "half_width": 0.1}
    with pytest.raises(UncertaintyError, match=r"did you mean 'rectangular'\?"):
        evaluate_budget({"model": "x", "inputs": {"x": bad}})


def test_no_suggestion_for_a_far_word():
    assert did_you_mean("zzzzzz", ["dof", "u", "value"]) == ""
    assert did_you_mean("vaule", ["dof", "u", "value"]) == " (did you mean 'value'?)"


def test_cli_error_names_key_and_suggestion_on_one_line(tmp_path):
    path = tmp_path / "b.yaml"
    path.write_text("model: x\ninputs:\n  x: {value: 1, u: 0.1, dgo: 5}\n", encoding="utf-8")
    result = runner.invoke(uncertainty_app, ["evaluate", str(path)])
    assert result.exit_code == 2
    line = next(line for line in result.output.splitlines() if "dgo" in line)
    assert "did you mean 'dof'?" in line
