"""Load on the production server: N concurrent clients against three pages, loopback only.

    python benchmarks/bench_load.py                     # 20 000 instruments, 50 clients, SQLite
    python benchmarks/bench_load.py --quick             # 2 000 instruments, 10 s per target
    python benchmarks/bench_load.py --data-dir /tmp/jl-load   # keep (and later reuse) the data
    python benchmarks/bench_load.py --database-url postgres://jiliang:pw@127.0.0.1:5432/jl_load

Builds a demo region (``jiliang.platform.demo.build_demo``, without per-row audit entries unless
``--audit``) in a temporary ``JILIANG_DATA_DIR`` — or reuses the one in ``--data-dir`` — issues
a few signed certificates (needs the DCC XSDs, ``JILIANG_DCC_SCHEMA_DIR``, default
``../shared/dcc/xsd``), serves it with waitress (``jiliang serve``, the production server) in a
subprocess on 127.0.0.1 and a free port, and then, per target, runs ``--clients`` threads, each
with its own keep-alive ``http.client`` connection and no think time (a closed loop), until
``--duration`` seconds or ``--requests`` requests have passed:

* ``verify``: the public verification page of an issued certificate, ``/dcc/<number>`` (the URL
  of the QR code on every certificate), anonymous;
* ``chain``: ``GET /api/traceability/chain/instrument/<lifetime id>``, as the demo regulator;
* ``list``: the instrument list page ``/r/instruments/``, as the demo regulator (logged in
  through the login form with its CSRF token; the session cookie is shared by the clients).

Prints req/s, p50/p95/p99 latency (ms, wall time from sending the request to the last byte of
the response) and the error count per target (an error: a transport failure or any status but
200); exits 1 if any request errored. With closed-loop clients the mean latency is
``clients / throughput`` (Little's law), so on 2 cores a p95 under 50 ms at 50 clients needs
about 1 000 req/s; ``--think-ms`` adds a pause between a client's requests (a user reading).
The client threads share the machine with the server: figures are for comparing runs of this
script on one machine, not capacity planning.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_XSD = REPO.parent / "shared" / "dcc" / "xsd"
HOST = "127.0.0.1"  # loopback only: the benchmark never listens on or calls another interface
REVIEWER = "bench-reviewer"


def _pct(values: list[float], q: float) -> float:
    """The ``q``-th percentile (nearest rank) of ``values``; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


# -- data set ----------------------------------------------------------------------------------


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiliang.platform.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def _issue_certificates(n: int) -> list[str]:
    """Numbers of ``n`` issued certificates (made now if the data set has fewer): drafted by
    the demo's ``lab`` for its own instrument calibrations, issued by a second lab user."""
    from django.contrib.auth import get_user_model

    from jiliang.platform.accounts.services import create_user
    from jiliang.platform.certificates import services
    from jiliang.platform.certificates.models import Certificate
    from jiliang.platform.demo import DEMO_PASSWORD
    from jiliang.platform.registry.models import CalibrationEvent

    users = get_user_model().objects
    lab = users.get(username="lab")
    reviewer = users.filter(username=REVIEWER).first()
    if reviewer is None:
        org = lab.profile.organisation.code
        reviewer = create_user(REVIEWER, DEMO_PASSWORD, "lab_staff", organisation=org)
    issued = list(
        Certificate.objects.filter(status=Certificate.Status.ISSUED)
        .order_by("id")
        .values_list("number", flat=True)[:n]
    )
    events = (
        CalibrationEvent.objects.filter(
            performed_by=lab.profile.organisation,
            instrument__isnull=False,
            result_value__isnull=False,
        )
        .exclude(certificates__isnull=False)
        .order_by("id")
    )
    for event in events[: n - len(issued)]:
        cert = services.create_draft(event, lab)
        services.submit(cert, lab)
        issued.append(services.issue(cert, reviewer).number)
    if len(issued) < n:
        raise SystemExit(f"only {len(issued)} certificates could be issued (wanted {n})")
    return issued


