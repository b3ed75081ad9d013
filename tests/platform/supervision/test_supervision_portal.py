"""Institution portal: assignment by regulators, assigned list, recording verification results."""

from __future__ import annotations

import datetime as dt

import pytest

from jiliang.core.legal.schedule import add_months
from jiliang.platform.accounts.services import create_user
from jiliang.platform.audit.models import AuditEntry
from jiliang.platform.registry import models as m
from jiliang.platform.supervision.credit import assess_org
from jiliang.platform.supervision.models import Filing, VerificationRecord
from jiliang.platform.supervision.services import sync_filing, today

from ..conftest import PASSWORD
from .conftest import authorise_for_water_meters


@pytest.fixture
def scope(world):
    """lab_hz (Xihu 330106) is authorised for water meters."""
    return authorise_for_water_meters(world, valid_to=dt.date(2030, 1, 1))


def _filing(world, sv, seq, dn=80, verified_on=dt.date(2024, 3, 1)):
    inst = sv.add_instrument(world, seq=seq)
    if verified_on:
        sv.verify(world, inst, verified_on)
    return sync_filing(
        Filing(
            instrument=inst, item_code="water_meter", use="trade_settlement", params={"dn_mm": dn}
        )
    )


@pytest.fixture
def overdue(world, sv, scope):
    """DN 80 water meter (periodic, 24 months) verified 2024-03-01: overdue now."""
    return _filing(world, sv, 30)


@pytest.fixture
def assigned(client, world, sv, overdue):
    r = sv.api(
        client,
        world,
        "regulator",
        "post",
        f"filings/{overdue.pk}/assignment",
        {"institution": world.orgs["lab_hz"].code},
        HTTP_X_CHANGE_REASON="年度强检计划",
    )
    assert r.status_code == 200, r.content
    overdue.refresh_from_db()
    return overdue


@pytest.mark.parametrize(
    "role, status",
    [("enterprise", 403), ("inspector", 403), ("regulator_nb", 404), ("lab", 404), ("anon", 401)],
)
def test_assign_denied(client, world, sv, overdue, role, status):
    body = {"institution": world.orgs["lab_hz"].code}
    r = sv.api(client, world, role, "post", f"filings/{overdue.pk}/assignment", body)
    assert r.status_code == status
    overdue.refresh_from_db()
    assert overdue.assigned_to is None


def test_assign_only_to_an_authorised_institution(client, world, sv, overdue):
    path = f"filings/{overdue.pk}/assignment"
    r = sv.api(client, world, "regulator", "post", path, {"institution": world.orgs["lab_nb"].code})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "institution"]
    r = sv.api(client, world, "regulator", "post", path, {"institution": "nope"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "institution"]
    overdue.refresh_from_db()
    assert overdue.assigned_to is None


def test_assignment_is_audited_and_can_be_withdrawn(client, world, sv, assigned):
    assert assigned.assigned_to == world.orgs["lab_hz"] and assigned.assigned_on == today()
    entry = (
        AuditEntry.objects.filter(model="supervision.filing", object_id=str(assigned.pk))
        .order_by("id")
        .last()
    )
    assert entry.username == "regulator" and entry.reason == "年度强检计划"
    assert entry.changed_fields == ["assigned_on", "assigned_to_id"]
    r = sv.api(
        client,
        world,
        "regulator",
        "post",
        f"filings/{assigned.pk}/assignment",
        {"institution": None},
    )
    assert r.status_code == 200 and r.json()["assigned_to"] is None


def test_portal_lists_assigned_by_state(client, world, sv, assigned, scope):
    other = _filing(world, sv, 31, verified_on=None)  # not assigned: never listed
    assert other.assigned_to is None
    r = sv.api(client, world, "lab", "get", "assigned")
    assert r.status_code == 200
    assert [f["lifetime_id"] for f in r.json()["items"]] == [assigned.instrument.lifetime_id]
    assert r.json()["items"][0]["assigned_to"] == world.orgs["lab_hz"].code
    assert sv.api(client, world, "lab", "get", "assigned?state=overdue").json()["count"] == 1
    assert sv.api(client, world, "lab", "get", "assigned?state=done").json()["count"] == 0
    r = sv.api(client, world, "lab", "get", "assigned?state=bogus")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "state"]
    assert sv.api(client, world, "regulator", "get", "assigned").json()["count"] == 1
    assert sv.api(client, world, "regulator_nb", "get", "assigned").json()["count"] == 0
    assert sv.api(client, world, "enterprise", "get", "assigned").status_code == 403
    # the institution may read the filing it verifies, not change or withdraw it
    assert sv.api(client, world, "lab", "get", f"filings/{assigned.pk}").status_code == 200
    assert sv.api(client, world, "lab", "get", f"filings/{other.pk}").status_code == 404
    r = sv.api(client, world, "lab", "post", f"filings/{assigned.pk}/withdrawal", {"reason": "x"})
    assert r.status_code == 403
    client.force_login(world.users["lab"])
    page = client.get("/s/assigned/?state=overdue").content.decode()
    assert assigned.instrument.lifetime_id in page.split('id="assigned"')[1]
    page = client.get("/s/assigned/?state=done").content.decode()
    assert assigned.instrument.lifetime_id not in page.split('id="assigned"')[1]
    client.force_login(world.users["enterprise"])
    assert client.get("/s/assigned/").status_code == 403


