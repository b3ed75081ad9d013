"""Lot judgement of prepackaged goods: mean criterion, T-short counts, tare, refusals."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jiliang.core.legal.prepackaged import (
    InsufficientSampleError,
    ToleranceBelowResolutionError,
    inspect_lot,
    net_contents,
    tolerable_deficiency,
    tolerance_rounding,
)

QN = 500.0  # g; T = 15 g (Order 75/70 band 500-1000 g)


def _sample(n, mean, spread, seed=0):
    rng = np.random.default_rng(seed)
    return mean + spread * rng.standard_normal(n)


def test_good_lot_passes_and_reports_its_numbers():
    net = _sample(50, 503.0, 2.0)
    v = inspect_lot(QN, "mass", 300, net=net)
    assert v.passed and not v.reasons
    assert v.plan.n == 50 and v.t == 15.0
    assert v.mean == pytest.approx(net.mean())
    assert v.s == pytest.approx(net.std(ddof=1))
    assert v.mean_limit == pytest.approx(QN - 0.379 * net.std(ddof=1))


def test_mean_below_the_limit_fails():
    net = _sample(50, 499.0, 2.0, seed=1)  # every unit within T, but the mean is short
    v = inspect_lot(QN, "mass", 300, net=net)
    limit = QN - 0.379 * net.std(ddof=1)
    assert net.mean() < limit
    assert not v.passed and v.n_short_t == 0
    assert any("mean" in r for r in v.reasons)


def test_units_short_by_more_than_t_are_counted_against_the_allowance():
    net = np.full(50, 510.0)
    net[:3] = QN - 16  # short by more than T = 15, less than 2T: 3 allowed for n = 50
    assert inspect_lot(QN, "mass", 300, net=net).passed
    net[3] = QN - 20
    v = inspect_lot(QN, "mass", 300, net=net)
    assert not v.passed and v.n_short_t == 4
    assert "4 unit(s) short by more than T = 15" in v.reasons[0]


def test_exactly_t_short_is_not_t_short():
    net = np.full(50, 510.0)
    net[:5] = QN - 15.0
    v = inspect_lot(QN, "mass", 300, net=net)
    assert v.n_short_t == 0 and v.passed


def test_one_unit_short_by_more_than_2t_fails_the_lot():
    net = np.full(50, 520.0)
    net[0] = QN - 31
    v = inspect_lot(QN, "mass", 300, net=net)
    assert not v.passed and v.n_short_2t == 1 and v.n_short_t == 0


def test_gross_minus_tare():
    gross = np.full(13, 530.0)
    v = inspect_lot(QN, "mass", 60, gross=gross, tare=25.0)
    assert v.mean == pytest.approx(505.0) and v.passed
    per_unit = inspect_lot(QN, "mass", 60, gross=gross, tare=np.full(13, 40.0))
    assert per_unit.mean == pytest.approx(490.0) and not per_unit.passed
    with pytest.raises(ValueError, match="'tare' has 3 values but 'gross' has 13"):
        net_contents(gross=gross, tare=[1, 2, 3])
    with pytest.raises(ValueError, match="'tare' is required"):
        net_contents(gross=gross)
    with pytest.raises(ValueError, match="negative"):
        net_contents(gross=[10.0], tare=20.0)


def test_fewer_units_than_the_plan_is_refused_naming_n():
    with pytest.raises(InsufficientSampleError, match="requires n = 80 units; only 40 given") as e:
        inspect_lot(QN, "mass", 1000, net=np.full(40, 505.0))
    assert e.value.required == 80
    with pytest.raises(ValueError, match="fixes n = 80"):
        inspect_lot(QN, "mass", 1000, net=np.full(81, 505.0))


def test_numpy_scalars_are_accepted():
    assert tolerable_deficiency(np.int64(250), "mass") == 9.0
    assert tolerable_deficiency(np.float32(400.0), "volume") == 12.0


def test_count_goods_with_no_shortage_allowed():
    # count Qn ≤ 50: T = 0, so any missing item is short by more than 2T
    assert inspect_lot(20, "count", 30, net=[20] * 10).passed
    v = inspect_lot(20, "count", 30, net=[20] * 9 + [19])
    assert not v.passed and v.n_short_2t == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"nominal": -1, "kind": "mass"}, "nominal"),
        ({"nominal": 60000, "kind": "mass"}, "outside"),
        ({"nominal": 100, "kind": "weight"}, "kind 'weight' must be one of"),
    ],
)
def test_bad_tolerance_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        tolerable_deficiency(**kwargs)


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=1.0, max_value=50000, allow_nan=False))
def test_t_is_continuous_across_bands_and_never_above_9_percent(qn):
    t = tolerable_deficiency(qn, "mass")
    # bands meet at their edges (9 % of 50 = 4.5, 4.5 % of 200 = 9, …), so T/Qn ≤ 9 % + rounding
    assert 0 < t <= 0.09 * qn + 0.05 + 1e-9
    assert t >= 0.01 * qn - 0.5 - 1e-9


# Order 75 附表3 note * / Order 70 annex: T of mass/volume goods up to 1 kg is 修约 to 0.1 g; the
# text does not name the rounding method (data: half_even per GB/T 8170-2008, unconfirmed). The
# method decides exact halves, and 9 % of Qn ≤ 0.55 g rounds to 0.
def test_qn_5g_half_value_rounding_is_explicit_and_recorded():
    rule = tolerance_rounding()
    assert (rule.method, rule.confirmed) == ("half_even", False)  # flagged unconfirmed
    assert tolerable_deficiency(5, "mass") == 0.4  # 0.45 → 0.4 (GB/T 8170 half to even)
    assert tolerable_deficiency(5, "mass", rounding="half_up") == 0.5
    verdict = inspect_lot(5, "mass", 5, net=[5.0] * 5)
    assert verdict.t == 0.4 and "half_even" in verdict.t_rounding
    assert "unconfirmed" in verdict.t_rounding
    up = inspect_lot(5, "mass", 5, net=[5.0] * 5, rounding="half_up")
    assert up.t == 0.5 and up.t_rounding.startswith("half_up (chosen by the caller")
    with pytest.raises(ValueError, match="rounding 'nearest'"):
        tolerable_deficiency(5, "mass", rounding="nearest")


@pytest.mark.parametrize("qn", [0.5, 0.55, 0.1])
def test_qn_below_0_55g_never_gives_t_zero(qn):
    """T = 9 % of 0.5 g = 0.045 g rounds to 0.0 at 0.1 g: a T of 0 would fail every unit short
    by any amount, so it is refused by name, or replaced by the 0.1 g step on request."""
    with pytest.raises(ToleranceBelowResolutionError, match="rounds to 0") as info:
        tolerable_deficiency(qn, "mass")
    assert "nominal (Qn)" in str(info.value) and info.value.step == 0.1
    assert tolerable_deficiency(qn, "mass", below_resolution="step") == 0.1
    with pytest.raises(ToleranceBelowResolutionError):
        inspect_lot(qn, "mass", 5, net=[qn] * 5)
    assert inspect_lot(qn, "mass", 5, net=[qn] * 5, below_resolution="step").t == 0.1


def test_first_qn_with_a_usable_t_and_stated_zero_rows_unchanged():
    assert tolerable_deficiency(0.56, "mass") == 0.1  # 0.0504 → 0.1
    # rows that state "no shortage allowed" themselves keep T = 0 (length ≤ 5 m, count ≤ 50)
    assert tolerable_deficiency(5, "length") == 0
    assert tolerable_deficiency(50, "count") == 0
