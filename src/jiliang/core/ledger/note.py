"""C2SP signed notes (c2sp.org/signed-note) with Ed25519 keys in the ``golang.org/x/mod/sumdb/note``
string formats.

* verifier key: ``<name>+<hex key ID>+<base64(type ‖ public key)>``
* signer key:   ``PRIVATE+KEY+<name>+<hex key ID>+<base64(type ‖ 32-byte seed)>``
* key ID:       ``SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4]`` as a big-endian uint32
* signature line: ``— <name> <base64(key ID ‖ signature)>``

Signature type 0x01 signs the note text itself; type 0x04 (c2sp.org/tlog-cosignature, in
:mod:`jiliang.core.ledger.witness`) signs a timestamped message built from it. Both share the
:class:`Verifier` protocol: ``verify(text, signature) -> bool``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
from dataclasses import dataclass, field
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from jiliang.core.ledger.errors import KeyFormatError, NoteFormatError, SignatureError

ALG_ED25519 = 0x01
ALG_COSIGNATURE_V1 = 0x04
SIGNATURE_PREFIX = "— "  # em dash U+2014 and a space
MAX_SIGNATURES = 64  # C2SP: verifiers must accept at least 16
_NAME_FORBIDDEN = re.compile(r"[\s+]")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")


def b64decode(text: str, what: str, error: type[Exception] = NoteFormatError) -> bytes:
    """Strict standard base64 (RFC 4648 §4): no whitespace, canonical padding."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise error(f"{what} is not valid base64: {exc}") from None
    if base64.b64encode(raw).decode() != text:
        raise error(f"{what} is not canonical base64")
    return raw


def b64encode(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def check_key_name(name: str) -> str:
    """Key names are non-empty, without Unicode spaces or ``+`` (signed-note §Format)."""
    if not name or _NAME_FORBIDDEN.search(name) or _CONTROL.search(name):
        raise KeyFormatError(f"key name {name!r} is empty or contains a space, '+' or control")
    return name


def key_id(name: str, alg: int, public_key: bytes) -> int:
    """``SHA-256(name ‖ 0x0A ‖ alg ‖ public key)[:4]`` as a big-endian uint32."""
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([alg]) + public_key).digest()
    return struct.unpack(">I", digest[:4])[0]


def _decode_key(name: str, hex_id: str, b64: str, kind: str) -> tuple[str, bytes, int]:
    """``(name, key material, signature type)`` of a vkey/skey; the key ID is checked later."""
    raw = b64decode(b64, f"{kind} key material", KeyFormatError)
    if not raw or raw[0] not in (ALG_ED25519, ALG_COSIGNATURE_V1):
        raise KeyFormatError(f"unsupported {kind} key algorithm {raw[:1].hex() or 'none'}")
    return check_key_name(name), raw[1:], raw[0]


def _check_key_id(hex_id: str, expected: int, kind: str) -> None:
    if not re.fullmatch(r"[0-9a-f]{8}", hex_id) or int(hex_id, 16) != expected:
        raise KeyFormatError(f"{kind} key ID {hex_id!r} does not match the key")


class Verifier(Protocol):
    """Anything that can check one signature line of a note."""

    name: str
    key_id: int

    def verify(self, text: bytes, signature: bytes) -> bool: ...


