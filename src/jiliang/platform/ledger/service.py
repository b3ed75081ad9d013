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
from contextlib import contextmanager, suppress
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


def signed_leaf_payload(
    kind: str, record_id: object, digest_hex: str, extras: dict[str, str] | None = None
) -> bytes:
    """:func:`leaf_payload` with ``key value`` lines after the digest (version ``v2``).

    Without ``extras`` it is exactly the v1 payload, so leaves logged before the extension
    still verify. Keys and values must be single tokens (no spaces or newlines): they are
    fingerprints and serials, and an ambiguous line must never parse two ways.
    """
    if not extras:
        return leaf_payload(kind, record_id, digest_hex)
    lines = [f"jiliang/{kind}/v2", str(record_id), digest_hex]
    for key, value in extras.items():
        if not key or not value or any(c.isspace() for c in key + value):
            raise ValueError(f"leaf extra {key!r}: keys and values are single tokens")
        lines.append(f"{key} {value}")
    return ("\n".join(lines) + "\n").encode()


@dataclass(frozen=True)
class ParsedLeaf:
    """A record leaf read back: kind, version (1 or 2), record id, digest and v2 extras."""

    kind: str
    version: int
    record_id: str
    digest: str
    extras: dict[str, str] = field(default_factory=dict)


def parse_leaf(payload: bytes) -> ParsedLeaf | None:
    """The fields of a :func:`leaf_payload` / :func:`signed_leaf_payload`; None if neither."""
    try:
        head, record_id, digest, *rest = payload.decode().split("\n")
    except (UnicodeDecodeError, ValueError):
        return None
    parts = head.split("/")
    if (
        len(parts) != 3
        or parts[0] != "jiliang"
        or parts[2] not in ("v1", "v2")
        or rest[-1:] != [""]
    ):
        return None
    extras: dict[str, str] = {}
    for line in rest[:-1]:
        key, _sep, value = line.partition(" ")
        if not key or not value:
            return None
        extras[key] = value
    if parts[2] == "v1" and extras:
        return None
    return ParsedLeaf(parts[1], int(parts[2][1]), record_id, digest, extras)


def find_leaf(log: Log, payload: bytes) -> int | None:
    """Index of the leaf holding ``payload`` via the log's leaf-hash index (no scan), or None."""
    try:
        return log.index_of(leaf_hash(payload))
    except LeafNotFoundError:
        return None


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


class _Reader:
    """A log kept open for reads by one thread, and which log it is (path, log.json inode)."""

    def __init__(self, identity: tuple, log: Log) -> None:
        self.identity = identity
        self.log = log

    def __del__(self) -> None:
        # the thread ended (its locals go) or the log was replaced: release the files. Only
        # the tile store is closed by hand: the leaf index's SQLite connection belongs to the
        # reading thread and closes itself when collected.
        with suppress(Exception):  # at interpreter shutdown there is nothing left to release
            self.log.store.close()


_readers = threading.local()


def _log_identity() -> tuple | None:
    path = ledger_dir()
    try:
        stat = (path / "log.json").stat()
    except FileNotFoundError:
        return None
    return (str(path), stat.st_dev, stat.st_ino)


def reader() -> Log:
    """This thread's read-only handle of the platform's log, kept open between requests.

    Opening a log takes its file lock, runs crash recovery and fsyncs its files (~5 ms, and the
    lock serialises concurrent requests); an open log sees later commits anyway (``Log.size``
    refreshes from the commit counter), so the public verification reads through one handle
    per server thread. Reopened when the data directory's log is another one (another path, or
    log.json replaced by a restore). Never append through it: writers go through
    :func:`_exclusive` and open their own.
    """
    identity = _log_identity()
    held: _Reader | None = getattr(_readers, "held", None)
    if held is not None and identity is not None and held.identity == identity:
        return held.log
    if held is not None:  # another log now: let go of the old one's files
        _readers.held = None
        held.log.close()
    log, _signer = ensure_log()
    _readers.held = _Reader(_log_identity(), log)
    return log


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
                if orphans != 0 and not result.appended:  # behind, or a crash to heal
                    problem = log_position_problem(log)
                    if problem:
                        raise BehindLogError(problem)
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


