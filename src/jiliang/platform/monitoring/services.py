"""Monitoring writes: readings ingest (idempotent, all-or-nothing) and estimation runs.

Every write is inside ``transaction.atomic()`` and attributed with ``acting_as``. The numbers
come from :mod:`jiliang.core.monitoring` (hygiene → balance fit → decision); nothing here
computes a metrological quantity itself.

Readings ingest (``POST /api/monitoring/readings``)
---------------------------------------------------
A batch is a JSON list of ``{meter, timestamp, register}`` (lifetime ID, ISO 8601 with a UTC
offset, cumulative kW·h). The batch is checked as a whole before anything is written; any row
with an error (unknown meter, not yours, negative or decreasing register, duplicate in the batch,
malformed field) rejects the whole batch with every row's reason — nothing half-written. A row
whose (meter, timestamp) is already stored is *identical* (same register: nothing to do) or
*conflicting* (another register: the stored value stays, the row is reported); the other rows
are *accepted* and written with ``bulk_create(ignore_conflicts=True)`` in one transaction that
commits before the 2xx. The canonical batch (rows sorted, times in UTC, registers as IEEE
doubles) has a SHA-256; a batch already accepted from the same organisation is not processed
again: the re-send gets the first answer (same counts, ``replay: true``) and nothing changes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

import jiliang
from jiliang.core.monitoring.balance import (
    ESTIMATORS,
    GainMethod,
    GainPrior,
    LossModel,
    MonitoringError,
    fit_area,
)
from jiliang.core.monitoring.balance import (
    MeterEstimate as CoreEstimate,
)
from jiliang.core.monitoring.decision import judge
from jiliang.core.monitoring.hygiene import Series, period_energies
from jiliang.platform.accounts.roles import Role, role_of
from jiliang.platform.audit.context import acting_as
from jiliang.platform.audit.signals import bulk_create_audited
from jiliang.platform.params import MAX_DATE, MIN_DATE
from jiliang.platform.registry.authority import Denied
from jiliang.platform.registry.models import Instrument, Organisation
from jiliang.platform.registry.permissions import user_region_prefix

from .models import Area, AreaMeter, EstimationRun, IngestBatch, MeterEstimate, Reading

#: default largest batch (rows); ``settings.JILIANG_MONITORING_MAX_BATCH`` overrides it
DEFAULT_MAX_BATCH = 10_000
#: at most this many conflicts are listed in an answer (all are counted)
MAX_LISTED = 200


def max_batch() -> int:
    """Largest number of rows one ingest request may carry."""
    return int(getattr(settings, "JILIANG_MONITORING_MAX_BATCH", DEFAULT_MAX_BATCH))


class BatchTooLarge(Exception):
    """A batch over :func:`max_batch` rows (HTTP 413)."""

    def __init__(self, rows: int, limit: int):
        super().__init__(f"batch of {rows} rows exceeds the limit of {limit} rows: split it")
        self.rows, self.limit = rows, limit


class BatchRejected(Exception):
    """The batch has rows in error; nothing was written (HTTP 422).

    ``errors``: one dict per bad row — ``row`` (0-based index in the batch), ``meter``,
    ``field``, ``reason`` (a stable code) and ``message``.
    """

    def __init__(self, errors: list[dict[str, Any]]):
        super().__init__(f"{len(errors)} rows rejected")
        self.errors = errors


class IngestConflict(Exception):
    """Another batch stored some of the same instants at the same moment (HTTP 409: resend)."""


class Reason:
    """Stable codes of per-row rejections (the API's ``reason``)."""

    INVALID = "invalid"
    UNKNOWN_METER = "unknown_meter"
    NOT_YOURS = "not_yours"
    NEGATIVE = "negative_register"
    DECREASING = "decreasing_register"
    DUPLICATE = "duplicate_in_batch"


@dataclass(frozen=True)
class Row:
    index: int
    meter: str
    timestamp: dt.datetime  # aware, UTC
    register: float  # kW·h


def _utc_text(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_digest(rows: Sequence[Row]) -> str:
    """SHA-256 (hex) of the canonical batch: ``[[meter, UTC time, register], …]`` sorted, as
    compact JSON (registers by Python's shortest round-trip repr of the double)."""
    items = sorted([r.meter, _utc_text(r.timestamp), float(r.register)] for r in rows)
    text = json.dumps(items, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _error(row: int, meter: Any, field: str, reason: str, message: str) -> dict[str, Any]:
    return {"row": row, "meter": meter, "field": field, "reason": reason, "message": message}


def parse_rows(body: Any) -> list[Row]:
    """Rows of a batch from the decoded JSON; raises :class:`BatchRejected` naming each bad row
    and field, :class:`BatchTooLarge` over the size limit."""
    if not isinstance(body, list):
        raise BatchRejected(
            [_error(-1, None, "body", Reason.INVALID, "the batch must be a JSON list of rows")]
        )
    if not body:
        raise BatchRejected([_error(-1, None, "body", Reason.INVALID, "the batch is empty")])
    limit = max_batch()
    if len(body) > limit:
        raise BatchTooLarge(len(body), limit)
    rows, errors = [], []
    for i, item in enumerate(body):
        if not isinstance(item, dict):
            errors.append(_error(i, None, "row", Reason.INVALID, "each row must be an object"))
            continue
        meter = item.get("meter")
        if not isinstance(meter, str) or not meter.strip() or len(meter) > 64:
            errors.append(
                _error(i, meter, "meter", Reason.INVALID, "meter: give the lifetime ID (text)")
            )
            continue
        stamp = item.get("timestamp")
        try:
            if not isinstance(stamp, str):
                raise ValueError
            t = dt.datetime.fromisoformat(stamp)
        except ValueError:
            errors.append(
                _error(i, meter, "timestamp", Reason.INVALID, "timestamp: not an ISO 8601 time")
            )
            continue
        if t.tzinfo is None or t.utcoffset() is None:
            errors.append(
                _error(
                    i,
                    meter,
                    "timestamp",
                    Reason.INVALID,
                    "timestamp: needs a UTC offset (e.g. 2026-01-01T00:00:00+08:00)",
                )
            )
            continue
        reg = item.get("register")
        if isinstance(reg, int) and not isinstance(reg, bool):
            try:
                reg = float(reg)
            except OverflowError:
                reg = math.inf
        if isinstance(reg, bool) or not isinstance(reg, float) or not math.isfinite(reg):
            errors.append(
                _error(i, meter, "register", Reason.INVALID, "register: a finite number (kW·h)")
            )
            continue
        if reg < 0:
            errors.append(
                _error(i, meter, "register", Reason.NEGATIVE, f"register {reg:g} kW·h is negative")
            )
            continue
        try:
            t = t.astimezone(dt.UTC)
        except OverflowError:
            t = None
        if t is None or not MIN_DATE <= t.date() <= MAX_DATE:
            errors.append(
                _error(
                    i,
                    meter,
                    "timestamp",
                    Reason.INVALID,
                    f"timestamp: must lie between {MIN_DATE} and {MAX_DATE}",
                )
            )
            continue
        rows.append(Row(i, meter.strip(), t, float(reg)))
    if errors:
        raise BatchRejected(errors)
    return rows


def user_organisation(user) -> Organisation | None:
    profile = getattr(user, "profile", None) if getattr(user, "is_authenticated", False) else None
    return profile.organisation if profile is not None else None


def _chunks(items: Sequence, size: int = 900) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _owned(org_id: int, instrument_ids: Sequence[int]) -> dict[int, list[tuple]]:
    """Per instrument, the intervals [from, to) during which ``org_id`` owns its area (a summary
    meter of an owned area: always)."""
    spans: dict[int, list[tuple]] = defaultdict(list)
    for chunk in _chunks(list(instrument_ids)):
        for iid, start, end in AreaMeter.objects.filter(
            instrument_id__in=chunk, area__owner_id=org_id
        ).values_list("instrument_id", "valid_from", "valid_to"):
            spans[iid].append((start, end))
        for iid in Area.objects.filter(summary_meter_id__in=chunk, owner_id=org_id).values_list(
            "summary_meter_id", flat=True
        ):
            spans[iid].append((None, None))
    return spans


def _stored(ids: Sequence[int], t_min: dt.datetime, t_max: dt.datetime) -> dict[int, list]:
    """Stored readings of ``ids`` in [t_min, t_max] plus each one's nearest outside: sorted
    ``(timestamp, register)`` per instrument."""
    out: dict[int, list] = defaultdict(list)
    for chunk in _chunks(list(ids)):
        for iid, t, r in Reading.objects.filter(
            instrument_id__in=chunk, timestamp__gte=t_min, timestamp__lte=t_max
        ).values_list("instrument_id", "timestamp", "register"):
            out[iid].append((t, r))
        before = Reading.objects.filter(instrument_id=OuterRef("pk"), timestamp__lt=t_min).order_by(
            "-timestamp"
        )
        after = Reading.objects.filter(instrument_id=OuterRef("pk"), timestamp__gt=t_max).order_by(
            "timestamp"
        )
        for iid, bt, br, at, ar in (
            Instrument.objects.filter(pk__in=chunk)
            .annotate(
                bt=Subquery(before.values("timestamp")[:1]),
                br=Subquery(before.values("register")[:1]),
                at=Subquery(after.values("timestamp")[:1]),
                ar=Subquery(after.values("register")[:1]),
            )
            .values_list("pk", "bt", "br", "at", "ar")
        ):
            if bt is not None:
                out[iid].append((bt, br))
            if at is not None:
                out[iid].append((at, ar))
    for points in out.values():
        points.sort()
    return out


def _covers(spans: list[tuple], t: dt.datetime) -> bool:
    return any((a is None or a <= t) and (b is None or t < b) for a, b in spans)


@contextmanager
def _durable() -> Iterator[None]:
    """On SQLite outside a surrounding transaction, commit with ``synchronous=FULL`` (WAL is
    durable against a killed process already; FULL also against power loss) and restore."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cur:
        cur.execute("PRAGMA synchronous")
        old = cur.fetchone()[0]
        cur.execute("PRAGMA synchronous=FULL")
    try:
        yield
    finally:
        with connection.cursor() as cur:
            cur.execute(f"PRAGMA synchronous={int(old)}")


def ingest_readings(user, body: Any, reason: str = "") -> dict[str, Any]:
    """Check and store a batch of readings from ``user``'s organisation (module docstring).

    Returns the answer: ``batch`` id, ``rows``, ``accepted`` (new), ``identical`` (already
    stored with the same register), ``conflicting`` (stored with another register: rejected),
    ``conflicts`` (the first :data:`MAX_LISTED`), ``digest``, ``replay``.
    """
    org = user_organisation(user)
    if org is None:
        raise Denied({"__all__": "only an organisation's account may submit readings"})
    rows = parse_rows(body)
    digest = canonical_digest(rows)
    with _durable(), transaction.atomic():
        done = IngestBatch.objects.filter(
            organisation=org, kind=IngestBatch.Kind.READINGS, digest=digest
        ).first()
        if done is not None:
            return {**done.result, "batch": done.pk, "replay": True}
        result, new = _check(org, rows)
        result["digest"] = digest
        batch = IngestBatch(
            kind=IngestBatch.Kind.READINGS,
            organisation=org,
            user=user if getattr(user, "pk", None) else None,
            digest=digest,
            accepted_digest=_rows_digest(new),
            count=len(new),
            rows=len(rows),
            result=result,
            received_at=timezone.now(),
        )
        with acting_as(user, reason):
            try:
                with transaction.atomic():
                    batch.save()
            except IntegrityError:  # the same batch committed concurrently: answer as a re-send
                done = IngestBatch.objects.get(
                    organisation=org, kind=IngestBatch.Kind.READINGS, digest=digest
                )
                return {**done.result, "batch": done.pk, "replay": True}
            insert_readings(new, batch.pk)
            stored = Reading.objects.filter(batch=batch).count()
            if stored != len(new):  # another batch wrote some of these instants meanwhile
                raise IngestConflict(
                    f"{len(new) - stored} readings were stored concurrently: send the batch again"
                )
    return {**result, "batch": batch.pk, "replay": False}


def insert_readings(rows: Sequence[tuple], batch_id: int | None) -> None:
    """``INSERT … ON CONFLICT DO NOTHING`` of ``(instrument id, timestamp, register)`` rows:
    what ``bulk_create(ignore_conflicts=True)`` does, without building a model instance per
    row (3× faster at 10⁴ rows; SQLite ≥ 3.24 and PostgreSQL share the syntax)."""
    q = connection.ops.quote_name
    cols = ", ".join(q(c) for c in ("instrument_id", "timestamp", "register", "batch_id"))
    sql = (
        f"INSERT INTO {q(Reading._meta.db_table)} ({cols}) VALUES (%s, %s, %s, %s) "
        "ON CONFLICT DO NOTHING"
    )
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cur:
        for chunk in _chunks(list(rows), 5_000):
            cur.executemany(sql, [(i, adapt(t), float(r), batch_id) for i, t, r in chunk])


def _rows_digest(new: Sequence[tuple]) -> str:
    """SHA-256 of the stored rows of a batch: ``[[instrument id, UTC time, register], …]``."""
    items = sorted([i, _utc_text(t), float(r)] for i, t, r in new)
    return hashlib.sha256(json.dumps(items, separators=(",", ":")).encode()).hexdigest()


def batch_intact(batch: IngestBatch) -> bool:
    """Do the readings stored under ``batch`` still hash to its audited ``accepted_digest``?"""
    rows = batch.readings.values_list("instrument_id", "timestamp", "register")
    return _rows_digest(list(rows)) == batch.accepted_digest


def _check(org: Organisation, rows: list[Row]) -> tuple[dict[str, Any], list[tuple]]:
    """Classify every row; raise :class:`BatchRejected` with all errors, or return the counts
    and the new rows ``(instrument id, timestamp, register)``."""
    errors: list[dict[str, Any]] = []
    first: dict[tuple[str, dt.datetime], int] = {}
    for r in rows:
        key = (r.meter, r.timestamp)
        if key in first:
            errors.append(
                _error(
                    r.index,
                    r.meter,
                    "timestamp",
                    Reason.DUPLICATE,
                    f"meter {r.meter} at {_utc_text(r.timestamp)} is already row {first[key]} "
                    "of this batch",
                )
            )
        else:
            first[key] = r.index
    ids = dict(
        Instrument.objects.filter(lifetime_id__in={r.meter for r in rows}).values_list(
            "lifetime_id", "pk"
        )
    )
    spans = _owned(org.pk, list(ids.values()))
    good: dict[int, list[Row]] = defaultdict(list)
    dup_rows = {e["row"] for e in errors}
    for r in rows:
        iid = ids.get(r.meter)
        if iid is None:
            errors.append(
                _error(r.index, r.meter, "meter", Reason.UNKNOWN_METER, f"unknown meter {r.meter}")
            )
        elif not _covers(spans.get(iid, []), r.timestamp):
            errors.append(
                _error(
                    r.index,
                    r.meter,
                    "meter",
                    Reason.NOT_YOURS,
                    f"meter {r.meter} is not in an area of {org.code} at {_utc_text(r.timestamp)}",
                )
            )
        elif r.index not in dup_rows:
            good[iid].append(r)
    identical = 0
    conflicts: list[dict[str, Any]] = []
    new: list[tuple] = []
    if good:
        t_min = min(r.timestamp for rs in good.values() for r in rs)
        t_max = max(r.timestamp for rs in good.values() for r in rs)
        stored = _stored(list(good), t_min, t_max)
        for iid, batch_rows in good.items():
            known = dict(stored.get(iid, []))
            fresh: list[Row] = []
            for r in sorted(batch_rows, key=lambda x: x.timestamp):
                if r.timestamp in known:
                    if known[r.timestamp] == r.register:
                        identical += 1
                    else:
                        conflicts.append(
                            {
                                "row": r.index,
                                "meter": r.meter,
                                "timestamp": _utc_text(r.timestamp),
                                "stored": known[r.timestamp],
                                "sent": r.register,
                            }
                        )
                else:
                    fresh.append(r)
            errors.extend(_monotonic(stored.get(iid, []), fresh))
            new.extend((iid, r.timestamp, r.register) for r in fresh)
    if errors:
        raise BatchRejected(sorted(errors, key=lambda e: e["row"]))
    conflicts.sort(key=lambda c: c["row"])
    result = {
        "rows": len(rows),
        "accepted": len(new),
        "identical": identical,
        "conflicting": len(conflicts),
        "conflicts": conflicts[:MAX_LISTED],
    }
    return result, new


def _monotonic(stored: list[tuple], fresh: list[Row]) -> list[dict[str, Any]]:
    """Errors for new rows whose register falls below the reading before them (stored or in the
    batch) or exceeds the stored reading after them: a cumulative register never decreases."""
    errors = []
    points = sorted(
        [(t, r, None) for t, r in stored] + [(x.timestamp, x.register, x) for x in fresh],
        key=lambda p: p[0],
    )
    for k, (t, reg, row) in enumerate(points):
        if row is None:
            continue
        if k > 0 and points[k - 1][1] > reg:
            pt, pr, prow = points[k - 1]
            where = "stored reading" if prow is None else f"row {prow.index}"
            errors.append(
                _error(
                    row.index,
                    row.meter,
                    "register",
                    Reason.DECREASING,
                    f"register {reg:g} kW·h at {_utc_text(t)} is below the {where} "
                    f"{pr:g} kW·h at {_utc_text(pt)}",
                )
            )
        elif k + 1 < len(points) and points[k + 1][2] is None and points[k + 1][1] < reg:
            nt, nr, _ = points[k + 1]
            errors.append(
                _error(
                    row.index,
                    row.meter,
                    "register",
                    Reason.DECREASING,
                    f"register {reg:g} kW·h at {_utc_text(t)} exceeds the later stored reading "
                    f"{nr:g} kW·h at {_utc_text(nt)}",
                )
            )
    return errors


# --------------------------------------------------------------------------- access


def reads_area(user, area: Area) -> bool:
    """Regulators and inspectors of the area's region, the area's owner staff, the admin."""
    role = role_of(user)
    if role is Role.ADMIN:
        return True
    if role in (Role.REGULATOR, Role.INSPECTOR):
        prefix = user_region_prefix(user)
        return bool(prefix) and area.region.code.startswith(prefix)
    if role in (Role.ENTERPRISE, Role.LAB_STAFF):
        org = user_organisation(user)
        return org is not None and org.pk == area.owner_id
    return False


def may_start_run(user, area: Area) -> bool:
    """The area's owner staff, the regulator of its region and the admin start runs (an
    inspector reads them only)."""
    role = role_of(user)
    if role is Role.INSPECTOR:
        return False
    return reads_area(user, area)


# --------------------------------------------------------------------------- estimation


@dataclass(frozen=True)
class RunParameters:
    """What an estimation uses; ``period_s`` in s, gain terms relative (0.03 = 3 %)."""

    period_s: float = 3600.0
    method: str = "ols"
    robust: bool = False
    loss_fraction: float = 0.0
    u_loss_fraction: float = 0.0
    summary_error: float = 0.0
    u_summary_error: float = 0.0
    gain_method: str = "prior"
    fixed_loss: bool = True
    quadratic_loss: bool = False
    min_share: float = 0.002
    max_u: float = 0.05
    default_class: str = ""

    def gain(self) -> GainPrior:
        return GainPrior(
            method=self.gain_method,
            loss_fraction=self.loss_fraction,
            u_loss_fraction=self.u_loss_fraction,
            summary_error=self.summary_error,
            u_summary_error=self.u_summary_error,
        )

    def loss(self) -> LossModel:
        return LossModel(fixed=self.fixed_loss, quadratic=self.quadratic_loss)


def _epoch(t: dt.datetime) -> float:
    return t.timestamp()


def series_of(instrument_id: int, start: dt.datetime, end: dt.datetime) -> Series:
    """The stored readings of one meter in [start, end] as a core :class:`Series` (t in s since
    the Unix epoch, register in kW·h)."""
    pts = list(
        Reading.objects.filter(
            instrument_id=instrument_id, timestamp__gte=start, timestamp__lte=end
        )
        .order_by("timestamp")
        .values_list("timestamp", "register")
    )
    return Series.of([_epoch(t) for t, _ in pts], [r for _, r in pts])


def all_series(ids: Sequence[int], start: dt.datetime, end: dt.datetime) -> dict[int, Series]:
    """:func:`series_of` for many meters in one query per 900 meters (empty series included)."""
    pts: dict[int, tuple[list, list]] = {i: ([], []) for i in ids}
    for chunk in _chunks(list(ids)):
        for iid, t, r in (
            Reading.objects.filter(
                instrument_id__in=chunk, timestamp__gte=start, timestamp__lte=end
            )
            .order_by("instrument_id", "timestamp")
            .values_list("instrument_id", "timestamp", "register")
        ):
            pts[iid][0].append(_epoch(t))
            pts[iid][1].append(r)
    return {i: Series.of(t, r) for i, (t, r) in pts.items()}


def _finite(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def run_estimation(
    area: Area,
    start: dt.datetime,
    end: dt.datetime,
    user,
    parameters: RunParameters | None = None,
    reason: str = "",
) -> EstimationRun:
    """Estimate every meter of ``area`` over [start, end) from its stored readings.

    Period energies come from :func:`jiliang.core.monitoring.hygiene.period_energies`, the fit
    from :func:`~jiliang.core.monitoring.balance.fit_area`, each verdict from
    :func:`~jiliang.core.monitoring.decision.judge` against the meter's registered accuracy
    class (``default_class`` when none is registered). The run (parameters, code version) and
    each meter's ê, u, U = 2u and verdict are stored and audited. Bad parameters raise
    :class:`MonitoringError` naming the field; a refused user :class:`Denied`.
    """
    if not may_start_run(user, area):
        raise Denied({"__all__": f"you may not start an estimation of area {area.code}"})
    p = parameters or RunParameters()
    for name, t in (("start", start), ("end", end)):
        if not isinstance(t, dt.datetime) or t.tzinfo is None:
            raise MonitoringError(name, "needs an aware date-time (with a UTC offset)")
        if not MIN_DATE <= t.date() <= MAX_DATE:
            raise MonitoringError(name, f"must lie between {MIN_DATE} and {MAX_DATE}")
    if not math.isfinite(p.period_s) or p.period_s < 60:
        raise MonitoringError("period_s", "period must be ≥ 60 s")
    span = (end - start).total_seconds()
    if span <= 0:
        raise MonitoringError("end", "must be after start")
    n_periods = span / p.period_s
    if abs(n_periods - round(n_periods)) > 1e-9 or round(n_periods) < 1:
        raise MonitoringError("end", f"end − start = {span:g} s is not a whole number of periods")
    n_periods = round(n_periods)
    if n_periods > 100_000:
        raise MonitoringError("end", f"{n_periods} periods: at most 100 000 per run")
    if p.method not in ESTIMATORS:
        raise MonitoringError("method", f"unknown estimator {p.method!r}: {sorted(ESTIMATORS)}")
    if p.gain_method not in {g.value for g in GainMethod}:
        raise MonitoringError(
            "gain_method", f"unknown gain method {p.gain_method!r}: prior or median"
        )
    gain, loss = p.gain(), p.loss()  # validate before anything is written
    params = {k: getattr(p, k) for k in RunParameters.__dataclass_fields__}
    with transaction.atomic(), acting_as(user, reason):
        run = EstimationRun.objects.create(
            area=area,
            parameters=params,
            code_version=jiliang.__version__,
            period_start=start,
            period_end=end,
            started_at=timezone.now(),
            started_by=user if getattr(user, "pk", None) else None,
        )
    try:
        status, message, summary, estimates = _estimate(area, start, end, n_periods, p, gain, loss)
    except MonitoringError as exc:
        status, message, summary, estimates = EstimationRun.Status.FAILED, str(exc), {}, []
    with transaction.atomic(), acting_as(user, reason):
        for e in estimates:
            e.run = run
        bulk_create_audited(MeterEstimate, estimates)
        counts: dict[str, int] = defaultdict(int)
        for e in estimates:
            counts[e.verdict] += 1
        run.status, run.message = status, message
        run.summary = {**summary, "verdicts": dict(counts)}
        run.finished_at = timezone.now()
        run.save()
    return run


def _estimate(area, start, end, n_periods, p: RunParameters, gain, loss):
    members = list(
        AreaMeter.objects.filter(area=area, valid_from__lt=end)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=start))
        .select_related("instrument")
    )
    partial = sorted(
        m.instrument.lifetime_id
        for m in members
        if m.valid_from > start or (m.valid_to is not None and m.valid_to < end)
    )
    if partial:
        return (
            EstimationRun.Status.NOT_USABLE,
            "meters joined or left the area within the period (户变关系变更): "
            + ", ".join(partial[:20])
            + "; estimate the periods before and after the change separately",
            {},
            [],
        )
    if not members:
        return EstimationRun.Status.NOT_USABLE, "the area has no meters in this period", {}, []
    margin = dt.timedelta(seconds=2 * p.period_s)
    lo, hi = start - margin, end + margin
    meters = {m.instrument.lifetime_id: m.instrument for m in members}
    found = all_series([area.summary_meter_id, *(i.pk for i in meters.values())], lo, hi)
    summary_series = found[area.summary_meter_id]
    series = {lid: found[inst.pk] for lid, inst in meters.items()}
    clean = period_energies(
        summary_series, series, start=_epoch(start), period_s=p.period_s, n_periods=n_periods
    )
    info: dict[str, Any] = {
        "issues": [{"meter": i.meter_id, "kind": i.kind, "detail": i.detail} for i in clean.issues][
            :MAX_LISTED
        ],
        "n_issues": len(clean.issues),
        "excluded": clean.excluded,
        "boundaries_kept": clean.boundaries_kept,
        "boundaries_total": clean.boundaries_total,
    }
    if not clean.usable:
        return EstimationRun.Status.NOT_USABLE, clean.reason, info, []
    fit = fit_area(
        clean.area,
        method=p.method,
        robust=p.robust,
        gain=gain,
        loss=loss,
        min_share=p.min_share,
        max_u=p.max_u,
    )
    info.update(
        method=fit.method,
        gain_method=str(fit.gain_method),
        gain=fit.gain,
        u_gain=fit.u_gain,
        loss={k: _finite(v) for k, v in fit.loss.items()},
        sigma=_finite(fit.sigma),
        n_periods=fit.n_periods,
        n_meters=fit.n_meters,
        condition_number=_finite(fit.condition_number),
        notes=list(fit.notes),
    )
    estimates = [_stored_estimate(meters[m.meter_id], m, p) for m in fit.meters]
    for lid, why in clean.excluded.items():
        estimates.append(
            MeterEstimate(
                instrument=meters[lid],
                status="excluded",
                verdict=MeterEstimate.Verdict.NOT_IDENTIFIABLE,
                accuracy_class=meters[lid].accuracy_class or p.default_class,
                reason=why,
            )
        )
    return EstimationRun.Status.DONE, "", info, estimates


def _stored_estimate(inst: Instrument, m: CoreEstimate, p: RunParameters) -> MeterEstimate:
    cls = inst.accuracy_class or p.default_class
    row = MeterEstimate(
        instrument=inst,
        error=m.error,
        u=m.u,
        share=m.share,
        status=m.status.value,
        accuracy_class=cls,
        reason=m.reason,
    )
    if not cls:
        row.verdict = MeterEstimate.Verdict.NO_CLASS
        row.reason = row.reason or "no accuracy class registered for this meter: not judged"
        return row
    try:
        d = judge(m, cls)
    except MonitoringError as exc:
        row.verdict = MeterEstimate.Verdict.NO_CLASS
        row.reason = str(exc)
        return row
    row.verdict = d.verdict.value
    row.mpe = d.mpe
    row.expanded_uncertainty = d.expanded_uncertainty
    if not row.reason:
        row.reason = d.explanation
    return row


# --------------------------------------------------------------------------- areas


def _may_register(user, area: Area) -> bool:
    """Areas and memberships (户变关系) are declared by the grid company that owns the area, its
    regulator or the admin."""
    role = role_of(user)
    if role is Role.ADMIN:
        return True
    if role is Role.REGULATOR:
        prefix = user_region_prefix(user)
        return bool(prefix) and area.region.code.startswith(prefix)
    if role in (Role.ENTERPRISE, Role.LAB_STAFF):
        org = user_organisation(user)
        return org is not None and org.pk == area.owner_id
    return False


def create_area(user, **fields) -> Area:
    """Register an area — audited. The summary meter must be the owner's instrument."""
    area = Area(**fields)
    if not _may_register(user, area):
        raise Denied({"__all__": "you may not register areas of this organisation or region"})
    if area.summary_meter.owner_id != area.owner_id:
        raise MonitoringError("summary_meter", "must be an instrument of the area's owner")
    with transaction.atomic(), acting_as(user):
        area.full_clean()
        area.save()
    return area


def assign_meter(
    area: Area, instrument: Instrument, valid_from: dt.datetime, user=None
) -> AreaMeter:
    """Put ``instrument`` into ``area`` from ``valid_from``, closing its open membership of
    another area at that instant (a meter is in one area at a time) — audited. ``user=None``
    is the system (loaders); a user must be allowed to declare the area's memberships."""
    if user is not None and not _may_register(user, area):
        raise Denied({"__all__": f"you may not change the meters of area {area.code}"})
    if instrument.owner_id != area.owner_id:
        raise MonitoringError("instrument", "must be an instrument of the area's owner")
    if valid_from.tzinfo is None:
        raise MonitoringError("valid_from", "needs an aware date-time")
    with transaction.atomic(), acting_as(user):
        for old in AreaMeter.objects.select_for_update().filter(
            instrument=instrument, valid_to__isnull=True
        ):
            if old.valid_from >= valid_from:
                raise MonitoringError("valid_from", "must be after the open membership's start")
            old.valid_to = valid_from
            old.save()
        return AreaMeter.objects.create(area=area, instrument=instrument, valid_from=valid_from)
