"""Dashboard and chain panel render, scoped to the user."""

from __future__ import annotations

import pytest
from tests.platform.conftest import PASSWORD

from jiliang.platform.traceability import loader


@pytest.fixture(autouse=True)
def _fresh_cache():
    loader.clear_cache()
    yield
    loader.clear_cache()


def test_dashboard_renders_for_regulator(client, world):
    assert client.get("/traceability/").status_code == 302  # login first
    client.login(username="regulator", password=PASSWORD)
    r = client.get("/traceability/")
    assert r.status_code == 200
    html = r.content.decode()
    for marker in ('id="chart-category"', 'id="broken"', 'id="gaps"', 'id="whatif-form"'):
        assert marker in html
    assert world.instruments["hz"].lifetime_id in html  # a broken chain with its reason
    std = world.standards["lab_hz"]
    r = client.get("/traceability/", {"standard": std.pk, "region": "330100"})
    assert r.status_code == 200 and 'id="whatif-count"' in r.content.decode()


def test_dashboard_region_selector_honours_scope(client, world):
    client.login(username="regulator_nb", password=PASSWORD)
    html = client.get("/traceability/").content.decode()
    assert world.instruments["nb"].lifetime_id in html
    assert world.instruments["hz"].lifetime_id not in html
    assert 'value="330106"' not in html  # Hangzhou regions not offered
    html = client.get("/traceability/", {"region": "330106"}).content.decode()
    assert world.instruments["hz"].lifetime_id not in html


def test_chain_panel_on_detail_pages(client, world):
    client.login(username="enterprise", password=PASSWORD)
    hz = world.instruments["hz"]
    html = client.get(f"/r/instruments/{hz.pk}/").content.decode()
    assert 'id="traceability-panel"' in html and 'id="trace-verdict"' in html
    assert "JD-HZ-1" in html
    client.logout()
    std = world.standards["primary"]
    html = client.get(f"/r/standards/{std.pk}/").content.decode()
    assert 'id="traceability-panel"' in html
