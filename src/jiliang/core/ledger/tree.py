"""RFC 9162 §2.1 Merkle tree hashing.

``MTH({}) = SHA-256()``, ``MTH({d}) = SHA-256(0x00 ‖ d)``, and for ``n > 1`` with ``k`` the
largest power of two *strictly* smaller than ``n``:
``MTH(D[0:n]) = SHA-256(0x01 ‖ MTH(D[0:k]) ‖ MTH(D[k:n]))``.

Nodes are addressed like C2SP tlog-tiles and Go's ``sumdb/tlog``: ``(level, index)`` is the hash of
the *complete* subtree ``D[index·2^level : (index+1)·2^level]``. Any range ``D[a:b]`` that the
RFC's recursions ask for is split into complete subtrees (:func:`subtree_cover`) and folded.

Bulk hashing (appends, tile levels, the audit) goes through four batch functions on byte buffers
— :data:`pack_entries`, :data:`hash_leaves`, :data:`hash_pairs`, :data:`hash_root` — bound at
import to the C extension ``_hashbatch`` when it was built (one call a batch: ~0.1 µs a hash with
SHA-NI instead of ~1 µs through hashlib), else to the ``py_*`` versions here, which are also the
reference the tests hold the C code to. ``JILIANG_LEDGER_PURE=1`` forces the latter.
"""

from __future__ import annotations

import hashlib
import os
import sys
from array import array
from collections.abc import Callable, Sequence
from itertools import accumulate
from types import ModuleType

from jiliang.core.ledger.errors import IndexOutOfRangeError

HASH_SIZE = 32
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()

#: ``node(level, index) -> hash`` of a complete subtree; what proofs are computed from.
NodeReader = Callable[[int, int], bytes]

#: Byte buffers: ``bytes``, ``bytearray``, ``memoryview`` or ``array`` (buffer protocol).
Buffer = bytes | bytearray | memoryview

try:  # CPython's built-in SHA-256 (no OpenSSL EVP set-up) is ~30 % faster on 33–65 byte inputs.
    from _sha2 import sha256 as _sha256  # Python ≥ 3.12
except ImportError:  # pragma: no cover - depends on the interpreter
    try:
        from _sha256 import sha256 as _sha256  # Python 3.11
    except ImportError:
        _sha256 = hashlib.sha256


