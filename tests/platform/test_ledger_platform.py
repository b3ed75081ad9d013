"""The platform feeds the transparency log, serves proofs, and audits rows against it."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from jiliang.core.ledger import (
    ConsistencyProof,
    Ed25519Verifier,
    InclusionProof,
    leaf_hash,
    open_checkpoint,
    verify_consistency,
    verify_entry,
)
from jiliang.platform.audit import triggers
from jiliang.platform.audit.models import AuditEntry
from jiliang.platform.ledger import service


@pytest.fixture(autouse=True)
def ledger_dir(settings, tmp_path):
    settings.JILIANG_LEDGER_DIR = tmp_path / "ledger"
    return settings.JILIANG_LEDGER_DIR


def test_sync_logs_every_entry_once_and_signs(world):
    pending = AuditEntry.objects.filter(ledger_index__isnull=True).count()
    assert pending > 10
    result = service.sync()
    assert result.appended == pending and result.size == pending
    indexes = sorted(AuditEntry.objects.values_list("ledger_index", flat=True))
    assert indexes == list(range(pending))
    vkey = Ed25519Verifier.from_vkey(service.verifier_key())
    head = open_checkpoint(result.checkpoint, vkey).checkpoint
    assert head.size == pending
    again = service.sync()
    assert again.appended == 0 and again.size == pending


def test_a_crash_between_append_and_index_update_is_not_logged_twice(world):
    entry = AuditEntry.objects.order_by("id").first()
    log, _signer = service.ensure_log()
    log.append(service.audit_payload(entry))  # the append survived, the index update did not
    log.close()
    result = service.sync()
    assert result.matched == 1
    entry.refresh_from_db()
    assert entry.ledger_index == 0
    assert result.size == AuditEntry.objects.count()


def test_committed_api_change_is_logged_at_once(client, world, django_capture_on_commit_callbacks):
    service.sync()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.patch(
            f"/api/registry/instruments/{world.instruments['hz'].pk}",
            data=json.dumps({"location": "logged"}),
            content_type="application/json",
            **world.auth("enterprise"),
        )
    assert response.status_code == 200
    newest = AuditEntry.objects.order_by("-id").first()
    assert newest.ledger_index is not None


def test_public_api_proofs_verify_offline(client, world):
    service.sync()
    entry = AuditEntry.objects.order_by("-id").first()
    note = client.get("/api/ledger/checkpoint").content
    vkey = Ed25519Verifier.from_vkey(client.get("/api/ledger/vkey").content.decode().strip())
    body = client.get(f"/api/ledger/audit-entry/{entry.pk}").json()
    proof = InclusionProof.from_json(json.dumps(body["proof"]))
    signed = verify_entry(body["payload"].encode(), proof, note, vkey)
    assert signed.checkpoint.size == AuditEntry.objects.count()
    by_hash = client.get(
        "/api/ledger/proof/inclusion", {"leaf_hash_hex": body["leaf_hash_hex"]}
    ).json()
    assert by_hash["index"] == entry.ledger_index
    # what the log holds is a digest, never the record's content
    logged = client.get(f"/api/ledger/entry/{entry.ledger_index}").content.decode()
    assert entry.entry_hash in logged and "lifetime_id" not in logged


def test_consistency_between_checkpoints(client, world):
    first = service.sync()
    inst = world.instruments["hz"]
    inst.location = "moved"
    inst.save()
    second = service.sync()
    assert second.size > first.size
    body = client.get(
        "/api/ledger/proof/consistency", {"old": first.size, "new": second.size}
    ).json()
    proof = ConsistencyProof.from_json(json.dumps(body))
    vkey = Ed25519Verifier.from_vkey(service.verifier_key())
    old = open_checkpoint(first.checkpoint, vkey).checkpoint
    new = open_checkpoint(second.checkpoint, vkey).checkpoint
    verify_consistency(old.size, new.size, list(proof.hashes), old.root, new.root)


@pytest.mark.parametrize(
    ("query", "status"),
    [({"index": 10_000}, 422), ({"leaf_hash_hex": "zz"}, 422), ({"leaf_hash_hex": "00" * 32}, 404)],
)
def test_bad_proof_requests(client, world, query, status):
    service.sync()
    assert client.get("/api/ledger/proof/inclusion", query).status_code == status


def test_only_admin_signs_on_demand(client, world):
    assert client.post("/api/ledger/checkpoint", **world.auth("anon")).status_code == 401
    assert client.post("/api/ledger/checkpoint", **world.auth("regulator")).status_code == 403
    assert client.post("/api/ledger/checkpoint", **world.auth("admin")).status_code == 200


def _tamper(sql: str, params: list) -> None:
    """What an attacker with database superuser rights does: lift the trigger, edit the row."""
    triggers.drop(connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    triggers.install(connection)


def test_audit_detects_a_row_edited_in_sql(world):
    service.sync()
    assert service.audit_records().ok
    victim = AuditEntry.objects.filter(model="registry.instrument").first()
    _tamper("UPDATE audit_auditentry SET reason = %s WHERE id = %s", ["nothing to see", victim.pk])
    report = service.audit_records()
    assert [(p["kind"], p["entry"]) for p in report.problems] == [("CONTENT_CHANGED", victim.pk)]


def test_audit_detects_a_row_rewritten_with_a_matching_hash(world):
    service.sync()
    victim = AuditEntry.objects.filter(model="registry.calibrationevent").first()
    victim.reason = "forged"
    forged_hash = victim.compute_hash()
    _tamper(
        "UPDATE audit_auditentry SET reason = %s, entry_hash = %s WHERE id = %s",
        ["forged", forged_hash, victim.pk],
    )
    report = service.audit_records()
    assert [(p["kind"], p["entry"]) for p in report.problems] == [("LEAF_MISMATCH", victim.pk)]


def test_log_page_checks_a_leaf(client, world):
    service.sync()
    page = client.get("/log/", {"index": 0})
    assert page.status_code == 200
    assert page.context["check"]["index"] == 0
    entry = AuditEntry.objects.get(ledger_index=0)
    assert page.context["check"]["leaf_hash"] == leaf_hash(service.audit_payload(entry)).hex()
    assert "check_error" in client.get("/log/", {"index": "x"}).context
    assert "check_error" in client.get("/log/", {"leaf_hash": "ab" * 32}).context


def test_rows_match_their_logged_state(world):
    report = service.audit_rows()
    assert report.ok, report.problems[:5]
    assert report.checked >= 15


def test_row_edited_in_sql_is_reported(world):
    inst = world.instruments["nb"]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE registry_instrument SET mpe = %s, mpe_si = %s WHERE id = %s",
            [0.5, 0.5, inst.pk],
        )
        cursor.execute(
            "INSERT INTO registry_region (code, name, name_en, level) VALUES (%s, %s, %s, %s)",
            ["330299", "ghost", "", "county"],
        )
    problems = {(p["kind"], p["object"]) for p in service.audit_rows().problems}
    ghost = world.regions["330000"].__class__.objects.get(code="330299")
    assert problems == {
        ("ROW_CHANGED", f"registry.instrument:{inst.pk}"),
        ("UNLOGGED", f"registry.region:{ghost.pk}"),
    }
