"""Interval advice from the registry for every class of a region (intervals app, issue 15).

    python benchmarks/bench_intervals_platform.py --instruments 200000
    python benchmarks/bench_intervals_platform.py --instruments 1000000            # 10⁶
    JILIANG_DATABASE_URL=postgres://postgres@127.0.0.1:54332/db \
        python benchmarks/bench_intervals_platform.py --instruments 1000000        # PostgreSQL

Builds, in a temporary data directory (SQLite unless ``JILIANG_DATABASE_URL`` names a
PostgreSQL database, which must be empty), ``--instruments`` instruments in ``--classes``
classes (category × model × manufacturer, one owner each), each with 2–5 calibrations at
the class's nominal interval, found in tolerance by the class's Weibull reliability (``--flat``:
300–430 d apart, 8 % out of tolerance whatever the interval; see :func:`_build`), by raw
``executemany`` (the ORM's bulk_create is too slow at this size).
Then times the batch path phase by phase:

1. query: :func:`jiliang.platform.intervals.history.read_columns`, one streamed
   ``values_list`` query into numpy columns;
2. grouping: :func:`~jiliang.platform.intervals.history.group_columns` (numpy);
3. core: :func:`jiliang.platform.intervals.services.advise_many` (A3 + S2 by
   :mod:`jiliang.core.intervals.batch`) for every class in one process, and
   :func:`~jiliang.platform.intervals.services.advise_parallel` over ``--workers`` forked
   processes, checking that both give the same advice;

and, with ``--streamed``, the previous row-by-row streamed histories for comparison. Prints the
load average too (the machine may be shared).
"""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
import sys
import tempfile
import time
import tracemalloc


