"""The instrument list page's own cost (issue 17, load: p95 < 300 ms at 50 clients needs ~10 ms
of CPU a page): it reads only the columns it shows, one query for the user's profile and region,
a large count reused for a few seconds (and dropped on a write), and the same HTML as before.

Figures: ``benchmarks/bench_list_page.py`` (CPU per page) and ``benchmarks/bench_load.py``.
"""

from __future__ import annotations

import re

import pytest

from jiliang.platform import lists
from jiliang.platform.registry import models as m

from .conftest import scale_fields
from .test_load import add_instruments, get


def _page_select(sql: list[str]) -> str:
    pages = [s for s in sql if 'FROM "registry_instrument"' in s and "LIMIT" in s.upper()]
    assert len(pages) == 1, sql
    return pages[0]


def test_list_reads_only_the_columns_it_shows(client, world):
    client.force_login(world.users["regulator"])
    html, sql = get(client, "/r/instruments/")
    select = _page_select(sql).split(" FROM ")[0]
    for shown in ("lifetime_id", "name", "category", "status", "compulsory", "owner_id"):
        assert f'"registry_instrument"."{shown}"' in select
    for hidden in ("serial", "manufacturer", "range_low", "mpe_si", "location", "uuid"):
        assert f'"registry_instrument"."{hidden}"' not in select
    # the owner's and region's names, not their addresses
    assert '"registry_organisation"."name"' in select
    assert '"registry_organisation"."address"' not in select
    # and the cells still show them: the owner's name and the region "name (code)"
    hz = world.instruments["hz"]
    cells = re.findall(r"<td>(.*?)</td>", html[html.index(f'/r/instruments/{hz.pk}/"') - 20 :])
    assert cells[0].endswith(f"{hz.lifetime_id}</a>")
    assert "ent_hz" in cells[3] and f"({world.regions['330106'].code})" in cells[4]


def test_profile_and_region_are_one_query(client, world):
    client.force_login(world.users["regulator"])
    get(client, "/r/instruments/")  # warm
    _html, sql = get(client, "/r/instruments/")
    profile = [s for s in sql if 'FROM "accounts_profile"' in s]
    assert len(profile) == 1 and '"registry_region"' in profile[0], profile
    assert not [s for s in sql if s.startswith('SELECT "registry_region"')], sql


def test_filters_render_selected_and_escaped(client, world):
    client.force_login(world.users["regulator"])
    html, _sql = get(client, '/r/instruments/?status=in_use&owner=a"<b')
    assert '<option value="in_use" selected>' in html
    assert '<input name="owner" value="a&quot;&lt;b">' in html
    assert '<option value="suspended">' in html


def test_large_count_is_reused_until_a_write(client, world, monkeypatch):
    monkeypatch.setattr(lists, "COUNT_CACHE_MIN", 3)  # the world has 2 instruments
    lists._COUNTS.clear()
    client.force_login(world.users["regulator"])
    add_instruments(world, 2)  # 4 in the regulator's province
    html, sql = get(client, "/r/instruments/")
    assert "共 4 条" in html and any("COUNT(" in s for s in sql)
    html, sql = get(client, "/r/instruments/")
    assert "共 4 条" in html and not any("COUNT(" in s for s in sql)  # reused
    # a save in this process ends the reuse at once
    owner, region = world.orgs["ent_hz"], world.regions["330106"]
    m.Instrument.objects.create(**scale_fields(owner, region, 900, "scale 900"))
    html, sql = get(client, "/r/instruments/")
    assert "共 5 条" in html and any("COUNT(" in s for s in sql)
    lists._COUNTS.clear()


@pytest.mark.parametrize("n, reused", [(1, False), (2, True)])
def test_small_counts_are_always_exact(client, world, monkeypatch, n, reused):
    monkeypatch.setattr(lists, "COUNT_CACHE_MIN", 4)
    lists._COUNTS.clear()
    client.force_login(world.users["regulator"])
    add_instruments(world, n)  # 2 + n instruments
    get(client, "/r/instruments/")
    _html, sql = get(client, "/r/instruments/")
    assert any("COUNT(" in s for s in sql) is not reused
    lists._COUNTS.clear()
