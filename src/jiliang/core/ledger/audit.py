"""Log self-audit: recompute the tree from the stored entries and compare with everything stored.

Level 0 is recomputed from the entries, each higher tile level from the level below (so every
stored hash is checked against the entries transitively), then the committed root and the latest
checkpoint are checked against the recomputed tree. Memory stays bounded: levels are streamed in
256-aligned chunks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jiliang.core.ledger.checkpoint import Checkpoint, open_checkpoint
from jiliang.core.ledger.errors import LedgerError
from jiliang.core.ledger.log import Log
from jiliang.core.ledger.note import Verifier, parse_note
from jiliang.core.ledger.store import TILE_HEIGHT, TILE_WIDTH, level_count
from jiliang.core.ledger.tree import hash_level, leaf_hash, tree_root

CHUNK = TILE_WIDTH * 256  # leaves (or hashes) per streamed read
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


def audit_log(log: Log, verifier: Verifier | None = None) -> AuditReport:
    """Recompute and compare; ``verifier`` (the log key) also checks the checkpoint signature."""
    store = log.store
    size = log.size
    report = AuditReport(size)
    bad: list[int] = []
    for start in range(0, size, CHUNK):
        end = min(size, start + CHUNK)
        stored = store.leaf_hashes(start, end)
        computed = [leaf_hash(e) for e in store.entries(start, end)]
        bad += [start + i for i, (a, b) in enumerate(zip(stored, computed, strict=True)) if a != b]
        report.checked_hashes += end - start
    if bad:
        _report_mismatch(report, "entries and level-0 tile hashes", bad)
    for level in range(1, level_count(size)):
        count = size >> (TILE_HEIGHT * level)
        bad = []
        for start in range(0, count, CHUNK):
            end = min(count, start + CHUNK)
            hashes = store.hashes(level - 1, start * TILE_WIDTH, end * TILE_WIDTH)
            for _ in range(TILE_HEIGHT):
                hashes = hash_level(hashes)
            stored = store.hashes(level, start, end)
            bad += [
                start + i for i, (a, b) in enumerate(zip(stored, hashes, strict=True)) if a != b
            ]
            report.checked_hashes += end - start
        if bad:
            _report_mismatch(report, f"level-{level} tile hashes and the level below", bad)
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
