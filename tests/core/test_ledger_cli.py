"""``jiliang ledger`` end to end through typer's CliRunner: exit 0 valid, 1 invalid, 2 usage."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from jiliang.cli.ledger import app
from jiliang.core.ledger import (
    ALG_COSIGNATURE_V1,
    Ed25519Signer,
    Ed25519Verifier,
    Log,
    Witness,
    leaf_hash,
)

runner = CliRunner()
ORIGIN = "example.org/cli"


def run(*args: str):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def logged(tmp_path):
    """A log with three appended files and a signed checkpoint."""
    log_dir = tmp_path / "log"
    result = run("init", "--origin", ORIGIN, "--log", log_dir)
    assert result.exit_code == 0, result.output
    assert "verifier key: example.org/cli+" in result.output
    files = []
    for i in range(3):
        path = tmp_path / f"cert{i}.xml"
        path.write_bytes(b"<dcc>%d</dcc>" % i)
        files.append(path)
    result = run("append", *files, "--log", log_dir)
    assert result.exit_code == 0, result.output
    lines = [line.split("\t") for line in result.output.strip().splitlines()]
    assert [(int(a), b) for a, b, _ in lines] == [
        (i, leaf_hash(b"<dcc>%d</dcc>" % i).hex()) for i in range(3)
    ]
    checkpoint = tmp_path / "checkpoint.txt"
    result = run("checkpoint", "--log", log_dir, "--out", checkpoint)
    assert result.exit_code == 0, result.output
    return tmp_path, log_dir, files, checkpoint


def test_prove_and_verify(logged) -> None:
    tmp_path, log_dir, files, checkpoint = logged
    proof = tmp_path / "proof.json"
    result = run("prove", "--index", "2", "--log", log_dir, "--out", proof)
    assert result.exit_code == 0, result.output
    data = json.loads(proof.read_text())
    assert (data["type"], data["index"], data["tree_size"]) == ("jiliang/inclusion-proof/v1", 2, 3)
    result = run("verify", files[2], "--proof", proof, "--checkpoint", checkpoint, "--log", log_dir)
    assert result.exit_code == 0, result.output
    assert "VALID: entry is leaf 2 of example.org/cli at tree size 3" in result.output
    # Later appends do not change the default size: proofs follow the latest checkpoint.
    run("append", files[0], "--log", log_dir)
    result = run("prove", "--index", "0", "--log", log_dir)
    assert json.loads(result.output)["tree_size"] == 3
    # The same check with an explicit vkey string and no log directory at all.
    vkey = (log_dir / "keys/log.vkey").read_text().strip()
    result = run("verify", files[2], "--proof", proof, "--checkpoint", checkpoint, "--key", vkey)
    assert result.exit_code == 0, result.output


def test_verify_invalid_cases_exit_1(logged) -> None:
    tmp_path, log_dir, files, checkpoint = logged
    proof = tmp_path / "proof.json"
    run("prove", "--index", "1", "--log", log_dir, "--out", proof)
    args = ["--proof", proof, "--checkpoint", checkpoint, "--log", log_dir]
    result = run("verify", files[0], *args)
    assert result.exit_code == 1 and "INVALID (EntryMismatchError)" in result.output
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(json.loads(proof.read_text()) | {"hashes": []}))
    result = run("verify", files[1], "--proof", bad, *args[2:])
    assert result.exit_code == 1 and "INVALID (MalformedProofError)" in result.output
    forged = tmp_path / "forged.txt"
    forged.write_text(checkpoint.read_text().replace("\n3\n", "\n4\n"))
    result = run("verify", files[1], "--proof", proof, "--checkpoint", forged, "--log", log_dir)
    assert result.exit_code == 1 and "INVALID (SignatureError)" in result.output


def test_usage_errors_exit_2(logged) -> None:
    tmp_path, log_dir, files, checkpoint = logged
    result = run("verify", tmp_path / "missing", "--proof", checkpoint, "--checkpoint", checkpoint)
    assert result.exit_code == 2 and "cannot read entry" in result.output
    result = run(
        "verify", files[0], "--proof", checkpoint, "--checkpoint", checkpoint, "--key", "x"
    )
    assert result.exit_code == 2 and "verifier key" in result.output
    assert run("verify", files[0]).exit_code == 2  # missing required options
    assert run("prove", "--index", "9", "--log", log_dir).exit_code == 2
    assert run("append", files[0], "--log", tmp_path / "nolog").exit_code == 2
    assert run("init", "--origin", ORIGIN, "--log", log_dir).exit_code == 2
    assert run("init", "--origin", "bad origin", "--log", tmp_path / "x").exit_code == 2


def test_consistency_audit_export(logged) -> None:
    tmp_path, log_dir, _, checkpoint = logged
    result = run("consistency", "1", "3", "--log", log_dir)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    with Log(log_dir) as log:
        assert data["hashes"] == [h for h in log.consistency_proof_file(1, 3).to_dict()["hashes"]]
    assert run("consistency", "3", "1", "--log", log_dir).exit_code == 2
    result = run("audit", "--log", log_dir)
    assert result.exit_code == 0 and "OK: 3 entries" in result.output
    result = run("export", tmp_path / "www", "--log", log_dir)
    assert result.exit_code == 0 and (tmp_path / "www/tile/0/000.p/3").stat().st_size == 96
    result = run("show-checkpoint", checkpoint, "--log", log_dir)
    assert result.exit_code == 0 and "size 3" in result.output


def test_audit_detects_tampering(logged) -> None:
    _, log_dir, _, _ = logged
    data = log_dir / "entries/data"
    data.write_bytes(data.read_bytes().replace(b"<dcc>1", b"<dcc>7"))
    result = run("audit", "--log", log_dir)
    assert result.exit_code == 1
    assert "PROBLEM: entries and level-0 tile hashes differ at index 1" in result.output


def test_default_log_dir_comes_from_data_dir(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("JILIANG_DATA_DIR", str(tmp_path / "data"))
    assert run("init", "--origin", ORIGIN).exit_code == 0
    assert (tmp_path / "data/ledger/log.json").is_file()
    assert run("checkpoint").exit_code == 0
    assert run("prove", "--index", "0").exit_code == 2  # empty tree: no leaf 0


def test_verify_with_witness_quorum(logged) -> None:
    tmp_path, log_dir, files, checkpoint = logged
    log_key = Ed25519Verifier.from_vkey((log_dir / "keys/log.vkey").read_text())
    witness_key = Ed25519Signer.generate("witness.example.org/w", ALG_COSIGNATURE_V1)
    witness = Witness(witness_key, {ORIGIN: log_key})
    cosigned = tmp_path / "cosigned.txt"
    cosigned.write_bytes(witness.cosign(checkpoint.read_bytes(), 0, []))
    proof = tmp_path / "proof.json"
    run("prove", "--index", "0", "--log", log_dir, "--out", proof)
    wkey = witness_key.verifier().vkey
    args = [files[0], "--proof", proof, "--log", log_dir, "--witness", wkey]
    assert run("verify", *args, "--checkpoint", cosigned).exit_code == 0
    result = run("verify", *args, "--checkpoint", checkpoint)
    assert result.exit_code == 1 and "0 valid witness cosignature(s), 1 required" in result.output
    assert run("verify", *args, "--checkpoint", checkpoint, "--quorum", "0").exit_code == 0
    assert run("verify", *args[:-1], "not-a-key", "--checkpoint", cosigned).exit_code == 2


def test_verify_consistency_between_two_signed_checkpoints(logged) -> None:
    """RFC 9162 §2.1.4.2: a client holding checkpoint M checks checkpoint N extends it."""
    tmp_path, log_dir, files, old_checkpoint = logged
    run("append", files[0], files[1], "--log", log_dir)
    new_checkpoint = tmp_path / "checkpoint5.txt"
    assert run("checkpoint", "--log", log_dir, "--out", new_checkpoint).exit_code == 0
    proof = tmp_path / "consistency.json"
    assert run("consistency", "3", "5", "--log", log_dir, "--out", proof).exit_code == 0
    result = run(
        "verify-consistency", proof, "--old", old_checkpoint, "--new", new_checkpoint,
        "--log", log_dir,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "CONSISTENT: tree size 3" in result.output and "tree size 5" in result.output


def test_verify_consistency_rejects_forked_or_mismatched_heads_exit_1(logged) -> None:
    """A proof that does not link the two heads (tampered hash), checkpoints of other sizes, or
    a rewritten history (split view) is INVALID, never CONSISTENT."""
    tmp_path, log_dir, files, old_checkpoint = logged
    run("append", files[0], files[1], "--log", log_dir)
    new_checkpoint = tmp_path / "checkpoint5.txt"
    run("checkpoint", "--log", log_dir, "--out", new_checkpoint)
    proof = tmp_path / "consistency.json"
    run("consistency", "3", "5", "--log", log_dir, "--out", proof)
    heads = ["--old", old_checkpoint, "--new", new_checkpoint, "--log", log_dir]
    data = json.loads(proof.read_text())
    data["hashes"][0] = data["hashes"][1]
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(data))
    result = run("verify-consistency", tampered, *heads)
    assert result.exit_code == 1 and "INVALID (SplitViewError)" in result.output
    swapped = ["--old", new_checkpoint, "--new", old_checkpoint, "--log", log_dir]
    result = run("verify-consistency", proof, *swapped)
    assert result.exit_code == 1 and "proof is for sizes 3 -> 5" in result.output
    # A second log under the same key whose leaf 1 was rewritten: same sizes, other roots.
    fork_dir = tmp_path / "fork"
    run("init", "--origin", ORIGIN, "--log", fork_dir)
    for name in ("keys/log.skey", "keys/log.vkey"):
        (fork_dir / name).write_text((log_dir / name).read_text())
    other = tmp_path / "other.xml"
    other.write_bytes(b"<dcc>forged</dcc>")
    run("append", files[0], other, files[2], files[0], files[1], "--log", fork_dir)
    fork_checkpoint = tmp_path / "fork5.txt"
    run("checkpoint", "--log", fork_dir, "--out", fork_checkpoint)
    fork_proof = tmp_path / "fork.json"
    run("consistency", "3", "5", "--log", fork_dir, "--out", fork_proof)
    args = ["--old", old_checkpoint, "--new", fork_checkpoint, "--log", log_dir]
    result = run("verify-consistency", fork_proof, *args)
    assert result.exit_code == 1 and "INVALID (SplitViewError)" in result.output


def test_verify_consistency_usage_errors_exit_2(logged) -> None:
    tmp_path, log_dir, _, checkpoint = logged
    proof = tmp_path / "c.json"
    run("consistency", "1", "3", "--log", log_dir, "--out", proof)
    result = run("verify-consistency", proof, "--old", checkpoint, "--log", log_dir)
    assert result.exit_code == 2 and "--old and --new" in result.output
    result = run("verify-consistency", proof, "--old-root", "zz", "--new-root", "00")
    assert result.exit_code == 2 and "64 hex digits" in result.output
