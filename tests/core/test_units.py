r"""Tests for jiliang.core.units: D-SI parsing, conversion, dimensions, Chinese legal units."""

from __future__ import annotations

import math
import time
import warnings

import numpy as np
import pytest
from dsi_unit import DsiUnit
from hypothesis import given
from hypothesis import strategies as st

from jiliang.core import units
from jiliang.core.units import (
    IncommensurableUnitsError,
    NotLegalUnitError,
    UnitError,
    check_legal,
    chinese_name,
    convert,
    dimension_of,
    parse_dsi,
    to_si,
)


# ---------------------------------------------------------------- parsing
@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        (r"\kilogram", r"\kilogram"),
        (r"\milli\metre\tothe{2}", r"\milli\metre\tothe{2}"),
        (r"\metre\second\tothe{-2}", r"\metre\second\tothe{-2}"),
        (r"\degreecelsius", r"\degreecelsius"),
        (r"\degreeCelsius", r"\degreecelsius"),
        (r"\metre\per\second", r"\metre\second\tothe{-1}"),
        (r"\kilogram\per\metre\tothe{3}", r"\kilogram\metre\tothe{-3}"),
        (r"\metre\tothe{0.5}", r"\metre\tothe{0.5}"),
        ("|rpm", "|r/min"),
        (" \\volt ", r"\volt"),
    ],
)
def test_parse_normalises(given: str, canonical: str) -> None:
    assert parse_dsi(given).dsi == canonical


def test_parse_terms() -> None:
    parsed = parse_dsi(r"\milli\metre\tothe{2}\second\tothe{-1}")
    assert [(t.prefix, t.unit, t.exponent) for t in parsed.terms] == [
        ("milli", "metre", 2),
        ("", "second", -1),
    ]


@pytest.mark.parametrize(
    ("bad", "position", "reason"),
    [
        (r"\milli\metr", 7, r"unknown unit token '\metr' at position 7 (did you mean '\metre'?)"),
        (r"\metre\tothe{x}", 7, "needs a number in braces"),
        (r"\metre\tothe2", 7, "needs a number in braces"),
        (r"\kilo", 1, "not followed by a unit"),
        (r"\kilo\kilogram", 1, "takes no prefix"),
        (r"\kilo\hour", 1, "takes no prefix"),
        (r"\milli\degree", 1, "takes no prefix"),
        (r"\kilo\gram", 1, r"write '\kilogram'"),
        (r"\deci\bel", 1, r"write '\decibel'"),
        (r"\kibi\metre", 1, "only allowed with"),
        (r"\tothe{2}", 1, "must follow a unit"),
        (r"\metre\tothe{2}\tothe{3}", 16, "must follow a unit"),
        (r"\metre\tothe{0}", 7, "exponent 0"),
        (r"\percent\tothe{2}", 9, "takes no exponent"),
        (r"\metre\per\second\per\kelvin", 18, "may appear once"),
        ("metre", 1, "starts with"),
        (r"\metre kg", 7, "found ' '"),
        ("\\metre{", 7, "found '{'"),
        ("|furlong", 1, "not known"),
        ("", 1, "empty"),
    ],
)
def test_parse_errors_have_position_and_reason(bad: str, position: int, reason: str) -> None:
    with pytest.raises(UnitError) as info:
        parse_dsi(bad)
    assert info.value.position == position
    assert reason in str(info.value)


@given(st.text(alphabet="\\{}_-.0123456789|aegilmnoprstkhcd", max_size=30))
def test_parse_raises_only_unit_error(text: str) -> None:
    # fuzz: any string is either a valid unit or a UnitError with a position, never a crash
    try:
        parsed = parse_dsi(text)
    except UnitError as err:
        assert err.position is not None or "string" in str(err)
    else:
        assert parse_dsi(parsed.dsi) == parsed


def test_parsed_units_are_valid_for_dsiunits() -> None:
    # every canonical string we produce must also be valid for PTB's own parser
    for text in [r"\kilo\metre\hour\tothe{-1}", r"\degreeCelsius", r"\metre\per\second\tothe{2}"]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert DsiUnit(parse_dsi(text).dsi).valid


