"""Drift of a meter's error: weighted trend, crossing date, EWMA and CUSUM alarms."""

from __future__ import annotations

import numpy as np
import pytest

from jiliang.core.monitoring.balance import MonitoringError
from jiliang.core.monitoring.drift import crossing, cusum, ewma, trend


def test_trend_on_exact_points_and_its_crossing():
    t = np.array([0.0, 30.0, 60.0, 90.0])
    e = 0.002 + 0.0001 * t  # 0.01 %/day from 0.2 %
    tr = trend(t, e, np.full(4, 0.0005))
    assert tr.slope == pytest.approx(1e-4)
    assert tr.at(0.0)[0] == pytest.approx(0.002)
    c = crossing(tr, 0.02)
    assert c.time == pytest.approx(180.0)  # (0.02 − 0.002) / 1e-4
    assert c.limit == 0.02 and c.u_time > 0


def test_crossing_uncertainty_matches_monte_carlo():
    rng = np.random.default_rng(1)
    t = np.linspace(0, 180, 7)
    u = np.full(7, 0.001)
    truth = 0.001 + 5e-5 * t
    base = trend(t, truth + rng.normal(0, 0.001, 7), u)
    c = crossing(base, 0.02)
    sims = []
    for _ in range(4000):
        tr = trend(t, truth + rng.normal(0, 0.001, 7), u)
        cr = crossing(tr, 0.02)
        if cr:
            sims.append(cr.time)
    # first-order u(t*) vs the spread of t* over repeated data: agree within 25 %
    assert np.std(sims) == pytest.approx(c.u_time, rel=0.25)


def test_no_crossing_without_significant_drift():
    rng = np.random.default_rng(2)
    t = np.arange(6.0)
    tr = trend(t, rng.normal(0, 0.001, 6), np.full(6, 0.001))
    assert crossing(tr, 0.02) is None


def test_scatter_beyond_the_stated_u_inflates_the_trend_covariance():
    t = np.arange(8.0)
    e = np.array([0, 0.01, -0.01, 0.01, -0.01, 0.01, -0.01, 0.0])
    tr = trend(t, e, np.full(8, 0.001))
    assert tr.birge_ratio > 5
    assert tr.u_slope > 5 * trend(t, np.zeros(8) + 1e-5 * t, np.full(8, 0.001)).u_slope


def test_ewma_and_cusum_stay_quiet_in_control_and_signal_a_shift():
    rng = np.random.default_rng(3)
    calm = rng.normal(0, 1, 100)
    assert len(ewma(calm)) <= 2 and len(cusum(calm)) <= 1
    shifted = np.concatenate([calm[:50], rng.normal(1.5, 1, 30)])
    assert any(i >= 50 for i in ewma(shifted))
    first = cusum(shifted)
    assert first and 50 <= first[0] < 65


def test_bad_input_names_the_field():
    with pytest.raises(MonitoringError, match="u"):
        trend([0, 1, 2], [0, 0, 0], [0.1, 0.0, 0.1])
    with pytest.raises(MonitoringError, match="errors"):
        trend([0, 1], [0, 0], [0.1, 0.1])
    with pytest.raises(MonitoringError, match="mpe"):
        crossing(trend([0, 1, 2], [0, 1, 2], [1, 1, 1]), 0)
