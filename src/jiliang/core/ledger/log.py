"""``Log``: the transparency log API the platform and the CLI use.

    log = Log.create(path, origin="jiliang.example.org/log")
    first = log.append_many([b"entry 0", b"entry 1"])
    proof = log.inclusion_proof(first, log.size)
    note = log.sign_checkpoint(signer)              # C2SP signed note (bytes)

A ``Log`` instance belongs to one thread; several processes may share a directory (writers take a
file lock, readers see committed state and refresh on every call).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from jiliang.core.ledger.checkpoint import Checkpoint
from jiliang.core.ledger.errors import IndexOutOfRangeError, StoreError
from jiliang.core.ledger.index import LeafIndex, LeafNotFoundError
from jiliang.core.ledger.note import Ed25519Signer, check_key_name
from jiliang.core.ledger.prooffile import ConsistencyProof, InclusionProof
from jiliang.core.ledger.store import TILE_WIDTH, TileStore, write_atomic
from jiliang.core.ledger.tree import HASH_SIZE, tree_root

LOG_FORMAT = "jiliang-ledger/v1"
CHECKPOINT_FILE = "checkpoint"


class Log:
    """An RFC 9162 Merkle log stored as tiles in a directory."""

    def __init__(self, path: str | os.PathLike[str], durable: bool = True) -> None:
        self.path = Path(path)
        meta_path = self.path / "log.json"
        if not meta_path.is_file():
            raise StoreError(f"{self.path} is not a jiliang log (no log.json); create it first")
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            self.origin: str = meta["origin"]
        except (ValueError, KeyError, TypeError) as exc:
            raise StoreError(f"{meta_path} is unreadable: {exc}") from None
        if meta.get("format") != LOG_FORMAT:
            raise StoreError(f"{meta_path} has format {meta.get('format')!r}, not {LOG_FORMAT}")
        self.store = TileStore(self.path, durable=durable)
        self._index: LeafIndex | None = None

    @classmethod
    def create(cls, path: str | os.PathLike[str], origin: str, durable: bool = True) -> Log:
        """Create an empty log directory for ``origin`` (a schema-less URL is recommended)."""
        check_key_name(origin)  # the origin doubles as the log key's name
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        meta = path / "log.json"
        if meta.exists():
            raise StoreError(f"{path} already holds a log")
        meta.write_text(json.dumps({"format": LOG_FORMAT, "origin": origin}) + "\n")
        return cls(path, durable=durable)

    def close(self) -> None:
        self.store.close()
        if self._index is not None:
            self._index.close()
            self._index = None

    def __enter__(self) -> Log:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- appends ---------------------------------------------------------------------------

    def append(self, entry: bytes) -> int:
        """Append one entry durably; returns its index."""
        return self.store.append([entry])

    def append_many(self, entries: Sequence[bytes]) -> int:
        """Append a batch atomically (all or none survive a crash); returns the first index."""
        return self.store.append(list(entries))

    # -- reads -----------------------------------------------------------------------------

    @property
    def size(self) -> int:
        self.store.refresh()
        return self.store.size

    def _size_arg(self, size: int | None) -> int:
        current = self.size
        if size is None:
            return current
        if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= current:
            raise IndexOutOfRangeError(f"tree size {size!r} outside 0..{current}")
        return size

    def root(self, size: int | None = None) -> bytes:
        """``MTH(D[0:size])``; the current tree head when ``size`` is omitted."""
        return tree_root(self.store.node, self._size_arg(size))

    def leaf_hash(self, index: int) -> bytes:
        self._check_index(index)
        return self.store.node(0, index)

    def entry(self, index: int) -> bytes:
        self._check_index(index)
        return self.store.entries(index, index + 1)[0]

    def entries(self, start: int, end: int) -> list[bytes]:
        self.store.refresh()
        return self.store.entries(start, end)

    def _check_index(self, index: int) -> None:
        size = self.size
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < size:
            raise IndexOutOfRangeError(f"leaf index {index!r} outside 0..{size - 1}")

    def index_of(self, leaf_hash: bytes) -> int:
        """First index whose leaf hash is ``leaf_hash``; :class:`LeafNotFoundError` otherwise."""
        if len(leaf_hash) != HASH_SIZE:
            raise LeafNotFoundError(f"a leaf hash is {HASH_SIZE} bytes, got {len(leaf_hash)}")
        size = self.size
        if self._index is None:
            self._index = LeafIndex(self.path / "index.sqlite")
        self._index.catch_up(size, self.store.leaf_hashes)
        for index in self._index.candidates(leaf_hash):
            if index < size and self.store.node(0, index) == leaf_hash:
                return index
        raise LeafNotFoundError(f"leaf hash {leaf_hash.hex()} is not in the log")

    # -- proofs ----------------------------------------------------------------------------

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """RFC 9162 §2.1.3 audit path of leaf ``index`` in the tree of ``size`` leaves."""
        size = self._size_arg(size)
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < size:
            raise IndexOutOfRangeError(f"leaf index {index!r} is not below tree size {size}")
        return self.store.inclusion_proof(index, size)

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """RFC 9162 §2.1.4 proof that tree ``old_size`` is a prefix of tree ``new_size``."""
        new_size = self._size_arg(new_size)
        old_size = self._size_arg(old_size)
        if old_size > new_size:
            raise IndexOutOfRangeError(f"old size {old_size} is larger than new size {new_size}")
        return self.store.consistency_proof(old_size, new_size)

    def inclusion_proof_file(self, index: int, size: int | None = None) -> InclusionProof:
        """The proof as the documented JSON proof-file object."""
        size = self._size_arg(size)
        hashes = self.inclusion_proof(index, size)
        return InclusionProof(index, size, self.leaf_hash(index), tuple(hashes), self.origin)

    def inclusion_proof_for_hash(self, leaf_hash: bytes, size: int | None = None) -> InclusionProof:
        """Proof file for the first leaf with this hash (what a verification page asks for)."""
        size = self._size_arg(size)
        index = self.index_of(leaf_hash)
        if index >= size:
            raise LeafNotFoundError(
                f"leaf {leaf_hash.hex()} is at index {index}, after size {size}"
            )
        return self.inclusion_proof_file(index, size)

    def consistency_proof_file(
        self, old_size: int, new_size: int | None = None
    ) -> ConsistencyProof:
        new_size = self._size_arg(new_size)
        hashes = self.consistency_proof(old_size, new_size)
        return ConsistencyProof(old_size, new_size, tuple(hashes), self.origin)

    # -- checkpoints -----------------------------------------------------------------------

    def checkpoint(self, size: int | None = None, extensions: Iterable[str] = ()) -> Checkpoint:
        """The unsigned checkpoint body for ``size`` (default: current)."""
        size = self._size_arg(size)
        return Checkpoint(self.origin, size, self.root(size), tuple(extensions))

    def sign_checkpoint(
        self, signer: Ed25519Signer, extensions: Iterable[str] = (), save: bool = True
    ) -> bytes:
        """Sign a checkpoint of the current tree; ``save`` makes it the latest checkpoint."""
        if signer.name != self.origin:
            raise StoreError(f"signer key {signer.name!r} is not the log key {self.origin!r}")
        note = self.checkpoint(extensions=extensions).sign(signer)
        if save:
            write_atomic(self.path / CHECKPOINT_FILE, note, self.store.durable)
        return note

    def latest_checkpoint(self) -> bytes | None:
        """The last saved signed checkpoint, or ``None`` before the first one."""
        path = self.path / CHECKPOINT_FILE
        return path.read_bytes() if path.exists() else None

    # -- tiles for mirrors -----------------------------------------------------------------

    def tile(self, level: int, index: int, width: int | None = None) -> bytes:
        """C2SP ``tile/<level>/<index>[.p/<width>]``."""
        self.store.refresh()
        return self.store.tile(level, index, width)

    def entry_bundle(self, index: int, width: int | None = None) -> bytes:
        """C2SP ``tile/entries/<index>[.p/<width>]`` (uint16 length-prefixed entries)."""
        self.store.refresh()
        start = index * TILE_WIDTH
        end = start + (TILE_WIDTH if width is None else width)
        if index < 0 or not start < end <= min(self.store.size, start + TILE_WIDTH):
            raise IndexOutOfRangeError(f"entry bundle {index} (width {width}) does not exist")
        parts = []
        for number, entry in enumerate(self.store.entries(start, end), start=start):
            if len(entry) > 0xFFFF:
                raise StoreError(f"entry {number} is {len(entry)} bytes, too long for a bundle")
            parts.append(len(entry).to_bytes(2, "big") + entry)
        return b"".join(parts)
