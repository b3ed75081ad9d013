r"""How a quantity is written for people: unit symbol, prefix suited to the magnitude, digits.

The platform shows numbers that the core computed; this module decides how they are *written*
so every page writes them the same way (the platform never rounds or re-prefixes on its own):

* **Digits** — JCGM 100 (GUM) 7.2.6 through :mod:`jiliang.core.uncertainty.rounding`: U with two
  significant digits, the value to the same decimal place; a value without an uncertainty keeps
  twelve significant digits, which removes binary noise (0.0020000000000000018 → 0.002) and
  nothing a register holds.
* **Prefix** — ISO 80000-1 (GB 3101-1993 §3.5): a prefix is chosen so the numerical value lies
  between 0.1 and 1000. A unit *entered* with a prefix (a pressure gauge's MPa scale, a gauge
  block's mm) is the author's choice and is kept; a coherent unit without prefix — every ``*_si``
  column, and the kilogram — gets the engineering prefix (10^3n) that brings the value into
  [1, 1000) when it lies outside [0.1, 1000): 5.4e-6 kg → 5.4 mg, 101 325 Pa → 101.325 kPa.
  Compound units (µm/m, m/s², W/(m·K)) and units that take no prefix (℃, %, min, °) keep their
  spelling. Time and volume only go down (ms, mL): ks and kL are not used (h, m³ are).
* **Symbol** — :func:`jiliang.core.units.to_utf8` (GB 3100/3101: µm/m, m/s², kW·h, ℃), the
  Chinese legal name from :func:`jiliang.core.units.chinese_name`. English text writes the
  Celsius symbol as °C (U+00B0 C); ℃ (U+2103) is the CJK compatibility character GB 3100 prints.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from jiliang.core import units
from jiliang.core.uncertainty.rounding import format_at, format_with_uncertainty

__all__ = ["Written", "suited_unit", "unit_name_zh", "unit_symbol", "write", "write_range"]

# engineering prefixes from femto to peta, by power of ten
_ENGINEERING = {
    -15: "femto", -12: "pico", -9: "nano", -6: "micro", -3: "milli", 0: "",
    3: "kilo", 6: "mega", 9: "giga", 12: "tera", 15: "peta",
}  # fmt: skip
_POWER_OF = {p: e for e, p in _ENGINEERING.items()}
#: units whose multiples are not used (3600 s stays seconds, 2000 L stays litres)
_DOWN_ONLY = frozenset({"second", "litre"})
_KEEP_RANGE = (0.1, 1000.0)  # ISO 80000-1: no re-prefixing while the value lies in here
_SUPERSCRIPT = str.maketrans("0123456789-+", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺")


@dataclass(frozen=True, slots=True)
class Written:
    """A quantity as written: texts of the value and uncertainty, and the unit used.

    ``unit`` is the D-SI unit the numbers are expressed in (it may differ from the unit given:
    ``5.4e-6 \\kilogram`` is written in ``\\milli\\gram``); ``symbol`` its printed symbol
    (empty for the unit one) and ``name_zh`` its Chinese legal name (法定计量单位名称).
    """

    value: str | None
    uncertainty: str | None
    unit: str
    symbol: str
    name_zh: str


def _dsi(unit: str) -> str:
    """Canonical D-SI of a D-SI or pint unit (budgets are written with pint's ``"kPa"``)."""
    return units.normalise_dsi(unit) if units.is_dsi(unit) else units.from_pint(unit)


def unit_symbol(unit: str, lang: str = "zh") -> str:
    r"""Printed symbol of a D-SI (or pint) unit (``\micro\metre\metre\tothe{-1}`` → ``µm/m``);
    ``""`` for the unit one. ``lang="en"`` writes ℃ as °C."""
    dsi = _dsi(unit)
    if dsi == r"\one":
        return ""
    symbol = units.to_utf8(dsi)
    return symbol.replace("℃", "°C") if lang.startswith("en") else symbol


def unit_name_zh(unit: str) -> str:
    r"""Chinese legal name of a D-SI unit, short form (千克, 兆帕, 微米每米); ``""`` for one."""
    dsi = _dsi(unit)
    return "" if dsi == r"\one" else units.chinese_name(dsi, short=True)


def _family(term: units.UnitTerm) -> tuple[str, int] | None:
    """(base unit, power of ten of the term's prefix) when the term may be re-prefixed."""
    if term.exponent != 1 or term.unit.startswith("|"):
        return None
    if term.unit == "kilogram":  # multiples of mass are formed on the gram (SI Brochure 3)
        return "gram", 3
    info = units.legal_unit_table()["units"].get(term.unit)
    if not info or not info["prefixes"] or term.unit == "tonne":
        return None
    power = _POWER_OF.get(term.prefix)
    return None if power is None else (term.unit, power)


def suited_unit(unit: str, magnitude: float, *, keep_prefix: bool = True) -> str:
    r"""The D-SI unit in which ``magnitude`` (given in ``unit``) is best written.

    ``suited_unit(r"\kilogram", 5.4e-6) == r"\milli\gram"``; ``suited_unit(r"\pascal", 2e6)``
    is ``\mega\pascal``; a prefixed unit is kept when ``keep_prefix`` (the default), a value
    already in [0.1, 1000) keeps its unit, and so do zero, non-finite values, compound units and
    units that take no prefix. Raises :class:`jiliang.core.units.UnitError` for a bad unit.
    """
    parsed = units.parse_dsi(_dsi(unit))
    size = abs(magnitude)
    if len(parsed.terms) != 1 or not math.isfinite(size) or size == 0:
        return parsed.dsi
    if _KEEP_RANGE[0] <= size < _KEEP_RANGE[1]:
        return parsed.dsi
    family = _family(parsed.terms[0])
    if family is None:
        return parsed.dsi
    base, power = family
    if keep_prefix and power != (3 if base == "gram" else 0):
        return parsed.dsi
    total = power + math.floor(math.log10(size))  # decade of the value in the base unit
    target = 3 * math.floor(total / 3)
    highest = 3 if base == "gram" else (0 if base in _DOWN_ONLY else 15)
    target = max(-15, min(target, highest))
    if target == 3 and base == "gram":
        return r"\kilogram"
    return units.UnitTerm(_ENGINEERING[target], base, Fraction(1)).dsi


def _pretty(text: str) -> str:
    """``5.4e-7`` → ``5.4×10⁻⁷`` (ISO 80000-1 §7.1.4); fixed notation is left as it is."""
    mantissa, e, exponent = text.partition("e")
    if e:
        text = f"{mantissa}×10{str(int(exponent)).translate(_SUPERSCRIPT)}"
    return text


def write(
    value: float | None,
    unit: str,
    *,
    uncertainty: float | None = None,
    adapt: bool = True,
    keep_prefix: bool = True,
    into: str | None = None,
    lang: str = "zh",
    digits: int = 2,
) -> Written:
    r"""Write ``value`` (and its expanded uncertainty ``uncertainty``, same unit) for display.

    The unit is chosen by :func:`suited_unit` from the value (from the uncertainty when there
    is no value or it is zero) unless ``adapt`` is False; both numbers are converted with the
    core's factor (an uncertainty as a difference, without the ℃ offset) and written per
    GUM 7.2.6. ``write(0.0020000000000000018, r"\mega\pascal", uncertainty=0.00052)`` gives
    value ``"0.00200"`` and uncertainty ``"0.00052"``. ``into`` forces the unit (a column written
    in the unit of its row's range); it must differ from ``unit`` by a prefix only.
    """
    if value is not None and not isinstance(value, int | float):
        raise TypeError(f"value must be a number, got {type(value).__name__}")
    if uncertainty is not None and not isinstance(uncertainty, int | float):
        raise TypeError(f"uncertainty must be a number, got {type(uncertainty).__name__}")
    given = _dsi(unit)
    if into is not None:
        return _write_in(value, uncertainty, given, _dsi(into), lang, digits)
    target = given
    if adapt:
        magnitude = value if value else (uncertainty if uncertainty is not None else 0.0)
        target = suited_unit(given, float(magnitude or 0.0), keep_prefix=keep_prefix)
    # The unit suited to the value, unless its numbers need powers of ten (the last digit of U
    # below 10⁻⁶: 123.456789123 MHz, U = 4.0×10⁻⁸ MHz); then the given unit, then finer ones
    # (0.3 kg, U = 5.4 mg → 300.0000 g, U = 0.0054 g).
    candidates = list(dict.fromkeys([target, given]))
    while adapt and len(candidates) < 6 and (finer := _finer(candidates[-1])) is not None:
        candidates.append(finer)
    first = None
    for candidate in candidates:
        written = _write_in(value, uncertainty, given, candidate, lang, digits)
        if "×" not in f"{written.value}{written.uncertainty}":
            return written
        first = first or written
    return first if first is not None else _write_in(value, uncertainty, given, given, lang, digits)


def _finer(unit: str) -> str | None:
    """The unit 10³ smaller (kg → g → mg, MPa → kPa), None when there is none."""
    parsed = units.parse_dsi(unit)
    family = _family(parsed.terms[0]) if len(parsed.terms) == 1 else None
    if family is None or family[1] - 3 < -15:
        return None
    base, power = family
    if base == "gram" and power - 3 == 3:
        return r"\kilogram"
    return units.UnitTerm(_ENGINEERING[power - 3], base, Fraction(1)).dsi


def _write_in(
    value: float | None,
    uncertainty: float | None,
    given: str,
    target: str,
    lang: str,
    digits: int,
) -> Written:
    """:func:`write` in the unit ``target``: the value converted with the ℃ offset if any, the
    uncertainty as a difference (raises ``IncommensurableUnitsError`` across quantities)."""
    same = target == given
    v = None if value is None else float(value)
    u = None if uncertainty is None else abs(float(uncertainty))
    if not same and v is not None:
        v = float(units.convert(v, given, target))
    if not same and u is not None:
        u = abs(float(units.convert_difference(u, given, target)))
    if v is not None and u is not None:
        v_text, u_text = format_with_uncertainty(v, u, digits=digits)
    elif u is not None:
        v_text, u_text = None, format_with_uncertainty(0.0, u, digits=digits)[1]
    else:
        v_text, u_text = (None if v is None else format_at(v, None)), None
    return Written(
        None if v_text is None else _pretty(v_text),
        None if u_text is None else _pretty(u_text),
        target,
        unit_symbol(target, lang),
        unit_name_zh(target),
    )


def write_range(
    low: float | None, high: float | None, unit: str, *, adapt: bool = True, lang: str = "zh"
) -> tuple[str | None, str | None, Written]:
    r"""Both ends of a range in one unit, chosen from the larger end: ``(low, high, written)``.

    ``write_range(0, 0.0002, r"\kilogram")`` writes ``0`` and ``200`` in ``\milli\gram``.
    """
    ends = [abs(x) for x in (low, high) if x is not None and math.isfinite(x)]
    ref = write(max(ends, default=0.0), unit, adapt=adapt, lang=lang)
    low_text, high_text = (
        None if x is None else write(x, unit, into=ref.unit, lang=lang).value for x in (low, high)
    )
    return low_text, high_text, ref
