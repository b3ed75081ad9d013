"""Tile storage: persistence, C2SP tiles and export, leaf index, journal recovery, audit."""

from __future__ import annotations

import os
import shutil

import pytest

from jiliang.core.ledger import (
    CorruptLogError,
    InclusionProofError,
    IndexOutOfRangeError,
    LeafNotFoundError,
    Log,
    MemoryTree,
    StoreError,
    audit_log,
    export_tiles,
    leaf_hash,
    verify_inclusion,
)
from jiliang.core.ledger.store import TILE_BYTES, State, journal_record, record_hashes
from jiliang.core.ledger.tree import mth_recursive, pack_entries

ORIGIN = "example.org/store"


def _entries(n: int, salt: bytes = b"e") -> list[bytes]:
    return [salt + i.to_bytes(4, "big") for i in range(n)]


def _overwrite(path, offset: int, data: bytes) -> None:
    """Alter stored bytes in place, as an attacker or a disk error would."""
    with open(path, "r+b") as handle:
        handle.seek(offset)
        handle.write(data)


@pytest.fixture
def log(tmp_path):
    with Log.create(tmp_path / "log", ORIGIN, durable=False) as opened:
        yield opened


def test_reopen_sees_committed_tree(tmp_path) -> None:
    entries = _entries(1000)
    with Log.create(tmp_path / "log", ORIGIN) as log:
        assert log.append(entries[0]) == 0
        assert log.append_many(entries[1:]) == 1
        root = log.root()
    with Log(tmp_path / "log") as again:
        assert again.size == 1000
        assert again.root() == root == MemoryTree(entries).root()
        assert again.entry(999) == entries[999]
        assert again.leaf_hash(5) == leaf_hash(entries[5])


def test_other_instance_sees_appends(tmp_path) -> None:
    with (
        Log.create(tmp_path / "log", ORIGIN, durable=False) as writer,
        Log(tmp_path / "log") as reader,
    ):
        writer.append_many(_entries(300))
        assert reader.size == 300
        reader.append(b"from the reader")
        assert writer.size == 301
        assert writer.entry(300) == b"from the reader"
        assert writer.root() == reader.root()


def test_tiles_follow_c2sp(log) -> None:
    entries = _entries(70_000)
    log.append_many(entries)
    leaves = [leaf_hash(e) for e in entries]
    tile0 = log.tile(0, 3)
    assert tile0 == b"".join(leaves[768:1024]) and len(tile0) == TILE_BYTES
    # Level 1, hash i: MTH of the i-th full level-0 tile (tlog-tiles §Merkle Tree).
    assert log.tile(1, 0)[32 * 7 : 32 * 8] == mth_recursive(entries[7 * 256 : 8 * 256])
    assert log.tile(0, 273, 112) == b"".join(leaves[273 * 256 :])
    assert log.tile(2, 0, 1) == mth_recursive(entries[:65536])
    with pytest.raises(IndexOutOfRangeError):
        log.tile(0, 273)  # only partial at this size
    with pytest.raises(IndexOutOfRangeError):
        log.tile(1, 1, 18)
    bundle = log.entry_bundle(0)
    assert bundle[:7] == b"\x00\x05" + entries[0]


def test_export_writes_static_layout(log, tmp_path) -> None:
    log.append_many(_entries(70_000))
    count = export_tiles(log, tmp_path / "www")
    tiles = sorted(
        p.relative_to(tmp_path / "www").as_posix()
        for p in (tmp_path / "www").rglob("*")
        if p.is_file()
    )
    assert count == len(tiles) == 273 + 1 + 1 + 1 + 1 + 274
    assert "tile/0/272" in tiles and "tile/0/273.p/112" in tiles
    assert "tile/1/000" in tiles and "tile/1/001.p/17" in tiles and "tile/2/000.p/1" in tiles
    assert "tile/entries/273.p/112" in tiles
    assert (tmp_path / "www/tile/0/005").read_bytes() == log.tile(0, 5)


def test_large_entries_and_bundle_limit(log) -> None:
    big = bytes(range(256)) * 1000  # 256 000 bytes: fine as an entry, too long for a bundle
    index = log.append(big)
    assert log.entry(index) == big
    with pytest.raises(StoreError, match="too long for a bundle"):
        log.entry_bundle(0, 1)


