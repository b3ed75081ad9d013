"""Audit trail: who, when, what (before/after) and why, append-only down to the database."""

from __future__ import annotations

import json

import pytest
from django.db import DatabaseError, connection, transaction

from jiliang.platform.audit.models import AuditEntry
from jiliang.platform.audit.signals import entry_recorded


def entries_for(obj):
    return AuditEntry.objects.filter(model=obj._meta.label_lower, object_id=str(obj.pk))


def test_api_change_is_attributed_with_reason_and_diff(client, world):
    inst = world.instruments["hz"]
    response = client.patch(
        f"/api/registry/instruments/{inst.pk}",
        data=json.dumps({"location": "stall 9"}),
        content_type="application/json",
        HTTP_X_CHANGE_REASON="moved by owner",
        **world.auth("enterprise"),
    )
    assert response.status_code == 200
    entry = entries_for(inst).first()
    assert entry.action == "update"
    assert entry.username == "enterprise"
    assert entry.user_id == world.users["enterprise"].pk
    assert entry.reason == "moved by owner"
    assert entry.changed_fields == ["location"]
    assert entry.before["location"] == "" and entry.after["location"] == "stall 9"
    assert entry.entry_hash == entry.compute_hash()


def test_create_delete_and_m2m_are_recorded(client, world):
    ev = world.events["hz"]
    actions = list(entries_for(ev).order_by("id").values_list("action", flat=True))
    assert actions[0] == "create"
    assert "update" in actions  # standards_used.add
    # only the operator deletes records (labs withdraw them); the deletion is audited all the same
    response = client.delete(f"/api/registry/calibrations/{ev.pk}", **world.auth("admin"))
    assert response.status_code == 204
    last = entries_for(ev).first()
    assert last.action == "delete" and last.after is None
    assert last.before["certificate_no"] == "JD-HZ-1"


def test_history_endpoint_and_page(client, world):
    inst = world.instruments["hz"]
    response = client.get(
        f"/api/registry/instruments/{inst.pk}/history", **world.auth("enterprise")
    )
    assert response.status_code == 200
    assert [e["action"] for e in response.json()] == ["create"]
    client.force_login(world.users["enterprise"])
    page = client.get(f"/r/instruments/{inst.pk}/")
    assert page.status_code == 200
    history = page.context["history"]
    assert [e.action for e in history] == ["create"]
    assert "lifetime_id" in history[0].changed_fields


def test_failed_write_leaves_no_audit_entry(client, world):
    count = AuditEntry.objects.count()
    client.patch(
        f"/api/registry/instruments/{world.instruments['hz'].pk}",
        data=json.dumps({"mpe": -5}),
        content_type="application/json",
        **world.auth("enterprise"),
    )
    assert AuditEntry.objects.count() == count


def test_entries_cannot_be_changed_or_deleted_through_the_orm(world):
    entry = AuditEntry.objects.first()
    entry.reason = "rewritten"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditentry SET reason = 'rewritten' WHERE id = %s",
        "UPDATE audit_auditentry SET after = NULL WHERE id = %s",
        "DELETE FROM audit_auditentry WHERE id = %s",
    ],
)
def test_database_refuses_rewrites(world, sql):
    entry = AuditEntry.objects.first()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [entry.pk])
    assert AuditEntry.objects.filter(pk=entry.pk, reason=entry.reason).exists()


def test_ledger_index_may_be_filled_once(world):
    entry = AuditEntry.objects.first()
    AuditEntry.objects.filter(pk=entry.pk).update(ledger_index=7)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(ledger_index=8)
    entry.refresh_from_db()
    assert entry.ledger_index == 7


def test_entry_recorded_signal_fires_after_commit(django_capture_on_commit_callbacks, world):
    seen = []

    def receiver(sender, entry, **kwargs):
        seen.append(entry.entry_hash)

    entry_recorded.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            inst = world.instruments["hz"]
            inst.location = "hook test"
            inst.save()
    finally:
        entry_recorded.disconnect(receiver)
    assert seen == [entries_for(world.instruments["hz"]).first().entry_hash]
