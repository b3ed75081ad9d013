"""Tests for jiliang.core.quantity."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from jiliang.core.quantity import Quantity, QuantityError, coverage_factor


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"value": math.nan}, "value"),
        ({"value": math.inf}, "value"),
        ({"value": "1.0"}, "value"),
        ({"value": 1.0, "u": -0.1}, "u"),
        ({"value": 1.0, "u": math.nan}, "u"),
        ({"value": 1.0, "dof": 0}, "dof"),
        ({"value": 1.0, "dof": -3}, "dof"),
        ({"value": 1.0, "k": 0.0}, "k"),
        ({"value": 1.0, "distribution": "lognormal"}, "distribution"),
        ({"value": 1.0, "unit": r"\metr"}, "unit"),
        ({"value": 1.0, "unit": "furlongs per fortnight"}, "unit"),
    ],
)
def test_invalid_fields_are_named(kwargs: dict, field: str) -> None:
    with pytest.raises(QuantityError) as info:
        Quantity(**kwargs)
    assert info.value.field == field
    assert str(info.value).startswith(f"{field}:")


def test_numpy_numbers_are_accepted() -> None:
    q = Quantity(np.float32(1.5), np.float64(0.25), dof=np.int64(7), k=np.int32(2))
    assert (q.value, q.u, q.dof, q.k) == (1.5, 0.25, 7.0, 2.0)
    assert type(q.value) is float


def test_unit_is_normalised() -> None:
    assert Quantity(1.0, 0.1, r"\degreeCelsius").unit == r"\degreecelsius"
    assert Quantity(1.0, 0.1, "mm").unit == r"\milli\metre"


def test_frozen() -> None:
    q = Quantity(1.0, 0.1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        q.value = 2.0  # type: ignore[misc]


@pytest.mark.parametrize(
    ("dof", "k"),
    [
        # JCGM 100:2008 table G.2, column p = 95 %
        (10, 2.23),
        (4, 2.78),
        (math.inf, 1.96),
    ],
)
def test_coverage_factor_t_table(dof: float, k: float) -> None:
    assert coverage_factor(0.95, dof) == pytest.approx(k, abs=0.005)


def test_coverage_factor_is_the_gum_one_truncating_dof() -> None:
    """Issue 12: the two coverage_factor functions disagreed (ν = 3.5: 2.940 vs 3.182).
    JCGM 100 G.4.1 note 1: truncate ν_eff; table G.2, ν = 3, p = 95.45 %… here p = 0.95: 3.18."""
    from jiliang.core.uncertainty.gum import coverage_factor as gum

    assert coverage_factor(0.95, 3.5) == pytest.approx(3.182, abs=0.001)
    assert coverage_factor(0.95, 3.5) == gum(0.95, 3.5)


def test_coverage_factor_bad_input() -> None:
    with pytest.raises(QuantityError, match=r"^p:"):
        coverage_factor(1.5)
    with pytest.raises(QuantityError, match=r"^dof:"):
        coverage_factor(0.95, 0)


def test_expanded() -> None:
    q = Quantity(10.0, 0.05, r"\milli\metre", dof=10)
    assert q.expanded(2.0) == pytest.approx(0.10)
    assert q.expanded() == pytest.approx(0.05 * coverage_factor(0.95, 10))
    assert Quantity(10.0, 0.05, k=2.0).expanded() == pytest.approx(0.10)
    with pytest.raises(QuantityError, match=r"^k:"):
        q.expanded(-1.0)


def test_from_expanded() -> None:
    q = Quantity.from_expanded(100.0, 0.2, 2.0, r"\milli\metre")
    assert q.u == pytest.approx(0.1) and q.k == 2.0
    assert q.expanded() == pytest.approx(0.2)
    with pytest.raises(QuantityError, match=r"^k:"):
        Quantity.from_expanded(100.0, 0.2, 0.0)


def test_conversion_keeps_uncertainty_as_a_difference() -> None:
    t = Quantity(20.0, 0.1, r"\degreecelsius").to(r"\kelvin")
    assert t.value == pytest.approx(293.15) and t.u == pytest.approx(0.1)
    length = Quantity(12.5, 0.02, r"\milli\metre").to_si()
    assert length.unit == r"\metre"
    assert length.value == pytest.approx(0.0125) and length.u == pytest.approx(2e-5)


def test_relative_u() -> None:
    assert Quantity(-4.0, 0.02).relative_u == pytest.approx(0.005)
    with pytest.raises(QuantityError, match=r"^value:"):
        _ = Quantity(0.0, 0.02).relative_u


def test_dict_round_trip() -> None:
    q = Quantity(1.5, 0.01, r"\volt", dof=12.0, k=2.0, distribution="normal")
    assert Quantity.from_dict(q.to_dict()) == q
    inf = Quantity(1.0, 0.1)
    assert inf.to_dict()["dof"] is None
    assert Quantity.from_dict(inf.to_dict()).dof == math.inf
