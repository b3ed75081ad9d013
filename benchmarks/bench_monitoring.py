"""Smart-meter remote error estimation: accuracy against the oracle, and fleet speed on Dask.

    python benchmarks/bench_monitoring.py            # accuracy scenarios + a 200-area fleet
    python benchmarks/bench_monitoring.py --quick    # fewer areas, a 20-area fleet
    python benchmarks/bench_monitoring.py --fleet-areas 5000 --meters 200   # issue 14's size
    python benchmarks/bench_monitoring.py --fleet-only --fleet-areas 40 --days 90   # reduced
    python benchmarks/bench_monitoring.py --fleet-only --period 15min --days 10      # 15-minute

Accuracy (issue 14): on simulated areas with known errors, for each estimator and for the
oracle (the same regression told the true loss and the true summary-meter error, so the
common gain is exact): RMSE of ê, coverage of ê ± 2u, detection rate of truly
out-of-tolerance meters (class 2, |e| > 2 %), confident wrong verdicts (out of tolerance when
conforming or vice versa). Goals: RMSE within 1.2× the oracle's, coverage 93–97 %, zero
confident wrong verdicts.

Fleet: simulated areas written as Parquet partitioned by area and date, then estimated with
``run_fleet`` on a Dask LocalCluster of 1 and of 2 single-threaded workers; prints the time,
meters/s, the per-area time (after the cluster's start), the 10⁶-meter extrapolation, the
speed-up, the peak RSS of this process and of the largest worker, and the load average
(``os.getloadavg()``) before and after — on a shared machine the load decides the speed-up.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time

import numpy as np

from jiliang.core.monitoring import fleet
from jiliang.core.monitoring.balance import GainPrior, fit_area
from jiliang.core.monitoring.decision import MeterVerdict, judge
from jiliang.core.monitoring.simulate import Scenario, registers, simulate_area

SCENARIOS = {
    "daily, 50 meters × 365 d, noise 0.05 %": Scenario(n_meters=50, n_periods=365),
    "hourly, 200 meters × 30 d, noise 0.1 %": Scenario(
        n_meters=200, n_periods=720, hours=1.0, noise_rel=0.001, day_to_day_sd=0.6
    ),
    "15-min, 100 meters × 10 d, noise 0.01 %": Scenario(
        n_meters=100, n_periods=960, hours=0.25, noise_rel=0.0001, day_to_day_sd=0.8
    ),
    "daily, 200 meters × 90 d (underdetermined)": Scenario(n_meters=200, n_periods=90),
}

ESTIMATORS = {"ols": {}, "huber(ols)": {"robust": True}, "rls": {"method": "rls"}}


def _score(fits_truth) -> dict:
    err, hit, n, out, found, wrong, reported = [], 0, 0, 0, 0, 0, 0
    for fit, truth in fits_truth:
        for m in fit.meters:
            true = truth[m.meter_id]
            out += abs(true) > 0.02
            v = judge(m, "2").verdict
            if not m.identifiable:
                continue
            reported += 1
            err.append(m.error - true)
            n += 1
            hit += abs(true - m.error) <= 2 * m.u
            if v is MeterVerdict.OUT_OF_TOLERANCE:
                found += abs(true) > 0.02
                wrong += abs(true) <= 0.02
            elif v is MeterVerdict.CONFORMING:
                wrong += abs(true) > 0.02
    return {
        "rmse": float(np.sqrt(np.mean(np.square(err)))) if err else float("nan"),
        "coverage": hit / n if n else float("nan"),
        "detected": found / out if out else float("nan"),
        "wrong": wrong,
        "reported": reported,
    }


def bench_accuracy(n_areas: int) -> None:
    print(f"accuracy: {n_areas} simulated areas per scenario; class 2 (MPE 2 %)")
    for label, sc in SCENARIOS.items():
        sims = [simulate_area(np.random.default_rng(1000 + i), sc) for i in range(n_areas)]
        total = sum(s.area.n_meters for s in sims)
        rows = {}
        for name, kw in ESTIMATORS.items():
            t0 = time.perf_counter()
            fits = [(fit_area(s.area, gain=s.gain_prior, **kw), s.true_errors) for s in sims]
            rows[name] = (_score(fits), time.perf_counter() - t0)
        t0 = time.perf_counter()
        oracle = [
            (
                fit_area(
                    s.area,
                    gain=GainPrior(
                        loss_fraction=s.true_loss_fraction, summary_error=s.true_summary_error
                    ),
                ),
                s.true_errors,
            )
            for s in sims
        ]
        rows["oracle"] = (_score(oracle), time.perf_counter() - t0)
        ref = rows["oracle"][0]["rmse"]
        print(f"  {label}")
        for name, (r, secs) in rows.items():
            ratio = r["rmse"] / ref if ref == ref and ref > 0 else float("nan")
            print(
                f"    {name:11s} RMSE {r['rmse'] * 100:7.3f} % ({ratio:4.2f}× oracle)  "
                f"coverage {r['coverage'] * 100:5.1f} %  detected {r['detected'] * 100:5.1f} %  "
                f"wrong verdicts {r['wrong']:3d}  reported {r['reported']:5d}/{total}  "
                f"{secs / n_areas * 1000:7.1f} ms/area"
            )


def _load() -> str:
    avg = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"load average {avg} ({os.cpu_count()} cores)"


def bench_fleet(n_areas: int, meters: int, days: int, period: str = "hourly") -> None:
    per_day = {"hourly": 24, "15min": 96, "daily": 1}[period]
    hours = 24.0 / per_day
    sc = Scenario(
        n_meters=meters,
        n_periods=days * per_day,
        hours=hours,
        noise_rel=0.0001 if period == "15min" else 0.001,
        day_to_day_sd=0.8 if period == "15min" else 0.35,
    )
    start = 1_735_689_600
    with tempfile.TemporaryDirectory() as root:
        t0 = time.perf_counter()
        prior = None
        for a in range(n_areas):
            sim = simulate_area(np.random.default_rng(a), sc, prefix=f"A{a:05d}")
            summary, series = registers(sim, start=start)
            fleet.write_area(root, f"A{a:05d}", summary, series, {m: "2" for m in series})
            prior = sim.gain_prior
        t_write = time.perf_counter() - t0
        readings = n_areas * (meters + 1) * (sc.n_periods + 1)
        print(
            f"fleet: {n_areas} areas × {meters} meters, {period} × {days} d "
            f"({readings:,d} readings) written as Parquet in {t_write:.1f} s"
        )
        cfg = fleet.FleetConfig(
            start=start, period_s=hours * 3600, n_periods=sc.n_periods, gain=prior
        )
        times, per_area, cpu_area = {}, {}, {}
        for workers in (1, 2):
            out = f"{root}/results-{workers}.parquet"
            before = _load()
            s = fleet.run_fleet(root, out, cfg, n_workers=workers)
            startup = getattr(s, "startup_seconds", 0.0)
            times[workers] = s.seconds
            per_area[workers] = (s.seconds - startup) / n_areas
            wpeak = getattr(s, "worker_peak_rss_mib", None)
            cpu = getattr(s, "worker_cpu_seconds", None)
            cpu_area[workers] = cpu / n_areas if cpu is not None else float("nan")
            print(
                f"  dask LocalCluster {workers} worker(s): {s.seconds:7.1f} s "
                f"(start {startup:.1f} s), {s.meters / s.seconds:8.0f} meters/s, "
                f"{per_area[workers] * 1000:6.0f} ms/area of wall time, "
                f"{cpu_area[workers] * 1000:6.0f} ms/area of worker CPU, "
                f"worker peak RSS {wpeak or float('nan'):.0f} MiB, "
                f"verdicts {dict(sorted(s.verdicts.items()))}, area errors {s.area_errors}; "
                f"{before} → {_load()}"
            )
        fleet_areas = 10**6 // meters
        minutes = (startup + per_area[2] * fleet_areas) / 60
        print(
            f"  speed-up 2 vs 1 worker: {per_area[1] / per_area[2]:.2f}× after start "
            f"({times[1] / times[2]:.2f}× with it); "
            f"10⁶ meters ({fleet_areas} areas) at the 2-worker rate: {minutes:.1f} min "
            f"(extrapolated: start + {fleet_areas} × per-area; target < 10 min); "
            f"on 2 free cores (worker CPU/area × {fleet_areas} / 2): "
            f"{(startup + cpu_area[2] * fleet_areas / 2) / 60:.1f} min"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak RSS of the driver process: {peak:.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer areas")
    parser.add_argument("--fleet-areas", type=int, default=None)
    parser.add_argument("--meters", type=int, default=200)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--period", choices=("hourly", "15min", "daily"), default="hourly")
    parser.add_argument("--fleet-only", action="store_true", help="skip the accuracy part")
    args = parser.parse_args()
    if not args.fleet_only:
        bench_accuracy(5 if args.quick else 20)
    areas = args.fleet_areas or (20 if args.quick else 200)
    bench_fleet(areas, args.meters, args.days, args.period)


if __name__ == "__main__":
    main()
