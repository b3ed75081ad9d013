"""Traceability on the platform: registry → records loader, engine validation, and one chain
through the REST API, on a demo region built with ``jiliang.platform.demo.build_demo``.

    python benchmarks/bench_traceability_api.py               # N = 10⁵, SQLite in a temp dir
    python benchmarks/bench_traceability_api.py --size 1000000 --data-dir /work/bench-trace-1e6

``--data-dir`` keeps the demo region: the first run builds it there (without per-row audit
entries; ~25 min at 10⁶), later runs reuse it and only measure.

Times (issue 4): loading the registry into core records (bulk ``values_list`` queries), building
the engine (every chain validated), and p50/p95 of ``GET /api/traceability/chain/instrument/…``
over 200 requests (Django test client, engine cached) for instruments drawn at random from the
whole population, as an admin (bearer token and session) and as a regional regulator (bearer
token), with the number of SQL queries of one request and peak RSS.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import tempfile
import time


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _setup(data_dir: str | None) -> None:
    os.environ["JILIANG_DATA_DIR"] = data_dir or tempfile.mkdtemp(prefix="jl-bench-trace-")
    os.environ.pop("JILIANG_DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiliang.platform.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.conf import settings

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]


def _bearer(user) -> str:
    from jiliang.platform.accounts.models import ApiToken

    return f"Bearer {ApiToken.issue(user, 'bench')[1]}"


def _sample_ids(rng: random.Random, user, n: int) -> list[str]:
    """``n`` lifetime ids the user may read, drawn uniformly from the whole table by primary
    key (the first rows in key order would sit in a few hot index pages)."""
    from django.db.models import Max, Min

    from jiliang.platform.registry import models as m
    from jiliang.platform.registry.permissions import readable

    bounds = m.Instrument.objects.aggregate(lo=Min("pk"), hi=Max("pk"))
    ids: list[str] = []
    while len(ids) < n:
        pks = [rng.randint(bounds["lo"], bounds["hi"]) for _ in range(4 * n)]
        rows = readable(user, m.Instrument).filter(pk__in=pks).order_by()
        ids += list(rows.values_list("lifetime_id", flat=True)[: n - len(ids)])
    rng.shuffle(ids)
    return ids


def _run_queue_wait() -> float:
    """Seconds this thread has waited on a CPU run queue (Linux schedstat; 0 elsewhere).

    Separates other processes' load from the request's own cost; the kernel counts it in
    scheduler ticks (4 ms here), so only the p95 says something."""
    try:
        with open("/proc/thread-self/schedstat") as fh:
            return int(fh.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def _timings(client, ids: list[str], reconnect: bool):
    """Wall time, thread CPU time and run-queue wait of one chain request per id, ms."""
    from django.db import connection

    wall, cpu, wait = [], [], []
    for lid in ids:
        q0, c0, t0 = _run_queue_wait(), time.thread_time(), time.perf_counter()
        if reconnect:
            connection.close()
        r = client.get(f"/api/traceability/chain/instrument/{lid}")
        t1, c1, q1 = time.perf_counter(), time.thread_time(), _run_queue_wait()
        assert r.status_code == 200, r.content
        wall.append((t1 - t0) * 1000)
        cpu.append((c1 - c0) * 1000)
        wait.append((q1 - q0) * 1000)
    return wall, cpu, wait


def _pct(values: list[float], q: int) -> float:
    """The ``q``-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[max(0, -(-len(ordered) * q // 100) - 1)]


def _queries(client, url: str) -> int:
    """SQL statements one request runs. An execute wrapper, not CaptureQueriesContext: the
    test client's request_started signal resets the connection's query log mid-capture."""
    from django.db import connection

    count = 0

    def counted(execute, sql, params, many, context):
        nonlocal count
        count += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counted):
        client.get(url)
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000, help="demo instruments (≤ 10⁶)")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2035)
    parser.add_argument("--data-dir", help="reuse the demo region already built in this dir")
    args = parser.parse_args()
    _setup(args.data_dir)

    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone

    from jiliang.core.traceability import TraceabilityEngine
    from jiliang.platform.demo import build_demo, has_demo
    from jiliang.platform.registry import models as m
    from jiliang.platform.traceability import loader

    rows: list[tuple[str, str, str]] = []

    def timed(label, fn):
        t0 = time.perf_counter()
        out = fn()
        dt = time.perf_counter() - t0
        rows.append((label, f"{dt:.3f} s", f"{rss_mb():.0f}"))
        print(f"  {label:<40s} {dt:9.3f} s   peak RSS {rss_mb():7.0f} MiB", flush=True)
        return out

    print(f"jiliang traceability API benchmark: demo region, {args.size:,} instruments")
    print(f"  data dir {os.environ['JILIANG_DATA_DIR']}")
    if not has_demo():
        timed(
            "build demo (not part of the figures)",
            lambda: build_demo(args.size, args.seed, audit=False),
        )
    print(f"  {m.Instrument.objects.count():,} instruments in the registry")
    asof = timezone.localdate()
    records = timed("load registry → records", loader.load_records)
    engine = timed("engine: validate all chains", lambda r=records: TraceabilityEngine(r, asof))
    print(f"  verdicts: {engine.counts()}")
    engine = records = None
    timed("get_engine (load + validate + chain index)", lambda: loader.get_engine(asof))
    timed("get_engine again (cache hit)", lambda: loader.get_engine(asof))

    users = get_user_model().objects
    admin = users.filter(username="bench-admin").first()
    admin = admin or users.create_superuser("bench-admin", password=None)
    rng = random.Random(args.seed)
    session = Client()
    session.force_login(admin)
    clients = {
        "admin, bearer token": (admin, Client(HTTP_AUTHORIZATION=_bearer(admin))),
        "admin, session": (admin, session),
    }
    regulator = users.filter(username="regulator").first()  # the demo's provincial regulator
    if regulator is not None:
        clients["regulator, bearer token"] = (
            regulator,
            Client(HTTP_AUTHORIZATION=_bearer(regulator)),
        )
    # the test client keeps one connection; a WSGI server on SQLite (CONN_MAX_AGE=0) opens
    # one per request: measured too, closing the connection before each request
    clients["admin, bearer token, new DB connection per request"] = (
        admin,
        Client(HTTP_AUTHORIZATION=_bearer(admin)),
    )
    for how, (user, client) in clients.items():
        ids = _sample_ids(rng, user, args.requests)
        client.get(f"/api/traceability/chain/instrument/{ids[0]}")  # warm (URL resolver)
        queries = _queries(client, f"/api/traceability/chain/instrument/{ids[1]}")
        wall, cpu, wait = _timings(client, ids, reconnect="new DB connection" in how)
        rows.append(
            (
                f"one chain via API, {how}, {queries} SQL queries ({len(ids)} req)",
                f"p50 {_pct(wall, 50):.2f} ms, p95 {_pct(wall, 95):.2f} ms "
                f"(CPU p50 {_pct(cpu, 50):.2f}, p95 {_pct(cpu, 95):.2f} ms; "
                f"run-queue wait p95 {_pct(wait, 95):.2f} ms)",
                "",
            )
        )
    rows.append(("peak RSS", "", f"{rss_mb():.0f}"))

    print()
    print(f"| step ({args.size:,} instruments) | time | peak RSS MiB |")
    print("|---|---|---|")
    for label, t, mem in rows:
        print(f"| {label} | {t} | {mem} |")


if __name__ == "__main__":
    main()
