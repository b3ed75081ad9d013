"""CPU per instrument list page, in process: ``/r/instruments/`` as the load benchmark's user.

    python benchmarks/bench_list_page.py --data-dir /tmp/jl-load20            # ms per page
    python benchmarks/bench_list_page.py --data-dir /tmp/jl-load20 --profile  # + cProfile top
    python benchmarks/bench_list_page.py --data-dir /tmp/jl-load20 --queries  # + SQL of one page

Reuses a data set built by ``benchmarks/bench_load.py --data-dir DIR`` (build it there first;
``--database-url`` as in that script). Logs in with Django's test ``Client`` as the demo
regulator (the session user of ``bench_load.py``'s ``list`` target), warms up, then requests the
page ``--requests`` times and prints the CPU time (``time.process_time``, ms) and wall time
per page, and the number of SQL queries one page runs. One thread, no server: the figure is the
page's own cost (middleware + view + template), which bounds a 2-core server's throughput at
about ``2000 / ms`` pages per second.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, help="a bench_load.py data directory")
    parser.add_argument("--database-url", help="postgres://… (default: SQLite in the data dir)")
    parser.add_argument("--requests", type=int, default=50, help="pages measured (50)")
    parser.add_argument("--path", default="/r/instruments/", help="page (/r/instruments/)")
    parser.add_argument("--user", default="regulator", help="session user (regulator)")
    parser.add_argument("--profile", action="store_true", help="print the cProfile top 40")
    parser.add_argument("--queries", action="store_true", help="print one page's SQL")
    args = parser.parse_args()
    if not Path(args.data_dir, "jiliang.sqlite3").exists() and not args.database_url:
        parser.error(f"--data-dir: no data set in {args.data_dir} (run bench_load.py first)")
    os.environ["JILIANG_DATA_DIR"] = args.data_dir
    if args.database_url:
        os.environ["JILIANG_DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("JILIANG_DATABASE_URL", None)
    os.environ.setdefault("JILIANG_LOG_LEVEL", "ERROR")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiliang.platform.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    user = get_user_model().objects.get(username=args.user)
    client = Client(HTTP_HOST="127.0.0.1")  # the host bench_load.py serves on
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    for _ in range(5):  # templates, URL resolver, translations, connection
        resp = client.get(args.path)
        if resp.status_code != 200:
            raise SystemExit(f"GET {args.path} answered {resp.status_code}")
    captured: list[str] = []

    def record(execute, sql, params, many, context):
        captured.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        client.get(args.path)
    n = args.requests
    profiler = cProfile.Profile() if args.profile else None
    cpu0, wall0 = time.process_time(), time.perf_counter()
    if profiler is not None:
        profiler.enable()
    for _ in range(n):
        client.get(args.path)
    if profiler is not None:
        profiler.disable()
    cpu = (time.process_time() - cpu0) * 1000 / n
    wall = (time.perf_counter() - wall0) * 1000 / n
    print(
        f"{args.path} as {args.user} ({connection.vendor}): {cpu:.1f} ms CPU, {wall:.1f} ms wall "
        f"per page over {n} pages, {len(captured)} SQL queries per page"
        + (" (under cProfile)" if profiler is not None else "")
    )
    if args.queries:
        for sql in captured:
            print(f"  {sql[:400]}")
    if profiler is not None:
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(40)
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(25)
    return 0


if __name__ == "__main__":
    sys.exit(main())
