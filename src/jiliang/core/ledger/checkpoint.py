"""C2SP checkpoints (c2sp.org/tlog-checkpoint): the signed tree head of a log.

Note text::

    <origin>
    <tree size, decimal, no leading zeroes>
    <base64 root hash>
    [extension lines…]

signed by the log's Ed25519 key (whose key name is, by jiliang's convention, the origin) and
optionally cosigned by witnesses (:mod:`jiliang.core.ledger.witness`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from jiliang.core.ledger.errors import (
    ConsistencyProofError,
    NoteFormatError,
    OriginMismatchError,
    RollbackError,
    SignatureError,
    SplitViewError,
)
from jiliang.core.ledger.note import (
    Ed25519Signer,
    Note,
    Verifier,
    b64decode,
    b64encode,
    parse_note,
    verify_note,
)
from jiliang.core.ledger.proofs import verify_consistency
from jiliang.core.ledger.tree import HASH_SIZE

_DECIMAL = re.compile(r"0|[1-9][0-9]*")


@dataclass(frozen=True)
class Checkpoint:
    """The body of a checkpoint: origin, tree size, root hash and optional extension lines."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin:
            raise NoteFormatError("checkpoint origin must be one non-empty line")
        if isinstance(self.size, bool) or not isinstance(self.size, int) or self.size < 0:
            raise NoteFormatError(f"checkpoint tree size must be a non-negative int: {self.size!r}")
        if len(self.root) != HASH_SIZE:
            raise NoteFormatError(f"checkpoint root hash must be {HASH_SIZE} bytes")
        for line in self.extensions:
            if not line or "\n" in line:
                raise NoteFormatError("checkpoint extension lines must be non-empty single lines")

    def text(self) -> str:
        lines = [self.origin, str(self.size), b64encode(self.root), *self.extensions]
        return "\n".join(lines) + "\n"

    @classmethod
    def from_text(cls, text: str) -> Checkpoint:
        lines = text.split("\n")
        if lines[-1] != "" or len(lines) < 4:
            raise NoteFormatError("checkpoint needs origin, size and root hash lines")
        origin, size, root, *extensions = lines[:-1]
        if not _DECIMAL.fullmatch(size):
            raise NoteFormatError(f"checkpoint tree size {size!r} is not a canonical decimal")
        raw = b64decode(root, "checkpoint root hash")
        if len(raw) != HASH_SIZE:
            raise NoteFormatError(f"checkpoint root hash must be {HASH_SIZE} bytes, not {len(raw)}")
        return cls(origin, int(size), raw, tuple(extensions))

    def sign(self, signer: Ed25519Signer) -> bytes:
        """The signed note (bytes) of this checkpoint."""
        return Note(self.text()).signed_by(signer).to_bytes()


@dataclass(frozen=True)
class SignedCheckpoint:
    """A checkpoint whose log signature was verified, with the parsed note for cosigning."""

    checkpoint: Checkpoint
    note: Note
    verified_by: tuple[Verifier, ...]


def open_checkpoint(
    data: bytes | str,
    log_verifier: Verifier,
    origin: str | None = None,
    witnesses: Sequence[Verifier] = (),
    quorum: int = 0,
) -> SignedCheckpoint:
    """Parse a signed checkpoint and verify it.

    ``origin`` defaults to the log key's name. Raises :class:`OriginMismatchError` for another
    log's checkpoint, :class:`SignatureError` when the log's signature is absent or bad or fewer
    than ``quorum`` of ``witnesses`` cosigned, :class:`NoteFormatError` when it is malformed.
    """
    note = parse_note(data)
    checkpoint = Checkpoint.from_text(note.text)
    expected = origin if origin is not None else log_verifier.name
    if checkpoint.origin != expected:
        raise OriginMismatchError(
            f"checkpoint is for origin {checkpoint.origin!r}, expected {expected!r}"
        )
    try:
        verified = verify_note(note, [log_verifier, *witnesses])
    except SignatureError as exc:
        raise SignatureError(f"checkpoint rejected: {exc}") from None
    if log_verifier not in verified:
        raise SignatureError(f"checkpoint is not signed by the log key {log_verifier.name}")
    cosigners = [v for v in verified if v is not log_verifier]
    if len(cosigners) < quorum:
        raise SignatureError(
            f"checkpoint has {len(cosigners)} valid witness cosignature(s), {quorum} required"
        )
    return SignedCheckpoint(checkpoint, note, tuple(verified))


def check_extends(old: Checkpoint, new: Checkpoint, proof: Sequence[bytes]) -> None:
    """Raise unless ``new`` is an append-only extension of ``old`` (same origin).

    :class:`RollbackError` when ``new`` is smaller; :class:`SplitViewError` when it has the same
    size and another root, or when the consistency proof does not link the two roots.
    """
    if new.origin != old.origin:
        raise OriginMismatchError(f"checkpoint origin {new.origin!r} is not {old.origin!r}")
    if new.size < old.size:
        raise RollbackError(
            f"checkpoint size {new.size} is smaller than the size {old.size} already seen"
        )
    if new.size == old.size and new.root != old.root:
        raise SplitViewError(
            f"checkpoint of size {new.size} has root {new.root.hex()}, "
            f"but root {old.root.hex()} was already seen for that size"
        )
    try:
        verify_consistency(old.size, new.size, proof, old.root, new.root)
    except ConsistencyProofError as exc:
        raise SplitViewError(
            f"checkpoint of size {new.size} is not consistent with the size {old.size} "
            f"already seen: {exc}"
        ) from None
