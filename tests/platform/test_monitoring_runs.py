"""Estimation runs: stored numbers equal the core's on the same data; permissions; bad input.

The reference is the core itself (``jiliang.core.monitoring``, validated in
tests/core/test_monitoring*.py against simulated truth): the platform must store exactly what
``hygiene.period_energies`` → ``balance.fit_area`` → ``decision.judge`` give for the same
register series, with the parameters and code version of the run.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

import jiliang
from jiliang.core.monitoring.balance import LossModel, fit_area
from jiliang.core.monitoring.decision import judge
from jiliang.core.monitoring.hygiene import period_energies
from jiliang.platform.audit.models import AuditEntry
from jiliang.platform.monitoring import services
from jiliang.platform.monitoring.models import AreaMeter, EstimationRun, MeterEstimate

from .monitoring_helpers import T0, area_rows, make_area, simulated

N_METERS, N_PERIODS = 8, 60


def ingest(client, world, rows):
    res = client.post(
        "/api/monitoring/readings",
        data=json.dumps(rows),
        content_type="application/json",
        **world.auth("enterprise"),
    )
    assert res.status_code == 200, res.content
    return res.json()


def run_body(sim, hours: int = N_PERIODS, **extra) -> dict:
    g = sim.gain_prior
    return {
        "start": T0.isoformat(),
        "end": (T0 + dt.timedelta(hours=hours)).isoformat(),
        "period_s": 3600,
        "loss_fraction": g.loss_fraction,
        "u_loss_fraction": g.u_loss_fraction,
        "summary_error": g.summary_error,
        "u_summary_error": g.u_summary_error,
        **extra,
    }


def start(client, world, role, body, code="TQ-XH-001"):
    return client.post(
        f"/api/monitoring/areas/{code}/runs",
        data=json.dumps(body),
        content_type="application/json",
        **world.auth(role),
    )


@pytest.fixture
def loaded(client, world):
    """The area with N_METERS simulated meters' hourly readings over N_PERIODS hours."""
    area, summary, users = make_area(world, N_METERS)
    sim, s_series, m_series = simulated(
        N_METERS, N_PERIODS, outlier_fraction=0.25, mean_daily_kwh=240.0
    )
    ingest(client, world, area_rows(summary, users, s_series, m_series))
    return area, summary, users, sim, s_series, m_series


def test_run_stores_the_cores_numbers(client, world, loaded):
    _area, _summary, users, sim, s_series, m_series = loaded
    audits = AuditEntry.objects.count()
    res = start(client, world, "enterprise", run_body(sim))
    assert res.status_code == 201, res.content
    out = res.json()
    assert out["status"] == "done"
    assert out["code_version"] == jiliang.__version__
    assert out["parameters"]["loss_fraction"] == sim.gain_prior.loss_fraction
    # the core on the same series (the simulation's ids mapped onto the platform's meters)
    ids = {sid: inst.lifetime_id for sid, inst in zip(m_series, users, strict=True)}
    clean = period_energies(
        s_series,
        {ids[k]: v for k, v in m_series.items()},
        start=T0.timestamp(),
        period_s=3600.0,
        n_periods=N_PERIODS,
    )
    fit = fit_area(clean.area, gain=sim.gain_prior, loss=LossModel())
    assert out["summary"]["gain"] == pytest.approx(fit.gain, rel=1e-12)
    assert out["summary"]["n_periods"] == fit.n_periods == N_PERIODS
    stored = {e["meter"]: e for e in out["estimates"]}
    assert len(stored) == N_METERS
    verdicts = set()
    for m in fit.meters:
        e = stored[m.meter_id]
        assert e["status"] == m.status.value
        d = judge(m, "1")
        assert e["verdict"] == d.verdict.value
        verdicts.add(e["verdict"])
        if m.error is None:
            assert e["error"] is None
            continue
        assert e["error"] == pytest.approx(m.error, rel=1e-9, abs=1e-15)
        assert e["u"] == pytest.approx(m.u, rel=1e-9)
        assert e["expanded_uncertainty"] == pytest.approx(2 * m.u, rel=1e-9)
        assert e["mpe"] == 0.01
    # the simulation (seed 7) put 2 of 8 meters 3 % off (class 1: MPE 1 %): both are flagged,
    # and some meters are shown conforming, the rest inconclusive
    assert verdicts == {"out_of_tolerance", "conforming", "inconclusive"}
    flagged = {mid for mid, e in stored.items() if e["verdict"] == "out_of_tolerance"}
    truth = {ids[k]: v for k, v in sim.true_errors.items()}
    assert flagged == {mid for mid, t in truth.items() if abs(t) > 0.02}
    # and the estimates recover the truth within 3u for the estimated meters
    for mid, e in stored.items():
        if e["error"] is not None:
            assert abs(e["error"] - truth[mid]) <= 3 * e["u"]
    # audited: the run (created, finished) and every estimate
    run = EstimationRun.objects.get(pk=out["id"])
    assert run.started_by == world.users["enterprise"]
    new = AuditEntry.objects.filter(id__gt=0).order_by("id")[audits:]
    models = [a.model for a in new]
    assert models.count("monitoring.meterestimate") == N_METERS
    assert models.count("monitoring.estimationrun") == 2