def test_to_utf8() -> None:
    assert units.to_utf8(r"\milli\metre\tothe{2}") == "mm²"
    assert units.to_utf8("|r/min") == "r/min"


# ---------------------------------------------------------------- conversion
@pytest.mark.parametrize(
    ("unit", "value_si", "si"),
    [
        # SI Brochure 9th ed. §2.3.1: t/℃ = T/K − 273.15
        (r"\degreecelsius", 293.15, r"\kelvin"),
        # SI Brochure 9th ed. table 8 (non-SI units accepted for use with the SI)
        (r"\litre", 1e-3, r"\metre\tothe{3}"),
        (r"\tonne", 1e3, r"\kilogram"),
        (r"\hectare", 1e4, r"\metre\tothe{2}"),
        (r"\hour", 3600.0, r"\second"),
        (r"\day", 86400.0, r"\second"),
        (r"\arcminute", math.pi / 10800, r"\radian"),
        (r"\electronvolt", 1.602176634e-19, r"\joule"),  # exact since 2019 (SI Brochure §2.2)
        # GB 3100-1993 表 5: 1 n mile = 1852 m, 1 kn = 1852/3600 m/s, 1 r/min = (1/60) s⁻¹
        (r"\nauticalmile", 1852.0, r"\metre"),
        (r"\knot", 1852 / 3600, r"\metre\second\tothe{-1}"),
        ("|r/min", 1 / 60, r"\second\tothe{-1}"),
        ("|tex", 1e-6, r"\kilogram\metre\tothe{-1}"),  # 1 tex = 1 g/km
        (r"\kilo\metre\hour\tothe{-1}", 1000 / 3600, r"\metre\second\tothe{-1}"),
        (r"\milli\metre\tothe{2}", 1e-6, r"\metre\tothe{2}"),
        (r"\milli\gram", 1e-6, r"\kilogram"),
        (r"\kilo\pascal", 1e3, r"\pascal"),
        (r"\percent", 0.01, r"\one"),
        (r"\micro\metre\metre\tothe{-1}", 1e-6, r"\one"),
        (r"\degreecelsius\tothe{-1}", 1.0, r"\kelvin\tothe{-1}"),  # a coefficient: no offset
        ("kPa", 1e3, r"\pascal"),
        # NIST SP 811 (2008) appendix B.8: 1 psi = 6.894 757 E+03 Pa
        ("psi", 6894.757293168361, r"\kilogram\metre\tothe{-1}\second\tothe{-2}"),
    ],
)
def test_to_si(unit: str, value_si: float, si: str) -> None:
    value, unit_si = to_si(1.0 if unit != r"\degreecelsius" else 20.0, unit)
    assert value == pytest.approx(value_si, rel=1e-12)
    assert unit_si == si


def test_to_si_factor_agrees_with_dsiunits() -> None:
    # dsiunits' own scale factors are an independent implementation of the same conversions
    for unit in [r"\kilo\metre\hour\tothe{-1}", r"\litre", r"\milli\metre\tothe{2}", r"\hour"]:
        _, si = to_si(1.0, unit)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ptb = 1.0 / DsiUnit(unit).get_scale_factor(DsiUnit(si))
        assert to_si(1.0, unit)[0] == pytest.approx(ptb, rel=1e-12)


def test_convert_with_offsets_and_pint_strings() -> None:
    assert convert(20.0, r"\degreecelsius", "degF") == pytest.approx(68.0, rel=1e-12)
    assert convert(1.0, "psi", r"\kilo\pascal") == pytest.approx(6.894757293168361, rel=1e-12)
    assert convert(1.0, "|r/min", r"\hertz") == pytest.approx(1 / 60, rel=1e-12)
    assert convert(3.0, r"\kilo\metre", "m") == pytest.approx(3000.0, rel=1e-12)
    assert convert(1.0, r"\bel", r"\decibel") == 10.0


def test_convert_arrays() -> None:
    values = np.array([0.0, 25.0, 100.0])
    np.testing.assert_allclose(
        convert(values, r"\degreecelsius", r"\kelvin"), [273.15, 298.15, 373.15], rtol=1e-12
    )


