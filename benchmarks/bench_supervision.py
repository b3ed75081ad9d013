"""Supervision platform figures on a real database: coverage indicators of N filed instruments
and a double-random draw whose object pool (10⁵ enterprises) comes from the registry.

    JILIANG_DATABASE_URL=postgres://… python benchmarks/bench_supervision.py --size 1000000
    python benchmarks/bench_supervision.py                 # SQLite in a temp dir, N = 10⁵

Targets (issue 7): coverage for a region of 10⁶ instruments < 10 s; a draw over 10⁵ objects < 1 s.
The database is created from scratch (SQLite: a temporary file; PostgreSQL: the tables of the
database URL are flushed first — use a scratch database). Each step prints its wall time and the
process's peak resident memory during the step (Linux: VmHWM, reset before each step).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path


def _reset_peak() -> None:
    """Reset the peak-RSS mark (Linux ≥ 4.0) so the next reading covers one step only."""
    # not Linux: the reading is then the peak since the process started
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _peak_mb() -> float:
    """Peak resident memory (MB) since the last :func:`_reset_peak` (or process start)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _setup() -> None:
    if not os.environ.get("JILIANG_DATABASE_URL"):
        os.environ["JILIANG_DATA_DIR"] = tempfile.mkdtemp(prefix="jl-bench-sup-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiliang.platform.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _populate(n: int, n_orgs: int, seed: int) -> None:
    import numpy as np
    from django.db import connection, transaction

    from jiliang.core.identifiers import credit_code_check
    from jiliang.platform.audit import triggers
    from jiliang.platform.registry import models as m

    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            triggers.drop(connection)
            cur.execute(
                "TRUNCATE supervision_filing, registry_instrument, registry_organisation, "
                "registry_region, registry_person CASCADE"
            )
            triggers.install(connection)
    rng = np.random.default_rng(seed)
    with transaction.atomic():
        prov = m.Region.objects.create(code="500000", name="示范省", level="province")
        cities = [
            m.Region.objects.create(code=f"50{c:02d}00", name=f"市{c}", level="city", parent=prov)
            for c in range(1, 5)
        ]
        counties = [
            m.Region.objects.create(
                code=f"{city.code[:4]}{k:02d}",
                name=f"县{city.code[2:4]}{k}",
                level="county",
                parent=city,
            )
            for city in cities
            for k in range(1, 6)
        ]
        reg = m.Organisation.objects.create(
            code=_code("500100", 0, credit_code_check),
            name="监管局",
            kind="regulator",
            region=prov,
        )
        m.Person.objects.bulk_create(
            [m.Person(name=f"执法{j}", organisation=reg) for j in range(400)]
        )
        county_of_org = rng.integers(0, len(counties), n_orgs)
        orgs = [
            m.Organisation(
                code=_code(counties[int(county_of_org[i])].code, i + 1, credit_code_check),
                name=f"企业{i}",
                kind="enterprise",
                region=counties[int(county_of_org[i])],
            )
            for i in range(n_orgs)
        ]
        m.Organisation.objects.bulk_create(orgs, batch_size=5000)
        org_ids = list(
            m.Organisation.objects.filter(kind="enterprise").values_list("id", "region_id")
        )
    items = np.array(
        [
            "water_meter",
            "electronic_price_scale",
            "taximeter",
            "fuel_dispenser",
            "sphygmomanometer",
            "gas_meter",
        ]
    )
    item_idx = rng.integers(0, len(items), n)
    owner = rng.integers(0, len(org_ids), n)
    age = rng.integers(0, 1500, n)
    fail = rng.random(n) < 0.03
    never = rng.random(n) < 0.02
    dn = np.array([15, 20, 25, 40, 80])[rng.integers(0, 5, n)]
    g = np.array([2.5, 4, 6, 25])[rng.integers(0, 4, n)]
    types = np.array(["automatic", "mercury"])[rng.integers(0, 2, n)]
    today = dt.date(2026, 11, 1)
    _insert_rows(n, org_ids, items, item_idx, owner, age, fail, never, dn, g, types, today)
    print(file=sys.stderr)


def _insert_rows(n, org_ids, items, item_idx, owner, age, fail, never, dn, g, types, today):
    """Raw executemany (the ORM's bulk_create costs ~0.5 ms a row here); explicit ids 1…n."""
    import uuid

    from django.db import connection, transaction

    from jiliang.platform.registry.models import Instrument
    from jiliang.platform.supervision.models import Filing

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
        "status_reason, dn_mm, g_size, param_type) VALUES (%s, %s, %s, 'trade_settlement', "
        "%s, %s, %s, %s, '', %s, 'unknown', '', %s, %s, %s)"
    )
    now = connection.ops.adapt_datetimefield_value(dt.datetime.now(dt.UTC))
    chunk = 50_000
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        inst_rows, fil_rows = [], []
        for i in range(start, stop):
            oid, rid = org_ids[int(owner[i])]
            item = str(items[item_idx[i]])
            u = uuid_field.get_db_prep_value(uuid.uuid4(), connection)
            inst_rows.append((i + 1, f"B{i:012d}", u, item, oid, rid, True))
            params = {
                "water_meter": {"dn_mm": int(dn[i])},
                "gas_meter": {"g_size": float(g[i])},
                "sphygmomanometer": {"type": str(types[i])},
            }.get(item, {})
            last = None if never[i] else today - dt.timedelta(days=int(age[i]))
            result = "" if last is None else ("fail" if fail[i] else "pass")
            day = connection.ops.adapt_datefield_value(last)
            js = json_field.get_db_prep_value(params, connection)
            fil_rows.append(
                (
                    i + 1,
                    i + 1,
                    item,
                    js,
                    day,
                    day,
                    result,
                    now,
                    params.get("dn_mm"),
                    params.get("g_size"),
                    params.get("type", ""),
                )
            )
        with transaction.atomic(), connection.cursor() as cur:
            cur.executemany(inst_sql, inst_rows)
            cur.executemany(fil_sql, fil_rows)
        print(f"\r  populated {stop:,}/{n:,}", end="", file=sys.stderr, flush=True)


