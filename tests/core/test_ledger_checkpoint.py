"""Checkpoints (C2SP signed notes), witnesses, the offline verifier and proof files: each bad
input is rejected with its own exception class and a precise reason."""

from __future__ import annotations

import json

import pytest

from jiliang.core.ledger import (
    ALG_COSIGNATURE_V1,
    Checkpoint,
    CosignatureVerifier,
    Ed25519Signer,
    EntryMismatchError,
    InclusionProof,
    InclusionProofError,
    KeyFormatError,
    Log,
    MalformedProofError,
    NoteFormatError,
    OriginMismatchError,
    RollbackError,
    SignatureError,
    SplitViewError,
    StoreError,
    Witness,
    WitnessConflictError,
    check_extends,
    open_checkpoint,
    verify_entry,
)
from jiliang.core.ledger.prooffile import ConsistencyProof
from jiliang.core.ledger.witness import cosignature_timestamp

ORIGIN = "example.org/log"


@pytest.fixture
def signer() -> Ed25519Signer:
    return Ed25519Signer.generate(ORIGIN)


@pytest.fixture
def log(tmp_path):
    with Log.create(tmp_path / "log", ORIGIN, durable=False) as opened:
        opened.append_many([b"entry %d" % i for i in range(10)])
        yield opened


def test_checkpoint_text_and_round_trip(log, signer) -> None:
    note = log.sign_checkpoint(signer, extensions=["time 2026-01-01T00:00:00Z"])
    lines = note.decode().split("\n")
    assert lines[:2] == [ORIGIN, "10"]
    assert lines[4] == "" and lines[5].startswith(f"— {ORIGIN} ")
    opened = open_checkpoint(note, signer.verifier())
    assert opened.checkpoint == log.checkpoint(extensions=["time 2026-01-01T00:00:00Z"])
    assert log.latest_checkpoint() == note


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("example.org/log\n010\nAAAA\n", "canonical decimal"),
        ("example.org/log\n10\n", "needs origin, size and root"),
        ("example.org/log\n10\nnot base64!\n", "not valid base64"),
        ("example.org/log\n10\nAAAA\n", "32 bytes, not 3"),
        ("example.org/log\n-1\n" + "A" * 43 + "=\n", "canonical decimal"),
    ],
)
def test_malformed_checkpoint_bodies(text: str, reason: str) -> None:
    with pytest.raises(NoteFormatError, match=reason):
        Checkpoint.from_text(text)


def test_malformed_notes(log, signer) -> None:
    note = log.sign_checkpoint(signer, save=False)
    verifier = signer.verifier()
    body, sig = note.split(b"\n\n")
    cases = {
        body + b"\n": "blank line",
        note.replace(b"\n", b"\r\n"): "carriage return",
        note[:-1]: "end with a newline",
        body + b"\n\n" + sig.replace("—".encode(), b"-"): "does not start with",
        body + b"\n\n" + sig[:-3] + b"!=\n": "not valid base64",
        b"\xff" + note: "UTF-8",
    }
    for data, reason in cases.items():
        with pytest.raises(NoteFormatError, match=reason):
            open_checkpoint(data, verifier)


def test_bad_signature_is_rejected(log, signer) -> None:
    note = bytearray(log.sign_checkpoint(signer))
    note[len(ORIGIN) + 1] = ord("9")  # claim size 90: the text no longer matches the signature
    with pytest.raises(SignatureError, match=r"signature by example.org/log .* does not verify"):
        open_checkpoint(bytes(note), signer.verifier())


def test_unknown_key_and_wrong_origin(log, signer) -> None:
    note = log.sign_checkpoint(signer)
    stranger = Ed25519Signer.generate(ORIGIN)  # same name, other key → other key ID: ignored
    with pytest.raises(SignatureError, match="not signed by any trusted key"):
        open_checkpoint(note, stranger.verifier())
    with pytest.raises(OriginMismatchError, match=r"expected 'example\.org/other'"):
        open_checkpoint(note, signer.verifier(), origin="example.org/other")
    with pytest.raises(StoreError, match="not the log key"):
        log.sign_checkpoint(Ed25519Signer.generate("example.org/other"))


