"""Benchmark of jiliang.core.uncertainty against GTC 1.5 and uncertainties 3.2 (same run).

LPU: a sum and a product of N independent inputs, N = 10, 10³, 10⁴ — wall time to build the
inputs, propagate and read u(y) (best of several repeats), ratios to the peers, and the growth
factor from N = 10³ to 10⁴ (10 = linear). MCM: trial rate on the JCGM 101 §9.3 mass-calibration
model with 1 and 2 worker threads, the adaptive procedure to 2 significant digits, peak memory.

Usage: python benchmarks/bench_uncertainty.py [--quick]
"""

from __future__ import annotations

import argparse
import functools
import operator
import resource
import time
import tracemalloc
from collections.abc import Callable

import numpy as np
from rich.console import Console
from rich.table import Table

from jiliang.core.uncertainty import Input, InputSet, Rectangular, lpu, mcm

console = Console()


def best_of(fn: Callable[..., object], args: tuple, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - t)
    return min(times)


def lpu_jiliang(x: np.ndarray, u: np.ndarray, kind: str) -> float:
    s = InputSet.from_arrays(x, u)
    model = (lambda v: v.sum(axis=0)) if kind == "sum" else (lambda v: np.prod(v, axis=0))
    return lpu(model, s, vector=True).u


def lpu_uncertainties(x: np.ndarray, u: np.ndarray, kind: str) -> float:
    from uncertainties import ufloat

    vals = [ufloat(a, b) for a, b in zip(x.tolist(), u.tolist(), strict=True)]
    y = sum(vals) if kind == "sum" else functools.reduce(operator.mul, vals)
    return y.std_dev


def lpu_gtc(x: np.ndarray, u: np.ndarray, kind: str) -> float:
    from GTC import uncertainty, ureal

    vals = [ureal(a, b) for a, b in zip(x.tolist(), u.tolist(), strict=True)]
    y = sum(vals) if kind == "sum" else functools.reduce(operator.mul, vals)
    return uncertainty(y)


def bench_lpu(quick: bool) -> None:
    sizes = [10, 1000, 10_000]
    rng = np.random.default_rng(0)
    table = Table(title="LPU: build inputs + propagate + u(y) (best of repeats)")
    for col in ("model", "N", "jiliang", "uncertainties", "GTC", "× vs uncertainties", "× vs GTC"):
        table.add_column(col, justify="right")
    growth: dict[str, dict[str, float]] = {}
    warm = np.ones(3), np.full(3, 0.1)
    for fn in (lpu_jiliang, lpu_uncertainties, lpu_gtc):  # imports and first-call costs
        fn(*warm, "sum")
    for kind in ("sum", "product"):
        for n in sizes:
            # values near 1 keep the product finite and well conditioned
            x = rng.uniform(0.9, 1.1, n)
            u = rng.uniform(1e-4, 1e-3, n)
            reps = 3 if n >= 10_000 else 5
            t_j = best_of(lpu_jiliang, (x, u, kind), reps)
            u_j = lpu_jiliang(x, u, kind)
            t_u = best_of(lpu_uncertainties, (x, u, kind), 1 if n >= 10_000 else 3)
            u_u = lpu_uncertainties(x, u, kind)
            assert abs(u_j - u_u) <= 1e-9 * abs(u_u), (kind, n, u_j, u_u)
            # GTC grows quadratically for the product; keep the run within minutes
            run_gtc = n <= 1000 or (kind == "sum" and not quick)
            t_g = best_of(lpu_gtc, (x, u, kind), 1) if run_gtc else float("nan")
            growth.setdefault(kind, {})[f"{n}"] = t_j
            growth[kind][f"u{n}"] = t_u
            table.add_row(
                kind,
                f"{n}",
                f"{t_j * 1e3:.3f} ms",
                f"{t_u * 1e3:.2f} ms",
                f"{t_g * 1e3:.1f} ms" if run_gtc else "skipped",
                f"{t_u / t_j:.2g}",
                f"{t_g / t_j:.2g}" if run_gtc else "—",
            )
    console.print(table)
    for kind in ("sum", "product"):
        # peers would take minutes here; jiliang alone, to show the growth continues linearly
        for n in (10**5, 10**6):
            x = rng.uniform(0.9, 1.1, n)
            u = rng.uniform(1e-4, 1e-3, n)
            growth[kind][f"{n}"] = best_of(lpu_jiliang, (x, u, kind), 3)
        g = growth[kind]
        console.print(
            f"jiliang {kind}: N=10⁵ {g['100000'] * 1e3:.2f} ms, N=10⁶ {g['1000000'] * 1e3:.1f} ms"
        )
    for kind, g in growth.items():
        console.print(
            f"linearity ({kind}): time(N=10⁴)/time(N=10³) = jiliang {g['10000'] / g['1000']:.1f}, "
            f"uncertainties {g['u10000'] / g['u1000']:.1f} (10 = linear)"
        )


