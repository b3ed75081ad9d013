"""Witness cosigning (c2sp.org/tlog-cosignature, Ed25519 ``cosignature/v1``, type 0x04).

A witness remembers, per log origin, the largest checkpoint it has cosigned. It cosigns a new
checkpoint only after verifying the log's signature and an RFC 9162 consistency proof from that
remembered tree head; it refuses a smaller tree (rollback) and a different history (split view).
Clients that require a quorum of witness cosignatures are thereby protected against a log that
shows different trees to different people.
"""

from __future__ import annotations

import json
import os
import struct
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from jiliang.core.ledger.checkpoint import (
    Checkpoint,
    SignedCheckpoint,
    check_extends,
    open_checkpoint,
)
from jiliang.core.ledger.errors import (
    LedgerError,
    MalformedProofError,
    NoteFormatError,
    OriginMismatchError,
)
from jiliang.core.ledger.note import (
    ALG_COSIGNATURE_V1,
    Ed25519Signer,
    Ed25519Verifier,
    NoteSignature,
    Verifier,
    b64decode,
    b64encode,
    parse_note,
)

MAX_TIMESTAMP = 2**63 - 1


class WitnessConflictError(LedgerError):
    """The consistency proof starts from a size other than the one the witness last saw."""

    def __init__(self, message: str, witness_size: int) -> None:
        super().__init__(message)
        self.witness_size = witness_size


def cosigned_message(note_text: str, timestamp: int) -> bytes:
    """``cosignature/v1\\ntime <t>\\n`` followed by the checkpoint note text."""
    return f"cosignature/v1\ntime {timestamp}\n{note_text}".encode()


@dataclass(frozen=True)
class CosignatureVerifier:
    """Checks a ``timestamped_signature`` (u64 big-endian time ‖ Ed25519 signature)."""

    key: Ed25519Verifier

    def __post_init__(self) -> None:
        if self.key.alg != ALG_COSIGNATURE_V1:
            raise NoteFormatError("a cosignature verifier key must have type 0x04")

    @classmethod
    def from_vkey(cls, vkey: str) -> CosignatureVerifier:
        return cls(Ed25519Verifier.from_vkey(vkey))

    @property
    def name(self) -> str:
        return self.key.name

    @property
    def key_id(self) -> int:
        return self.key.key_id

    @property
    def vkey(self) -> str:
        return self.key.vkey

    def verify(self, text: bytes, signature: bytes) -> bool:
        if len(signature) != 8 + 64:
            return False
        (timestamp,) = struct.unpack(">Q", signature[:8])
        if timestamp > MAX_TIMESTAMP:
            return False
        return self.key.verify(cosigned_message(text.decode(), timestamp), signature[8:])


def cosignature_timestamp(checkpoint: SignedCheckpoint, verifier: CosignatureVerifier) -> int:
    """The POSIX time at which ``verifier`` cosigned (the signature must have been verified)."""
    for sig in checkpoint.note.signatures:
        if (sig.name, sig.key_id) == (verifier.name, verifier.key_id):
            return struct.unpack(">Q", sig.signature[:8])[0]
    raise LookupError(f"no cosignature by {verifier.name}")


@dataclass
class TreeHead:
    size: int
    root: bytes


class Witness:
    """A cosigner that keeps the last tree head it cosigned per origin (in a JSON state file).

    ``logs`` maps each trusted origin to the log's verifier key.
    """

    def __init__(
        self,
        signer: Ed25519Signer,
        logs: dict[str, Verifier],
        state_path: Path | None = None,
    ) -> None:
        if signer.alg != ALG_COSIGNATURE_V1:
            raise NoteFormatError("a witness key must have signature type 0x04 (cosignature/v1)")
        self.signer = signer
        self.logs = dict(logs)
        self.state_path = state_path
        self.heads: dict[str, TreeHead] = {}
        if state_path is not None and state_path.exists():
            raw = json.loads(state_path.read_text(encoding="utf-8"))
            for origin, head in raw.items():
                self.heads[origin] = TreeHead(head["size"], b64decode(head["root"], "root"))

    def verifier(self) -> CosignatureVerifier:
        return CosignatureVerifier(self.signer.verifier())

    def last_seen(self, origin: str) -> TreeHead | None:
        return self.heads.get(origin)

    def cosign(
        self,
        signed_note: bytes | str,
        old_size: int,
        proof: Sequence[bytes],
        now: int | None = None,
    ) -> bytes:
        """Verify and cosign a checkpoint; return the note with the cosignature line added.

        ``proof`` is the consistency proof from ``old_size`` (the size this witness last
        cosigned for the origin, 0 for a log it has not seen) to the new checkpoint.
        """
        checkpoint = self._open(signed_note)
        body = checkpoint.checkpoint
        head = self.heads.get(body.origin)
        seen = head.size if head else 0
        if old_size != seen:
            raise WitnessConflictError(
                f"proof starts at size {old_size}, but this witness last saw size {seen} "
                f"for {body.origin}",
                seen,
            )
        if head is not None:
            check_extends(Checkpoint(body.origin, head.size, head.root), body, proof)
        elif proof:
            raise MalformedProofError("a first checkpoint takes an empty consistency proof")
        timestamp = int(time.time()) if now is None else now
        signature = struct.pack(">Q", timestamp) + self.signer.sign(
            cosigned_message(checkpoint.note.text, timestamp)
        )
        self.heads[body.origin] = TreeHead(body.size, body.root)
        self._save()
        line = NoteSignature(self.signer.name, self.signer.key_id, signature)
        return checkpoint.note.with_signature(line).to_bytes()

    def _open(self, signed_note: bytes | str) -> SignedCheckpoint:
        origin = Checkpoint.from_text(parse_note(signed_note).text).origin
        if origin not in self.logs:
            raise OriginMismatchError(f"witness does not follow a log with origin {origin!r}")
        return open_checkpoint(signed_note, self.logs[origin], origin=origin)

    def _save(self) -> None:
        if self.state_path is None:
            return
        data = {o: {"size": h.size, "root": b64encode(h.root)} for o, h in self.heads.items()}
        tmp = self.state_path.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.state_path)
