"""Control charts of check standards (OIML D 10 method 3) and drift of a standard.

References:
- EWMA steady-state limits: NIST/SEMATECH e-Handbook of Statistical Methods §6.3.2.4 example
  (EWMA₀ = 50, s = 2.0539, λ = 0.3: √(λ/(2 − λ)) = 0.4201, UCL = 52.5884, LCL = 47.4115).
- EWMA time-varying limits: R package qcc, ``ewma(x, lambda=0.1, nsigmas=3, std.dev=0.8)``
  with centre 99.13187, output quoted at homeworklib.com question 1911204: limits
  [98.89187, 99.37187] for the first group and [98.59081, 99.67294] for the 16th.
- Shewhart individuals chart: σ̂ = MR̄/d₂, d₂ = 1.128 (ASTM MNL 7 / Montgomery, Table VI);
  arithmetic written out in the test.
- Drift of a standard: no published certificate history with fitted numbers was found; the
  weighted fit is checked against numpy's weighted polyfit and closed forms written out here.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from scipy import stats

from jiliang.core.intervals import (
    IntervalError,
    control_chart_interval,
    drift_warning,
    ewma,
    fit_drift,
    shewhart,
)

NIST_EWMA = [52.0, 47.0, 53.0, 49.3, 50.1, 47.0, 51.0, 50.1, 51.2, 50.5]


def test_ewma_nist_steady_state_limits():
    c = ewma(NIST_EWMA, lam=0.3, center=50.0, sigma=2.0539, steady_state=True)
    assert c.upper[0] == pytest.approx(52.5884, abs=1e-3)
    assert c.lower[0] == pytest.approx(47.4115, abs=1e-3)
    # z₁ = 0.3·52 + 0.7·50, z₂ = 0.3·47 + 0.7·z₁
    assert c.statistic[:2] == pytest.approx([50.6, 0.3 * 47 + 0.7 * 50.6])
    assert c.alarms == ()


def test_ewma_qcc_time_varying_limits():
    c = ewma(np.full(16, 99.0), lam=0.1, center=99.13187, sigma=0.8)
    assert (c.lower[0], c.upper[0]) == pytest.approx((98.89187, 99.37187), abs=1e-5)
    assert (c.lower[15], c.upper[15]) == pytest.approx((98.59081, 99.67294), abs=1e-5)


def test_shewhart_moving_range_arithmetic():
    x = [10.0, 10.2, 9.9, 10.1, 10.0, 10.3, 9.8, 10.0, 10.1, 9.9, 11.5]
    c = shewhart(x, baseline=10)
    mr = np.mean(np.abs(np.diff(x[:10])))  # (0.2+0.3+0.2+0.1+0.3+0.5+0.2+0.1+0.2)/9
    assert mr == pytest.approx(2.1 / 9)
    assert c.sigma == pytest.approx(mr / 1.128)
    assert c.upper[0] == pytest.approx(np.mean(x[:10]) + 3 * mr / 1.128)
    assert c.alarms == (10,)


def _drifting(n=40, slope=0.001, noise=0.02, seed=3):
    rng = np.random.default_rng(seed)
    t = np.arange(n) * 10.0
    return t, 10.0 + slope * t + rng.normal(0, noise, n)


def test_control_chart_interval_band_reaches_limit():
    t, v = _drifting()
    r = control_chart_interval(t, v, lower=9.5, upper=10.8, last_calibration=0, on_alarm="report")
    # independent OLS and two-sided 95 % prediction band at t_cal + τ touches the upper limit
    b, a = np.polyfit(t, v, 1)
    s = math.sqrt(np.sum((v - (a + b * t)) ** 2) / (t.size - 2))
    x = r.interval_days
    u = s * math.sqrt(1 + 1 / t.size + (x - t.mean()) ** 2 / np.sum((t - t.mean()) ** 2))
    assert a + b * x + stats.t.ppf(0.975, t.size - 2) * u == pytest.approx(10.8, abs=1e-6)
    assert r.slope == pytest.approx(b) and r.confidence == 0.95
    assert r.out_of_control  # a steady drift also trips the charts; reported only
    # default policy: recalibrate at the first alarm after the baseline
    r2 = control_chart_interval(t, v, lower=9.5, upper=10.8, last_calibration=0)
    assert r2.interval_days == pytest.approx(r2.first_alarm_time)
    assert r2.interval_days < r.interval_days


def test_control_chart_stable_standard_is_not_bounded():
    rng = np.random.default_rng(4)
    t = np.arange(30) * 10.0
    v = 10 + rng.normal(0, 0.01, 30)
    r = control_chart_interval(t, v, lower=9.0, upper=11.0, last_calibration=0, horizon_days=3000)
    assert r.interval_days is None and "no drift" in r.insufficient


def test_control_chart_insufficient_and_bad_input():
    r = control_chart_interval([0, 1, 2], [1, 1, 1], lower=0, upper=2, last_calibration=0)
    assert r.interval_days is None and "needs ≥ 12" in r.insufficient
    with pytest.raises(IntervalError) as exc:
        control_chart_interval([2, 1], [1, 1], lower=0, upper=2, last_calibration=0)
    assert exc.value.field == "times"
    with pytest.raises(IntervalError) as exc:
        control_chart_interval([1, 2], [1, 1], lower=None, upper=None, last_calibration=0)
    assert exc.value.field == "upper"
    with pytest.raises(IntervalError) as exc:
        ewma([1.0, math.nan], center=0, sigma=1)
    assert exc.value.field == "values"


def test_drift_fit_matches_weighted_polyfit():
    t = np.array([0.0, 400.0, 700.0, 1100.0, 1500.0, 1800.0])
    y = np.array([1.000010, 1.000032, 1.000041, 1.000069, 1.000080, 1.000104])
    big_u = np.array([8e-6, 8e-6, 6e-6, 6e-6, 5e-6, 5e-6])
    f = fit_drift(t, y, big_u, coverage=2.0, inflate=False)
    coef, cov = np.polyfit(t, y, 1, w=2.0 / big_u, cov="unscaled")
    assert f.slope == pytest.approx(coef[0], rel=1e-9)
    assert f.u_slope == pytest.approx(math.sqrt(cov[0, 0]), rel=1e-9)
    value, u = f.predict(2200.0)
    j = np.array([2200.0, 1.0])
    assert value == pytest.approx(coef[0] * 2200 + coef[1], rel=1e-12)
    assert u == pytest.approx(math.sqrt(j @ cov @ j), rel=1e-9)
    # Birge inflation: covariance × χ²/(n − 2) when that exceeds 1
    resid = (y - np.polyval(coef, t)) * 2.0 / big_u
    birge = math.sqrt(np.sum(resid**2) / 4)
    g = fit_drift(t, y, big_u)
    assert g.birge_ratio == pytest.approx(birge)
    assert g.u_slope == pytest.approx(max(1.0, birge) * f.u_slope)


def test_drift_warning_closed_form_with_dates():
    dates = [dt.date(2020, 1, 1), dt.date(2021, 1, 1), dt.date(2022, 1, 1)]
    y = [10.000, 10.001, 10.002]  # exactly on a line: χ² = 0
    r = drift_warning(dates, y, [0.0002] * 3, allowance=0.001, k=2.0)
    days_ = np.array([(d - dates[0]).days for d in dates], dtype=float)
    b = 0.001 / 365.5  # 2020 is a leap year: spacings 366 and 365 days
    sxx = np.sum((days_ - days_.mean()) ** 2)
    ub = 0.0001 / math.sqrt(sxx)
    assert r.fit.slope == pytest.approx(np.polyfit(days_, y, 1)[0], rel=1e-9)
    assert r.fit.slope == pytest.approx(b, rel=2e-3)
    expected = 0.001 / (abs(r.fit.slope) + 2 * ub)
    assert r.interval_days == pytest.approx(expected, rel=1e-9)
    assert r.warning_date == dates[-1] + dt.timedelta(days=math.floor(expected))
    assert r.confidence == pytest.approx(0.9545, abs=1e-4) and r.method == "drift"


def test_drift_insufficient_and_bad_input():
    r = drift_warning([0, 365], [1.0, 1.1], [0.1, 0.1], allowance=0.1)
    assert r.interval_days is None and "2 certificates" in r.insufficient
    with pytest.raises(IntervalError) as exc:
        drift_warning([0, 1, 2], [1, 1, 1], [0.1, -0.1, 0.1], allowance=0.1)
    assert exc.value.field == "expanded_uncertainty"
    with pytest.raises(IntervalError) as exc:
        drift_warning([0, 1, 2], [1, 1], [0.1, 0.1, 0.1], allowance=0.1)
    assert exc.value.field == "dates"
    with pytest.raises(IntervalError) as exc:
        drift_warning([0, 1, 2], [1, 1, 1], [0.1] * 3, allowance=0)
    assert exc.value.field == "allowance"
    with pytest.raises(IntervalError) as exc:
        fit_drift([0, 1, dt.date(2020, 1, 1)], [1, 1, 1], [0.1] * 3)
    assert exc.value.field == "dates"
