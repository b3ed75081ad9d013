"""JSON proof files: what ``jiliang ledger prove`` / ``consistency`` write and ``verify`` reads.

Inclusion proof (``docs/ledger.md`` documents both)::

    {"type": "jiliang/inclusion-proof/v1", "origin": "example.org/log",
     "index": 5, "tree_size": 8, "leaf_hash": "<base64>", "hashes": ["<base64>", …]}

Consistency proof::

    {"type": "jiliang/consistency-proof/v1", "origin": "example.org/log",
     "old_size": 4, "new_size": 8, "hashes": ["<base64>", …]}

Hashes are standard base64 of 32 bytes, as in checkpoints; ``hashes`` is in RFC 9162 order.
``origin`` is optional; when present a verifier checks it against the checkpoint.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from jiliang.core.ledger.errors import MalformedProofError
from jiliang.core.ledger.note import b64decode, b64encode
from jiliang.core.ledger.proofs import verify_consistency, verify_inclusion
from jiliang.core.ledger.tree import HASH_SIZE

INCLUSION_TYPE = "jiliang/inclusion-proof/v1"
CONSISTENCY_TYPE = "jiliang/consistency-proof/v1"


def _load(text: str | bytes, expected_type: str) -> dict[str, Any]:
    try:
        raw = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise MalformedProofError(f"proof file is not JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise MalformedProofError("proof file must be a JSON object")
    if raw.get("type") != expected_type:
        raise MalformedProofError(f"proof file type is {raw.get('type')!r}, not {expected_type!r}")
    return raw


def _int(raw: dict[str, Any], key: str) -> int:
    value = raw.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise MalformedProofError(f"proof field {key!r} must be a non-negative integer")
    return value


def _hash(value: Any, key: str) -> bytes:
    if not isinstance(value, str):
        raise MalformedProofError(f"proof field {key!r} must be a base64 string")
    raw = b64decode(value, f"proof field {key!r}", MalformedProofError)
    if len(raw) != HASH_SIZE:
        raise MalformedProofError(f"proof field {key!r} is {len(raw)} bytes, not {HASH_SIZE}")
    return raw


def _hashes(raw: dict[str, Any]) -> tuple[bytes, ...]:
    values = raw.get("hashes")
    if not isinstance(values, list):
        raise MalformedProofError("proof field 'hashes' must be a list")
    return tuple(_hash(v, f"hashes[{i}]") for i, v in enumerate(values))


def _origin(raw: dict[str, Any]) -> str | None:
    origin = raw.get("origin")
    if origin is not None and (not isinstance(origin, str) or not origin):
        raise MalformedProofError("proof field 'origin' must be a non-empty string")
    return origin


@dataclass(frozen=True)
class InclusionProof:
    """Leaf ``index`` with hash ``leaf_hash`` is in the tree of ``tree_size`` leaves."""

    index: int
    tree_size: int
    leaf_hash: bytes
    hashes: tuple[bytes, ...]
    origin: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"type": INCLUSION_TYPE}
        if self.origin is not None:
            data["origin"] = self.origin
        data |= {
            "index": self.index,
            "tree_size": self.tree_size,
            "leaf_hash": b64encode(self.leaf_hash),
            "hashes": [b64encode(h) for h in self.hashes],
        }
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str | bytes) -> InclusionProof:
        raw = _load(text, INCLUSION_TYPE)
        index, size = _int(raw, "index"), _int(raw, "tree_size")
        if index >= size:
            raise MalformedProofError(f"proof index {index} is not below tree_size {size}")
        leaf = _hash(raw.get("leaf_hash"), "leaf_hash")
        return cls(index, size, leaf, _hashes(raw), _origin(raw))

    def verify(self, root: bytes) -> None:
        verify_inclusion(self.leaf_hash, self.index, self.tree_size, self.hashes, root)


@dataclass(frozen=True)
class ConsistencyProof:
    """The tree of ``old_size`` leaves is a prefix of the tree of ``new_size`` leaves."""

    old_size: int
    new_size: int
    hashes: tuple[bytes, ...]
    origin: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"type": CONSISTENCY_TYPE}
        if self.origin is not None:
            data["origin"] = self.origin
        data |= {
            "old_size": self.old_size,
            "new_size": self.new_size,
            "hashes": [b64encode(h) for h in self.hashes],
        }
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str | bytes) -> ConsistencyProof:
        raw = _load(text, CONSISTENCY_TYPE)
        old, new = _int(raw, "old_size"), _int(raw, "new_size")
        if old > new:
            raise MalformedProofError(f"old_size {old} is larger than new_size {new}")
        return cls(old, new, _hashes(raw), _origin(raw))

    def verify(self, old_root: bytes, new_root: bytes) -> None:
        verify_consistency(self.old_size, self.new_size, self.hashes, old_root, new_root)