def test_key_strings() -> None:
    signer = Ed25519Signer.generate(ORIGIN)
    assert Ed25519Signer.from_skey(signer.skey) == signer
    vkey = signer.verifier().vkey
    name, _key_id, material = vkey.split("+", 2)
    with pytest.raises(KeyFormatError, match="key ID"):
        type(signer.verifier()).from_vkey(f"{name}+00000000+{material}")
    with pytest.raises(KeyFormatError, match="empty or contains"):
        Ed25519Signer.generate("has space")
    with pytest.raises(KeyFormatError, match="PRIVATE\\+KEY"):
        Ed25519Signer.from_skey(vkey)


def _cosign_setup(tmp_path, log, signer):
    witness_key = Ed25519Signer.generate("witness.example.org/w1", ALG_COSIGNATURE_V1)
    witness = Witness(witness_key, {ORIGIN: signer.verifier()}, tmp_path / "witness.json")
    return witness_key, witness


def test_witness_cosigns_consistent_growth(tmp_path, log, signer) -> None:
    witness_key, witness = _cosign_setup(tmp_path, log, signer)
    first = witness.cosign(log.sign_checkpoint(signer), 0, [], now=1_700_000_000)
    cosigner = CosignatureVerifier(witness_key.verifier())
    opened = open_checkpoint(first, signer.verifier(), witnesses=[cosigner], quorum=1)
    assert cosignature_timestamp(opened, cosigner) == 1_700_000_000
    log.append_many([b"more %d" % i for i in range(7)])
    second = witness.cosign(log.sign_checkpoint(signer), 10, log.consistency_proof(10, 17))
    assert open_checkpoint(second, signer.verifier(), witnesses=[cosigner], quorum=1)
    assert witness.last_seen(ORIGIN).size == 17
    # The state survives a restart of the witness.
    again = Witness(witness_key, {ORIGIN: signer.verifier()}, tmp_path / "witness.json")
    assert again.last_seen(ORIGIN).root == log.root(17)
    # A checkpoint without the cosignature does not meet a quorum of one.
    with pytest.raises(SignatureError, match="0 valid witness cosignature"):
        open_checkpoint(
            log.sign_checkpoint(signer), signer.verifier(), witnesses=[cosigner], quorum=1
        )


def test_witness_refuses_rollback(tmp_path, log, signer) -> None:
    _, witness = _cosign_setup(tmp_path, log, signer)
    old = Checkpoint(ORIGIN, 5, log.root(5)).sign(signer)
    witness.cosign(log.sign_checkpoint(signer), 0, [])
    with pytest.raises(RollbackError, match="size 5 is smaller than the size 10"):
        witness.cosign(old, 10, [])


def test_witness_refuses_split_view(tmp_path, log, signer) -> None:
    _, witness = _cosign_setup(tmp_path, log, signer)
    witness.cosign(log.sign_checkpoint(signer), 0, [])
    # The same log key signs a forked history: entry 3 replaced.
    fork = Log.create(tmp_path / "fork", ORIGIN, durable=False)
    fork.append_many([b"entry %d" % i if i != 3 else b"forged" for i in range(10)])
    with pytest.raises(SplitViewError, match="already seen for that size"):
        witness.cosign(fork.sign_checkpoint(signer), 10, [])
    fork.append_many([b"x", b"y"])
    with pytest.raises(SplitViewError, match="not consistent with the size 10"):
        witness.cosign(fork.sign_checkpoint(signer), 10, fork.consistency_proof(10, 12))
    assert witness.last_seen(ORIGIN).size == 10  # nothing was recorded


