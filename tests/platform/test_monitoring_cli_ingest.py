"""``jiliang monitoring ingest`` (issue 14, "file drop, Parquet"): a file of readings goes into the
platform through the API's own service, in batches, idempotently, naming bad rows and fields.

The numbers asserted are counts of the file written here (no published reference applies).
"""

from __future__ import annotations

import csv
import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from jiliang.cli.monitoring import app
from jiliang.platform.monitoring.models import IngestBatch, Reading

from .monitoring_helpers import area_rows, make_area, simulated

runner = CliRunner()


@pytest.fixture
def rows(world):
    _, summary, users = make_area(world, 2)
    _, sim_summary, sim_meters = simulated(2, 24)
    return area_rows(summary, users, sim_summary, sim_meters)  # 3 meters × 25 readings


def write_csv(path, rows):
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["meter", "timestamp", "register"])
        w.writeheader()
        w.writerows(rows)


def test_parquet_in_batches_then_rerun_is_identical(tmp_path, world, rows):
    path = tmp_path / "readings.parquet"
    table = pa.table(
        {
            "meter": [r["meter"] for r in rows],
            "timestamp": pa.array(
                [dt.datetime.fromisoformat(r["timestamp"]) for r in rows],
                type=pa.timestamp("s", tz="UTC"),
            ),
            "register": [r["register"] for r in rows],
        }
    )
    pq.write_table(table, path)
    args = ["ingest", str(path), "--user", "enterprise", "--batch-size", "20"]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert len(rows) == 75
    assert "rows 75 · accepted 75 · identical 0 · conflicting 0 · batches 4" in res.stdout
    assert Reading.objects.count() == 75
    assert IngestBatch.objects.filter(kind="readings").count() == 4  # ⌈75 / 20⌉
    again = runner.invoke(app, args)
    assert again.exit_code == 0, again.output
    assert "accepted 0 · identical 75 · conflicting 0 · batches 4 (4 already stored)" in (
        again.stdout
    )
    assert Reading.objects.count() == 75 and IngestBatch.objects.count() == 4


def test_csv_conflicts_and_bad_rows_named(tmp_path, world, rows):
    path = tmp_path / "readings.csv"
    write_csv(path, rows[:10])
    res = runner.invoke(app, ["ingest", str(path), "--user", "enterprise"])
    assert res.exit_code == 0, res.output
    assert "accepted 10 · identical 0 · conflicting 0" in res.stdout
    # a stored instant with another register is a conflict: reported, the stored value kept
    changed = [dict(r) for r in rows[:10]]
    changed[4]["register"] = changed[4]["register"] + 0.5
    write_csv(path, changed)
    res = runner.invoke(app, ["ingest", str(path), "--user", "enterprise"])
    assert res.exit_code == 1
    assert "accepted 0 · identical 9 · conflicting 1" in res.stdout
    assert "conflict: row 5" in res.stderr
    # a malformed cell rejects its batch, naming the file row (1-based) and the field
    bad = [dict(r) for r in rows[10:20]]
    bad[2]["register"] = "abc"
    write_csv(path, bad)
    res = runner.invoke(app, ["ingest", str(path), "--user", "enterprise", "--batch-size", "5"])
    assert res.exit_code == 1
    assert "row 3, field register" in res.stderr
    assert Reading.objects.count() == 10  # nothing of the rejected batch was written
    # bad input
    assert runner.invoke(app, ["ingest", str(path), "--user", "nobody"]).exit_code == 2
    assert runner.invoke(app, ["ingest", str(path), "--user", "regulator"]).exit_code == 2
    (tmp_path / "x.csv").write_text("meter,time\n")
    res = runner.invoke(app, ["ingest", str(tmp_path / "x.csv"), "--user", "enterprise"])
    assert res.exit_code == 2 and "column timestamp, register missing" in res.stderr
