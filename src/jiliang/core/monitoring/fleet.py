"""Fleet estimation on Dask over Parquet (全量电能表远程评估): one code, laptop or cluster.

Readings live in a Parquet dataset partitioned by area and date (hive layout
``readings/area=<id>/date=<YYYY-MM-DD>/…``) with columns ``meter`` (``(summary)`` for the
summary meter), ``t`` (s since the epoch), ``register`` (kW·h) and ``accuracy_class``.
:func:`estimate_area` is a pure function of one area's partition (read → hygiene → estimate →
verdicts → rows); :func:`run_fleet` maps it over every area with ``dask.distributed`` — a
``LocalCluster`` by default, an existing scheduler's address in production — and streams the
rows into one Parquet file as areas finish, so memory stays bounded by a few areas, not the
fleet. The output is written to a temporary name and moved into place only when complete.

Needs the ``dask`` extra (``pip install 'jiliang[dask]'``: dask[distributed], pyarrow).
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from dask.distributed import Client, LocalCluster, as_completed

from .balance import GainPrior, LossModel, MonitoringError, fit_area
from .decision import judge
from .hygiene import SUMMARY, Series, period_energies

RESULT_SCHEMA = pa.schema(
    [
        ("area", pa.string()),
        ("meter", pa.string()),
        ("status", pa.string()),
        ("verdict", pa.string()),
        ("error", pa.float64()),
        ("u", pa.float64()),
        ("accuracy_class", pa.string()),
        ("method", pa.string()),
        ("n_periods", pa.int32()),
        ("reason", pa.string()),
    ]
)


@dataclass(frozen=True)
class FleetConfig:
    """What every area's estimation uses (times in s since the epoch, periods in s)."""

    start: float
    period_s: float
    n_periods: int
    method: str = "ols"
    robust: bool = False
    gain: GainPrior = field(default_factory=GainPrior)
    loss: LossModel = field(default_factory=LossModel)
    default_class: str = "2"


def write_area(
    root: str | Path,
    area_id: str,
    summary: Series,
    meters: Mapping[str, Series],
    classes: Mapping[str, str] | None = None,
) -> None:
    """Write one area's readings into the partitioned dataset under ``root/readings``."""
    if "/" in area_id or "=" in area_id or not area_id:
        raise MonitoringError("area", f"area id {area_id!r} cannot name a partition")
    classes = classes or {}
    names, ts, regs = [SUMMARY], [summary.t], [summary.register]
    for mid, s in meters.items():
        names.append(mid)
        ts.append(s.t)
        regs.append(s.register)
    lengths = [t.size for t in ts]
    t_all = np.concatenate(ts)
    table = pa.table(
        {
            "meter": np.repeat(np.array(names, dtype=object), lengths),
            "t": t_all.astype(np.int64),
            "register": np.concatenate(regs),
            "accuracy_class": np.repeat(
                np.array([classes.get(n, "") for n in names], dtype=object), lengths
            ),
            "area": np.full(t_all.size, area_id, dtype=object),
            "date": np.array(
                [dt.datetime.fromtimestamp(int(x), dt.UTC).date().isoformat() for x in t_all],
                dtype=object,
            ),
        }
    )
    ds.write_dataset(
        table,
        Path(root) / "readings",
        format="parquet",
        partitioning=ds.partitioning(
            pa.schema([("area", pa.string()), ("date", pa.string())]), flavor="hive"
        ),
        basename_template=f"{area_id}-{{i}}.parquet",
        existing_data_behavior="overwrite_or_ignore",
    )


def area_ids(root: str | Path) -> list[str]:
    """The areas present in the dataset (from the partition directories)."""
    base = Path(root) / "readings"
    if not base.is_dir():
        raise MonitoringError("root", f"no readings dataset at {base}")
    return sorted(p.name.split("=", 1)[1] for p in base.iterdir() if p.name.startswith("area="))


def load_area(root: str | Path, area_id: str) -> tuple[Series, dict[str, Series], dict[str, str]]:
    """One area's readings (only its partition is read)."""
    part = Path(root) / "readings" / f"area={area_id}"
    if not part.is_dir():
        raise MonitoringError("area", f"no readings for area {area_id!r}")
    table = ds.dataset(part, format="parquet", partitioning="hive").to_table(
        columns=["meter", "t", "register", "accuracy_class"]
    )
    meter = table.column("meter").to_numpy(zero_copy_only=False).astype(str)
    t = table.column("t").to_numpy()
    reg = table.column("register").to_numpy()
    cls = table.column("accuracy_class").to_numpy(zero_copy_only=False).astype(str)
    order = np.argsort(meter, kind="stable")
    meter, t, reg, cls = meter[order], t[order], reg[order], cls[order]
    uniq, first = np.unique(meter, return_index=True)
    bounds = [*first[1:], meter.size]
    series, classes = {}, {}
    for name, a, b in zip(uniq, first, bounds, strict=True):
        series[str(name)] = Series.of(t[a:b], reg[a:b])
        if cls[a]:
            classes[str(name)] = str(cls[a])
    summary = series.pop(SUMMARY, None)
    if summary is None:
        raise MonitoringError("area", f"area {area_id!r} has no summary-meter readings")
    return summary, series, classes


