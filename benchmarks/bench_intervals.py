"""Calibration-interval advice for every instrument class of a region (issue 15).

    python benchmarks/bench_intervals.py                 # 10⁴ classes × 100 instruments = 10⁶
    python benchmarks/bench_intervals.py --quick         # 500 classes
    python benchmarks/bench_intervals.py --suncal /path/to/site-packages   # side by side

Simulated histories: each class has a current interval (180–730 d) and a true reliability model
(exponential or Weibull with shape 1.5–3, its true interval for R = 0.9 between 0.5 and 2× the
current one); each instrument has 2–6 calibrations whose resubmission times scatter around the
class interval (±30 %, some late). Advice per class: the A3 interval test at the current
interval and method S2 with all four reliability models (exponential, Weibull, mixed
exponential, random walk), chosen by AIC among those the RP-1 F-test accepts. The advice runs in
``--workers`` processes (default 2, the machine's cores); the wall-clock time of that phase is
the figure (goal: < 60 s for 10⁶ instruments on 2 cores). Accuracy: the share of classes whose
S2 band contains the true interval, and the median |τ̂/τ − 1|.

``--suncal DIR`` adds Sandia's Suncal (``suncal.intervals``, pip package ``suncal``; its
dependencies incl. matplotlib in DIR, e.g. ``pip install --target DIR suncal``) on a sample of
classes: A3 by ``a3_testinterval`` and S2 by ``s2_binom_interval`` on ``S2Params.from_assets``
(8 histogram bins, its 10 models, its figure of merit), per-class time and agreement.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from jiliang.core.intervals import binomial_interval, interval_test

TARGET = 0.9


def simulate(n_classes: int, per_class: int, seed: int = 15):
    """Per class: (current interval, true τ, intervals array, in-tolerance array)."""
    rng = np.random.default_rng(seed)
    classes = []
    for _ in range(n_classes):
        i0 = float(rng.choice([180.0, 365.0, 545.0, 730.0]))
        tau = i0 * math.exp(rng.uniform(math.log(0.5), math.log(2.0)))
        shape = 1.0 if rng.random() < 0.5 else float(rng.uniform(1.5, 3.0))
        scale = tau / (-math.log(TARGET)) ** (1.0 / shape)
        n_events = int(rng.integers(2, 7, size=per_class).sum())
        t = np.round(i0 * rng.uniform(0.7, 1.3, size=n_events))
        late = rng.random(n_events) < 0.1
        t[late] = np.round(t[late] * rng.uniform(1.3, 2.0, size=int(late.sum())))
        ok = rng.random(n_events) < np.exp(-((t / scale) ** shape))
        classes.append((i0, tau, t, ok))
    return classes


def advise(chunk):
    out = []
    for i0, tau, t, ok in chunk:
        a3 = interval_test(t, ok, i0, TARGET)
        s2 = binomial_interval(t, ok, TARGET)
        out.append(
            (
                tau,
                a3.interval_days,
                s2.interval_days,
                s2.interval_low,
                s2.interval_high,
                s2.model,
                s2.insufficient,
            )
        )
    return out


def run(classes, workers: int):
    chunks = [classes[i :: workers * 8] for i in range(workers * 8)]
    t0 = time.perf_counter()
    if workers == 1:
        results = [advise(c) for c in chunks]
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(advise, chunks))
    return time.perf_counter() - t0, [r for part in results for r in part]


def summarise(results):
    ok = [r for r in results if r[2] is not None]
    covered = [r[3] is not None and r[4] is not None and r[3] <= r[0] <= r[4] for r in ok]
    err = [abs(r[2] / r[0] - 1) for r in ok]
    models = {}
    for r in ok:
        models[r[5]] = models.get(r[5], 0) + 1
    return len(ok), float(np.mean(covered)), float(np.median(err)), models


def compare_suncal(classes, path: str, sample: int) -> None:
    sys.path.append(path)  # after the venv, so the venv's numpy/scipy stay in use
    try:
        from suncal.intervals import A3Params, S2Params, a3_testinterval, s2_binom_interval
    except ImportError as exc:
        print(f"suncal not importable from {path}: {exc}")
        return
    import warnings

    warnings.filterwarnings("ignore")
    sub = classes[:sample]
    ours_a3 = []
    t0 = time.perf_counter()
    for i0, _tau, t, ok in sub:
        ours_a3.append(interval_test(t, ok, i0, TARGET).interval_days)
    t_ours_a3 = time.perf_counter() - t0
    t0 = time.perf_counter()
    ours_s2 = [binomial_interval(t, ok, TARGET) for _i0, _tau, t, ok in sub]
    t_ours_s2 = time.perf_counter() - t0

    def asset(t, ok):
        ends = np.cumsum(t)
        return {"startdates": ends - t, "enddates": ends, "passfail": ok.astype(float)}

    sc_a3 = []
    t0 = time.perf_counter()
    for i0, _tau, t, ok in sub:
        p = A3Params.from_assets([asset(t, ok)], I0=i0, target=TARGET)
        sc_a3.append(a3_testinterval(p).interval)
    t_sc_a3 = time.perf_counter() - t0
    sc_s2 = []
    t0 = time.perf_counter()
    for _i0, _tau, t, ok in sub:
        try:
            res = s2_binom_interval(S2Params.from_assets([asset(t, ok)], target=TARGET))
            sc_s2.append(float(res.interval))
        except Exception:  # count the peer's failures, do not stop
            sc_s2.append(math.nan)
    t_sc_s2 = time.perf_counter() - t0

    a3_same = np.mean([abs(a - b) < 0.5 for a, b in zip(ours_a3, sc_a3, strict=True)])
    taus = np.array([c[1] for c in sub])
    ours = np.array([r.interval_days if r.interval_days else math.nan for r in ours_s2])
    sc = np.array(sc_s2)
    print(f"\nside by side with suncal on {sample} classes (same histories):")
    print(
        f"  A3  ours {1e3 * t_ours_a3 / sample:7.2f} ms/class  suncal "
        f"{1e3 * t_sc_a3 / sample:7.2f} ms/class  ratio {t_sc_a3 / t_ours_a3:5.1f}×  "
        f"same interval (±0.5 d): {100 * a3_same:.1f} %"
    )
    print(
        f"  S2  ours {1e3 * t_ours_s2 / sample:7.2f} ms/class  suncal "
        f"{1e3 * t_sc_s2 / sample:7.2f} ms/class  ratio {t_sc_s2 / t_ours_s2:5.1f}×"
    )
    for name, v in (("ours", ours), ("suncal", sc)):
        good = np.isfinite(v) & (v > 0)
        print(
            f"  S2 {name:6s}: advice for {100 * good.mean():5.1f} % of classes, median "
            f"|τ̂/τ − 1| = {np.median(np.abs(v[good] / taus[good] - 1)):.3f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--classes", type=int, default=10_000)
    parser.add_argument("--per-class", type=int, default=100)
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--quick", action="store_true", help="500 classes")
    parser.add_argument("--suncal", metavar="DIR", help="site dir holding suncal + its deps")
    parser.add_argument("--suncal-sample", type=int, default=200)
    args = parser.parse_args()
    n = 500 if args.quick else args.classes

    t0 = time.perf_counter()
    classes = simulate(n, args.per_class)
    events = sum(c[2].size for c in classes)
    print(
        f"simulated {n} classes × {args.per_class} instruments = {n * args.per_class:,} "
        f"instruments, {events:,} calibrations in {time.perf_counter() - t0:.1f} s"
    )
    wall, results = run(classes, args.workers)
    done, coverage, err, models = summarise(results)
    print(
        f"interval advice (A3 + S2, 4 models) for {n} classes on {args.workers} worker(s): "
        f"{wall:.1f} s  ({1e3 * wall / n:.2f} ms/class, "
        f"{n * args.per_class / wall:,.0f} instruments/s)"
    )
    print(
        f"  S2 advice for {done}/{n} classes; 95 % band contains the true interval in "
        f"{100 * coverage:.1f} %; median |τ̂/τ − 1| = {err:.3f}; models chosen {models}"
    )
    if args.suncal:
        compare_suncal(classes, args.suncal, min(args.suncal_sample, n))


if __name__ == "__main__":
    main()
