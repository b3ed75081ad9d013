"""Remote meter-error estimation from the area energy balance (jiliang.core.monitoring).

The reference here is the simulation itself: areas are generated with known meter errors,
loss and summary-meter error drawn from the laws the gain prior declares, so an honest
estimator's ê ± 2u must contain the true error for ≈ 95 % of the meters it reports.
"""

from __future__ import annotations

import numpy as np
import pytest

from jiliang.core.monitoring.balance import (
    AreaData,
    GainMethod,
    GainPrior,
    LossModel,
    MeterStatus,
    MonitoringError,
    coverage,
    design,
    fit_area,
    ols,
)
from jiliang.core.monitoring.decision import MeterVerdict, classes, judge
from jiliang.core.monitoring.rls import RecursiveLeastSquares, WindowedLeastSquares, rls
from jiliang.core.monitoring.simulate import Scenario, simulate_area


def _sim(seed: int, **kw):
    return simulate_area(np.random.default_rng(seed), Scenario(**kw))


def test_ols_uncertainty_is_honest_on_simulated_areas():
    """Coverage of ê ± 2u over 40 areas × 40 meters × 150 periods lies in 93–97 %."""
    hit = total = 0
    for seed in range(40):
        sim = _sim(seed, n_meters=40, n_periods=150)
        h, n = coverage(fit_area(sim.area, gain=sim.gain_prior), sim.true_errors)
        hit, total = hit + h, total + n
    assert total >= 1550  # a few light-load meters are lumped, not estimated
    assert 0.93 <= hit / total <= 0.97, hit / total


def test_huber_uncertainty_is_honest_too():
    """Huber's asymptotic covariance (not the last IRLS step's) keeps coverage at ≈ 95 %."""
    hit = total = 0
    for seed in range(20):
        sim = _sim(500 + seed, n_meters=40, n_periods=150)
        h, n = coverage(fit_area(sim.area, gain=sim.gain_prior, robust=True), sim.true_errors)
        hit, total = hit + h, total + n
    assert 0.93 <= hit / total <= 0.97, hit / total


def test_estimate_recovers_a_faulty_meter():
    sim = _sim(3, n_meters=30, n_periods=200, outlier_fraction=0.1)
    fit = fit_area(sim.area, gain=sim.gain_prior)
    worst = max(sim.true_errors, key=lambda m: abs(sim.true_errors[m]))
    est = fit.by_id()[worst]
    assert abs(sim.true_errors[worst]) >= 0.02
    assert abs(est.error - sim.true_errors[worst]) <= 3 * est.u
    assert est.u < 0.01


def test_underdetermined_area_gives_no_numbers():
    """200 meters × 90 daily periods: OLS cannot identify anything, and says so."""
    sim = _sim(1, n_meters=200, n_periods=90)
    fit = fit_area(sim.area, gain=sim.gain_prior)
    assert {m.status for m in fit.meters} <= {MeterStatus.UNDERDETERMINED, MeterStatus.LIGHT_LOAD}
    assert all(m.error is None and m.u is None for m in fit.meters)
    assert "more periods than unknowns" in fit.meters[0].reason
    decision = judge(fit.meters[0], "2")
    assert decision.verdict is MeterVerdict.NOT_IDENTIFIABLE


def test_light_load_meters_are_lumped_with_a_reason():
    sim = _sim(5, n_meters=30, n_periods=120, light_load=3)
    fit = fit_area(sim.area, gain=sim.gain_prior)
    light = {m.meter_id for m in fit.meters if m.status is MeterStatus.LIGHT_LOAD}
    assert light == set(sim.light)
    assert all("light load" in m.reason for m in fit.meters if m.meter_id in light)
    assert design(sim.area).columns[-1] == "(lumped)"


def test_misassigned_meter_is_detected():
    sim = _sim(7, n_meters=30, n_periods=150, misassigned=1)
    fit = fit_area(sim.area, gain=sim.gain_prior)
    flagged = [m.meter_id for m in fit.meters if m.status is MeterStatus.MISASSIGNED]
    assert flagged == list(sim.misassigned)
    assert "area assignment" in fit.by_id()[flagged[0]].reason


