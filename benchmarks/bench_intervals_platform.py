"""Interval advice from the registry for every class of a region (intervals app, issue 15).

    python benchmarks/bench_intervals_platform.py --instruments 100000      # 10⁵
    python benchmarks/bench_intervals_platform.py --instruments 1000000     # 10⁶

Builds, in a temporary SQLite database, ``--instruments`` instruments in ``--classes`` classes
(category × model × manufacturer, one owner each), each with 2–5 calibrations 300–430 days
apart and ~8 % found out of tolerance (raw ``executemany``: the ORM's bulk_create is too slow at
this size). Then times, separately:

1. the histories: :func:`jiliang.platform.intervals.history.iter_histories` over all events
   (one streamed ``values_list`` query), with the peak of Python allocations (tracemalloc) —
   it keeps one class at a time, so the peak must not grow with the number of instruments;
2. the advice: :func:`jiliang.platform.intervals.services.advise_all` (core A3 + S2 by the
   vectorised :mod:`jiliang.core.intervals.batch`, 512 classes at a time) on every class, in
   one process.

Prints instruments, events, classes, both times and the allocation peak, and the load average
(the machine may be shared).
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import tempfile
import time
import tracemalloc


def _setup() -> None:
    os.environ["JILIANG_DATA_DIR"] = tempfile.mkdtemp(prefix="jl-bench-iv-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiliang.platform.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _build(n: int, classes: int, seed: int) -> int:
    """``n`` instruments and their events; returns the number of events."""
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
    uuid_field = Instrument._meta.get_field("uuid")
    inst_sql = (
        f"INSERT INTO {Instrument._meta.db_table} (id, lifetime_id, uuid, category, name, "
        "model_name, serial, manufacturer, quantity, accuracy_class, owner_id, location, "
        'region_id, status, compulsory, "use", unit, si_unit) VALUES '
        "(%s, %s, %s, %s, 'bench', %s, '', %s, 'mass', '', %s, '', %s, 'in_use', 0, "
        "'other', '\\kilogram', '\\kilogram')"
    )
    ev_sql = (
        f"INSERT INTO {CalibrationEvent._meta.db_table} (certificate_no, kind, instrument_id, "
        "performed_by_id, performed_on, issued_on, k, conformity, guard_band, withdrawn, "
        "decision_rule, unit, si_unit) VALUES (%s, 'calibration', %s, %s, %s, %s, 2.0, %s, 0, "
        "0, '', '\\kilogram', '\\kilogram')"
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
                )
            )
            day = start_day + dt.timedelta(days=int(rng.integers(0, 365)))
            for j in range(int(rng.integers(2, 6))):
                if j:
                    day += dt.timedelta(days=int(rng.integers(300, 431)))
                conf = "fail" if j and rng.random() < 0.08 else "pass"
                events += 1
                ev_rows.append((f"C{events:010d}", pk, lab.pk, adapt(day), adapt(day), conf))
        with transaction.atomic(), connection.cursor() as cur:
            cur.executemany(inst_sql, inst_rows)
            cur.executemany(ev_sql, ev_rows)
        print(f"\r  built {hi:,}/{n:,}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return events


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instruments", type=int, default=100_000)
    parser.add_argument("--classes", type=int, default=0, help="default: instruments / 100")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument(
        "--advice-classes",
        type=int,
        default=None,
        help="advise only the first N classes (default all; the histories always stream all)",
    )
    args = parser.parse_args(argv)
    if args.instruments < 1:
        parser.error("--instruments: must be at least 1")
    classes = args.classes or max(1, args.instruments // 100)
    _setup()
    from jiliang.platform.intervals import services
    from jiliang.platform.intervals.history import iter_histories
    from jiliang.platform.registry.models import CalibrationEvent

    t0 = time.perf_counter()
    events = _build(args.instruments, classes, args.seed)
    print(f"build: {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    qs = CalibrationEvent.objects.all()
    print("load before:", os.getloadavg())
    t0 = time.perf_counter()
    n_classes = n_items = 0
    for h in iter_histories(qs, "owner"):
        n_classes += 1
        n_items += h.n
    t_hist = time.perf_counter() - t0
    tracemalloc.start()  # a second pass for the allocation peak (tracing slows it down)
    for _h in iter_histories(qs, "owner"):
        pass
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    t0 = time.perf_counter()
    advised = insufficient = 0
    stream = iter_histories(qs, "owner")
    if args.advice_classes is not None:
        stream = itertools.islice(stream, args.advice_classes)
    for a in services.advise_all(stream):
        advised += a.recommended_days is not None
        insufficient += a.recommended_days is None
    t_all = time.perf_counter() - t0
    print("load after:", os.getloadavg())
    print(
        f"instruments {args.instruments:,}  events {events:,}  classes {n_classes:,}  "
        f"history items {n_items:,}"
    )
    print(
        f"histories (one streamed query): {t_hist:.1f} s, Python allocation peak "
        f"{peak / 2**20:.1f} MiB"
    )
    print(
        f"histories + core advice (A3 + S2, batch) for {advised + insufficient:,} classes, "
        f"1 process: {t_all:.1f} s "
        f"({advised:,} advised, {insufficient:,} insufficient)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
