"""Traceability on the platform: registry → records loader, engine validation, and one chain
through the REST API, on a demo region built with ``jiliang.platform.demo.build_demo``.

    python benchmarks/bench_traceability_api.py               # N = 10⁵, SQLite in a temp dir
    python benchmarks/bench_traceability_api.py --size 1000000

Times (issue 4): loading the registry into core records (bulk ``values_list`` queries), building
the engine (every chain validated), and p50/p95 of ``GET /api/traceability/chain/instrument/…``
over 200 requests (Django test client, bearer token of an admin, engine cached), with peak RSS.
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
    from jiliang.platform.accounts.models import ApiToken
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
    timed("get_engine (load + validate, cached)", lambda: loader.get_engine(asof))
    timed("get_engine again (cache hit)", lambda: loader.get_engine(asof))

    admin = get_user_model().objects.filter(username="bench-admin").first()
    admin = admin or get_user_model().objects.create_superuser("bench-admin", password=None)
    _, token = ApiToken.issue(admin, "bench")
    ids = list(m.Instrument.objects.values_list("lifetime_id", flat=True)[:50_000])
    rng = random.Random(args.seed)
    session = Client()
    session.force_login(admin)
    clients = {
        "bearer token": Client(HTTP_AUTHORIZATION=f"Bearer {token}"),
        "session": session,
    }
    for how, client in clients.items():
        client.get(f"/api/traceability/chain/instrument/{ids[0]}")  # warm (URLs, chain index)
        times = []
        for _ in range(args.requests):
            lid = rng.choice(ids)
            t0 = time.perf_counter()
            r = client.get(f"/api/traceability/chain/instrument/{lid}")
            times.append((time.perf_counter() - t0) * 1000)
            assert r.status_code == 200, r.content
        times.sort()
        p50 = times[len(times) // 2]
        p95 = times[int(len(times) * 0.95) - 1]
        label = f"one chain via API, {how}"
        rows.append((f"{label}, p50 ({args.requests} req)", f"{p50:.2f} ms", ""))
        rows.append((f"{label}, p95 ({args.requests} req)", f"{p95:.2f} ms", ""))
    rows.append(("peak RSS", "", f"{rss_mb():.0f}"))

    print()
    print(f"| step ({args.size:,} instruments) | time | peak RSS MiB |")
    print("|---|---|---|")
    for label, t, mem in rows:
        print(f"| {label} | {t} | {mem} |")


if __name__ == "__main__":
    main()
