"""`jiliang draw` command: run, verify, commit, seed — exit codes 0 / 1 / 2 / 3."""

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


# Commit–reveal (双随机、一公开, 国办发〔2015〕58号: draws must be publicly checkable): the
# commitment SHA-256(seed) is published BEFORE the draw; verification must tie the record to it.
OTHER_SEED_HEX = "22" * 32


def test_fresh_record_under_another_commitment_fails_when_pinned(tmp_path):
    published = hashlib.sha256(bytes.fromhex(SEED_HEX)).hexdigest()
    forged = tmp_path / "forged.json"
    pools = _pools(tmp_path)
    res = runner.invoke(app, ["run", str(pools), "--seed-hex", OTHER_SEED_HEX, "-o", str(forged)])
    assert res.exit_code == 0, res.output
    # Self-consistent, so an unpinned check passes (and warns that nothing was pinned) ...
    unpinned = runner.invoke(app, ["verify", str(forged)])
    assert unpinned.exit_code == 0 and "no --commitment given" in unpinned.output
    # ... but it is not the draw whose commitment was published.
    pinned = runner.invoke(app, ["verify", str(forged), "--commitment", published])
    assert pinned.exit_code == 1
    assert "MISMATCH" in pinned.output and "not the published commitment" in pinned.output
    genuine = tmp_path / "genuine.json"
    runner.invoke(app, ["run", str(pools), "--seed-hex", SEED_HEX, "-o", str(genuine)])
    ok = runner.invoke(app, ["verify", str(genuine), "--commitment", published.upper()])
    assert ok.exit_code == 0 and "under the published commitment" in ok.output


def test_withheld_seed_is_cannot_verify_exit_3_not_mismatch(tmp_path):
    out = tmp_path / "draw.json"
    pools = _pools(tmp_path)
    args = ["run", str(pools), "--seed-hex", SEED_HEX, "--no-reveal", "-o", str(out)]
    assert runner.invoke(app, args).exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8"))["seed_hex"] is None
    res = runner.invoke(app, ["verify", str(out)])
    assert res.exit_code == 3
    assert "cannot verify (seed not revealed)" in res.output and "MISMATCH" not in res.output
    # A withheld seed under a commitment other than the published one is a known mismatch.
    other = hashlib.sha256(bytes.fromhex(OTHER_SEED_HEX)).hexdigest()
    res = runner.invoke(app, ["verify", str(out), "--commitment", other])
    assert res.exit_code == 1 and "MISMATCH" in res.output


def test_malformed_pinned_commitment_is_usage_error_exit_2(tmp_path):
    out = tmp_path / "draw.json"
    runner.invoke(app, ["run", str(_pools(tmp_path)), "--seed-hex", SEED_HEX, "-o", str(out)])
    res = runner.invoke(app, ["verify", str(out), "--commitment", "abc"])
    assert res.exit_code == 2 and "64 hexadecimal digits" in res.output
