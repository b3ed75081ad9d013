"""Computing every plan indicator (规划指标) of a demo province on a real database.

    python benchmarks/bench_indicators.py                      # SQLite in a temp dir, 20 000
    python benchmarks/bench_indicators.py --size 1000000       # the issue's scale (slow build)
    python benchmarks/bench_indicators.py --bulk 1000000       # + 10⁶ filed instruments, raw
    JILIANG_DATABASE_URL=postgres://… python benchmarks/bench_indicators.py --size 1000000

Builds the deterministic demo region (``jiliang.platform.demo.build_demo``, without per-row
audit entries) of ``--size`` instruments — each filed under compulsory management where the
catalogue says so — optionally adds ``--bulk`` filed instruments by raw inserts (the demo
builder writes ~250 instruments/s, too slow for 10⁶), then times, for the province 330000 as of
the demo's day, every formula of the core's closed set
(:data:`jiliang.platform.indicators.queries.QUERIES`) and a whole snapshot
(:func:`jiliang.platform.indicators.services.build_snapshot`: every figure + canonical JSON +
digest). The traceability figure builds its engine over the standards on the first call
(:mod:`jiliang.platform.indicators.tracing`); it is printed cold (first call) and warm (the
cached engine), and the snapshot is timed warm.

Target (issue 16): every indicator for a province of 10⁶ instruments and 10⁶ filings in < 30 s
on 2 cores, on SQLite and on PostgreSQL. The PostgreSQL database must be a scratch one (the demo
is built into it; an existing demo is rebuilt with ``--force``).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time


def _setup() -> None:
    if not os.environ.get("JILIANG_DATABASE_URL"):
        os.environ["JILIANG_DATA_DIR"] = tempfile.mkdtemp(prefix="jl-bench-ind-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiliang.platform.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _bulk(n: int, prefix: str, seed: int, today) -> None:
    """``n`` more filed instruments (and their filings) in the region's counties, owned by its
    enterprises: raw ``executemany`` (the ORM's bulk_create costs ~0.5 ms a row), ids after the
    highest ones, verification dates drawn over four years (some never verified, 3 % failed)."""
    import datetime as dt
    import uuid

    import numpy as np
    from django.db import connection, transaction
    from django.db.models import Max

    from jiliang.platform.registry.models import Instrument, Organisation, Region
    from jiliang.platform.supervision.models import Filing

    rng = np.random.default_rng(seed)
    counties = list(
        Region.objects.filter(code__startswith=prefix, level="county").values_list("id", flat=True)
    )
    owners = list(
        Organisation.objects.filter(kind="enterprise", region__code__startswith=prefix).values_list(
            "id", flat=True
        )
    )
    items = np.array(["electronic_price_scale", "taximeter", "fuel_dispenser", "truck_scale"])
    first = 1 + max(
        Instrument.objects.aggregate(m=Max("id"))["m"] or 0,
        Filing.objects.aggregate(m=Max("id"))["m"] or 0,
    )
    item_idx = rng.integers(0, len(items), n)
    owner = rng.integers(0, len(owners), n)
    county = rng.integers(0, len(counties), n)
    age = rng.integers(0, 1500, n)
    fail = rng.random(n) < 0.03
    never = rng.random(n) < 0.02
    uuid_field = Instrument._meta.get_field("uuid")
    json_field = Filing._meta.get_field("params")
    inst_sql = (
        f"INSERT INTO {Instrument._meta.db_table} (id, lifetime_id, uuid, category, name, "
        "model_name, serial, manufacturer, quantity, accuracy_class, owner_id, location, "
        'region_id, status, compulsory, "use", unit, si_unit) VALUES '
        "(%s, %s, %s, %s, 'bench', '', '', '', 'mass', '', %s, '', %s, 'in_use', %s, "
        "'trade_settlement', '\\kilogram', '\\kilogram')"
    )
    fil_sql = (
        f'INSERT INTO {Filing._meta.db_table} (id, instrument_id, item_code, "use", params, '
        "first_verified, last_verified, last_result, last_certificate, filed_at, status, "
        "status_reason, withdrawal_reason, dn_mm, g_size, param_type) VALUES (%s, %s, %s, "
        "'trade_settlement', %s, %s, %s, %s, '', %s, 'unknown', '', '', NULL, NULL, '')"
    )
    now = connection.ops.adapt_datetimefield_value(dt.datetime.now(dt.UTC))
    params = json_field.get_db_prep_value({}, connection)
    for start in range(0, n, 50_000):
        stop = min(n, start + 50_000)
        inst_rows, fil_rows = [], []
        for i in range(start, stop):
            pk = first + i
            item = str(items[item_idx[i]])
            u = uuid_field.get_db_prep_value(uuid.uuid4(), connection)
            inst_rows.append(
                (pk, f"X{pk:012d}", u, item, owners[owner[i]], counties[county[i]], True)
            )
            last = None if never[i] else today - dt.timedelta(days=int(age[i]))
            result = "" if last is None else ("fail" if fail[i] else "pass")
            day = connection.ops.adapt_datefield_value(last)
            fil_rows.append((pk, pk, item, params, day, day, result, now))
        with transaction.atomic(), connection.cursor() as cur:
            cur.executemany(inst_sql, inst_rows)
            cur.executemany(fil_sql, fil_rows)
        print(f"\r  bulk {stop:,}/{n:,}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=20_000, help="instruments (default 20 000)")
    parser.add_argument("--seed", type=int, default=2035)
    parser.add_argument("--force", action="store_true", help="rebuild an existing demo region")
    parser.add_argument("--region", default="330000", help="region code (default 330000)")
    parser.add_argument(
        "--bulk",
        type=int,
        default=0,
        help="further filed instruments added by raw inserts after the demo (10⁶ scale)",
    )
    args = parser.parse_args(argv)
    if args.size < 1:
        parser.error("--size: must be at least 1")
    _setup()

    from django.db import connection

    from jiliang.platform.demo import TODAY, build_demo, has_demo
    from jiliang.platform.indicators import queries, services
    from jiliang.platform.registry.models import Instrument, Region
    from jiliang.platform.supervision.models import Filing
    from jiliang.platform.traceability import loader

    t0 = time.perf_counter()
    if not has_demo() or args.force:
        build_demo(args.size, args.seed, force=args.force, audit=False)
    region = Region.objects.get(code=args.region)
    prefix = region.prefix
    if args.bulk > 0:
        _bulk(args.bulk, prefix, args.seed, TODAY)
    built = time.perf_counter() - t0
    n_inst = Instrument.objects.filter(region__code__startswith=prefix).count()
    n_fil = Filing.objects.active().filter(instrument__region__code__startswith=prefix).count()
    print(
        f"database {connection.vendor}, demo size {args.size:,} + bulk {args.bulk:,} "
        f"(built in {built:.1f} s); "
        f"region {region.code}: {n_inst:,} instruments, {n_fil:,} filings; as_of {TODAY}"
    )
    print(f"{'formula':36} {'value':>12} {'records':>10} {'seconds':>9}")
    total = 0.0
    for name, query in queries.QUERIES.items():
        start = time.perf_counter()
        result = query(prefix, TODAY)
        took = time.perf_counter() - start
        total += took
        value = "—" if result.value is None else f"{result.value:.6g}"
        label = f"{name} (cold)" if name == "traceability_coverage" else name
        print(f"{label:36} {value:>12} {result.record_count:>10,} {took:9.3f}")
    start = time.perf_counter()
    queries.traceability_coverage(prefix, TODAY)
    warm = time.perf_counter() - start
    print(f"{'traceability_coverage (warm)':36} {'':>12} {'':>10} {warm:9.3f}")
    print(f"{'every indicator (cold engine)':36} {'':>12} {'':>10} {total:9.3f}")
    start = time.perf_counter()
    snap = services.build_snapshot(region, TODAY)
    took = time.perf_counter() - start
    print(
        f"{'snapshot (warm engine)':36} {snap.digest[:12]:>12} {len(snap.figures):>10} {took:9.3f}"
    )
    loader.clear_cache()
    # the risk early warning (计量风险预警) of the same province: aggregate queries over the records
    from jiliang.platform.risk import services as risk

    start = time.perf_counter()
    counts = risk.factor_counts(region, TODAY)
    took = time.perf_counter() - start
    print(f"{'risk factor counts':36} {len(counts):>12} {'':>10} {took:9.3f}")
    start = time.perf_counter()
    view = risk.risk_view(region, TODAY)
    took = time.perf_counter() - start
    print(f"{'risk view (level ' + view['level'] + ')':36} {'':>12} {'':>10} {took:9.3f}")
    ok = total < 30
    print(f"target < 30 s for every indicator: {'met' if ok else 'NOT met'} ({total:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
