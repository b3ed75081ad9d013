"""The C batch hasher (``_hashbatch``) against hashlib, and the store with and without it.

Every available SHA-256 compression (``portable`` C, ``sha-ni`` where the CPU has it, and the
hashlib fallback) must give the same leaf and node hashes — on the RFC 6962 test leaves, whose
roots are published, and on random batches — and the same errors for bad input. The store must
write byte-identical files and serve identical proofs whichever path it runs, and
``JILIANG_LEDGER_PURE=1`` must force the fallback.
"""

from __future__ import annotations

import hashlib
import os
import random
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from tests.reference.test_rfc9162_vectors import LEAVES, ROOTS

from jiliang.core.ledger import Log, MemoryTree, consistency_proof, inclusion_proof, tree
from jiliang.core.ledger import store as store_module
from jiliang.core.ledger.proofs import consistency_ranges, inclusion_ranges

C = tree.accelerator()

# transparency-dev/merkle testonly/constants.go (commit 417fb0c3): LeafInputs() — the RFC 6962
# test leaves — and RootHashes(), MTH(D[:n]) for n = 0..8, kept once in tests/reference/.
CT_LEAVES, CT_ROOTS = LEAVES, ROOTS

IMPLEMENTATIONS = ["python", *(C.available() if C is not None else ())]


@pytest.fixture(params=IMPLEMENTATIONS)
def hasher(request: pytest.FixtureRequest) -> Iterator[SimpleNamespace]:
    """The four batch functions of one implementation (C ones switched with ``use``)."""
    if request.param == "python":
        yield SimpleNamespace(
            pack=tree.py_pack_entries,
            leaves=tree.py_hash_leaves,
            pairs=tree.py_hash_pairs,
            root=tree.py_hash_root,
        )
        return
    assert C is not None
    previous = C.use(request.param)
    try:
        assert C.implementation() == request.param
        yield SimpleNamespace(
            pack=C.pack_entries, leaves=C.hash_leaves, pairs=C.hash_pairs, root=C.hash_root
        )
    finally:
        C.use(previous)


def _hashlib_leaf(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def _hashlib_node(pair: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + pair).digest()


def _root(hasher: SimpleNamespace, entries: list[bytes]) -> bytes:
    """``MTH`` of the entries with the batch functions only (RFC 9162 split at powers of two)."""
    if not entries:
        return hashlib.sha256(b"").digest()
    leaves = hasher.leaves(*hasher.pack(entries))
    n = len(entries)
    k = 1 << (n.bit_length() - 1)
    left = hasher.root(leaves[: 32 * k])
    if k == n:
        return left
    return hasher.pairs(left + _root(hasher, entries[k:]))


def test_rfc6962_roots(hasher: SimpleNamespace) -> None:
    assert [_root(hasher, CT_LEAVES[:n]).hex() for n in range(9)] == CT_ROOTS


@pytest.mark.parametrize("seed", range(4))
def test_random_batches_match_hashlib(hasher: SimpleNamespace, seed: int) -> None:
    """Lengths around the SHA-256 block edges (55/56/63/64 bytes), runs of equal lengths (the C
    code hashes those two at a time) and a start offset (``ends`` count from the log's bytes)."""
    rng = random.Random(seed)
    edges = [0, 1, 31, 32, 54, 55, 56, 62, 63, 64, 65, 118, 119, 127, 128, 129, 1000, 70_000]
    for _ in range(30):
        lengths = [rng.choice(edges) for _ in range(rng.randrange(0, 12))]
        if rng.random() < 0.5:
            lengths = lengths[:1] * len(lengths)
        entries = [rng.randbytes(length) for length in lengths]
        start = rng.randrange(0, 10**12)
        data, ends = hasher.pack(entries, start)
        assert data == b"".join(entries)
        assert [int.from_bytes(ends[i : i + 8], "big") for i in range(0, len(ends), 8)] == [
            start + sum(lengths[: i + 1]) for i in range(len(lengths))
        ]
        assert hasher.leaves(data, ends, start) == b"".join(map(_hashlib_leaf, entries))
        level = rng.randbytes(32 * rng.randrange(0, 40))
        pairs = [level[i : i + 64] for i in range(0, len(level) - 63, 64)]
        assert hasher.pairs(level) == b"".join(map(_hashlib_node, pairs))
        run = rng.randbytes(32 << rng.randrange(0, 9))
        expected = run
        while len(expected) > 32:
            halves = range(0, len(expected), 64)
            expected = b"".join(_hashlib_node(expected[i : i + 64]) for i in halves)
        assert hasher.root(run) == expected


def test_bad_input_is_rejected_alike(hasher: SimpleNamespace) -> None:
    data, ends = hasher.pack([b"ab", b"cde"])
    with pytest.raises(TypeError, match="entry 1 is str, not bytes"):
        hasher.pack([b"ok", "text"])
    with pytest.raises(ValueError, match="not a whole number of uint64"):
        hasher.leaves(data, ends[:-1])
    with pytest.raises(ValueError, match=r"ends\[1\] = 2 is below the previous end 5"):
        hasher.leaves(data, ends[8:] + ends[:8])
    with pytest.raises(ValueError, match="ends reach offset 5, beyond the 4 bytes of data from 0"):
        hasher.leaves(data[:4], ends)
    with pytest.raises(ValueError, match="not a whole number of 32-byte hashes"):
        hasher.pairs(b"x" * 33)
    for bad in (b"", b"x" * 96, b"x" * (32 * 512)):
        with pytest.raises(ValueError, match="2\\^k 32-byte hashes"):
            hasher.root(bad)


@pytest.mark.skipif(C is None, reason="C extension not built (no compiler?)")
def test_use_rejects_unknown_implementations() -> None:
    assert C is not None
    assert set(C.available()) <= {"portable", "sha-ni"}
    with pytest.raises(ValueError, match="unknown or not supported"):
        C.use("avx-magic")
    assert tree.hasher() == f"c-{C.implementation()}"


def test_pure_environment_variable_forces_hashlib(tmp_path: Path) -> None:
    """``JILIANG_LEDGER_PURE=1``: no C, and a log written that way equals one written with C."""
    script = (
        "import sys\n"
        "from jiliang.core.ledger import Log, tree\n"
        "log = Log.create(sys.argv[1], 'example.org/pure', durable=False)\n"
        "log.append_many([b'%d' % i for i in range(3000)])\n"
        "print(tree.hasher(), log.root().hex(), log.inclusion_proof(1234)[5].hex())\n"
    )
    env = {**os.environ, "JILIANG_LEDGER_PURE": "1"}
    out = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "pure")],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out[0] == "python"
    with Log.create(tmp_path / "here", "example.org/pure", durable=False) as log:
        log.append_many([b"%d" % i for i in range(3000)])
        assert out[1:] == [log.root().hex(), log.inclusion_proof(1234)[5].hex()]


