"""A business declares and withdraws its own self-commitment (portal page and API)."""

from __future__ import annotations

import datetime as dt

import pytest

from jiliang.platform.audit.models import AuditEntry
from jiliang.platform.supervision.credit import assess_org
from jiliang.platform.supervision.models import CreditMark
from jiliang.platform.supervision.services import today

TEXT = "诚信计量，足斤足两"


def _public_commitments(client) -> str:
    """The self-commitment table of the public list (no login)."""
    page = client.get("/s/commitments/").content.decode()
    return page.split('id="commitments"')[1].split("</table>")[0]


def _declare(client, world, sv, role="enterprise", org="ent_hz", **kw):
    body = {
        "organisation": world.orgs[org].code,
        "kind": "self_commitment",
        "since": today().isoformat(),
        "text": TEXT,
        **kw,
    }
    return sv.api(client, world, role, "post", "commitments", body)


def test_enterprise_declares_and_withdraws_on_the_portal(client, world):
    org = world.orgs["ent_hz"]
    client.force_login(world.users["enterprise"])
    page = client.get("/s/").content.decode()
    assert 'id="declare-commitment"' in page and "不短斤缺两" in page  # standard text offered
    r = client.post("/s/commitment/", {"action": "declare", "text": "  "})
    assert r.status_code == 200 and not CreditMark.objects.exists()
    assert r.context["declare_form"].errors["text"]  # the field is named
    r = client.post("/s/commitment/", {"action": "declare", "text": TEXT})
    assert r.status_code == 302
    m = CreditMark.objects.get()
    assert (m.organisation, m.kind, m.since, m.text) == (org, "self_commitment", today(), TEXT)
    # public and counted in the credit, as a regulator-recorded commitment is
    assert org.name in _public_commitments(client)
    kinds = [c.event.kind for c in assess_org(org.code).contributions]
    assert "self_commitment" in kinds
    entry = AuditEntry.objects.filter(model="supervision.creditmark").order_by("id").last()
    assert entry.username == "enterprise" and entry.action == "create"
    # a second declaration while one stands is refused, naming the field
    r = client.post("/s/commitment/", {"action": "declare", "text": TEXT})
    assert r.status_code == 200 and "kind" not in r.context["declare_form"].fields
    assert r.context["declare_form"].non_field_errors()
    assert CreditMark.objects.count() == 1
    page = client.get("/s/").content.decode()
    assert 'id="withdraw-commitment"' in page and 'id="declare-commitment"' not in page
    # withdrawal needs a reason; then audited and gone from the public list
    on = today().isoformat()
    r = client.post("/s/commitment/", {"action": "withdraw", "mark": m.pk, "on": on, "reason": ""})
    assert r.status_code == 200 and r.context["withdraw_form"].errors["reason"]
    r = client.post(
        "/s/commitment/", {"action": "withdraw", "mark": m.pk, "on": on, "reason": "停业"}
    )
    assert r.status_code == 302
    m.refresh_from_db()
    assert m.withdrawn_on == today() and m.withdrawal_reason == "停业"
    assert org.name not in _public_commitments(client)
    kinds = [c.event.kind for c in assess_org(org.code).contributions]
    assert "self_commitment" not in kinds
    entry = AuditEntry.objects.filter(model="supervision.creditmark").order_by("id").last()
    assert entry.username == "enterprise" and entry.reason == "停业"
    assert entry.action == "update"
    # declaring again after the withdrawal is allowed (the history row stays)
    assert client.post("/s/commitment/", {"action": "declare", "text": TEXT}).status_code == 302
    assert CreditMark.objects.filter(withdrawn_on__isnull=True).count() == 1


def test_portal_cannot_touch_another_organisations_mark(client, world):
    other = CreditMark.objects.create(
        organisation=world.orgs["ent_nb"], kind="self_commitment", since=today(), text=TEXT
    )
    client.force_login(world.users["enterprise"])
    body = {"action": "withdraw", "mark": other.pk, "on": today().isoformat(), "reason": "x"}
    assert client.post("/s/commitment/", body).status_code == 404
    other.refresh_from_db()
    assert other.withdrawn_on is None


@pytest.mark.parametrize("role", ["regulator", "lab", "inspector"])
def test_portal_section_is_for_enterprises_only(client, world, role):
    client.force_login(world.users[role])
    assert 'id="self-commitment"' not in client.get("/s/").content.decode()
    r = client.post("/s/commitment/", {"action": "declare", "text": TEXT})
    assert r.status_code == 403 and not CreditMark.objects.exists()


def test_anonymous_is_sent_to_login(client, world, sv):
    r = client.post("/s/commitment/", {"action": "declare", "text": TEXT})
    assert r.status_code == 302 and "login" in r["Location"]
    assert _declare(client, world, sv, role="anon").status_code == 401
    assert not CreditMark.objects.exists()


def test_enterprise_declares_and_withdraws_through_the_api(client, world, sv):
    r = _declare(client, world, sv, text="")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "text"]
    yesterday = (today() - dt.timedelta(days=1)).isoformat()
    r = _declare(client, world, sv, since=yesterday)  # no backdating by the business
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "since"]
    r = _declare(client, world, sv)
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    listed = client.get("/api/supervision/commitments?kind=self_commitment").json()
    assert [x["organisation"] for x in listed] == [world.orgs["ent_hz"].code]
    again = _declare(client, world, sv)
    assert again.status_code == 422 and again.json()["detail"][0]["loc"] == ["body", "kind"]
    path = f"commitments/{pk}/withdraw"
    r = sv.api(client, world, "enterprise", "post", path, {"on": today().isoformat(), "reason": ""})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "reason"]
    body = {"on": today().isoformat(), "reason": "经营范围变更"}
    r = sv.api(client, world, "enterprise", "post", path, body)
    assert r.status_code == 200 and r.json()["withdrawn_on"] == today().isoformat()
    assert client.get("/api/supervision/commitments?kind=self_commitment").json() == []
    entry = AuditEntry.objects.filter(model="supervision.creditmark").order_by("id").last()
    assert entry.username == "enterprise" and entry.reason == "经营范围变更"


def test_enterprise_cannot_mark_demonstration_or_act_for_another(client, world, sv):
    assert _declare(client, world, sv, kind="demonstration").status_code == 403
    assert _declare(client, world, sv, org="ent_nb").status_code == 403
    assert not CreditMark.objects.exists()
    demo = CreditMark.objects.create(
        organisation=world.orgs["ent_hz"], kind="demonstration", since=today()
    )
    other = CreditMark.objects.create(
        organisation=world.orgs["ent_nb"], kind="self_commitment", since=today(), text=TEXT
    )
    body = {"on": today().isoformat(), "reason": "x"}
    for m in (demo, other):  # its own demonstration mark, or another business's commitment
        r = sv.api(client, world, "enterprise", "post", f"commitments/{m.pk}/withdraw", body)
        assert r.status_code == 403
        m.refresh_from_db()
        assert m.withdrawn_on is None