def _record(client, world, sv, role, f, **body):
    payload = {"performed_on": today().isoformat(), "result": "pass", **body}
    return sv.api(client, world, role, "post", f"filings/{f.pk}/verifications", payload)


def test_pass_updates_schedule_and_shows_seal_publicly(client, world, sv, assigned):
    day = today() - dt.timedelta(days=1)
    r = _record(
        client,
        world,
        sv,
        "lab",
        assigned,
        performed_on=day.isoformat(),
        certificate_no="JD-2026-0001",
        seal_no="FY-330106-0001",
    )
    assert r.status_code == 201, r.content
    due = add_months(day, 24)  # JJG 162 periodic water meter (DN > 50): 24 months
    assert r.json()["filing"]["status"] == "ok"
    assert r.json()["filing"]["due_date"] == due.isoformat()
    assert r.json()["seal_no"] == "FY-330106-0001" and r.json()["valid_until"] == due.isoformat()
    assigned.refresh_from_db()
    assert (assigned.last_verified, assigned.last_result) == (day, "pass")
    assert (
        assigned.last_certificate == "JD-2026-0001" and assigned.verified_by == world.orgs["lab_hz"]
    )
    event = m.CalibrationEvent.objects.get(certificate_no="JD-2026-0001")
    assert event.kind == "verification" and event.due_on == due
    assert event.performed_by == world.orgs["lab_hz"]
    audited = AuditEntry.objects.filter(username="lab").values_list("model", flat=True)
    assert {"registry.calibrationevent", "supervision.verificationrecord"} <= set(audited)
    assert sv.api(client, world, "lab", "get", "assigned?state=done").json()["count"] == 1
    listed = sv.api(client, world, "enterprise", "get", f"filings/{assigned.pk}/verifications")
    assert listed.json()[0]["certificate_no"] == "JD-2026-0001"
    scan = client.get(f"/v/{assigned.instrument.uuid}/").content.decode()
    assert "FY-330106-0001" in scan and world.orgs["ent_hz"].name not in scan
    public = client.get(f"/api/supervision/public/{assigned.instrument.uuid}").json()
    assert public["seal"] == "FY-330106-0001"


def test_failure_needs_a_notice_and_counts_against_credit(client, world, sv, assigned):
    r = _record(client, world, sv, "lab", assigned, result="fail", notice_no="BH-2026-07")
    assert r.status_code == 201, r.content
    assert r.json()["notice_no"] == "BH-2026-07" and r.json()["certificate_no"] is None
    assigned.refresh_from_db()
    assert assigned.status == "overdue" and assigned.last_result == "fail"  # until repaired
    kinds = [c.event.kind for c in assess_org(world.orgs["ent_hz"].code).contributions]
    assert "verification_failure" in kinds
    public = client.get(f"/api/supervision/public/{assigned.instrument.uuid}").json()
    assert public["result"] == "fail" and public["seal"] is None


def test_fixed_life_meter_gets_its_replacement_date(client, world, sv, scope):
    f = _filing(world, sv, 32, dn=20, verified_on=None)  # DN ≤ 25: life 72 months
    sv.api(
        client,
        world,
        "regulator",
        "post",
        f"filings/{f.pk}/assignment",
        {"institution": world.orgs["lab_hz"].code},
    )
    day = today()
    r = _record(client, world, sv, "lab", f, certificate_no="JD-FL-1", seal_no="FY-FL-1")
    assert r.status_code == 201, r.content
    assert r.json()["filing"]["replace_date"] == add_months(day, 72).isoformat()
    assert (
        r.json()["filing"]["due_date"] is None
        and r.json()["valid_until"] == r.json()["filing"]["replace_date"]
    )


