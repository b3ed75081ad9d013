"""Data hygiene for the area balance: registers → period energies, with every defect named."""

from __future__ import annotations

import numpy as np
import pytest

from jiliang.core.monitoring.balance import MonitoringError, fit_area
from jiliang.core.monitoring.hygiene import Series, period_energies
from jiliang.core.monitoring.simulate import Scenario, registers, simulate_area

DAY = 86400.0


def _setup(seed=0, **kw):
    sim = simulate_area(np.random.default_rng(seed), Scenario(n_meters=12, n_periods=60, **kw))
    summary, meters = registers(sim)
    return sim, summary, meters


def _clean(summary, meters, **kw):
    return period_energies(summary, meters, start=0.0, period_s=DAY, n_periods=60, **kw)


def test_clean_registers_give_back_the_period_energies():
    sim, summary, meters = _setup()
    out = _clean(summary, meters)
    assert out.usable and not out.issues
    np.testing.assert_allclose(out.area.x, sim.area.x, rtol=1e-12)
    np.testing.assert_allclose(out.area.y, sim.area.y, rtol=1e-12)
    np.testing.assert_allclose(out.area.hours, 24.0)


def test_a_missing_reading_merges_two_periods_exactly():
    sim, summary, meters = _setup()
    m = sim.area.meter_ids[3]
    s = meters[m]
    meters[m] = Series.of(np.delete(s.t, 10), np.delete(s.register, 10))
    # gaps of two periods are interpolated by default; forbid it to see the merge
    out = _clean(summary, meters, max_gap_s=DAY)
    assert out.area.n_periods == 59
    merged = out.area.hours == 48.0
    assert merged.sum() == 1
    np.testing.assert_allclose(out.area.x[merged][0], sim.area.x[9] + sim.area.x[10])
    assert out.area.x.sum() == pytest.approx(sim.area.x.sum())


def test_duplicates_and_conflicting_duplicates_are_named():
    sim, summary, meters = _setup()
    a, b = sim.area.meter_ids[:2]
    s = meters[a]
    meters[a] = Series.of(np.append(s.t, s.t[5]), np.append(s.register, s.register[5]))
    s = meters[b]
    meters[b] = Series.of(np.append(s.t, s.t[7]), np.append(s.register, s.register[7] + 3))
    out = _clean(summary, meters, max_gap_s=DAY)
    kinds = {(i.meter_id, i.kind) for i in out.issues}
    assert (a, "duplicate") in kinds and (b, "conflicting_duplicate") in kinds
    assert out.usable and out.area.n_periods == 59  # b's boundary 7 dropped → one merge


def test_a_decreasing_register_drops_the_periods_across_it():
    """A replaced meter restarts near zero: the period across the fall has no energy for it."""
    sim, summary, meters = _setup()
    m = sim.area.meter_ids[0]
    s = meters[m]
    reg = s.register.copy()
    reg[30:] = reg[30:] - reg[30] + 0.5  # new meter installed at boundary 30
    meters[m] = Series.of(s.t, reg)
    out = _clean(summary, meters)
    assert any(i.kind == "decreasing" and i.meter_id == m for i in out.issues)
    assert out.area.n_periods == 59
    assert np.all(out.area.x >= 0)
    # every period kept is a true one: the energies equal the simulated ones
    keep = [t for t in range(60) if t != 29]
    np.testing.assert_allclose(out.area.x, sim.area.x[keep], rtol=1e-9, atol=1e-9)


def test_clock_skew_is_detected_and_the_meter_excluded():
    sim, summary, meters = _setup()
    m = sim.area.meter_ids[2]
    s = meters[m]
    meters[m] = Series.of(s.t + 5 * 3600, s.register)
    out = _clean(summary, meters, max_excluded_share=1.0)
    assert any(i.kind == "clock_skew" and i.meter_id == m for i in out.issues)
    assert m in out.excluded


def test_excluding_a_heavy_meter_makes_the_area_unusable_not_biased():
    sim, summary, meters = _setup()
    heavy = max(sim.area.meter_ids, key=lambda k: meters[k].register[-1])
    s = meters[heavy]
    meters[heavy] = Series.of(s.t + 5 * 3600, s.register)
    out = _clean(summary, meters)
    assert not out.usable and out.area is None
    assert "read it as loss" in out.reason


def test_cleaned_area_feeds_the_estimator():
    sim = simulate_area(np.random.default_rng(8), Scenario(n_meters=10, n_periods=120))
    summary, meters = registers(sim)
    out = period_energies(summary, meters, start=0.0, period_s=DAY, n_periods=120)
    fit = fit_area(out.area, gain=sim.gain_prior)
    for m in fit.meters:
        assert abs(m.error - sim.true_errors[m.meter_id]) <= 4 * m.u


def test_bad_series_name_the_field():
    with pytest.raises(MonitoringError, match="register"):
        Series.of([0.0, 1.0], [1.0])
    with pytest.raises(MonitoringError, match="register"):
        Series.of([0.0, 1.0], [1.0, np.nan])
    with pytest.raises(MonitoringError, match="meters"):
        period_energies(Series.of([0.0], [1.0]), {}, start=0, period_s=DAY, n_periods=1)
