"""Benchmark of jiliang.core.comparisons.pt: Algorithm A and scores for 10⁴ participants.

Times (best of several repeats) Algorithm A (ISO 13528:2022 C.3.1, tol 10⁻⁶), then z, ζ and Eₙ for
every participant, on normal results with 5 % outliers. Side by side, the same with the pt13528
package (ISO 13528 in Python, LGPL) when it is importable — its scores are scalar functions, so
they are called once per participant, which is how a caller would use them. It is not a project
dependency: install it anywhere on PYTHONPATH (e.g. ``pip install --target DIR pt13528``) to
compare; otherwise the script says it is not available.

Usage: python benchmarks/bench_comparisons.py [--participants N] [--repeats R]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from jiliang.core.comparisons import pt


def best_of(fn: Callable[[], object], repeats: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def data(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(20261204)
    x = rng.normal(100.0, 1.0, n)
    k = n // 20
    x[:k] += rng.choice([-1.0, 1.0], k) * rng.uniform(5.0, 30.0, k)
    u = rng.uniform(0.2, 0.6, n)
    return x, u


def jiliang_round(x: np.ndarray, u: np.ndarray) -> tuple[float, float, int]:
    r = pt.algorithm_a(x, tol=1e-6)
    z = pt.z_scores(x, r.location, r.scale)
    pt.zeta_scores(x, u, r.location, r.u_location)
    pt.en_scores(x, 2 * u, r.location, 2 * r.u_location)
    return r.location, r.scale, z.counts()["unsatisfactory"]


def peer_round(x: np.ndarray, u: np.ndarray) -> tuple[float, float, int]:
    from pt13528 import robust, scores  # type: ignore[import-not-found]

    r = robust.algorithm_a(x.tolist(), tol=1e-6)
    loc, s = float(r.location), float(r.scale)
    u_pt = 1.25 * s / np.sqrt(x.size)
    xs, us = x.tolist(), u.tolist()
    z = [scores.z_score(xi, loc, s) for xi in xs]
    [scores.zeta_score(xi, loc, ui, u_pt) for xi, ui in zip(xs, us, strict=True)]
    [scores.en_score(xi, loc, 2 * ui, 2 * u_pt) for xi, ui in zip(xs, us, strict=True)]
    return loc, s, sum(abs(v) >= 3 for v in z)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--participants", type=int, default=10_000)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    x, u = data(args.participants)
    print(f"participants: {x.size}  (Algorithm A tol 1e-6, then z, ζ, Eₙ for all)")

    t_a, r = best_of(lambda: pt.algorithm_a(x, tol=1e-6), args.repeats)
    t_all, (loc, s, bad) = best_of(lambda: jiliang_round(x, u), args.repeats)
    print(
        f"jiliang   Algorithm A {t_a * 1e3:8.2f} ms ({r.iterations} iterations)  "
        f"A + scores {t_all * 1e3:8.2f} ms   x* = {loc:.6f}  s* = {s:.6f}  |z| ≥ 3: {bad}"
    )
    try:
        import pt13528  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        print("pt13528   not available (not installed; see the module docstring)")
        return
    from pt13528 import robust  # type: ignore[import-not-found]

    reps = max(1, min(args.repeats, 3))
    t_pa, _ = best_of(lambda: robust.algorithm_a(x.tolist(), tol=1e-6), reps)
    t_pall, (ploc, ps, pbad) = best_of(lambda: peer_round(x, u), reps)
    print(
        f"pt13528   Algorithm A {t_pa * 1e3:8.2f} ms                 "
        f"A + scores {t_pall * 1e3:8.2f} ms   x* = {ploc:.6f}  s* = {ps:.6f}  |z| ≥ 3: {pbad}"
    )
    print(
        f"ratio peer/jiliang: Algorithm A {t_pa / t_a:.1f}×, A + scores {t_pall / t_all:.1f}×; "
        f"|Δx*| = {abs(ploc - loc):.2e}, |Δs*| = {abs(ps - s):.2e}"
    )


if __name__ == "__main__":
    main()
