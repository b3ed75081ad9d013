"""Public list of self-commitments and demonstration units; removal from the serious list."""

from __future__ import annotations

import datetime as dt

import pytest

from jiliang.core.legal.schedule import add_months
from jiliang.platform.audit.models import AuditEntry
from jiliang.platform.supervision.credit import assess_org
from jiliang.platform.supervision.models import CreditEvent, CreditMark
from jiliang.platform.supervision.services import today


def _mark(client, world, sv, role="regulator", org="ent_hz", **kw):
    body = {
        "organisation": world.orgs[org].code,
        "kind": "self_commitment",
        "since": "2026-01-01",
        "text": "诚信计量，足斤足两",
        **kw,
    }
    return sv.api(client, world, role, "post", "commitments", body)


@pytest.mark.parametrize(
    "role, kind, status",
    [
        # a business declares its own self-commitment (test_supervision_self_commitment.py)
        ("enterprise", "demonstration", 403),
        ("inspector", "self_commitment", 403),
        ("lab", "self_commitment", 403),
        ("regulator_nb", "self_commitment", 403),
        ("anon", "self_commitment", 401),
    ],
)
def test_mark_denied(client, world, sv, role, kind, status):
    assert _mark(client, world, sv, role=role, kind=kind).status_code == status
    assert not CreditMark.objects.exists()


def test_marks_are_public_count_in_credit_and_can_be_withdrawn(client, world, sv):
    before = assess_org(world.orgs["ent_hz"].code).score
    r = _mark(client, world, sv)
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    demo = _mark(client, world, sv, org="ent_nb", kind="demonstration", text="")
    assert demo.status_code == 201
    again = _mark(client, world, sv)  # one standing commitment per business
    assert again.status_code == 422 and again.json()["detail"][0]["loc"] == ["body", "kind"]
    bad = _mark(client, world, sv, kind="hero")
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "kind"]
    future = _mark(client, world, sv, org="ent_nb", since="2099-01-01")
    assert future.status_code == 422 and future.json()["detail"][0]["loc"] == ["body", "since"]
    # the self-commitment raises the credit score by the table's points (capped at the range)
    a = assess_org(world.orgs["ent_hz"].code)
    assert "self_commitment" in [c.event.kind for c in a.contributions] and a.score >= before
    # public, no login: page and API
    page = client.get("/s/commitments/").content.decode()
    assert world.orgs["ent_hz"].name in page.split('id="commitments"')[1]
    assert world.orgs["ent_nb"].name in page.split('id="demonstrations"')[1].split("</table>")[0]
    listed = client.get("/api/supervision/commitments?kind=demonstration").json()
    assert [x["organisation"] for x in listed] == [world.orgs["ent_nb"].code]
    ningbo = client.get("/s/commitments/?region=330200").content.decode()
    assert world.orgs["ent_hz"].name not in ningbo.split('id="commitments"')[1]
    assert "/s/commitments/" in client.get("/").content.decode()  # linked from the public nav
    # withdrawal: reason required, audited, gone from the public list, history kept
    path = f"commitments/{pk}/withdraw"
    r = sv.api(client, world, "regulator", "post", path, {"on": today().isoformat(), "reason": ""})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "reason"]
    assert (
        sv.api(
            client, world, "regulator_nb", "post", path, {"on": "2026-02-01", "reason": "x"}
        ).status_code
        == 403
    )
    r = sv.api(client, world, "regulator", "post", path, {"on": "2025-12-01", "reason": "承诺不实"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "on"]  # before since
    r = sv.api(
        client, world, "regulator", "post", path, {"on": today().isoformat(), "reason": "承诺不实"}
    )
    assert r.status_code == 200 and r.json()["withdrawn_on"] == today().isoformat()
    entry = AuditEntry.objects.filter(model="supervision.creditmark").order_by("id").last()
    assert entry.username == "regulator" and entry.reason == "承诺不实"
    assert (
        world.orgs["ent_hz"].name
        not in client.get("/s/commitments/").content.decode().split('id="commitments"')[1]
    )
    kinds = [c.event.kind for c in assess_org(world.orgs["ent_hz"].code).contributions]
    assert "self_commitment" not in kinds
    assert CreditMark.objects.get(pk=pk).withdrawal_reason == "承诺不实"


def test_self_commitment_is_not_a_plain_credit_event(client, world, sv):
    body = {
        "organisation": world.orgs["ent_hz"].code,
        "kind": "self_commitment",
        "on": "2026-01-01",
    }
    r = sv.api(client, world, "regulator", "post", "credit-events", body)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "kind"]


