r"""How quantities are written (core.presentation): prefix by magnitude, GUM 7.2.6, symbols."""

from __future__ import annotations

import pytest

from jiliang.core.presentation import suited_unit, unit_name_zh, unit_symbol, write, write_range
from jiliang.core.units import UnitError


def test_prefix_suited_to_the_magnitude():
    # a standard's U of 5.4 mg, stored in SI
    w = write(5.4e-6, r"\kilogram")
    assert (w.value, w.symbol, w.unit, w.name_zh) == ("5.4", "mg", r"\milli\gram", "毫克")
    assert write(0.01, r"\kilogram").value == "10" and write(0.01, r"\kilogram").symbol == "g"
    assert (write(101325.0, r"\pascal").value, write(101325.0, r"\pascal").symbol) == (
        "101.325",
        "kPa",
    )
    assert write(0.0012, r"\second").symbol == "ms"
    # values in [0.1, 1000) keep their unit (ISO 80000-1), and so does zero
    assert write(0.5, r"\kilogram").symbol == "kg"
    assert write(0.0, r"\kilogram").symbol == "kg"
    # multiples of mass stop at kg, of time and volume at s and L
    assert write(2e6, r"\kilogram").symbol == "kg"
    assert write(3600.0, r"\second").symbol == "s"
    assert write(2500.0, r"\litre").symbol == "L"


def test_a_chosen_prefix_and_compound_units_are_kept():
    assert suited_unit(r"\mega\pascal", 0.002) == r"\mega\pascal"
    assert suited_unit(r"\mega\pascal", 0.002, keep_prefix=False) == r"\kilo\pascal"
    assert suited_unit(r"\micro\metre\metre\tothe{-1}", 1e-4) == r"\micro\metre\metre\tothe{-1}"
    assert suited_unit(r"\degreecelsius", 0.001) == r"\degreecelsius"
    assert suited_unit(r"\metre\second\tothe{-2}", 1e-5) == r"\metre\second\tothe{-2}"


def test_gum_7_2_6_value_to_the_decimal_place_of_U():
    w = write(0.0020000000000000018, r"\mega\pascal", uncertainty=0.00052)
    assert (w.value, w.uncertainty, w.symbol) == ("0.00200", "0.00052", "MPa")
    w = write(10.0, r"\kilogram", uncertainty=0.002)
    assert (w.value, w.uncertainty) == ("10.0000", "0.0020")
    # a value alone loses the binary noise, not its digits
    assert write(0.0020000000000000018, r"\mega\pascal").value == "0.002"
    assert write(20.123456, r"\degreecelsius").value == "20.123456"
    # an uncertainty alone: two significant digits, in the unit suited to it
    w = write(None, r"\kilogram", uncertainty=5.4321e-6)
    assert (w.value, w.uncertainty, w.symbol) == (None, "5.4", "mg")


def test_a_larger_unit_is_not_taken_if_it_needs_powers_of_ten():
    w = write(123456789.123, r"\hertz", uncertainty=0.04)
    assert (w.value, w.uncertainty, w.symbol) == ("123456789.123", "0.040", "Hz")


def test_symbols_and_chinese_names():
    assert unit_symbol(r"\micro\metre\metre\tothe{-1}") == "µm/m"
    assert unit_symbol(r"\degreecelsius") == "℃"
    assert unit_symbol(r"\degreecelsius", "en") == "°C"
    assert unit_symbol(r"\one") == "" and unit_name_zh(r"\one") == ""
    assert unit_name_zh(r"\kilogram") == "千克"
    assert unit_name_zh(r"\micro\metre\metre\tothe{-1}") == "微米每米"
    w = write(20.0, r"\degreecelsius", uncertainty=0.05, lang="en")
    assert (w.value, w.uncertainty, w.symbol) == ("20.000", "0.050", "°C")


def test_range_in_one_unit_from_the_larger_end():
    low, high, w = write_range(0.0, 0.0002, r"\kilogram")
    assert (low, high, w.symbol) == ("0", "200", "mg")
    low, high, w = write_range(0.0, 50.0, r"\kilogram")
    assert (low, high, w.symbol) == ("0", "50", "kg")


def test_forced_unit_converts_with_the_offset():
    assert write(20.0, r"\degreecelsius", into=r"\kelvin").value == "293.15"
    # an uncertainty is a difference: 0.1 ℃ is 0.1 K
    assert write(None, r"\degreecelsius", uncertainty=0.1, into=r"\kelvin").uncertainty == "0.10"


def test_bad_input_is_refused_by_name():
    with pytest.raises(UnitError):
        write(1.0, r"\kilogramm")
    with pytest.raises(TypeError, match="value"):
        write("1.0", r"\kilogram")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="uncertainty"):
        write(1.0, r"\kilogram", uncertainty="0.1")  # type: ignore[arg-type]


def test_a_finer_unit_rather_than_powers_of_ten():
    # 0.3 kg with U = 5.4 mg would be 3.000000×10⁻¹ kg in kilograms
    w = write(0.1 + 0.2, r"\kilogram", uncertainty=5.4e-6)
    assert (w.value, w.uncertainty, w.symbol) == ("300.0000", "0.0054", "g")
    # without adapting, the core's scientific form is what remains
    w = write(0.1 + 0.2, r"\kilogram", uncertainty=5.4e-6, adapt=False)
    assert (w.value, w.uncertainty, w.symbol) == ("3.000000×10⁻¹", "5.4×10⁻⁶", "kg")