@pytest.mark.parametrize(
    "body, field",
    [
        ({"certificate_no": "", "seal_no": "S1"}, "certificate_no"),
        ({"certificate_no": "C1", "notice_no": "N1", "seal_no": "S1"}, "notice_no"),
        ({"certificate_no": "C1"}, "seal_no"),
        ({"result": "fail", "notice_no": "N1", "seal_no": "S1"}, "seal_no"),
        ({"result": "fail", "certificate_no": "C1"}, "certificate_no"),
        ({"result": "maybe", "certificate_no": "C1", "seal_no": "S1"}, "result"),
        ({"performed_on": "2099-01-01", "certificate_no": "C1", "seal_no": "S1"}, "performed_on"),
        ({"performed_on": "2024-01-01", "certificate_no": "C1", "seal_no": "S1"}, "performed_on"),
        ({"certificate_no": "JD-HZ-1", "seal_no": "S1"}, "certificate_no"),  # already used
        ({"certificate_no": "C" * 61, "seal_no": "S1"}, "certificate_no"),
    ],
)
def test_bad_result_names_the_field_and_writes_nothing(client, world, sv, assigned, body, field):
    events = m.CalibrationEvent.objects.count()
    r = _record(client, world, sv, "lab", assigned, **body)
    assert r.status_code == 422, r.content
    assert ["body", field] in [d["loc"] for d in r.json()["detail"]]
    assert m.CalibrationEvent.objects.count() == events and not VerificationRecord.objects.exists()


def test_authorisation_must_cover_the_verification_date(client, world, sv, assigned, scope):
    scope.valid_to = today() - dt.timedelta(days=10)
    scope.save()
    r = _record(client, world, sv, "lab", assigned, certificate_no="C9", seal_no="S9")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "performed_on"]


def test_who_may_record(client, world, sv, assigned, overdue):
    body = {"certificate_no": "C2", "seal_no": "S2"}
    assert _record(client, world, sv, "enterprise", assigned, **body).status_code == 403
    assert _record(client, world, sv, "inspector", assigned, **body).status_code == 403
    assert _record(client, world, sv, "regulator_nb", assigned, **body).status_code == 404
    assert _record(client, world, sv, "anon", assigned, **body).status_code == 401
    # staff of another institution cannot even see it
    create_user("lab_nb", PASSWORD, "lab_staff", organisation=world.orgs["lab_nb"].code)
    client.login(username="lab_nb", password=PASSWORD)
    assert client.get(f"/s/filings/{assigned.pk}/verify/").status_code == 404
    assert not VerificationRecord.objects.exists()
    # the regulator assigns and supervises but never asserts a result on the institution's behalf
    assert _record(client, world, sv, "regulator", assigned, **body).status_code == 403
    assert _record(client, world, sv, "lab", assigned, **body).status_code == 201
    event = VerificationRecord.objects.get().event
    assert event.performed_by == world.orgs["lab_hz"]
    assert event.performed_by_person == world.people["lab_hz"]  # the qualified verifier


def test_regulator_never_records_a_verification(client, world, sv, overdue):
    r = _record(client, world, sv, "regulator", overdue, certificate_no="C3", seal_no="S3")
    assert r.status_code == 403 and "assigned institution" in r.json()["detail"]


def test_pages_assign_and_record(client, world, sv, overdue):
    client.force_login(world.users["regulator"])
    page = client.get(f"/s/filings/{overdue.pk}/").content.decode()
    assert 'id="assign-form"' in page
    r = client.post(
        f"/s/filings/{overdue.pk}/assign/", {"institution": world.orgs["lab_hz"].pk, "reason": "x"}
    )
    assert r.status_code == 302
    overdue.refresh_from_db()
    assert overdue.assigned_to == world.orgs["lab_hz"]
    client.force_login(world.users["enterprise"])
    assert client.post(f"/s/filings/{overdue.pk}/assign/", {"institution": ""}).status_code == 403
    assert client.get(f"/s/filings/{overdue.pk}/verify/").status_code == 403
    assert 'id="assign-form"' not in client.get(f"/s/filings/{overdue.pk}/").content.decode()
    client.force_login(world.users["lab"])
    url = f"/s/filings/{overdue.pk}/verify/"
    assert client.get(url).status_code == 200
    day = today().isoformat()
    r = client.post(url, {"performed_on": day, "result": "pass", "certificate_no": "JD-P-1"})
    assert r.status_code == 200 and "封印/标志号" in r.content.decode()  # the seal is missing
    assert not VerificationRecord.objects.exists()
    data = {"performed_on": day, "result": "pass", "certificate_no": "JD-P-1", "seal_no": "FY-P-1"}
    r = client.post(url, data)
    assert r.status_code == 302
    page = client.get(f"/s/filings/{overdue.pk}/").content.decode()
    assert "FY-P-1" in page.split('id="records"')[1]
