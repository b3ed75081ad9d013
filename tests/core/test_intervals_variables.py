"""Variables-data interval method against NASA-HDBK-8739.19-5 §7 (worked example).

Reference numbers: NASA-HDBK-8739.19-5 Table 7-2 (resubmission times and deviations), Table 7-3
(fit coefficients, covariance, s), Table 7-4 (two-sided reliability target, 90 %: interval
140.1 d, predicted value 10.38), Tables 7-5/7-6 (one-sided upper limit: 171.75 d) and Table 7-7
(uncertainty target 0.5: 327.15 d, predicted 11.87), as checked in sandialabs/suncal
test/test_interval.py ``test_variables`` (Sandia's note there: the one-sided lower-limit case
of Table 7-6 starts outside the limit, so its interval is 0).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from jiliang.core.intervals import IntervalError, uncertainty_target_interval, variables_interval

NASA_T = [70.0, 86.0, 104.0, 135.0, 167.0, 173.0]  # Table 7-2, days
NASA_DELTA = [0.1, 0.11, 0.251, 0.299, 0.403, 0.615]
NASA = dict(u0=0.28, as_left=10.03, order=2, target=0.9)


def test_nasa_table_7_3_fit():
    r = variables_interval(NASA_T, NASA_DELTA, lower=9, upper=11, **NASA)
    f = r.fit
    assert f.coefficients[0] == pytest.approx(0.00015741, rel=1e-4)
    assert f.coefficients[1] == pytest.approx(0.00001674, rel=1e-3)
    assert f.cov[0, 0] == pytest.approx(0.00000101, rel=1e-2)
    assert f.cov[1, 1] == pytest.approx(4.549e-11, rel=1e-3)
    assert f.cov[0, 1] == pytest.approx(-6.607e-9, rel=1e-3)
    assert f.s == pytest.approx(0.0708, abs=5e-5)
    assert f.dof == 4


def test_nasa_table_7_4_two_sided_reliability_target():
    r = variables_interval(NASA_T, NASA_DELTA, lower=9, upper=11, **NASA)
    assert r.interval_days == pytest.approx(140.1, abs=0.05)
    assert r.predicted_value == pytest.approx(10.38, abs=0.005)
    assert r.confidence == 0.9 and r.method == "variables/prediction"
    # at τ the upper edge of the two-sided 90 % band is the limit (t₀.₉₅,₄ · u = 11 − y)
    from scipy import stats

    assert r.predicted_value + stats.t.ppf(0.95, 4) * r.predicted_u == pytest.approx(11.0)


def test_nasa_tables_7_5_7_6_one_sided():
    r = variables_interval(NASA_T, NASA_DELTA, lower=None, upper=11, **NASA)
    assert r.interval_days == pytest.approx(171.75, abs=0.005)
    assert r.reliability == pytest.approx(0.9)  # one-sided: R(τ) is the target itself
    low = variables_interval(NASA_T, NASA_DELTA, lower=9, upper=None, **{**NASA, "as_left": 9.03})
    assert low.interval_days == 0.0 and "already at t = 0" in low.note


def test_nasa_table_7_7_uncertainty_target():
    r = uncertainty_target_interval(NASA_T, NASA_DELTA, 0.5, u0=0.28, order=2)
    assert r.interval_days == pytest.approx(327.15, abs=0.005)
    assert 10.03 + r.predicted_value == pytest.approx(11.87, abs=0.005)


def test_confidence_band_is_narrower_than_prediction_band():
    p = variables_interval(NASA_T, NASA_DELTA, lower=9, upper=11, **NASA)
    c = variables_interval(NASA_T, NASA_DELTA, lower=9, upper=11, band="confidence", **NASA)
    assert c.interval_days > p.interval_days


def test_linear_drift_closed_form():
    # exact linear drift with symmetric scatter: b = Σtδ/Σt², and the one-sided band
    # y₀ + b·t + t_{p,ν}·√(t²u²(b) + s² + u0²) reaches the limit at τ (solved independently)
    from scipy import optimize, stats

    t = np.array([100.0, 100.0, 200.0, 200.0, 300.0, 300.0])
    d = 0.001 * t + np.array([0.01, -0.01, 0.01, -0.01, 0.01, -0.01])
    r = variables_interval(t, d, lower=None, upper=1.0, target=0.95, order=1)
    b = float(np.sum(t * d) / np.sum(t**2))
    s = math.sqrt(float(np.sum((d - b * t) ** 2)) / 5)
    ub = s / math.sqrt(float(np.sum(t**2)))
    k = stats.t.ppf(0.95, 5)
    tau = optimize.brentq(lambda x: b * x + k * math.sqrt((x * ub) ** 2 + s**2) - 1.0, 1, 1e4)
    assert r.fit.coefficients[0] == pytest.approx(b)
    assert r.interval_days == pytest.approx(tau, rel=1e-8)


def test_order_selection_by_least_residual_sd():
    t = np.linspace(10, 400, 15)
    rng = np.random.default_rng(3)
    d = 1e-5 * t**2 + rng.normal(0, 0.01, t.size)
    r = variables_interval(t, d, lower=-5, upper=5, order=None, max_order=3)
    assert r.fit.order >= 2


def test_insufficient_data():
    r = variables_interval([10, 20], [0.1, 0.2], lower=-1, upper=1, order=1)
    assert r.interval_days is None and "needs ≥ 3" in r.insufficient
    r = variables_interval([50] * 6, [0.1] * 6, lower=-1, upper=1, order=2)
    assert "distinct times" in r.insufficient
    flat = variables_interval([10, 20, 30, 40], [0.0] * 4, lower=-1, upper=1)
    assert flat.interval_days is None and "no usable drift" in flat.insufficient


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        (dict(times=[-1, 2, 3], deviations=[0, 0, 0]), "times"),
        (dict(times=[1, 2, 3], deviations=[0, 0]), "times"),
        (dict(times=[1, 2, 3], deviations=[0, math.nan, 0]), "deviations"),
        (dict(times=[1, 2, 3], deviations=[0, 0, 0], lower=None, upper=None), "upper"),
        (dict(times=[1, 2, 3], deviations=[0, 0, 0], lower=2), "lower"),
        (dict(times=[1, 2, 3], deviations=[0, 0, 0], u0=-1), "u0"),
        (dict(times=[1, 2, 3], deviations=[0, 0, 0], order=4), "order"),
        (dict(times=[1, 2, 3], deviations=[0, 0, 0], band="wide"), "band"),
    ],
)
def test_bad_input_names_the_field(kwargs, field):
    kwargs = {"lower": -1.0, "upper": 1.0, **kwargs}
    with pytest.raises(IntervalError) as exc:
        variables_interval(**kwargs)
    assert exc.value.field == field
