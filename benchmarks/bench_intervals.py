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

Two paths, timed side by side on the same classes (``--path both``, the default): ``batch``
(``jiliang.core.intervals.batch``: all classes of a chunk vectorised with numpy) and
``per-class`` (``interval_test`` and ``binomial_interval`` once per class). The script prints
both times, how many classes the two paths advise differently (chosen model, or interval /
band beyond 1e-6 relative or 2e-6 d), and the 1-, 5-, 15-minute load average
(``os.getloadavg()``) before and after each timing, since the machine may be shared.

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
from jiliang.core.intervals.batch import binomial_interval_many, interval_test_many

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


def advise_batch(chunk):
    """The same advice as :func:`advise`, through the batch functions (one call per chunk)."""
    a3 = interval_test_many([(t, ok, i0) for i0, _tau, t, ok in chunk], TARGET)
    s2 = binomial_interval_many([(t, ok) for _i0, _tau, t, ok in chunk], TARGET)
    return [
        (
            c[1],
            a.interval_days,
            s.interval_days,
            s.interval_low,
            s.interval_high,
            s.model,
            s.insufficient,
        )
        for c, a, s in zip(chunk, a3, s2, strict=True)
    ]


def run(classes, workers: int, batch: bool = False):
    """Advice for every class, in class order: (wall s, CPU s of this process and its workers,
    results). The per-class path spreads 8 chunks per worker (load balance); the batch path one
    chunk per worker (larger vectorised blocks)."""
    k = workers * 8 if not batch else workers
    chunks = [classes[i::k] for i in range(k)]
    work = advise_batch if batch else advise
    cpu0, t0 = _cpu(), time.perf_counter()
    if workers == 1:
        results = [work(c) for c in chunks]
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(work, chunks))
    wall, cpu = time.perf_counter() - t0, _cpu() - cpu0
    ordered = [None] * len(classes)
    for i, part in enumerate(results):
        ordered[i::k] = part
    return wall, cpu, ordered


def _cpu() -> float:
    """CPU seconds of this process and of its finished child processes (the pool's workers)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def differences(a, b) -> int:
    """Classes whose advice differs between two runs (model, or A3 / S2 interval or band)."""

    def close(x, y) -> bool:
        if x is None or y is None:
            return x is None and y is None
        return math.isclose(x, y, rel_tol=1e-6, abs_tol=2e-6)

    return sum(
        ra[5] != rb[5] or ra[6] != rb[6] or not all(close(ra[k], rb[k]) for k in (1, 2, 3, 4))
        for ra, rb in zip(a, b, strict=True)
    )


def load() -> str:
    return "load average " + " ".join(f"{v:.2f}" for v in os.getloadavg())


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
    parser.add_argument("--path", choices=("both", "batch", "per-class"), default="both")
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
    timed = {}
    for path in ("batch", "per-class"):
        if args.path not in ("both", path):
            continue
        before = load()
        wall, cpu, results = run(classes, args.workers, batch=path == "batch")
        timed[path] = results
        done, coverage, err, models = summarise(results)
        print(
            f"[{path}] interval advice (A3 + S2, 4 models) for {n} classes on {args.workers} "
            f"worker(s): {wall:.1f} s  ({1e3 * wall / n:.2f} ms/class, "
            f"{n * args.per_class / wall:,.0f} instruments/s), CPU {cpu:.1f} s; "
            f"{before} before, {load()} after"
        )
        print(
            f"  S2 advice for {done}/{n} classes; 95 % band contains the true interval in "
            f"{100 * coverage:.1f} %; median |τ̂/τ − 1| = {err:.3f}; models chosen {models}"
        )
    if len(timed) == 2:
        print(
            f"batch vs per-class: {differences(timed['batch'], timed['per-class'])} of {n} "
            "classes advised differently (model, or interval/band beyond 1e-6 rel, 2e-6 d)"
        )
    if args.suncal:
        compare_suncal(classes, args.suncal, min(args.suncal_sample, n))


if __name__ == "__main__":
    main()
