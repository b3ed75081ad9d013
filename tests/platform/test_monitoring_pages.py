"""Monitoring pages: the fleet list of runs (regulator) and the area view, both languages."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.test import Client

from jiliang.platform.monitoring import services

from .monitoring_helpers import T0, area_rows, make_area, simulated

N_METERS, N_PERIODS = 8, 60


@pytest.fixture
def run(world):
    """A finished run of the simulated area (seed 7: two meters 3 % off, class 1)."""
    area, summary, users = make_area(world, N_METERS)
    sim, s_series, m_series = simulated(
        N_METERS, N_PERIODS, outlier_fraction=0.25, mean_daily_kwh=240.0
    )
    services.ingest_readings(
        world.users["enterprise"], area_rows(summary, users, s_series, m_series)
    )
    g = sim.gain_prior
    params = services.RunParameters(
        loss_fraction=g.loss_fraction,
        u_loss_fraction=g.u_loss_fraction,
        summary_error=g.summary_error,
        u_summary_error=g.u_summary_error,
    )
    end = T0 + dt.timedelta(hours=N_PERIODS)
    return services.run_estimation(area, T0, end, world.users["regulator"], params)


def login(world, role: str, lang: str = "zh-hans") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=lang)
    if role != "anon":
        client.force_login(world.users[role])
    return client


def test_area_view_table_and_chart(world, run):
    page = login(world, "enterprise").get("/monitoring/areas/TQ-XH-001/")
    assert page.status_code == 200
    html = page.content.decode()
    rows = re.findall(r'<tr class="verdict-([a-z_]+)">', html)
    assert len(rows) == N_METERS
    assert sorted(rows) == sorted(e.verdict for e in run.estimates.all())
    assert "失准" in html
    # the chart data: ê and ê ± U in %, the class-1 MPE band ±1 %
    data = json.loads(
        re.search(
            r'id="monitoring-chart" type="application/json">(.*?)</script>', html, re.S
        ).group(1)
    )
    est = {e.instrument.lifetime_id: e for e in run.estimates.select_related("instrument")}
    assert data["mpe"] == pytest.approx(1.0)
    for mid, err, lo, hi in zip(
        data["meters"], data["error"], data["low"], data["high"], strict=True
    ):
        e = est[mid]
        assert err == pytest.approx(100 * e.error)
        assert hi - lo == pytest.approx(200 * e.expanded_uncertainty)
    # the vendored ECharts with the page's CSP nonce
    assert "vendor/echarts/echarts.min.js" in html
    nonce = re.search(r'<script nonce="([^"]+)">', html).group(1)
    assert nonce in page["Content-Security-Policy"]


def test_area_view_in_english(world, run):
    html = login(world, "regulator", "en").get("/monitoring/areas/TQ-XH-001/").content.decode()
    assert "Out of tolerance" in html
    assert "Transformer area" in html


def test_fleet_list_for_the_regulator(world, run):
    html = login(world, "regulator").get("/monitoring/").content.decode()
    assert f"/monitoring/areas/TQ-XH-001/?run={run.pk}" in html
    assert login(world, "regulator_nb").get("/monitoring/").context["runs"].__len__() == 0
    assert login(world, "anon").get("/monitoring/").status_code == 302
    assert login(world, "lab").get("/monitoring/areas/TQ-XH-001/").status_code == 404
    csv = login(world, "regulator").get("/monitoring/?format=csv")
    text = b"".join(csv.streaming_content).decode("utf-8-sig")
    assert "TQ-XH-001" in text.splitlines()[1]
    assert text.splitlines()[1].split(",")[5] == str(run.summary["verdicts"]["out_of_tolerance"])


def test_fleet_dashboard_counts_the_latest_runs_verdicts(world, run):
    from jiliang.platform.monitoring import workorders
    from jiliang.platform.monitoring.models import Alarm

    # an out-of-tolerance meter gets its replacement order; a tamper alarm stays open
    bad = run.estimates.filter(verdict="out_of_tolerance").select_related("instrument").first()
    assert bad is not None  # seed 7: two meters 3 % off
    workorders.open_order(world.users["regulator"], estimate=bad)
    Alarm.objects.create(
        key=f"{bad.instrument.lifetime_id}|cover_open|e1",
        instrument=bad.instrument,
        kind="cover_open",
        severity="high",
        action="on_site_check",
        reason_zh="表盖打开",
        reason_en="cover opened",
        first=T0,
        last=T0,
        evidence=["e1"],
        tamper=True,
    )
    page = login(world, "regulator").get("/monitoring/fleet/")
    assert page.status_code == 200
    html = page.content.decode()
    verdicts = {}
    for e in run.estimates.all():
        verdicts[e.verdict] = verdicts.get(e.verdict, 0) + 1
    region = run.area.region.code
    row = re.search(rf'<tr data-region="{region}">(.*?)</tr>', html, re.S).group(1)
    cells = [int(c) for c in re.findall(r"<td>(\d+)</td>", row)]
    other = N_METERS - sum(
        verdicts.get(k, 0) for k in ("out_of_tolerance", "inconclusive", "conforming")
    )
    assert cells == [
        verdicts.get("out_of_tolerance", 0),
        verdicts.get("inconclusive", 0),
        verdicts.get("conforming", 0),
        other,
    ]
    backlog = re.search(r'<tr data-kind="replacement">(.*?)</tr>', html, re.S).group(1)
    assert [int(c) for c in re.findall(r"<td>(\d+)</td>", backlog)] == [1, 0, 0]
    alarm = re.search(r'<tr data-alarm="cover_open">(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r"<td>(\d+)</td>", alarm) == ["1", "1"]
    assert html.count("data-region=") == 1  # the one area's latest run, counted once
    # outside the region nothing is counted; anonymous users are sent to log in
    nb = login(world, "regulator_nb").get("/monitoring/fleet/").content.decode()
    assert "data-region=" not in nb and 'data-alarm="cover_open"' not in nb
    assert login(world, "anon").get("/monitoring/fleet/").status_code == 302
    english = login(world, "regulator", "en").get("/monitoring/fleet/").content.decode()
    assert "Fleet overview" in english and "Out of tolerance" in english