def test_index_of(log) -> None:
    entries = _entries(600)
    log.append_many(entries)
    log.append(entries[10])  # duplicate entry: index_of reports the first occurrence
    assert log.index_of(leaf_hash(entries[10])) == 10
    assert log.index_of(leaf_hash(entries[599])) == 599
    log.append(b"later")
    assert log.index_of(leaf_hash(b"later")) == 601  # the index catches up lazily
    with pytest.raises(LeafNotFoundError, match="not in the log"):
        log.index_of(leaf_hash(b"absent"))
    proof = log.inclusion_proof_for_hash(leaf_hash(entries[42]))
    assert (proof.index, proof.tree_size) == (42, 602)
    proof.verify(log.root())
    with pytest.raises(LeafNotFoundError, match="after size 600"):
        log.inclusion_proof_for_hash(leaf_hash(b"later"), 600)
    with pytest.raises(LeafNotFoundError, match="32 bytes"):
        log.index_of(b"short")


def test_bad_arguments(log, tmp_path) -> None:
    log.append_many(_entries(4))
    with pytest.raises(IndexOutOfRangeError, match=r"tree size 5 outside 0\.\.4"):
        log.root(5)
    with pytest.raises(IndexOutOfRangeError, match="not below tree size 2"):
        log.inclusion_proof(2, 2)
    with pytest.raises(IndexOutOfRangeError, match="leaf index 4"):
        log.entry(4)
    with pytest.raises(IndexOutOfRangeError, match="old size 4 is larger than new size 3"):
        log.consistency_proof(4, 3)
    with pytest.raises(TypeError, match="entry 1 is str"):
        log.append_many([b"ok", "text"])
    with pytest.raises(StoreError, match="not a jiliang log"):
        Log(tmp_path / "nowhere")
    with pytest.raises(StoreError, match="already holds a log"):
        Log.create(log.path, ORIGIN)
    assert log.size == 4  # the rejected batch left nothing behind


def test_torn_batch_is_discarded_on_open(tmp_path) -> None:
    path = tmp_path / "log"
    with Log.create(path, ORIGIN) as log:
        log.append_many(_entries(300))
        root = log.root()
    # A crash mid-batch: half a journal and bytes beyond the committed lengths.
    (path / "journal").write_bytes(b"JLJ2" + b"\x00" * 40)
    for name in ("tiles/0", "tiles/1", "nodes/0", "entries/data", "entries/offsets"):
        with open(path / name, "ab") as handle:
            handle.write(os.urandom(100))
    with Log(path) as log:
        assert (log.size, log.root()) == (300, root)
        assert not (path / "journal").exists()
        assert os.path.getsize(path / "tiles/0") == 300 * 32
        assert os.path.getsize(path / "tiles/1") == 32
        assert os.path.getsize(path / "nodes/0") == record_hashes(0) * 32  # one full tile
        assert audit_log(log).ok


def _tree_files(path) -> dict[str, bytes]:
    return {
        p.relative_to(path).as_posix(): p.read_bytes()
        for sub in ("tiles", "nodes", "entries")
        for p in sorted((path / sub).iterdir())
    }


def test_node_records_are_regenerated(tmp_path) -> None:
    """A log from before node records (no nodes/), or with a torn or lost record file, opens with
    its records recomputed from the tiles — the same bytes — and serves the same proofs."""
    path = tmp_path / "log"
    entries = _entries(70_000)
    with Log.create(path, ORIGIN) as log:
        log.append_many(entries[:40_000])
        log.append_many(entries[40_000:])
        proof = log.inclusion_proof(12_345)
    written = _tree_files(path)
    assert set(written) >= {"nodes/0", "nodes/1"}
    assert len(written["nodes/0"]) == 273 * record_hashes(0) * 32  # 273 full level-0 tiles
    assert len(written["nodes/1"]) == 1 * record_hashes(1) * 32

    shutil.rmtree(path / "nodes")  # as an older jiliang left it (it had no commits file either)
    (path / "commits").unlink()
    with Log(path) as log:
        assert _tree_files(path) == written
        assert log.inclusion_proof(12_345) == proof
        assert audit_log(log).ok

    os.truncate(path / "nodes/0", 100 * record_hashes(0) * 32 + 17)  # torn mid-record
    os.truncate(path / "nodes/1", 0)
    with Log(path) as log:
        assert _tree_files(path) == written
        assert log.inclusion_proof(12_345) == proof


