"""Risk early warning (计量风险预警, issue 16 §28): factors from records, notices, emergencies.

The thresholds are jiliang's own (``early-warning.yaml``, ``confirmed: false``); the expected
levels are worked from that table: one open tamper alarm is amber, three are red.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from jiliang.platform.audit.models import AuditEntry
from jiliang.platform.comparisons.models import Campaign, Flag, Participant, Score
from jiliang.platform.monitoring.models import Alarm
from jiliang.platform.risk import services
from jiliang.platform.risk.models import EarlyWarning, Emergency
from jiliang.platform.supervision import models as s

from .conftest import file_scales, hz_failed_verification

AS_OF = dt.date(2026, 6, 30)
T0 = dt.datetime(2026, 6, 1, 8, tzinfo=dt.UTC)


def tamper_alarm(inst, n: int) -> Alarm:
    return Alarm.objects.create(
        key=f"{inst.lifetime_id}|cheating_suspected|ev{n}",
        instrument=inst,
        kind="cheating_suspected",
        severity="high",
        action="on_site_check",
        reason_zh="软件校验值与批准型式不符",
        reason_en="software checksum differs from the approved type",
        first=T0,
        last=T0,
        evidence=[f"ev{n}"],
        tamper=True,
    )


def flag(world, org) -> Flag:
    c = Campaign.objects.create(
        code="PT-1",
        title="mass PT",
        pilot=world.orgs["nmi"],
        measurand="mass",
        unit=r"\kilogram",
        deadline=T0,
    )
    p = Participant.objects.create(campaign=c, organisation=org)
    score = Score.objects.create(
        campaign=c,
        participant=p,
        x=1.0,
        expanded_uncertainty=0.1,
        z=3.5,
        performance="unsatisfactory",
    )
    return Flag.objects.create(score=score, campaign=c, organisation=org, reason="|z| ≥ 3")


@pytest.fixture
def records(world):
    """Records of every factor: hz filed and failed, nb filed; a complaint (and a dismissed
    one) on hz; a serious credit event of ent_hz; a flag of lab_nb; a tamper alarm on nb."""
    filings = file_scales(world)
    hz_failed_verification(world)
    hz, nb = world.instruments["hz"], world.instruments["nb"]
    s.Complaint.objects.create(instrument=hz, category="inaccurate", text="short weight")
    s.Complaint.objects.create(instrument=hz, category="other", text="x", status="dismissed")
    s.CreditEvent.objects.create(
        organisation=world.orgs["ent_hz"], kind="cheating_device", on=dt.date(2026, 5, 1)
    )
    flag(world, world.orgs["lab_nb"])
    tamper_alarm(nb, 1)
    return filings


def test_factor_counts_come_from_the_records(world, records):
    zj = services.factor_counts(world.regions["330000"], AS_OF)
    # filed: hz, nb; overdue: hz (its latest verification failed → must replace);
    # verifications since 2025-06-30: JD-HZ-1, JD-NB-1, JD-HZ-FAIL (failed)
    assert zj == {
        "filed": 2,
        "overdue": 1,
        "verified": 3,
        "failed": 1,
        "complaints": 1,  # the dismissed one does not count
        "serious_credit": 1,
        "credit_events": 1,
        "comparison_flags": 1,
        "open_alarms": 1,
        "tamper_alarms": 1,
    }
    hz = services.factor_counts(world.regions["330100"], AS_OF)
    assert (hz["filed"], hz["failed"], hz["serious_credit"]) == (1, 1, 1)
    assert (hz["comparison_flags"], hz["open_alarms"], hz["tamper_alarms"]) == (0, 0, 0)
    # the failure window (365 d) ends before the failure when as_of is 2027-06-02
    later = services.factor_counts(world.regions["330100"], dt.date(2027, 6, 2))
    assert later["failed"] == 0


def test_region_view_levels(client, world, records):
    r = client.get("/api/risk/regions/330200", **world.auth("regulator_nb"))
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["level"] == "amber"  # one open tamper alarm (amber ≥ 1)
    tamper = next(f for f in body["factors"] if f["factor"] == "tamper_alarms")
    assert (tamper["value"], tamper["level"]) == (1.0, "amber")
    overdue = next(f for f in body["factors"] if f["factor"] == "overdue_rate")
    assert overdue["value"] is None  # 1 filed < min 20: not judged
    # Zhejiang: tamper alarm + flag + serious credit = three ambers → red
    zj = client.get("/api/risk/regions/330000", **world.auth("regulator")).json()
    assert zj["level"] == "red" and zj["reasons"][-1] == "红 3 项黄色因素 ≥ 3"


@pytest.mark.parametrize(
    "role,code,status",
    [
        ("enterprise", "330000", 403),
        ("lab", "330106", 403),
        ("anon", "330000", 403),
        ("regulator_nb", "330106", 403),
        ("inspector", "330100", 200),
        ("regulator", "999999", 404),
    ],
)
def test_region_view_is_for_supervisors_of_the_region(client, world, role, code, status):
    assert client.get(f"/api/risk/regions/{code}", **world.auth(role)).status_code == status


def test_crossing_a_threshold_stores_one_warning_idempotently(client, world, records, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    nb = world.regions["330200"]
    w = services.evaluate(world.users["regulator"], nb)
    assert w.level == "amber" and w.as_of == timezone.localdate()
    assert w.notified_users == 2  # regulator (33) and regulator_nb (3302) cover Ningbo
    again = client.post("/api/risk/regions/330200/evaluate", **world.auth("regulator_nb"))
    assert again.status_code == 200, again.content
    assert again.json()["warning"]["id"] == w.pk
    assert EarlyWarning.objects.count() == 1
    # two more tamper alarms: red (≥ 3) raises the same day's notice, still one row
    tamper_alarm(world.instruments["nb"], 2)
    tamper_alarm(world.instruments["nb"], 3)
    raised = services.evaluate(None, nb)
    assert raised.pk == w.pk and raised.level == "red"
    assert EarlyWarning.objects.count() == 1
    zj = services.evaluate(None, world.regions["330000"])
    assert zj.notified_org == world.orgs["amr_zj"]  # the only regulator organisation
    entries = AuditEntry.objects.filter(model="risk.earlywarning")
    assert [e.action for e in entries.order_by("id")] == ["create", "update", "create"]
    # lists: the same shape as other apps; other regions' warnings are not visible
    page = client.get("/api/risk/warnings", **world.auth("regulator_nb")).json()
    assert set(page) == {"count", "limit", "offset", "items"} and page["count"] == 1
    assert client.get("/api/risk/warnings", **world.auth("regulator")).json()["count"] == 2
    assert client.get("/api/risk/warnings", **world.auth("enterprise")).json()["count"] == 0
    r = client.get(f"/api/risk/warnings/{zj.pk}", **world.auth("regulator_nb"))
    assert r.status_code == 404


def test_green_stores_nothing(world):
    """The bare world (two verified scales, no complaint, alarm, flag or credit event)."""
    assert services.risk_view(world.regions["330000"])["level"] == "green"
    assert services.evaluate(world.users["regulator"], world.regions["330000"]) is None
    assert not EarlyWarning.objects.exists()


def test_writes_are_for_regulators_of_the_region(client, world, records):
    for role in ("enterprise", "inspector", "lab"):
        r = client.post("/api/risk/regions/330200/evaluate", **world.auth(role))
        assert r.status_code == 403, role
    assert (
        client.post("/api/risk/regions/330100/evaluate", **world.auth("regulator_nb")).status_code
        == 403
    )
    assert client.post("/api/risk/regions/330200/evaluate").status_code == 401
    assert not EarlyWarning.objects.exists()
    w = services.evaluate(None, world.regions["330200"])
    path = f"/api/risk/warnings/{w.pk}/acknowledge"
    assert client.post(path, **world.auth("inspector")).status_code == 404  # 3301: not its area
    ok = client.post(path, **world.auth("regulator_nb"))
    assert ok.status_code == 200 and ok.json()["acknowledged_by"] == "regulator_nb"
    twice = client.post(path, **world.auth("regulator_nb"))
    assert twice.status_code == 422 and twice.json()["detail"][0]["loc"] == ["body", "acknowledged"]


def _fields(r) -> set[str]:
    return {d["loc"][-1] for d in r.json()["detail"]}


def test_emergency_lifecycle(client, world):
    auth = world.auth("regulator_nb")
    body = {
        "region": "330203",
        "title": "加油机计量作弊",
        "kind": "tamper",
        "severity": "major",
        "description": "多台加油机疑似安装作弊芯片",
        "occurred_at": "2026-06-01T08:00:00Z",
    }
    bad = client.post(
        "/api/risk/emergencies",
        {**body, "kind": "fire", "title": " "},
        content_type="application/json",
        **auth,
    )
    assert bad.status_code == 422 and _fields(bad) == {"kind", "title"}
    denied = client.post(
        "/api/risk/emergencies", body, content_type="application/json", **world.auth("enterprise")
    )
    assert denied.status_code == 403
    other = client.post(
        "/api/risk/emergencies",
        {**body, "region": "330106"},
        content_type="application/json",
        **auth,
    )
    assert other.status_code == 403
    r = client.post("/api/risk/emergencies", body, content_type="application/json", **auth)
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    assert r.json()["status"] == "reported"
    close = {"closure": "查封作弊芯片，立案处罚"}
    early = client.post(
        f"/api/risk/emergencies/{pk}/close", close, content_type="application/json", **auth
    )
    assert early.status_code == 422 and _fields(early) == {"status"}
    act = client.post(
        f"/api/risk/emergencies/{pk}/actions",
        {"text": "现场封存", "taken_at": "2026-06-01T10:00:00Z"},
        content_type="application/json",
        **auth,
    )
    assert act.status_code == 201 and act.json()["status"] == "responding"
    before = client.post(
        f"/api/risk/emergencies/{pk}/actions",
        {"text": "x", "taken_at": "2026-05-01T10:00:00Z"},
        content_type="application/json",
        **auth,
    )
    assert before.status_code == 422 and _fields(before) == {"taken_at"}
    done = client.post(
        f"/api/risk/emergencies/{pk}/close", close, content_type="application/json", **auth
    )
    assert done.status_code == 200 and done.json()["status"] == "closed"
    assert done.json()["closed_by"] == "regulator_nb" and len(done.json()["actions"]) == 1
    for path, payload in [("close", close), ("actions", {"text": "再处置"})]:
        late = client.post(
            f"/api/risk/emergencies/{pk}/{path}", payload, content_type="application/json", **auth
        )
        assert late.status_code == 422 and _fields(late) == {"status"}, path
    # reads: Hangzhou's inspector does not see Ningbo's emergency
    assert client.get(f"/api/risk/emergencies/{pk}", **world.auth("inspector")).status_code == 404
    assert client.get("/api/risk/emergencies", **world.auth("regulator")).json()["count"] == 1
    e = Emergency.objects.get(pk=pk)
    audited = AuditEntry.objects.filter(model="risk.emergency", object_id=str(pk))
    assert [a.action for a in audited.order_by("id")] == ["create", "update", "update"]
    assert audited.order_by("id").last().after["status"] == "closed" == e.status
    assert AuditEntry.objects.filter(model="risk.emergencyaction").count() == 1


def test_risk_page_for_regulators_in_both_languages(client, world, records):
    client.force_login(world.users["regulator_nb"])
    r = client.get("/risk/")
    assert r.status_code == 200
    assert 'data-level="amber"' in r.content.decode() and "计量风险预警" in r.content.decode()
    en = client.get("/risk/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Measurement risk early warning" in en.content.decode()
    client.force_login(world.users["enterprise"])
    assert client.get("/risk/").status_code == 403