def _code(region: str, n: int, check) -> str:
    body = f"91{region}{n:09d}"
    return body + check(body)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=100_000, help="filed instruments (≤ 10⁶)")
    ap.add_argument("--objects", type=int, default=100_000, help="enterprises in the draw pool")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    if not 1 <= args.size <= 1_000_000:
        ap.error("--size must be within [1, 10⁶]")
    _setup()
    from django.db import connection

    from jiliang.core.legal.draw import ALGORITHM, ALGORITHM_V1, compute_selections, verify
    from jiliang.platform.registry.models import Region
    from jiliang.platform.supervision import draws
    from jiliang.platform.supervision.services import coverage

    n_orgs = min(args.objects, args.size)
    t0 = time.perf_counter()
    _populate(args.size, n_orgs, args.seed)
    print(
        f"populate: {args.size:,} filings, {n_orgs:,} enterprises in "
        f"{time.perf_counter() - t0:.1f} s ({connection.vendor})"
    )

    _reset_peak()
    t0 = time.perf_counter()
    if os.environ.get("BENCH_PROFILE"):
        import cProfile

        cProfile.runctx(
            'coverage("50", dt.date(2026, 11, 1))', globals(), locals(), "/tmp/cov.prof"
        )
    report = coverage("50", dt.date(2026, 11, 1))
    t_cov = time.perf_counter() - t0
    print(
        f"coverage: {report.total:,} compulsory, {report.on_time:,} on time "
        f"({100 * report.share:.1f} %), {len(report.groups['owner']):,} owners — "
        f"{t_cov:.2f} s (target < 10 s: ratio {t_cov / 10:.2f}); peak RSS {_peak_mb():.0f} MB"
    )

    province = Region.objects.get(code="500000")
    _reset_peak()
    t0 = time.perf_counter()
    codes = [
        "water_meter",
        "electronic_price_scale",
        "taximeter",
        "fuel_dispenser",
        "sphygmomanometer",
        "gas_meter",
    ]
    pools = draws.build_pools(province, [{"id": c, "ratio": 0.02} for c in codes])
    t_pool = time.perf_counter() - t0
    m_pool = _peak_mb()
    d = draws.commit(None, "bench", province, pools)
    seed = bytes.fromhex(d.data.seed_hex)
    _reset_peak()
    t0 = time.perf_counter()
    compute_selections(seed, pools, d.pools_sha256)
    t_algo = time.perf_counter() - t0
    m_algo = _peak_mb()
    # the same pools drawn with v1 (what draws cost before v2; v1 records still verify)
    old = {**pools, "params": {**pools["params"], "algorithm": ALGORITHM_V1}}
    t0 = time.perf_counter()
    compute_selections(seed, old)
    t_v1 = time.perf_counter() - t0
    t0 = time.perf_counter()
    draws.run(d)
    t_draw = time.perf_counter() - t0
    draws.reveal(d)
    ok = verify(draws.published(d)).ok
    n_cand = sum(len(o["items"]) for o in pools["objects"])
    print(
        f"draw algorithm ({ALGORITHM}): {t_algo:.2f} s (target < 1 s: ratio {t_algo:.2f}), "
        f"peak RSS {m_algo:.0f} MB; {ALGORITHM_V1} on the same pools {t_v1:.2f} s; "
        f"run incl. storing {d.n_selected:,} selections + audit: {t_draw:.2f} s"
    )
    print(
        f"draw: {len(pools['objects']):,} objects × {len(codes)} items ({n_cand:,} candidates), "
        f"{d.n_selected:,} drawn; pools from DB {t_pool:.2f} s, peak RSS {m_pool:.0f} MB; "
        f"published record verifies: {ok}"
    )


if __name__ == "__main__":
    main()