def test_altered_node_record_is_found_by_the_audit(tmp_path) -> None:
    """Node records are read by proofs, so the audit checks them against the tiles."""
    path = tmp_path / "log"
    entries = _entries(1000)
    with Log.create(path, ORIGIN) as log:
        log.append_many(entries)
        root = log.root()
    # Leaf 300's sibling at height 4 is node 19 (leaves 304..319): slot 19 - 16 = 3 of the
    # record of level-0 tile 1, which holds the height-4 nodes 16..31 first.
    _overwrite(path / "nodes/0", (record_hashes(0) + 3) * 32, b"\xee" * 32)
    with Log(path) as log:
        assert log.root() == root  # the right edge (partial tiles) is intact
        with pytest.raises(InclusionProofError):
            verify_inclusion(leaf_hash(entries[300]), 300, 1000, log.inclusion_proof(300), root)
        verify_inclusion(leaf_hash(entries[100]), 100, 1000, log.inclusion_proof(100), root)
        report = audit_log(log)
    assert report.problems == ["level-0 node records and their tiles differ at index 1"]


def _crash_after_journal(path, entries: list[bytes]) -> None:
    """Leave ``path`` as a kill -9 after the journal (and the batch's entries) were written."""
    with Log(path) as log:
        store = log.store
        data, ends = pack_entries(entries, store.state.entries_bytes)
        store._write_entries(data, ends)
        (path / "journal").write_bytes(journal_record(store.state, data, ends))


def test_complete_journal_is_rolled_forward(tmp_path) -> None:
    path = tmp_path / "log"
    entries = _entries(700)
    with Log.create(path, ORIGIN) as log:
        log.append_many(entries[:300])
    # Crash after the journal, before the commit: the batch is re-applied.
    _crash_after_journal(path, entries[300:])
    with Log(path) as log:
        assert log.size == 700
        assert log.root() == MemoryTree(entries).root()
        assert not (path / "journal").exists()
        assert audit_log(log).ok


def test_journal_without_its_entries_is_dropped(tmp_path) -> None:
    """A journal whose batch bytes in entries/* are incomplete or altered does not roll forward."""
    path = tmp_path / "log"
    entries = _entries(700)
    with Log.create(path, ORIGIN) as log:
        log.append_many(entries[:300])
        root = log.root()
    _crash_after_journal(path, entries[300:])
    os.truncate(path / "entries/data", os.path.getsize(path / "entries/data") - 1)
    with Log(path) as log:
        assert (log.size, log.root()) == (300, root)
    _crash_after_journal(path, entries[300:])
    _overwrite(path / "entries/data", 5 * 300 + 7, b"\xee")  # inside entry 301
    with Log(path) as log:
        assert (log.size, log.root()) == (300, root)
        assert not (path / "journal").exists()
        assert audit_log(log).ok


def test_journal_of_a_committed_batch_is_ignored(tmp_path) -> None:
    path = tmp_path / "log"
    with Log.create(path, ORIGIN) as log:
        log.append_many(_entries(10))
        old = State(5, 25, b"\x00" * 32)
        log.append(b"x")
    data, ends = pack_entries([b"stale"], old.entries_bytes)
    (path / "journal").write_bytes(journal_record(old, data, ends))
    with Log(path) as log:
        assert log.size == 11 and log.entry(10) == b"x"


def test_lost_data_is_reported(tmp_path) -> None:
    path = tmp_path / "log"
    with Log.create(path, ORIGIN) as log:
        log.append_many(_entries(300))
    os.truncate(path / "tiles/0", 100 * 32)
    with pytest.raises(CorruptLogError, match="tiles/0 has 3200 bytes"):
        Log(path)


def test_altered_tile_hash_is_caught_on_open(tmp_path) -> None:
    path = tmp_path / "log"
    with Log.create(path, ORIGIN) as log:
        log.append_many(_entries(300))
    _overwrite(path / "tiles/0", 299 * 32, b"\xff" * 32)  # a leaf hash in the edge tile
    with pytest.raises(CorruptLogError, match="committed root"):
        Log(path)


def test_audit_finds_altered_entries_and_tiles(tmp_path) -> None:
    path = tmp_path / "log"
    with Log.create(path, ORIGIN) as log:
        log.append_many(_entries(70_000))
        assert audit_log(log).ok
    _overwrite(path / "entries/data", 5 * 1000 + 2, b"\xee")  # entry 1000 starts at 5·1000
    _overwrite(path / "tiles/1", 3 * 32, b"\xee" * 32)  # level-1 hash 3, inside a full tile
    with Log(path) as log:
        report = audit_log(log)
    assert not report.ok
    assert report.problems == [
        "entries and level-0 tile hashes differ at index 1000",
        "level-1 tile hashes and the level below differ at index 3",
        # the node record of the level-1 tile holding it no longer matches it either …
        "level-1 node records and their tiles differ at index 0",
        # … nor does the level-2 hash over that tile
        "level-2 tile hashes and the level below differ at index 0",
    ]
