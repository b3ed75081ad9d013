"""Coverage indicators from core.legal.coverage; dashboard page and API; risk list."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from jiliang.core.legal import Catalogue, Status, schedule
from jiliang.platform.registry import models as m
from jiliang.platform.supervision.models import Filing
from jiliang.platform.supervision.services import coverage, filed, sync_filing

from .conftest import authorise_for_water_meters

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
    authorise_for_water_meters(world, valid_to=dt.date(2028, 1, 1))
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


def _reference(prefix: str | None, as_of: dt.date) -> dict:
    """Coverage computed the plain way: every filing read as an object, the core's numpy rules
    (rules_for_arrays → deadlines → on_time_mask) and dict counting."""
    import numpy as np

    from jiliang.core.legal.coverage import (
        MODE_NONE,
        deadlines,
        on_time_mask,
        rules_for_arrays,
    )

    fs = [
        f
        for f in Filing.objects.select_related("instrument__region")
        if f.instrument.region.code.startswith(prefix or "")
    ]
    if not fs:
        return {"total": 0, "on_time": 0, "groups": {}}

    def num(v):
        return np.nan if v is None else float(v)

    def day(v):
        return np.datetime64("NaT") if v is None else np.datetime64(v, "D")

    params = {
        "dn_mm": np.array([num(f.params.get("dn_mm")) for f in fs]),
        "g_size": np.array([num(f.params.get("g_size")) for f in fs]),
        "type": np.array([str(f.params.get("type") or "") for f in fs]),
    }
    items = np.array([f.item_code for f in fs])
    mode, months = rules_for_arrays(Catalogue.from_rulebook(), items, [f.use for f in fs], params)
    first = np.array([day(f.first_verified) for f in fs], dtype="datetime64[D]")
    last = np.array([day(f.last_verified) for f in fs], dtype="datetime64[D]")
    dl = deadlines(mode, months, first, last)
    ok = on_time_mask(mode, dl, last, [f.last_result == "pass" for f in fs], as_of)
    groups: dict = {}
    for f, md, good in zip(fs, mode, ok, strict=True):
        if md == MODE_NONE:
            continue
        for name, key in (
            ("region", f.instrument.region.code),
            ("item_code", f.item_code),
            ("use", f.use),
            ("owner", str(f.instrument.owner_id)),
        ):
            t, h = groups.setdefault(name, {}).get(key, (0, 0))
            groups[name][key] = (t + 1, h + int(good))
    compulsory = mode != MODE_NONE
    return {"total": int(compulsory.sum()), "on_time": int(ok.sum()), "groups": groups}


@pytest.fixture
def random_filings(world, sv):
    """~240 filings with random items, uses, parameters (some missing), results and dates —
    many of them a few days either side of as_of − period, where month ends clamp."""
    import random

    from jiliang.core.legal.catalogue import Use
    from jiliang.core.legal.coverage import rule_branches
    from jiliang.core.legal.schedule import add_months

    for code in ("330102", "330103"):  # 4 of 7 regions under 3301: read whole, then masked
        world.regions[code] = m.Region.objects.create(
            code=code, name=code, level="county", parent=world.regions["330100"]
        )
    rng = random.Random(20261101)
    cat = Catalogue.from_rulebook()
    months: dict[str, list[int]] = {}
    for b in rule_branches(cat):
        months.setdefault(b.item_code, []).append(b.months)
    days = [dt.date(2026, 11, 1), dt.date(2027, 3, 31), dt.date(2028, 2, 29)]
    regions = ["330106", "330203", "330102", "330103", "330100"]
    owners = ["ent_hz", "ent_nb", "lab_hz", "nmi"]
    for seq in range(240):
        inst = sv.add_instrument(
            world, owner=rng.choice(owners), region=rng.choice(regions), seq=1000 + seq
        )
        item = rng.choice(sorted(cat.items))
        # within two days of the last valid start for one of the item's periods / lives
        start = add_months(rng.choice(days), -rng.choice(months.get(item, [12])))
        near = start + dt.timedelta(days=rng.randint(-2, 2))
        first, last = rng.choice(
            [
                (None, None),
                (None, near),  # fixed life counted from the last verification
                (near, near),
                (near, near + dt.timedelta(days=rng.choice([1, 40, 400]))),
                (near - dt.timedelta(days=rng.choice([1, 900, 3000])), near),
            ]
        )
        params = {
            "dn_mm": rng.choice([15, 25, 26, 50, 80, None]),
            "g_size": rng.choice([2.5, 16, 25, None]),
            "type": rng.choice(["mercury", "automatic", None]),
        }
        Filing(
            instrument=inst,
            item_code=item,
            use=rng.choice([u.value for u in Use] + ["trade_settlement"] * 3),
            params={k: v for k, v in params.items() if v is not None},
            first_verified=first,
            last_verified=last,
            last_result="" if last is None else rng.choice(["pass", "pass", "fail"]),
        ).save()
    return days


@pytest.mark.parametrize("prefix", [None, "33", "3301", "3302", "330203", "34"])
def test_coverage_equals_a_plain_reference_computation(random_filings, prefix):
    """SQL-side state + numpy grouping = the core's numpy rules on every filing, for every
    path: whole table, prefix filtered in SQL, large area masked after reading, empty area."""
    seen = [0, 0]
    for as_of in random_filings:
        got = coverage(prefix, as_of)
        want = _reference(prefix, as_of)
        seen = [seen[0] + want["on_time"], seen[1] + want["total"] - want["on_time"]]
        assert (got.total, got.on_time) == (want["total"], want["on_time"]), as_of
        assert got.overdue == got.total - got.on_time
        for name in ("region", "item_code", "use", "owner"):
            rows = got.groups[name]
            order = (lambda k: int(k)) if name == "owner" else str  # owner ids: numeric order
            assert [g.key for g in rows] == sorted((g.key for g in rows), key=order)
            assert {g.key: (g.total, g.on_time) for g in rows} == want["groups"].get(name, {})
    # the random fleet is a real test: compulsory filings on time and late (none under 34…)
    assert prefix == "34" or min(seen) > 0


def test_unknown_item_code_is_named(world, sv):
    inst = sv.add_instrument(world)
    Filing.objects.create(instrument=inst, item_code="abacus", use="trade_settlement")
    with pytest.raises(KeyError, match="abacus"):
        coverage(None, AS_OF)