def estimate_area(root: str, area_id: str, config: FleetConfig) -> list[dict]:
    """Rows of :data:`RESULT_SCHEMA` for one area; a bad area gives rows saying why, not a crash."""
    try:
        summary, meters, classes = load_area(root, area_id)
    except (MonitoringError, OSError, pa.ArrowException) as exc:
        return [_row(area_id, "", "area_error", "", None, None, "", "", 0, str(exc))]
    clean = period_energies(
        summary, meters, start=config.start, period_s=config.period_s, n_periods=config.n_periods
    )
    if not clean.usable:
        return [
            _row(
                area_id,
                m,
                "area_unusable",
                "not_identifiable",
                None,
                None,
                classes.get(m, config.default_class),
                "",
                0,
                clean.reason,
            )
            for m in meters
        ]
    try:
        fit = fit_area(
            clean.area,
            method=config.method,
            robust=config.robust,
            gain=config.gain,
            loss=config.loss,
        )
    except MonitoringError as exc:
        return [_row(area_id, "", "area_error", "", None, None, "", "", 0, str(exc))]
    rows = []
    for m in fit.meters:
        cls = classes.get(m.meter_id, config.default_class)
        d = judge(m, cls)
        rows.append(
            _row(
                area_id,
                m.meter_id,
                m.status.value,
                d.verdict.value,
                m.error,
                m.u,
                cls,
                fit.method,
                fit.n_periods,
                m.reason,
            )
        )
    for mid, why in clean.excluded.items():
        rows.append(
            _row(
                area_id,
                mid,
                "excluded",
                "not_identifiable",
                None,
                None,
                classes.get(mid, config.default_class),
                fit.method,
                fit.n_periods,
                why,
            )
        )
    return rows


def _row(area, meter, status, verdict, error, u, cls, method, n, reason) -> dict:
    return {
        "area": area,
        "meter": meter,
        "status": status,
        "verdict": verdict,
        "error": error,
        "u": u,
        "accuracy_class": cls,
        "method": method,
        "n_periods": n,
        "reason": reason,
    }


@dataclass(frozen=True)
class FleetSummary:
    areas: int
    meters: int
    verdicts: dict[str, int]
    area_errors: int
    seconds: float
    output: str


def run_fleet(
    root: str | Path,
    output: str | Path,
    config: FleetConfig,
    *,
    scheduler: str | None = None,
    n_workers: int = 2,
    areas: Iterable[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> FleetSummary:
    """Estimate every area on Dask and write the per-meter rows to ``output`` (Parquet).

    ``scheduler=None`` starts a ``LocalCluster`` of ``n_workers`` single-threaded processes;
    otherwise it is the address of a running scheduler (``tcp://host:8786``) whose workers
    can read ``root``.
    """
    ids = list(areas) if areas is not None else area_ids(root)
    out = Path(output)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    t0 = time.perf_counter()
    counts: dict[str, int] = {}
    meters = area_errors = done = 0
    cluster = (
        LocalCluster(
            n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
        if scheduler is None
        else None
    )
    try:
        with Client(cluster if cluster is not None else scheduler) as client:
            roots = [str(root)] * len(ids)
            futures = client.map(estimate_area, roots, ids, config=config, pure=False)
            with pq.ParquetWriter(tmp, RESULT_SCHEMA) as writer:
                for fut in as_completed(futures):
                    rows = fut.result()
                    fut.release()
                    writer.write_table(pa.Table.from_pylist(rows, schema=RESULT_SCHEMA))
                    for r in rows:
                        if r["status"] == "area_error":
                            area_errors += 1
                        else:
                            meters += 1
                            counts[r["verdict"]] = counts.get(r["verdict"], 0) + 1
                    done += 1
                    if progress:
                        progress(done, len(ids))
        os.replace(tmp, out)
    finally:
        if cluster is not None:
            cluster.close()
        if tmp.exists():
            tmp.unlink()
    return FleetSummary(len(ids), meters, counts, area_errors, time.perf_counter() - t0, str(out))