def test_underdetermined_area_gives_no_number(client, world):
    """Fewer periods than unknowns: every meter says so, no error is stored (issue 14)."""
    _area, summary, users = make_area(world, 10)
    sim, s_series, m_series = simulated(10, 6)
    ingest(client, world, area_rows(summary, users, s_series, m_series))
    res = start(client, world, "enterprise", run_body(sim, hours=6))
    assert res.status_code == 201
    est = res.json()["estimates"]
    assert len(est) == 10
    assert {e["status"] for e in est} == {"underdetermined"}
    assert {e["verdict"] for e in est} == {"not_identifiable"}
    assert all(e["error"] is None and e["u"] is None for e in est)
    assert "more periods than unknowns" in est[0]["reason"]


def test_membership_change_within_period_is_not_usable(client, world, loaded):
    _area, _summary, users, sim, *_ = loaded
    other, _, _ = make_area(world, 0, code="TQ-XH-002", seq0=200)
    services.assign_meter(other, users[0], T0 + dt.timedelta(hours=10))
    assert AreaMeter.objects.filter(instrument=users[0]).count() == 2
    res = start(client, world, "enterprise", run_body(sim))
    out = res.json()
    assert out["status"] == "not_usable"
    assert users[0].lifetime_id in out["message"]
    assert out["estimates"] == []


def test_bad_parameters_name_the_field(client, world, loaded):
    *_, sim, _, _ = loaded
    res = start(client, world, "enterprise", run_body(sim) | {"end": "2026-01-01T05:30:00+00:00"})
    assert res.status_code == 422
    assert res.json()["detail"][0]["loc"] == ["body", "end"]
    res = start(client, world, "enterprise", run_body(sim) | {"method": "magic"})
    assert res.status_code == 422
    assert res.json()["detail"][0]["loc"] == ["body", "method"]
    assert "unknown estimator 'magic'" in res.json()["detail"][0]["msg"]
    res = start(client, world, "enterprise", run_body(sim) | {"loss_fraction": 0.7})
    assert res.status_code == 422
    res = start(client, world, "enterprise", run_body(sim) | {"gain_method": "guess"})
    assert res.status_code == 422
    assert res.json()["detail"][0]["loc"] == ["body", "gain_method"]


def test_who_starts_and_reads_runs(client, world, loaded):
    *_, sim, _, _ = loaded
    body = run_body(sim)
    assert start(client, world, "inspector", body).status_code == 403
    assert start(client, world, "lab", body).status_code == 404  # not readable: not revealed
    assert start(client, world, "regulator_nb", body).status_code == 404
    assert start(client, world, "anon", body).status_code == 401
    res = start(client, world, "regulator", body)
    assert res.status_code == 201
    run_id = res.json()["id"]
    for role, status in [
        ("regulator", 200),
        ("inspector", 200),
        ("enterprise", 200),
        ("admin", 200),
        ("lab", 404),
        ("regulator_nb", 404),
        ("anon", 404),
    ]:
        got = client.get(f"/api/monitoring/runs/{run_id}", **world.auth(role))
        assert got.status_code == status, role
        listed = client.get("/api/monitoring/runs", **world.auth(role)).json()
        assert listed["count"] == (1 if status == 200 else 0), role
    areas = client.get("/api/monitoring/areas", **world.auth("inspector")).json()
    assert [a["code"] for a in areas["items"]] == ["TQ-XH-001"]
    assert len(areas["items"][0]["meters"]) == N_METERS
    assert MeterEstimate.objects.filter(run_id=run_id).count() == N_METERS


def test_monitoring_rows_match_their_audit_trail(client, world, loaded):
    """Every audited monitoring row equals its last logged state (ledger ``audit_rows``), and
    a reading changed in SQL shows in its batch's digest (readings are audited per batch)."""
    from jiliang.platform.ledger.service import audit_rows
    from jiliang.platform.monitoring import models as mm

    *_, sim, _, _ = loaded
    assert start(client, world, "enterprise", run_body(sim)).status_code == 201
    report = audit_rows([mm.Area, mm.AreaMeter, mm.IngestBatch, mm.EstimationRun, mm.MeterEstimate])
    assert report.ok, report.problems
    assert report.checked == 1 + N_METERS + 1 + 1 + N_METERS
    batch = mm.IngestBatch.objects.get()
    assert services.batch_intact(batch)
    mm.Reading.objects.filter(pk=mm.Reading.objects.order_by("pk").first().pk).update(register=0.5)
    assert not services.batch_intact(batch)