def test_convert_difference_has_no_offset() -> None:
    assert units.convert_difference(0.1, r"\degreecelsius", r"\kelvin") == pytest.approx(0.1)
    assert units.conversion_factor(r"\milli\metre", r"\metre") == pytest.approx(1e-3)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (r"\metre", r"\second"),
        (r"\hertz", r"\radian\second\tothe{-1}"),  # frequency is not angular velocity
        (r"\percent", r"\degree"),  # a ratio is not an angle
        (r"\neper", r"\decibel"),  # depends on power vs root-power quantity
        (r"\bit", r"\one"),
    ],
)
def test_incommensurable(a: str, b: str) -> None:
    assert not units.commensurable(a, b)
    with pytest.raises(IncommensurableUnitsError):
        convert(1.0, a, b)


@given(
    st.floats(min_value=-1e9, max_value=1e9, allow_nan=False),
    st.sampled_from(
        [
            (r"\kilo\metre\hour\tothe{-1}", r"\knot"),
            (r"\degreecelsius", r"\kelvin"),
            (r"\milli\litre", r"\centi\metre\tothe{3}"),
            (r"\electronvolt", r"\kilo\joule"),
            ("psi", "mmHg"),
        ]
    ),
)
def test_round_trip(value: float, pair: tuple[str, str]) -> None:
    a, b = pair
    back = convert(convert(value, a, b), b, a)
    assert back == pytest.approx(value, rel=1e-12, abs=1e-6)


def test_to_si_is_fast() -> None:
    to_si(1.0, r"\kilo\metre\hour\tothe{-1}")  # warm the cache
    n = 20_000
    start = time.perf_counter()
    for _ in range(n):
        to_si(1.0, r"\kilo\metre\hour\tothe{-1}")
    per_call = (time.perf_counter() - start) / n
    assert per_call < 20e-6  # measured ≈ 0.5 µs; pint itself takes ≈ 200 µs per conversion


# ---------------------------------------------------------------- pint mapping
@pytest.mark.parametrize(
    ("dsi", "pint_expr"),
    [
        (r"\milli\metre\tothe{2}", "millimeter ** 2"),
        (r"\kilogram", "kilogram"),
        (r"\degreecelsius", "degree_Celsius"),
        (r"\degreecelsius\tothe{-1}", "delta_degree_Celsius ** -1"),
    ],
)
def test_to_pint(dsi: str, pint_expr: str) -> None:
    assert units.to_pint(dsi) == pint_expr


@pytest.mark.parametrize(
    ("pint_expr", "dsi"),
    [
        ("km/h", r"\kilo\metre\hour\tothe{-1}"),
        ("kg", r"\kilogram"),
        ("mg", r"\milli\gram"),
        ("mm**2", r"\milli\metre\tothe{2}"),
        ("degC", r"\degreecelsius"),
        ("L", r"\litre"),
        ("dimensionless", r"\one"),
    ],
)
def test_from_pint(pint_expr: str, dsi: str) -> None:
    assert units.from_pint(pint_expr) == dsi


def test_from_pint_errors() -> None:
    with pytest.raises(UnitError, match="no D-SI equivalent"):
        units.from_pint("inch")
    with pytest.raises(UnitError, match="cannot parse"):
        units.from_pint("metre +* 2")


# ---------------------------------------------------------------- dimensions
def test_dimension_of() -> None:
    assert str(dimension_of(r"\newton")) == "L·M·T^-2"
    assert dimension_of(r"\newton") == dimension_of(r"\kilogram\metre\second\tothe{-2}")
    assert dimension_of(r"\kilo\pascal") == dimension_of("psi")
    assert dimension_of("|r/min") == dimension_of(r"\hertz")
    assert dimension_of(r"\lumen") == dimension_of(r"\candela\steradian")
    assert dimension_of(r"\percent").is_dimensionless
    assert not dimension_of(r"\radian").is_dimensionless
    assert dimension_of(r"\metre\second\tothe{-2}").as_dict() == {"length": "1", "time": "-2"}


