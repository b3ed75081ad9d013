"""Double-random draws (双随机、一公开): the selections stay secret until the seed is revealed.

Before the reveal only the regulator who committed the draw sees who and what was drawn; the
commitment SHA-256(seed), the frozen pools and their digest are public from the start (the
drawn enterprises must not be forewarned, and nobody can re-roll unseen). Every path that shows
a draw is checked: API list and detail, the draw page, the downloadable JSON, the run/reveal/
results endpoints of anyone but the operator.
"""

from __future__ import annotations

import json

import pytest

from jiliang.core.legal import draw as core
from jiliang.platform.supervision.models import Draw

OTHERS = ["anon", "admin", "regulator_nb", "inspector", "enterprise", "lab"]


def _drawn(client, world, sv) -> tuple[int, list[dict]]:
    """A draw committed and run by ``regulator``: its id and (operator's view of) selections."""
    pk = sv.commit_draw(client, world, "regulator").json()["id"]
    r = sv.api(client, world, "regulator", "post", f"draws/{pk}/run")
    assert r.status_code == 200
    chosen = r.json()["selections"]
    assert chosen and all(s["inspectors"] for s in chosen)
    return pk, chosen


def _selected_ids(chosen: list[dict]) -> set[str]:
    return {s["object_id"] for s in chosen}


@pytest.mark.parametrize("role", OTHERS)
def test_api_detail_hides_selections_before_reveal(client, pools, sv, role):
    """GET /api/supervision/draws/<id> before the reveal: commitment yes, selections no."""
    pk, chosen = _drawn(client, pools, sv)
    d = Draw.objects.get(pk=pk)
    r = sv.api(client, pools, role, "get", f"draws/{pk}")
    assert r.status_code == 200
    record = r.json()
    assert record["commitment"] == d.commitment and record["pools_sha256"] == d.pools_sha256
    assert record["selections"] == [] and record["seed_hex"] is None
    assert d.selections_sha256 not in r.content.decode()
    assert json.dumps(chosen[0]["inspectors"]) not in r.content.decode()


def test_api_detail_shows_selections_to_the_operator_only(client, pools, sv):
    pk, chosen = _drawn(client, pools, sv)
    record = sv.api(client, pools, "regulator", "get", f"draws/{pk}").json()
    assert record["selections"] == chosen


def test_api_list_hides_selection_digest_before_reveal(client, pools, sv):
    """The list shows commitments only; the selections' SHA-256 of a small pool is guessable."""
    pk, _chosen = _drawn(client, pools, sv)
    d = Draw.objects.get(pk=pk)
    body = client.get("/api/supervision/draws").content.decode()
    assert d.commitment in body and d.selections_sha256 not in body


@pytest.mark.parametrize("role", ["anon", "admin", "regulator_nb", "enterprise"])
def test_draw_page_and_json_hide_selections_before_reveal(client, pools, sv, role):
    pk, chosen = _drawn(client, pools, sv)
    first = chosen[0]
    body = {"item_id": first["item_id"], "object_id": first["object_id"], "outcome": "fail"}
    body["notes"] = "秘密结果备注"
    assert (
        sv.api(client, pools, "regulator", "post", f"draws/{pk}/results", body).status_code == 201
    )
    d = Draw.objects.get(pk=pk)
    if role != "anon":
        client.force_login(pools.users[role])
    page = client.get(f"/s/draws/{pk}/").content.decode()
    assert d.commitment in page and 'id="selections-sealed"' in page
    assert d.selections_sha256 not in page and "秘密结果备注" not in page
    for s in chosen:
        assert f"<code>{s['object_id']}</code>" not in page
    record = json.loads(client.get(f"/s/draws/{pk}.json").content)
    assert record["selections"] == [] and record["commitment"] == d.commitment


def test_draw_page_shows_selections_to_the_operator(client, pools, sv):
    pk, chosen = _drawn(client, pools, sv)
    client.force_login(pools.users["regulator"])
    page = client.get(f"/s/draws/{pk}/").content.decode()
    assert all(f"<code>{s['object_id']}</code>" in page for s in chosen)
    assert json.loads(client.get(f"/s/draws/{pk}.json").content)["selections"] == chosen


