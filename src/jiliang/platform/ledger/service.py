"""Feeding the transparency log from the database, and checking the database against it.

``sync()`` appends every audit entry that has no leaf index yet, in id order, stores the index
beside the entry and signs a new checkpoint. It is idempotent and crash-tolerant: it runs under an
exclusive file lock, and an entry whose leaf is already in the log (a crash between the append and
the index update) is matched by its leaf hash instead of being appended twice.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction

from jiliang.core.ledger import Ed25519Signer, LeafNotFoundError, Log, leaf_hash
from jiliang.platform.audit.models import AuditEntry

logger = logging.getLogger(__name__)

#: Other record kinds that put leaves in the log (certificates…): each a pair of callables,
#: ``count() -> int`` (rows holding a leaf index) and ``audit() -> RecordAudit``.
LEAF_SOURCES: list[tuple] = []


def register_leaf_source(count, audit) -> None:
    if (count, audit) not in LEAF_SOURCES:
        LEAF_SOURCES.append((count, audit))


def _referenced_leaves() -> int:
    rows = AuditEntry.objects.filter(ledger_index__isnull=False).count()
    return rows + sum(count() for count, _audit in LEAF_SOURCES)


SKEY = Path("keys/log.skey")
VKEY = Path("keys/log.vkey")
SYNC_BATCH = 10_000
_thread_lock = threading.Lock()


def ledger_dir() -> Path:
    return Path(settings.JILIANG_LEDGER_DIR)


def leaf_payload(kind: str, record_id: object, digest_hex: str) -> bytes:
    """The bytes logged for a record: kind, id and SHA-256 of its content — never the content.

    Logging digests instead of records keeps private data (instrument owners, results) out of a
    public log while still committing to it; the kind prefix separates audit entries from
    certificates so one can never be passed off as the other.
    """
    return f"jiliang/{kind}/v1\n{record_id}\n{digest_hex}\n".encode()


def audit_payload(entry: AuditEntry) -> bytes:
    return leaf_payload("audit-entry", entry.pk, entry.entry_hash)


def ensure_log() -> tuple[Log, Ed25519Signer]:
    """Open the platform's log, creating it and its Ed25519 key pair on first use."""
    path = ledger_dir()
    if not (path / "log.json").exists():
        Log.create(path, origin=settings.JILIANG_LEDGER_ORIGIN).close()
    skey_path = path / SKEY
    if not skey_path.exists():
        skey_path.parent.mkdir(parents=True, exist_ok=True)
        signer = Ed25519Signer.generate(settings.JILIANG_LEDGER_ORIGIN)
        fd = os.open(skey_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(signer.skey + "\n")
        (path / VKEY).write_text(signer.verifier().vkey + "\n")
    signer = Ed25519Signer.from_skey(skey_path.read_text().strip())
    return Log(path), signer


def verifier_key() -> str:
    ensure_log()[0].close()
    return (ledger_dir() / VKEY).read_text().strip()


@contextmanager
def _exclusive() -> Iterator[None]:
    """One syncing writer per data directory (threads and processes alike)."""
    path = ledger_dir()
    path.mkdir(parents=True, exist_ok=True)
    with _thread_lock, open(path / "sync.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass
class SyncResult:
    appended: int = 0
    matched: int = 0
    size: int = 0
    checkpoint: bytes | None = None


def sync(sign: bool = True) -> SyncResult:
    """Append unlogged audit entries, record their indexes, sign a checkpoint if the tree grew."""
    result = SyncResult()
    with _exclusive():
        log, signer = ensure_log()
        try:
            start_size = log.size
            while True:
                batch = list(
                    AuditEntry.objects.filter(ledger_index__isnull=True).order_by("id")[:SYNC_BATCH]
                )
                if not batch:
                    break
                # Leaves no row points to can only come from a crash between an append and its
                # index update; only then is each payload looked up before appending.
                orphans = log.size - _referenced_leaves()
                indexes = _append_batch(log, batch, result, dedupe=orphans > 0)
                table = AuditEntry._meta.db_table
                with transaction.atomic(), connection.cursor() as cursor:
                    # One prepared statement for the batch: per-row ORM updates cost ~0.5 ms each.
                    cursor.executemany(
                        f"UPDATE {table} SET ledger_index = %s "
                        "WHERE id = %s AND ledger_index IS NULL",
                        [(index, entry.pk) for entry, index in zip(batch, indexes, strict=True)],
                    )
            result.size = log.size
            if sign and (result.size != start_size or log.latest_checkpoint() is None):
                result.checkpoint = log.sign_checkpoint(signer)
        finally:
            log.close()
    return result


def _append_batch(log: Log, batch: list[AuditEntry], result: SyncResult, dedupe: bool) -> list[int]:
    payloads = [audit_payload(entry) for entry in batch]
    indexes: list[int | None] = []
    fresh: list[bytes] = []
    for payload in payloads:
        try:
            if not dedupe:
                raise LeafNotFoundError("not looked up")
            indexes.append(log.index_of(leaf_hash(payload)))
            result.matched += 1
        except LeafNotFoundError:
            indexes.append(None)
            fresh.append(payload)
    if fresh:
        first = log.append_many(fresh)
        result.appended += len(fresh)
        counter = iter(range(first, first + len(fresh)))
        indexes = [next(counter) if i is None else i for i in indexes]
    return [int(i) for i in indexes]  # type: ignore[arg-type]


def append_payload(payload: bytes) -> int:
    """Append one record's payload (see :func:`leaf_payload`) and sign a checkpoint.

    Idempotent: a payload already in the log (a retry after a crash) returns its index.
    """
    with _exclusive():
        log, signer = ensure_log()
        try:
            try:
                return log.index_of(leaf_hash(payload))
            except LeafNotFoundError:
                index = log.append(payload)
            log.sign_checkpoint(signer)
            return index
        finally:
            log.close()


def inclusion(index: int) -> dict:
    """Inclusion proof of leaf ``index`` against the latest signed checkpoint, verified here.

    Returns the proof file, the checkpoint note and whether the proof checks out — what the public
    verification page shows.
    """
    from jiliang.core.ledger import Ed25519Verifier, LedgerError, open_checkpoint, verify_inclusion

    log, _signer = ensure_log()
    try:
        note = log.latest_checkpoint()
        if note is None:
            return {"verified": False, "error": "no signed checkpoint yet"}
        head = open_checkpoint(note, Ed25519Verifier.from_vkey(verifier_key())).checkpoint
        if index >= head.size:
            return {
                "verified": False,
                "error": f"leaf {index} is not yet in checkpoint {head.size}",
            }
        proof = log.inclusion_proof_file(index, head.size)
        try:
            verify_inclusion(proof.leaf_hash, index, head.size, list(proof.hashes), head.root)
        except LedgerError as exc:
            return {"verified": False, "error": str(exc)}
        return {
            "verified": True,
            "index": index,
            "size": head.size,
            "proof": proof.to_dict(),
            "checkpoint": note.decode(),
        }
    finally:
        log.close()


def on_entry_recorded(sender, entry: AuditEntry, **kwargs) -> None:
    """After a committed change: log it now, so its proof is available at once."""
    try:
        sync()
    except Exception:  # the change is committed; `jiliang ledger sync` appends it later
        logger.exception("transparency log sync failed; entry %s left for the next sync", entry.pk)


def sign_checkpoint() -> bytes:
    with _exclusive():
        log, signer = ensure_log()
        try:
            return log.sign_checkpoint(signer)
        finally:
            log.close()


@dataclass
class RecordAudit:
    """Outcome of :func:`audit_records`: problems found, by kind."""

    checked: int = 0
    problems: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, kind: str, entry_id: int, detail: str, **extra) -> None:
        self.problems.append({"kind": kind, "entry": entry_id, "detail": detail, **extra})


def audit_records(log: Log | None = None) -> RecordAudit:
    """Recompute every logged audit entry's hash and compare it with the row and the log leaf.

    ``CONTENT_CHANGED``: the row's content no longer hashes to its stored ``entry_hash``.
    ``LEAF_MISMATCH``: the row's canonical bytes are not what the log holds at its leaf index
    (the row was rewritten, hash and all). ``NOT_IN_LOG``: the index lies beyond the log.
    """
    own = log is None
    if own:
        log, _signer = ensure_log()
    report = RecordAudit()
    try:
        size = log.size
        for entry in AuditEntry.objects.filter(ledger_index__isnull=False).iterator(2_000):
            report.checked += 1
            if entry.compute_hash() != entry.entry_hash:
                report.add(
                    "CONTENT_CHANGED",
                    entry.pk,
                    "row content does not match its hash",
                    object=f"{entry.model}:{entry.object_id}",
                )
            if entry.ledger_index >= size:
                report.add("NOT_IN_LOG", entry.pk, f"leaf {entry.ledger_index} >= size {size}")
            elif log.leaf_hash(entry.ledger_index) != leaf_hash(audit_payload(entry)):
                report.add(
                    "LEAF_MISMATCH",
                    entry.pk,
                    f"row differs from logged leaf {entry.ledger_index}",
                    object=f"{entry.model}:{entry.object_id}",
                )
    finally:
        if own:
            log.close()
    return report


def audit_rows(model_classes=None) -> RecordAudit:
    """Compare every audited record's current row with its last logged snapshot.

    ``ROW_CHANGED``: the row differs from the ``after`` state of its latest audit entry — it was
    changed without going through the platform (e.g. SQL). ``UNLOGGED``: a row with no audit
    entry at all (a record inserted behind the platform's back).
    """
    from jiliang.platform.audit.signals import audited_models, snapshot, snapshot_digest

    report = RecordAudit()
    for model in model_classes or audited_models():
        label = model._meta.label_lower
        logged: dict[str, str | None] = {}
        entries = (
            AuditEntry.objects.filter(model=label)
            .order_by("id")
            .values_list("object_id", "action", "after")
        )
        for object_id, action, after in entries.iterator(5_000):
            if action == AuditEntry.Action.DELETE:
                logged[object_id] = None
            elif after is not None and "id" in after:  # full snapshots, not m2m notes
                logged[object_id] = snapshot_digest(after)
        for obj in model._base_manager.order_by("pk").iterator(2_000):
            report.checked += 1
            digest = logged.get(str(obj.pk))
            if digest is None:
                report.add("UNLOGGED", 0, "row has no audit entry", object=f"{label}:{obj.pk}")
            elif digest != snapshot_digest(snapshot(obj)):
                report.add(
                    "ROW_CHANGED",
                    0,
                    "row differs from its last logged state",
                    object=f"{label}:{obj.pk}",
                )
    return report
