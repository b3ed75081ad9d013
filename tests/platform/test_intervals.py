"""Interval advice per instrument class and per standard (intervals app), on the ``world``.

Histories are built from hand-made calibration events with known intervals and failures; the
advice must be the core's (:mod:`jiliang.core.intervals`) on exactly that history, and one class
reproduces a published A3 case through the registry (NCSL 2019 interval tutorial, asset 1).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math

import pytest
from openpyxl import load_workbook

from jiliang.core.identifiers import make_lifetime_id
from jiliang.core.intervals import binomial_interval, drift_warning, fit_drift, interval_test
from jiliang.platform.intervals import services
from jiliang.platform.intervals.history import (
    ClassKey,
    filter_events,
    history_for,
    iter_histories,
    scoped_events,
)
from jiliang.platform.registry import models as m

D = dt.date


def instrument(world, owner: str, region: str, serial: int, **extra) -> m.Instrument:
    """A torque wrench TW-1 by ACME (not in the compulsory catalogue) of ``owner``."""
    fields = {
        "lifetime_id": make_lifetime_id(region, "TQW", 2019, serial),
        "category": "torque_wrench",
        "name": f"wrench {serial}",
        "model_name": "TW-1",
        "manufacturer": "ACME",
        "quantity": "mass",
        "unit": r"\kilogram",
        "owner": world.orgs[owner],
        "region": world.regions[region],
        **extra,
    }
    return m.Instrument.objects.create(**fields)


_NUMBER = iter(range(1, 10**6))


def event(world, inst, on: dt.date, conformity: str, lab: str = "lab_hz", **extra):
    """A calibration of ``inst`` performed and issued on ``on`` with ``conformity``."""
    return m.CalibrationEvent.objects.create(
        certificate_no=f"IV-{next(_NUMBER):05d}",
        kind="calibration",
        instrument=inst,
        performed_by=world.orgs[lab],
        performed_on=on,
        issued_on=on,
        unit=r"\kilogram",
        conformity=conformity,
        **extra,
    )


@pytest.fixture
def wrenches(world):
    """Two ent_hz wrenches (A, B), one lab_hz wrench (C, same county 330106), one ent_nb (N).

    A: 2020-01-01 pass → 2020-12-31 pass (365 d) → 2022-01-05 fail (370 d) → 2022-06-01 no
    verdict (skipped); B: 2021-03-01 pass → 2022-03-01 pass (365 d), a withdrawn 2022-09-01;
    C: 2021-01-01 pass → 2021-07-01 fail (181 d) → 2021-07-01 pass (same day: skipped);
    N: 2021-01-01 pass → 2022-01-01 fail (365 d), calibrated by lab_hz.
    """
    a = instrument(world, "ent_hz", "330106", 1)
    b = instrument(world, "ent_hz", "330106", 2)
    c = instrument(world, "lab_hz", "330106", 3)
    n = instrument(world, "ent_nb", "330203", 4)
    for on, conf in [
        (D(2020, 1, 1), "pass"),
        (D(2020, 12, 31), "pass"),
        (D(2022, 1, 5), "fail"),
        (D(2022, 6, 1), "none"),
    ]:
        event(world, a, on, conf)
    event(world, b, D(2021, 3, 1), "pass")
    event(world, b, D(2022, 3, 1), "pass")
    event(world, b, D(2022, 9, 1), "fail", withdrawn=True)
    for on, conf in [(D(2021, 1, 1), "pass"), (D(2021, 7, 1), "fail"), (D(2021, 7, 1), "pass")]:
        event(world, c, on, conf)
    event(world, n, D(2021, 1, 1), "pass")
    event(world, n, D(2022, 1, 1), "fail")
    return {"A": a, "B": b, "C": c, "N": n}


def wrench_histories(user, group_by):
    events = filter_events(scoped_events(user), category="torque_wrench")
    return {h.key: h for h in iter_histories(events, group_by)}


def test_history_by_owner_is_exact(world, wrenches):
    hs = wrench_histories(world.users["admin"], "owner")
    org = world.orgs
    ent = hs[ClassKey("torque_wrench", "TW-1", "ACME", "owner", org["ent_hz"].code)]
    # A then B (instrument order), each by date; withdrawn and no-verdict events left out
    assert ent.pairs() == [(365.0, True), (370.0, False), (365.0, True)]
    assert (ent.instruments, ent.events, ent.skipped, ent.compulsory) == (2, 6, 1, 0)
    assert ent.observed_reliability == pytest.approx(2 / 3)
    assert ent.median_interval == 365.0
    lab = hs[ClassKey("torque_wrench", "TW-1", "ACME", "owner", org["lab_hz"].code)]
    assert lab.pairs() == [(181.0, False)] and lab.skipped == 1
    nb = hs[ClassKey("torque_wrench", "TW-1", "ACME", "owner", org["ent_nb"].code)]
    assert nb.pairs() == [(365.0, False)]
    assert len(hs) == 3


def test_history_by_region_merges_owners_of_a_county(world, wrenches):
    hs = wrench_histories(world.users["admin"], "region")
    xihu = hs[ClassKey("torque_wrench", "TW-1", "ACME", "region", "330106")]
    assert xihu.pairs() == [(365.0, True), (370.0, False), (365.0, True), (181.0, False)]
    assert (xihu.instruments, xihu.events, xihu.skipped) == (3, 9, 2)
    assert hs[ClassKey("torque_wrench", "TW-1", "ACME", "region", "330203")].pairs() == [
        (365.0, False)
    ]


def test_history_reads_without_a_query_per_instrument(world, wrenches, django_assert_num_queries):
    events = scoped_events(world.users["admin"])
    with django_assert_num_queries(1):
        assert (
            sum(h.events for h in iter_histories(events, "owner")) == 13
        )  # 11 wrench events + JD-HZ-1, JD-NB-1


def test_advice_equals_the_core_on_the_history(world, wrenches):
    key = ClassKey("torque_wrench", "TW-1", "ACME", "region", "330106")
    advice = services.advice_for_class(world.users["admin"], key, target=0.9)
    t, ok = [365, 370, 365, 181], [True, False, True, False]
    a3 = interval_test(t, ok, 365.0, 0.9)  # current = median of the recorded intervals
    s2 = binomial_interval(t, ok, 0.9)
    assert advice.current.source == "median" and advice.current.days == 365.0
    assert advice.a3 == a3 and advice.s2 == s2
    assert s2.insufficient == "intervals: 4 calibration events, S2 needs ≥ 10"
    # S2 insufficient: the recommendation is A3's
    assert (advice.recommended_days, advice.confidence, advice.method) == (
        a3.interval_days,
        a3.confidence,
        "A3",
    )
    assert advice.insufficient is None


# NCSL 2019 Symposium interval tutorial, asset 1 (as quoted in sandialabs/suncal
# test/test_interval.py and tests/core/test_intervals.py): 20 annual calibrations, I₀ = 365 d,
# R_t = 0.95 → A3 interval 231 d, rejection confidence C = 0.9949.
NCSL_ASSET_1 = [1, 1, 0, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 0]


@pytest.fixture
def ncsl_asset(world):
    inst = instrument(world, "ent_hz", "330106", 50, model_name="NCSL-1")
    start = D(2000, 1, 1)
    event(world, inst, start, "pass")
    for i, ok in enumerate(NCSL_ASSET_1, start=1):
        event(world, inst, start + dt.timedelta(days=365 * i), "pass" if ok else "fail")
    return ClassKey("torque_wrench", "NCSL-1", "ACME", "owner", world.orgs["ent_hz"].code)


def test_ncsl_2019_asset_through_the_registry(world, ncsl_asset, client):
    advice = services.advice_for_class(world.users["admin"], ncsl_asset)
    assert advice.n == 20 and advice.n_in_tolerance == 15
    assert advice.current.days == 365.0
    assert round(advice.a3.interval_days) == 231
    assert advice.a3.confidence == pytest.approx(0.9949, abs=5e-5)
    # S2: one resubmission time, so only the exponential fits (two-parameter models need two
    # times); its MLE is R(365) = 15/20, so τ = 365·ln 0.95 / ln 0.75 = 65.08 d
    assert advice.method == "S2/exponential"
    assert advice.recommended_days == pytest.approx(365 * math.log(0.95) / math.log(0.75), 1e-4)
    assert advice.s2 == binomial_interval([365] * 20, [bool(x) for x in NCSL_ASSET_1], 0.95)
    assert advice.observed_reliability == 0.75
    # the API gives the same numbers, with the events behind them
    r = client.get(f"/api/intervals/classes/{ncsl_asset.token}", **world.auth("enterprise"))
    assert r.status_code == 200
    body = r.json()
    assert body["recommended_interval_days"] == pytest.approx(advice.recommended_days)
    assert body["a3_interval_days"] == pytest.approx(advice.a3.interval_days)
    assert body["current_source"] == "median" and body["events_count"] == 21
    assert [e["interval_days"] for e in body["history"]] == [None] + [365] * 20
    assert [e["in_tolerance"] for e in body["history"][1:]] == [bool(x) for x in NCSL_ASSET_1]
    r = client.get(
        f"/api/intervals/classes/{ncsl_asset.token}?limit=2&offset=20", **world.auth("enterprise")
    )
    assert [e["in_tolerance"] for e in r.json()["history"]] == [False]


def test_compulsory_class_uses_the_catalogue_period(world):
    """Electronic price scales in trade use: periodic verification every 12 months (catalogue
    SAMR 2020 No. 42 entry, JJG 539-2016), 12 × 365.2425/12 = 365.2425 d as I₀."""
    inst = m.Instrument.objects.create(
        lifetime_id=make_lifetime_id("330106", "EPS", 2020, 77),
        category="electronic_price_scale",
        name="scale",
        model_name="PS-1",
        quantity="mass",
        unit=r"\kilogram",
        owner=world.orgs["ent_hz"],
        region=world.regions["330106"],
        use="trade_settlement",
    )
    assert inst.compulsory
    for on, conf in [(D(2022, 1, 1), "pass"), (D(2023, 1, 1), "pass"), (D(2024, 1, 1), "fail")]:
        event(world, inst, on, conf)
    key = ClassKey("electronic_price_scale", "PS-1", "", "owner", world.orgs["ent_hz"].code)
    advice = services.advice_for_class(world.users["admin"], key)
    assert advice.current == services.CurrentInterval(365.2425, "catalogue", 12, "JJG 539-2016")
    assert advice.a3 == interval_test([365, 365], [True, False], 365.2425, 0.95)


def test_insufficient_data_reported_with_the_reasons(world):
    # the world's Hangzhou scale: one verification, so no interval at all
    key = ClassKey("electronic_price_scale", "", "", "owner", world.orgs["ent_hz"].code)
    advice = services.advice_for_class(world.users["admin"], key)
    assert advice.recommended_days is None and advice.method is None
    assert advice.insufficient == (
        "S2: intervals: 0 calibration events, S2 needs ≥ 10; "
        "A3: n: no calibrations at the current interval to test"
    )
    # not compulsory and no interval: no current interval either
    inst = instrument(world, "ent_hz", "330106", 60, model_name="ONE")
    event(world, inst, D(2024, 1, 1), "pass")
    key = ClassKey("torque_wrench", "ONE", "ACME", "owner", world.orgs["ent_hz"].code)
    advice = services.advice_for_class(world.users["admin"], key)
    assert advice.current == services.CurrentInterval(None, None)
    assert advice.insufficient == (
        "S2: intervals: 0 calibration events, S2 needs ≥ 10; "
        "A3: current_interval: no recorded interval and no catalogue period"
    )


def test_api_list_shape_filters_and_bad_input(world, wrenches, client):
    r = client.get(
        "/api/intervals/classes?category=torque_wrench&group_by=region", **world.auth("admin")
    )
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"count", "limit", "offset", "items"}
    assert body["count"] == 2 and body["limit"] == 50 and body["offset"] == 0
    assert [i["group"] for i in body["items"]] == ["330106", "330203"]
    assert body["items"][0]["n"] == 4
    r = client.get(
        "/api/intervals/classes?category=torque_wrench&region=3302", **world.auth("admin")
    )
    assert [i["group"] for i in r.json()["items"]] == [world.orgs["ent_nb"].code]
    r = client.get("/api/intervals/classes?limit=1&offset=1", **world.auth("admin"))
    assert r.json()["count"] == 5 and len(r.json()["items"]) == 1
    # below target 0.5: ent_hz's wrenches (2/3 in tolerance) drop out, lab_hz's and ent_nb's stay
    r = client.get(
        "/api/intervals/classes?category=torque_wrench&below_target=true&target=0.5",
        **world.auth("admin"),
    )
    codes = [i["group"] for i in r.json()["items"]]
    assert sorted(codes) == sorted([world.orgs["lab_hz"].code, world.orgs["ent_nb"].code])
    for query, field in [
        ("region=33x", "region"),
        ("group_by=maker", "group_by"),
        ("target=1.5", "target"),
    ]:
        r = client.get(f"/api/intervals/classes?{query}", **world.auth("admin"))
        assert r.status_code == 422 and field in str(r.json()["detail"]), query
    r = client.get("/api/intervals/classes/not-a-key!", **world.auth("admin"))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "key"]


def _groups(client, world, role: str) -> set[str]:
    r = client.get("/api/intervals/classes?category=torque_wrench", **world.auth(role))
    assert r.status_code == 200
    return {i["group"] for i in r.json()["items"]}


def test_permissions_scope_the_classes(world, wrenches, client):
    org = {k: v.code for k, v in world.orgs.items()}
    assert _groups(client, world, "admin") == {org["ent_hz"], org["lab_hz"], org["ent_nb"]}
    assert _groups(client, world, "regulator") == {org["ent_hz"], org["lab_hz"], org["ent_nb"]}
    assert _groups(client, world, "regulator_nb") == {org["ent_nb"]}
    assert _groups(client, world, "inspector") == {org["ent_hz"], org["lab_hz"]}
    # the enterprise: its own instruments only; the lab: its own, not ent_nb's it calibrated
    assert _groups(client, world, "enterprise") == {org["ent_hz"]}
    assert _groups(client, world, "lab") == {org["lab_hz"]}
    assert _groups(client, world, "anon") == set()
    # out of scope is a 404, existence not revealed
    nb = ClassKey("torque_wrench", "TW-1", "ACME", "owner", org["ent_nb"]).token
    assert client.get(f"/api/intervals/classes/{nb}", **world.auth("enterprise")).status_code == 404
    assert (
        client.get(f"/api/intervals/classes/{nb}", **world.auth("regulator_nb")).status_code == 200
    )
    # by region the enterprise's class holds only its own instruments' history
    r = client.get(
        "/api/intervals/classes?category=torque_wrench&group_by=region",
        **world.auth("enterprise"),
    )
    (item,) = r.json()["items"]
    assert (item["group"], item["n"], item["instruments"]) == ("330106", 3, 2)


def test_page_lists_classes_below_target_and_exports(world, wrenches, client):
    client.force_login(world.users["regulator"])
    r = client.get("/intervals/?category=torque_wrench")
    assert r.status_code == 200
    page = r.content.decode()
    # below 0.95: all three wrench classes (2/3, 0, 0 in tolerance)
    assert r.context["listing"].count == 3
    ent = ClassKey("torque_wrench", "TW-1", "ACME", "owner", world.orgs["ent_hz"].code)
    assert f"/intervals/class/{ent.token}/" in page and "ent_hz" in page
    r = client.get("/intervals/?category=torque_wrench&target=0.5")
    assert r.context["listing"].count == 2
    r = client.get("/intervals/?category=torque_wrench&format=csv")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(r.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:8] == [
        "类别",
        "型号",
        "制造商",
        "分组",
        "器具数",
        "间隔数",
        "到期合格数",
        "观测可靠度",
    ]
    by_group = {r[3]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    first = by_group["ent_hz"]
    advice = services.advice_for_class(world.users["admin"], ent)
    assert (first["分组"], first["间隔数"], first["到期合格数"]) == ("ent_hz", "3", "2")
    assert first["观测可靠度"] == "0.667" and first["现行间隔（天）"] == "365.0"
    assert first["现行间隔依据"] == "记录间隔中位数"
    assert first["建议间隔（天）"] == str(round(advice.recommended_days, 1))
    assert first["方法"] == "A3"
    assert len(rows) == 4
    r = client.get("/intervals/?category=torque_wrench&format=xlsx")
    sheet = load_workbook(io.BytesIO(r.content)).active
    values = list(sheet.values)
    assert len(values) == 4
    assert {v[3]: v[5] for v in values[1:]} == {"lab_hz": 1, "ent_hz": 3, "ent_nb": 1}
    # the class page with the data behind it, and its events export
    r = client.get(f"/intervals/class/{ent.token}/?list=events&format=csv")
    rows = list(csv.reader(io.StringIO(b"".join(r.streaming_content).decode("utf-8-sig"))))
    assert [row[5] for row in rows[1:]] == ["", "365", "370", "147", "", "365"]
    assert [row[6] for row in rows[1:]] == ["—", "合格", "不合格", "—", "—", "合格"]
    r = client.get(f"/intervals/class/{ent.token}/")
    assert r.status_code == 200 and "IV-" in r.content.decode()


def test_page_is_for_regulators_and_in_english(world, wrenches, client):
    client.force_login(world.users["enterprise"])
    assert client.get("/intervals/").status_code == 403
    client.force_login(world.users["regulator"])
    r = client.get("/intervals/?category=torque_wrench", HTTP_ACCEPT_LANGUAGE="en")
    page = r.content.decode()
    assert "Calibration interval advice" in page and "Observed reliability" in page
    r = client.get("/intervals/?target=2")
    assert r.status_code == 200 and "target" in r.context["error"]


def test_standard_drift(world, client):
    """STD-HZ recertified yearly: 10.000, 10.001, 10.002 kg at days 0, 365, 730, U = 0.0002 kg
    (k = 2). On the line exactly: slope 0.001/365 kg/d, Birge ratio 0, u(β₁) = u/(365·√2); with
    the standard's U = 0.001 kg as allowance the interval is 0.001/(|β₁| + 2u(β₁))
    = 365/(1 + 0.2/√2) = 319.777 d."""
    std = world.standards["lab_hz"]
    days = [D(2022, 1, 1), D(2023, 1, 1), D(2024, 1, 1)]
    values = [10.000, 10.001, 10.002]
    for i, (on, v) in enumerate(zip(days, values, strict=True)):
        m.CalibrationEvent.objects.create(
            certificate_no=f"STD-HZ-{i}",
            kind="calibration",
            standard=std,
            performed_by=world.orgs["nmi"],
            performed_on=on,
            issued_on=on,
            unit=r"\kilogram",
            result_value=v,
            result_uncertainty=0.0002,
        )
    drift = services.advice_for_standard(std, on=D(2025, 1, 1))
    core = drift_warning(days, values, [0.0002] * 3, allowance=0.001, coverage=[2.0] * 3)
    assert drift.warning == core
    assert drift.warning.interval_days == pytest.approx(365 / (1 + 0.2 / math.sqrt(2)), 1e-9)
    fit = fit_drift(days, values, [0.0002] * 3)
    assert drift.predicted_value == pytest.approx(fit.predict(D(2025, 1, 1))[0])
    assert drift.predicted_value == pytest.approx(10.002 + 0.001 * 366 / 365, abs=1e-9)  # 2024 leap
    r = client.get(f"/api/intervals/standards/{std.pk}/drift?on=2025-01-01", **world.auth("lab"))
    body = r.json()
    assert r.status_code == 200 and body["unit"] == r"\kilogram" and len(body["certificates"]) == 3
    assert body["slope_per_day"] == pytest.approx(0.001 / 365, 1e-9)
    assert body["warning_date"] == core.warning_date.isoformat()
    assert body["recommended_interval_days"] == pytest.approx(319.777, abs=5e-4)
    # the enterprise reads the standard but none of its certificates: insufficient
    r = client.get(f"/api/intervals/standards/{std.pk}/drift", **world.auth("enterprise"))
    assert r.json()["insufficient"] == ("dates: 0 certificates, a drift fit needs ≥ 3 at ≥ 2 dates")
    assert r.json()["warning_date"] is None
    for query in ["allowance=-1", "k=0", "on=1800-01-01"]:
        r = client.get(f"/api/intervals/standards/{std.pk}/drift?{query}", **world.auth("lab"))
        assert r.status_code == 422, query
    r = client.get("/api/intervals/standards/999999/drift", **world.auth("lab"))
    assert r.status_code == 404


def test_history_for_unknown_class_is_none(world):
    key = ClassKey("nothing", "", "", "owner", "x")
    assert history_for(scoped_events(world.users["admin"]), key) is None
    assert ClassKey.from_token(key.token) == key
    with pytest.raises(ValueError, match="group_by"):
        ClassKey.from_token(ClassKey("a", "", "", "maker", "x").token)


def test_batch_advice_equals_the_per_class_advice(world, wrenches, ncsl_asset):
    """The list, pages and exports run the core's vectorised batch (advise_many); it must give
    the per-class advice (core batch docs: intervals to 1e-6 relative)."""
    histories = list(iter_histories(scoped_events(world.users["admin"]), "owner"))
    assert len(histories) == 6
    for one, many in zip(
        [services.advise(h) for h in histories], services.advise_many(histories), strict=True
    ):
        assert (one.key, one.method, one.insufficient, one.current) == (
            many.key,
            many.method,
            many.insufficient,
            many.current,
        )
        if one.recommended_days is None:
            assert many.recommended_days is None
        else:
            assert many.recommended_days == pytest.approx(one.recommended_days, rel=1e-6)
            assert many.confidence == pytest.approx(one.confidence, rel=1e-6)
    assert [a.key for a in services.advise_all(iter(histories), batch=4)] == [
        h.key for h in histories
    ]
