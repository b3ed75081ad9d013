"""Append-only, crash-safe tile storage of a Merkle log in a directory.

The data model is C2SP tlog-tiles: the hashes at tree height ``8·L`` (``MTH`` of complete
``256^L``-leaf subtrees) form *level L*, cut into tiles of 256 hashes (8 192 bytes) plus one
partial tile of ``floor(s / 256^L) mod 256`` hashes. On disk each level is one append-only file
(``tiles/<L>``) holding its tiles back to back: tile ``N`` is bytes ``[8192·N, 8192·(N+1))`` and
the partial tile is the tail. This keeps a batch append to a handful of ``fsync`` calls instead of
one per 8 KiB tile file (≈ 4 ms each on ext4), and :meth:`TileStore.tile` / :func:`export_tiles`
give the exact ``tile/<L>/<N>[.p/<W>]`` bytes of the C2SP layout to mirrors.

The heights between tile levels are stored too, so that a proof needs no more than a few hashes:
``nodes/<L>`` holds one *record* per full tile ``N`` of level ``L`` with that tile's hashes at
heights ``8L + r``, ``r`` in :func:`record_heights` — 4..7 for level 0 (16 + 8 + 4 + 2 = 30 hashes,
960 bytes, ≈ 3.75 bytes a leaf), 1..7 above (254 hashes). The three lowest heights of level 0 are
recomputed from ≤ 8 leaf hashes when needed (they would cost 28 bytes a leaf); the heights inside
each level's partial tile are recomputed in memory from it (≤ 255 hashes) on every commit. Node
records are derived data — a pure function of ``tiles/<L>`` — so a log written before they
existed, or whose ``nodes/`` was deleted or torn, gets them regenerated on open. One record file a
level keeps the number of files a batch must ``fsync`` small (each costs a disk flush).

``tiles/*`` and ``nodes/*`` are memory-mapped up to the committed lengths (a node read is a slice,
no system call); the log itself never truncates below those lengths, and nothing else may truncate
the files of a log in use (reading a mapped page beyond the end of its file kills the reading
process with SIGBUS).

Entries are kept in ``entries/data`` with big-endian uint64 end offsets in ``entries/offsets`` (no
64 KiB limit, unlike C2SP entry bundles, which are produced on export).

Crash safety (journal, then a single atomic commit record):

1. Write the batch's entries to ``entries/*`` beyond the committed lengths.
2. ``journal`` ← old size, old and new entry bytes, the SHA-256 of the batch's entry bytes, and a
   SHA-256 trailer (100 bytes: the journal describes the batch, which is already in place).
3. Append the hashes to ``tiles/*`` and ``nodes/*`` beyond the committed lengths; fsync every
   written file.
4. ``state`` ← ``{size, entries_bytes, root}`` via write-temp, fsync, rename, fsync directory.
   This rename is the commit point.
5. Remove the journal.

On open, with the writer lock held: a complete journal that starts at the committed state and
whose batch bytes are intact in ``entries/*`` is re-applied (roll forward); otherwise the batch is
dropped. Every file is truncated to its committed length (discarding a half-written batch),
missing node records are regenerated, and the right edge of every tile level is checked against
the committed root. Readers only ever read below committed lengths.

The journal is not fsynced: it serves the roll-forward after a *process* crash (kill -9: the page
cache survives). After a power loss a batch that had not committed may be lost — allowed, since
its ``append`` had not returned — and a torn journal fails its trailer.

Other processes' commits are noticed through ``commits``, an 8-byte counter that every commit
increments after its rename (memory-mapped, so checking it costs no system call; it is a hint,
not durable data).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import mmap
import os
import struct
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from jiliang.core.ledger.errors import CorruptLogError, IndexOutOfRangeError, StoreError
from jiliang.core.ledger.proofs import Range, consistency_ranges, inclusion_ranges
from jiliang.core.ledger.tree import (
    HASH_SIZE,
    accelerator,
    hash_leaves,
    hash_pairs,
    hash_root,
    pack_entries,
    range_hash,
    tree_root,
)

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT  # 256 hashes
TILE_BYTES = TILE_WIDTH * HASH_SIZE  # 8 192 bytes
MAX_LEVELS = 8  # 256^8 = 2^64 leaves
LEAF_UNSTORED = 3  # heights 1..3 of level 0 are recomputed from ≤ 8 leaf hashes, not stored
JOURNAL_MAGIC = b"JLJ2"  # v2 describes a batch already in entries/*; v1 (a copy of it) is dropped
JOURNAL_BYTES = 4 + 4 * 8 + 2 * HASH_SIZE
STATE_FORMAT = "jiliang-ledger-state/v1"
RANGE_CACHE_SIZE = 4096  # right-edge range hashes (proof nodes that are not complete subtrees)
REBUILD_TILES = 1024  # tiles hashed per step when regenerating node records (8 MiB of hashes)
MAX_WRITE = 1 << 30  # Linux writes at most ~2 GiB per call; larger buffers go in pieces
#: The C readers of proof nodes (``None`` in pure Python): one call a proof.
_gather = getattr(accelerator(), "gather", None)
_proof = getattr(accelerator(), "proof", None)


def record_heights(level: int) -> range:
    """Heights inside a tile (1..7 above its level) that a level's node records hold."""
    return range(LEAF_UNSTORED + 1 if level == 0 else 1, TILE_HEIGHT)


