"""Pages, admin and API docs render, in Chinese and in English."""

from __future__ import annotations

import pytest

from jiliang.platform.registry.resources import RESOURCES

from .conftest import hz_verification


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.slug)
def test_list_and_detail_pages_render(client, world, resource):
    client.force_login(world.users["admin"])
    response = client.get(f"/r/{resource.slug}/")
    assert response.status_code == 200
    obj = resource.model.objects.first()
    if obj is not None:
        assert client.get(f"/r/{resource.slug}/{obj.pk}/").status_code == 200
    assert client.get(f"/r/{resource.slug}/new/").status_code == 200


def test_list_filter_and_search(client, world):
    client.force_login(world.users["admin"])
    response = client.get("/r/instruments/", {"region": "3302"})
    assert [obj.pk for obj, _cells in response.context["rows"]] == [world.instruments["nb"].pk]
    response = client.get("/r/instruments/", {"q": "scale hz"})
    assert [obj.pk for obj, _cells in response.context["rows"]] == [world.instruments["hz"].pk]


def test_overdue_card_counts_instruments_not_events(client, world):
    """An instrument with an expired old certificate but a valid new one is not overdue.

    "Overdue" is the core schedule's verdict on the filed instrument (issue 12: one meaning).
    """
    import datetime as dt

    from jiliang.platform.supervision.models import Filing
    from jiliang.platform.supervision.services import sync_filing

    inst = world.instruments["hz"]
    sync_filing(Filing(instrument=inst, item_code=inst.category, use=inst.use))
    client.force_login(world.users["admin"])
    assert client.get("/").context["overdue"] == 0
    old = hz_verification(world, "OLD-1", dt.date(2020, 1, 1), "pass", due_on=dt.date(2021, 1, 1))
    assert client.get("/").context["overdue"] == 0
    world.events["hz"].delete()
    assert client.get("/").context["overdue"] == 1
    rows = client.get("/r/instruments/", {"overdue": "true"}).context["rows"]
    assert [obj.pk for obj, _cells in rows] == [world.instruments["hz"].pk]
    assert old.instrument_id == world.instruments["hz"].pk


def test_language_switch(client, world):
    # anonymous: the public menu (instruments are not public: no menu entry, no card)
    home_zh = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-menu="standards">计量标准</a>' in home_zh
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    home_en = client.get("/").content.decode()
    assert 'data-menu="standards">Measurement standards</a>' in home_en
    assert 'data-menu="instruments"' not in home_en
    assert 'lang="en"' in home_en


def test_unknown_resource_is_404(client, world):
    assert client.get("/r/no-such-thing/").status_code == 404


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.slug)
def test_admin_pages_for_every_registry_model(client, world, resource):
    client.force_login(world.users["admin"])
    meta = resource.model._meta
    assert client.get(f"/admin/{meta.app_label}/{meta.model_name}/").status_code == 200
    assert client.get(f"/admin/{meta.app_label}/{meta.model_name}/add/").status_code == 200


def test_admin_is_closed_to_non_staff(client, world):
    client.force_login(world.users["regulator"])
    assert client.get("/admin/registry/instrument/").status_code == 302


def test_openapi_docs(client, db):
    """Swagger UI works offline (issue 18): every asset it loads is a local static file."""
    import re

    from django.contrib.staticfiles import finders

    page = client.get("/api/docs")
    assert page.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.content.decode())
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    for asset in assets:
        assert asset.startswith("/static/"), asset  # no CDN
        assert finders.find(asset.removeprefix("/static/")), asset
    schema = client.get("/api/openapi.json").json()
    assert "/api/registry/instruments" in schema["paths"]
    assert {"get", "post"} <= set(schema["paths"]["/api/registry/instruments"])


def test_static_assets_are_local(client, db):
    html = client.get("/").content.decode()
    assert "/static/vendor/htmx/htmx.min.js" in html
    assert "http://" not in html.split("<body", 1)[0].replace("http://www.w3.org", "")
    assert "https://" not in html.split("<body", 1)[0]


@pytest.mark.parametrize(
    "path",
    [
        "/static/vendor/htmx/htmx.min.js",
        "/static/vendor/echarts/echarts.min.js",
        "/static/jiliang/site.css",
    ],
)
def test_vendored_assets_are_served(client, db, path):
    response = client.get(path)
    assert response.status_code == 200
    assert b"".join(response.streaming_content if response.streaming else [response.content])


def test_english_catalogue_is_complete():
    """Every UI string has an English translation (scripts/i18n fills them from tables)."""
    import re
    from pathlib import Path

    import jiliang.platform

    po = Path(jiliang.platform.__file__).parent / "locale/en/LC_MESSAGES/django.po"
    text = po.read_text(encoding="utf-8")
    entries = re.findall(r'msgid "(.+)"\nmsgstr ""\n', text)
    assert entries == []
    # compilemessages skips fuzzy entries, so a guessed translation would show Chinese
    fuzzy = re.findall(r"^#, .*fuzzy.*\n(?:#.*\n)*msgid \"(.*)\"", text, re.M)
    assert fuzzy == []
    assert (po.with_suffix(".mo")).stat().st_mtime >= po.stat().st_mtime - 1


def test_healthz(client, db):
    assert client.get("/healthz").json() == {"status": "ok"}


def _json_script(html: str, element_id: str):
    import json
    import re

    match = re.search(
        rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S
    )
    assert match, f"no json_script {element_id}"
    return json.loads(match.group(1))


def test_chart_data_reaches_pages_as_objects(client, world, settings, tmp_path):
    """ECharts code reads these as objects; a string quoted twice would draw nothing."""
    from jiliang.platform.calibration.models import UncertaintyBudget

    settings.JILIANG_LEDGER_DIR = tmp_path / "ledger"
    client.force_login(world.users["admin"])
    page = client.get(f"/r/instruments/{world.instruments['hz'].pk}/").content.decode()
    assert isinstance(_json_script(page, "trace-chain"), dict)
    dashboard = client.get("/traceability/").content.decode()
    assert isinstance(_json_script(dashboard, "trace-charts"), dict)
    budget = UncertaintyBudget.objects.create(
        owner=world.orgs["lab_hz"],
        title="t",
        spec={},
        method="lpu",
        result={"contributions": [{"name": "x", "contribution": 1.0, "share": 1.0}]},
    )
    charts = _json_script(client.get(f"/budgets/{budget.pk}/").content.decode(), "budget-charts")
    assert charts["contributions"][0]["name"] == "x"
