"""Device-event ingest ``POST /api/monitoring/events`` and alarms (issue 14, "Device events").

The alarm rules are the core's (``core/monitoring/data/event-rules.yaml``, tested in
tests/core); here: the same idempotence and ownership rules as readings, every bad row named,
and the software identification compared with the type's approved record (WELMEC 7.2 software
identification; OIML D 31) giving ``cheating_suspected``.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from jiliang.platform.audit.models import AuditEntry
from jiliang.platform.monitoring.models import Alarm, DeviceEvent, IngestBatch, TypeSoftware

from .monitoring_helpers import T0, make_area

URL = "/api/monitoring/events"


def post(client, world, rows, role="enterprise"):
    return client.post(
        URL, data=json.dumps(rows), content_type="application/json", **world.auth(role)
    )


def event(meter, minutes: float, kind: str, **payload) -> dict:
    t = T0 + dt.timedelta(minutes=minutes)
    return {
        "meter": meter.lifetime_id,
        "timestamp": t.isoformat(),
        "kind": kind,
        "payload": payload,
    }


@pytest.fixture
def area(world):
    return make_area(world, 2)


def test_tamper_event_raises_alarm_and_resend_changes_nothing(client, world, area):
    _, _, users = area
    batch = [event(users[0], 5, "cover_open"), event(users[1], 7, "power_down")]
    res = post(client, world, batch)
    assert res.status_code == 200, res.content
    body = res.json()
    assert (body["rows"], body["accepted"], body["identical"], body["conflicting"]) == (2, 2, 0, 0)
    alarm = Alarm.objects.get()
    assert (alarm.kind, alarm.action, alarm.tamper) == ("cover_open", "on_site_check", True)
    assert alarm.instrument == users[0]
    assert body["alarms"] == [alarm.key]
    assert DeviceEvent.objects.filter(batch_id=body["batch"]).count() == 2
    audits = AuditEntry.objects.count()
    again = post(client, world, list(reversed(batch)))
    assert again.json()["replay"] is True
    assert {k: again.json()[k] for k in ("accepted", "identical", "batch", "alarms")} == {
        k: body[k] for k in ("accepted", "identical", "batch", "alarms")
    }
    assert DeviceEvent.objects.count() == 2
    assert Alarm.objects.count() == 1
    assert IngestBatch.objects.filter(kind="events").count() == 1
    assert AuditEntry.objects.count() == audits


def test_event_from_an_organisation_not_owning_the_meter_is_rejected(client, world, area):
    _, summary, _ = area
    res = post(client, world, [event(summary, 1, "magnetic_field")], role="lab")
    assert res.status_code == 422
    (err,) = res.json()["errors"]
    assert (err["row"], err["field"], err["reason"]) == (0, "meter", "not_yours")
    assert "not yours" in err["message"]
    assert DeviceEvent.objects.count() == 0 and Alarm.objects.count() == 0


def test_bad_rows_named_and_nothing_written(client, world, area):
    _, _, users = area
    res = post(
        client,
        world,
        [
            event(users[0], 1, "cover_open"),
            event(users[0], 2, "teleport"),
            event(users[0], 3, "clock_offset", seconds="soon"),
            {"meter": users[0].lifetime_id, "timestamp": "2026-01-01T00:00:00", "kind": "power_up"},
        ],
    )
    assert res.status_code == 422
    got = [(e["row"], e["field"], e["reason"]) for e in res.json()["errors"]]
    assert got == [
        (1, "kind", "invalid"),
        (2, "payload.seconds", "invalid"),
        (3, "timestamp", "invalid"),
    ]
    res = post(
        client,
        world,
        [
            event(users[0], 1, "cover_open"),
            event(users[0], 1, "cover_open"),
            {**event(users[0], 1, "power_up"), "meter": "330106-DNB-2025-9999999-X"},
        ],
    )
    got = [(e["row"], e["field"], e["reason"]) for e in res.json()["errors"]]
    assert got == [(1, "timestamp", "duplicate_in_batch"), (2, "meter", "unknown_meter")]
    assert DeviceEvent.objects.count() == 0


def test_conflicting_payload_keeps_the_stored_event(client, world, area):
    _, _, users = area
    post(client, world, [event(users[0], 1, "clock_offset", seconds=20)])
    res = post(
        client,
        world,
        [event(users[0], 1, "clock_offset", seconds=400), event(users[0], 2, "power_up")],
    ).json()
    assert (res["accepted"], res["identical"], res["conflicting"]) == (1, 0, 1)
    assert res["conflicts"][0]["stored"] == {"seconds": 20.0}
    assert DeviceEvent.objects.get(kind="clock_offset").payload == {"seconds": 20.0}


def test_software_id_checked_against_the_approved_type(client, world, area):
    _, _, users = area
    meter = users[0]
    meter.model_name = "DDZY-1"
    meter.save()
    TypeSoftware.objects.create(
        approval="CPA-2025-E001", model_name="DDZY-1", algorithm="CRC-16", versions={"V1.2": "1A2B"}
    )
    ok = event(meter, 1, "software_id", version="V1.2", checksum="1a2b", algorithm="CRC-16")
    assert post(client, world, [ok]).json()["alarms"] == []
    bad = event(meter, 60, "software_id", version="V1.2", checksum="FFFF", algorithm="CRC-16")
    body = post(client, world, [bad]).json()
    (alarm,) = Alarm.objects.filter(kind="cheating_suspected")
    assert body["alarms"] == [alarm.key]
    assert alarm.tamper is True
    assert "FFFF" in alarm.reason_en and "1A2B" in alarm.reason_en
    # a meter of a type without an approved record cannot be checked: said so, not passed
    other = event(users[1], 1, "software_id", version="V9", checksum="00", algorithm="CRC-16")
    post(client, world, [other])
    assert Alarm.objects.filter(instrument=users[1], kind="software_unverifiable").exists()


def test_alarms_listed_for_readers_only(client, world, area):
    _, _, users = area
    post(client, world, [event(users[0], 5, "magnetic_field")])
    for role, n in [("enterprise", 1), ("regulator", 1), ("inspector", 1), ("lab", 0), ("anon", 0)]:
        assert client.get("/api/monitoring/alarms", **world.auth(role)).json()["count"] == n, role


def test_a_new_alarm_opens_its_work_order_once(client, world, area):
    from jiliang.platform.monitoring.models import WorkOrder

    _, _, users = area
    res = post(client, world, [event(users[0], 5, "cover_open"), event(users[1], 7, "power_down")])
    assert res.status_code == 200, res.content
    alarm = Alarm.objects.get()
    (order,) = WorkOrder.objects.all()  # power_down raised no alarm, so no order
    assert (order.alarm_id, order.kind, order.state) == (alarm.pk, "on_site_check", "open")
    assert order.instrument == users[0] and order.history[0]["who"] == "system"
    assert AuditEntry.objects.filter(model="monitoring.workorder", object_id=str(order.pk)).exists()
    # the batch sent again opens nothing new; a later, separate cover opening is a new alarm
    # with its own order
    again = post(
        client, world, [event(users[0], 5, "cover_open"), event(users[1], 7, "power_down")]
    )
    assert again.json()["replay"] is True and WorkOrder.objects.count() == 1
    assert post(client, world, [event(users[0], 50, "cover_open")]).status_code == 200
    assert Alarm.objects.count() == 2
    assert sorted(WorkOrder.objects.values_list("alarm__key", flat=True)) == sorted(
        Alarm.objects.values_list("key", flat=True)
    )
