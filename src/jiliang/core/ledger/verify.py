"""Offline verification: entry bytes + inclusion proof + signed checkpoint + log key → yes/no.

Needs no server and no log directory; this is what the public verification page and
``jiliang ledger verify`` call.
"""

from __future__ import annotations

from collections.abc import Sequence

from jiliang.core.ledger.checkpoint import SignedCheckpoint, open_checkpoint
from jiliang.core.ledger.errors import EntryMismatchError, InclusionProofError
from jiliang.core.ledger.note import Verifier
from jiliang.core.ledger.prooffile import InclusionProof
from jiliang.core.ledger.tree import leaf_hash


def verify_entry(
    entry: bytes,
    proof: InclusionProof,
    checkpoint: bytes | str,
    log_key: Verifier,
    witnesses: Sequence[Verifier] = (),
    quorum: int = 0,
) -> SignedCheckpoint:
    """Raise a specific :class:`~jiliang.core.ledger.errors.LedgerError` unless ``entry`` is
    leaf ``proof.index`` of the tree that ``checkpoint`` (signed by ``log_key``, cosigned by
    ``quorum`` of ``witnesses``) commits to. Returns the verified checkpoint."""
    hashed = leaf_hash(entry)
    if hashed != proof.leaf_hash:
        raise EntryMismatchError(
            f"entry hashes to leaf {hashed.hex()}, but the proof is for leaf "
            f"{proof.leaf_hash.hex()}"
        )
    signed = open_checkpoint(
        checkpoint, log_key, origin=proof.origin, witnesses=witnesses, quorum=quorum
    )
    head = signed.checkpoint
    if head.size != proof.tree_size:
        raise InclusionProofError(
            f"proof is for tree size {proof.tree_size}, the checkpoint is for size {head.size}; "
            f"get a proof for size {head.size}"
        )
    proof.verify(head.root)
    return signed