# ---------------------------------------------------------------- legal units
@pytest.mark.parametrize(
    ("unit", "use"),
    [
        ("psi", r"\kilo\pascal"),
        ("inch", r"\milli\metre"),
        ("kgf", r"\newton"),
        ("cal", r"\joule"),
        ("mmHg", r"\kilo\pascal"),
        (r"\mmHg", r"\kilo\pascal"),
        ("斤", r"\kilogram"),
        ("亩", r"\hectare"),
        ("bar", r"\kilo\pascal"),
        (r"\angstrom", r"\nano\metre"),
        ("lb/in**2", r"\kilogram"),
        (r"\kilo\knot", r"\knot"),
    ],
)
def test_check_legal_rejects_with_replacement(unit: str, use: str) -> None:
    with pytest.raises(NotLegalUnitError) as info:
        check_legal(unit)
    assert info.value.use == use
    assert use in str(info.value)


def test_check_legal_unit_without_conversion() -> None:
    with pytest.raises(NotLegalUnitError, match="use an SI unit") as info:
        check_legal(r"\clight")  # a D-SI token with no conversion defined
    assert info.value.use is None


def test_check_legal_message() -> None:
    with pytest.raises(
        NotLegalUnitError, match=r"psi .* is not a legal unit .*; use \\kilo\\pascal"
    ):
        check_legal("psi")


@pytest.mark.parametrize(
    ("unit", "zh"),
    [
        (r"\kilo\pascal", "千帕斯卡"),
        ("kPa", "千帕斯卡"),
        (r"\kilogram", "千克"),
        (r"\metre", "米"),
        (r"\second", "秒"),
        (r"\hectare", "公顷"),
        ("rpm", "转每分"),
        (r"\milli\litre", "毫升"),
        (r"\kilo\metre\hour\tothe{-1}", "千米每小时"),
    ],
)
def test_check_legal_accepts(unit: str, zh: str) -> None:
    assert check_legal(unit).zh == zh


def test_mmhg_permitted_for_blood_pressure_only() -> None:
    legal = check_legal("mmHg", usage="blood_pressure")
    assert legal.dsi == r"\mmHg" and "blood_pressure" in legal.note
    with pytest.raises(NotLegalUnitError):
        check_legal("mmHg", usage="vacuum")


def test_check_legal_unknown_and_malformed() -> None:
    with pytest.raises(UnitError):
        check_legal("blorp")
    with pytest.raises(UnitError, match="position 7"):
        check_legal(r"\milli\metr")


@pytest.mark.parametrize(
    ("unit", "zh"),
    [
        (r"\metre\second\tothe{-2}", "米每二次方秒"),  # GB 3100-1993 example wording
        (r"\milli\metre\tothe{2}", "平方毫米"),
        (r"\metre\tothe{3}", "立方米"),
        (r"\kilogram\metre\tothe{-3}", "千克每立方米"),
        (r"\second\tothe{-1}", "每秒"),
        (r"\newton\metre", "牛顿米"),
    ],
)
def test_chinese_name(unit: str, zh: str) -> None:
    assert chinese_name(unit) == zh


@given(st.text(alphabet="kmgsNPaLhdC/*^()0123456789 .-+_%", max_size=12))
def test_pint_side_raises_only_unit_error(text: str) -> None:
    # pint's own parser raises many exception types on garbage; all must become UnitError
    try:
        dimension = dimension_of(text)
    except UnitError:
        return
    assert isinstance(dimension, units.Dimension)


