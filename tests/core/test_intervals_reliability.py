"""Method S2 (binomial / maximum likelihood) with several reliability models.

No published S2 data set with its fitted numbers could be found in the sources searched (RP-1's
own examples are not public; Suncal's tests check A3 and the variables method, not S2), so S2 is
validated by properties computed independently here:

- equal resubmission times: the exponential MLE has the closed form λ̂ = −ln(x/n)/T (the
  binomial MLE of R = x/n), so τ = T·ln R_t / ln(x/n);
- two resubmission times: the exponential score equation solved here by brentq;
- the RP-1 F-test (eqs. D-19, D-23) recomputed by hand for data in ≤ 8 bins;
- simulated histories with known exponential / Weibull reliability: the band covers the true
  interval at about its stated confidence, and AIC picks the true model family.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import optimize, stats

from jiliang.core.intervals import IntervalError, binomial_interval, fit_model
from jiliang.core.intervals.reliability import model_reliability


def test_equal_intervals_exponential_closed_form():
    t = [365] * 40
    ok = [True] * 34 + [False] * 6
    r = binomial_interval(t, ok, 0.9, models=("exponential",))
    lam = -math.log(34 / 40) / 365
    fit = r.fits[0]
    assert fit.params[0] == pytest.approx(lam, rel=1e-6)
    assert r.interval_days == pytest.approx(365 * math.log(0.9) / math.log(34 / 40), rel=1e-6)
    assert r.interval_low < r.interval_days < r.interval_high
    assert r.method == "S2/exponential" and r.reliability == 0.9 and r.confidence == 0.95


def test_equal_intervals_two_parameter_models_are_skipped_with_a_reason():
    r = binomial_interval([365] * 20, [True] * 15 + [False] * 5, 0.9)
    notes = {f.model: f.note for f in r.fits}
    assert notes["weibull"] == "needs ≥ 2 distinct resubmission times"
    assert r.model == "exponential"


def test_two_times_exponential_score_equation():
    t = np.array([180.0] * 30 + [720.0] * 30)
    ok = np.array([True] * 28 + [False] * 2 + [True] * 21 + [False] * 9)
    g = {180.0: 28, 720.0: 21}

    def score(lam: float) -> float:  # d ln L / dλ for binomial data with R = e^(−λt)
        s = 0.0
        for tj, gj in g.items():
            r = math.exp(-lam * tj)
            s += -gj * tj + (30 - gj) * tj * r / (1 - r)
        return s

    lam = optimize.brentq(score, 1e-7, 1e-1, xtol=1e-14)
    fit = fit_model("exponential", t, ok, 0.95)
    assert fit.params[0] == pytest.approx(lam, rel=1e-6)
    assert fit.interval == pytest.approx(-math.log(0.95) / lam, rel=1e-6)
    # log-likelihood at the optimum, written out
    ll = sum(gj * -lam * tj + (30 - gj) * math.log1p(-math.exp(-lam * tj)) for tj, gj in g.items())
    assert fit.log_likelihood == pytest.approx(ll, rel=1e-9)
    assert fit.aic == pytest.approx(2 - 2 * ll)


def test_rp1_rejection_confidence_by_hand():
    t = np.repeat([90.0, 180.0, 365.0, 540.0], 25)
    good = [24, 22, 19, 15]
    ok = np.concatenate([[True] * k + [False] * (25 - k) for k in good])
    fit = fit_model("exponential", t, ok, 0.9)
    rb = np.array(good) / 25
    se2 = np.sum(25 * rb * (1 - rb)) / (100 - 4)  # RP-1 D-19
    model = np.exp(-fit.params[0] * np.array([90.0, 180.0, 365.0, 540.0]))
    sl2 = np.sum(25 * (rb - model) ** 2) / (4 - 1)  # RP-1 D-23
    assert fit.rejection_confidence == pytest.approx(stats.f.cdf(sl2 / se2, 3, 96), rel=1e-6)
    assert fit.accepted


def _simulate_exponential(rng, lam, n):
    t = rng.choice([90.0, 180.0, 270.0, 365.0, 540.0, 730.0], size=n)
    return t, rng.random(n) < np.exp(-lam * t)


def test_simulated_exponential_band_covers_true_interval():
    rng = np.random.default_rng(2026)
    lam, target = 1 / 1500, 0.9
    tau_true = -math.log(target) / lam
    covered = 0
    trials = 60
    for _ in range(trials):
        t, ok = _simulate_exponential(rng, lam, 300)
        r = binomial_interval(t, ok, target, models=("exponential",))
        covered += r.interval_low <= tau_true <= r.interval_high
    # 95 % band: binomial(60, 0.95) is ≥ 52 with probability > 0.99
    assert covered >= 52


def test_simulated_weibull_is_chosen_and_recovers_interval():
    rng = np.random.default_rng(7)
    scale, shape = 900.0, 2.5
    t = rng.uniform(30, 800, size=800).round()
    ok = rng.random(800) < np.exp(-((t / scale) ** shape))
    r = binomial_interval(t, ok, 0.9)
    tau_true = scale * (-math.log(0.9)) ** (1 / shape)
    assert r.model == "weibull"
    assert r.interval_low <= tau_true <= r.interval_high
    exp_fit = next(f for f in r.fits if f.model == "exponential")
    assert not exp_fit.accepted  # RP-1 F-test rejects the constant-rate model here
    assert model_reliability("weibull", r.interval_days, r.fits[1].params) == pytest.approx(0.9)
    # bands are computed for the chosen model only, unless all_bands
    assert exp_fit.interval_low is None
    every = binomial_interval(t, ok, 0.9, all_bands=True)
    assert all(f.interval_low is not None for f in every.fits if f.model != "random_walk")
    assert every.interval_low == pytest.approx(r.interval_low)


@pytest.mark.parametrize("model", ["mixed_exponential", "random_walk"])
def test_other_models_fit_their_own_simulated_data(model):
    rng = np.random.default_rng(11)
    params = {"mixed_exponential": (0.002, 0.6), "random_walk": (0.05, 0.002)}[model]
    t = rng.uniform(30, 1000, size=1500).round()
    ok = rng.random(1500) < model_reliability(model, t, params)
    fit = fit_model(model, t, ok, 0.8)
    true_tau = optimize.brentq(lambda x: model_reliability(model, x, params) - 0.8, 1e-3, 1e5)
    assert fit.interval_low <= true_tau <= fit.interval_high
    assert fit.interval == pytest.approx(true_tau, rel=0.25)


def test_insufficient_data_is_reported():
    r = binomial_interval([365] * 30, [True] * 30, 0.9)
    assert r.interval_days is None and "no out-of-tolerance" in r.insufficient
    r = binomial_interval([365] * 30, [False] * 30, 0.9)
    assert "no in-tolerance" in r.insufficient
    r = binomial_interval([365] * 5, [True, False] * 2 + [True], 0.9)
    assert "5 calibration events" in r.insufficient and r.method == "S2"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        (dict(intervals=[-3.0] * 10, in_tolerance=[True] * 10), "intervals"),
        (dict(intervals=[1.0] * 10, in_tolerance=[True] * 9), "intervals"),
        (dict(intervals=[math.nan] * 10, in_tolerance=[True] * 10), "intervals"),
        (dict(intervals=[1.0] * 10, in_tolerance=[True] * 10, target=0.0), "target"),
        (dict(intervals=[1.0] * 10, in_tolerance=[True] * 10, models=("gamma",)), "models"),
        (dict(intervals=[1.0] * 10, in_tolerance=[True] * 10, select="best"), "select"),
        (dict(intervals=[1.0] * 10, in_tolerance=[2] * 10), "in_tolerance"),
    ],
)
def test_bad_input_names_the_field(kwargs, field):
    kwargs = {"target": 0.9, **kwargs}
    with pytest.raises(IntervalError) as exc:
        binomial_interval(**kwargs)
    assert exc.value.field == field
