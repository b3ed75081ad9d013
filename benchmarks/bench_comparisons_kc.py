"""Benchmark: key-comparison analysis (关键比对) for a 100-lab comparison.

Times (best of ``--repeat`` runs, seeded synthetic data):

* weighted-mean KCRV + χ² test + unilateral DoE for N labs;
* the same plus the N×N pairwise DoE matrix;
* DerSimonian–Laird and Paule–Mandel references;
* median KCRV with Monte Carlo u(median) and u(dᵢ) (``--trials`` trials);
* the largest consistent subset of 16 labs with 3 discrepant ones.

No peer implementation is installed (metRology and metafor are R packages), so only our figures
are printed.

    python benchmarks/bench_comparisons_kc.py             # N = 100
    python benchmarks/bench_comparisons_kc.py --labs 1000
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from jiliang.core.comparisons.keycomparison import (
    degrees_of_equivalence,
    dersimonian_laird,
    largest_consistent_subset,
    median_reference,
    pairwise_degrees_of_equivalence,
    paule_mandel,
    weighted_mean,
)


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--labs", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--trials", type=int, default=100_000)
    args = ap.parse_args()
    rng = np.random.default_rng(2002)
    n = args.labs
    u = rng.uniform(0.5, 2.0, n)
    x = 100.0 + u * rng.standard_normal(n)
    labs = [f"NMI{i:04d}" for i in range(n)]

    def kcrv_doe() -> None:
        degrees_of_equivalence(weighted_mean(x, u, labs))

    def with_pairwise() -> None:
        ref = weighted_mean(x, u, labs)
        degrees_of_equivalence(ref)
        pairwise_degrees_of_equivalence(ref.data)

    print(f"labs = {n}")
    t = best(kcrv_doe, args.repeat)
    print(f"weighted mean + χ² + DoE          {t * 1e3:8.3f} ms")
    t = best(with_pairwise, args.repeat)
    print(f"  + pairwise DoE ({n}×{n})         {t * 1e3:8.3f} ms")
    t = best(lambda: degrees_of_equivalence(dersimonian_laird(x, u, labs)), args.repeat)
    print(f"DerSimonian–Laird + DoE           {t * 1e3:8.3f} ms")
    t = best(lambda: degrees_of_equivalence(paule_mandel(x, u, labs)), args.repeat)
    print(f"Paule–Mandel + DoE                {t * 1e3:8.3f} ms")
    t = best(lambda: median_reference(x, u, labs, trials=args.trials, seed=1), 3)
    print(f"median, MCM {args.trials} trials        {t * 1e3:8.1f} ms")
    x16 = np.concatenate([10 + 0.01 * rng.standard_normal(13), [10.2, 9.8, 10.3]])
    u16 = np.full(16, 0.01)
    t = best(lambda: largest_consistent_subset(x16, u16), 3)
    res = largest_consistent_subset(x16, u16)
    print(f"LCS 16 labs ({res.evaluated} subsets)       {t * 1e3:8.1f} ms, excluded {res.excluded}")


if __name__ == "__main__":
    main()