def test_witness_other_refusals(tmp_path, log, signer) -> None:
    witness_key, witness = _cosign_setup(tmp_path, log, signer)
    witness.cosign(log.sign_checkpoint(signer), 0, [])
    with pytest.raises(WitnessConflictError, match="last saw size 10") as info:
        witness.cosign(log.sign_checkpoint(signer), 4, [])
    assert info.value.witness_size == 10
    other = Ed25519Signer.generate("example.org/other")
    with pytest.raises(OriginMismatchError, match="does not follow"):
        witness.cosign(Checkpoint("example.org/other", 1, log.root(1)).sign(other), 0, [])
    forged = Checkpoint(ORIGIN, 10, log.root(10)).sign(Ed25519Signer.generate(ORIGIN))
    with pytest.raises(SignatureError):
        witness.cosign(forged, 10, [])
    with pytest.raises(NoteFormatError, match="type 0x04"):
        Witness(signer, {ORIGIN: signer.verifier()})
    with pytest.raises(MalformedProofError, match="first checkpoint"):
        Witness(witness_key, {ORIGIN: signer.verifier()}).cosign(
            log.sign_checkpoint(signer), 0, [log.root()]
        )


def test_check_extends(log) -> None:
    old, new = log.checkpoint(4), log.checkpoint(10)
    check_extends(old, new, log.consistency_proof(4, 10))
    with pytest.raises(RollbackError):
        check_extends(new, old, [])
    proof = log.consistency_proof(4, 10)
    with pytest.raises(SplitViewError, match="not consistent"):
        check_extends(old, new, [proof[0][::-1], *proof[1:]])
    with pytest.raises(MalformedProofError, match="too many"):
        check_extends(old, new, log.consistency_proof(5, 10))
    with pytest.raises(OriginMismatchError):
        check_extends(old, Checkpoint("example.org/other", 10, new.root), [])


def test_offline_verifier(log, signer) -> None:
    note = log.sign_checkpoint(signer)
    proof = log.inclusion_proof_file(3)
    assert verify_entry(b"entry 3", proof, note, signer.verifier()).checkpoint.size == 10
    with pytest.raises(EntryMismatchError, match="entry hashes to leaf"):
        verify_entry(b"entry 4", proof, note, signer.verifier())
    with pytest.raises(InclusionProofError, match="proof is for tree size 8"):
        verify_entry(b"entry 3", log.inclusion_proof_file(3, 8), note, signer.verifier())
    tampered = InclusionProof(3, 10, proof.leaf_hash, (proof.hashes[0][::-1], *proof.hashes[1:]))
    with pytest.raises(InclusionProofError, match="leads to root"):
        verify_entry(b"entry 3", tampered, note, signer.verifier())
    with pytest.raises(SignatureError):
        verify_entry(b"entry 3", proof, note, Ed25519Signer.generate(ORIGIN).verifier())
    foreign = InclusionProof(3, 10, proof.leaf_hash, proof.hashes, "example.org/other")
    with pytest.raises(OriginMismatchError):
        verify_entry(b"entry 3", foreign, note, signer.verifier())


def test_proof_files_round_trip_and_reject_malformed(log) -> None:
    proof = log.inclusion_proof_file(3)
    assert InclusionProof.from_json(proof.to_json()) == proof
    consistency = log.consistency_proof_file(4)
    assert ConsistencyProof.from_json(consistency.to_json()) == consistency
    consistency.verify(log.root(4), log.root())
    good = proof.to_dict()
    cases = [
        ("not json", "not JSON"),
        ("[]", "JSON object"),
        (json.dumps(good | {"type": "other"}), "type is 'other'"),
        (json.dumps(good | {"index": -1}), "'index' must be a non-negative integer"),
        (json.dumps(good | {"index": 10}), "index 10 is not below tree_size 10"),
        (json.dumps(good | {"tree_size": "10"}), "'tree_size' must be"),
        (json.dumps(good | {"leaf_hash": "AAAA"}), "'leaf_hash' is 3 bytes"),
        (json.dumps(good | {"hashes": "AAAA"}), "'hashes' must be a list"),
        (json.dumps(good | {"hashes": ["@@"]}), r"'hashes\[0\]' is not valid base64"),
        (json.dumps(good | {"origin": ""}), "'origin' must be a non-empty string"),
    ]
    for text, reason in cases:
        with pytest.raises(MalformedProofError, match=reason):
            InclusionProof.from_json(text)
    with pytest.raises(MalformedProofError, match="old_size 5 is larger"):
        ConsistencyProof.from_json(
            json.dumps(consistency.to_dict() | {"old_size": 5, "new_size": 4})
        )
