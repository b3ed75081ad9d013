"""RFC 9162 inclusion (§2.1.3) and consistency (§2.1.4) proofs: generation and verification.

Generation first lists the ranges ``D[a:b]`` whose ``MTH`` the RFC's definitions (``PATH`` and
``SUBPROOF``) ask for (:func:`inclusion_ranges`, :func:`consistency_ranges`: integer arithmetic
only), then reads each: a complete subtree is one node read, a range ending at the tree size is
folded from its complete subtrees (:func:`jiliang.core.ledger.tree.range_hash`), so a proof costs
O(log n) node reads. A store may resolve the ranges itself (``TileStore.range_hashes``).
Verification is the RFC's iterative algorithm (§2.1.3.2 and §2.1.4.2) step by step. Verifiers
raise a specific :mod:`~jiliang.core.ledger.errors` exception with the reason; they return
``None`` when the proof holds.
"""

from __future__ import annotations

from collections.abc import Sequence

from jiliang.core.ledger.errors import (
    ConsistencyProofError,
    InclusionProofError,
    MalformedProofError,
)
from jiliang.core.ledger.tree import HASH_SIZE, NodeReader, node_hash, range_hash

#: ``(start, end)``: the proof element ``MTH(D[start:end])``.
Range = tuple[int, int]


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The ranges whose ``MTH`` form ``PATH(index, D[0:size])`` (RFC 9162 §2.1.3.1), leaf side
    first.

    Below the level where ``index`` and ``size - 1`` part (``inner`` levels) the path takes the
    sibling of each ancestor — complete, except the top one, which may end at ``size``; above it,
    the ancestors lie on the right border and the path takes their left siblings (the set bits of
    ``index``). Same decomposition as transparency-dev/merkle ``proof.Inclusion``; equal to the
    RFC's recursion (checked against it at every index of many sizes in the tests).
    """
    if not 0 <= index < size:
        raise MalformedProofError(f"leaf index {index} is not below tree size {size}")
    inner = (index ^ (size - 1)).bit_length()
    ranges = []
    for level in range(inner):
        start = ((index >> level) ^ 1) << level
        end = start + (1 << level)
        ranges.append((start, end if end <= size else size))
    for level in range(inner, (size - 1).bit_length()):
        if index >> level & 1:
            start = ((index >> level) ^ 1) << level
            ranges.append((start, start + (1 << level)))
    return ranges


def consistency_ranges(old_size: int, new_size: int) -> list[Range]:
    """The ranges whose ``MTH`` form ``PROOF(m, D[0:n])`` (RFC 9162 §2.1.4.1), in proof order.

    ``SUBPROOF(m, D[start:end], complete)`` unrolled into a loop; the recursion appends the
    outer levels' hashes last, so they are collected and reversed.
    """
    if not 0 <= old_size <= new_size:
        raise MalformedProofError(f"sizes must satisfy 0 <= {old_size} <= {new_size}")
    if old_size in (0, new_size):
        return []
    ranges = []
    start, end, m, complete = 0, new_size, old_size, True
    while True:
        n = end - start
        if m == n:
            if not complete:
                ranges.append((start, end))
            break
        k = 1 << ((n - 1).bit_length() - 1)  # split_point, inlined
        if m <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
            m -= k
            complete = False
    ranges.reverse()
    return ranges


def inclusion_proof(node: NodeReader, index: int, size: int) -> list[bytes]:
    """``PATH(index, D[0:size])`` of RFC 9162 §2.1.3.1, leaf-side first, from ``node`` reads."""
    return [range_hash(node, start, end) for start, end in inclusion_ranges(index, size)]


def consistency_proof(node: NodeReader, old_size: int, new_size: int) -> list[bytes]:
    """``PROOF(m, D[0:n]) = SUBPROOF(m, D[0:n], true)`` of RFC 9162 §2.1.4.1."""
    return [range_hash(node, start, end) for start, end in consistency_ranges(old_size, new_size)]


def _check_hashes(what: str, hashes: Sequence[bytes]) -> None:
    for i, value in enumerate(hashes):
        if not isinstance(value, bytes | bytearray) or len(value) != HASH_SIZE:
            raise MalformedProofError(f"{what}[{i}] is not a {HASH_SIZE}-byte hash")


def _check_size(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise MalformedProofError(f"{name} must be a non-negative integer, got {value!r}")


def root_from_inclusion_proof(leaf: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes:
    """RFC 9162 §2.1.3.2 steps 1–4: the root that ``proof`` implies for ``leaf`` at ``index``."""
    _check_size("leaf index", index)
    _check_size("tree size", size)
    _check_hashes("leaf hash", [leaf])
    _check_hashes("inclusion proof", proof)
    if index >= size:
        raise MalformedProofError(f"leaf index {index} is not below tree size {size}")
    fn, sn = index, size - 1
    r = bytes(leaf)
    for i, p in enumerate(proof):
        if sn == 0:
            raise MalformedProofError(
                f"inclusion proof has {len(proof) - i} hash(es) too many for index {index} "
                f"in a tree of size {size}"
            )
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise MalformedProofError(
            f"inclusion proof is too short ({len(proof)} hashes) for index {index} "
            f"in a tree of size {size}"
        )
    return r


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """RFC 9162 §2.1.3.2: raise unless ``proof`` shows ``leaf`` at ``index`` under ``root``."""
    _check_hashes("root hash", [root])
    computed = root_from_inclusion_proof(leaf, index, size, proof)
    if computed != root:
        raise InclusionProofError(
            f"inclusion proof for index {index} leads to root {computed.hex()}, "
            f"not the tree head {bytes(root).hex()} of size {size}"
        )


def verify_consistency(
    old_size: int, new_size: int, proof: Sequence[bytes], old_root: bytes, new_root: bytes
) -> None:
    """RFC 9162 §2.1.4.2: raise unless ``proof`` shows tree ``old_size`` is a prefix of
    ``new_size``. Sizes 0 and equal sizes take an empty proof (RFC 9162 §2.1.4.1)."""
    _check_size("old tree size", old_size)
    _check_size("new tree size", new_size)
    _check_hashes("old root", [old_root])
    _check_hashes("new root", [new_root])
    _check_hashes("consistency proof", proof)
    if old_size > new_size:
        raise MalformedProofError(f"old size {old_size} is larger than new size {new_size}")
    if old_size == new_size or old_size == 0:
        if proof:
            raise MalformedProofError(
                f"a consistency proof from size {old_size} to {new_size} must be empty"
            )
        if old_size == new_size and old_root != new_root:
            raise ConsistencyProofError(
                f"two different roots for the same size {old_size}: "
                f"{bytes(old_root).hex()} and {bytes(new_root).hex()}"
            )
        return
    # Step 1.
    if not proof:
        raise MalformedProofError(f"empty consistency proof from size {old_size} to {new_size}")
    path = list(proof)
    # Step 2: a power-of-two old tree is itself a node of the new one, so its root starts the path.
    if old_size & (old_size - 1) == 0:
        path.insert(0, bytes(old_root))
    # Steps 3–4.
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # Step 5.
    fr = sr = path[0]
    # Step 6.
    for i, c in enumerate(path[1:], start=1):
        if sn == 0:
            raise MalformedProofError(
                f"consistency proof has {len(path) - i} hash(es) too many "
                f"for sizes {old_size} -> {new_size}"
            )
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    # Step 7.
    if sn != 0:
        raise MalformedProofError(
            f"consistency proof is too short ({len(proof)} hashes) "
            f"for sizes {old_size} -> {new_size}"
        )
    if fr != old_root:
        raise ConsistencyProofError(
            f"consistency proof does not reproduce the old root of size {old_size}"
        )
    if sr != new_root:
        raise ConsistencyProofError(
            f"consistency proof does not reproduce the new root of size {new_size}"
        )
