"""Double-random draws: registry pools, commit → run → reveal, verifiable by the core CLI."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from typer.testing import CliRunner

from jiliang.core.legal import draw as core
from jiliang.platform.registry import models as m
from jiliang.platform.supervision import draws
from jiliang.platform.supervision.models import Draw, DrawResult, Filing


def _draw_cli():
    """The ``jiliang draw`` typer app (loaded from its file if the CLI package fails to import)."""
    try:
        from jiliang.cli.draw import app
    except ImportError:  # another command's module broken mid-edit must not hide this test
        import importlib.util
        from pathlib import Path

        import jiliang

        path = Path(jiliang.__file__).parent / "cli" / "draw.py"
        spec = importlib.util.spec_from_file_location("_jiliang_cli_draw", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        app = module.app
    return app


def _commit(client, world, sv, role="regulator", **kw):
    return sv.commit_draw(client, world, role, **kw)


def test_commit_run_reveal_verifies_with_cli(client, pools, sv, tmp_path):
    world = pools
    r = _commit(client, world, sv)
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    commitment = r.json()["commitment"]
    public = client.get(f"/api/supervision/draws/{pk}").json()
    assert public["seed_hex"] is None and public["selections"] == []
    assert public["commitment"] == commitment
    assert {o["id"] for o in public["pools"]["objects"]} == {
        world.orgs["ent_hz"].code,
        world.orgs["ent_nb"].code,
    }
    assert sv.api(client, world, "regulator", "post", f"draws/{pk}/reveal").status_code == 409
    r = sv.api(client, world, "regulator", "post", f"draws/{pk}/run")
    assert r.status_code == 200
    assert len(r.json()["selections"]) == 2 and r.json()["seed_hex"] is None
    assert all(len(s["inspectors"]) == 2 for s in r.json()["selections"])
    r = sv.api(client, world, "regulator", "post", f"draws/{pk}/reveal")
    record = r.json()
    assert record["seed_hex"] and core.commitment(bytes.fromhex(record["seed_hex"])) == commitment
    assert core.verify(record).ok
    # the page's downloadable JSON is what `jiliang draw verify` checks
    raw = client.get(f"/s/draws/{pk}.json").content
    path = tmp_path / "draw.json"
    path.write_bytes(raw)
    app = _draw_cli()
    result = CliRunner().invoke(app, ["verify", str(path)])
    assert result.exit_code == 0, result.output
    tampered = json.loads(raw)
    tampered["selections"][0]["inspectors"].reverse()
    path.write_text(json.dumps(tampered, ensure_ascii=False))
    assert CliRunner().invoke(app, ["verify", str(path)]).exit_code == 1


def test_results_and_public_page(client, pools, sv):
    world = pools
    pk = _commit(client, world, sv).json()["id"]
    sel = sv.api(client, world, "regulator", "post", f"draws/{pk}/run").json()["selections"][0]
    body = {
        "item_id": sel["item_id"],
        "object_id": sel["object_id"],
        "outcome": "fail",
        "notes": "示值误差超差",
    }
    assert (
        sv.api(client, world, "enterprise", "post", f"draws/{pk}/results", body).status_code == 403
    )
    assert (
        sv.api(client, world, "regulator", "post", f"draws/{pk}/results", body).status_code == 201
    )
    bad = {**body, "object_id": "nobody"}
    r = sv.api(client, world, "regulator", "post", f"draws/{pk}/results", bad)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "object_id"]
    assert DrawResult.objects.count() == 1
    page = client.get(f"/s/draws/{pk}/").content.decode()  # anonymous
    # results name the drawn object: private until the seed is revealed (test_draw_secrecy)
    assert "示值误差超差" not in page and Draw.objects.get(pk=pk).commitment in page
    secret = Draw.objects.get(pk=pk).data.seed_hex
    assert secret not in page  # not yet revealed
    from jiliang.platform.audit.models import AuditEntry

    assert not any(secret in json.dumps([e.before, e.after]) for e in AuditEntry.objects.all())
    assert sv.api(client, world, "regulator", "post", f"draws/{pk}/reveal").status_code == 200
    assert "示值误差超差" in client.get(f"/s/draws/{pk}/").content.decode()  # public once revealed
    assert client.get("/s/draws/").status_code == 200
    # the failed spot check lowers the entity's credit
    r = sv.api(client, world, "regulator", "get", f"credit/{sel['object_id']}")
    assert any("spot_check_fail" in line for line in r.json()["explanation"])


def test_too_few_inspectors_refused_nothing_drawn(client, pools, sv):
    world = pools
    pk = _commit(client, world, sv, inspectors_per_object=4).json()["id"]
    r = sv.api(client, world, "regulator", "post", f"draws/{pk}/run")
    assert r.status_code == 409 and "too few inspectors" in r.json()["detail"]
    d = Draw.objects.get(pk=pk)
    assert d.stage == "committed" and d.data.selections is None


def test_recusal_by_declared_conflict(client, pools, sv):
    world = pools
    officers = m.Person.objects.filter(organisation=world.orgs["amr_zj"]).order_by("pk")
    ids = [f"P{p.pk}" for p in officers]
    conflicts = {ids[0]: [world.orgs["ent_hz"].code], ids[1]: [world.orgs["ent_hz"].code]}
    pk = _commit(client, world, sv, conflicts=conflicts).json()["id"]
    r = sv.api(client, world, "regulator", "post", f"draws/{pk}/run")
    assert r.status_code == 409  # only one eligible inspector left for ent_hz


@pytest.mark.parametrize(
    "role,status", [("anon", 401), ("enterprise", 403), ("inspector", 403), ("regulator_nb", 403)]
)
def test_commit_denied(client, pools, sv, role, status):
    assert _commit(client, pools, sv, role=role).status_code == status
    assert not Draw.objects.exists()


def test_bad_items(client, pools, sv):
    r = _commit(client, pools, sv, items=[{"id": "nothing", "ratio": 0.1}])
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "items"]


def test_draw_pages(client, pools, sv):
    world = pools
    client.force_login(world.users["regulator"])
    r = client.post(
        "/s/draws/new/",
        {
            "title": "页面抽查",
            "region": "330000",
            "items": "electronic_price_scale 0.5",
            "inspectors_per_object": 2,
        },
    )
    assert r.status_code == 302
    d = Draw.objects.get()
    client.post(f"/s/draws/{d.pk}/", {"action": "run"})
    client.post(f"/s/draws/{d.pk}/", {"action": "reveal"})
    d.refresh_from_db()
    assert d.stage == "revealed"
    assert d.seed_hex in client.get(f"/s/draws/{d.pk}/").content.decode()
    client.force_login(world.users["enterprise"])
    assert client.post(f"/s/draws/{d.pk}/", {"action": "run"}).status_code == 403


@pytest.mark.parametrize("prefix_region", ["330000", "330100", "330200", "330203"])
def test_pools_equal_a_plain_reference(world, sv, prefix_region):
    """Objects from the set-based query = owners and items read filing by filing, whether the
    area is the whole table, filtered in SQL or read whole and masked."""
    import random

    for code in ("330102", "330103"):  # 3301 holds 4 of 7 regions: read whole, then masked
        world.regions[code] = m.Region.objects.create(
            code=code, name=code, level="county", parent=world.regions["330100"]
        )
    rng = random.Random(7)
    codes = ["water_meter", "taximeter", "gas_meter", "electronic_price_scale"]
    for seq in range(120):
        inst = sv.add_instrument(
            world,
            owner=rng.choice(["ent_hz", "ent_nb", "lab_hz", "lab_nb"]),
            region=rng.choice(["330106", "330203", "330102", "330103", "330100"]),
            seq=2000 + seq,
        )
        Filing.objects.create(instrument=inst, item_code=rng.choice(codes), use="other")
    chosen = codes[:3]  # electronic_price_scale filings are not in the pool
    region = world.regions[prefix_region]
    pools = draws.build_pools(region, [{"id": c, "ratio": 0.5} for c in chosen])
    want: dict[str, set] = {}
    for f in Filing.objects.select_related("instrument__owner", "instrument__region"):
        if f.item_code in chosen and f.instrument.region.code.startswith(region.prefix):
            want.setdefault(f.instrument.owner.code, set()).add(f.item_code)
    got = {o["id"]: set(o["items"]) for o in pools["objects"]}
    assert got == want and len(want) > 1
    assert [o["id"] for o in pools["objects"]] == sorted(want)
    assert all(o["items"] == sorted(o["items"]) and o["org"] == o["id"] for o in pools["objects"])
    assert pools["params"]["algorithm"] == core.ALGORITHM == "jiliang-draw-v2"


def test_draw_committed_before_v2_still_runs_and_verifies_with_v1(client, pools, sv):
    """A draw whose frozen pools name no algorithm (committed before v2) is run, published and
    logged as jiliang-draw-v1, and verifies."""
    from jiliang.platform.supervision import draw_log

    world = pools
    frozen = draws.build_pools(
        world.regions["330000"], [{"id": "electronic_price_scale", "ratio": 1}]
    )
    del frozen["params"]["algorithm"]
    d = draws.commit(None, "旧抽查", world.regions["330000"], frozen)
    draws.reveal(draws.run(d))
    record = draws.published(Draw.objects.get(pk=d.pk))
    assert record["algorithm"] == core.ALGORITHM_V1
    assert core.verify(record).ok
    (leaf,) = [x for x in draw_log.leaves(d, proofs=False) if x["kind"] == "draw-commitment"]
    assert leaf["statement"]["algorithm"] == core.ALGORITHM_V1 and leaf["matches"]
    tampered = {**record, "algorithm": core.ALGORITHM_V2}
    assert not core.verify(tampered).ok


def test_results_not_public_by_the_deadline_are_flagged(client, pools, sv, settings):
    """一公开: after ``publish_by`` every selection without a result is flagged, on the public
    page (both languages) and in the API; recording the results clears the flag."""
    world = pools
    pk = _commit(client, world, sv).json()["id"]
    chosen = sv.api(client, world, "regulator", "post", f"draws/{pk}/run").json()["selections"]
    assert len(chosen) >= 2
    d = Draw.objects.get(pk=pk)
    pub = sv.api(client, world, "regulator", "get", f"draws/{pk}").json()["publication"]
    assert pub == {
        "publish_by": d.publish_by.isoformat(),
        "results_missing": len(chosen),
        "overdue": False,
    }  # still within the deadline
    assert 'id="publication-overdue"' not in client.get(f"/s/draws/{pk}/").content.decode()

    Draw.objects.filter(pk=pk).update(publish_by=dt.date(2020, 1, 1))
    for s in chosen[:-1]:
        body = {"item_id": s["item_id"], "object_id": s["object_id"], "outcome": "pass"}
        r = sv.api(client, world, "regulator", "post", f"draws/{pk}/results", body)
        assert r.status_code == 201
    pub = sv.api(client, world, "regulator", "get", f"draws/{pk}").json()["publication"]
    assert (pub["results_missing"], pub["overdue"]) == (1, True)
    page = client.get(f"/s/draws/{pk}/").content.decode()  # anonymous
    assert 'id="publication-overdue"' in page and "1 项检查结果逾期未公开" in page
    english = client.get(f"/s/draws/{pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "1 inspection result not published by the deadline" in english

    last = chosen[-1]
    body = {"item_id": last["item_id"], "object_id": last["object_id"], "outcome": "pass"}
    assert (
        sv.api(client, world, "regulator", "post", f"draws/{pk}/results", body).status_code == 201
    )
    pub = sv.api(client, world, "regulator", "get", f"draws/{pk}").json()["publication"]
    assert (pub["results_missing"], pub["overdue"]) == (0, False)
    assert 'id="publication-overdue"' not in client.get(f"/s/draws/{pk}/").content.decode()