def _instrument_ids(n: int) -> list[str]:
    """``n`` lifetime ids the regulator may read, spread over the table by primary key."""
    from django.contrib.auth import get_user_model

    from jiliang.platform.registry import models as m
    from jiliang.platform.registry.permissions import readable

    regulator = get_user_model().objects.get(username="regulator")
    qs = readable(regulator, m.Instrument).order_by("pk")
    total = qs.count()
    step = max(1, total // n)
    pks = list(qs.values_list("pk", flat=True)[::step][:n]) if total <= 50_000 else None
    if pks is None:  # large tables: slice by offset rather than reading every key
        pks = [qs.values_list("pk", flat=True)[i * step] for i in range(n)]
    return list(m.Instrument.objects.filter(pk__in=pks).values_list("lifetime_id", flat=True))


def prepare(args: argparse.Namespace) -> tuple[list[str], list[str], str]:
    """Build or reuse the data set; returns (certificate numbers, lifetime ids, demo password)."""
    from jiliang.platform.demo import DEMO_PASSWORD, build_demo, has_demo
    from jiliang.platform.registry import models as m

    if not has_demo():
        t0 = time.perf_counter()
        build_demo(args.size, args.seed, audit=args.audit)
        print(f"  built demo region in {time.perf_counter() - t0:.0f} s", flush=True)
    print(f"  {m.Instrument.objects.count():,} instruments in the registry", flush=True)
    numbers = _issue_certificates(args.certificates)
    ids = _instrument_ids(200)
    from django.db import connection, connections

    # planner statistics, as PostgreSQL's autovacuum (or SQLite's PRAGMA optimize) gathers them
    # after a bulk load: without them SQLite may sort a whole table for one page of 50
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    connections.close_all()  # the server subprocess owns the database from here
    return numbers, ids, DEMO_PASSWORD


# -- server ------------------------------------------------------------------------------------


def server_name(workers: int, threads: int) -> str:
    if workers == 1:
        return f"waitress {threads} threads"
    return f"gunicorn {workers} processes × {threads} threads"


def start_server(port: int, threads: int, workers: int = 1) -> subprocess.Popen:
    """``jiliang serve`` (waitress; gunicorn for ``workers`` > 1) in a subprocess on
    127.0.0.1:``port``; waits for /healthz."""
    cmd = [
        sys.executable,
        "-m",
        "jiliang",
        "serve",
        "--host",
        HOST,
        "--port",
        str(port),
        "--threads",
        str(threads),
        "--workers",
        str(workers),
        "--no-migrate",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited ({proc.returncode}): {proc.stderr.read()}")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not answer /healthz within 60 s")


def login(port: int, username: str, password: str) -> str:
    """Log in through the login form (GET for the CSRF token, POST); returns the Cookie header."""
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    conn.request("GET", "/login/")
    resp = conn.getresponse()
    page = resp.read().decode()
    cookies = _cookies(resp)
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if resp.status != 200 or match is None or "csrftoken" not in cookies:
        raise SystemExit(f"login page: status {resp.status}, no CSRF token")
    body = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": match.group(1)}
    )
    conn.request(
        "POST",
        "/login/",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={cookies['csrftoken']}",
            "Referer": f"http://{HOST}:{port}/login/",
        },
    )
    resp = conn.getresponse()
    resp.read()
    cookies.update(_cookies(resp))
    conn.close()
    if resp.status != 302 or "sessionid" not in cookies:
        raise SystemExit(f"login as {username} failed: status {resp.status}")
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


def _cookies(resp: http.client.HTTPResponse) -> dict[str, str]:
    out = {}
    for header in resp.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        out[name.strip()] = rest.split(";", 1)[0]
    return out


# -- load --------------------------------------------------------------------------------------


@dataclass
class Result:
    """One target's run: latencies (ms) of the successful requests, errors, wall time (s)."""

    name: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""
    elapsed: float = 0.0

    @property
    def count(self) -> int:
        return len(self.latencies) + self.errors


def run_target(
    name: str,
    port: int,
    paths: list[str],
    headers: dict[str, str],
    args: argparse.Namespace,
) -> Result:
    """``args.clients`` threads request ``paths`` round robin until the duration or the request
    budget is spent; each thread keeps one HTTP/1.1 connection (reopened after an error)."""
    result = Result(name)
    lock = threading.Lock()
    budget = [args.requests]
    stop_at = time.monotonic() + args.duration
    start = threading.Barrier(args.clients + 1)

    def take() -> bool:
        with lock:
            if budget[0] <= 0 or time.monotonic() >= stop_at:
                return False
            budget[0] -= 1
            return True

    def client(k: int) -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        i = k
        start.wait()
        while take():
            path = paths[i % len(paths)]
            i += 1
            t0 = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                resp = conn.getresponse()
                resp.read()
                ok, why = resp.status == 200, f"{path}: HTTP {resp.status}"
            except (OSError, http.client.HTTPException) as exc:
                ok, why = False, f"{path}: {type(exc).__name__}: {exc}"
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=60)
            dt = (time.perf_counter() - t0) * 1000
            with lock:
                if ok:
                    result.latencies.append(dt)
                else:
                    result.errors += 1
                    result.first_error = result.first_error or why
            if args.think_ms:
                time.sleep(args.think_ms / 1000)
        conn.close()

    threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(args.clients)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    result.elapsed = time.perf_counter() - t0
    return result


