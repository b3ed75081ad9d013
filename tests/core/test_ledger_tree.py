"""Tree hashing and proofs: the tile store agrees with the in-memory reference and the RFC's
recursive definition at every size, including tile boundaries (256, 65 536)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jiliang.core.ledger import (
    ConsistencyProofError,
    InclusionProofError,
    LedgerError,
    Log,
    MalformedProofError,
    MemoryTree,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)
from jiliang.core.ledger.tree import mth_recursive, split_point, subtree_cover


def _entries(n: int, salt: bytes = b"") -> list[bytes]:
    return [salt + i.to_bytes(4, "big") for i in range(n)]


def test_split_point_is_largest_power_of_two_below() -> None:
    assert [split_point(n) for n in (2, 3, 4, 5, 8, 9, 256, 257)] == [1, 2, 2, 4, 4, 8, 128, 256]
    with pytest.raises(ValueError):
        split_point(1)


def test_subtree_cover_rejects_misaligned_ranges() -> None:
    assert subtree_cover(8, 15) == [(2, 2), (1, 6), (0, 14)]
    with pytest.raises(ValueError, match="aligned"):
        subtree_cover(1, 5)
    with pytest.raises(ValueError, match="empty"):
        subtree_cover(3, 3)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=90), min_size=1, max_size=6))
def test_store_matches_reference_for_random_batches(tmp_path_factory, batches) -> None:
    """Whatever the batch split, roots and proofs equal those of the RFC recursion."""
    entries = _entries(sum(batches))
    log = Log.create(tmp_path_factory.mktemp("log"), "example.org/prop", durable=False)
    start = 0
    for count in batches:
        assert log.append_many(entries[start : start + count]) == start
        start += count
    reference = MemoryTree(entries)
    for n in range(1, len(entries) + 1):
        assert log.root(n) == reference.root(n)
    assert log.root() == mth_recursive(entries)
    n = len(entries)
    for index in range(n):
        proof = log.inclusion_proof(index, n)
        assert proof == inclusion_proof(reference.node, index, n)
        verify_inclusion(leaf_hash(entries[index]), index, n, proof, log.root())
    for old in range(n + 1):
        proof = log.consistency_proof(old, n)
        verify_consistency(old, n, proof, log.root(old), log.root(n))
    log.close()


@pytest.mark.parametrize("n", [255, 256, 257, 511, 512, 65_535, 65_536, 65_537, 70_000])
def test_tile_boundaries(tmp_path, n: int) -> None:
    entries = _entries(n)
    log = Log.create(tmp_path / "log", "example.org/tiles", durable=False)
    log.append_many(entries[: n // 3])
    log.append_many(entries[n // 3 :])
    reference = MemoryTree(entries)
    assert log.root() == reference.root()
    for index in {0, 1, 255, 256, n // 2, n - 2, n - 1} & set(range(n)):
        assert log.inclusion_proof(index) == inclusion_proof(reference.node, index, n)
    for old in {1, 255, 256, 257, n // 2, n - 1} & set(range(n + 1)):
        assert log.consistency_proof(old) == consistency_proof(reference.node, old, n)


def test_every_proof_mutation_is_rejected() -> None:
    entries = _entries(21)
    tree = MemoryTree(entries)
    root = tree.root()
    for index in range(21):
        proof = inclusion_proof(tree.node, index, 21)
        for k in range(len(proof)):
            bad = list(proof)
            bad[k] = bytes([bad[k][0] ^ 1]) + bad[k][1:]
            with pytest.raises(InclusionProofError):
                verify_inclusion(leaf_hash(entries[index]), index, 21, bad, root)
        with pytest.raises(MalformedProofError, match="too short"):
            verify_inclusion(leaf_hash(entries[index]), index, 21, proof[:-1], root)
        with pytest.raises(MalformedProofError, match="too many"):
            verify_inclusion(leaf_hash(entries[index]), index, 21, [*proof, root], root)
    for old in range(1, 21):
        proof = consistency_proof(tree.node, old, 21)
        for k in range(len(proof)):
            bad = list(proof)
            bad[k] = bytes([bad[k][0] ^ 1]) + bad[k][1:]
            with pytest.raises(LedgerError):
                verify_consistency(old, 21, bad, tree.root(old), root)


def test_malformed_inputs_name_the_field() -> None:
    tree = MemoryTree(_entries(4))
    leaf, root = tree.node(0, 0), tree.root()
    with pytest.raises(MalformedProofError, match="leaf index 4 is not below tree size 4"):
        verify_inclusion(leaf, 4, 4, [], root)
    with pytest.raises(MalformedProofError, match="leaf index must be a non-negative"):
        verify_inclusion(leaf, -1, 4, [], root)
    with pytest.raises(MalformedProofError, match=r"inclusion proof\[1\] is not a 32-byte hash"):
        verify_inclusion(leaf, 0, 4, [root, b"short"], root)
    with pytest.raises(MalformedProofError, match="root hash"):
        verify_inclusion(leaf, 0, 4, [root, root], b"")
    with pytest.raises(MalformedProofError, match="old size 3 is larger than new size 2"):
        verify_consistency(3, 2, [], root, root)
    with pytest.raises(MalformedProofError, match="must be empty"):
        verify_consistency(4, 4, [root], root, root)
    with pytest.raises(ConsistencyProofError, match="two different roots"):
        verify_consistency(4, 4, [], root, tree.root(3))
    with pytest.raises(MalformedProofError, match="empty consistency proof"):
        verify_consistency(3, 4, [], tree.root(3), root)


def test_root_from_inclusion_proof_of_single_leaf() -> None:
    leaf = leaf_hash(b"only")
    assert root_from_inclusion_proof(leaf, 0, 1, []) == leaf
