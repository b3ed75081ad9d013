"""Double-random draws: registry pools, commit → run → reveal, verifiable by the core CLI."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from jiliang.core.legal import draw as core
from jiliang.platform.registry import models as m
from jiliang.platform.supervision.models import Draw, DrawResult


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
    assert "示值误差超差" in page and Draw.objects.get(pk=pk).commitment in page
    secret = Draw.objects.get(pk=pk).data.seed_hex
    assert secret not in page  # not yet revealed
    from jiliang.platform.audit.models import AuditEntry

    assert not any(secret in json.dumps([e.before, e.after]) for e in AuditEntry.objects.all())
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
    ids = [f"P{p.pk}" for p in m.Person.objects.order_by("pk")]
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
