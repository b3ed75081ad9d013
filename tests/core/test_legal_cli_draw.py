"""`jiliang draw` command: run, verify, commit, seed — exit codes 0 / 1 / 2."""

from __future__ import annotations

import hashlib
import json

from typer.testing import CliRunner

from jiliang.cli.draw import app

runner = CliRunner()
SEED_HEX = "11" * 32


def _pools(tmp_path, n_inspectors=4):
    pools = {
        "items": [{"id": "scale", "ratio": 0.5}],
        "objects": [{"id": f"E{i}", "org": f"ORG{i}"} for i in range(10)],
        "inspectors": [{"id": f"I{j}", "org": "BUREAU"} for j in range(n_inspectors)],
    }
    path = tmp_path / "pools.json"
    path.write_text(json.dumps(pools), encoding="utf-8")
    return path


def test_run_then_verify(tmp_path):
    out = tmp_path / "draw.json"
    res = runner.invoke(app, ["run", str(_pools(tmp_path)), "--seed-hex", SEED_HEX, "-o", str(out)])
    assert res.exit_code == 0, res.output
    record = json.loads(out.read_text(encoding="utf-8"))
    assert record["commitment"] == hashlib.sha256(bytes.fromhex(SEED_HEX)).hexdigest()
    assert len(record["selections"]) == 5
    ok = runner.invoke(app, ["verify", str(out)])
    assert ok.exit_code == 0 and "reproduces" in ok.output


def test_verify_mismatch_exits_1(tmp_path):
    out = tmp_path / "draw.json"
    runner.invoke(app, ["run", str(_pools(tmp_path)), "--seed-hex", SEED_HEX, "-o", str(out)])
    record = json.loads(out.read_text(encoding="utf-8"))
    record["selections"].reverse()
    out.write_text(json.dumps(record), encoding="utf-8")
    res = runner.invoke(app, ["verify", str(out)])
    assert res.exit_code == 1
    assert "MISMATCH" in res.output


def test_run_to_stdout_and_seed_from_env(tmp_path):
    res = runner.invoke(
        app, ["run", str(_pools(tmp_path))], env={"JILIANG_DRAW_SEED_HEX": SEED_HEX}
    )
    assert res.exit_code == 0
    assert json.loads(res.stdout)["seed_hex"] == SEED_HEX


def test_usage_errors_exit_2(tmp_path):
    pools = _pools(tmp_path)
    assert runner.invoke(app, ["run", str(pools), "--seed-hex", "zz"]).exit_code == 2
    assert runner.invoke(app, ["run", str(pools), "--seed-hex", "00"]).exit_code == 2
    assert runner.invoke(app, ["verify", str(tmp_path / "missing.json")]).exit_code == 2
    (tmp_path / "list.json").write_text("[]", encoding="utf-8")
    assert runner.invoke(app, ["verify", str(tmp_path / "list.json")]).exit_code == 2
    refused = runner.invoke(
        app, ["run", str(_pools(tmp_path, n_inspectors=1)), "--seed-hex", SEED_HEX]
    )
    assert refused.exit_code == 2
    assert "too few inspectors" in refused.output


def test_commit_and_seed_commands():
    res = runner.invoke(app, ["commit", "--seed-hex", SEED_HEX])
    assert res.exit_code == 0
    assert res.output.strip() == hashlib.sha256(bytes.fromhex(SEED_HEX)).hexdigest()
    made = json.loads(runner.invoke(app, ["seed"]).output)
    assert hashlib.sha256(bytes.fromhex(made["seed_hex"])).hexdigest() == made["commitment"]