def test_rls_without_forgetting_equals_batch_least_squares():
    sim = _sim(11, n_meters=20, n_periods=100)
    d = design(sim.area)
    batch, rec = ols(d), rls(d)
    # the diffuse start (P₀ = 10⁸ I) is a vanishing prior: the difference is ≪ u(a)
    assert np.max(np.abs(rec.a - batch.a) / np.sqrt(np.diag(batch.cov))) < 1e-3
    # s² accumulates recursively from the diffuse start: equal to within 1 % (u of u is ~7 %)
    np.testing.assert_allclose(np.sqrt(np.diag(rec.cov)), np.sqrt(np.diag(batch.cov)), rtol=1e-2)


def test_windowed_least_squares_equals_ols_on_the_last_window():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(60, 3))
    y = x @ np.array([1.0, -2.0, 0.5]) + rng.normal(0, 0.1, 60)
    w = WindowedLeastSquares(3, window=25)
    for row, yy in zip(x, y, strict=True):
        w.update(row, yy)
    theta, cov, dof = w.solve()
    ref, *_ = np.linalg.lstsq(x[-25:], y[-25:], rcond=None)
    np.testing.assert_allclose(theta, ref, rtol=1e-9)
    assert dof == 22
    resid = y[-25:] - x[-25:] @ ref
    np.testing.assert_allclose(cov, resid @ resid / 22 * np.linalg.inv(x[-25:].T @ x[-25:]))


def test_forgetting_tracks_a_drifting_coefficient():
    rng = np.random.default_rng(4)
    slow, fast = RecursiveLeastSquares(1), RecursiveLeastSquares(1, forgetting=0.9)
    for t in range(400):
        x = rng.uniform(1, 2)
        y = (1.0 + 0.001 * t) * x + rng.normal(0, 0.001)
        slow.update(np.array([x]), y)
        fast.update(np.array([x]), y)
    assert abs(fast.theta[0] - 1.399) < 0.01 < abs(slow.theta[0] - 1.399)


def test_rls_refuses_a_covariance_before_enough_periods():
    est = RecursiveLeastSquares(3)
    est.update(np.ones(3), 1.0)
    with pytest.raises(MonitoringError, match="periods"):
        est.covariance()


def test_huber_downweights_a_theft_period():
    sim = _sim(13, n_meters=20, n_periods=120, noise_rel=0.0003)
    y = sim.area.y.copy()
    y[40] *= 1.08  # 8 % of the area's energy unmetered that day (bypass, 窃电)
    area = AreaData(sim.area.meter_ids, sim.area.x, y, sim.area.hours)
    plain = fit_area(area, gain=sim.gain_prior)
    robust = fit_area(area, gain=sim.gain_prior, robust=True)

    def rmse(fit):
        errs = [m.error - sim.true_errors[m.meter_id] for m in fit.meters if m.identifiable]
        return np.sqrt(np.mean(np.square(errs)))

    assert rmse(robust) < 0.7 * rmse(plain)
    assert robust.method == "huber(ols)"
    assert any("down-weighted" in n for n in robust.notes)


def test_gain_prior_and_its_uncertainty():
    g, u = GainPrior(loss_fraction=0.04, u_loss_fraction=0.01, u_summary_error=0.002).prior_gain()
    assert g == pytest.approx(1 / 0.96)
    assert u == pytest.approx(np.hypot(0.002 / 0.96, g / 0.96 * 0.01))


def test_common_gain_uncertainty_reaches_every_meter():
    """A poorly known loss makes every estimate less certain, never wrongly confident."""
    sim = _sim(17, n_meters=20, n_periods=150)
    tight = fit_area(sim.area, gain=sim.gain_prior)
    loose = fit_area(sim.area, gain=GainPrior(loss_fraction=0.03, u_loss_fraction=0.02))
    for a, b in zip(tight.meters, loose.meters, strict=True):
        assert b.u > a.u
        assert b.u >= 0.02 * 0.99