def test_credit_page_marks_for_regulators(client, world):
    code = world.orgs["ent_hz"].code
    client.force_login(world.users["regulator"])
    r = client.post(
        f"/s/credit/{code}/",
        {"action": "mark", "kind": "demonstration", "since": "2026-03-01", "reason": "评定"},
    )
    assert r.status_code == 302
    m = CreditMark.objects.get()
    assert m.kind == "demonstration" and m.since == dt.date(2026, 3, 1)
    r = client.post(
        f"/s/credit/{code}/", {"action": "unmark", "mark": m.pk, "on": "", "reason": ""}
    )
    assert r.status_code == 200  # errors shown, nothing changed
    m.refresh_from_db()
    assert m.withdrawn_on is None
    client.force_login(world.users["enterprise"])  # own page: readable, not writable
    assert client.get(f"/s/credit/{code}/").status_code == 200
    assert 'id="mark-form"' not in client.get(f"/s/credit/{code}/").content.decode()
    r = client.post(f"/s/credit/{code}/", {"action": "mark", "kind": "demonstration"})
    assert r.status_code == 403


@pytest.fixture
def listed(world):
    """ent_hz found with a cheating device 13 months ago: on the serious list (36 months)."""
    on = add_months(today(), -13)
    return CreditEvent.objects.create(
        organisation=world.orgs["ent_hz"], kind="cheating_device", on=on
    )


def _remove(client, world, sv, event, role="regulator", **kw):
    body = {"removed_on": today().isoformat(), "reason": "整改到位，信用修复", **kw}
    return sv.api(client, world, role, "post", f"credit-events/{event.pk}/removal", body)


@pytest.mark.parametrize(
    "role, status", [("enterprise", 403), ("inspector", 403), ("regulator_nb", 404), ("anon", 401)]
)
def test_removal_denied(client, world, sv, listed, role, status):
    assert _remove(client, world, sv, listed, role=role).status_code == status
    listed.refresh_from_db()
    assert listed.removed_on is None


def test_removal_from_the_serious_list(client, world, sv, listed):
    code = world.orgs["ent_hz"].code
    assert assess_org(code).grade == "D"
    early = add_months(listed.on, 12)  # credit table: early removal after 12 months
    too_soon = early - dt.timedelta(days=1)
    r = _remove(client, world, sv, listed, removed_on=too_soon.isoformat())
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "removed_on"]
    assert early.isoformat() in r.json()["detail"][0]["msg"]
    r = _remove(client, world, sv, listed, removed_on="2099-01-01")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "removed_on"]
    r = _remove(client, world, sv, listed, reason=" ")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "reason"]
    penalty = CreditEvent.objects.create(
        organisation=world.orgs["ent_hz"], kind="penalty", on=listed.on
    )
    r = _remove(client, world, sv, penalty)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "event"]
    r = _remove(client, world, sv, listed, removed_on=early.isoformat())
    assert r.status_code == 200, r.content
    assert r.json()["removed_on"] == early.isoformat()
    entry = AuditEntry.objects.filter(model="supervision.creditevent").order_by("id").last()
    assert entry.username == "regulator" and entry.changed_fields == [
        "removal_reason",
        "removed_on",
    ]
    assert assess_org(code).grade != "D"
    again = _remove(client, world, sv, listed)
    assert again.status_code == 422 and again.json()["detail"][0]["loc"] == ["body", "removed_on"]
    (listing,) = sv.api(client, world, "regulator", "get", f"credit/{code}").json()["listings"]
    assert listing["listed_on"] == listed.on.isoformat()
    assert listing["removed_on"] == early.isoformat() and not listing["active"]
    assert listing["removal_reason"] == "整改到位，信用修复"
    client.force_login(world.users["regulator"])
    page = client.get(f"/s/credit/{code}/").content.decode()
    table = page.split('id="listings"')[1].split("</table>")[0]
    assert listed.on.isoformat() in table and early.isoformat() in table
    assert "整改到位" in table


def test_removal_page(client, world, listed):
    code = world.orgs["ent_hz"].code
    client.force_login(world.users["regulator"])
    page = client.get(f"/s/credit/{code}/").content.decode()
    assert 'class="inline removal"' in page
    r = client.post(
        f"/s/credit/{code}/",
        {"action": "remove", "event": listed.pk, "removed_on": "2000-01-01", "reason": "x"},
    )
    assert r.status_code == 200 and 'id="removal-errors"' in r.content.decode()
    r = client.post(
        f"/s/credit/{code}/",
        {
            "action": "remove",
            "event": listed.pk,
            "removed_on": today().isoformat(),
            "reason": "修复",
        },
    )
    assert r.status_code == 302
    listed.refresh_from_db()
    assert listed.removed_on == today() and listed.removal_reason == "修复"
