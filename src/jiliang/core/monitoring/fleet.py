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
import math
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from dask.distributed import Client, LocalCluster, as_completed

from .balance import GainPrior, LossModel, MonitoringError, fit_area
from .decision import verdict
from .hygiene import SUMMARY, Series, period_energies

READ_COLUMNS = ("meter", "t", "register", "accuracy_class")

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
            "date": _utc_dates(t_all),
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
        # one row group per file: the writer otherwise cuts a day's file into ~14 small row
        # groups (one per input batch), which made reading an area ~30 % slower
        min_rows_per_group=1 << 20,
        max_rows_per_group=1 << 20,
    )


def _utc_dates(t: np.ndarray) -> np.ndarray:
    """ISO dates (UTC) of instants in s since the epoch — the same strings as
    ``datetime.fromtimestamp(int(t), UTC).date().isoformat()``, one conversion per day."""
    days = np.floor_divide(np.asarray(t).astype(np.int64), 86400)
    uniq, inv = np.unique(days, return_inverse=True)
    names = np.array(
        [(dt.date(1970, 1, 1) + dt.timedelta(days=int(d))).isoformat() for d in uniq], dtype=object
    )
    return names[inv.reshape(-1)]


def area_ids(root: str | Path) -> list[str]:
    """The areas present in the dataset (from the partition directories)."""
    base = Path(root) / "readings"
    if not base.is_dir():
        raise MonitoringError("root", f"no readings dataset at {base}")
    return sorted(p.name.split("=", 1)[1] for p in base.iterdir() if p.name.startswith("area="))


def _read_partition(part: Path) -> pa.Table:
    """The four used columns of every file of one area's partition, in the dataset's order.

    The dataset scanner's per-batch overhead (and its thread pool, inside a worker that has
    one core) made this read ~10× slower than reading each file whole on this thread; the
    files are still the ones dataset discovery finds. The partition keys (area, date) are in
    the path and not needed.
    """
    dataset = ds.dataset(part, format="parquet")
    cols = list(READ_COLUMNS)
    try:
        tables = [
            pq.ParquetFile(f, filesystem=dataset.filesystem).read(columns=cols, use_threads=False)
            for f in dataset.files
        ]
        return pa.concat_tables(tables) if tables else dataset.to_table(columns=cols)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # files whose schemas differ: unify them
        return dataset.to_table(columns=cols)


