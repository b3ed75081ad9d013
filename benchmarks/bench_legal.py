"""Legal-metrology figures: a verifiable double-random draw over 10⁵ objects and the coverage
indicators of 10⁶ synthetic filed instruments (numpy).

    python benchmarks/bench_legal.py            # full sizes (10⁵ objects, 10⁶ instruments)
    python benchmarks/bench_legal.py --quick    # 10⁴ / 10⁵, for CI

Targets (issue 7): draw < 1 s; coverage for a region of 10⁶ instruments < 10 s. Draws are timed
with every algorithm that still verifies (the current one first); the time includes validating
and hashing the pools (``run_draw``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

import numpy as np

from jiliang.core.legal.catalogue import Catalogue
from jiliang.core.legal.coverage import (
    coverage_report,
    deadlines,
    on_time_mask,
    rules_for_arrays,
)
from jiliang.core.legal.draw import ALGORITHM, ALGORITHMS, run_draw, verify


def _pools(n: int, rng: np.random.Generator, weighted: bool) -> dict:
    classes = np.array(["high", "medium_high", "medium", "low"])[rng.integers(0, 4, n)]
    return {
        "items": [{"id": "scale-accuracy", "ratio": 0.02}],
        "objects": [
            {"id": f"E{i:07d}", "org": f"ORG{i % 20000}", "risk_class": str(c)}
            for i, c in enumerate(classes)
        ],
        "inspectors": [
            {"id": f"I{j:04d}", "org": f"BUREAU{j % 40}", "conflicts": [f"ORG{j}"]}
            for j in range(400)
        ],
        "params": {"inspectors_per_object": 2, "weight_by_risk": weighted},
    }


def bench_draw(n: int, rng: np.random.Generator) -> None:
    algorithms = [ALGORITHM, *(a for a in ALGORITHMS if a != ALGORITHM)]
    for weighted in (False, True):
        pools = _pools(n, rng, weighted)
        seed = rng.bytes(32)
        for algorithm in algorithms:
            pools["params"]["algorithm"] = algorithm
            t0 = time.perf_counter()
            record = run_draw(pools, seed)
            t_draw = time.perf_counter() - t0
            t0 = time.perf_counter()
            ok = verify(record).ok
            t_verify = time.perf_counter() - t0
            label = "weighted by risk" if weighted else "ratio 2 %"
            print(
                f"draw {algorithm} {label:17s} {n:>9,d} objects → "
                f"{len(record.selections):>6,d} drawn: {t_draw:6.3f} s "
                f"(target < 1 s, ratio {t_draw / 1.0:.2f}); verify {t_verify:6.3f} s ok={ok}"
            )


def bench_coverage(n: int, rng: np.random.Generator) -> None:
    catalogue = Catalogue.from_rulebook(as_of=dt.date(2026, 1, 1))
    codes = np.array(catalogue.verification_codes())
    item = codes[rng.integers(0, codes.size, n)]
    use = np.array(
        [
            "trade_settlement",
            "safety_protection",
            "medical_care",
            "environmental_monitoring",
            "other",
        ]
    )[rng.integers(0, 5, n)]
    params = {
        "dn_mm": rng.choice([15, 20, 25, 40, 50, 80, 100], n),
        "g_size": rng.choice([1.6, 2.5, 4.0, 6.0, 25.0], n),
        "type": rng.choice(["automatic", "mercury", "aneroid"], n),
    }
    last = np.datetime64("2026-11-23") - rng.integers(0, 8 * 365, n).astype("timedelta64[D]")
    passed = rng.random(n) > 0.03
    columns = {
        "region": rng.integers(0, 40, n).astype(str),
        "item_code": item,
        "use": use,
        "owner": rng.integers(0, 50_000, n).astype(str),
    }
    t0 = time.perf_counter()
    mode, months = rules_for_arrays(catalogue, item, use, params)
    dl = deadlines(mode, months, last, last)
    ok = on_time_mask(mode, dl, last, passed, dt.date(2026, 11, 23))
    report = coverage_report(columns, mode, ok)
    elapsed = time.perf_counter() - t0
    region_shares = [g.share for g in report["region"]]
    print(
        f"coverage {n:>11,d} instruments, 4 groupings: {elapsed:6.3f} s "
        f"(target < 10 s, ratio {elapsed / 10:.3f}); {len(report['owner']):,d} owners; "
        f"on-time share by region {min(region_shares):.3f}-{max(region_shares):.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    args = parser.parse_args()
    rng = np.random.default_rng(2026)
    bench_draw(10_000 if args.quick else 100_000, rng)
    bench_coverage(100_000 if args.quick else 1_000_000, rng)


if __name__ == "__main__":
    main()
