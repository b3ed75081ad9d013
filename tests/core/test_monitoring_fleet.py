"""Fleet estimation on Dask over a Parquet dataset partitioned by area and date."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("dask.distributed")
pytest.importorskip("pyarrow")

import pyarrow.parquet as pq

from jiliang.core.monitoring import fleet
from jiliang.core.monitoring.hygiene import Series
from jiliang.core.monitoring.simulate import Scenario, registers, simulate_area

DAY = 86400
START = 1_735_689_600  # 2025-01-01T00:00:00Z


def _write(root, n_areas=4, seed=0):
    truth = {}
    for a in range(n_areas):
        sim = simulate_area(
            np.random.default_rng(seed + a), Scenario(n_meters=15, n_periods=120), prefix=f"A{a}"
        )
        summary, meters = registers(sim, start=START)
        fleet.write_area(root, f"A{a}", summary, meters, {m: "2" for m in meters})
        truth.update(sim.true_errors)
    return truth, sim.gain_prior


def test_partitions_are_by_area_and_date(tmp_path):
    _write(tmp_path, n_areas=2)
    assert fleet.area_ids(tmp_path) == ["A0", "A1"]
    dates = sorted(p.name for p in (tmp_path / "readings" / "area=A0").iterdir())
    assert dates[0] == "date=2025-01-01" and len(dates) == 121
    summary, meters, classes = fleet.load_area(tmp_path, "A1")
    assert len(meters) == 15 and set(classes.values()) == {"2"}
    assert summary.t.size == 121


def test_estimate_area_is_a_pure_function_of_its_partition(tmp_path):
    truth, prior = _write(tmp_path, n_areas=1)
    cfg = fleet.FleetConfig(start=START, period_s=DAY, n_periods=120, gain=prior)
    rows = fleet.estimate_area(str(tmp_path), "A0", cfg)
    assert rows == fleet.estimate_area(str(tmp_path), "A0", cfg)
    est = [r for r in rows if r["status"] == "estimated"]
    assert len(est) >= 14
    for r in est:
        assert abs(r["error"] - truth[r["meter"]]) <= 4 * r["u"]


def test_run_fleet_on_a_local_dask_cluster(tmp_path):
    _, prior = _write(tmp_path, n_areas=4)
    cfg = fleet.FleetConfig(start=START, period_s=DAY, n_periods=120, gain=prior)
    seen = []
    out = tmp_path / "results.parquet"
    summary = fleet.run_fleet(
        tmp_path, out, cfg, n_workers=2, progress=lambda d, n: seen.append((d, n))
    )
    assert summary.areas == 4 and summary.meters == 60 and summary.area_errors == 0
    assert seen[-1] == (4, 4)
    table = pq.read_table(out).to_pylist()
    assert len(table) == 60 and {r["area"] for r in table} == {"A0", "A1", "A2", "A3"}
    assert sum(summary.verdicts.values()) == 60
    assert not list(tmp_path.glob(".results.parquet.*"))  # no temporary left behind


def test_a_broken_area_reports_rows_with_the_reason(tmp_path):
    fleet.write_area(tmp_path, "B", Series.of([START], [1.0]), {"m": Series.of([START], [1.0])})
    cfg = fleet.FleetConfig(start=START, period_s=DAY, n_periods=10)
    rows = fleet.estimate_area(str(tmp_path), "B", cfg)
    assert rows and all(r["status"] == "area_unusable" for r in rows)
    assert rows[0]["reason"]
    missing = fleet.estimate_area(str(tmp_path), "nope", cfg)
    assert missing[0]["status"] == "area_error" and "no readings" in missing[0]["reason"]