def inclusion(index: int, log: Log | None = None) -> dict:
    """Inclusion proof of leaf ``index`` against the latest signed checkpoint, verified here.

    Returns the proof file, the checkpoint note and whether the proof checks out — what the public
    verification page shows. ``log``: an open log to read (:func:`reader`), left open; without
    one the log is opened and closed here.
    """
    from jiliang.core.ledger import Ed25519Verifier, LedgerError, open_checkpoint, verify_inclusion

    own = log is None
    if log is None:
        log, _signer = ensure_log()
    try:
        note = log.latest_checkpoint()
        if note is None:
            return {"verified": False, "error": "no signed checkpoint yet"}
        # ensure_log (here or when ``log`` was opened) made the key pair: read the key, no reopen
        vkey = (ledger_dir() / VKEY).read_text().strip()
        head = open_checkpoint(note, Ed25519Verifier.from_vkey(vkey)).checkpoint
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
        if own:
            log.close()


def on_entry_recorded(sender, entry: AuditEntry, **kwargs) -> None:
    """After a committed change: log it now, so its proof is available at once."""
    try:
        sync()
    except BehindLogError as exc:  # restore behind the log: the operator must act first
        logger.critical("entry %s not logged: %s", entry.pk, exc)
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
    #: findings an operator acknowledged in the log (``jiliang ledger acknowledge-restore``):
    #: shown by the audit, no longer failing it
    notes: list[str] = field(default_factory=list)

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
    entry at all (a record inserted behind the platform's back). ``MISSING``: a record whose
    last logged state is not a deletion but whose row is gone (deleted in SQL: a deletion made
    through the platform is itself a logged entry).
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
        present: set[str] = set()
        for obj in model._base_manager.order_by("pk").iterator(2_000):
            report.checked += 1
            present.add(str(obj.pk))
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
        for object_id in sorted(set(logged) - present, key=_natural):
            if logged[object_id] is not None:
                report.checked += 1
                report.add(
                    "MISSING",
                    0,
                    "row is gone but its last logged state is not a deletion",
                    object=f"{label}:{object_id}",
                )
    return report


def _natural(object_id: str) -> tuple[int, str]:
    return (int(object_id), "") if object_id.isdigit() else (1 << 62, object_id)


def audit_chains() -> RecordAudit:
    """Walk every record's audit entries in id order and check their hash links.

    ``CHAIN_BROKEN``: an entry names a predecessor hash that the previous surviving entry of the
    same record does not hold (an entry between them was deleted or rewritten), the record's
    first surviving entry names a predecessor at all (its history's start was deleted), or an
    entry written since the chain began is not linked to an existing predecessor.
    """
    report = RecordAudit()
    chained_from = (
        AuditEntry.objects.exclude(prev_hash="").order_by("id").values_list("id", flat=True).first()
    )
    heads: dict[tuple[str, str], str] = {}
    rows = AuditEntry.objects.order_by("id").values_list(
        "id", "model", "object_id", "entry_hash", "prev_hash"
    )
    for pk, model, object_id, entry_hash, prev_hash in rows.iterator(10_000):
        report.checked += 1
        key = (model, object_id)
        head = heads.get(key)
        heads[key] = entry_hash
        where = f"{model}:{object_id}"
        if prev_hash and head is None:
            report.add(
                "CHAIN_BROKEN",
                pk,
                "the record's earliest entry names a predecessor that is gone",
                object=where,
            )
        elif prev_hash and prev_hash != head:
            report.add(
                "CHAIN_BROKEN",
                pk,
                f"names predecessor {prev_hash[:12]}…, the previous entry holds {head[:12]}…: "
                "an entry in between was removed or rewritten",
                object=where,
            )
        elif not prev_hash and head is not None and chained_from is not None and pk > chained_from:
            report.add("CHAIN_BROKEN", pk, "entry is not linked to its predecessor", object=where)
    return report


AUDIT_KIND = b"jiliang/audit-entry/v1\n"
RESTORE_KIND = b"jiliang/restore-ack/v1\n"
LEAF_CHUNK = 2_000


def _audit_leaf(payload: bytes) -> tuple[int, str] | None:
    """``(audit entry id, entry hash)`` of an audit-entry leaf payload, ``None`` for others."""
    if not payload.startswith(AUDIT_KIND):
        return None
    try:
        _kind, pk, digest, _end = payload.decode().split("\n")
        return int(pk), digest
    except ValueError:
        return None


def _acknowledged(log: Log, index: int, payload: bytes) -> set[int] | None:
    """Leaves a ``restore-ack`` leaf at ``index`` covers, from its statement file.

    ``None`` when the statement is missing or does not hash to what the leaf logged: an
    acknowledgement covers exactly the leaves it lists, never "everything before it", so an
    entry deleted after an acknowledgement is still a problem.
    """
    import hashlib
    import json

    try:
        _kind, _size, digest, _end = payload.decode().split("\n")
        text = (log.path / "restores" / f"ack-{index}.json").read_text(encoding="utf-8")
    except (ValueError, OSError):
        return None
    if hashlib.sha256(text.encode()).hexdigest() != digest:
        return None
    try:
        return {int(leaf) for leaf in json.loads(text)["lost_leaves"]}
    except (ValueError, KeyError, TypeError):
        return None


def audit_log_leaves(log: Log | None = None) -> RecordAudit:
    """Every audit-entry leaf of the log against the database: is its entry still there?

    The log is the authority on what was acknowledged: each audit-entry leaf names an entry id
    and its hash. ``ENTRY_MISSING``: no row holds that id (an audit entry deleted in SQL).
    ``ENTRY_REPLACED``: the row holding that id has other content (the id was reused, e.g. after
    a restore). ``BEHIND_LOG``: the same, but for the log's newest leaves — the database was
    restored from a copy older than the log, and the writes after it are lost.
    """
    own = log is None
    if own:
        log, _signer = ensure_log()
    report = RecordAudit()
    bad: list[tuple[int, int, str, str]] = []  # leaf index, entry id, kind, detail
    last_good = -1
    acknowledged: dict[int, int] = {}  # leaf → the restore-ack leaf that lists it as lost
    try:
        size = log.size
        for start in range(0, size, LEAF_CHUNK):
            leaves = []
            for offset, payload in enumerate(log.entries(start, min(size, start + LEAF_CHUNK))):
                if payload.startswith(RESTORE_KIND):
                    covered = _acknowledged(log, start + offset, payload)
                    if covered is None:
                        report.add(
                            "ACK_INVALID",
                            0,
                            f"restore acknowledgement at leaf {start + offset}: its statement "
                            "restores/ack-<leaf>.json is missing or does not match the leaf",
                        )
                    else:
                        acknowledged.update(dict.fromkeys(covered, start + offset))
                    continue
                parsed = _audit_leaf(payload)
                if parsed is not None:
                    leaves.append((start + offset, *parsed))
            rows = {
                pk: (index, digest)
                for pk, index, digest in AuditEntry.objects.filter(
                    pk__in=[pk for _i, pk, _d in leaves]
                ).values_list("pk", "ledger_index", "entry_hash")
            }
            for index, pk, digest in leaves:
                report.checked += 1
                row = rows.get(pk)
                if row is None:
                    bad.append((index, pk, "ENTRY_MISSING", f"leaf {index} logs entry {pk}"))
                elif row[1] != digest:
                    bad.append(
                        (
                            index,
                            pk,
                            "ENTRY_REPLACED",
                            f"leaf {index} logs entry {pk} as {digest[:12]}…, "
                            f"the row now holds {row[1][:12]}…",
                        )
                    )
                else:
                    last_good = index
    finally:
        if own:
            log.close()
    for index, pk, kind, detail in bad:
        if acknowledged.get(index, -1) > index:
            note = f"{kind} {detail}: acknowledged as lost at leaf {acknowledged[index]}"
            report.notes.append(note)
            continue
        if index > last_good:
            kind, detail = "BEHIND_LOG", detail + " (after the newest entry the database holds)"
        report.add(kind, pk, detail, leaf=index)
    if any(p["kind"] == "BEHIND_LOG" for p in report.problems):
        lost = sum(p["kind"] == "BEHIND_LOG" for p in report.problems)
        report.add(
            "BEHIND_LOG",
            0,
            f"the database is behind its log: the newest {lost} logged audit entries are not "
            "in it (restored from an older copy?) — see docs/operations.md, restore behind the log",
        )
    return report


def audit_platform() -> list[tuple[str, RecordAudit]]:
    """Every record check ``jiliang ledger audit --records`` runs, by name."""
    reports = [
        ("audit entries", audit_records()),
        ("audit chains", audit_chains()),
        ("logged audit entries", audit_log_leaves()),
        ("registry rows", audit_rows()),
    ]
    reports += [("other logged records", audit()) for _count, audit in LEAF_SOURCES]
    return reports


#: How far back from the log's end the start-up check looks for the newest audit-entry leaf.
TAIL_WINDOW = 256


def log_position_problem(log: Log | None = None) -> str | None:
    """Cheap start-up check: is the database behind its log, or the log behind the database?

    Reads the newest audit-entry leaf (within :data:`TAIL_WINDOW` leaves of the end) and the one
    row it names, and the database's highest logged index. ``None`` when consistent, when no
    log exists yet, or when the audit table does not exist yet (fresh database before
    ``migrate``). An entry still waiting for its index (a crash between append and index update)
    is not a problem: the next sync matches it.
    """
    from django.db import DatabaseError

    from jiliang.core.ledger import LedgerError

    own = log is None
    if own:
        if not (ledger_dir() / "log.json").exists():
            return None
        try:
            log = Log(ledger_dir())
        except LedgerError as exc:  # a broken log directory is itself the problem
            return f"the transparency log at {ledger_dir()} cannot be opened: {exc}"
    try:
        size = log.size
        newest = None
        start = max(0, size - TAIL_WINDOW)
        covered: set[int] = set()  # lost leaves a later restore-ack lists
        for offset, payload in enumerate(reversed(log.entries(start, size))):
            index = size - 1 - offset
            if payload.startswith(RESTORE_KIND):
                covered |= _acknowledged(log, index, payload) or set()
                continue
            parsed = _audit_leaf(payload)
            if parsed is not None and index not in covered:
                newest = (index, *parsed)
                break
        try:
            highest = (
                AuditEntry.objects.order_by("-ledger_index")
                .values_list("ledger_index", flat=True)
                .filter(ledger_index__isnull=False)
                .first()
            )
            row = None
            if newest is not None:
                row = AuditEntry.objects.filter(pk=newest[1]).values_list("entry_hash").first()
        except DatabaseError:
            return None
    finally:
        if own:
            log.close()
    if highest is not None and highest >= size:
        return (
            f"the transparency log holds {size} leaves but the database has entries logged at "
            f"index {highest}: the log directory {ledger_dir()} is older than the database "
            "(restored or replaced). Restore the log directory; see docs/operations.md."
        )
    if newest is not None and (row is None or row[0] != newest[2]):
        index, pk, _digest = newest
        what = "is missing" if row is None else "holds different content"
        return (
            f"the database is behind its transparency log: log leaf {index} records audit entry "
            f"{pk}, which {what} in the database (highest logged index there: {highest}). The "
            "database was probably restored from a copy older than the log; acknowledged "
            "changes are lost and new ones would reuse their ids. Writes are not logged until "
            "this is resolved: see docs/operations.md, 'Restore behind the log'."
        )
    return None


class BehindLogError(RuntimeError):
    """The database is behind its log: syncing now would log reused ids as if nothing happened."""


def check_log_position(app_configs=None, **kwargs) -> list:
    """Django system check (``jiliang.ledger.W001``): the database against its log's end."""
    from django.core import checks

    problem = log_position_problem()
    if problem is None:
        return []
    return [
        checks.Warning(
            problem,
            hint="Run `jiliang ledger audit --records` for the full list of lost entries.",
            id="jiliang.ledger.W001",
        )
    ]


_startup_checked = False


def check_log_position_once(sender=None, **kwargs) -> None:
    """First request of a process (``request_started``): log the position problem, once.

    ``jiliang serve`` runs no system checks, so the operator sees a restore behind the log in
    the server log as soon as the platform serves, not only when someone runs the audit.
    """
    global _startup_checked
    if _startup_checked:
        return
    _startup_checked = True
    try:
        problem = log_position_problem()
    except Exception:  # a start-up diagnostic must never fail a request
        logger.exception("transparency log position check failed")
        return
    if problem:
        logger.critical("%s", problem)


@dataclass
class RestoreAcknowledgement:
    """What :func:`acknowledge_restore` logged."""

    index: int
    lost_entries: list[int]
    statement: Path


def acknowledge_restore(reason: str) -> RestoreAcknowledgement:
    """Accept, on the record, that the audit entries the database lost are gone for good.

    For a database restored behind its log when no newer copy exists. The log cannot forget
    (it is append-only), so instead a ``restore-ack`` leaf is appended: it commits to a
    statement (the lost entry ids and leaves, the log size, the reason) kept in
    ``<ledger>/restores/``. The leaves it lists (and only those) become notes of the audit
    instead of failures, the start-up check and sync accept the database again, and the
    audit-entry id counter moves past every logged id so no lost id is ever reused. The
    acknowledgement itself stays in the public log for everyone to see.
    """
    import hashlib
    import json

    from django.utils import timezone

    reason = reason.strip()
    if not reason:
        raise ValueError("reason: say why the lost entries cannot be recovered")
    with _exclusive():
        log, signer = ensure_log()
        try:
            report = audit_log_leaves(log)
            lost = sorted({p["entry"] for p in report.problems if p["entry"]})
            if not lost:
                raise ValueError("nothing to acknowledge: every logged audit entry is present")
            leaves = sorted(p["leaf"] for p in report.problems if "leaf" in p)
            _advance_entry_ids(max(lost))
            size = log.size  # the index the acknowledgement leaf gets
            statement = {
                "kind": "restore-ack",
                "log_size": size,
                "lost_entries": lost,
                "lost_leaves": leaves,
                "reason": reason,
                "acknowledged_at": timezone.now().isoformat(),
            }
            text = json.dumps(statement, sort_keys=True, ensure_ascii=False, indent=1) + "\n"
            digest = hashlib.sha256(text.encode()).hexdigest()
            # the statement first: a leaf without its statement would be an invalid ack
            folder = ledger_dir() / "restores"
            folder.mkdir(exist_ok=True)
            path = folder / f"ack-{size}.json"
            path.write_text(text, encoding="utf-8")
            index = log.append(leaf_payload("restore-ack", size, digest))
            log.sign_checkpoint(signer)
        finally:
            log.close()
    return RestoreAcknowledgement(index, lost, path)


def _advance_entry_ids(at_least: int) -> None:
    """Make the next audit-entry id greater than ``at_least`` (and than every existing id)."""
    from django.db.models import Max

    top = max(at_least, AuditEntry.objects.aggregate(top=Max("id"))["top"] or 0)
    table = AuditEntry._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "UPDATE sqlite_sequence SET seq = MAX(seq, %s) WHERE name = %s", [top, table]
            )
        elif connection.vendor == "postgresql":
            cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [table, top])
