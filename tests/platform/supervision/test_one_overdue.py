"""Issue 12: "overdue" has one meaning, the core schedule's, everywhere.

Before, the home card (registry) ignored failed verifications while supervision counted them,
and the API ignored ``?overdue=true`` that the page honoured.
"""

from __future__ import annotations

from tests.platform.conftest import file_scales, hz_failed_verification

from jiliang.platform.supervision.models import Filing


def test_failed_verification_is_overdue_on_card_filter_api_and_due_list(client, world, settings):
    # hz: valid certificate but the latest verification failed -> the core says replace/overdue
    hz_failed_verification(world)  # with a due date the old card trusted despite the failure
    file_scales(world)
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
