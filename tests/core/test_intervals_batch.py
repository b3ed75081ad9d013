"""Batch interval advice (issue 15): the vectorised path equals the per-class functions.

The batch functions of :mod:`jiliang.core.intervals.batch` re-implement A3 and S2 over many
classes at once; they are validated against the per-class functions (themselves validated in
test_intervals.py / test_intervals_reliability.py) on a few hundred simulated classes of every
kind — exponential, Weibull, mixed-exponential and random-walk reliability, one or two distinct
resubmission times, too few events, all in / all out of tolerance — and on the published A3
worked examples of the NCSL International 2019 Symposium interval tutorial (assets 1–3, as
quoted in sandialabs/suncal test/test_interval.py ``testA3``).

Tolerances: intervals and bands 1e-6 relative, or 2e-6 d absolute (the per-class root search is
``brentq`` with xtol = 1e-6 d; the batch bisects to 1e-12 relative); parameters 1e-6 relative;
ln L and AIC 1e-8 absolute. The chosen model must be the same; the only allowed difference is a
tie, two models whose AIC differ by < 1e-6 (floating-point summation order decides it).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from jiliang.core.intervals import IntervalError, binomial_interval, fit_model, interval_test
from jiliang.core.intervals import batch as batch_mod
from jiliang.core.intervals.batch import binomial_interval_many, fit_many, interval_test_many
from jiliang.core.intervals.reliability import model_reliability

TARGET = 0.9


def _simulate(n_classes: int, seed: int) -> list[tuple[float, np.ndarray, np.ndarray]]:
    """(current interval, intervals, in tolerance) per class; a mix of every situation."""
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n_classes):
        i0 = float(rng.choice([90.0, 180.0, 365.0, 730.0]))
        kind = k % 10
        n = int(rng.integers(15, 120))
        t = np.round(i0 * rng.uniform(0.6, 1.6, size=n))
        if kind == 0:
            params, model = (float(rng.uniform(1e-4, 2e-3)),), "exponential"
        elif kind in (1, 2):
            params, model = (1 / (i0 * rng.uniform(1.0, 4.0)), rng.uniform(1.5, 3.0)), "weibull"
        elif kind == 3:
            params, model = (rng.uniform(5e-4, 3e-3), rng.uniform(0.3, 3.0)), "mixed_exponential"
        elif kind == 4:
            params, model = (rng.uniform(0.02, 0.1), rng.uniform(5e-4, 3e-3)), "random_walk"
        elif kind == 5:  # one distinct resubmission time
            t = np.full(n, i0)
            params, model = (float(rng.uniform(2e-4, 2e-3)),), "exponential"
        elif kind == 6:  # two distinct times
            t = rng.choice([i0, 2 * i0], size=n)
            params, model = (float(rng.uniform(2e-4, 2e-3)),), "exponential"
        elif kind == 7:  # too few events for S2 (and sometimes none at I₀ for A3)
            t = np.round(i0 * rng.uniform(0.3, 2.5, size=int(rng.integers(1, 10))))
            params, model = (1e-3,), "exponential"
        else:  # nearly always in tolerance: the fits find no decline within the horizon
            params, model = (float(rng.uniform(1e-6, 5e-5)),), "exponential"
        ok = rng.random(t.size) < model_reliability(model, t, params)
        if kind == 9 and k % 20 == 9:
            ok[:] = k % 40 == 9  # all in tolerance, or all out
        out.append((i0, t, ok))
    # 1 out-of-tolerance event in 1500: no model reaches R_t within 50× the longest interval
    t = np.round(rng.uniform(300, 400, 1500))
    out.append((365.0, t, np.arange(t.size) != 7))
    for _ in range(3):  # larger random-walk classes, where that model wins
        t = np.round(rng.uniform(30, 1000, 600))
        out.append((365.0, t, rng.random(600) < model_reliability("random_walk", t, (0.05, 2e-3))))
    return out


CLASSES = _simulate(300, seed=15)


def _close(a: float | None, b: float | None, rel: float = 1e-6, abs_: float = 2e-6) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


def _same_fit(fa, fb) -> None:
    assert fa.model == fb.model
    assert fa.note == fb.note
    assert len(fa.params) == len(fb.params)
    assert all(math.isclose(a, b, rel_tol=1e-6) for a, b in zip(fa.params, fb.params, strict=True))
    if math.isnan(fa.log_likelihood):
        assert math.isnan(fb.log_likelihood) and fa.aic == fb.aic == math.inf
    else:
        assert fb.log_likelihood == pytest.approx(fa.log_likelihood, abs=1e-8)
        assert fb.aic == pytest.approx(fa.aic, abs=1e-8)
    assert _close(fa.rejection_confidence, fb.rejection_confidence, abs_=1e-9)
    for name in ("interval", "interval_low", "interval_high"):
        assert _close(getattr(fa, name), getattr(fb, name)), (fa.model, name)


def _same_result(ra, rb) -> None:
    assert (ra.insufficient, ra.n, ra.n_in_tolerance) == (rb.insufficient, rb.n, rb.n_in_tolerance)
    assert len(ra.fits) == len(rb.fits)
    if ra.model != rb.model:  # allowed only for an AIC tie
        aic = {f.model: f.aic for f in ra.fits}
        assert abs(aic[ra.model] - aic[rb.model]) < 1e-6, (ra.model, rb.model)
        return
    assert (ra.method, ra.reliability, ra.confidence) == (rb.method, rb.reliability, rb.confidence)
    for name in ("interval_days", "interval_low", "interval_high"):
        assert _close(getattr(ra, name), getattr(rb, name)), name
    for fa, fb in zip(ra.fits, rb.fits, strict=True):
        _same_fit(fa, fb)


def test_s2_batch_equals_per_class_on_simulated_classes():
    per_class = [binomial_interval(t, ok, TARGET) for _i0, t, ok in CLASSES]
    batch = binomial_interval_many([(t, ok) for _i0, t, ok in CLASSES], TARGET, chunk=64)
    assert len(batch) == len(per_class)
    for ra, rb in zip(per_class, batch, strict=True):
        _same_result(ra, rb)
    # the simulation reaches every branch: advice from each model and each kind of refusal
    chosen = {r.model for r in per_class if r.model}
    assert chosen == {"exponential", "weibull", "mixed_exponential", "random_walk"}
    reasons = {r.insufficient.split(" ")[0] for r in per_class if r.insufficient}
    assert {"intervals:", "in_tolerance:", "no"} <= reasons
    assert sum(r.interval_days is not None for r in batch) > 150


@pytest.mark.parametrize(
    "options",
    [dict(select="rejection"), dict(all_bands=True, confidence=0.8), dict(bins=3, min_events=30)],
)
def test_s2_batch_equals_per_class_with_options(options):
    sub = CLASSES[:80]
    per_class = [binomial_interval(t, ok, 0.85, **options) for _i0, t, ok in sub]
    batch = binomial_interval_many([(t, ok) for _i0, t, ok in sub], 0.85, **options)
    for ra, rb in zip(per_class, batch, strict=True):
        _same_result(ra, rb)


def test_fit_many_equals_fit_model():
    sub = [(t, ok) for _i0, t, ok in CLASSES[:60] if 0 < ok.sum() < ok.size]
    for model in ("exponential", "weibull", "mixed_exponential", "random_walk"):
        for (t, ok), fb in zip(sub, fit_many(model, sub, 0.8), strict=True):
            _same_fit(fit_model(model, t, ok, 0.8), fb)


def test_equal_intervals_closed_form_through_the_batch():
    # binomial MLE at one resubmission time T: R̂ = x/n, so τ = T·ln R_t / ln(x/n)
    # (the exponential closed form of test_intervals_reliability.py)
    hist = [([365] * 40, [True] * 34 + [False] * 6), ([180] * 25, [True] * 20 + [False] * 5)]
    r = binomial_interval_many(hist, 0.9, models=("exponential",))
    assert r[0].interval_days == pytest.approx(365 * math.log(0.9) / math.log(34 / 40), rel=1e-9)
    assert r[1].interval_days == pytest.approx(180 * math.log(0.9) / math.log(20 / 25), rel=1e-9)
    assert r[0].fits[0].params[0] == pytest.approx(-math.log(34 / 40) / 365, rel=1e-6)
    assert all(x.interval_low < x.interval_days < x.interval_high for x in r)


def test_classes_that_leave_fisher_scoring_use_the_per_class_fit(monkeypatch):
    # every class flagged as "scoring would hand over to L-BFGS-B": the per-class fit is used,
    # so the fits equal the per-class ones exactly (the chosen model's band is still the
    # batch's, equal within the tolerances)
    def all_fail(info, grad):
        return np.zeros_like(grad), np.ones(len(grad), dtype=bool)

    monkeypatch.setattr(batch_mod, "_solve_steps", all_fail)
    sub = CLASSES[:30]
    per_class = [binomial_interval(t, ok, TARGET) for _i0, t, ok in sub]
    batch = binomial_interval_many([(t, ok) for _i0, t, ok in sub], TARGET)
    for ra, rb in zip(per_class, batch, strict=True):
        _same_result(ra, rb)
        unbanded = [
            dataclasses.replace(f, interval_low=None, interval_high=None, note=None)
            for f in ra.fits
        ]
        assert unbanded == [
            dataclasses.replace(f, interval_low=None, interval_high=None, note=None)
            for f in rb.fits
        ]
    assert sum(r.interval_days is not None for r in batch) > 10


def test_a3_batch_equals_per_class_exactly():
    per_class = [interval_test(t, ok, i0, TARGET) for i0, t, ok in CLASSES]
    batch = interval_test_many([(t, ok, i0) for i0, t, ok in CLASSES], TARGET)
    assert batch == per_class
    assert any(r.insufficient for r in batch) and any(r.changed for r in batch)
    assert {r.n_in_tolerance == r.n for r in batch if r.n} == {True, False}
    opts = dict(change_confidence=0.3, max_change=1.5, window_days=30.0, min_interval=60.0)
    per_class = [interval_test(t, ok, i0, 0.8, **opts) for i0, t, ok in CLASSES[:100]]
    assert interval_test_many([(t, ok, i0) for i0, t, ok in CLASSES[:100]], 0.8, **opts) == (
        per_class
    )


# NCSL 2019 Symposium interval tutorial, assets 1–3 (20 calibrations each at I₀), as quoted in
# sandialabs/suncal test/test_interval.py testA3: (results, I0, interval, C, RL, RU), R_t = 0.95
NCSL_2019_ASSETS = [
    ("11010111101111101110", 365, 231, 0.9949, 0.6516, 0.8286),
    ("11101001110011101111", 365, 205, 0.9993, 0.6000, 0.7843),
    ("11110101110111111011", 730, 523, 0.9682, 0.7041, 0.8716),
]


def test_a3_batch_ncsl_2019_tutorial_assets():
    hist = [([i0] * len(res), [c == "1" for c in res], i0) for res, i0, *_ in NCSL_2019_ASSETS]
    for r, (_res, _i0, interval, c, rl, ru) in zip(
        interval_test_many(hist, 0.95), NCSL_2019_ASSETS, strict=True
    ):
        assert round(r.interval_days) == interval
        assert r.confidence == pytest.approx(c, abs=5e-5)
        assert r.reliability_low == pytest.approx(rl, abs=5e-5)
        assert r.reliability_high == pytest.approx(ru, abs=5e-5)


def test_empty_batches():
    assert binomial_interval_many([], TARGET) == []
    assert interval_test_many([], TARGET) == []
    assert fit_many("weibull", [], TARGET) == []


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (
            lambda: binomial_interval_many([([1.0] * 10, [True] * 10), ([-1.0], [True])], 0.9),
            "histories[1].intervals",
        ),
        (lambda: binomial_interval_many([([1.0] * 10, [True] * 9)], 0.9), "histories[0].intervals"),
        (lambda: binomial_interval_many([([1.0], ["yes"])], 0.9), "histories[0].in_tolerance"),
        (
            lambda: binomial_interval_many([([0.0] * 10, [True, False] * 5)], 0.9),
            "histories[0].intervals",
        ),
        (lambda: binomial_interval_many([([1.0], [True])], 1.5), "target"),
        (lambda: binomial_interval_many([([1.0], [True])], 0.9, models=("gamma",)), "models"),
        (lambda: binomial_interval_many([([1.0], [True])], 0.9, select="best"), "select"),
        (lambda: fit_many("gamma", [([1.0], [True])], 0.9), "models"),
        (lambda: fit_many("weibull", [([1.0], [True]), ([], [])], 0.9), "histories[1].intervals"),
        (lambda: fit_many("weibull", [([0.0, 0.0], [True, False])], 0.9), "histories[0].intervals"),
        (lambda: interval_test_many([([365], [True], 0)], 0.9), "histories[0].current_interval"),
        (lambda: interval_test_many([([365], [True], 365)], 0.9, max_change=0.5), "max_change"),
    ],
)
def test_bad_input_names_the_field(call, field):
    with pytest.raises(IntervalError) as exc:
        call()
    assert exc.value.field == field