MASS = [
    Input.normal("m_Rc", 100_000.000, 0.050),
    Input.normal("dm_Rc", 1.234, 0.020),
    Input("rho_a", Rectangular(1.10, 1.30)),
    Input("rho_W", Rectangular(7000.0, 9000.0)),
    Input("rho_R", Rectangular(7950.0, 8050.0)),
]


def mass_model(m_Rc, dm_Rc, rho_a, rho_W, rho_R):
    """JCGM 101 §9.3 model, mg."""
    return (m_Rc + dm_Rc) * (1 + (rho_a - 1.2) * (1 / rho_W - 1 / rho_R)) - 100_000.0


def bench_mcm(quick: bool) -> None:
    trials = 4 * 10**6 if quick else 10**8
    table = Table(title="MCM: JCGM 101 §9.3 mass calibration")
    for col in ("run", "trials", "time", "trials/s", "u(y) / mg", "interval / mg"):
        table.add_column(col, justify="right")
    rates = {}
    for workers in (1, 2):
        n = trials if workers == 2 else trials // 4
        res = mcm(mass_model, MASS, trials=n, seed=1, workers=workers)
        rates[workers] = res.trials_per_second
        table.add_row(
            f"fixed M, {workers} thread{'s' if workers > 1 else ''}",
            f"{n:.0e}",
            f"{res.seconds:.2f} s",
            f"{res.trials_per_second:.3g}",
            f"{res.u:.5f}",
            f"[{res.low:.4f}, {res.high:.4f}]",
        )
    times = []
    for seed in range(1, 4 if quick else 6):
        res = mcm(mass_model, MASS, adaptive=True, n_dig=2, seed=seed)
        times.append(res.seconds)
    table.add_row(
        "adaptive §7.9, n_dig = 2 (median)",
        f"{res.trials:.2e}",
        f"{np.median(times):.2f} s",
        f"{res.trials_per_second:.3g}",
        f"{res.u:.5f}",
        f"[{res.low:.4f}, {res.high:.4f}]",
    )
    console.print(table)
    console.print(f"thread scaling: 2 threads / 1 thread = {rates[2] / rates[1]:.2f}")

    # peak memory: tracemalloc sees numpy buffers; a run 10× longer must not need more memory
    peaks = []
    for n in (10**6, 10**7):
        tracemalloc.start()
        mcm(mass_model, MASS, trials=n, seed=1, exact_limit=0)
        peaks.append(tracemalloc.get_traced_memory()[1] / 2**20)
        tracemalloc.stop()
    console.print(
        f"peak traced memory (histogram mode): 10⁶ trials {peaks[0]:.1f} MiB, "
        f"10⁷ trials {peaks[1]:.1f} MiB; process max RSS "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small, fast run")
    args = parser.parse_args()
    bench_lpu(args.quick)
    bench_mcm(args.quick)


if __name__ == "__main__":
    main()
