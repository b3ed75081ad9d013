"""Schedule sweep: core statuses, notifications (in-app + e-mail), escalation, idempotency."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from jiliang.core.legal import Catalogue, schedule
from jiliang.platform.supervision.models import CoverageSnapshot, Filing, Notification
from jiliang.platform.supervision.services import filed, sweep, sync_filing


@pytest.fixture
def filings(world, sv):
    world.users["enterprise"].email = "ent@example.com"
    world.users["enterprise"].save()
    world.users["regulator"].email = "amr@example.com"
    world.users["regulator"].save()
    old = sv.add_instrument(world, seq=10)  # water meter DN 80: periodic 24 months
    sv.verify(world, old, dt.date(2024, 3, 1))
    soon = sv.add_instrument(world, seq=11)
    sv.verify(world, soon, dt.date(2024, 11, 20))
    nb = sv.add_instrument(world, owner="ent_nb", region="330203", seq=12)
    out = {}
    for key, inst in [("old", old), ("soon", soon), ("nb", nb)]:
        out[key] = sync_filing(
            Filing(
                instrument=inst,
                item_code="water_meter",
                use="trade_settlement",
                params={"dn_mm": 80},
            ),
            as_of=dt.date(2026, 11, 1),
        )
    return out


def test_cached_status_equals_core_schedule(filings):
    cat = Catalogue.from_rulebook()
    for f in filings.values():
        entry = schedule(filed(f), cat, dt.date(2026, 11, 1))
        assert (f.status, f.due_date) == (entry.status.value, entry.due_date)
    assert filings["old"].status == "overdue" and filings["old"].due_date == dt.date(2026, 3, 1)
    assert filings["soon"].status == "due_soon"
    assert filings["nb"].status == "overdue" and filings["nb"].due_date is None


def test_sweep_notifies_escalates_once(world, filings, mail_outbox):
    day = dt.date(2026, 11, 1)
    report = sweep(day, grace=30)
    assert report.refreshed == 3
    ent = Notification.objects.filter(recipient=world.users["enterprise"])
    assert set(ent.values_list("kind", flat=True)) == {"overdue", "due_soon"}
    # old is 245 days past due (> grace) → the province regulator hears; Ningbo's regulator
    # hears only of the Ningbo instrument (never verified; filed today → within grace)
    esc = Notification.objects.filter(kind="escalation")
    assert {(n.recipient.username, n.filing_id) for n in esc} == {("regulator", filings["old"].pk)}
    assert report.escalated == 1
    assert len(mail_outbox) == 2  # enterprise digest + regulator (others have no e-mail)
    assert {m.to[0] for m in mail_outbox} == {"ent@example.com", "amr@example.com"}
    assert Notification.objects.filter(emailed=True).count() == 3
    again = sweep(day, grace=30)
    assert again.notified == 0 and len(mail_outbox) == 2
    assert CoverageSnapshot.objects.filter(day=day).count() == 2


def test_escalation_after_grace_of_never_verified(world, filings):
    sweep(dt.date(2026, 11, 1), grace=30)
    assert not Notification.objects.filter(kind="escalation", filing=filings["nb"]).exists()
    Filing.objects.filter(pk=filings["nb"].pk).update(
        filed_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    )
    sweep(dt.date(2026, 11, 1), grace=30)
    users = set(
        Notification.objects.filter(kind="escalation", filing=filings["nb"]).values_list(
            "recipient__username", flat=True
        )
    )
    assert users == {"regulator", "regulator_nb"}


def test_management_command(world, filings, capsys):
    call_command("supervise", "--as-of", "2026-11-01", "--grace-days", "30")
    out = capsys.readouterr().out
    assert "refreshed 3 filings" in out
    n = Notification.objects.count()
    call_command("supervise", "--as-of", "2026-11-01", "--grace-days", "30")
    assert Notification.objects.count() == n
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="as-of"):
        call_command("supervise", "--as-of", "yesterday")


def test_notifications_api_and_page(client, world, sv, filings):
    sweep(dt.date(2026, 11, 1), grace=30)
    r = sv.api(client, world, "enterprise", "get", "notifications?unread=true")
    assert r.status_code == 200 and len(r.json()) == 2
    nid = r.json()[0]["id"]
    assert (
        sv.api(client, world, "regulator", "post", f"notifications/{nid}/read").status_code == 404
    )
    assert (
        sv.api(client, world, "enterprise", "post", f"notifications/{nid}/read").status_code == 204
    )
    assert len(sv.api(client, world, "enterprise", "get", "notifications?unread=true").json()) == 1
    client.force_login(world.users["enterprise"])
    r = client.get("/s/notifications/")
    assert "超期未检" in r.content.decode()
    client.post("/s/notifications/")
    assert not Notification.objects.filter(
        recipient=world.users["enterprise"], read_at=None
    ).exists()
