"""Notification texts rendered in the reader's language: in-app (page, API) and e-mail."""

from __future__ import annotations

import datetime as dt

import pytest

from jiliang.platform.supervision.models import Filing, Notification, NotificationSettings
from jiliang.platform.supervision.notices import render
from jiliang.platform.supervision.services import sweep, sync_filing

AS_OF = dt.date(2026, 11, 1)


@pytest.fixture
def swept(world, sv, mail_outbox):
    """An overdue water meter of ent_hz (due 2026-03-01) and one never verified; swept."""
    for role in ("enterprise", "regulator"):
        world.users[role].email = f"{role}@example.com"
        world.users[role].save()
    old = sv.add_instrument(world, seq=40)
    sv.verify(world, old, dt.date(2024, 3, 1))
    new = sv.add_instrument(world, seq=41)
    for inst in (old, new):
        sync_filing(
            Filing(
                instrument=inst,
                item_code="water_meter",
                use="trade_settlement",
                params={"dn_mm": 80},
            ),
            as_of=AS_OF,
        )
    return old


def test_notifications_store_a_key_and_render_in_either_language(world, swept, mail_outbox):
    NotificationSettings.objects.create(user=world.users["regulator"], language="en")
    sweep(AS_OF, grace=30)
    n = Notification.objects.get(recipient=world.users["enterprise"], filing__instrument=swept)
    assert n.message_key == "overdue" and n.params["day"] == "2026-03-01"
    assert (
        render(n, "zh-hans")
        == f"{swept.lifetime_id} {swept.name}：超期未检（应于 2026-03-01 检定）"
    )
    assert render(n, "en") == (
        f"{swept.lifetime_id} {swept.name}: overdue for verification (was due by 2026-03-01)"
    )
    never = Notification.objects.get(
        recipient=world.users["enterprise"], message_key="overdue_unverified"
    )
    assert "before first use" in render(never, "en")
    # e-mail: the enterprise user never chose (default language), the regulator chose English
    by_to = {m.to[0]: m for m in mail_outbox}
    ent, amr = by_to["enterprise@example.com"], by_to["regulator@example.com"]
    assert "强制检定提醒" in ent.subject and "超期未检" in ent.body
    assert "compulsory verification" in amr.subject.lower()
    assert "escalated to the regulator" in amr.body and "超期" not in amr.body


def test_page_and_api_follow_the_reader_language(client, world, swept):
    sweep(AS_OF, grace=30)
    client.force_login(world.users["enterprise"])
    zh = client.get("/s/notifications/").content.decode()
    assert "超期未检（应于 2026-03-01 检定）" in zh
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    en = client.get("/s/notifications/").content.decode()
    assert "overdue for verification (was due by 2026-03-01)" in en and "超期未检（" not in en
    filing = Filing.objects.get(instrument=swept)
    assert "was due by 2026-03-01" in client.get(f"/s/filings/{filing.pk}/").content.decode()
    r = client.get(
        "/api/supervision/notifications", HTTP_ACCEPT_LANGUAGE="en", **world.auth("enterprise")
    )
    assert r.status_code == 200
    messages = [x["message"] for x in r.json()]
    assert any("was due by 2026-03-01" in m for m in messages)
    zh_api = client.get(
        "/api/supervision/notifications", HTTP_ACCEPT_LANGUAGE="zh-hans", **world.auth("enterprise")
    )
    assert {x["message_key"] for x in zh_api.json()} == {"overdue", "overdue_unverified"}


def test_notification_settings(client, world, sv, swept, mail_outbox):
    def put(body: dict):
        return sv.api(client, world, "enterprise", "put", "notification-settings", body)

    r = put({"language": "fr", "email": True})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "language"]
    r = put({"language": "en", "email": False})
    assert r.status_code == 200
    assert sv.api(client, world, "enterprise", "get", "notification-settings").json() == {
        "language": "en",
        "email": False,
    }
    assert sv.api(client, world, "anon", "get", "notification-settings").status_code == 401
    sweep(AS_OF, grace=30)
    assert "enterprise@example.com" not in [m.to[0] for m in mail_outbox]  # e-mail turned off
    assert not Notification.objects.filter(
        recipient=world.users["enterprise"], emailed=True
    ).exists()
    client.force_login(world.users["enterprise"])
    r = client.post(
        "/s/notifications/", {"action": "settings", "language": "zh-hans", "email": "on"}
    )
    assert r.status_code == 302
    prefs = NotificationSettings.objects.get(user=world.users["enterprise"])
    assert (prefs.language, prefs.email) == ("zh-hans", True)
    r = client.post("/s/notifications/", {"action": "settings", "language": "xx"})
    assert (
        r.status_code == 200 and NotificationSettings.objects.get(pk=prefs.pk).language == "zh-hans"
    )


def test_rows_without_a_key_show_their_stored_text(world, swept):
    f = Filing.objects.get(instrument=swept)
    n = Notification.objects.create(
        recipient=world.users["enterprise"],
        filing=f,
        kind="overdue",
        reference_date=AS_OF,
        message="旧通知",
    )
    assert render(n, "en") == "旧通知"


def test_compiled_catalogue_translates_every_supervision_string():
    """Every supervision string in the catalogue is compiled: an entry msgmerge left "fuzzy"
    is skipped by compilemessages and would show Chinese in the English UI."""
    import re
    from pathlib import Path

    from django.utils import translation

    import jiliang.platform
    from jiliang.platform.supervision.translations_en import EN, PLURALS

    po = Path(jiliang.platform.__file__).parent / "locale/en/LC_MESSAGES/django.po"
    in_catalogue = set(re.findall(r'^msgid "(.+)"$', po.read_text(encoding="utf-8"), re.M))
    used = [k for k in EN if k in in_catalogue and re.search(r"[\u4e00-\u9fff]", k)]
    assert len(used) > 100
    with translation.override("en"):
        untranslated = [k for k in used if translation.gettext(k) == k]
        plural = {k: translation.ngettext(k, k, 2) for k in PLURALS}
    assert untranslated == []
    assert plural == {k: many for k, (_one, many) in PLURALS.items()}