@dataclass(frozen=True)
class Ed25519Verifier:
    """A verifier key (vkey) of type ``alg``; type 0x01 verifies the note text directly."""

    name: str
    public_key: bytes
    alg: int = ALG_ED25519
    key_id: int = field(init=False)

    def __post_init__(self) -> None:
        check_key_name(self.name)
        if len(self.public_key) != 32:
            raise KeyFormatError(f"Ed25519 public key must be 32 bytes, got {len(self.public_key)}")
        object.__setattr__(self, "key_id", key_id(self.name, self.alg, self.public_key))

    @classmethod
    def from_vkey(cls, vkey: str) -> Ed25519Verifier:
        parts = vkey.strip().split("+", 2)
        if len(parts) != 3:
            raise KeyFormatError("verifier key must be <name>+<hex key ID>+<base64 key>")
        verifier = cls(*_decode_key(*parts, kind="verifier"))
        _check_key_id(parts[1], verifier.key_id, "verifier")
        return verifier

    @property
    def vkey(self) -> str:
        return f"{self.name}+{self.key_id:08x}+{b64encode(bytes([self.alg]) + self.public_key)}"

    def verify(self, text: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, text)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class Ed25519Signer:
    """A signer key (skey); ``sign`` returns the raw signature bytes (without the key ID)."""

    name: str
    seed: bytes = field(repr=False)
    alg: int = ALG_ED25519

    def __post_init__(self) -> None:
        check_key_name(self.name)
        if len(self.seed) != 32:
            raise KeyFormatError(f"Ed25519 private seed must be 32 bytes, got {len(self.seed)}")

    @classmethod
    def generate(cls, name: str, alg: int = ALG_ED25519) -> Ed25519Signer:
        seed = Ed25519PrivateKey.generate().private_bytes_raw()
        return cls(name, seed, alg)

    @classmethod
    def from_skey(cls, skey: str) -> Ed25519Signer:
        parts = skey.strip().split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise KeyFormatError("signer key must be PRIVATE+KEY+<name>+<hex key ID>+<base64 key>")
        signer = cls(*_decode_key(*parts[2:], kind="signer"))
        _check_key_id(parts[3], signer.key_id, "signer")
        return signer

    @property
    def public_key(self) -> bytes:
        private = Ed25519PrivateKey.from_private_bytes(self.seed)
        return private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @property
    def key_id(self) -> int:
        return key_id(self.name, self.alg, self.public_key)

    @property
    def skey(self) -> str:
        material = b64encode(bytes([self.alg]) + self.seed)
        return f"PRIVATE+KEY+{self.name}+{self.key_id:08x}+{material}"

    def verifier(self) -> Ed25519Verifier:
        return Ed25519Verifier(self.name, self.public_key, self.alg)

    def sign(self, message: bytes) -> bytes:
        return Ed25519PrivateKey.from_private_bytes(self.seed).sign(message)


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: key name, key ID and the signature bytes after the key ID."""

    name: str
    key_id: int
    signature: bytes

    def line(self) -> str:
        blob = struct.pack(">I", self.key_id) + self.signature
        return f"{SIGNATURE_PREFIX}{self.name} {b64encode(blob)}\n"


@dataclass(frozen=True)
class Note:
    """A note text (ending in a newline) and its signature lines."""

    text: str
    signatures: tuple[NoteSignature, ...] = ()

    def __post_init__(self) -> None:
        check_text(self.text)

    def to_bytes(self) -> bytes:
        return (self.text + "\n" + "".join(s.line() for s in self.signatures)).encode()

    def signed_by(self, signer: Ed25519Signer) -> Note:
        """A copy with ``signer``'s signature (replacing an older one from the same key)."""
        sig = NoteSignature(signer.name, signer.key_id, signer.sign(self.text.encode()))
        return self.with_signature(sig)

    def with_signature(self, sig: NoteSignature) -> Note:
        kept = tuple(s for s in self.signatures if (s.name, s.key_id) != (sig.name, sig.key_id))
        return Note(self.text, (*kept, sig))


def check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise NoteFormatError("note text must end with a newline")
    if _CONTROL.search(text):
        raise NoteFormatError("note text contains an ASCII control character other than newline")


def parse_note(data: bytes | str) -> Note:
    """Split a signed note into text and signature lines (no verification)."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise NoteFormatError("signed note is not valid UTF-8") from None
    if "\r" in data:
        raise NoteFormatError("signed note contains a carriage return (CRLF line endings?)")
    if not data.endswith("\n"):
        raise NoteFormatError("signed note must end with a newline")
    split = data.rfind("\n\n")
    if split < 0:
        raise NoteFormatError("signed note has no blank line before its signatures")
    text, block = data[: split + 1], data[split + 2 :]
    check_text(text)
    lines = block.splitlines()
    if not lines:
        raise NoteFormatError("signed note has no signature lines")
    if len(lines) > MAX_SIGNATURES:
        raise NoteFormatError(f"signed note has more than {MAX_SIGNATURES} signatures")
    sigs = []
    for number, line in enumerate(lines, start=1):
        if not line.startswith(SIGNATURE_PREFIX):
            raise NoteFormatError(f"signature line {number} does not start with '— '")
        name, _, b64 = line[len(SIGNATURE_PREFIX) :].rpartition(" ")
        if not name:
            raise NoteFormatError(f"signature line {number} has no key name")
        check_key_name(name)
        blob = b64decode(b64, f"signature line {number}")
        if len(blob) < 5:
            raise NoteFormatError(f"signature line {number} is too short")
        sigs.append(NoteSignature(name, struct.unpack(">I", blob[:4])[0], blob[4:]))
    return Note(text, tuple(sigs))


def verify_note(note: Note, verifiers: list[Verifier]) -> list[Verifier]:
    """Check every signature whose (name, key ID) matches a known verifier.

    Returns the verifiers whose signatures hold. Raises :class:`SignatureError` when a known key's
    signature fails (the whole note is rejected, as signed-note recommends) or when no known key
    signed the note. Unknown signatures are ignored, as the spec requires.
    """
    known = {(v.name, v.key_id): v for v in verifiers}
    good: list[Verifier] = []
    text = note.text.encode()
    for sig in note.signatures:
        verifier = known.get((sig.name, sig.key_id))
        if verifier is None:
            continue
        if not verifier.verify(text, sig.signature):
            raise SignatureError(
                f"signature by {sig.name} (key ID {sig.key_id:08x}) does not verify"
            )
        if verifier not in good:
            good.append(verifier)
    if not good:
        names = ", ".join(f"{v.name}+{v.key_id:08x}" for v in verifiers) or "none"
        raise SignatureError(f"note is not signed by any trusted key (trusted: {names})")
    return good
