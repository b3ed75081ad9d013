"""The append-only audit entry."""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def canonical_bytes_of(entry) -> bytes:
    """Canonical JSON of an entry's content (any object with the entry's fields: migrations
    hash entries of their historical model with it too)."""
    body = {
        "timestamp": entry.timestamp.isoformat() if entry.timestamp else None,
        "username": entry.username,
        "action": entry.action,
        "model": entry.model,
        "object_id": entry.object_id,
        "before": entry.before,
        "after": entry.after,
        "reason": entry.reason,
    }
    if entry.prev_hash:  # entries written before the chain existed keep their logged hash
        body["prev"] = entry.prev_hash
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


class AuditEntry(models.Model):
    """One change to one object: who, when, what (before/after) and why.

    Rows are never updated or deleted: :meth:`save` refuses updates, :meth:`delete` refuses, and
    database triggers (migration 0002) refuse both at the SQL level too.
    """

    class Action(models.TextChoices):
        CREATE = "create", _("新建")
        UPDATE = "update", _("修改")
        DELETE = "delete", _("删除")

    timestamp = models.DateTimeField(_("时间"), db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    username = models.CharField(_("用户名"), max_length=150)
    action = models.CharField(_("操作"), max_length=10, choices=Action.choices)
    model = models.CharField(_("对象类型"), max_length=100, db_index=True)
    object_id = models.CharField(_("对象标识"), max_length=64, db_index=True)
    object_repr = models.CharField(_("对象"), max_length=200)
    before = models.JSONField(_("修改前"), null=True, blank=True)
    after = models.JSONField(_("修改后"), null=True, blank=True)
    changed_fields = models.JSONField(_("变更字段"), default=list)
    reason = models.CharField(_("原因"), max_length=500, blank=True)
    entry_hash = models.CharField(_("条目哈希"), max_length=64, editable=False)
    ledger_index = models.BigIntegerField(_("透明日志序号"), null=True, blank=True, editable=False)
    #: ``entry_hash`` of the previous entry for the same record (same ``model`` and
    #: ``object_id``), empty for a record's first entry: the record's history is a hash chain, so
    #: an entry removed from its middle leaves the next one naming a hash nobody holds.
    prev_hash = models.CharField(
        _("前一条目哈希"), max_length=64, blank=True, default="", editable=False
    )

    class Meta:
        ordering = ["-timestamp", "-id"]
        verbose_name = _("审计条目")
        verbose_name_plural = _("审计条目")
        indexes = [models.Index(fields=["model", "object_id"])]

    def __str__(self) -> str:
        return f"{self.timestamp:%Y-%m-%d %H:%M} {self.username} {self.action} {self.object_repr}"

    def canonical_bytes(self) -> bytes:
        """Canonical JSON of the entry's content: the bytes a transparency-log leaf commits to."""
        return canonical_bytes_of(self)

    def compute_hash(self) -> str:
        return hashlib.sha256(self.canonical_bytes()).hexdigest()

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("audit entries are append-only")