@pytest.mark.parametrize("role,status", [("admin", 403), ("regulator_nb", 403), ("anon", 401)])
def test_only_the_committing_regulator_runs_reveals_or_records(client, pools, sv, role, status):
    """Another supervisor cannot learn the selections by running, revealing or probing results
    (a 422 'not drawn' against a guessed object would be an oracle)."""
    pk = sv.commit_draw(client, pools, "regulator").json()["id"]
    assert sv.api(client, pools, role, "post", f"draws/{pk}/run").status_code == status
    assert Draw.objects.get(pk=pk).stage == "committed"
    assert sv.api(client, pools, "regulator", "post", f"draws/{pk}/run").status_code == 200
    guess = {"item_id": "electronic_price_scale", "object_id": pools.orgs["ent_hz"].code}
    r = sv.api(client, pools, role, "post", f"draws/{pk}/results", {**guess, "outcome": "pass"})
    assert r.status_code == status
    assert sv.api(client, pools, role, "post", f"draws/{pk}/reveal").status_code == status
    assert Draw.objects.get(pk=pk).stage == "drawn"
    if role != "anon":
        client.force_login(pools.users[role])
        assert client.post(f"/s/draws/{pk}/", {"action": "reveal"}).status_code == 403


def test_everything_public_and_verifiable_after_reveal(client, pools, sv):
    pk, chosen = _drawn(client, pools, sv)
    assert sv.api(client, pools, "regulator", "post", f"draws/{pk}/reveal").status_code == 200
    record = client.get(f"/api/supervision/draws/{pk}").json()  # anonymous
    assert record["selections"] == chosen and core.verify(record).ok
    page = client.get(f"/s/draws/{pk}/").content.decode()
    assert Draw.objects.get(pk=pk).selections_sha256 in page
    assert all(f"<code>{s['object_id']}</code>" in page for s in chosen)


def test_credit_does_not_leak_an_unrevealed_selection(client, pools, sv):
    """A result recorded before the reveal must not show up as a credit event (or grade change)
    to the region's other supervisors; it counts once the draw is public."""
    pk, chosen = _drawn(client, pools, sv)
    hz = pools.orgs["ent_hz"].code
    mine = next((s for s in chosen if s["object_id"] == hz), None)
    assert mine is not None  # ratio 1.0: both scales' owners are drawn
    body = {"item_id": mine["item_id"], "object_id": hz, "outcome": "fail"}
    assert (
        sv.api(client, pools, "regulator", "post", f"draws/{pk}/results", body).status_code == 201
    )

    def events() -> list[str]:
        r = sv.api(client, pools, "inspector", "get", f"credit/{hz}")
        assert r.status_code == 200
        return r.json()["explanation"]

    assert not any("spot_check" in line for line in events())
    assert sv.api(client, pools, "regulator", "post", f"draws/{pk}/reveal").status_code == 200
    assert any("spot_check_fail" in line for line in events())


def test_admin_site_does_not_show_unrevealed_selections(client, pools, sv):
    """The Django admin is another path to a draw: no selections digest, no results of an
    unrevealed draw, and the stage cannot be edited to 'revealed' past the seed reveal."""
    pk, chosen = _drawn(client, pools, sv)
    first = chosen[0]
    body = {"item_id": first["item_id"], "object_id": first["object_id"], "outcome": "pass"}
    body["notes"] = "管理后台不应看到"
    assert (
        sv.api(client, pools, "regulator", "post", f"draws/{pk}/results", body).status_code == 201
    )
    d = Draw.objects.get(pk=pk)
    client.force_login(pools.users["admin"])
    page = client.get(f"/admin/supervision/draw/{pk}/change/").content.decode()
    assert d.commitment in page and d.selections_sha256 not in page
    assert 'name="stage"' not in page  # read-only
    results = client.get("/admin/supervision/drawresult/").content.decode()
    assert first["object_id"] not in results
    # a stage forced to 'revealed' without the seed does not open the selections
    Draw.objects.filter(pk=pk).update(stage="revealed")
    assert client.get(f"/api/supervision/draws/{pk}").json()["selections"] == []