def load_area(root: str | Path, area_id: str) -> tuple[Series, dict[str, Series], dict[str, str]]:
    """One area's readings (only its partition, and only the four columns used, are read).

    Meter names are dictionary-encoded once and the rows sorted by an integer code (the
    names' sorted rank), not by comparing 10⁵ Python strings; the order and content of the
    answer are those of a stable sort by meter name.
    """
    part = Path(root) / "readings" / f"area={area_id}"
    if not part.is_dir():
        raise MonitoringError("area", f"no readings for area {area_id!r}")
    table = _read_partition(part)
    enc = pc.dictionary_encode(table.column("meter")).combine_chunks()
    names = np.asarray(enc.dictionary.to_numpy(zero_copy_only=False)).astype(str)
    codes = enc.indices.to_numpy(zero_copy_only=False)
    rank = np.empty(names.size, dtype=np.int64)
    rank[np.argsort(names, kind="stable")] = np.arange(names.size)
    key = rank[codes]
    order = np.argsort(key, kind="stable")
    key = key[order]
    t = table.column("t").to_numpy()[order]
    reg = table.column("register").to_numpy()[order]
    uniq = np.sort(names)
    first = np.searchsorted(key, np.arange(uniq.size))
    bounds = [*first[1:], key.size]
    cls_first = table.column("accuracy_class").take(pa.array(order[first]))
    cls = np.asarray(cls_first.to_numpy(zero_copy_only=False)).astype(str)
    series, classes = {}, {}
    for j, (name, a, b) in enumerate(zip(uniq, first, bounds, strict=True)):
        series[str(name)] = Series.of(t[a:b], reg[a:b])
        if cls[j]:
            classes[str(name)] = str(cls[j])
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
        rows.append(
            _row(
                area_id,
                m.meter_id,
                m.status.value,
                verdict(m, cls).value,
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


def estimate_areas(root: str, area_ids: Sequence[str], config: FleetConfig) -> pa.Table:
    """:func:`estimate_area` over a batch of areas, as one Arrow table of :data:`RESULT_SCHEMA`.

    One Dask task per batch, not per area: the scheduler, serialisation and result-gathering
    cost per task is then shared by many areas, and the rows travel as a few Arrow buffers
    instead of 10⁴ pickled dicts.
    """
    rows: list[dict] = []
    for area_id in area_ids:
        rows.extend(estimate_area(root, area_id, config))
    return pa.Table.from_pylist(rows, schema=RESULT_SCHEMA)


def _warm() -> float:
    """Import the estimation stack and read the class table once in a worker (startup);
    returns the worker's CPU time so far (s)."""
    from .decision import classes

    classes()
    return time.process_time()


def _worker_usage() -> tuple[float, float]:
    """(peak RSS in MiB, CPU time in s) of this worker process."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, time.process_time()


def batches(ids: Sequence[str], n_workers: int, batch_size: int | None = None) -> list[list[str]]:
    """Areas grouped into tasks: ≈ 8 tasks a worker (load balance), at most 64 areas a task."""
    if batch_size is None:
        batch_size = max(1, min(64, math.ceil(len(ids) / (8 * max(1, n_workers)))))
    if batch_size < 1:
        raise MonitoringError("batch_size", "must be ≥ 1 area per task")
    return [list(ids[i : i + batch_size]) for i in range(0, len(ids), batch_size)]


@dataclass(frozen=True)
class FleetSummary:
    """``seconds`` is the whole run, cluster start included; ``startup_seconds`` that start
    (cluster, worker imports); ``worker_peak_rss_mib`` the largest worker's peak RSS;
    ``worker_cpu_seconds`` the workers' CPU time after the start (a machine shared with other
    work slows the wall time, not this)."""

    areas: int
    meters: int
    verdicts: dict[str, int]
    area_errors: int
    seconds: float
    output: str
    startup_seconds: float = 0.0
    worker_peak_rss_mib: float | None = None
    worker_cpu_seconds: float | None = None  # CPU time the workers spent on the areas


def run_fleet(
    root: str | Path,
    output: str | Path,
    config: FleetConfig,
    *,
    scheduler: str | None = None,
    n_workers: int = 2,
    areas: Iterable[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
    batch_size: int | None = None,
) -> FleetSummary:
    """Estimate every area on Dask and write the per-meter rows to ``output`` (Parquet).

    ``scheduler=None`` starts a ``LocalCluster`` of ``n_workers`` single-threaded processes
    (the estimation holds the GIL: threads would not run in parallel); otherwise it is the
    address of a running scheduler (``tcp://host:8786``) whose workers can read ``root``.
    Areas go to the workers in batches (:func:`batches`; ``batch_size`` areas a task);
    ``progress(done, total)`` is called in areas as batches finish.
    """
    ids = list(areas) if areas is not None else area_ids(root)
    out = Path(output)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    t0 = time.perf_counter()
    counts: dict[str, int] = {}
    meters = area_errors = done = 0
    peak = cpu = None
    cluster = (
        LocalCluster(
            n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
        if scheduler is None
        else None
    )
    try:
        with Client(cluster if cluster is not None else scheduler) as client:
            cpu0 = client.run(_warm)
            startup = time.perf_counter() - t0
            slots = sum(client.nthreads().values()) or n_workers
            groups = batches(ids, slots, batch_size)
            futures = client.map(
                estimate_areas, [str(root)] * len(groups), groups, config=config, pure=False
            )
            sizes = {f.key: len(g) for f, g in zip(futures, groups, strict=True)}
            with pq.ParquetWriter(tmp, RESULT_SCHEMA) as writer:
                for fut in as_completed(futures):
                    table = fut.result()
                    n_done = sizes.pop(fut.key)
                    fut.release()
                    writer.write_table(table)
                    status = np.asarray(table.column("status").to_numpy(zero_copy_only=False))
                    verdict = np.asarray(table.column("verdict").to_numpy(zero_copy_only=False))
                    is_err = status == "area_error"
                    area_errors += int(is_err.sum())
                    meters += int((~is_err).sum())
                    for v, c in zip(*np.unique(verdict[~is_err], return_counts=True), strict=True):
                        counts[str(v)] = counts.get(str(v), 0) + int(c)
                    done += n_done
                    if progress:
                        progress(done, len(ids))
            usage = client.run(_worker_usage)
            peak = max((u[0] for u in usage.values()), default=None)
            cpu = sum(u[1] - cpu0.get(w, 0.0) for w, u in usage.items())
        os.replace(tmp, out)
    finally:
        if cluster is not None:
            cluster.close()
        if tmp.exists():
            tmp.unlink()
    return FleetSummary(
        len(ids),
        meters,
        counts,
        area_errors,
        time.perf_counter() - t0,
        str(out),
        startup,
        peak,
        cpu,
    )
