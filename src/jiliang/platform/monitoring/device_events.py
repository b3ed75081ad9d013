"""Device-event ingest (``POST /api/monitoring/events``) and their evaluation into alarms.

The same rules as the readings ingest (:mod:`.services`): an organisation's account submits a
JSON list of ``{meter, timestamp, kind, payload}``; each row is validated by
:func:`jiliang.core.monitoring.events.parse_event`; an unknown meter, a meter not in an area of
the submitting organisation at the event's time (an event from an organisation that does not
own the meter), a duplicate (meter, timestamp, kind) within the batch or a malformed row rejects
the whole batch with every row's reason. Events already stored are *identical* (same payload)
or *conflicting* (another payload: the stored one stays). The batch is one transaction,
audited once (:class:`~.models.IngestBatch`); a re-send is answered from the first answer.

After the events are stored, :func:`jiliang.core.monitoring.events.evaluate` runs over the
affected meters' events from (the batch's earliest − the longest repetition window), with the
software identification compared with the meter type's :class:`~.models.TypeSoftware` and the
parameter-change counter continued from the last stored change; its alarms are upserted by
their stable key (a growing episode updates its row) and audited.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from jiliang.core.monitoring.events import (
    ApprovedSoftware,
    EventError,
    EventKind,
    evaluate,
    load_rules,
    parse_event,
)
from jiliang.core.monitoring.events import DeviceEvent as CoreEvent
from jiliang.core.monitoring.workorders import canonical_json, rfc3339
from jiliang.platform.audit.context import acting_as
from jiliang.platform.params import MAX_DATE, MIN_DATE
from jiliang.platform.registry.authority import Denied
from jiliang.platform.registry.models import Instrument

from . import workorders
from .models import Alarm, DeviceEvent, IngestBatch, TypeSoftware
from .services import (
    BatchRejected,
    BatchTooLarge,
    IngestConflict,
    Reason,
    _covers,
    _durable,
    _error,
    _owned,
    max_batch,
    user_organisation,
)


def _parse(body: Any) -> list[tuple[int, CoreEvent]]:
    if not isinstance(body, list):
        raise BatchRejected(
            [_error(-1, None, "body", Reason.INVALID, "the batch must be a JSON list of events")]
        )
    if not body:
        raise BatchRejected([_error(-1, None, "body", Reason.INVALID, "the batch is empty")])
    if len(body) > max_batch():
        raise BatchTooLarge(len(body), max_batch())
    out, errors = [], []
    for i, item in enumerate(body):
        if isinstance(item, dict) and "meter" in item and "meter_id" not in item:
            item = {**item, "meter_id": item["meter"]}
        meter = item.get("meter_id") if isinstance(item, dict) else None
        try:
            ev = parse_event(item)
        except EventError as exc:
            field = "meter" if exc.field == "meter_id" else exc.field
            errors.append(_error(i, meter, field, Reason.INVALID, exc.message))
            continue
        except OverflowError:
            ev = None
        if ev is None or not MIN_DATE <= ev.timestamp.date() <= MAX_DATE:
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
        out.append((i, ev))
    if errors:
        raise BatchRejected(errors)
    return out


def _payload_text(payload) -> str:
    return canonical_json(dict(payload)).decode()


def canonical_digest(events: list[CoreEvent]) -> str:
    """SHA-256 of ``[[meter, RFC 3339 time, kind, canonical payload], …]`` sorted."""
    items = sorted(
        [e.meter_id, rfc3339(e.timestamp), e.kind.value, _payload_text(e.payload)] for e in events
    )
    return hashlib.sha256(canonical_json(items)).hexdigest()


def ingest_events(user, body: Any, reason: str = "") -> dict[str, Any]:
    """Check, store and evaluate a batch of device events (module docstring).

    Returns ``batch``, ``rows``, ``accepted``, ``identical``, ``conflicting``, ``conflicts``,
    ``alarms`` (keys of the alarms raised or updated by this batch), ``digest``, ``replay``.
    """
    org = user_organisation(user)
    if org is None:
        raise Denied({"__all__": "only an organisation's account may submit device events"})
    rows = _parse(body)
    digest = canonical_digest([e for _, e in rows])
    with _durable(), transaction.atomic():
        done = IngestBatch.objects.filter(
            organisation=org, kind=IngestBatch.Kind.EVENTS, digest=digest
        ).first()
        if done is not None:
            return {**done.result, "batch": done.pk, "replay": True}
        result, new, ids = _check(org, rows)
        accepted = hashlib.sha256(
            canonical_json(sorted([i, rfc3339(t), k, p] for i, t, k, p in new))
        ).hexdigest()
        batch = IngestBatch(
            kind=IngestBatch.Kind.EVENTS,
            organisation=org,
            user=user if getattr(user, "pk", None) else None,
            digest=digest,
            accepted_digest=accepted,
            count=len(new),
            rows=len(rows),
            result={},
            received_at=timezone.now(),
        )
        with acting_as(user, reason):
            alarms = _evaluate(ids, new) if new else None
            result["alarms"] = sorted(_changed(alarms)) if alarms else []
            result["digest"] = digest
            batch.result = result
            try:
                with transaction.atomic():
                    batch.save()
            except IntegrityError:
                raise IngestConflict("the same batch was stored concurrently: resend") from None
            DeviceEvent.objects.bulk_create(
                [
                    DeviceEvent(instrument_id=i, timestamp=t, kind=k, payload=p, batch=batch)
                    for i, t, k, p in new
                ],
                batch_size=2_000,
                ignore_conflicts=True,
            )
            if DeviceEvent.objects.filter(batch=batch).count() != len(new):
                raise IngestConflict("events were stored concurrently: send the batch again")
            if alarms:
                _upsert(ids, alarms)
    return {**result, "batch": batch.pk, "replay": False}


def _check(org, rows: list[tuple[int, CoreEvent]]):
    errors: list[dict[str, Any]] = []
    first: dict[str, int] = {}
    for i, e in rows:
        if e.key in first:
            errors.append(
                _error(
                    i,
                    e.meter_id,
                    "timestamp",
                    Reason.DUPLICATE,
                    f"event {e.key} is already row {first[e.key]} of this batch",
                )
            )
        else:
            first[e.key] = i
    ids = dict(
        Instrument.objects.filter(lifetime_id__in={e.meter_id for _, e in rows}).values_list(
            "lifetime_id", "pk"
        )
    )
    spans = _owned(org.pk, list(ids.values()))
    dup_rows = {x["row"] for x in errors}
    good = []
    for i, e in rows:
        iid = ids.get(e.meter_id)
        if iid is None:
            errors.append(
                _error(i, e.meter_id, "meter", Reason.UNKNOWN_METER, f"unknown meter {e.meter_id}")
            )
        elif not _covers(spans.get(iid, []), e.timestamp):
            errors.append(
                _error(
                    i,
                    e.meter_id,
                    "meter",
                    Reason.NOT_YOURS,
                    f"meter {e.meter_id} is not in an area of {org.code} at "
                    f"{rfc3339(e.timestamp)}: its events are not yours to report",
                )
            )
        elif i not in dup_rows:
            good.append((i, iid, e))
    if errors:
        raise BatchRejected(sorted(errors, key=lambda x: x["row"]))
    stored: dict[tuple, Any] = {}
    if good:
        times = [e.timestamp for _, _, e in good]
        for iid, t, k, p in DeviceEvent.objects.filter(
            instrument_id__in={iid for _, iid, _ in good},
            timestamp__gte=min(times),
            timestamp__lte=max(times),
        ).values_list("instrument_id", "timestamp", "kind", "payload"):
            stored[(iid, t, k)] = p
    identical, conflicts, new = 0, [], []
    for i, iid, e in good:
        payload = dict(e.payload)
        key = (iid, e.timestamp, e.kind.value)
        if key in stored:
            if _payload_text(stored[key]) == _payload_text(payload):
                identical += 1
            else:
                conflicts.append({"row": i, "key": e.key, "stored": stored[key], "sent": payload})
        else:
            new.append((iid, e.timestamp, e.kind.value, payload))
    result = {
        "rows": len(rows),
        "accepted": len(new),
        "identical": identical,
        "conflicting": len(conflicts),
        "conflicts": conflicts[:200],
    }
    return result, new, {e.meter_id: iid for _, iid, e in good}


def _approved(instruments: dict[str, Instrument]) -> dict[str, ApprovedSoftware]:
    models = {i.model_name for i in instruments.values() if i.model_name}
    records = {t.model_name: t for t in TypeSoftware.objects.filter(model_name__in=models)}
    out = {}
    for lid, inst in instruments.items():
        t = records.get(inst.model_name)
        if t is not None:
            out[lid] = ApprovedSoftware(t.approval, t.algorithm, t.versions)
    return out


def _evaluate(ids: dict[str, int], new: list[tuple]):
    """The core evaluation over the affected meters' stored events since the batch's earliest
    − the longest repetition window, plus the new ones; returns ``(evaluation, existing)``."""
    rules = load_rules()
    window = max(
        (r.repeat.window_hours for r in rules.rules.values() if r.repeat is not None), default=0
    )
    since = min(t for _, t, _, _ in new) - dt.timedelta(hours=window)
    instruments = {i.lifetime_id: i for i in Instrument.objects.filter(pk__in=ids.values())}
    lid_of = {pk: lid for lid, pk in ids.items()}
    rows = list(
        DeviceEvent.objects.filter(
            instrument_id__in=ids.values(), timestamp__gte=since
        ).values_list("instrument_id", "timestamp", "kind", "payload")
    )
    events = [CoreEvent(lid_of[iid], t, EventKind(k), p) for iid, t, k, p in [*rows, *new]]
    counters: dict[str, int] = {}
    for lid, iid in ids.items():
        last = (
            DeviceEvent.objects.filter(
                instrument_id=iid, kind=EventKind.PARAMETER_CHANGE.value, timestamp__lt=since
            )
            .order_by("-timestamp")
            .values_list("payload", flat=True)
            .first()
        )
        if last and last.get("legally_relevant", True) and "counter" in last:
            counters[lid] = int(last["counter"])
    ev = evaluate(events, _approved(instruments), rules, counters=counters)
    existing = {a.key: a for a in Alarm.objects.filter(key__in=[a.key for a in ev.alarms])}
    return ev, existing


def _fields(ids: dict[str, int], a) -> dict[str, Any]:
    return {
        "instrument_id": ids[a.meter_id],
        "kind": a.kind,
        "severity": a.severity,
        "action": a.action,
        "reason_zh": a.reason_zh,
        "reason_en": a.reason_en,
        "first": a.first,
        "last": a.last,
        "evidence": list(a.evidence),
        "tamper": a.tamper,
    }


def _changed(evaluated) -> list[str]:
    """Keys of the alarms that are new or grew (a later last event, more evidence)."""
    ev, existing = evaluated
    out = []
    for a in ev.alarms:
        row = existing.get(a.key)
        if row is None or row.last != a.last or row.evidence != list(a.evidence):
            out.append(a.key)
    return out


def _open_order(alarm: Alarm) -> None:
    """A new alarm whose rule asks for an on-site check or a replacement opens that work order
    at once, by the platform itself (``Rel.SYSTEM``; idempotent per alarm), so no alarm waits
    for someone to notice it. Alarms that ask for nothing (``action: none``) open nothing."""
    if workorders.suggested_kind(alarm) is None:
        return
    workorders.open_order(None, alarm=alarm, change_reason="opened from a new alarm (automatic)")


def _upsert(ids: dict[str, int], evaluated) -> None:
    """Create new alarms and update grown ones, each audited (``save``)."""
    ev, existing = evaluated
    changed = set(_changed(evaluated))
    for a in ev.alarms:
        if a.key not in changed:
            continue
        row = existing.get(a.key)
        if row is None:
            row = Alarm.objects.create(key=a.key, **_fields(ids, a))
            _open_order(row)
        else:
            for k, v in _fields(ids, a).items():
                setattr(row, k, v)
            row.save()
