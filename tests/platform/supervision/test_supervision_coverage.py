"""Coverage indicators from core.legal.coverage; dashboard page and API; risk list."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from jiliang.core.legal import Catalogue, Status, schedule
from jiliang.platform.registry import models as m
from jiliang.platform.supervision.models import Filing
from jiliang.platform.supervision.services import coverage, filed, sync_filing

AS_OF = dt.date(2026, 11, 1)


@pytest.fixture
def region(world, sv):
    """Six filings: on time, overdue, failed, not compulsory use, fixed life, Ningbo."""
    rows = [
        ("330106", "ent_hz", 20, dt.date(2025, 6, 1), "pass", "trade_settlement", 80),
        ("330106", "ent_hz", 21, dt.date(2024, 6, 1), "pass", "trade_settlement", 80),
        ("330106", "ent_hz", 22, dt.date(2026, 6, 1), "fail", "trade_settlement", 80),
        ("330106", "ent_hz", 23, dt.date(2026, 6, 1), "pass", "other", 80),
        ("330106", "ent_hz", 24, dt.date(2022, 6, 1), "pass", "trade_settlement", 20),
        ("330203", "ent_nb", 25, dt.date(2026, 1, 1), "pass", "trade_settlement", 80),
    ]
    out = []
    for reg, owner, seq, day, result, use, dn in rows:
        inst = sv.add_instrument(world, owner=owner, region=reg, seq=seq, use=use)
        sv.verify(world, inst, day, result=result)
        out.append(
            sync_filing(
                Filing(instrument=inst, item_code="water_meter", use=use, params={"dn_mm": dn}),
                as_of=AS_OF,
            )
        )
    m.Scope.objects.create(
        organisation=world.orgs["lab_hz"],
        kind="authorisation",
        quantity="volume",
        instrument_category="water_meter",
        range_low=0,
        range_high=100,
        unit=r"\litre",
        valid_from=dt.date(2024, 1, 1),
        valid_to=dt.date(2028, 1, 1),
    )
    return out


def test_coverage_agrees_with_schedule(region):
    report = coverage(None, AS_OF)
    cat = Catalogue.from_rulebook()
    entries = [schedule(filed(f), cat, AS_OF) for f in region]
    compulsory = [e for e in entries if e.status is not Status.NOT_COMPULSORY]
    ok = [e for e in compulsory if e.status in (Status.OK, Status.DUE_SOON)]
    assert report.total == len(compulsory) == 5
    assert report.on_time == len(ok) == 3  # 2025-06 (DN 80), DN 20 (6-year life), Ningbo
    by_region = {g.key: (g.on_time, g.total) for g in report.groups["region"]}
    assert by_region == {"330106": (2, 4), "330203": (1, 1)}
    assert {g.key for g in report.groups["use"]} == {"trade_settlement"}
    hz = next(c for c in report.capability if c.region == "330106")
    assert "water_meter" in hz.covered and "taximeter" in hz.missing
    nb = coverage("3302", AS_OF)
    assert (nb.total, nb.on_time) == (1, 1)


@pytest.mark.parametrize(
    "role,status",
    [
        ("regulator", 200),
        ("regulator_nb", 200),
        ("inspector", 200),
        ("enterprise", 403),
        ("lab", 403),
        ("anon", 403),
    ],
)
def test_coverage_api_scoped(client, world, sv, region, role, status):
    r = sv.api(client, world, role, "get", "coverage?as_of=2026-11-01")
    assert r.status_code == status
    if status == 200:
        expected = {"regulator": 5, "regulator_nb": 1, "inspector": 4}[role]
        assert r.json()["total"] == expected


def test_coverage_api_region_filter(client, world, sv, region):
    r = sv.api(client, world, "regulator", "get", "coverage?region=330203&as_of=2026-11-01")
    assert r.json()["total"] == 1
    r = sv.api(client, world, "regulator_nb", "get", "coverage?region=330106")
    assert r.status_code == 404
    r = sv.api(client, world, "regulator", "get", "coverage?region=999999")
    assert r.status_code == 422


def test_dashboard_and_risk(client, world, sv, region):
    client.force_login(world.users["regulator"])
    r = client.get("/s/dashboard/")
    assert r.status_code == 200
    text = r.content.decode()
    assert "echarts.min.js" in text
    data = json.loads(
        text.split('id="dash-data" type="application/json">')[1].split("</script>")[0]
    )
    assert {"name": "西湖区", "total": 4, "on_time": 2, "share": 50.0} in data["regions"]
    risks = sv.api(client, world, "regulator", "get", "risk").json()
    assert risks and risks[0]["score"] >= risks[-1]["score"]
    assert any("failures" in " ".join(x["reasons"]) for x in risks)
    client.force_login(world.users["enterprise"])
    assert client.get("/s/dashboard/").status_code == 403


def test_filing_page_lists_authorised_institutions(client, world, region):
    client.force_login(world.users["enterprise"])
    text = client.get(f"/s/filings/{region[0].pk}/").content.decode()
    block = text.split('id="institutions">')[1].split("</td>")[0]
    assert world.orgs["lab_hz"].name in block
    client.force_login(world.users["regulator"])
    text = client.get(f"/s/filings/{region[5].pk}/").content.decode()  # Ningbo: none
    assert world.orgs["lab_hz"].name not in text.split('id="institutions">')[1].split("</td>")[0]


def test_large_area_is_masked_in_numpy_with_same_result(world, region):
    """A prefix holding most regions is read whole and masked; result equals the SQL filter."""
    for code in ("330102", "330103", "330104"):
        m.Region.objects.create(
            code=code, name=code, level="county", parent=world.regions["330100"]
        )
    hz = coverage("3301", AS_OF)  # 5 of 8 regions: masked in numpy
    assert (hz.total, hz.on_time) == (4, 2)
    assert {g.key for g in hz.groups["region"]} == {"330106"}
    nb = coverage("3302", AS_OF)  # 2 of 8: filtered in SQL
    assert (nb.total, nb.on_time) == (1, 1)