def record_hashes(level: int) -> int:
    """Hashes in one node record of ``level``: 30 for level 0, 254 above."""
    return sum(TILE_WIDTH >> rest for rest in record_heights(level))


#: Where the height-``h`` nodes are (see :meth:`TileStore._describe`): the store holding the ones
#: in full tiles, ``(shift, stride, base, mask, limit, computed)``, and the partial-tile ones.
HeightLayout = tuple["mmap.mmap | None", int, int, int, int, int, int, bytes]


def _record_slot(level: int, rest: int) -> int:
    """First slot (in hashes) of height ``rest`` inside a ``nodes/<level>`` record."""
    return sum(TILE_WIDTH >> r for r in record_heights(level) if r < rest)


def tile_heights(hashes: bytes) -> list[bytes]:
    """The hashes at heights 0..8 above a run of level hashes.

    ``heights[r]`` holds the complete height-``r`` nodes; hashing a 256-aligned run up 8 times
    yields exactly the roots of its full tiles, the next level's hashes.
    """
    heights = [hashes]
    for _ in range(TILE_HEIGHT):
        heights.append(hash_pairs(heights[-1]))
    return heights


def node_records(level: int, heights: Sequence[bytes], tiles: int) -> bytes:
    """The ``nodes/<level>`` records of ``tiles`` full tiles, from their :func:`tile_heights`."""
    parts = []
    for tile in range(tiles):
        for rest in record_heights(level):
            width = (TILE_WIDTH >> rest) * HASH_SIZE
            parts.append(heights[rest][tile * width : (tile + 1) * width])
    return b"".join(parts)


@dataclass(frozen=True)
class State:
    """The committed state: everything below these lengths is durable and consistent."""

    size: int = 0
    entries_bytes: int = 0
    root: bytes = hashlib.sha256(b"").digest()

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": STATE_FORMAT,
                "size": self.size,
                "entries_bytes": self.entries_bytes,
                "root": self.root.hex(),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> State:
        try:
            raw = json.loads(text)
            if raw.get("format") != STATE_FORMAT:
                raise ValueError(f"format {raw.get('format')!r}")
            return cls(int(raw["size"]), int(raw["entries_bytes"]), bytes.fromhex(raw["root"]))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise CorruptLogError(f"unreadable state file: {exc}") from None


def level_count(size: int) -> int:
    """Number of tile levels holding at least one hash for a tree of ``size`` leaves."""
    levels = 0
    while size >> (TILE_HEIGHT * levels):
        levels += 1
    return levels


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _pwrite_all(fd: int, data: bytes, offset: int) -> None:
    """``pwrite`` all of ``data`` (one call writes at most ~2 GiB on Linux)."""
    view = memoryview(data)
    while view:
        written = os.pwrite(fd, view[:MAX_WRITE], offset)
        view = view[written:]
        offset += written


