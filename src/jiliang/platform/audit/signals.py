"""Signal wiring that turns model changes into audit entries."""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import uuid
from dataclasses import dataclass
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


@dataclass(frozen=True)
class AuditOptions:
    """How one audited model is snapshotted.

    ``secret``: fields logged only as ``sha256:<digest>`` (password hashes, token hashes): a
    change still shows, the value never reaches the audit trail, its API or the log.
    ``ignore``: bookkeeping fields the platform itself rewrites with ``update()`` (last login,
    token last use): neither audited nor compared with the row.
    ``m2m``: many-to-many memberships are part of the snapshot (a user's groups decide their
    role), so a membership changed in SQL shows as a changed row.
    """

    secret: frozenset[str] = frozenset()
    ignore: frozenset[str] = frozenset()
    m2m: bool = False


_OPTIONS: dict[type[models.Model], AuditOptions] = {}
_DEFAULT = AuditOptions()


def account_options() -> dict[str, AuditOptions]:
    """The account models audited like registry rows (label → options): users, groups,
    profiles, API tokens. Shared by ``AuditConfig.ready`` and the baseline migration."""
    from django.conf import settings

    return {
        settings.AUTH_USER_MODEL.lower(): AuditOptions(
            frozenset({"password"}), frozenset({"last_login"}), m2m=True
        ),
        "auth.group": AuditOptions(m2m=True),
        "accounts.profile": AuditOptions(),
        "accounts.apitoken": AuditOptions(frozenset({"key_hash"}), frozenset({"last_used"})),
    }


def options_for(model: type[models.Model]) -> AuditOptions:
    return _OPTIONS.get(model) or _OPTIONS.get(model._meta.concrete_model) or _DEFAULT


def secret_digest(value: Any) -> str:
    """What the trail keeps of a secret field: its SHA-256, never the value."""
    return "sha256:" + hashlib.sha256(str(value).encode()).hexdigest()


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    return value


def snapshot(instance: models.Model, opts: AuditOptions | None = None) -> dict[str, Any]:
    """JSON-safe dict of an instance's concrete field values (FKs as ids).

    Values pass through ``field.to_python`` first, so a value assigned as ``0`` to a float field
    snapshots as ``0.0``, exactly as the row reads back: a snapshot taken at save time and one
    taken later from the database are equal unless the row changed. Per-model
    :class:`AuditOptions` digest secret fields, drop ignored ones and add m2m memberships (sorted
    primary keys, one query per field).
    """
    opts = opts or options_for(type(instance))
    out = {}
    for field in instance._meta.concrete_fields:
        if field.attname in opts.ignore:
            continue
        value = getattr(instance, field.attname)
        if value is not None:
            value = field.to_python(value)
        out[field.attname] = (
            secret_digest(value) if field.attname in opts.secret else _json_value(value)
        )
    if opts.m2m and instance.pk is not None:
        for field in instance._meta.many_to_many:
            pks = getattr(instance, field.name).values_list("pk", flat=True)
            out[field.name] = sorted(_json_value(pk) for pk in pks)
    return out


def snapshot_digest(values: dict[str, Any]) -> str:
    """SHA-256 of a snapshot's canonical JSON (how rows are compared with their logged state)."""
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
    label = instance._meta.label_lower
    object_id = str(instance.pk)
    # the record's chain: this entry names the hash of the record's previous entry
    prev = (
        AuditEntry.objects.filter(model=label, object_id=object_id)
        .order_by("-id")
        .values_list("entry_hash", flat=True)
        .first()
    )
    entry = AuditEntry(
        timestamp=timezone.now(),
        user_id=actor.user_id if actor else None,
        username=actor.username if actor else "system",
        action=action,
        model=label,
        object_id=object_id,
        object_repr=str(instance)[:200],
        before=before,
        after=after,
        changed_fields=changed,
        reason=actor.reason if actor else "",
        prev_hash=prev or "",
    )
    entry.entry_hash = entry.compute_hash()
    entry.save()
    transaction.on_commit(lambda: entry_recorded.send(sender=AuditEntry, entry=entry))
    return entry


def record_bulk_create(objects: list[models.Model], batch_size: int = 5_000) -> int:
    """Audit entries for rows written with ``bulk_create`` (which sends no signals).

    Bulk loaders (the demo, imports) call this right after ``bulk_create`` so every row has its
    logged state like any other record. Rows with auto-increment keys are new records (their
    chain starts here); other keys may have a history, whose head each new entry links to.
    """
    actor = current_actor()
    now = timezone.now()
    entries = []
    heads = _chain_heads(objects)
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
            prev_hash=heads.get((obj._meta.label_lower, str(obj.pk)), ""),
        )
        entry.entry_hash = entry.compute_hash()
        entries.append(entry)
    AuditEntry.objects.bulk_create(entries, batch_size=batch_size)
    if entries:
        transaction.on_commit(lambda: entry_recorded.send(sender=AuditEntry, entry=entries[-1]))
    return len(entries)


