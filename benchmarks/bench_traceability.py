"""Benchmark: validate every instrument's traceability chain (量值传递溯源) at national scale.

Builds a seeded synthetic region (``jiliang.core.traceability.synthetic``: ~300 standards,
60 organisations, one calibration per instrument, 2 % faulty data) and times:

* full validation of all instruments (TraceabilityEngine construction: columns + all checks);
* coverage by region and by category, the gap finder, a what-if on a provincial standard;
* one instrument's full chain (scalar resolver): p50/p95 over random instruments.

Prints figures and peak RSS. Goal (issue 4): 10⁶ instruments < 30 s on 2 cores; one chain
< 10 ms p95.

    python benchmarks/bench_traceability.py            # 10⁶ instruments
    python benchmarks/bench_traceability.py --quick    # 10⁵
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import time
from datetime import date

from jiliang.core.traceability import TraceabilityEngine, coverage, find_gaps, what_if
from jiliang.core.traceability.synthetic import generate

ASOF = date(2025, 12, 31)


def rss_mb() -> float:
    """Peak resident set size of this process so far, MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(label: str, fn):
    t0 = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t0
    print(f"{label:<44s} {dt:9.3f} s   peak RSS {rss_mb():8.0f} MiB")
    return out, dt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="number of instruments")
    parser.add_argument("--quick", action="store_true", help="10⁵ instruments")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--chains", type=int, default=500, help="single chains to time")
    args = parser.parse_args()
    size = 100_000 if args.quick else args.size

    print(f"jiliang traceability benchmark: {size:,} instruments, as of {ASOF}")
    records, _ = timed("generate synthetic records", lambda: generate(size, seed=args.seed))
    # the records live for the whole run: keep the cyclic GC from rescanning them
    gc.collect()
    gc.freeze()
    print(
        f"  {len(records.instruments):,} instruments, {len(records.standards)} standards, "
        f"{len(records.organisations)} organisations, {len(records.events):,} events"
    )
    engine, t_all = timed(
        "validate all chains (engine build)", lambda: TraceabilityEngine(records, ASOF)
    )
    print(f"  verdicts: {engine.counts()}")
    print(f"  throughput: {size / t_all:,.0f} instruments/s")
    by_region, _ = timed("coverage by region", lambda: coverage(engine, "region"))
    timed("coverage by category", lambda: coverage(engine, "category"))
    timed("coverage by level", lambda: coverage(engine, "level"))
    for g in by_region["groups"][:3]:
        print(f"  region {g['group']}: {g['rate']:.1%} of {g['total']:,}")
    gaps, _ = timed("gap finder (province, flat=False)", lambda: find_gaps(engine))
    print(f"  gaps: {len(gaps)}")
    target = next(s.id for s in records.standards if s.owner == "PROV")
    result, _ = timed(f"what-if: withdraw {target}", lambda: what_if(engine, withdrawn=[target]))
    print(f"  instruments losing traceability: {len(result.lost_instruments):,}")

    ids = random.Random(args.seed).sample(engine.instruments.ids, min(args.chains, size))
    timed("index instruments for single chains (once)", lambda: engine.chain("instrument", ids[0]))
    lat = []
    for iid in ids:
        t0 = time.perf_counter()
        engine.chain("instrument", iid)
        lat.append(time.perf_counter() - t0)
    lat.sort()
    p50, p95 = lat[len(lat) // 2], lat[int(len(lat) * 0.95) - 1]
    print(f"{'one chain (scalar resolver)':<44s} p50 {p50 * 1e3:.3f} ms  p95 {p95 * 1e3:.3f} ms")
    print(
        f"SUMMARY size={size} validate_all_s={t_all:.2f} "
        f"chain_p95_ms={p95 * 1e3:.3f} peak_rss_mib={rss_mb():.0f}"
    )


if __name__ == "__main__":
    main()