def write_atomic(path: Path, data: bytes, durable: bool) -> None:
    """Replace ``path`` atomically (temp file, rename); with ``durable``, fsync file and dir."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        if durable:
            os.fsync(handle.fileno())
    os.replace(tmp, path)
    if durable:
        _fsync_dir(path.parent)


class TileStore:
    """The files of one log directory. Not thread-safe; one instance per thread or process.

    Writers serialise on an ``flock`` of ``lock``; readers see the last committed state and pick
    up other processes' commits through :meth:`refresh`.
    """

    def __init__(self, path: Path, durable: bool = True) -> None:
        self.path = Path(path)
        self.durable = durable
        if not (self.path / "log.json").is_file():
            raise StoreError(f"{self.path} is not a jiliang log (no log.json); run init first")
        for sub in ("tiles", "nodes", "entries"):
            (self.path / sub).mkdir(exist_ok=True)
        self._lock_fd = os.open(self.path / "lock", os.O_RDWR | os.O_CREAT, 0o644)
        self._fds: dict[str, int] = {}
        self._maps: dict[str, mmap.mmap] = {}
        # Per tile level: tiles/<L> and nodes/<L> mapped to their committed lengths (None when
        # empty), the number of full tiles, and the heights 0..7 of the partial tile.
        self._tiles: list[mmap.mmap | None] = []
        self._nodes: list[mmap.mmap | None] = []
        self._full: list[int] = []
        self._edge: list[list[bytes]] = []
        # The same per height, for range_hashes (Python) and _hashbatch.gather (C).
        self._layout: list[HeightLayout] = []
        self._packed_layout: tuple[bytes, tuple[object, ...], tuple[bytes, ...]] = (b"", (), ())
        self._ranges: dict[Range, bytes] = {}
        self._commits: mmap.mmap | None = None
        self.state = State()
        with self._locked():
            self._commits = self._open_counter()
            self._seen = b""
            self._recover()

    # -- files -------------------------------------------------------------------------------

    def _fd(self, name: str) -> int:
        fd = self._fds.get(name)
        if fd is None:
            fd = os.open(self.path / name, os.O_RDWR | os.O_CREAT, 0o644)
            self._fds[name] = fd
        return fd

    def close(self) -> None:
        for mapped in self._maps.values():
            mapped.close()
        self._maps.clear()
        self._tiles, self._nodes = [], []
        if self._commits is not None:
            self._commits.close()
            self._commits = None
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()
        if self._lock_fd >= 0:
            os.close(self._lock_fd)
            self._lock_fd = -1

    def __enter__(self) -> TileStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def _read(self, name: str, offset: int, length: int) -> bytes:
        data = os.pread(self._fd(name), length, offset)
        if len(data) != length:
            raise CorruptLogError(f"{name} is shorter than the committed state requires")
        return data

    def _fsync(self, names: Sequence[str]) -> None:
        if self.durable:
            for name in names:
                os.fsync(self._fd(name))

    def _map(self, name: str, length: int) -> mmap.mmap | None:
        """Read-only map of the first ``length`` bytes of ``name`` (kept while the length holds)."""
        mapped = self._maps.get(name)
        if mapped is not None and len(mapped) == length:
            return mapped
        if mapped is not None:
            mapped.close()
            del self._maps[name]
        if length == 0:
            return None
        if os.fstat(self._fd(name)).st_size < length:
            raise CorruptLogError(f"{name} is shorter than the committed state requires")
        mapped = self._maps[name] = mmap.mmap(self._fd(name), length, access=mmap.ACCESS_READ)
        return mapped

    def _open_counter(self) -> mmap.mmap:
        """The shared ``commits`` counter (created on first use; called with the lock held)."""
        fd = self._fd("commits")
        if os.fstat(fd).st_size < 8:
            os.ftruncate(fd, 8)
        return mmap.mmap(fd, 8)

    # -- committed state ---------------------------------------------------------------------

    def refresh(self) -> None:
        """Pick up appends committed by other processes (one 8-byte compare when there are none).

        The counter is read before the state file and bumped after a commit's rename, so a
        reader that sees the counter of a commit reads that commit's state (or a later one).
        """
        if self._commits is None:
            raise StoreError(f"the log at {self.path} is closed")
        seen = self._commits[:8]
        if seen == self._seen:
            return
        self._seen = seen
        state = self._read_state()
        if state != self.state:
            self._adopt(state)

    def _bump(self) -> None:
        """Tell the :meth:`refresh` of other processes that ``state`` changed (lock held)."""
        count = int.from_bytes(self._commits[:8], "little") + 1
        self._commits[:8] = (count % 2**64).to_bytes(8, "little")

    def _read_state(self) -> State:
        path = self.path / "state"
        return State.from_json(path.read_text()) if path.exists() else State()

    def _load_state(self) -> None:
        self._seen = self._commits[:8]
        self._adopt(self._read_state())

    def _adopt(self, state: State) -> None:
        """Make ``state`` the visible tree: map the files, recompute the partial tiles' heights.

        The partial tiles come from ``tiles/*`` (primary data), and every subtree in the root's
        fold lies in one of them, so the root computed right after this checks the tiles.
        """
        self.state = state
        tiles_maps, nodes_maps, full, edge = [], [], [], []
        for level in range(level_count(state.size)):
            count = state.size >> (TILE_HEIGHT * level)
            tiles = count >> TILE_HEIGHT
            tiles_maps.append(self._map(f"tiles/{level}", count * HASH_SIZE))
            nodes_maps.append(self._map(f"nodes/{level}", tiles * record_hashes(level) * HASH_SIZE))
            full.append(tiles)
            tail = tiles_maps[-1][tiles * TILE_BYTES :]  # type: ignore[index]
            edge.append(tile_heights(tail)[:TILE_HEIGHT])
        self._tiles, self._nodes, self._full, self._edge = tiles_maps, nodes_maps, full, edge
        self._layout = [self._describe(height) for height in range(state.size.bit_length())]
        self._packed_layout = (
            array("q", [v for entry in self._layout for v in entry[1:7]]).tobytes(),
            tuple(entry[0] for entry in self._layout),
            tuple(entry[7] for entry in self._layout),
        )

    def _describe(self, height: int) -> HeightLayout:
        """Where the complete height-``height`` nodes of the adopted tree are.

        Node ``i`` at or beyond ``limit`` is in the level's partial tile (``edge``, in memory);
        below, in the level's full tiles: recomputed from the ``2^computed`` level-0 hashes under
        it when ``computed``, else 32 bytes at ``(i >> shift)·stride + base + 32·(i & mask)`` of
        the store (``tiles/<L>`` at a tile height, ``nodes/<L>`` records between).
        """
        level, rest = divmod(height, TILE_HEIGHT)
        limit = self._full[level] << (TILE_HEIGHT - rest)
        edge = self._edge[level][rest]
        tiles = self._tiles[level]
        if rest == 0:
            return (tiles, TILE_HEIGHT, TILE_BYTES, 0, TILE_WIDTH - 1, limit, 0, edge)
        if rest not in record_heights(level):
            return (tiles, 0, 0, 0, 0, limit, rest, edge)
        stride = record_hashes(level) * HASH_SIZE
        base = _record_slot(level, rest) * HASH_SIZE
        mask = (TILE_WIDTH >> rest) - 1
        return (self._nodes[level], TILE_HEIGHT - rest, stride, base, mask, limit, 0, edge)

    def _commit(self, state: State) -> None:
        write_atomic(self.path / "state", state.to_json().encode(), self.durable)
        self._bump()
        self._load_state()

    # -- recovery ----------------------------------------------------------------------------

    def _recover(self) -> None:
        self.state = self._read_state()
        batch = self._journaled_batch()  # read before the truncation below drops it
        self._truncate_to_state()
        self._rebuild_nodes()
        self._load_state()
        if batch is not None:
            self._write_entries(*batch)
            self._apply(*batch)
        journal = self.path / "journal"
        if journal.exists():
            journal.unlink()
            if self.durable:
                _fsync_dir(self.path)
        # A writer killed between its commit and its counter bump: make sure readers notice.
        self._bump()
        computed = tree_root(self.node, self.state.size)
        if computed != self.state.root:
            raise CorruptLogError(
                f"stored tiles give root {computed.hex()} for size {self.state.size}, "
                f"but the committed root is {self.state.root.hex()}"
            )

    def _journaled_batch(self) -> tuple[bytes, bytes] | None:
        """``(data, ends)`` of the batch a complete journal describes, if it can roll forward.

        It can when the journal starts at the committed state and the bytes beyond the committed
        lengths of ``entries/*`` are exactly the batch (same SHA-256); anything else — a torn or
        foreign journal, one from an earlier version, lost or partly written entry bytes — drops
        the batch, which had not committed.
        """
        path = self.path / "journal"
        if not path.exists():
            return None
        record = _read_journal(path.read_bytes())
        if record is None:
            return None
        old_size, old_bytes, count, new_bytes, digest = record
        if (old_size, old_bytes) != (self.state.size, self.state.entries_bytes):
            return None
        ends = os.pread(self._fd("entries/offsets"), count * 8, old_size * 8)
        data = os.pread(self._fd("entries/data"), new_bytes - old_bytes, old_bytes)
        if len(ends) != count * 8 or len(data) != new_bytes - old_bytes:
            return None
        if _batch_digest(data, ends) != digest:
            return None
        return data, ends

    def _truncate_to_state(self) -> None:
        """Drop anything written beyond the committed lengths (a batch that did not commit)."""
        size = self.state.size
        lengths = {"entries/offsets": size * 8, "entries/data": self.state.entries_bytes}
        for level in range(MAX_LEVELS):
            count = size >> (TILE_HEIGHT * level)
            if count or (self.path / f"tiles/{level}").exists():
                lengths[f"tiles/{level}"] = count * HASH_SIZE
        for name, length in lengths.items():
            actual = os.fstat(self._fd(name)).st_size
            if actual < length:
                raise CorruptLogError(f"{name} has {actual} bytes, committed state needs {length}")
            if actual > length:
                os.ftruncate(self._fd(name), length)
        self._fsync(list(lengths))

    def _rebuild_nodes(self) -> None:
        """Bring every ``nodes/<L>`` to the committed number of full tiles.

        Longer files lose the records of a batch that did not commit; shorter ones (a log written
        before node records existed, a deleted or torn file) get the missing records recomputed
        from ``tiles/<L>``, :data:`REBUILD_TILES` tiles at a time.
        """
        size = self.state.size
        touched = []
        for level in range(MAX_LEVELS):
            name = f"nodes/{level}"
            tiles = (size >> (TILE_HEIGHT * level)) >> TILE_HEIGHT
            if not tiles and not (self.path / name).exists():
                continue
            record = record_hashes(level) * HASH_SIZE
            fd = self._fd(name)
            actual = os.fstat(fd).st_size
            have = min(actual // record, tiles)
            if actual != have * record:
                os.ftruncate(fd, have * record)
                touched.append(name)
            for first in range(have, tiles, REBUILD_TILES):
                last = min(tiles, first + REBUILD_TILES)
                raw = self._read(f"tiles/{level}", first * TILE_BYTES, (last - first) * TILE_BYTES)
                records = node_records(level, tile_heights(raw), last - first)
                _pwrite_all(fd, records, first * record)
                touched.append(name)
        self._fsync(sorted(set(touched)))

    # -- appends -----------------------------------------------------------------------------

    def append(self, entries: Sequence[bytes]) -> int:
        """Durably append a batch; returns the index of its first entry."""
        with self._locked():
            self.refresh()
            first = self.state.size
            if not entries:
                return first
            data, ends = pack_entries(entries, self.state.entries_bytes)
            self._write_entries(data, ends)
            journal = self.path / "journal"
            fd = os.open(journal, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            try:
                os.write(fd, journal_record(self.state, data, ends))
            finally:
                os.close(fd)
            self._apply(data, ends)
            journal.unlink()
            return first

    def _write_entries(self, data: bytes, ends: bytes) -> None:
        """Write a packed batch's entries beyond the committed lengths (not yet durable)."""
        _pwrite_all(self._fd("entries/data"), data, self.state.entries_bytes)
        _pwrite_all(self._fd("entries/offsets"), ends, self.state.size * 8)

    def _apply(self, data: bytes, ends: bytes) -> None:
        """Hash a batch whose entries are written, write the hashes, fsync all, and commit."""
        state = self.state
        touched = ["entries/data", "entries/offsets"]
        fresh = hash_leaves(data, ends, state.entries_bytes)  # new level-L hashes
        level = 0
        while fresh:
            count = state.size >> (TILE_HEIGHT * level)
            tiles = count >> TILE_HEIGHT
            name = f"tiles/{level}"
            _pwrite_all(self._fd(name), fresh, count * HASH_SIZE)
            touched.append(name)
            # From the start of the old partial tile: its hashes, then the new ones.
            combined = (self._edge[level][0] if level < len(self._edge) else b"") + fresh
            done = len(combined) // TILE_BYTES
            heights = tile_heights(combined[: done * TILE_BYTES])
            if done:
                name = f"nodes/{level}"
                records = node_records(level, heights, done)
                _pwrite_all(self._fd(name), records, tiles * record_hashes(level) * HASH_SIZE)
                touched.append(name)
            fresh = heights[TILE_HEIGHT]
            level += 1
        self._fsync(touched)
        size = state.size + len(ends) // 8
        end = int.from_bytes(ends[-8:], "big")
        try:
            # The new tree, provisionally (uncommitted), only to compute its root for the commit.
            self._adopt(State(size, end, state.root))
            self._commit(State(size, end, tree_root(self.node, size)))
        except BaseException:
            self._load_state()
            raise

    # -- reads -------------------------------------------------------------------------------

    @property
    def size(self) -> int:
        return self.state.size

    def node(self, height: int, index: int) -> bytes:
        """Hash of the complete subtree ``D[index·2^height : (index+1)·2^height]``."""
        if (index + 1) << height > self.state.size or index < 0 or height < 0:
            raise IndexOutOfRangeError(
                f"subtree ({height}, {index}) is not complete in a tree of size {self.state.size}"
            )
        return self.range_hashes(((index << height, (index + 1) << height),))[0]

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """RFC 9162 ``PATH(index, D[0:size])`` (arguments checked by the caller)."""
        if _proof is not None:  # the same ranges and reads, in one C call
            return _proof(0, index, size, *self._packed_layout)
        return self.range_hashes(inclusion_ranges(index, size))

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        """RFC 9162 ``PROOF(old_size, D[0:new_size])`` (arguments checked by the caller)."""
        if _proof is not None:
            return _proof(1, old_size, new_size, *self._packed_layout)
        return self.range_hashes(consistency_ranges(old_size, new_size))

    def range_hashes(self, ranges: Sequence[Range]) -> list[bytes]:
        """``MTH(D[start:end])`` for each range a proof asks for (:mod:`.proofs`); no checks.

        A complete subtree is a slice of a mapped tile or node record, of a partial tile's
        heights, or (heights 1–3) ≤ 8 leaf hashes hashed up; other ranges (they end at a tree
        size, on the right edge) are folded from their complete subtrees. With the C extension
        the whole list is read in one call (``_hashbatch.gather``, from the same layout);
        otherwise folded ranges are cached, committed subtrees never changing.
        """
        if _gather is not None:
            return _gather(ranges, *self._packed_layout)
        layout = self._layout
        out = []
        for start, end in ranges:
            width = end - start
            if width & (width - 1):
                out.append(self._folded(start, end))
                continue
            height = width.bit_length() - 1
            store, shift, stride, base, mask, limit, computed, edge = layout[height]
            index = start >> height
            if index >= limit:
                at = (index - limit) * HASH_SIZE
                out.append(edge[at : at + HASH_SIZE])
            elif computed:
                at = start * HASH_SIZE
                out.append(hash_root(store[at : at + (HASH_SIZE << computed)]))  # type: ignore[index]
            else:
                at = (index >> shift) * stride + base + (index & mask) * HASH_SIZE
                out.append(store[at : at + HASH_SIZE])  # type: ignore[index]
        return out

    def _folded(self, start: int, end: int) -> bytes:
        """``MTH(D[start:end])`` of a range that is not one complete subtree (cached)."""
        value = self._ranges.get((start, end))
        if value is None:
            value = range_hash(self.node, start, end)
            if len(self._ranges) >= RANGE_CACHE_SIZE:
                self._ranges.clear()
            self._ranges[(start, end)] = value
        return value

    def hash_bytes(self, level: int, start: int, end: int) -> bytes:
        """Stored level-``level`` hashes ``start..end-1``, concatenated (tile level, not height)."""
        count = self.state.size >> (TILE_HEIGHT * level)
        if not 0 <= start <= end <= count:
            raise IndexOutOfRangeError(f"level-{level} hashes {start}..{end} outside 0..{count}")
        if start == end:
            return b""
        return self._tiles[level][start * HASH_SIZE : end * HASH_SIZE]  # type: ignore[index]

    def hashes(self, level: int, start: int, end: int) -> list[bytes]:
        """Stored level-``level`` hashes ``start..end-1`` (tile level, not tree height)."""
        raw = self.hash_bytes(level, start, end)
        return [raw[i : i + HASH_SIZE] for i in range(0, len(raw), HASH_SIZE)]

    def record_bytes(self, level: int, start: int, end: int) -> bytes:
        """Stored ``nodes/<level>`` records of full tiles ``start..end-1`` (for the audit)."""
        tiles = self._full[level] if level < len(self._full) else 0
        if not 0 <= start <= end <= tiles:
            raise IndexOutOfRangeError(
                f"level-{level} node records {start}..{end} outside 0..{tiles}"
            )
        record = record_hashes(level) * HASH_SIZE
        mapped = self._nodes[level] if start < end else None
        return mapped[start * record : end * record] if mapped is not None else b""

    def leaf_hashes(self, start: int, end: int) -> list[bytes]:
        """Leaf hashes ``start..end-1`` in one read."""
        return self.hashes(0, start, end)

    def packed_entries(self, start: int, end: int) -> tuple[bytes, bytes, int]:
        """Entries ``start..end-1`` as stored: ``(data, big-endian end offsets, data start)``."""
        if not 0 <= start <= end <= self.state.size:
            raise IndexOutOfRangeError(f"entries {start}..{end} outside 0..{self.state.size}")
        if start == end:
            return b"", b"", 0
        first = (
            0
            if start == 0
            else struct.unpack(">Q", self._read("entries/offsets", start * 8 - 8, 8))[0]
        )
        ends = self._read("entries/offsets", start * 8, (end - start) * 8)
        last = int.from_bytes(ends[-8:], "big")
        return self._read("entries/data", first, last - first), ends, first

    def entries(self, start: int, end: int) -> list[bytes]:
        """Entries ``start..end-1`` in two reads."""
        data, ends, first = self.packed_entries(start, end)
        bounds = [0, *(e - first for e in struct.unpack(f">{end - start}Q", ends))]
        return [data[bounds[i] : bounds[i + 1]] for i in range(end - start)]

    def tile(self, level: int, index: int, width: int | None = None) -> bytes:
        """C2SP ``tile/<level>/<index>[.p/<width>]`` bytes, for mirrors and static export."""
        if level < 0 or index < 0:  # a negative level would be a negative shift (ValueError)
            raise IndexOutOfRangeError(f"tile {level}/{index}: level and index must be ≥ 0")
        count = self.state.size >> (TILE_HEIGHT * level)
        available = min(TILE_WIDTH, count - index * TILE_WIDTH)
        want = TILE_WIDTH if width is None else width
        if not 1 <= want <= TILE_WIDTH or available < want or index < 0:
            raise IndexOutOfRangeError(
                f"tile {level}/{index} of width {want} does not exist at size {self.state.size}"
            )
        return self.hash_bytes(level, index * TILE_WIDTH, index * TILE_WIDTH + want)


def _batch_digest(data: bytes, ends: bytes) -> bytes:
    digest = hashlib.sha256(ends)
    digest.update(data)
    return digest.digest()


def journal_record(state: State, data: bytes, ends: bytes) -> bytes:
    """The journal of a packed batch appended to ``state`` (written once its entries are).

    ``JLJ2``, big-endian uint64 old size, old entry bytes, entry count and new entry bytes, the
    SHA-256 of the batch's end offsets and data, then the SHA-256 of all that (a torn journal
    fails it). The batch itself is not copied: it is in ``entries/*`` beyond the committed
    lengths, which is where :meth:`TileStore._journaled_batch` checks it against the digest.
    """
    new_bytes = int.from_bytes(ends[-8:], "big") if ends else state.entries_bytes
    body = (
        JOURNAL_MAGIC
        + struct.pack(">QQQQ", state.size, state.entries_bytes, len(ends) // 8, new_bytes)
        + _batch_digest(data, ends)
    )
    return body + hashlib.sha256(body).digest()


def _read_journal(record: bytes) -> tuple[int, int, int, int, bytes] | None:
    """``(old size, old entry bytes, count, new entry bytes, batch digest)``; ``None`` when the
    journal is torn, foreign or from an earlier version."""
    if len(record) != JOURNAL_BYTES or not record.startswith(JOURNAL_MAGIC):
        return None
    body, check = record[:-HASH_SIZE], record[-HASH_SIZE:]
    if hashlib.sha256(body).digest() != check:
        return None
    old_size, old_bytes, count, new_bytes = struct.unpack(">QQQQ", body[4:36])
    if new_bytes < old_bytes:
        return None
    return old_size, old_bytes, count, new_bytes, body[36:]