def warm(port: int, paths: list[str], headers: dict[str, str]) -> None:
    """One request per path before measuring (templates, URL resolver, engine, caches)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=300)
    for path in paths:
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        resp.read()
        if resp.status != 200:
            raise SystemExit(f"warm-up: GET {path} answered {resp.status}")
    conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 000 instruments, 10 s per target")
    parser.add_argument("--size", type=int, default=None, help="demo instruments (20 000)")
    parser.add_argument("--seed", type=int, default=2035)
    parser.add_argument("--audit", action="store_true", help="build with per-row audit entries")
    parser.add_argument("--data-dir", help="build into / reuse the data set in this directory")
    parser.add_argument("--database-url", help="postgres://… (default: SQLite in the data dir)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (50)")
    parser.add_argument("--duration", type=float, default=None, help="s per target (30)")
    parser.add_argument("--requests", type=int, default=None, help="max requests per target")
    parser.add_argument("--think-ms", type=float, default=0.0, help="pause between requests")
    parser.add_argument("--threads", type=int, default=8, help="threads per process (8)")
    parser.add_argument(
        "--workers", type=int, default=1, help="server processes (1: waitress; more: gunicorn)"
    )
    parser.add_argument("--certificates", type=int, default=5, help="issued certificates (5)")
    parser.add_argument(
        "--targets", default="verify,chain,list", help="comma-separated: verify,chain,list"
    )
    args = parser.parse_args()
    args.size = args.size or (2_000 if args.quick else 20_000)
    args.duration = args.duration or (10.0 if args.quick else 30.0)
    args.requests = args.requests or (5_000 if args.quick else 50_000)
    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    unknown = set(targets) - {"verify", "chain", "list"}
    if unknown or args.clients < 1:
        parser.error(f"--targets: unknown {sorted(unknown)}" if unknown else "--clients: ≥ 1")

    os.environ["JILIANG_DATA_DIR"] = args.data_dir or tempfile.mkdtemp(prefix="jl-bench-load-")
    if args.database_url:
        os.environ["JILIANG_DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("JILIANG_DATABASE_URL", None)
    os.environ.setdefault("JILIANG_DCC_SCHEMA_DIR", str(DEFAULT_XSD))
    os.environ["JILIANG_PKI_AUTO_ENROL"] = "1"  # demo labs sign under a throw-away test CA
    os.environ.setdefault("JILIANG_LOG_LEVEL", "ERROR")
    db = "PostgreSQL" if (args.database_url or "").startswith("postgres") else "SQLite"
    print(
        f"jiliang load benchmark: {args.clients} clients, {db}, "
        f"≤ {args.duration:g} s / ≤ {args.requests:,} requests per target, "
        f"{server_name(args.workers, args.threads)}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(f"  data dir {os.environ['JILIANG_DATA_DIR']}", flush=True)
    _setup_django()
    numbers, ids, password = prepare(args)

    port = _free_port()
    server = start_server(port, args.threads, args.workers)
    try:
        cookie = login(port, "regulator", password)
        plans = {
            "verify": ([f"/dcc/{urllib.parse.quote(n)}" for n in numbers], {}),
            "chain": (
                [f"/api/traceability/chain/instrument/{i}" for i in ids],
                {"Cookie": cookie},
            ),
            "list": (["/r/instruments/"], {"Cookie": cookie}),
        }
        results = []
        for name in targets:
            paths, headers = plans[name]
            warm(port, paths[:5], headers)
            res = run_target(name, port, paths, headers, args)
            results.append(res)
            print(f"  {name}: {res.count:,} requests in {res.elapsed:.1f} s", flush=True)
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()

    print()
    print(
        f"| target ({args.size:,} instruments, {db}) | req/s | p50 ms | p95 ms | p99 ms | errors |"
    )
    print("|---|---|---|---|---|---|")
    labels = {
        "verify": "public verify page `/dcc/<no>`",
        "chain": "chain API (session)",
        "list": "instrument list `/r/instruments/` (session)",
    }
    for r in results:
        lat = r.latencies
        print(
            f"| {labels[r.name]} | {r.count / r.elapsed:.1f} | {_pct(lat, 50):.1f} | "
            f"{_pct(lat, 95):.1f} | {_pct(lat, 99):.1f} | {r.errors} |"
        )
    errors = [r for r in results if r.errors]
    for r in errors:
        print(f"  {r.name}: {r.errors} errors, first: {r.first_error}", file=sys.stderr)
    return 1 if errors else 0


def run() -> int:
    """:func:`main`, removing the temporary data directory it made (not a ``--data-dir``)."""
    made = "--data-dir" not in " ".join(sys.argv)
    try:
        return main()
    finally:
        path = os.environ.get("JILIANG_DATA_DIR", "")
        if made and os.path.basename(path).startswith("jl-bench-load-"):
            shutil.rmtree(path, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(run())
