"""Ingest throughput of ``POST /api/monitoring/readings`` in readings/s (issue 14).

    python benchmarks/bench_monitoring_ingest.py                 # 1 000 meters, 10 000-row batches
    python benchmarks/bench_monitoring_ingest.py --quick         # 200 meters, fewer batches
    python benchmarks/bench_monitoring_ingest.py --batch 1000 --meters 500 --batches 20

Builds, in a temporary ``JILIANG_DATA_DIR`` (a file SQLite database in WAL mode, the default
configuration, so each batch's commit is a real fsync), one grid company with an API token and
one transformer area of ``--meters`` class-1 meters plus its summary meter, then posts
``--batches`` batches through Django's test client (in-process: the full request path —
middleware, bearer-token authentication, JSON parsing, every check, one transaction per batch,
one audit entry per batch — without a socket). Each batch carries ``--batch`` readings: every
meter's next hourly register, hour after hour, as a data concentrator would send them. Prints
per batch size the median and overall readings/s, then re-sends one batch (the idempotent replay
path, which checks nothing against the stored readings) and times it too.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--meters", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=10_000, help="readings per batch (≤ 10 000)")
    ap.add_argument("--batches", type=int, default=10)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    if args.quick:
        args.meters, args.batches = 200, 5
    data_dir = tempfile.mkdtemp(prefix="jl-ingest-")
    os.environ["JILIANG_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiliang.platform.settings")
    sys.path.insert(0, str(REPO / "src"))
    import django

    django.setup()
    import datetime as dt

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from jiliang.core.identifiers import credit_code_check, make_lifetime_id
    from jiliang.platform.accounts.models import ApiToken
    from jiliang.platform.accounts.services import create_user
    from jiliang.platform.audit.signals import bulk_create_audited
    from jiliang.platform.monitoring.models import AreaMeter, Reading
    from jiliang.platform.monitoring.services import create_area
    from jiliang.platform.registry import models as m

    call_command("migrate", interactive=False, verbosity=0)
    with connection.cursor() as cur:
        cur.execute("PRAGMA journal_mode")
        journal = cur.fetchone()[0]
    region = m.Region.objects.create(code="330106", name="西湖区", level="county")
    body = "91330106000000001"
    org = m.Organisation.objects.create(
        code=body + credit_code_check(body), name="grid", kind="enterprise", region=region
    )
    admin = create_user("bench-admin", "a-long-bench-password-1", "admin")
    user = create_user("bench-grid", "a-long-bench-password-1", "enterprise", organisation=org.code)
    token = ApiToken.issue(user, "bench")[1]

    def meter(seq: int) -> m.Instrument:
        inst = m.Instrument(
            lifetime_id=make_lifetime_id("330106", "DNB", 2025, seq),
            category="electricity_meter",
            name=f"meter {seq}",
            quantity="electrical_energy",
            unit=r"\kilo\watt\hour",
            accuracy_class="1",
            owner=org,
            region=region,
            use="trade_settlement",
        )
        inst.derive_compulsory()
        return inst

    summary = meter(1)
    summary.save()
    area = create_area(
        admin, code="TQ-BENCH", name="bench", region=region, summary_meter=summary, owner=org
    )
    users = [meter(2 + i) for i in range(args.meters)]
    bulk_create_audited(m.Instrument, users)
    users = list(m.Instrument.objects.exclude(pk=summary.pk).order_by("pk"))
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    AreaMeter.objects.bulk_create(
        [AreaMeter(area=area, instrument=i, valid_from=t0 - dt.timedelta(days=1)) for i in users]
    )
    ids = [i.lifetime_id for i in [summary, *users]]
    client = Client(HTTP_HOST="localhost")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    def batch(k: int) -> list[dict]:
        """Readings k·batch … (k+1)·batch − 1 of the stream: meter-major within each hour."""
        rows = []
        for n in range(k * args.batch, (k + 1) * args.batch):
            hour, j = divmod(n, len(ids))
            t = t0 + dt.timedelta(hours=hour)
            rows.append({"meter": ids[j], "timestamp": t.isoformat(), "register": 1000.0 + hour})
        return rows

    # warm-up (URL configuration, API schema, first queries): not timed
    assert client.get("/api/monitoring/areas", **auth).status_code == 200
    rates, total_rows, total_s = [], 0, 0.0
    first = None
    for k in range(args.batches):
        data = json.dumps(batch(k))
        first = first or data
        start = time.perf_counter()
        res = client.post(
            "/api/monitoring/readings", data=data, content_type="application/json", **auth
        )
        elapsed = time.perf_counter() - start
        if res.status_code != 200 or res.json()["accepted"] != args.batch:
            print(f"batch {k}: HTTP {res.status_code} {res.content[:300]!r}", file=sys.stderr)
            return 1
        rates.append(args.batch / elapsed)
        total_rows += args.batch
        total_s += elapsed
    assert Reading.objects.count() == total_rows
    start = time.perf_counter()
    res = client.post(
        "/api/monitoring/readings", data=first, content_type="application/json", **auth
    )
    replay_s = time.perf_counter() - start
    assert res.json()["replay"] is True
    print(
        f"ingest: {args.batches} batches × {args.batch} readings, {len(ids)} meters, "
        f"SQLite journal_mode={journal} ({Path(data_dir) / 'jiliang.sqlite3'})"
    )
    print(f"  median {statistics.median(rates):,.0f} readings/s per batch")
    print(
        f"  overall {total_rows / total_s:,.0f} readings/s ({total_rows} readings, {total_s:.2f} s)"
    )
    print(f"  re-send of batch 0 (replay): {replay_s * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
