"""Issue 12: "overdue" has one meaning, the core schedule's, everywhere.

Before, the home card (registry) ignored failed verifications while supervision counted them,
and the API ignored ``?overdue=true`` that the page honoured.
"""

from __future__ import annotations

import datetime as dt

from jiliang.platform.registry import models as m
from jiliang.platform.supervision.models import Filing
from jiliang.platform.supervision.services import sync_filing


def _file_both(world):
    for key in ("hz", "nb"):
        inst = world.instruments[key]
        sync_filing(Filing(instrument=inst, item_code=inst.category, use=inst.use))


def test_failed_verification_is_overdue_on_card_filter_api_and_due_list(client, world, settings):
    # hz: valid certificate but the latest verification failed -> the core says replace/overdue
    m.CalibrationEvent.objects.create(
        certificate_no="JD-HZ-FAIL",
        kind="verification",
        instrument=world.instruments["hz"],
        performed_by=world.orgs["lab_hz"],
        performed_by_person=world.people["lab_hz"],
        performed_on=dt.date(2026, 6, 1),
        issued_on=dt.date(2026, 6, 1),
        due_on=dt.date(2027, 5, 31),  # a due date the old card trusted despite the failure
        unit=r"\kilogram",
        conformity="fail",
    )
    _file_both(world)
    hz = Filing.objects.get(instrument=world.instruments["hz"])
    assert hz.status in {"overdue", "must_replace"}
    lid = world.instruments["hz"].lifetime_id

    client.force_login(world.users["admin"])
    home = client.get("/").content.decode()
    api = client.get("/api/registry/instruments?overdue=true").json()
    page = client.get("/r/instruments/?overdue=true").content.decode()
    due = client.get("/s/due/").content.decode()
    overdue_ids = {i["lifetime_id"] for i in api["items"]}
    assert lid in overdue_ids and lid in page and lid in due
    assert f'<span class="n">{api["count"]}</span>' in home
    not_overdue = client.get("/api/registry/instruments?overdue=false").json()
    assert lid not in {i["lifetime_id"] for i in not_overdue["items"]}
    assert not_overdue["count"] + api["count"] == 2
