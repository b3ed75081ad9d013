"""RFC 9162 transparency log: Merkle tree, proofs, tile storage, C2SP checkpoints and witnesses.

Modules: :mod:`.tree` (hashing), :mod:`.proofs` (inclusion/consistency), :mod:`.store` (tiles on
disk, crash-safe appends), :mod:`.log` (the ``Log`` API), :mod:`.note` (signed notes and keys),
:mod:`.checkpoint`, :mod:`.witness` (cosignatures), :mod:`.prooffile` (JSON proof files),
:mod:`.verify` (offline verifier), :mod:`.audit`, :mod:`.export` (static C2SP tiles),
:mod:`.errors`. Pure Python + ``cryptography``; no Django.
"""

from jiliang.core.ledger.audit import AuditReport, audit_log
from jiliang.core.ledger.checkpoint import (
    Checkpoint,
    SignedCheckpoint,
    check_extends,
    open_checkpoint,
)
from jiliang.core.ledger.errors import (
    ConsistencyProofError,
    CorruptLogError,
    EntryMismatchError,
    InclusionProofError,
    IndexOutOfRangeError,
    KeyFormatError,
    LedgerError,
    MalformedProofError,
    NoteFormatError,
    OriginMismatchError,
    RollbackError,
    SignatureError,
    SplitViewError,
    StoreError,
)
from jiliang.core.ledger.export import export_tiles, tile_path
from jiliang.core.ledger.index import LeafNotFoundError
from jiliang.core.ledger.log import Log
from jiliang.core.ledger.note import (
    ALG_COSIGNATURE_V1,
    ALG_ED25519,
    Ed25519Signer,
    Ed25519Verifier,
    Note,
    parse_note,
    verify_note,
)
from jiliang.core.ledger.prooffile import ConsistencyProof, InclusionProof
from jiliang.core.ledger.proofs import (
    consistency_proof,
    inclusion_proof,
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)
from jiliang.core.ledger.tree import EMPTY_ROOT, MemoryTree, leaf_hash, node_hash
from jiliang.core.ledger.verify import verify_entry
from jiliang.core.ledger.witness import CosignatureVerifier, Witness, WitnessConflictError

__all__ = [
    "ALG_COSIGNATURE_V1",
    "ALG_ED25519",
    "EMPTY_ROOT",
    "AuditReport",
    "Checkpoint",
    "ConsistencyProof",
    "ConsistencyProofError",
    "CorruptLogError",
    "CosignatureVerifier",
    "Ed25519Signer",
    "Ed25519Verifier",
    "EntryMismatchError",
    "InclusionProof",
    "InclusionProofError",
    "IndexOutOfRangeError",
    "KeyFormatError",
    "LeafNotFoundError",
    "LedgerError",
    "Log",
    "MalformedProofError",
    "MemoryTree",
    "Note",
    "NoteFormatError",
    "OriginMismatchError",
    "RollbackError",
    "SignatureError",
    "SignedCheckpoint",
    "SplitViewError",
    "StoreError",
    "Witness",
    "WitnessConflictError",
    "audit_log",
    "check_extends",
    "consistency_proof",
    "export_tiles",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "open_checkpoint",
    "parse_note",
    "root_from_inclusion_proof",
    "tile_path",
    "verify_consistency",
    "verify_entry",
    "verify_inclusion",
    "verify_note",
]