def _chain_heads(objects: list[models.Model]) -> dict[tuple[str, str], str]:
    """Latest entry hash per (model, object id) among ``objects`` whose keys can recur."""
    heads: dict[tuple[str, str], str] = {}
    by_model: dict[str, list[str]] = {}
    for obj in objects:
        if not isinstance(obj._meta.pk, models.AutoField):  # AutoFieldMeta: Big/Small too
            by_model.setdefault(obj._meta.label_lower, []).append(str(obj.pk))
    for label, ids in by_model.items():
        for start in range(0, len(ids), 500):
            rows = (
                AuditEntry.objects.filter(model=label, object_id__in=ids[start : start + 500])
                .order_by("id")
                .values_list("object_id", "entry_hash")
            )
            heads.update({(label, oid): digest for oid, digest in rows})
    return heads


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


def _record_m2m(owner: models.Model, field, verb: str, pks: list) -> None:
    """One entry for a membership change of ``owner``'s m2m ``field``."""
    if options_for(type(owner)).m2m:  # full snapshot: the row audit compares memberships
        record(owner, AuditEntry.Action.UPDATE, None, snapshot(owner), changed=[field.name])
        return
    record(owner, AuditEntry.Action.UPDATE, None, {field.name: {verb: pks}}, changed=[field.name])


def _m2m_changed(sender, instance, action, pk_set, reverse=False, model=None, **kwargs):
    """Memberships changed from either side (``reverse``: from the target, e.g. a group)."""
    if reverse:
        owner_model = model
        if owner_model is None or owner_model not in _AUDITED:
            return
        field = next(
            (f for f in owner_model._meta.many_to_many if f.remote_field.through is sender), None
        )
        if field is None:
            return
        if action == "pre_clear":  # afterwards nobody knows who was a member
            instance._audit_cleared = list(
                owner_model._base_manager.filter(**{field.name: instance}).values_list(
                    "pk", flat=True
                )
            )
            return
        if action not in {"post_add", "post_remove", "post_clear"}:
            return
        owners = pk_set if action != "post_clear" else getattr(instance, "_audit_cleared", [])
        verb = {"post_add": "add", "post_remove": "remove", "post_clear": "remove"}[action]
        for owner in owner_model._base_manager.filter(pk__in=list(owners or [])).order_by("pk"):
            _record_m2m(owner, field, verb, [instance.pk])
        return
    if action not in {"post_add", "post_remove", "post_clear"} or not isinstance(
        instance, tuple(_AUDITED)
    ):
        return
    field = next((f for f in instance._meta.many_to_many if f.remote_field.through is sender), None)
    if field is None:
        return
    verb = {"post_add": "add", "post_remove": "remove", "post_clear": "clear"}[action]
    _record_m2m(instance, field, verb, sorted(pk_set or []))


def audit_models(
    *model_classes: type[models.Model],
    secret: tuple[str, ...] = (),
    ignore: tuple[str, ...] = (),
    m2m: bool = False,
) -> None:
    """Audit every create/update/delete (and many-to-many change) of these models.

    ``secret``, ``ignore``, ``m2m``: see :class:`AuditOptions`.
    """
    for model in model_classes:
        if model in _AUDITED:
            continue
        _AUDITED.add(model)
        if secret or ignore or m2m:
            _OPTIONS[model] = AuditOptions(frozenset(secret), frozenset(ignore), m2m)
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


#: Models deliberately left out of the per-row audit trail, by ``app_label.ModelName``, each with
#: the reason (what makes its changes evident instead). Every other model of the project must be
#: audited: ``tests/platform/test_audit_coverage.py`` fails on a model that is neither, so a new
#: model is a decision, not an accident. Apps add their own with :func:`exempt_from_audit`.
AUDIT_EXEMPT: dict[str, str] = {
    # Django and django-axes internals: no measurement fact, rebuilt or expired by the framework
    "admin.LogEntry": "Django admin's own change list; the audit trail records the same changes",
    "auth.Permission": "created by migrations from the models; rights are groups (audited)",
    "contenttypes.ContentType": "created by migrations from the models",
    "sessions.Session": "login state; logins and logouts are audited as events (accounts)",
    "axes.AccessFailureLog": "failed-login log kept by django-axes (itself the evidence)",
    "axes.AccessAttempt": "django-axes' lockout counter, expires by itself",
    "axes.AccessAttemptExpiration": "django-axes' lockout expiry",
    "axes.AccessLog": "django-axes' login log (itself the evidence)",
    # the trail itself: append-only by database trigger, hash-chained and in the log
    "audit.AuditEntry": "the audit trail itself (append-only trigger, hash chain, log leaves)",
}


def exempt_from_audit(label: str, reason: str) -> None:
    """Leave the model ``label`` (``app_label.ModelName``) out of the audit trail, saying why.

    Call from ``AppConfig.ready()``; the reason is shown by the coverage test when it fails.
    """
    if not reason.strip():
        raise ValueError(f"exempt_from_audit({label!r}): a reason is required")
    AUDIT_EXEMPT[label] = reason


def audited_models() -> list[type[models.Model]]:
    return sorted(_AUDITED, key=lambda m: m._meta.label_lower)