def _setup() -> None:
    data_dir = tempfile.mkdtemp(prefix="jl-bench-iv-")
    atexit.register(shutil.rmtree, data_dir, ignore_errors=True)  # ~1 GB of SQLite at 10⁶
    os.environ["JILIANG_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiliang.platform.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _build(n: int, classes: int, seed: int, flat: bool = False) -> int:
    """``n`` instruments and their events; returns the number of events.

    Each class has a nominal interval (182, 365 or 730 d; each calibration 0.85–1.2 × that
    after the previous one) and a Weibull reliability R(t) = exp(−(t/η)^β) (β ∈ {1, 1.5, 2},
    η = 2.5–6 years) by which an instrument is found in tolerance. ``flat``: 300–430 d and 8 %
    out of tolerance whatever the interval (no decline to model: most two-parameter fits run
    into their bounds and fall back to the per-class optimiser — the worst case of the core)."""
    import datetime as dt
    import uuid

    import numpy as np
    from django.db import connection, transaction

    from jiliang.platform.registry.models import CalibrationEvent, Instrument, Organisation, Region

    region = Region.objects.create(code="330106", name="bench", level="county")
    lab = Organisation.objects.create(
        code="91330106000000001X", name="lab", kind="authorised", region=region
    )
    owners = [
        Organisation(code=f"91330106{i:09d}Y", name=f"o{i}", kind="enterprise", region=region)
        for i in range(100)
    ]
    Organisation.objects.bulk_create(owners)
    owner_ids = list(Organisation.objects.filter(kind="enterprise").values_list("id", flat=True))
    rng = np.random.default_rng(seed)
    nominal = rng.choice([182.0, 365.0, 730.0], classes)
    beta = rng.choice([1.0, 1.5, 2.0], classes)
    eta = 365.0 * rng.uniform(2.5, 6.0, classes)
    uuid_field = Instrument._meta.get_field("uuid")
    inst_sql = (
        f"INSERT INTO {Instrument._meta.db_table} (id, lifetime_id, uuid, category, name, "
        "model_name, serial, manufacturer, quantity, accuracy_class, owner_id, location, "
        'region_id, status, compulsory, "use", unit, si_unit) VALUES '
        "(%s, %s, %s, %s, 'bench', %s, '', %s, 'mass', '', %s, '', %s, 'in_use', %s, "
        "'other', '\\kilogram', '\\kilogram')"
    )
    ev_sql = (
        f"INSERT INTO {CalibrationEvent._meta.db_table} (certificate_no, kind, instrument_id, "
        "performed_by_id, performed_on, issued_on, k, conformity, guard_band, withdrawn, "
        "decision_rule, unit, si_unit) VALUES (%s, 'calibration', %s, %s, %s, %s, 2.0, %s, 0, "
        "%s, '', '\\kilogram', '\\kilogram')"
    )
    start_day = dt.date(2015, 1, 1)
    events = 0
    adapt = connection.ops.adapt_datefield_value
    for lo in range(0, n, 50_000):
        hi = min(n, lo + 50_000)
        inst_rows, ev_rows = [], []
        for pk in range(lo + 1, hi + 1):
            c = pk % classes
            u = uuid_field.get_db_prep_value(uuid.uuid4(), connection)
            inst_rows.append(
                (
                    pk,
                    f"X{pk:012d}",
                    u,
                    f"cat{c % 20}",
                    f"M{c}",
                    f"F{c % 7}",
                    owner_ids[c % len(owner_ids)],
                    region.pk,
                    False,
                )
            )
            day = start_day + dt.timedelta(days=int(rng.integers(0, 365)))
            for j in range(int(rng.integers(2, 6))):
                conf = "pass"
                if j and flat:
                    day += dt.timedelta(days=int(rng.integers(300, 431)))
                    conf = "fail" if rng.random() < 0.08 else "pass"
                elif j:
                    length = round(nominal[c] * rng.uniform(0.85, 1.2))
                    day += dt.timedelta(days=length)
                    ok = rng.random() < np.exp(-((length / eta[c]) ** beta[c]))
                    conf = "pass" if ok else "fail"
                events += 1
                ev_rows.append((f"C{events:010d}", pk, lab.pk, adapt(day), adapt(day), conf, False))
        with transaction.atomic(), connection.cursor() as cur:
            cur.executemany(inst_sql, inst_rows)
            cur.executemany(ev_sql, ev_rows)
        print(f"\r  built {hi:,}/{n:,}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return events


def _same(one, many) -> bool:
    """The advice of two runs agree (keys, methods, reasons exactly; intervals to the batch
    core's documented 1e-6 relative: other classes share a block in each run)."""
    if (one.key, one.method, one.insufficient) != (many.key, many.method, many.insufficient):
        return False
    a, b = one.recommended_days, many.recommended_days
    return (a is None and b is None) or (
        a is not None and b is not None and abs(a - b) <= 1e-6 * abs(a) + 2e-6
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instruments", type=int, default=100_000)
    parser.add_argument("--classes", type=int, default=0, help="default: instruments / 100")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument(
        "--flat", action="store_true", help="8 %% out of tolerance whatever the interval"
    )
    parser.add_argument("--workers", type=int, default=2, help="processes of the parallel core")
    parser.add_argument(
        "--streamed",
        action="store_true",
        help="also time the row-by-row streamed histories (the previous path)",
    )
    args = parser.parse_args(argv)
    if args.instruments < 1:
        parser.error("--instruments: must be at least 1")
    classes = args.classes or max(1, args.instruments // 100)
    _setup()
    from django.db import connection

    from jiliang.platform.intervals import services
    from jiliang.platform.intervals.history import group_columns, read_columns, stream_histories
    from jiliang.platform.registry.models import CalibrationEvent

    t0 = time.perf_counter()
    events = _build(args.instruments, classes, args.seed, args.flat)
    print(f"build: {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    qs = CalibrationEvent.objects.all()
    print(f"database: {connection.vendor}; load before: {os.getloadavg()}")
    t0 = time.perf_counter()
    cols = read_columns(qs, "owner")
    t_query = time.perf_counter() - t0
    t0 = time.perf_counter()
    histories = group_columns(cols, "owner")
    t_group = time.perf_counter() - t0
    n_items = sum(h.n for h in histories)
    del cols
    t0 = time.perf_counter()
    advice = services.advise_many(histories)
    t_core = time.perf_counter() - t0
    t0 = time.perf_counter()
    advice_par = services.advise_parallel(histories, workers=args.workers)
    t_par = time.perf_counter() - t0
    differ = sum(not _same(a, b) for a, b in zip(advice, advice_par, strict=True))
    same = len(advice) == len(advice_par) and differ == 0
    advised = sum(a.recommended_days is not None for a in advice)
    print(f"load after: {os.getloadavg()}")
    print(
        f"instruments {args.instruments:,}  events {events:,}  classes {len(histories):,}  "
        f"history items {n_items:,}"
    )
    print(f"  query    (one streamed values_list, numpy columns): {t_query:6.1f} s")
    print(f"  grouping (numpy lexsort, diffs, bincount):          {t_group:6.1f} s")
    print(f"  core     (A3 + S2 batch, 1 process):                {t_core:6.1f} s")
    print(
        f"  core     (A3 + S2 batch, {args.workers} processes):               {t_par:6.1f} s"
        f"  (same advice: {same}, {differ} classes differ)"
    )
    best = min(t_core, t_par)
    print(
        f"  total    (query + grouping + faster core):          "
        f"{t_query + t_group + best:6.1f} s  ({advised:,} advised, "
        f"{len(advice) - advised:,} insufficient)"
    )
    if args.streamed:
        tracemalloc.start()
        t0 = time.perf_counter()
        n = sum(1 for _ in stream_histories(qs, "owner"))
        t_stream = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(
            f"  previous: row-by-row streamed histories ({n:,} classes, under tracemalloc): "
            f"{t_stream:.1f} s, Python allocation peak {peak / 2**20:.1f} MiB"
        )
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