# Symbols: GB 3101-1993 §3.2 (= ISO 31-0 / ISO 80000-1 §7.2): a product of units is written with
# a half-high dot (or a space), a quotient with one solidus and the denominator in parentheses
# when it is a product. Juxtaposed symbols are a fault: "µmm⁻¹" reads as micro-millimetre.
@pytest.mark.parametrize(
    ("unit", "symbol"),
    [
        (r"\micro\metre\per\metre", "µm/m"),
        (r"\kilo\watt\hour", "kW·h"),
        (r"\kilo\metre\per\hour", "km/h"),
        (r"\newton\metre", "N·m"),
        (r"\metre\per\second\tothe{2}", "m/s²"),
        (r"\kilogram\metre\tothe{-3}", "kg/m³"),
        (r"\watt\metre\tothe{-1}\kelvin\tothe{-1}", "W/(m·K)"),  # GB 3101 example form
        (r"\joule\kilogram\tothe{-1}\kelvin\tothe{-1}", "J/(kg·K)"),
        (r"\litre", "L"),  # GB 3100-1993 表 5: 升 L (l is the reserve symbol)
        (r"\milli\litre\per\minute", "mL/min"),
        (r"\degreecelsius", "℃"),
        (r"\tonne", "t"),
        (r"\second\tothe{-1}", "s⁻¹"),
        (r"\milli\metre\tothe{2}", "mm²"),
        (r"\metre\tothe{0.5}", "m¹ᐟ²"),
    ],
)
def test_symbols_never_juxtapose_units_gb3101(unit: str, symbol: str) -> None:
    assert units.to_utf8(unit) == symbol


# Names: the 1984 table 《中华人民共和国法定计量单位》 and its 《使用方法》 (国家计量局 1984):
# §5 the bracketed characters (瓦[特], [小]时, 牛[顿]) may be dropped (简称); §6 the name follows
# the symbol's order and 每 appears once (J/(kg·K) 焦耳每千克开尔文). The energy unit kW·h is
# 千瓦时 (JJG 596-2012 电子式交流电能表; never 千瓦特小时).
@pytest.mark.parametrize(
    ("unit", "full", "short"),
    [
        (r"\kilo\watt\hour", "千瓦时", "千瓦时"),
        (r"\mega\watt\hour", "兆瓦时", "兆瓦时"),
        (r"\milli\ampere\hour", "毫安时", "毫安时"),
        (r"\kilo\watt\hour\metre\tothe{-3}", "千瓦时每立方米", "千瓦时每立方米"),
        (r"\kilo\metre\per\hour", "千米每小时", "千米每时"),
        (r"\degreecelsius", "摄氏度", "摄氏度"),
        (r"\newton\metre", "牛顿米", "牛米"),  # 牛[顿]米
        (r"\joule\kilogram\tothe{-1}\kelvin\tothe{-1}", "焦耳每千克开尔文", "焦每千克开"),
        (r"\litre", "升", "升"),
        (r"\tonne", "吨", "吨"),
        (r"\micro\metre\per\metre", "微米每米", "微米每米"),
    ],
)
def test_chinese_names_are_the_legal_names_1984(unit: str, full: str, short: str) -> None:
    assert chinese_name(unit) == full
    assert chinese_name(unit, short=True) == short


def test_kwh_as_typed_is_legal_not_word_by_word() -> None:
    """pint's single-name kWh / mAh are the legal kW·h / mA·h (1984 table, item 5: products of
    legal units), not "not a legal unit"; name and symbol as the 1984 rules give them."""
    kwh = check_legal("kWh")
    assert (kwh.dsi, kwh.zh, kwh.symbol) == (r"\kilo\watt\hour", "千瓦时", "kW·h")
    assert check_legal("mAh").zh == "毫安时"
    assert units.conversion_factor("kWh", r"\joule") == pytest.approx(3.6e6)


@pytest.mark.parametrize(
    ("given", "dsi", "zh", "symbol"),
    [
        ("km/h", r"\kilo\metre\hour\tothe{-1}", "千米每小时", "km/h"),
        ("degC", r"\degreecelsius", "摄氏度", "℃"),
        ("N*m", r"\newton\metre", "牛顿米", "N·m"),
        ("L", r"\litre", "升", "L"),
        ("t", r"\tonne", "吨", "t"),
    ],
)
def test_common_legal_units_name_and_symbol(given: str, dsi: str, zh: str, symbol: str) -> None:
    legal = check_legal(given)
    assert (legal.dsi, legal.zh, legal.symbol) == (dsi, zh, symbol)


def test_mmhg_is_not_a_legal_unit_outside_blood_pressure() -> None:
    """mmHg is not in the 1984 table; only blood pressure may keep it (see check_legal)."""
    with pytest.raises(NotLegalUnitError, match="毫米汞柱"):
        check_legal("mmHg")
