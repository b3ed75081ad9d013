"""Synthetic areas with known meter errors (模拟台区), for tests, benchmarks and the demo.

Every random choice comes from the ``numpy.random.Generator`` passed in, so a seed reproduces an
area exactly. The truth (each meter's error, the loss, the summary meter's error) is returned
beside the readings so an estimator's accuracy and the honesty of its uncertainty can be
measured.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .balance import AreaData, GainPrior, ids
from .hygiene import Series


@dataclass(frozen=True)
class Scenario:
    """Parameters of a simulated area (relative quantities as fractions, energies in kW·h).

    Meter errors are drawn from N(0, ``error_sd``), with ``outlier_fraction`` of the meters
    instead uniform in ±[``outlier_low``, ``outlier_high``] (faulty or drifted meters). The
    proportional loss and the summary meter's error are drawn from the same normal laws the
    :class:`GainPrior` declares, so the prior is honest by construction.
    """

    n_meters: int = 100
    n_periods: int = 90
    hours: float = 24.0
    mean_daily_kwh: float = 8.0
    day_to_day_sd: float = 0.35  # lognormal σ of each user's day-to-day variation
    error_sd: float = 0.004
    outlier_fraction: float = 0.05
    outlier_low: float = 0.02
    outlier_high: float = 0.06
    noise_rel: float = 0.0005  # relative noise of the balance (summary meter, timing)
    loss_fraction: float = 0.03
    u_loss_fraction: float = 0.002
    summary_error: float = 0.0
    u_summary_error: float = 0.001
    fixed_loss_kw: float = 0.05
    light_load: int = 0  # meters with almost no consumption
    misassigned: int = 0  # meters recorded in this area that feed another one
    resolution_kwh: float = 0.01  # register resolution


@dataclass(frozen=True)
class SimulatedArea:
    area: AreaData
    true_errors: dict[str, float]
    true_loss_fraction: float
    true_summary_error: float
    gain_prior: GainPrior
    misassigned: tuple[str, ...]
    light: tuple[str, ...]


def simulate_area(rng: np.random.Generator, s: Scenario, prefix: str = "m") -> SimulatedArea:
    """One area's period energies as the meters read them, and the truth behind them."""
    p, n = s.n_meters, s.n_periods
    meter_ids = tuple(ids(prefix, p))
    err = rng.normal(0.0, s.error_sd, p)
    n_out = round(s.outlier_fraction * p)
    if n_out:
        which = rng.choice(p, n_out, replace=False)
        sign = rng.choice([-1.0, 1.0], n_out)
        err[which] = sign * rng.uniform(s.outlier_low, s.outlier_high, n_out)
    base = s.mean_daily_kwh * s.hours / 24.0 * rng.lognormal(0.0, 0.6, p)
    light = rng.choice(p, s.light_load, replace=False) if s.light_load else np.array([], int)
    base[light] = 0.0005 * s.mean_daily_kwh
    season = 1.0 + 0.2 * np.sin(np.linspace(0, 2 * np.pi * n / 365.0, n))
    common = season * rng.lognormal(0.0, 0.1, n)
    true_x = base[None, :] * common[:, None] * rng.lognormal(0.0, s.day_to_day_sd, (n, p))
    read = true_x * (1.0 + err[None, :])
    if s.resolution_kwh > 0:
        read = np.round(read / s.resolution_kwh) * s.resolution_kwh
    mis = np.array([], int)
    if s.misassigned:
        rest = np.setdiff1d(np.arange(p), light)
        mis = rng.choice(rest, s.misassigned, replace=False)
    in_area = np.ones(p, bool)
    in_area[mis] = False
    beta = rng.normal(s.loss_fraction, s.u_loss_fraction)
    e_s = rng.normal(s.summary_error, s.u_summary_error)
    hours = np.full(n, s.hours)
    y_true = (true_x[:, in_area].sum(axis=1) + s.fixed_loss_kw * hours) / (1.0 - beta)
    y = y_true * (1.0 + e_s) * (1.0 + rng.normal(0.0, s.noise_rel, n))
    prior = GainPrior(
        loss_fraction=s.loss_fraction,
        u_loss_fraction=s.u_loss_fraction,
        summary_error=s.summary_error,
        u_summary_error=s.u_summary_error,
    )
    return SimulatedArea(
        AreaData(meter_ids, read, y, hours),
        dict(zip(meter_ids, map(float, err), strict=True)),
        float(beta),
        float(e_s),
        prior,
        tuple(meter_ids[i] for i in mis),
        tuple(meter_ids[i] for i in light),
    )


def registers(sim: SimulatedArea, *, start: float = 0.0, base_kwh: float = 1000.0):
    """Cumulative register readings at each period boundary, for the hygiene step.

    Returns ``(summary, meters)`` as :class:`~jiliang.core.monitoring.hygiene.Series`; the
    summary register accumulates ``sim.area.y``, each meter's its column of ``sim.area.x``.
    """
    a = sim.area
    period_s = float(a.hours[0]) * 3600.0
    t = start + period_s * np.arange(a.n_periods + 1)
    summary = Series.of(t, base_kwh + np.concatenate([[0.0], np.cumsum(a.y)]))
    meters = {
        mid: Series.of(t, base_kwh + np.concatenate([[0.0], np.cumsum(a.x[:, i])]))
        for i, mid in enumerate(a.meter_ids)
    }
    return summary, meters
