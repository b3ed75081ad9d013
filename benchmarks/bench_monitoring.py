"""Smart-meter remote error estimation: accuracy against the oracle, and fleet speed on Dask.

    python benchmarks/bench_monitoring.py            # accuracy scenarios + a 200-area fleet
    python benchmarks/bench_monitoring.py --quick    # fewer areas, a 20-area fleet
    python benchmarks/bench_monitoring.py --fleet-areas 5000 --meters 200   # issue 14's size

Accuracy (issue 14): on simulated areas with known errors, for each estimator and for the
oracle (the same regression told the true loss and the true summary-meter error, so the
common gain is exact): RMSE of ê, coverage of ê ± 2u, detection rate of truly
out-of-tolerance meters (class 2, |e| > 2 %), confident wrong verdicts (out of tolerance when
conforming or vice versa). Goals: RMSE within 1.2× the oracle's, coverage 93–97 %, zero
confident wrong verdicts.

Fleet: simulated areas written as Parquet partitioned by area and date, then estimated with
``run_fleet`` on a Dask LocalCluster of 1 and of 2 single-threaded workers; prints the time,
meters/s, the speed-up and the peak RSS of this process (workers are separate processes).
"""

from __future__ import annotations

import argparse
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


def bench_fleet(n_areas: int, meters: int, days: int) -> None:
    sc = Scenario(n_meters=meters, n_periods=days * 24, hours=1.0, noise_rel=0.001)
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
            f"fleet: {n_areas} areas × {meters} meters, hourly × {days} d "
            f"({readings:,d} readings) written as Parquet in {t_write:.1f} s"
        )
        cfg = fleet.FleetConfig(start=start, period_s=3600, n_periods=sc.n_periods, gain=prior)
        times = {}
        for workers in (1, 2):
            out = f"{root}/results-{workers}.parquet"
            s = fleet.run_fleet(root, out, cfg, n_workers=workers)
            times[workers] = s.seconds
            print(
                f"  dask LocalCluster {workers} worker(s): {s.seconds:7.1f} s, "
                f"{s.meters / s.seconds:8.0f} meters/s, verdicts {dict(sorted(s.verdicts.items()))}"
                f", area errors {s.area_errors}"
            )
        per_area = times[2] / n_areas
        print(
            f"  speed-up 2 vs 1 worker: {times[1] / times[2]:.2f}×; "
            f"10⁶ meters ({10**6 // meters} areas) at this rate: "
            f"{per_area * 10**6 / meters / 60:.1f} min (extrapolated, target < 10 min)"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak RSS of the driver process: {peak:.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer areas")
    parser.add_argument("--fleet-areas", type=int, default=None)
    parser.add_argument("--meters", type=int, default=200)
    parser.add_argument("--days", type=int, default=30)
    args = parser.parse_args()
    bench_accuracy(5 if args.quick else 20)
    areas = args.fleet_areas or (20 if args.quick else 200)
    bench_fleet(areas, args.meters, args.days)


if __name__ == "__main__":
    main()
