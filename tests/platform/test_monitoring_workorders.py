"""Work orders in the platform (issue 14, "Alarms → work orders": 告警 → 现场核查 / 更换工单).

The state machine is the core's (tests/core/monitoring for its rules); here: the platform
stores the core's hash-chained history, enforces who may do which transition (authority, not
ownership: the grid operator works, the regulator of the region verifies — an enterprise never
verifies its own order), opens at most one open order per alarm, resolves the alarm when a
replacement is verified, and audits every change (so every transition reaches the log).
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from jiliang.core.monitoring import workorders as core
from jiliang.platform.audit.models import AuditEntry
from jiliang.platform.monitoring import workorders
from jiliang.platform.monitoring.models import (
    Alarm,
    EstimationRun,
    MeterEstimate,
    WorkOrder,
)

from .monitoring_helpers import T0, make_area, meter

URL = "/api/monitoring/work-orders"


def post(client, world, url, body, role):
    return client.post(
        url, data=json.dumps(body), content_type="application/json", **world.auth(role)
    )


def fields(res) -> set[str]:
    """The fields a 422 answer names."""
    return {d["loc"][-1] for d in res.json()["detail"]}


def make_alarm(inst, action: str, kind: str = "cheating_suspected") -> Alarm:
    return Alarm.objects.create(
        key=f"{inst.lifetime_id}|{kind}|ev1",
        instrument=inst,
        kind=kind,
        severity="high",
        action=action,
        reason_zh="软件校验值与批准型式不符",
        reason_en="software checksum differs from the approved type",
        first=T0,
        last=T0,
        evidence=["ev1"],
        tamper=True,
    )


@pytest.fixture
def area(world):
    return make_area(world, 2)


def _audits(number: str) -> list[AuditEntry]:
    order = WorkOrder.objects.get(number=number)
    return list(
        AuditEntry.objects.filter(model="monitoring.workorder", object_id=str(order.pk)).order_by(
            "id"
        )
    )


def test_replacement_lifecycle_resolves_the_alarm(client, world, area):
    _, _, users = area
    old = users[0]
    new = meter(world.orgs["ent_hz"], old.region, 90)
    alarm = make_alarm(old, "replacement")

    res = post(client, world, URL, {"alarm": alarm.key}, "regulator")
    assert res.status_code == 201, res.content
    number = res.json()["number"]
    assert (res.json()["kind"], res.json()["state"]) == ("replacement", "open")
    # idempotent: the alarm's open order is answered again, nothing new is written
    again = post(client, world, URL, {"alarm": alarm.key}, "enterprise")
    assert again.status_code == 200 and again.json()["number"] == number
    assert WorkOrder.objects.count() == 1

    base = f"{URL}/{number}"
    res = post(
        client, world, f"{base}/assign", {"assignee": world.orgs["ent_hz"].code}, "enterprise"
    )
    assert res.status_code == 200, res.content
    assert res.json()["state"] == "assigned"
    # a replacement names the new meter
    res = post(client, world, f"{base}/complete", {"note": "换表"}, "enterprise")
    assert res.status_code == 422 and "new_meter_id" in fields(res)
    res = post(
        client,
        world,
        f"{base}/complete",
        {"note": "换表，旧表封存", "new_meter": new.lifetime_id},
        "enterprise",
    )
    assert res.status_code == 200, res.content
    assert (res.json()["state"], res.json()["new_meter"]) == ("done", new.lifetime_id)
    # the enterprise cannot close its own order as verified
    check = {
        "record": "JD-NEW-1",
        "passed": True,
        "kind": "first_verification",
        "date": (T0 - dt.timedelta(days=3)).isoformat(),
    }
    res = post(client, world, f"{base}/verify", {"check": check}, "enterprise")
    assert res.status_code == 403
    res = post(client, world, f"{base}/verify", {}, "regulator")
    assert res.status_code == 422 and "check" in fields(res)
    res = post(client, world, f"{base}/verify", {"check": {**check, "passed": False}}, "regulator")
    assert res.status_code == 422 and "check.passed" in fields(res)
    res = post(client, world, f"{base}/verify", {"note": "ok", "check": check}, "regulator")
    assert res.status_code == 200, res.content
    body = res.json()
    assert body["state"] == "verified" and body["post_check"]["meter_id"] == new.lifetime_id
    assert [h["action"] for h in body["history"]] == ["open", "assign", "complete", "verify"]
    assert [h["who"] for h in body["history"]] == [
        "regulator",
        "enterprise",
        "enterprise",
        "regulator",
    ]

    alarm.refresh_from_db()
    assert alarm.resolved_at is not None
    order = WorkOrder.objects.select_related("instrument", "assignee", "new_meter").get()
    core.verify_history(workorders.core_order(order))  # the stored hash chain holds
    # four audited saves (open, assign, complete, verify) + the alarm's resolution
    entries = _audits(number)
    assert [e.action for e in entries] == ["create", "update", "update", "update"]
    assert entries[-1].after["state"] == "verified"
    assert AuditEntry.objects.filter(model="monitoring.alarm", object_id=str(alarm.pk)).count() == 2
    # a resolved alarm grounds no new order
    res = post(client, world, URL, {"alarm": alarm.key}, "regulator")
    assert res.status_code == 422 and "alarm" in fields(res)


def test_authority_not_ownership(client, world, area):
    _, _, users = area
    alarm = make_alarm(users[0], "on_site_check", kind="cover_open")
    res = post(client, world, URL, {"alarm": alarm.key}, "enterprise")
    assert res.status_code == 201, res.content
    base = f"{URL}/{res.json()['number']}"
    # out of region: not even readable
    assert client.get(base, **world.auth("regulator_nb")).status_code == 404
    assert client.get(base, **world.auth("inspector")).status_code == 200
    # the inspector reads but does not dispatch; the lab neither owns nor operates the meter
    assert (
        post(client, world, f"{base}/assign", {"assignee": world.orgs["ent_hz"].code}, "inspector")
    ).status_code == 403
    res = post(
        client, world, f"{base}/assign", {"assignee": world.orgs["lab_hz"].code}, "regulator"
    )
    assert res.status_code == 422 and "assignee" in fields(res)
    # the owner cannot cancel away an alarm's order; the regulator can, with a reason
    assert (
        post(client, world, f"{base}/cancel", {"reason": "误报"}, "enterprise").status_code == 403
    )
    res = post(
        client, world, f"{base}/assign", {"assignee": world.orgs["ent_hz"].code}, "regulator"
    )
    assert res.status_code == 200
    # only the assigned organisation's staff report the work (the lab cannot even see it)
    assert post(client, world, f"{base}/complete", {"note": "x"}, "lab").status_code == 404
    assert post(client, world, f"{base}/complete", {"note": "x"}, "regulator").status_code == 403
    res = post(client, world, f"{base}/complete", {"note": "表盖完好，封印完整"}, "enterprise")
    assert res.status_code == 200 and res.json()["notes"] == "表盖完好，封印完整"
    # a done order is not cancelled (its work happened): the core's transition rule
    res = post(client, world, f"{base}/cancel", {"reason": "误报"}, "regulator")
    assert res.status_code == 422 and "state" in fields(res)
    res = post(client, world, f"{base}/rework", {"note": "补拍照片"}, "regulator")
    assert res.status_code == 200 and res.json()["state"] == "assigned"
    res = post(client, world, f"{base}/cancel", {"reason": ""}, "regulator")
    assert res.status_code == 422 and "reason" in fields(res)
    res = post(client, world, f"{base}/cancel", {"reason": "重复告警"}, "regulator")
    assert res.status_code == 200 and res.json()["state"] == "cancelled"
    # an on-site check never resolves the alarm; a cancelled order frees it for a new one
    alarm.refresh_from_db()
    assert alarm.resolved_at is None
    res = post(client, world, URL, {"alarm": alarm.key}, "regulator")
    assert res.status_code == 201 and WorkOrder.objects.count() == 2


def test_four_eyes_and_anonymous(client, world, area):
    _, _, users = area
    alarm = make_alarm(users[1], "on_site_check", kind="magnetic_field")
    assert post(client, world, URL, {"alarm": alarm.key}, "anon").status_code == 401
    order, created = workorders.open_order(world.users["admin"], alarm=alarm)
    again, created2 = workorders.open_order(None, alarm=alarm)
    assert created and not created2 and again.pk == order.pk
    admin = world.users["admin"]
    workorders.assign(admin, order, world.orgs["ent_hz"])
    workorders.complete(admin, order, "checked on site")
    with pytest.raises(core.MonitoringError) as exc:
        workorders.verify(admin, order)
    assert exc.value.field == "who"  # the core's four-eyes rule (双人复核)
    done = workorders.verify(world.users["regulator"], order, "ok")
    assert done.state == "verified"


def test_orders_from_estimate_verdicts(client, world, area):
    a, _, users = area
    run = EstimationRun.objects.create(
        area=a,
        parameters={},
        code_version="t",
        period_start=T0,
        period_end=T0 + dt.timedelta(days=7),
        started_at=T0,
        status="done",
    )

    def est(inst, verdict, error):
        return MeterEstimate.objects.create(
            run=run,
            instrument=inst,
            error=error,
            u=0.002,
            expanded_uncertainty=0.004,
            mpe=0.01,
            accuracy_class="1",
            status="ok",
            verdict=verdict,
        )

    bad = est(users[0], "out_of_tolerance", 0.025)
    unsure = est(users[1], "inconclusive", 0.009)
    res = post(client, world, URL, {"estimate": bad.pk}, "regulator")
    assert res.status_code == 201 and res.json()["kind"] == "replacement"
    res = post(client, world, URL, {"estimate": unsure.pk}, "regulator")
    assert res.status_code == 201 and res.json()["kind"] == "on_site_check"
    ok_run = EstimationRun.objects.create(
        area=a,
        parameters={},
        code_version="t",
        period_start=T0,
        period_end=T0 + dt.timedelta(days=7),
        started_at=T0,
        status="done",
    )
    run = ok_run
    fine = est(users[0], "conforming", 0.001)
    res = post(client, world, URL, {"estimate": fine.pk}, "regulator")
    assert res.status_code == 422 and "estimate" in fields(res)
    listing = client.get(f"{URL}?state=open", **world.auth("enterprise")).json()
    assert listing["count"] == 2
    assert client.get(URL, **world.auth("regulator_nb")).json()["count"] == 0


def test_pages_list_orders_and_meter_history(client, world, area):
    """Work-order list, the area's orders and the meter history with the core's drift line.

    Four non-overlapping weekly estimates ê = 0.2, 0.4, 0.6, 0.8 % (u = 0.05 %) at mid-weeks
    3.5, 10.5, 17.5, 24.5 d after T0: an exact line of slope 0.2 %/week (hand computation), so
    it reaches the class-1 MPE of IEC 62053-21 (±1.0 %) one week after the last point, at
    24.5 + 7 = 31.5 d after T0 = 2026-02-01T12:00Z.
    """
    a, _, users = area
    inst = users[0]
    for k, err in enumerate([0.002, 0.004, 0.006, 0.008]):
        run = EstimationRun.objects.create(
            area=a,
            parameters={},
            code_version="t",
            period_start=T0 + dt.timedelta(days=7 * k),
            period_end=T0 + dt.timedelta(days=7 * (k + 1)),
            started_at=T0,
            status="done",
        )
        MeterEstimate.objects.create(
            run=run,
            instrument=inst,
            error=err,
            u=0.0005,
            expanded_uncertainty=0.001,
            mpe=0.01,
            accuracy_class="1",
            status="ok",
            verdict="conforming",
        )
    alarm = make_alarm(inst, "on_site_check", kind="cover_open")
    order, _ = workorders.open_order(world.users["regulator"], alarm=alarm)

    client.force_login(world.users["enterprise"])
    page = client.get(f"/monitoring/meters/{inst.lifetime_id}/")
    assert page.status_code == 200
    ctx = page.context
    assert ctx["chart"]["error"] == pytest.approx([0.2, 0.4, 0.6, 0.8])
    assert ctx["chart"]["mpe"] == pytest.approx(1.0)
    fc = ctx["forecast"]
    assert fc["slope_pct_per_year"] == pytest.approx(0.2 / 7 * 365.25)
    assert fc["crossing"] == "2026-02-01"
    assert order.number in page.content.decode()
    listing = client.get("/monitoring/work-orders/?state=open")
    assert listing.status_code == 200 and order.number in listing.content.decode()
    assert order.number in client.get(f"/monitoring/areas/{a.code}/").content.decode()
    csv = client.get("/monitoring/work-orders/?format=csv")
    assert order.number in csv.getvalue().decode("utf-8-sig")
    client.force_login(world.users["regulator_nb"])
    assert client.get(f"/monitoring/meters/{inst.lifetime_id}/").status_code == 404
    assert order.number not in client.get("/monitoring/work-orders/").content.decode()
