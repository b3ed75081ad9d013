"""Signal wiring that turns model changes into audit entries."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import Any

from django.db import models, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import Signal
from django.utils import timezone

from .context import current_actor
from .models import AuditEntry

#: Sent after the transaction that recorded an entry commits: ``entry=AuditEntry``.
#: The transparency log connects here to append the entry's hash as a leaf.
entry_recorded = Signal()

_AUDITED: set[type[models.Model]] = set()


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    return value


def snapshot(instance: models.Model) -> dict[str, Any]:
    """JSON-safe dict of an instance's concrete field values (FKs as ids).

    Values pass through ``field.to_python`` first, so a value assigned as ``0`` to a float field
    snapshots as ``0.0``, exactly as the row reads back: a snapshot taken at save time and one
    taken later from the database are equal unless the row changed.
    """
    out = {}
    for field in instance._meta.concrete_fields:
        value = getattr(instance, field.attname)
        if value is not None:
            value = field.to_python(value)
        out[field.attname] = _json_value(value)
    return out


def snapshot_digest(values: dict[str, Any]) -> str:
    """SHA-256 of a snapshot's canonical JSON (how rows are compared with their logged state)."""
    import hashlib
    import json

    text = json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def record(
    instance: models.Model,
    action: str,
    before: dict | None,
    after: dict | None,
    changed: list[str] | None = None,
) -> AuditEntry | None:
    """Write one audit entry for ``instance`` (skipped when an update changed nothing)."""
    if changed is None:
        changed = sorted(
            k
            for k in set(before or {}) | set(after or {})
            if (before or {}).get(k) != (after or {}).get(k)
        )
    if action == AuditEntry.Action.UPDATE and not changed:
        return None
    actor = current_actor()
    entry = AuditEntry(
        timestamp=timezone.now(),
        user_id=actor.user_id if actor else None,
        username=actor.username if actor else "system",
        action=action,
        model=instance._meta.label_lower,
        object_id=str(instance.pk),
        object_repr=str(instance)[:200],
        before=before,
        after=after,
        changed_fields=changed,
        reason=actor.reason if actor else "",
    )
    entry.entry_hash = entry.compute_hash()
    entry.save()
    transaction.on_commit(lambda: entry_recorded.send(sender=AuditEntry, entry=entry))
    return entry


def record_bulk_create(objects: list[models.Model], batch_size: int = 5_000) -> int:
    """Audit entries for rows written with ``bulk_create`` (which sends no signals).

    Bulk loaders (the demo, imports) call this right after ``bulk_create`` so every row has its
    logged state like any other record.
    """
    actor = current_actor()
    now = timezone.now()
    entries = []
    for obj in objects:
        entry = AuditEntry(
            timestamp=now,
            user_id=actor.user_id if actor else None,
            username=actor.username if actor else "system",
            action=AuditEntry.Action.CREATE,
            model=obj._meta.label_lower,
            object_id=str(obj.pk),
            object_repr=str(obj)[:200],
            before=None,
            after=snapshot(obj),
            changed_fields=[],
            reason=actor.reason if actor else "",
        )
        entry.entry_hash = entry.compute_hash()
        entries.append(entry)
    AuditEntry.objects.bulk_create(entries, batch_size=batch_size)
    if entries:
        transaction.on_commit(lambda: entry_recorded.send(sender=AuditEntry, entry=entries[-1]))
    return len(entries)


def bulk_create_audited(
    model: type[models.Model], rows: list, audit: bool = True, batch_size: int = 5_000
) -> None:
    """``bulk_create`` plus, when ``audit``, the entries its skipped signals would have written."""
    model.objects.bulk_create(rows, batch_size=batch_size)
    if audit:
        record_bulk_create(rows, batch_size=batch_size)


def _pre_save(sender, instance, raw=False, **kwargs):
    if raw or instance.pk is None:
        instance._audit_before = None
        return
    old = sender._base_manager.filter(pk=instance.pk).first()
    instance._audit_before = snapshot(old) if old is not None else None


def _post_save(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    before = getattr(instance, "_audit_before", None)
    action = AuditEntry.Action.CREATE if created or before is None else AuditEntry.Action.UPDATE
    record(instance, action, before, snapshot(instance))


def _post_delete(sender, instance, **kwargs):
    record(instance, AuditEntry.Action.DELETE, snapshot(instance), None)


def _m2m_changed(sender, instance, action, pk_set, **kwargs):
    if action not in {"post_add", "post_remove", "post_clear"} or not isinstance(
        instance, tuple(_AUDITED)
    ):
        return
    field = next(f for f in instance._meta.many_to_many if f.remote_field.through is sender)
    verb = {"post_add": "add", "post_remove": "remove", "post_clear": "clear"}[action]
    record(
        instance,
        AuditEntry.Action.UPDATE,
        None,
        {field.name: {verb: sorted(pk_set or [])}},
        changed=[field.name],
    )


def audit_models(*model_classes: type[models.Model]) -> None:
    """Audit every create/update/delete (and many-to-many change) of these models."""
    for model in model_classes:
        if model in _AUDITED:
            continue
        _AUDITED.add(model)
        uid = f"jiliang-audit-{model._meta.label_lower}"
        pre_save.connect(_pre_save, sender=model, dispatch_uid=f"{uid}-pre")
        post_save.connect(_post_save, sender=model, dispatch_uid=f"{uid}-post")
        post_delete.connect(_post_delete, sender=model, dispatch_uid=f"{uid}-del")
        for field in model._meta.many_to_many:
            m2m_changed.connect(
                _m2m_changed, sender=field.remote_field.through, dispatch_uid=f"{uid}-{field.name}"
            )


def is_audited(model: type[models.Model]) -> bool:
    return model in _AUDITED


def audited_models() -> list[type[models.Model]]:
    return sorted(_AUDITED, key=lambda m: m._meta.label_lower)