@pytest.fixture
def pure_store(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run the store on the hashlib functions and its Python proof reader."""
    monkeypatch.setattr(store_module, "pack_entries", tree.py_pack_entries)
    monkeypatch.setattr(store_module, "hash_leaves", tree.py_hash_leaves)
    monkeypatch.setattr(store_module, "hash_pairs", tree.py_hash_pairs)
    monkeypatch.setattr(store_module, "hash_root", tree.py_hash_root)
    monkeypatch.setattr(store_module, "_gather", None)
    monkeypatch.setattr(store_module, "_proof", None)


def _files(path: Path) -> dict[str, bytes]:
    skip = {"lock", "commits"}
    return {
        str(p.relative_to(path)): p.read_bytes()
        for p in sorted(path.rglob("*"))
        if p.is_file() and p.name not in skip
    }


def _build(path: Path, entries: list[bytes], cuts: list[int]) -> Log:
    log = Log.create(path, "example.org/accel", durable=False)
    for start, end in zip([0, *cuts], [*cuts, len(entries)], strict=True):
        log.append_many(entries[start:end])
    return log


SIZES = [1, 2, 3, 8, 15, 16, 17, 255, 256, 257, 4097, 65_535, 65_536, 65_537, 70_001]


@pytest.mark.skipif(C is None, reason="C extension not built (no compiler?)")
def test_store_is_identical_with_and_without_c(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Same files byte for byte, and the same proofs, at tile and record boundaries."""
    rng = random.Random(7)
    entries = [rng.randbytes(rng.choice([0, 5, 32, 100])) for _ in range(max(SIZES))]
    logs = {}
    for mode in ("c", "python"):
        if mode == "python":
            request.getfixturevalue("pure_store")
        for n in SIZES:
            cuts = sorted({n // 3, n // 3 + 1, n - 1} - {0, n})
            with _build(tmp_path / mode / str(n), entries[:n], cuts) as log:
                proofs = [log.inclusion_proof(i) for i in sorted({0, n // 2, n - 1})]
                proofs += [log.consistency_proof(m) for m in sorted({1, n // 3, n - 1})]
                logs[mode, n] = (log.root(), proofs)
    for n in SIZES:
        assert _files(tmp_path / "c" / str(n)) == _files(tmp_path / "python" / str(n)), n
        assert logs["c", n] == logs["python", n]
        assert logs["c", n][0] == MemoryTree(entries[:n]).root()


def _check_proofs_against_reference(log: Log, entries: list[bytes]) -> None:
    """Proofs at every (index, size) up to 80 and at 3000 sampled ones up to ``len(entries)``,
    against the in-memory reference tree (RFC recursion over stored nodes)."""
    reference = MemoryTree(entries)
    rng = random.Random(3)
    pairs = [(a, b) for b in range(1, 81) for a in range(b)]
    pairs += [(rng.randrange(b), b) for b in rng.choices(range(1, len(entries) + 1), k=3000)]
    for index, size in pairs:
        assert log.inclusion_proof(index, size) == inclusion_proof(reference.node, index, size)
        old = index + 1 if index + 1 < size else index
        assert log.consistency_proof(old, size) == consistency_proof(reference.node, old, size)
        assert log.root(size) == reference.root(size)


def test_python_proof_reader_matches_reference(tmp_path: Path, pure_store: None) -> None:
    """The pure-Python reader of the store, at sizes past two full tiles."""
    entries = [b"%d" % i for i in range(600)]
    with _build(tmp_path / "log", entries, [100, 511]) as log:
        _check_proofs_against_reference(log, entries)


@pytest.mark.skipif(C is None, reason="C extension not built (no compiler?)")
def test_c_proofs_match_reference(tmp_path: Path) -> None:
    """``_hashbatch.proof`` computes the RFC ranges itself: same pairs, same answers."""
    entries = [b"%d" % i for i in range(600)]
    with _build(tmp_path / "log", entries, [100, 511]) as log:
        _check_proofs_against_reference(log, entries)
        for index, size in [(0, 1), (599, 600), (255, 256), (256, 257)]:
            assert log.store.inclusion_proof(index, size) == log.store.range_hashes(
                inclusion_ranges(index, size)
            )
            assert log.store.consistency_proof(index + 1, size) == log.store.range_hashes(
                consistency_ranges(index + 1, size)
            )


@pytest.mark.skipif(C is None, reason="C extension not built (no compiler?)")
def test_gather_checks_its_layout() -> None:
    """Bad layouts or ranges raise; the C reader never reads outside its buffers."""
    assert C is not None
    gather: Callable[..., list[bytes]] = C.gather
    # One height: node i < 4 at 32·i of the store, nodes from 4 on in the edge.
    fields = (8, 8192, 0, 255, 4, 0)  # shift, stride, base, mask, limit, computed
    layout = b"".join(v.to_bytes(8, sys.byteorder) for v in fields)
    stores, edges = (bytes(range(32)) * 2,), (b"",)
    with pytest.raises(IndexError, match="beyond the stored hashes"):
        gather([(3, 4)], layout, stores, edges)  # node 3 of a 2-hash store
    with pytest.raises(IndexError, match="beyond the stored hashes"):
        gather([(5, 6)], layout, stores, edges)  # an edge node that is not there
    with pytest.raises(IndexError, match="no height 1"):
        gather([(0, 2)], layout, stores, edges)
    with pytest.raises(ValueError, match="not aligned"):
        gather([(1, 4)], layout, stores, edges)
    with pytest.raises(ValueError, match="empty range"):
        gather([(2, 2)], layout, stores, edges)
    with pytest.raises(TypeError, match=r"ranges\[0\] is not a \(start, end\) tuple"):
        gather([[0, 1]], layout, stores, edges)
    assert gather([(1, 2)], layout, stores, edges) == [bytes(range(32))]
    with pytest.raises(IndexError, match="beyond any log"):
        gather([(2**60, 2**60 + 1)], layout, stores, edges)
    bad = b"".join(v.to_bytes(8, sys.byteorder) for v in (99, 8192, 0, 255, 4, 0))
    with pytest.raises(ValueError, match="bad layout for height 0"):
        gather([(0, 1)], bad, stores, edges)  # a shift of 99 bits would be undefined in C
    with pytest.raises(ValueError, match="no inclusion proof for 5, 5"):
        C.proof(0, 5, 5, layout, stores, edges)
    with pytest.raises(ValueError, match="no consistency proof for 6, 5"):
        C.proof(1, 6, 5, layout, stores, edges)
    assert C.proof(0, 0, 2, layout, stores, edges) == [bytes(range(32))]  # leaf 1, its sibling
    with pytest.raises(IndexError, match="no height 1"):
        C.proof(0, 0, 4, layout, stores, edges)  # needs D[2:4], a height-1 node
