"""Append-only, crash-safe tile storage of a Merkle log in a directory.

The data model is C2SP tlog-tiles: the hashes at tree height ``8·L`` (``MTH`` of complete
``256^L``-leaf subtrees) form *level L*, cut into tiles of 256 hashes (8 192 bytes) plus one
partial tile of ``floor(s / 256^L) mod 256`` hashes. Every level-``L`` hash is stored once, and the
heights between are recomputed from one tile (≤ 255 hashes) and kept in an LRU of expanded tiles,
so any complete subtree costs at most one tile read and a proof O(log n) reads.

On disk each level is one append-only file (``tiles/<L>``) holding its tiles back to back: tile
``N`` is bytes ``[8192·N, 8192·(N+1))`` and the partial tile is the tail. This keeps a batch append
to a handful of ``fsync`` calls instead of one per 8 KiB tile file (≈ 4 ms each on ext4), and
:meth:`TileStore.tile` / :func:`export_tiles` give the exact ``tile/<L>/<N>[.p/<W>]`` bytes of the
C2SP layout to mirrors. Entries are kept in ``entries/data`` with big-endian uint64 end offsets in
``entries/offsets`` (no 64 KiB limit, unlike C2SP entry bundles, which are produced on export).

Crash safety (write-ahead journal, then a single atomic commit record):

1. ``journal`` ← old size, old entry bytes, and the whole batch, with a SHA-256 trailer; fsync.
2. Append to ``entries/*`` and ``tiles/*`` beyond the committed lengths; fsync each file.
3. ``state`` ← ``{size, entries_bytes, root}`` via write-temp, fsync, rename, fsync directory.
   This rename is the commit point.
4. Remove the journal.

On open, with the writer lock held: a complete journal whose old size equals the committed size is
re-applied (roll forward); a torn journal is dropped; then every file is truncated to the
committed length (discarding a half-written batch), and the right edge is checked against the
committed root. Readers only ever read below committed lengths.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import struct
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

from jiliang.core.ledger.errors import CorruptLogError, IndexOutOfRangeError, StoreError
from jiliang.core.ledger.tree import (
    HASH_SIZE,
    hash_level,
    leaf_hashes,
    tree_root,
)

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT  # 256 hashes
TILE_BYTES = TILE_WIDTH * HASH_SIZE  # 8 192 bytes
JOURNAL_MAGIC = b"JLJ1"
STATE_FORMAT = "jiliang-ledger-state/v1"
RECENT_NS = 1_000_000_000
TILE_CACHE_SIZE = 8192  # expanded tiles (~40 KiB each in Python objects): ≤ ~330 MiB


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


def _expand(hashes: Sequence[bytes]) -> list[list[bytes]]:
    """All complete heights 0..8 inside one tile: ``levels[r][j]``."""
    levels = [list(hashes)]
    for _ in range(TILE_HEIGHT):
        levels.append(hash_level(levels[-1]))
    return levels


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
        (self.path / "tiles").mkdir(exist_ok=True)
        (self.path / "entries").mkdir(exist_ok=True)
        self._lock_fd = os.open(self.path / "lock", os.O_RDWR | os.O_CREAT, 0o644)
        self._state_path = os.fspath(self.path / "state")  # a str: stat() on every read call
        self._fds: dict[str, int] = {}
        self._cache: dict[tuple[int, int], list[list[bytes]]] = {}
        self._edge_cache: dict[tuple[int, int], list[list[bytes]]] = {}
        self._stamp: tuple[int, int] | None = None
        self.state = State()
        self.edge: list[list[bytes]] = []
        with self._locked():
            self._recover()

    # -- files -------------------------------------------------------------------------------

    def _fd(self, name: str) -> int:
        fd = self._fds.get(name)
        if fd is None:
            fd = os.open(self.path / name, os.O_RDWR | os.O_CREAT, 0o644)
            self._fds[name] = fd
        return fd

    def close(self) -> None:
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

    # -- committed state ---------------------------------------------------------------------

    def _state_stamp(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self._state_path)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def refresh(self) -> None:
        """Pick up appends committed by other processes (one ``stat`` when nothing changed).

        Each commit renames a new file over ``state``, so its inode changes; but inodes are
        reused and file-system timestamps can be coarse (a few ms), so a state file written in
        the last second is re-read regardless.
        """
        stamp = self._state_stamp()
        recent = stamp is not None and time.time_ns() - stamp[1] < RECENT_NS
        if stamp == self._stamp and not recent:
            return
        self._stamp = stamp
        state = self._read_state()
        if state != self.state:
            self._load_edges(state)

    def _read_state(self) -> State:
        path = self.path / "state"
        return State.from_json(path.read_text()) if path.exists() else State()

    def _load_state(self) -> None:
        self._stamp = self._state_stamp()
        self._load_edges(self._read_state())

    def _load_edges(self, state: State) -> None:
        """Adopt ``state`` and read the partial (right-edge) tile of every level."""
        self.state = state
        self._edge_cache.clear()
        self.edge = []
        size = state.size
        for level in range(level_count(size)):
            count = size >> (TILE_HEIGHT * level)
            width = count % TILE_WIDTH
            tail = self._read(f"tiles/{level}", (count - width) * HASH_SIZE, width * HASH_SIZE)
            self.edge.append([tail[i : i + HASH_SIZE] for i in range(0, len(tail), HASH_SIZE)])

    def _commit(self, state: State) -> None:
        write_atomic(self.path / "state", state.to_json().encode(), self.durable)
        self._load_state()

    # -- recovery ----------------------------------------------------------------------------

    def _recover(self) -> None:
        self.state = self._read_state()
        self._truncate_to_state()
        self._load_state()
        journal = self.path / "journal"
        if journal.exists():
            batch = _read_journal(journal.read_bytes())
            if batch is not None and batch[0] == self.state.size:
                self._apply(batch[1])
            journal.unlink()
            if self.durable:
                _fsync_dir(self.path)
        computed = tree_root(self.node, self.state.size)
        if computed != self.state.root:
            raise CorruptLogError(
                f"stored tiles give root {computed.hex()} for size {self.state.size}, "
                f"but the committed root is {self.state.root.hex()}"
            )

    def _truncate_to_state(self) -> None:
        """Drop anything written beyond the committed lengths (a batch that did not commit)."""
        size = self.state.size
        lengths = {"entries/offsets": size * 8, "entries/data": self.state.entries_bytes}
        for level in range(64):
            name = f"tiles/{level}"
            if not (self.path / name).exists():
                break
            lengths[name] = (size >> (TILE_HEIGHT * level)) * HASH_SIZE
        for name, length in lengths.items():
            actual = os.fstat(self._fd(name)).st_size
            if actual < length:
                raise CorruptLogError(f"{name} has {actual} bytes, committed state needs {length}")
            if actual > length:
                os.ftruncate(self._fd(name), length)
        self._fsync(list(lengths))

    # -- appends -----------------------------------------------------------------------------

    def append(self, entries: Sequence[bytes]) -> int:
        """Durably append a batch; returns the index of its first entry."""
        with self._locked():
            self.refresh()
            first = self.state.size
            if not entries:
                return first
            try:
                record = _journal_bytes(self.state, entries)
            except TypeError:
                # Only on the error path: name the first entry that is not bytes.
                bad = next(i for i, e in enumerate(entries) if not isinstance(e, bytes | bytearray))
                raise TypeError(
                    f"entry {bad} is {type(entries[bad]).__name__}, not bytes"
                ) from None
            journal = self.path / "journal"
            write_atomic(journal, record, self.durable)
            self._apply(entries)
            journal.unlink()
            return first

    def _apply(self, entries: Sequence[bytes]) -> None:
        state = self.state
        offsets = list(accumulate((len(e) for e in entries), initial=state.entries_bytes))[1:]
        os.pwrite(self._fd("entries/data"), b"".join(entries), state.entries_bytes)
        packed = struct.pack(f">{len(offsets)}Q", *offsets)
        os.pwrite(self._fd("entries/offsets"), packed, state.size * 8)
        touched = ["entries/data", "entries/offsets"]
        edge = [list(level) for level in self.edge]
        pending = leaf_hashes(entries)
        level = 0
        while pending:
            name = f"tiles/{level}"
            stored = (state.size >> (TILE_HEIGHT * level)) * HASH_SIZE
            os.pwrite(self._fd(name), b"".join(pending), stored)
            touched.append(name)
            if level == len(edge):
                edge.append([])
            combined = edge[level] + pending
            full = len(combined) - len(combined) % TILE_WIDTH
            # A 256-aligned run hashed up 8 times yields exactly the roots of its full tiles.
            roots = combined[:full]
            for _ in range(TILE_HEIGHT):
                roots = hash_level(roots)
            edge[level] = combined[full:]
            pending = roots
            level += 1
        self._fsync(touched)
        size = state.size + len(entries)
        # Provisional in-memory view of the new tree, only to compute its root for the commit.
        self.edge = edge
        self._edge_cache.clear()
        self.state = State(size, offsets[-1], state.root)
        try:
            self._commit(State(size, offsets[-1], tree_root(self.node, size)))
        except BaseException:
            self._load_state()
            raise

    # -- reads -------------------------------------------------------------------------------

    @property
    def size(self) -> int:
        return self.state.size

    def _tile_levels(self, level: int, index: int) -> list[list[bytes]]:
        """Expanded tile (full ones cached, the partial right-edge one per commit)."""
        key = (level, index)
        tile = self._cache.get(key)
        if tile is not None:
            return tile
        count = self.state.size >> (TILE_HEIGHT * level)
        if (index + 1) * TILE_WIDTH <= count:
            raw = self._read(f"tiles/{level}", index * TILE_BYTES, TILE_BYTES)
            tile = _expand([raw[i : i + HASH_SIZE] for i in range(0, TILE_BYTES, HASH_SIZE)])
            self._cache[key] = tile
            if len(self._cache) > TILE_CACHE_SIZE:
                # FIFO eviction: a plain dict lookup is what keeps warm proofs fast.
                del self._cache[next(iter(self._cache))]
            return tile
        if index * TILE_WIDTH < count:
            tile = self._edge_cache.get(key)
            if tile is None:
                tile = self._edge_cache[key] = _expand(self.edge[level])
            return tile
        raise IndexOutOfRangeError(f"tile {level}/{index} is beyond tree size {self.state.size}")

    def node(self, height: int, index: int) -> bytes:
        """Hash of the complete subtree ``D[index·2^height : (index+1)·2^height]``."""
        if (index + 1) << height > self.state.size or index < 0 or height < 0:
            raise IndexOutOfRangeError(
                f"subtree ({height}, {index}) is not complete in a tree of size {self.state.size}"
            )
        level, rest = height >> 3, height & 7  # tile level and height inside the tile (8 = 2^3)
        tile_index = (index << rest) >> TILE_HEIGHT
        tile = self._cache.get((level, tile_index)) or self._tile_levels(level, tile_index)
        return tile[rest][index - (tile_index << (TILE_HEIGHT - rest))]

    def hashes(self, level: int, start: int, end: int) -> list[bytes]:
        """Stored level-``level`` hashes ``start..end-1`` (tile level, not tree height)."""
        count = self.state.size >> (TILE_HEIGHT * level)
        if not 0 <= start <= end <= count:
            raise IndexOutOfRangeError(f"level-{level} hashes {start}..{end} outside 0..{count}")
        raw = self._read(f"tiles/{level}", start * HASH_SIZE, (end - start) * HASH_SIZE)
        return [raw[i : i + HASH_SIZE] for i in range(0, len(raw), HASH_SIZE)]

    def leaf_hashes(self, start: int, end: int) -> list[bytes]:
        """Leaf hashes ``start..end-1`` in one read."""
        return self.hashes(0, start, end)

    def entries(self, start: int, end: int) -> list[bytes]:
        """Entries ``start..end-1`` in two reads."""
        if not 0 <= start <= end <= self.state.size:
            raise IndexOutOfRangeError(f"entries {start}..{end} outside 0..{self.state.size}")
        if start == end:
            return []
        first = (
            0
            if start == 0
            else struct.unpack(">Q", self._read("entries/offsets", start * 8 - 8, 8))[0]
        )
        raw = self._read("entries/offsets", start * 8, (end - start) * 8)
        ends = struct.unpack(f">{end - start}Q", raw)
        data = self._read("entries/data", first, ends[-1] - first)
        bounds = [0, *(e - first for e in ends)]
        return [data[bounds[i] : bounds[i + 1]] for i in range(end - start)]

    def tile(self, level: int, index: int, width: int | None = None) -> bytes:
        """C2SP ``tile/<level>/<index>[.p/<width>]`` bytes, for mirrors and static export."""
        count = self.state.size >> (TILE_HEIGHT * level)
        available = min(TILE_WIDTH, count - index * TILE_WIDTH)
        want = TILE_WIDTH if width is None else width
        if not 1 <= want <= TILE_WIDTH or available < want or index < 0:
            raise IndexOutOfRangeError(
                f"tile {level}/{index} of width {want} does not exist at size {self.state.size}"
            )
        return self._read(f"tiles/{level}", index * TILE_BYTES, want * HASH_SIZE)


def _journal_bytes(state: State, entries: Sequence[bytes]) -> bytes:
    header = JOURNAL_MAGIC + struct.pack(">QQQ", state.size, state.entries_bytes, len(entries))
    lengths = struct.pack(f">{len(entries)}I", *(len(e) for e in entries))
    body = header + lengths + b"".join(entries)
    return body + hashlib.sha256(body).digest()


def _read_journal(data: bytes) -> tuple[int, list[bytes]] | None:
    """``(old size, entries)`` of a complete journal; ``None`` when it is torn or foreign."""
    if len(data) < 60 or not data.startswith(JOURNAL_MAGIC):
        return None
    body, digest = data[:-32], data[-32:]
    if hashlib.sha256(body).digest() != digest:
        return None
    old_size, _, count = struct.unpack(">QQQ", body[4:28])
    lengths = struct.unpack(f">{count}I", body[28 : 28 + 4 * count])
    bounds = list(accumulate(lengths, initial=28 + 4 * count))
    return old_size, [body[bounds[i] : bounds[i + 1]] for i in range(count)]
