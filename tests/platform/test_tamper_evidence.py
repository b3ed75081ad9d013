"""Tamper evidence that covers every row: what an insider with write access to the database does.

Each test plays one attack the audit used to pass (issue 17) — a row deleted in SQL, an audit
entry removed from the middle of a record's history, an account promoted or a token inserted in
SQL, a database restored behind its transparency log — and asserts that
``jiliang ledger audit --records`` (or the service check it runs) now names it and fails.
The log is an RFC 9162 Merkle log; each audit entry's hash is one leaf (``ledger.service``).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import shutil

import pytest
from django.contrib.auth.models import Group
from django.core import checks
from django.db import connection
from typer.testing import CliRunner

from jiliang.cli.ledger import app as ledger_cli
from jiliang.platform.accounts.models import ApiToken
from jiliang.platform.audit import triggers
from jiliang.platform.audit.models import AuditEntry
from jiliang.platform.ledger import service
from jiliang.platform.registry import models as m
from jiliang.platform.supervision.models import CreditEvent

from .conftest import scale_fields


@pytest.fixture(autouse=True)
def ledger_dir(settings, tmp_path):
    settings.JILIANG_LEDGER_DIR = tmp_path / "ledger"
    return settings.JILIANG_LEDGER_DIR


def sql(statement: str, params: list | tuple = ()) -> None:
    """What an insider with database rights does: lift the append-only triggers, run SQL."""
    triggers.drop(connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
    finally:
        triggers.install(connection)


def problems(report) -> set[tuple[str, str]]:
    return {(p["kind"], p.get("object", "")) for p in report.problems}


def cli_audit(ledger_dir) -> tuple[int, str]:
    """``jiliang ledger audit --records`` in process, on the test database and log."""
    result = CliRunner().invoke(ledger_cli, ["audit", "--records", "--log", str(ledger_dir)])
    return result.exit_code, result.output


def spare_instrument(world, n: int = 9) -> m.Instrument:
    """An instrument nothing refers to (so SQL can delete it without tripping foreign keys)."""
    owner, region = world.orgs["ent_hz"], world.regions["330106"]
    return m.Instrument.objects.create(**scale_fields(owner, region, n, f"spare {n}"))


def test_clean_world_passes_every_record_check(world, ledger_dir):
    service.sync()
    for name, report in service.audit_platform():
        assert report.ok, (name, report.problems[:5])
    code, output = cli_audit(ledger_dir)
    assert code == 0, output
    assert "audit chains match" in output and "logged audit entries match" in output


# -- 1. deletions are evidence ---------------------------------------------------------------


def test_credit_event_deleted_in_sql_is_missing(world, ledger_dir):
    penalty = CreditEvent.objects.create(
        organisation=world.orgs["ent_hz"], kind="penalty", on=dt.date(2026, 3, 1), detail="fine"
    )
    service.sync()
    sql("DELETE FROM supervision_creditevent WHERE id = %s", [penalty.pk])
    assert ("MISSING", f"supervision.creditevent:{penalty.pk}") in problems(service.audit_rows())
    code, output = cli_audit(ledger_dir)
    assert code == 1
    assert f"MISSING supervision.creditevent:{penalty.pk}" in output


def test_instrument_deleted_in_sql_is_missing(world, ledger_dir):
    victim = spare_instrument(world)
    service.sync()
    sql("DELETE FROM registry_instrument WHERE id = %s", [victim.pk])
    assert problems(service.audit_rows()) == {("MISSING", f"registry.instrument:{victim.pk}")}
    code, output = cli_audit(ledger_dir)
    assert code == 1 and f"MISSING registry.instrument:{victim.pk}" in output


def test_deletion_through_the_platform_is_a_logged_event_not_a_tamper(world, ledger_dir):
    victim = spare_instrument(world)
    pk = victim.pk
    victim.delete()
    service.sync()
    last = AuditEntry.objects.filter(model="registry.instrument", object_id=str(pk)).first()
    assert last.action == "delete" and last.ledger_index is not None
    log, _signer = service.ensure_log()
    try:
        assert log.entry(last.ledger_index) == service.audit_payload(last)
    finally:
        log.close()
    assert service.audit_rows().ok and service.audit_chains().ok


# -- 2. audit-entry chains -------------------------------------------------------------------


def _history_of_three(world) -> tuple[m.Instrument, list[AuditEntry]]:
    inst = world.instruments["hz"]
    for where in ("stall 1", "stall 2"):
        inst.location = where
        inst.save()
    entries = list(
        AuditEntry.objects.filter(model="registry.instrument", object_id=str(inst.pk)).order_by(
            "id"
        )
    )
    assert [e.action for e in entries] == ["create", "update", "update"]
    return inst, entries


def test_entries_of_a_record_are_hash_linked(world):
    _inst, entries = _history_of_three(world)
    assert entries[0].prev_hash == ""
    for prev, entry in itertools.pairwise(entries):
        assert entry.prev_hash == prev.entry_hash
        assert entry.entry_hash == entry.compute_hash()  # the link is part of the logged hash


def test_history_api_shows_the_chain(client, world):
    inst, _entries = _history_of_three(world)
    history = client.get(
        f"/api/registry/instruments/{inst.pk}/history", **world.auth("enterprise")
    ).json()
    assert [e["action"] for e in history] == ["update", "update", "create"]  # newest first
    assert [e["prev_hash"] for e in history] == [
        history[1]["entry_hash"],
        history[2]["entry_hash"],
        "",
    ]


def test_audit_entry_deleted_from_the_middle_of_a_history_breaks_its_chain(world, ledger_dir):
    inst, entries = _history_of_three(world)
    service.sync()
    middle, after = entries[-2], entries[-1]
    sql("DELETE FROM audit_auditentry WHERE id = %s", [middle.pk])
    chains = service.audit_chains()
    assert [(p["kind"], p["entry"]) for p in chains.problems] == [("CHAIN_BROKEN", after.pk)]
    leaves = service.audit_log_leaves()
    assert [(p["kind"], p["entry"]) for p in leaves.problems] == [("ENTRY_MISSING", middle.pk)]
    code, output = cli_audit(ledger_dir)
    assert code == 1
    assert f"CHAIN_BROKEN registry.instrument:{inst.pk} entry={after.pk}" in output


def test_unlogged_middle_entry_deleted_is_caught_by_the_chain_alone(world):
    """Before any sync (the log never saw the entry) the chain still shows the gap."""
    _inst, entries = _history_of_three(world)
    sql("DELETE FROM audit_auditentry WHERE id = %s", [entries[-2].pk])
    assert [p["entry"] for p in service.audit_chains().problems] == [entries[-1].pk]


def test_first_entry_of_a_history_deleted_is_caught(world):
    _inst, entries = _history_of_three(world)
    sql("DELETE FROM audit_auditentry WHERE id = %s", [entries[0].pk])
    report = service.audit_chains()
    assert [(p["kind"], p["entry"]) for p in report.problems] == [("CHAIN_BROKEN", entries[1].pk)]


# -- 3. accounts are records -----------------------------------------------------------------


def test_user_promoted_to_superuser_in_sql_is_reported(world, ledger_dir):
    user = world.users["enterprise"]
    service.sync()
    sql(
        "UPDATE auth_user SET is_superuser = %s, is_staff = %s WHERE id = %s", [True, True, user.pk]
    )
    assert problems(service.audit_rows()) == {("ROW_CHANGED", f"auth.user:{user.pk}")}
    code, output = cli_audit(ledger_dir)
    assert code == 1 and f"ROW_CHANGED auth.user:{user.pk}" in output


def test_user_added_to_a_group_in_sql_is_reported(world):
    user = world.users["enterprise"]
    regulators = Group.objects.get(name="regulator")
    sql(
        "INSERT INTO auth_user_groups (user_id, group_id) VALUES (%s, %s)",
        [user.pk, regulators.pk],
    )
    assert problems(service.audit_rows()) == {("ROW_CHANGED", f"auth.user:{user.pk}")}


def test_group_membership_through_the_platform_is_audited(world):
    user = world.users["enterprise"]
    Group.objects.get(name="inspector").user_set.add(user)  # from the group's side
    last = AuditEntry.objects.filter(model="auth.user", object_id=str(user.pk)).first()
    assert last.changed_fields == ["groups"] and len(last.after["groups"]) == 2
    assert service.audit_rows().ok


def test_api_token_inserted_in_sql_is_unlogged(world, ledger_dir):
    user = world.users["enterprise"]
    service.sync()
    sql(
        "INSERT INTO accounts_apitoken (user_id, name, key_hash, created) VALUES (%s, %s, %s, %s)",
        [user.pk, "backdoor", "ab" * 32, "2026-12-01 00:00:00"],
    )
    token = ApiToken.objects.get(name="backdoor")
    assert problems(service.audit_rows()) == {("UNLOGGED", f"accounts.apitoken:{token.pk}")}
    code, output = cli_audit(ledger_dir)
    assert code == 1 and f"UNLOGGED accounts.apitoken:{token.pk}" in output


def test_token_use_and_login_are_not_tampers(client, world):
    """``last_used`` / ``last_login`` are rewritten in place by design: not audited."""
    before = AuditEntry.objects.count()
    assert client.get("/api/registry/instruments", **world.auth("enterprise")).status_code == 200
    client.force_login(world.users["enterprise"])
    assert client.get("/").status_code in (200, 302)
    assert service.audit_rows().ok
    assert AuditEntry.objects.count() == before


def test_password_and_token_hashes_never_enter_the_trail(world):
    user = world.users["enterprise"]
    user.set_password("another-long-password-2")
    user.save()
    token = ApiToken.objects.filter(user=user).first()
    trail = json.dumps(
        list(
            AuditEntry.objects.filter(model__in=["auth.user", "accounts.apitoken"]).values_list(
                "before", "after"
            )
        )
    )
    assert user.password not in trail and token.key_hash not in trail
    last = AuditEntry.objects.filter(model="auth.user", object_id=str(user.pk)).first()
    assert last.changed_fields == ["password"]
    assert last.after["password"].startswith("sha256:")


# -- 4. a database restored behind its log ---------------------------------------------------


def _restore_behind_the_log(world) -> list[int]:
    """Three acknowledged (logged) writes, then the database rolled back to before them."""
    inst = world.instruments["nb"]
    original = inst.location
    service.sync()
    for n in range(3):
        inst.location = f"acknowledged {n}"
        inst.save()
    service.sync()
    lost = list(
        AuditEntry.objects.filter(model="registry.instrument", object_id=str(inst.pk))
        .order_by("-id")
        .values_list("id", flat=True)[:3]
    )
    first_lost = min(lost)
    sql("DELETE FROM audit_auditentry WHERE id >= %s", [first_lost])
    sql("UPDATE registry_instrument SET location = %s WHERE id = %s", [original, inst.pk])
    # the restored copy's id counter is the old one too: new entries reuse the lost ids
    if connection.vendor == "postgresql":
        sql("SELECT setval(pg_get_serial_sequence('audit_auditentry', 'id'), %s)", [first_lost - 1])
    else:
        sql("UPDATE sqlite_sequence SET seq = %s WHERE name = 'audit_auditentry'", [first_lost - 1])
    return sorted(lost)


def test_database_restored_behind_its_log_is_detected_at_start_up(world, settings):
    lost = _restore_behind_the_log(world)
    problem = service.log_position_problem()
    assert problem is not None
    assert "behind its transparency log" in problem and f"audit entry {lost[-1]}" in problem
    warnings = checks.run_checks(tags=["jiliang"])
    assert [w.id for w in warnings] == ["jiliang.ledger.W001"]


def test_sync_refuses_to_log_reused_ids_after_a_restore(world, settings):
    lost = _restore_behind_the_log(world)
    settings.JILIANG_LEDGER_AUTO_SYNC = False
    inst = world.instruments["nb"]
    inst.location = "written after the restore"
    inst.save()
    reused = AuditEntry.objects.order_by("-id").first()
    assert reused.pk == lost[0]  # same id, other content
    with pytest.raises(service.BehindLogError, match="behind its transparency log"):
        service.sync()
    reused.refresh_from_db()
    assert reused.ledger_index is None


def test_audit_reports_lost_and_reused_entries_behind_the_log(world, ledger_dir):
    lost = _restore_behind_the_log(world)
    inst = world.instruments["nb"]
    inst.location = "written after the restore"
    inst.save()  # reuses lost[0]; auto-sync refuses to log it
    report = service.audit_log_leaves()
    kinds = [(p["kind"], p["entry"]) for p in report.problems]
    assert ("BEHIND_LOG", lost[0]) in kinds  # its id now holds different content
    assert ("BEHIND_LOG", lost[1]) in kinds and ("BEHIND_LOG", lost[2]) in kinds
    assert any("the database is behind its log" in p["detail"] for p in report.problems)
    code, output = cli_audit(ledger_dir)
    assert code == 1 and "BEHIND_LOG" in output


def test_log_older_than_the_database_is_detected(world, ledger_dir):
    service.sync()
    inst = world.instruments["nb"]
    inst.location = "logged later"
    inst.save()
    service.sync()
    size = AuditEntry.objects.filter(ledger_index__isnull=False).count()
    # a log directory put back from an older copy: rebuild it with one leaf fewer
    entries = []
    log, _signer = service.ensure_log()
    try:
        entries = log.entries(0, size - 1)
    finally:
        log.close()
    shutil.rmtree(ledger_dir)
    log, _signer = service.ensure_log()
    try:
        log.append_many(entries)
    finally:
        log.close()
    problem = service.log_position_problem()
    assert problem is not None and "older than the database" in problem


def test_start_up_check_is_quiet_on_a_fresh_install(db, ledger_dir):
    assert not (ledger_dir / "log.json").exists()
    assert service.log_position_problem() is None
    assert checks.run_checks(tags=["jiliang"]) == []


def test_acknowledged_restore_is_a_logged_note_and_never_reuses_ids(world, ledger_dir, settings):
    """Recovery when no newer copy exists: the loss is confessed in the log, once and for all."""
    lost = _restore_behind_the_log(world)
    settings.JILIANG_LEDGER_AUTO_SYNC = False
    inst = world.instruments["nb"]
    inst.location = "written after the restore"
    inst.save()  # reuses lost[0], left unlogged by the refusing sync
    with pytest.raises(ValueError, match="reason"):
        service.acknowledge_restore("  ")
    ack = service.acknowledge_restore("disk failure 2026-12-01; no newer backup")
    assert ack.lost_entries == lost
    statement = json.loads(ack.statement.read_text())
    assert statement["lost_entries"] == lost and statement["log_size"] == ack.index
    log, _signer = service.ensure_log()
    try:
        assert log.entry(ack.index).startswith(b"jiliang/restore-ack/v1\n")
    finally:
        log.close()
    assert service.log_position_problem() is None
    assert service.sync().appended == 1  # the post-restore entry, at a new leaf
    inst.location = "after the acknowledgement"
    inst.save()
    assert AuditEntry.objects.order_by("-id").first().pk > max(lost)  # no lost id reused
    service.sync()
    report = service.audit_log_leaves()
    assert report.ok and len(report.notes) == 3
    code, output = cli_audit(ledger_dir)
    assert code == 0, output
    assert output.count("acknowledged as lost") == 3
    with pytest.raises(ValueError, match="nothing to acknowledge"):
        service.acknowledge_restore("again")


def test_acknowledgement_covers_only_the_leaves_it_lists(world, ledger_dir, settings):
    """An acknowledgement is no amnesty: later deletions and a forged statement still fail."""
    _restore_behind_the_log(world)
    ack = service.acknowledge_restore("disk failure; no newer backup")
    older = AuditEntry.objects.filter(ledger_index__isnull=False).order_by("id").first()
    sql("DELETE FROM audit_auditentry WHERE id = %s", [older.pk])  # deleted after the ack
    report = service.audit_log_leaves()
    assert [(p["kind"], p["entry"]) for p in report.problems] == [("ENTRY_MISSING", older.pk)]
    statement = json.loads(ack.statement.read_text())
    statement["lost_leaves"].append(older.ledger_index)  # widen the amnesty after the fact
    ack.statement.write_text(json.dumps(statement, sort_keys=True, ensure_ascii=False, indent=1))
    kinds = {p["kind"] for p in service.audit_log_leaves().problems}
    assert {"ACK_INVALID", "ENTRY_MISSING"} <= kinds
