"""Log self-audit: recompute the tree from the stored entries and compare with everything stored.

Level 0 is recomputed from the entries; then, level by level, each run of full tiles is hashed up
and compared with the node records stored for those tiles (``nodes/<L>``) and with the next tile
level (``tiles/<L+1>``), so every stored hash is checked against the entries transitively and a
wrong one is reported where it is. Then the committed root and the latest checkpoint are checked
against the recomputed tree. Memory stays bounded: levels are streamed in chunks, and hashing is
batched (:func:`~jiliang.core.ledger.tree.hash_leaves`, ``hash_pairs``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jiliang.core.ledger.checkpoint import Checkpoint, open_checkpoint
from jiliang.core.ledger.errors import LedgerError
from jiliang.core.ledger.log import Log
from jiliang.core.ledger.note import Verifier, parse_note
from jiliang.core.ledger.store import (
    TILE_HEIGHT,
    TILE_WIDTH,
    level_count,
    node_records,
    record_hashes,
    tile_heights,
)
from jiliang.core.ledger.tree import HASH_SIZE, hash_leaves, tree_root

CHUNK = TILE_WIDTH * 256  # leaves (or hashes) per streamed read: whole tiles
MAX_LISTED = 20


@dataclass
class AuditReport:
    size: int
    problems: list[str] = field(default_factory=list)
    checked_hashes: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def _report_mismatch(report: AuditReport, what: str, indexes: list[int]) -> None:
    shown = ", ".join(map(str, indexes[:MAX_LISTED]))
    more = f" and {len(indexes) - MAX_LISTED} more" if len(indexes) > MAX_LISTED else ""
    report.problems.append(f"{what} differ at index {shown}{more}")


def _differences(stored: bytes, computed: bytes, first: int, unit: int = HASH_SIZE) -> list[int]:
    """Indexes (from ``first``) of the ``unit``-byte items that differ; one compare if none do."""
    if stored == computed:
        return []
    return [
        first + i // unit
        for i in range(0, len(stored), unit)
        if stored[i : i + unit] != computed[i : i + unit]
    ]


def audit_log(log: Log, verifier: Verifier | None = None) -> AuditReport:
    """Recompute and compare; ``verifier`` (the log key) also checks the checkpoint signature."""
    store = log.store
    size = log.size
    report = AuditReport(size)
    bad: list[int] = []
    for start in range(0, size, CHUNK):
        end = min(size, start + CHUNK)
        data, ends, first = store.packed_entries(start, end)
        bad += _differences(store.hash_bytes(0, start, end), hash_leaves(data, ends, first), start)
        report.checked_hashes += end - start
    if bad:
        _report_mismatch(report, "entries and level-0 tile hashes", bad)
    for level in range(level_count(size)):
        count = size >> (TILE_HEIGHT * level)
        record = record_hashes(level) * HASH_SIZE
        bad_records: list[int] = []
        bad = []
        for start in range(0, count - count % TILE_WIDTH, CHUNK):
            end = min(count - count % TILE_WIDTH, start + CHUNK)
            first, last = start // TILE_WIDTH, end // TILE_WIDTH  # full tiles
            heights = tile_heights(store.hash_bytes(level, start, end))
            stored_records = store.record_bytes(level, first, last)
            computed = node_records(level, heights, last - first)
            bad_records += _differences(stored_records, computed, first, record)
            bad += _differences(store.hash_bytes(level + 1, first, last), heights[8], first)
            report.checked_hashes += (last - first) * (record_hashes(level) + 1)
        if bad_records:
            _report_mismatch(report, f"level-{level} node records and their tiles", bad_records)
        if bad:
            _report_mismatch(report, f"level-{level + 1} tile hashes and the level below", bad)
    if not report.problems:
        root = tree_root(store.node, size)
        if root != store.state.root:
            report.problems.append(
                f"recomputed root {root.hex()} differs from the committed root "
                f"{store.state.root.hex()}"
            )
        _audit_checkpoint(log, report, verifier)
    return report


def _audit_checkpoint(log: Log, report: AuditReport, verifier: Verifier | None) -> None:
    note = log.latest_checkpoint()
    if note is None:
        return
    try:
        if verifier is not None:
            checkpoint = open_checkpoint(note, verifier, origin=log.origin).checkpoint
        else:
            checkpoint = Checkpoint.from_text(parse_note(note).text)
    except LedgerError as exc:
        report.problems.append(f"latest checkpoint rejected: {exc}")
        return
    if checkpoint.origin != log.origin:
        report.problems.append(f"latest checkpoint names origin {checkpoint.origin!r}")
    elif checkpoint.size > report.size:
        report.problems.append(
            f"latest checkpoint has size {checkpoint.size}, log holds only {report.size}"
        )
    elif tree_root(log.store.node, checkpoint.size) != checkpoint.root:
        report.problems.append(
            f"latest checkpoint root for size {checkpoint.size} does not match the stored tree"
        )
