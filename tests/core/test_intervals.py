"""Reactive interval methods: staircase (OIML D 10 method 1) and the RP-1 A3 interval test.

Published reference numbers for A3: the three assets of the NCSL International 2019 Symposium
tutorial on calibration intervals and one further case, as checked in Sandia's Suncal
(sandialabs/suncal, test/test_interval.py, ``testA3``): recommended interval, rejection
confidence and the reliability confidence limits (change confidence 0.5, resp. 0.3).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from scipy import stats

from jiliang.core.intervals import (
    IntervalError,
    interval_test,
    interval_test_counts,
    staircase,
)
from jiliang.core.intervals.reactive import equilibrium_reduction, rejection_confidence

# NCSL 2019 Symposium interval tutorial, assets 1–3 (20 annual/biennial calibrations each),
# as quoted in sandialabs/suncal test/test_interval.py: (results, I0, interval, C, RL, RU)
NCSL_2019_ASSETS = [
    (
        [1, 1, 0, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 0],
        365,
        231,
        0.9949,
        0.6516,
        0.8286,
    ),
    (
        [1, 1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 1],
        365,
        205,
        0.9993,
        0.6000,
        0.7843,
    ),
    (
        [1, 1, 1, 1, 0, 1, 0, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 0, 1, 1],
        730,
        523,
        0.9682,
        0.7041,
        0.8716,
    ),
]


@pytest.mark.parametrize(("results", "i0", "interval", "c", "rl", "ru"), NCSL_2019_ASSETS)
def test_a3_ncsl_2019_tutorial_assets(results, i0, interval, c, rl, ru):
    r = interval_test([i0] * len(results), results, i0, 0.95)
    assert round(r.interval_days) == interval
    assert r.confidence == pytest.approx(c, abs=5e-5)  # rejection confidence
    assert r.reliability_low == pytest.approx(rl, abs=5e-5)
    assert r.reliability_high == pytest.approx(ru, abs=5e-5)
    assert r.changed and r.method == "A3" and r.insufficient is None
    assert r.reliability == pytest.approx(sum(results) / len(results))


def test_a3_counts_case_suncal():
    # sandialabs/suncal test/test_interval.py: 42 of 50 in tolerance, I0 = 365 d, Rt = 0.9,
    # change confidence 0.3 → 329 d, C = 0.7557, limits 0.8067 … 0.8664
    r = interval_test_counts(42, 50, 365, 0.9, change_confidence=0.3)
    assert round(r.interval_days) == 329
    assert r.confidence == pytest.approx(0.7557, abs=5e-5)
    assert (r.reliability_low, r.reliability_high) == pytest.approx((0.8067, 0.8664), abs=5e-5)


def test_a3_arithmetic_written_out_for_lengthening():
    # 20 of 20 in tolerance, Rt = 0.9: one-tailed C = 1 − 0.9²⁰; the RP-1 extrapolation
    # 10^((1 − 0.9)/(1 − C)) ≈ 6.6 exceeds the change limit 2 → I₁ = 2·I₀.
    r = interval_test_counts(20, 20, 365, 0.9)
    assert r.confidence == pytest.approx(1 - 0.9**20)
    assert 10 ** (0.1 / 0.9**20) > 2
    assert r.interval_days == pytest.approx(730.0)
    # 46 of 50, Rt 0.85: C = 1 − 2·P(X ≥ 46 | 50, 0.85), factor 10^(0.07/(1 − C))
    c = 1 - 2 * stats.binom.sf(45, 50, 0.85)
    r = interval_test_counts(46, 50, 365, 0.85)
    assert r.confidence == pytest.approx(c)
    assert r.calculated_interval == pytest.approx(min(365 * 10 ** (0.07 / (1 - c)), 730))


def test_a3_lengthening_with_rejection_confidence_near_one_does_not_overflow():
    # 590 of 600 in tolerance against Rt 0.9: C = 1 − 2·P(X ≥ 590) is 1 − ~1e-17
    r = interval_test_counts(590, 600, 365, 0.9)
    assert r.confidence > 1 - 1e-12
    assert r.interval_days == pytest.approx(730.0)


def test_a3_no_change_below_change_confidence_and_limits():
    # 17/20 at Rt 0.9: C = 1 − 2·P(X ≤ 17) is small → interval kept
    c = 1 - 2 * stats.binom.cdf(17, 20, 0.9)
    r = interval_test_counts(17, 20, 365, 0.9)
    assert r.confidence == pytest.approx(max(c, 0.0))
    assert r.confidence < 0.5 and not r.changed and r.interval_days == 365
    # extrapolated change is clipped to the absolute bounds
    r = interval_test_counts(0, 30, 20, 0.9, min_interval=14)
    assert r.calculated_interval == pytest.approx(10.0)  # limited to I₀/2
    assert r.interval_days == 14


def test_a3_window_excludes_other_intervals():
    t = [365, 370, 360, 200, 900]
    ok = [True, False, True, False, False]
    r = interval_test(t, ok, 365, 0.9)
    assert (r.n, r.n_in_tolerance, r.unused) == (3, 2, 2)


def test_a3_insufficient_when_no_event_at_current_interval():
    r = interval_test([100, 120], [True, True], 365, 0.9)
    assert r.interval_days is None and "no calibrations" in r.insufficient


def test_rejection_confidence_symmetry():
    # equal tails: the rejection confidence is the same function of either tail
    assert rejection_confidence(9, 10, 0.9) == 0.0
    assert rejection_confidence(5, 10, 0.9) == pytest.approx(1 - 2 * stats.binom.cdf(5, 10, 0.9))


def test_staircase_arithmetic_d10():
    # OIML D 10 method 1: ×(1 + a) when in tolerance, ×(1 − b) when not
    r = staircase([True, True, False, True], 365, extend=0.1, reduce=0.5)
    assert r.history == pytest.approx((401.5, 441.65, 220.825, 242.9075))
    assert r.interval_days == pytest.approx(365 * 1.1 * 1.1 * 0.5 * 1.1)
    assert r.reliability == 0.75 and r.confidence is None and r.method == "staircase"


def test_staircase_equilibrium_reduction():
    b = equilibrium_reduction(0.1, 0.9)
    assert 0.9 * math.log(1.1) + 0.1 * math.log(1 - b) == pytest.approx(0.0, abs=1e-12)
    # simulated: an item whose true reliability is exactly the target keeps its log-interval
    # in balance (mean log step ≈ 0)
    rng = np.random.default_rng(5)
    ok = rng.random(20000) < 0.9
    steps = np.where(ok, math.log(1.1), math.log(1 - b))
    assert abs(steps.mean()) < 4 * steps.std() / math.sqrt(steps.size)


def test_staircase_bounds_and_insufficient():
    r = staircase([False] * 10, 365, min_interval=30)
    assert r.interval_days == 30
    r = staircase([True] * 50, 365, max_interval=1000)
    assert r.interval_days == 1000
    r = staircase([], 365)
    assert r.interval_days is None and "no calibration" in r.insufficient


def test_results_are_frozen():
    r = staircase([True], 365)
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.interval_days = 1.0  # type: ignore[misc]


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: interval_test([-1, 365], [True, True], 365, 0.9), "intervals"),
        (lambda: interval_test([365, 365], [True], 365, 0.9), "intervals"),
        (lambda: interval_test([math.nan], [True], 365, 0.9), "intervals"),
        (lambda: interval_test([365], ["yes"], 365, 0.9), "in_tolerance"),
        (lambda: interval_test([365], [True], 0, 0.9), "current_interval"),
        (lambda: interval_test([365], [True], 365, 1.0), "target"),
        (lambda: interval_test_counts(5, 3, 365, 0.9), "n_in_tolerance"),
        (lambda: interval_test_counts(1, 3, 365, 0.9, max_change=0.5), "max_change"),
        (lambda: staircase([True], -5), "initial_interval"),
        (lambda: staircase([True], 365, reduce=1.5), "reduce"),
        (lambda: staircase([True], 365, min_interval=100, max_interval=10), "min_interval"),
    ],
)
def test_bad_input_names_the_field(call, field):
    with pytest.raises(IntervalError) as exc:
        call()
    assert exc.value.field == field and str(exc.value).startswith(field)
    assert isinstance(exc.value, ValueError)