def leaf_hash(entry: bytes) -> bytes:
    """RFC 9162 §2.1.1 leaf hash: ``SHA-256(0x00 ‖ entry)``."""
    return _sha256(LEAF_PREFIX + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 §2.1.1 interior node hash: ``SHA-256(0x01 ‖ left ‖ right)``."""
    return _sha256(NODE_PREFIX + left + right).digest()


def _be64(raw: Buffer) -> array[int]:
    """Big-endian uint64 values (the ``entries/offsets`` file format) as a native array."""
    if len(raw) % 8:
        raise ValueError(f"ends is {len(raw)} bytes, not a whole number of uint64 values")
    values = array("Q", bytes(raw))
    if sys.byteorder == "little":
        values.byteswap()
    return values


def py_pack_entries(entries: Sequence[bytes], start: int = 0) -> tuple[bytes, bytes]:
    """``(b"".join(entries), ends)``: ``ends`` = big-endian uint64 end offsets from ``start``.

    The reference for, and fallback of, the C ``_hashbatch.pack_entries``.
    """
    for i, entry in enumerate(entries):
        if not isinstance(entry, bytes | bytearray):
            raise TypeError(f"entry {i} is {type(entry).__name__}, not bytes")
    ends = array("Q", accumulate(map(len, entries), initial=start))[1:]
    if sys.byteorder == "little":
        ends.byteswap()
    return b"".join(entries), ends.tobytes()


def py_hash_leaves(data: Buffer, ends: Buffer, start: int = 0) -> bytes:
    """Leaf hashes of the entries packed in ``data``, concatenated (32 bytes each); hashlib.

    Entry ``i`` is ``data[ends[i-1]-start : ends[i]-start]`` (``ends[-1]`` = ``start``), ``ends``
    being big-endian uint64 — the bytes of the log's ``entries/offsets``. The reference for, and
    fallback of, the C ``_hashbatch.hash_leaves`` (same arguments, result and errors).
    """
    bounds = _be64(ends)
    previous = start
    for i, end in enumerate(bounds):
        if end < previous:
            raise ValueError(f"ends[{i}] = {end} is below the previous end {previous}")
        previous = end
    if previous - start > len(data):
        raise ValueError(
            f"ends reach offset {previous}, beyond the {len(data)} bytes of data from {start}"
        )
    sha = _sha256
    prefix = LEAF_PREFIX
    data = bytes(data)
    cuts = [start, *bounds]
    return b"".join(
        [
            sha(prefix + data[cuts[i] - start : cuts[i + 1] - start]).digest()
            for i in range(len(bounds))
        ]
    )


def py_hash_pairs(level: Buffer) -> bytes:
    """Parents of adjacent 32-byte hashes in ``level`` (an odd last one is left out); hashlib.

    The reference for, and fallback of, the C ``_hashbatch.hash_pairs``.
    """
    if len(level) % HASH_SIZE:
        raise ValueError(f"level is {len(level)} bytes, not a whole number of 32-byte hashes")
    sha = _sha256
    prefix = NODE_PREFIX
    level = bytes(level)
    pair = 2 * HASH_SIZE
    return b"".join(
        [sha(prefix + level[i : i + pair]).digest() for i in range(0, len(level) - pair + 1, pair)]
    )


def py_hash_root(hashes: Buffer) -> bytes:
    """Root of the complete subtree over ``2^k`` (1 ≤ 2^k ≤ 256) 32-byte hashes; hashlib.

    The reference for, and fallback of, the C ``_hashbatch.hash_root``.
    """
    count = len(hashes) // HASH_SIZE
    if len(hashes) % HASH_SIZE or not 1 <= count <= 256 or count & (count - 1):
        raise ValueError(
            f"hash_root needs 2^k 32-byte hashes, 1 <= 2^k <= 256; got {len(hashes)} bytes"
        )
    while len(hashes) > HASH_SIZE:
        hashes = py_hash_pairs(hashes)
    return bytes(hashes)


def _accelerator() -> ModuleType | None:
    """The C batch hasher, unless it was not built or ``JILIANG_LEDGER_PURE`` disables it."""
    if os.environ.get("JILIANG_LEDGER_PURE", "") not in ("", "0"):
        return None
    try:
        from jiliang.core.ledger import _hashbatch
    except ImportError:  # built without a C compiler: hashlib gives the same hashes, slower
        return None
    return _hashbatch


_C = _accelerator()
#: ``pack_entries(entries, start=0) -> (data, ends)``: what the store appends (C when built).
pack_entries: Callable[..., tuple[bytes, bytes]] = (
    py_pack_entries if _C is None else _C.pack_entries
)
#: ``hash_leaves(data, ends, start=0) -> bytes``: the batch leaf hasher (C when built).
hash_leaves: Callable[..., bytes] = py_hash_leaves if _C is None else _C.hash_leaves
#: ``hash_pairs(level) -> bytes``: the batch node hasher (C when built).
hash_pairs: Callable[[Buffer], bytes] = py_hash_pairs if _C is None else _C.hash_pairs
#: ``hash_root(hashes) -> bytes``: root of the subtree over 2^k ≤ 256 hashes (C when built).
hash_root: Callable[[Buffer], bytes] = py_hash_root if _C is None else _C.hash_root


def accelerator() -> ModuleType | None:
    """The C extension module ``_hashbatch`` in use, or ``None`` (pure Python)."""
    return _C


def hasher() -> str:
    """The batch hasher in use: ``"c-sha-ni"``, ``"c-portable"`` or ``"python"`` (hashlib).

    ``JILIANG_LEDGER_PURE=1`` in the environment before the first import forces ``"python"``.
    """
    return "python" if _C is None else f"c-{_C.implementation()}"


def split_point(n: int) -> int:
    """Largest power of two strictly smaller than ``n`` (``n ≥ 2``): where MTH splits D[0:n]."""
    if n < 2:
        raise ValueError(f"split_point needs n >= 2, got {n}")
    return 1 << ((n - 1).bit_length() - 1)


def subtree_cover(start: int, end: int) -> list[tuple[int, int]]:
    """Complete subtrees ``(level, index)`` covering ``D[start:end]``, left to right.

    Valid for the ranges the RFC recursions produce, where ``start`` is a multiple of a power of
    two ≥ ``end - start``: the size is then written in binary, largest chunk first, and each chunk
    is aligned.
    """
    width = end - start
    if width <= 0:
        raise ValueError(f"empty range D[{start}:{end}]")
    cover = []
    pos = start
    for level in range(width.bit_length() - 1, -1, -1):
        if width >> level & 1:
            if pos % (1 << level):
                raise ValueError(f"D[{start}:{end}] is not aligned to complete subtrees")
            cover.append((level, pos >> level))
            pos += 1 << level
    return cover


def range_hash(node: NodeReader, start: int, end: int) -> bytes:
    """``MTH(D[start:end])`` from complete-subtree hashes, folding right to left."""
    width = end - start
    if width > 0 and width & (width - 1) == 0 and start % width == 0:
        # Fast path: most proof nodes are single complete subtrees.
        level = width.bit_length() - 1
        return node(level, start >> level)
    cover = subtree_cover(start, end)
    acc = node(*cover[-1])
    for level, index in reversed(cover[:-1]):
        acc = node_hash(node(level, index), acc)
    return acc


def tree_root(node: NodeReader, size: int) -> bytes:
    """Tree head ``MTH(D[0:size])``; the empty tree hashes to ``SHA-256()``."""
    if size == 0:
        return EMPTY_ROOT
    return range_hash(node, 0, size)


class MemoryTree:
    """All levels of a tree held in memory: a reference implementation and a test double.

    ``levels[h][i]`` is the complete subtree ``(h, i)``. Appends cost amortised O(1) hashes.
    """

    def __init__(self, entries: Sequence[bytes] = ()) -> None:
        self.levels: list[list[bytes]] = [[]]
        for entry in entries:
            self.append(entry)

    @property
    def size(self) -> int:
        return len(self.levels[0])

    def append(self, entry: bytes) -> int:
        """Append one entry; returns its index."""
        return self.append_hash(leaf_hash(entry))

    def append_hash(self, hashed: bytes) -> int:
        """Append an already computed leaf hash; returns its index."""
        index = self.size
        self.levels[0].append(hashed)
        level = 0
        # Each time the count at a level becomes even, a new complete node exists above it.
        while len(self.levels[level]) % 2 == 0:
            if len(self.levels) == level + 1:
                self.levels.append([])
            pair = self.levels[level][-2:]
            self.levels[level + 1].append(node_hash(pair[0], pair[1]))
            level += 1
        return index

    def node(self, level: int, index: int) -> bytes:
        try:
            return self.levels[level][index]
        except IndexError:
            raise IndexOutOfRangeError(
                f"no complete subtree ({level}, {index}) in a tree of size {self.size}"
            ) from None

    def root(self, size: int | None = None) -> bytes:
        size = self.size if size is None else size
        if not 0 <= size <= self.size:
            raise IndexOutOfRangeError(f"size {size} outside 0..{self.size}")
        return tree_root(self.node, size)


def mth_recursive(entries: Sequence[bytes]) -> bytes:
    """RFC 9162 §2.1.1 MTH written exactly as the RFC's recursion (slow; for cross-checks)."""
    n = len(entries)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaf_hash(entries[0])
    k = split_point(n)
    return node_hash(mth_recursive(entries[:k]), mth_recursive(entries[k:]))