def test_median_gain_centres_the_fleet():
    sim = _sim(19, n_meters=40, n_periods=150, loss_fraction=0.05)
    fit = fit_area(sim.area, gain=GainPrior(method=GainMethod.MEDIAN))
    errors = [m.error for m in fit.meters if m.identifiable]
    assert abs(np.median(errors)) < 1e-6  # exact for odd counts; ≈ for even (g/a is not linear)
    assert fit.u_gain > 0


def test_quadratic_loss_term_is_fitted_when_asked():
    sim = _sim(23, n_meters=15, n_periods=150)
    fit = fit_area(sim.area, gain=sim.gain_prior, loss=LossModel(fixed=True, quadratic=True))
    assert set(fit.loss) == {"fixed_loss_kw", "quadratic_loss_per_kw"}


def test_verdicts_on_a_simulated_fleet_make_no_confident_wrong_flag():
    wrong = flagged = truly_out = 0
    for seed in range(20):
        sim = _sim(100 + seed, n_meters=40, n_periods=200, outlier_fraction=0.1)
        fit = fit_area(sim.area, gain=sim.gain_prior)
        for m in fit.meters:
            d = judge(m, "2")
            true = sim.true_errors[m.meter_id]
            truly_out += abs(true) > 0.02
            if d.verdict is MeterVerdict.OUT_OF_TOLERANCE:
                flagged += 1
                wrong += abs(true) <= 0.02
            if d.verdict is MeterVerdict.CONFORMING:
                wrong += abs(true) > 0.02
    assert wrong == 0
    # the guard band (w = 1.5 U) trades detection for no wrong replacement orders
    assert flagged >= 0.4 * truly_out > 0


def test_decision_uses_the_class_table():
    from jiliang.core.monitoring.balance import MeterEstimate

    est = MeterEstimate("m", 0.035, 0.003, 0.1, MeterStatus.ESTIMATED)
    assert judge(est, "2").verdict is MeterVerdict.OUT_OF_TOLERANCE
    assert judge(est, "A").verdict is MeterVerdict.INCONCLUSIVE  # 3.5 % sits on the MPE
    near = MeterEstimate("m", 0.001, 0.001, 0.1, MeterStatus.ESTIMATED)
    assert judge(near, "1").verdict is MeterVerdict.CONFORMING
    assert judge(near, "0.2S").verdict is MeterVerdict.INCONCLUSIVE  # guard band ≥ span
    wide = MeterEstimate("m", 0.09, 0.02, 0.1, MeterStatus.ESTIMATED)  # U = 4 % > MPE
    assert judge(wide, "2").verdict is MeterVerdict.OUT_OF_TOLERANCE  # 9 % − 1.5·4 % > 2 %
    with pytest.raises(MonitoringError, match="accuracy_class"):
        judge(near, "3")
    assert {e["code"] for e in classes().entries} >= {"0.2S", "0.5S", "1", "2", "A", "B", "C"}


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"x": np.array([[1.0, -1.0]]), "y": np.array([1.0])}, "x"),
        ({"x": np.array([[1.0, np.nan]]), "y": np.array([1.0])}, "x"),
        ({"x": np.ones((2, 2)), "y": np.ones(3)}, "y"),
        ({"x": np.ones((2, 2)), "y": np.array([1.0, 0.0])}, "y"),
        ({"x": np.ones((2, 2)), "y": np.ones(2), "hours": np.array([1.0, -1.0])}, "hours"),
    ],
)
def test_bad_area_data_names_the_field(kw, field):
    with pytest.raises(MonitoringError) as exc:
        AreaData(("a", "b"), **kw)
    assert exc.value.field == field


def test_duplicate_meter_ids_are_refused():
    with pytest.raises(MonitoringError, match="duplicate"):
        AreaData(("a", "a"), np.ones((3, 2)), np.ones(3))


def test_unknown_estimator_is_refused():
    sim = _sim(1, n_meters=5, n_periods=20)
    with pytest.raises(MonitoringError, match="estimator"):
        fit_area(sim.area, method="magic")
