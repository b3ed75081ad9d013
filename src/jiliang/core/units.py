r"""Units of measurement (计量单位): D-SI unit strings, conversion, Chinese legal units.

Three spellings of a unit meet here:

* **D-SI** strings (PTB's Digital SI, the unit syntax of digital calibration certificates), e.g.
  ``\kilogram``, ``\milli\metre\tothe{2}``, ``\metre\second\tothe{-2}``, ``\degreecelsius``.
  They are parsed here with positions for error messages and cross-checked with PTB's
  ``dsiunits`` package; ``\degreeCelsius`` is accepted and normalised to ``\degreecelsius``, and the
  deprecated ``\per`` is normalised to negative exponents.
* **pint** expressions (``"mm"``, ``"kPa"``, ``"km/h"``), used for every conversion factor.
* **Chinese legal units of measurement** (法定计量单位, State Council order of 27 February 1984;
  GB 3100-1993), kept as data in ``core/data/legal_units.yaml``, with Chinese names.

The platform stores values in coherent SI and keeps the original unit: :func:`to_si` and
:func:`convert` are a multiplication (plus an offset for ℃) with factors computed once by pint
and cached per unit string.

Dimensions (量纲) returned by :func:`dimension_of` extend the seven SI base dimensions with
*plane angle* (so rad/s is not commensurable with Hz), *information* (bit) and *level* (dB):
for traceability, an angle and a ratio are different kinds of quantity even though the SI
treats both as dimension one.
"""

from __future__ import annotations

import difflib
import re
import warnings
from dataclasses import dataclass
from fractions import Fraction
from functools import cache, lru_cache
from importlib import resources
from typing import Any, TypeVar

import numpy as np
import pint
import yaml
from dsi_unit import DsiUnit
from dsi_unit.unit_mapping import (
    CONVENTIONAL_PREFIX_TO_LATEX_MAP,
    DIGITAL_PREFIX_TO_LATEX_MAP,
    DIGITAL_PREFIX_UNITS,
    DSI_UNIT_TO_LATEX_MAP,
    INVALID_UNITS_PREFIXES_MAP,
    NO_PREFIX_N_EXPONENT_UNITS,
    NO_PREFIX_UNITS,
)

ArrayOrFloat = TypeVar("ArrayOrFloat", float, np.ndarray)


class UnitError(ValueError):
    """A unit string that is malformed, unknown or cannot be used as asked."""

    def __init__(self, message: str, *, unit: str | None = None, position: int | None = None):
        super().__init__(message)
        self.unit = unit
        #: 1-based character column of the offending token, when known.
        self.position = position


class IncommensurableUnitsError(UnitError):
    """Two units of different dimension (different kinds of quantity) — no conversion exists."""


class NotLegalUnitError(UnitError):
    """A unit that is not a legal unit of measurement in China (非法定计量单位)."""

    def __init__(self, message: str, *, unit: str | None = None, use: str | None = None):
        super().__init__(message, unit=unit)
        #: the legal unit to use instead (D-SI string), when one is known
        self.use = use


# --------------------------------------------------------------------------------------------
# Vocabulary (from dsiunits, so the accepted tokens are exactly PTB's)
# --------------------------------------------------------------------------------------------
_PREFIXES = frozenset(p for p in CONVENTIONAL_PREFIX_TO_LATEX_MAP if p)
_DIGITAL_PREFIXES = frozenset(p for p in DIGITAL_PREFIX_TO_LATEX_MAP if p)
_UNITS = frozenset(DSI_UNIT_TO_LATEX_MAP)
_ALIASES = {"degreeCelsius": "degreecelsius"}  # spelling of D-SI 1.x and of the SI brochure
# SI Brochure (9th ed., table 8): prefixes are not used with °, ′, ″.
_NO_PREFIX = frozenset(NO_PREFIX_UNITS) | {"degree", "arcminute", "arcsecond"}
_LOG_UNITS = frozenset({"decibel", "bel", "neper"})

# Non-D-SI units (D-SI marks them with a leading '|') that are Chinese legal units.
# r/min counts revolutions, so 1 r/min = (1/60) s⁻¹ (GB 3100-1993 表 5), not 2π/60 rad/s.
_PIPE_UNITS = {
    "|r/min": ("1 / minute", r"\second\tothe{-1}"),
    "|tex": ("gram / kilometer", r"\kilogram\metre\tothe{-1}"),
}
_PIPE_ALIASES = {"|rpm": "|r/min", "|r/min": "|r/min", "|tex": "|tex"}

# D-SI unit -> pint unit name (None: logarithmic, handled without pint).
# fmt: off
_PINT_NAME: dict[str, str | None] = {
    "metre": "meter", "kilogram": "kilogram", "gram": "gram", "second": "second",
    "ampere": "ampere", "kelvin": "kelvin", "mole": "mole", "candela": "candela",
    "one": "dimensionless", "radian": "radian", "steradian": "steradian", "hertz": "hertz",
    "newton": "newton", "pascal": "pascal", "joule": "joule", "watt": "watt",
    "coulomb": "coulomb", "volt": "volt", "farad": "farad", "ohm": "ohm", "siemens": "siemens",
    "weber": "weber", "tesla": "tesla", "henry": "henry", "degreecelsius": "degree_Celsius",
    "lumen": "lumen", "lux": "lux", "becquerel": "becquerel", "gray": "gray",
    "sievert": "sievert", "katal": "katal", "percent": "percent", "ppm": "ppm",
    "minute": "minute", "hour": "hour", "day": "day", "degree": "degree",
    "arcminute": "arcminute", "arcsecond": "arcsecond", "tonne": "metric_ton",
    "litre": "liter", "electronvolt": "electron_volt", "hectare": "hectare", "knot": "knot",
    "nauticalmile": "nautical_mile", "atomicmassunit": "unified_atomic_mass_unit",
    "dalton": "dalton", "angstrom": "angstrom", "astronomicalunit": "astronomical_unit",
    "barn": "barn", "bar": "bar", "mmHg": "millimeter_Hg", "bit": "bit", "byte": "byte",
    "decibel": None, "bel": None, "neper": None,
}
# fmt: on
_PINT_TO_DSI = {v: k for k, v in _PINT_NAME.items() if v and k != "kilogram"}
_PINT_TO_DSI |= {"delta_degree_Celsius": "degreecelsius", "tonne": "tonne", "liter": "litre"}
# pint units that are products of legal units under one name (kWh, mAh): D-SI terms, in order.
_PINT_COMPOUND = {"watt_hour": ("watt", "hour"), "ampere_hour": ("ampere", "hour")}

# Coherent SI replacement of each D-SI unit, as (unit, exponent) pairs; named SI units stay.
# fmt: off
_SI_OF: dict[str, tuple[tuple[str, int], ...]] = {
    "gram": (("kilogram", 1),), "tonne": (("kilogram", 1),),
    "atomicmassunit": (("kilogram", 1),), "dalton": (("kilogram", 1),),
    "degreecelsius": (("kelvin", 1),), "one": (), "percent": (), "ppm": (),
    "minute": (("second", 1),), "hour": (("second", 1),), "day": (("second", 1),),
    "degree": (("radian", 1),), "arcminute": (("radian", 1),), "arcsecond": (("radian", 1),),
    "litre": (("metre", 3),), "hectare": (("metre", 2),), "barn": (("metre", 2),),
    "nauticalmile": (("metre", 1),), "angstrom": (("metre", 1),),
    "astronomicalunit": (("metre", 1),), "knot": (("metre", 1), ("second", -1)),
    "electronvolt": (("joule", 1),), "bar": (("pascal", 1),), "mmHg": (("pascal", 1),),
    "byte": (("bit", 1),), "bel": (("decibel", 1),),
}
# fmt: on

_DIMENSIONS = (
    "length", "mass", "time", "current", "temperature", "amount", "luminous_intensity",
    "angle", "information", "level",
)  # fmt: skip
_DIM_SYMBOLS = ("L", "M", "T", "I", "Θ", "N", "J", "A", "B", "dB")
_PINT_DIMS = {
    "[length]": 0, "[mass]": 1, "[time]": 2, "[current]": 3, "[temperature]": 4,
    "[substance]": 5, "[luminosity]": 6,
}  # fmt: skip
# Extra (non-SI) dimension components carried by some units; keys are pint base names.
_EXTRA_DIMS: dict[str, dict[int, int]] = {
    "radian": {7: 1}, "degree": {7: 1}, "arcminute": {7: 1}, "arcsecond": {7: 1},
    "revolution": {7: 1}, "turn": {7: 1}, "revolutions_per_minute": {7: 1},
    "steradian": {7: 2}, "lumen": {7: 2}, "lux": {7: 2},
    "bit": {8: 1}, "byte": {8: 1},
}  # fmt: skip


# --------------------------------------------------------------------------------------------
# Parsed units and dimensions
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class UnitTerm:
    """One factor of a unit: SI prefix (may be empty), D-SI unit token, rational exponent."""

    prefix: str
    unit: str
    exponent: Fraction = Fraction(1)

    @property
    def dsi(self) -> str:
        """This term in D-SI syntax, e.g. ``\\milli\\metre\\tothe{2}``."""
        if self.unit.startswith("|"):
            return self.unit
        text = (f"\\{self.prefix}" if self.prefix else "") + f"\\{self.unit}"
        if self.exponent != 1:
            text += f"\\tothe{{{_format_exponent(self.exponent)}}}"
        return text


@dataclass(frozen=True, slots=True)
class ParsedUnit:
    """A validated unit: canonical D-SI string and its terms."""

    dsi: str
    terms: tuple[UnitTerm, ...]

    @property
    def non_dsi(self) -> bool:
        """True for a pipe-marked non-D-SI unit such as ``|r/min``."""
        return self.dsi.startswith("|")


@dataclass(frozen=True, slots=True)
class Dimension:
    """Dimension (量纲) as exponents of L M T I Θ N J plus angle, information and level."""

    exponents: tuple[Fraction, ...]

    def __str__(self) -> str:
        parts = []
        for symbol, e in zip(_DIM_SYMBOLS, self.exponents, strict=True):
            if e == 1:
                parts.append(symbol)
            elif e:
                parts.append(f"{symbol}^{_format_exponent(e)}")
        return "·".join(parts) or "1"

    @property
    def is_dimensionless(self) -> bool:
        """True for dimension one (ratios, counts)."""
        return not any(self.exponents)

    def as_dict(self) -> dict[str, str]:
        """Non-zero exponents by dimension name, e.g. ``{"length": "1", "time": "-2"}``."""
        return {n: str(e) for n, e in zip(_DIMENSIONS, self.exponents, strict=True) if e}


def _format_exponent(e: Fraction) -> str:
    if e.denominator == 1:
        return str(e.numerator)
    # D-SI writes non-integer exponents as decimals when they terminate (0.5), else n_d
    d = e.denominator
    while d % 2 == 0:
        d //= 2
    while d % 5 == 0:
        d //= 5
    return str(float(e)) if d == 1 else f"{e.numerator}_{e.denominator}"


# --------------------------------------------------------------------------------------------
# D-SI parsing
# --------------------------------------------------------------------------------------------
_TOKEN = re.compile(r"\\([A-Za-z]+)")
_BRACED_EXPONENT = re.compile(r"\{([+-]?\d+(?:\.\d+)?(?:_\d+)?)\}")


def _error(text: str, index: int, message: str) -> UnitError:
    """UnitError at 0-based ``index``; ``{at}`` in ``message`` becomes "at position N"."""
    where = f"at position {index + 1}"
    return UnitError(message.replace("{at}", where), unit=text, position=index + 1)


def _unknown_token(text: str, name: str, start: int) -> UnitError:
    close = difflib.get_close_matches(name, sorted(_UNITS | _PREFIXES), n=1, cutoff=0.6)
    hint = f" (did you mean '\\{close[0]}'?)" if close else ""
    return _error(text, start, f"unknown unit token '\\{name}' {{at}}{hint}")


def _check_prefix(text: str, prefix: str, prefix_at: int, unit: str) -> None:
    """D-SI rules R010-R012 and SI Brochure table 8: which units take which prefixes."""
    if unit in _NO_PREFIX or unit in NO_PREFIX_N_EXPONENT_UNITS:
        raise _error(
            text, prefix_at, f"prefix '\\{prefix}' {{at}}: unit '\\{unit}' takes no prefix"
        )
    if INVALID_UNITS_PREFIXES_MAP.get(unit) == prefix:
        use = "\\kilogram" if unit == "gram" else "\\decibel"
        raise _error(text, prefix_at, f"'\\{prefix}\\{unit}' {{at}} is not allowed; write '{use}'")
    if prefix in _DIGITAL_PREFIXES and unit not in DIGITAL_PREFIX_UNITS:
        raise _error(
            text,
            prefix_at,
            f"binary prefix '\\{prefix}' {{at}} is only allowed with \\bit and \\byte",
        )


def _parse_exponent(text: str, start: int, pos: int, terms: list[list[Any]]) -> int:
    """Apply ``\\tothe{n}`` (token at ``start``, braces at ``pos``) to the last term; new pos."""
    if not terms or terms[-1][3]:
        raise _error(text, start, "'\\tothe' {at} must follow a unit")
    braced = _BRACED_EXPONENT.match(text, pos)
    if not braced:
        raise _error(text, start, "'\\tothe' {at} needs a number in braces, e.g. \\tothe{2}")
    exponent = Fraction(braced.group(1).replace("_", "/"))
    if exponent == 0:
        raise _error(text, start, "exponent 0 {at}")
    if terms[-1][1] in NO_PREFIX_N_EXPONENT_UNITS:
        raise _error(text, start, f"unit '\\{terms[-1][1]}' takes no exponent ({{at}})")
    terms[-1][2], terms[-1][3] = exponent, True
    return braced.end()


def _parse_terms(text: str) -> list[list[Any]]:
    """Scan a D-SI string into [prefix, unit, exponent, has_exponent, denominator] lists."""
    terms: list[list[Any]] = []
    prefix: tuple[str, int] | None = None
    dangling = "prefix '\\{name}' {{at}} is not followed by a unit"
    denominator = False
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match:
            raise _error(
                text,
                pos,
                f"expected '\\' and a unit, prefix or \\tothe {{at}}, found {text[pos]!r}",
            )
        name, start, pos = match.group(1), pos, match.end()
        is_prefix = name in _PREFIXES or name in _DIGITAL_PREFIXES
        if prefix and (is_prefix or name in ("tothe", "per")):
            raise _error(text, prefix[1], dangling.format(name=prefix[0]))
        if name == "tothe":
            pos = _parse_exponent(text, start, pos, terms)
        elif name == "per":
            if denominator or not terms:
                raise _error(text, start, "'\\per' {at} needs one numerator and may appear once")
            denominator = True
        elif is_prefix:
            prefix = (name, start)
        else:
            unit = _ALIASES.get(name, name)
            if unit not in _UNITS:
                raise _unknown_token(text, name, start)
            if prefix:
                _check_prefix(text, prefix[0], prefix[1], unit)
            if denominator and unit in NO_PREFIX_N_EXPONENT_UNITS:
                # canonical form writes the denominator as exponent -1, which these units refuse
                raise _error(text, start, f"unit '\\{unit}' {{at}} cannot follow '\\per'")
            terms.append([prefix[0] if prefix else "", unit, Fraction(1), False, denominator])
            prefix = None
    if prefix:
        raise _error(text, prefix[1], dangling.format(name=prefix[0]))
    if denominator and not terms[-1][4]:
        raise _error(text, len(text) - 1, "'\\per' is not followed by a unit")
    return terms


@lru_cache(maxsize=4096)
def parse_dsi(unit: str) -> ParsedUnit:
    r"""Parse and validate a D-SI unit string; raise :class:`UnitError` with position and reason.

    ``\degreeCelsius`` becomes ``\degreecelsius`` and ``\per`` becomes negative exponents, so
    ``parse_dsi(r"\metre\per\second").dsi == r"\metre\second\tothe{-1}"``.
    Pipe-marked non-D-SI units are accepted only for the Chinese legal units D-SI lacks:
    ``|r/min`` (alias ``|rpm``) and ``|tex``.
    """
    if not isinstance(unit, str):
        raise UnitError(f"unit must be a string, got {type(unit).__name__}", unit=None)
    text = unit.strip()
    if not text:
        raise UnitError("unit string is empty", unit=unit, position=1)
    if text.startswith("|"):
        canonical = _PIPE_ALIASES.get(text)
        if canonical is None:
            raise UnitError(
                f"non-D-SI unit {text!r} is not known here (known: {', '.join(_PIPE_UNITS)})",
                unit=unit,
                position=1,
            )
        return ParsedUnit(canonical, (UnitTerm("", canonical),))
    if not text.startswith("\\"):
        raise UnitError(
            f"a D-SI unit starts with '\\', found {text[0]!r} at position 1", unit=unit, position=1
        )
    raw = _parse_terms(text)
    terms = tuple(
        UnitTerm(prefix, name, -exp if denominator else exp)
        for prefix, name, exp, _, denominator in raw
    )
    canonical = "".join(t.dsi for t in terms)
    # Second opinion from PTB's own parser: it must agree that the canonical string is valid.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        checked = DsiUnit(canonical)
    if not checked.valid:
        raise UnitError(f"invalid D-SI unit {unit!r}: {'; '.join(checked.warnings)}", unit=unit)
    return ParsedUnit(canonical, terms)


def normalise_dsi(unit: str) -> str:
    """Canonical D-SI spelling of ``unit`` (see :func:`parse_dsi`)."""
    return parse_dsi(unit).dsi


def is_dsi(unit: str) -> bool:
    """True if ``unit`` looks like a D-SI string (starts with a backslash or a pipe)."""
    return unit.lstrip().startswith(("\\", "|"))


_PREFIX_SYMBOLS = {
    "quetta": "Q", "ronna": "R", "yotta": "Y", "zetta": "Z", "exa": "E", "peta": "P",
    "tera": "T", "giga": "G", "mega": "M", "kilo": "k", "hecto": "h", "deca": "da",
    "deci": "d", "centi": "c", "milli": "m", "micro": "µ", "nano": "n", "pico": "p",
    "femto": "f", "atto": "a", "zepto": "z", "yocto": "y", "ronto": "r", "quecto": "q",
}  # fmt: skip
_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def _term_symbol(term: UnitTerm, exponent: Fraction) -> str:
    info = legal_unit_table()["units"].get(term.unit)
    if info is not None:
        base = _PREFIX_SYMBOLS.get(term.prefix, term.prefix) + str(info["symbol"])
    else:  # not a legal unit (\clight, \bar …): dsiunits knows its symbol
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            prefix = f"\\{term.prefix}" if term.prefix else ""
            base = DsiUnit(f"{prefix}\\{term.unit}").to_utf8()
    if exponent == 1:
        return base
    power = str(exponent.numerator).translate(_SUPERSCRIPT)
    if exponent.denominator != 1:  # m¹ᐟ², as dsiunits prints it
        power += "ᐟ" + str(exponent.denominator).translate(_SUPERSCRIPT)
    return base + power


def to_utf8(unit: str) -> str:
    """Printed symbol of a D-SI unit by GB 3101-1993 §3.2 / GB 3100-1993 (ISO 80000-1 §7.2).

    Products are joined by a half-high dot (``N·m``, ``kW·h``): juxtaposed symbols are
    ambiguous (``mm`` is the millimetre, not metre·metre). A quotient is written with one solidus
    and the denominator in parentheses when it is a product (``µm/m``, ``m/s²``, ``W/(m·K)``);
    without a numerator the negative exponents stay (``s⁻¹``). Symbols of the legal-unit table
    are used (``L`` for the litre, ``℃``); others come from dsiunits.
    """
    parsed = parse_dsi(unit)
    if parsed.non_dsi:
        return parsed.dsi[1:]
    numerator = [_term_symbol(t, t.exponent) for t in parsed.terms if t.exponent > 0]
    denominator = [_term_symbol(t, -t.exponent) for t in parsed.terms if t.exponent < 0]
    if not denominator:
        return "·".join(numerator)
    if not numerator:
        return "·".join(_term_symbol(t, t.exponent) for t in parsed.terms)
    below = denominator[0] if len(denominator) == 1 else "(" + "·".join(denominator) + ")"
    return "·".join(numerator) + "/" + below


# --------------------------------------------------------------------------------------------
# pint
# --------------------------------------------------------------------------------------------
@cache
def unit_registry() -> pint.UnitRegistry:
    """The shared pint registry (built on first use: building costs about half a second)."""
    return pint.UnitRegistry()


def to_pint(unit: str) -> str:
    r"""pint expression of a D-SI unit, e.g. ``\milli\metre\tothe{2}`` → ``millimeter ** 2``.

    ℃ alone maps to pint's ``degree_Celsius`` (a temperature), inside a compound unit to
    ``delta_degree_Celsius`` (a temperature difference, as in ℃⁻¹). Logarithmic units
    (dB, B, Np) have no multiplicative pint equivalent and raise :class:`UnitError`.
    """
    parsed = parse_dsi(unit)
    if parsed.non_dsi:
        return _PIPE_UNITS[parsed.dsi][0]
    parts = []
    for term in parsed.terms:
        name = _PINT_NAME.get(term.unit)
        if term.unit in _LOG_UNITS:
            raise UnitError(f"logarithmic unit '\\{term.unit}' has no pint equivalent", unit=unit)
        if name is None:
            raise UnitError(f"no conversion is defined for '\\{term.unit}'", unit=unit)
        if term.unit == "one":
            continue
        if term.unit == "degreecelsius" and (len(parsed.terms) > 1 or term.exponent != 1):
            name = "delta_degree_Celsius"
        expr = f"{term.prefix}{name}"
        if term.exponent != 1:
            expr += f" ** {float(term.exponent):g}"
        parts.append(expr)
    return " * ".join(parts) or "dimensionless"


def _pint_units(expression: str) -> pint.Unit:
    """Parse a pint unit expression; any failure becomes a :class:`UnitError`."""
    if not isinstance(expression, str):
        raise UnitError(f"unit must be a string, got {type(expression).__name__}")
    try:
        return unit_registry().parse_units(expression)
    except Exception as err:  # pint's parser raises many types (even AssertionError) on garbage
        raise UnitError(f"cannot parse unit {expression!r}: {err!r}", unit=expression) from err


def from_pint(expression: str) -> str:
    r"""D-SI string of a pint expression, e.g. ``"km/h"`` → ``\kilo\metre\hour\tothe{-1}``.

    Raises :class:`UnitError` if pint cannot parse it or a unit has no D-SI token (psi, inch…).
    """
    ureg = unit_registry()
    units = _pint_units(expression)
    terms = []
    for name, exponent in units._units.items():
        prefix, unit = "", _PINT_TO_DSI.get(name)
        if unit is None:
            prefix, base, _ = ureg.parse_unit_name(name)[0]
            unit = _PINT_TO_DSI.get(base)
            if unit == "gram" and prefix == "kilo":
                prefix, unit = "", "kilogram"
            if unit is None and base in _PINT_COMPOUND:  # pint's kWh is one name: kW·h
                first, *rest = _PINT_COMPOUND[base]
                terms.append(UnitTerm(prefix, first, Fraction(exponent).limit_denominator(1000)))
                terms += [UnitTerm("", u, Fraction(exponent).limit_denominator(1000)) for u in rest]
                continue
        if unit is None:
            raise UnitError(f"pint unit '{name}' has no D-SI equivalent", unit=expression)
        terms.append(UnitTerm(prefix, unit, Fraction(exponent).limit_denominator(1000)))
    if not terms:
        return "\\one"
    return parse_dsi("".join(t.dsi for t in terms)).dsi


# --------------------------------------------------------------------------------------------
# Conversion
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Scale:
    """value_SI = value · factor + offset, in the coherent SI unit ``si``."""

    factor: float
    offset: float
    si: str
    dimension: Dimension


def _dimension(pint_units: Any, extra: dict[int, Fraction]) -> Dimension:
    exps = [Fraction(0)] * len(_DIMENSIONS)
    for dim, e in unit_registry().get_dimensionality(pint_units).items():
        exps[_PINT_DIMS[dim]] += Fraction(e).limit_denominator(1000)
    for i, e in extra.items():
        exps[i] += e
    return Dimension(tuple(exps))


def _si_string(terms: tuple[UnitTerm, ...]) -> str:
    """Coherent SI D-SI string: prefixes dropped, non-SI units replaced, like units merged."""
    merged: dict[str, Fraction] = {}
    for term in terms:
        for unit, e in _SI_OF.get(term.unit, ((term.unit, 1),)):
            merged[unit] = merged.get(unit, Fraction(0)) + e * term.exponent
    text = "".join(UnitTerm("", u, e).dsi for u, e in merged.items() if e)
    return text or "\\one"


def _log_scale(parsed: ParsedUnit) -> _Scale:
    if len(parsed.terms) != 1 or parsed.terms[0].exponent != 1:
        raise UnitError(
            f"logarithmic unit in {parsed.dsi!r} cannot be combined with other units",
            unit=parsed.dsi,
        )
    unit = parsed.terms[0].unit
    level = Dimension(tuple(Fraction(i == 9) for i in range(len(_DIMENSIONS))))
    if unit == "neper":  # Np ↔ dB depends on power vs root-power quantity: keep it apart
        return _Scale(1.0, 0.0, "\\neper", level)
    return _Scale(10.0 if unit == "bel" else 1.0, 0.0, "\\decibel", level)


def _dsi_scale(parsed: ParsedUnit) -> _Scale:
    if any(t.unit in _LOG_UNITS for t in parsed.terms):
        return _log_scale(parsed)
    ureg = unit_registry()
    expression = to_pint(parsed.dsi)
    base = ureg.Quantity(0.0, expression).to_base_units()
    offset = float(base.magnitude)
    factor = float(ureg.Quantity(1.0, expression).to_base_units().magnitude) - offset
    extra: dict[int, Fraction] = {}
    for term in parsed.terms:
        for i, e in _EXTRA_DIMS.get(_PINT_NAME.get(term.unit) or "", {}).items():
            extra[i] = extra.get(i, Fraction(0)) + e * term.exponent
    # r/min counts revolutions (GB 3100): its SI form is s⁻¹, with no angle dimension
    si = _PIPE_UNITS[parsed.dsi][1] if parsed.non_dsi else _si_string(parsed.terms)
    return _Scale(factor, offset, si, _dimension(ureg.parse_units(expression), extra))


def _pint_scale(expression: str) -> _Scale:
    ureg = unit_registry()
    try:
        units = _pint_units(expression)
        offset = float(ureg.Quantity(0.0, units).to_base_units().magnitude)
        base = ureg.Quantity(1.0, units).to_base_units()
    except pint.errors.PintError as err:
        raise UnitError(f"cannot use unit {expression!r}: {err}", unit=expression) from err
    extra: dict[int, Fraction] = {}
    for name, e in units._units.items():
        base_name = ureg.parse_unit_name(name)[0][1]
        for i, x in _EXTRA_DIMS.get(base_name, _EXTRA_DIMS.get(name, {})).items():
            extra[i] = extra.get(i, Fraction(0)) + x * Fraction(e).limit_denominator(1000)
    si = from_pint(str(base.units)) if base.units != ureg.dimensionless else "\\one"
    return _Scale(
        float(base.magnitude) - offset,
        offset,
        _si_string(parse_dsi(si).terms),
        _dimension(units, extra),
    )


@lru_cache(maxsize=4096)
def _scale(unit: str) -> _Scale:
    if not isinstance(unit, str):
        raise UnitError(f"unit must be a string, got {type(unit).__name__}")
    if is_dsi(unit):
        return _dsi_scale(parse_dsi(unit))
    try:  # a pint spelling of a D-SI unit takes the D-SI path, so both agree exactly
        return _dsi_scale(parse_dsi(from_pint(unit)))
    except UnitError:
        return _pint_scale(unit)


def dimension_of(unit: str) -> Dimension:
    """Dimension of a D-SI or pint unit; two units are commensurable iff dimensions are equal."""
    return _scale(unit).dimension


def commensurable(unit_a: str, unit_b: str) -> bool:
    """True if a value in ``unit_a`` can be expressed in ``unit_b`` (same kind of quantity)."""
    try:
        _compatible(unit_a, unit_b)
    except IncommensurableUnitsError:
        return False
    return True


def si_unit(unit: str) -> str:
    r"""Coherent SI D-SI unit, e.g. ``\kilo\metre\hour\tothe{-1}`` → ``\metre\second\tothe{-1}``."""
    return _scale(unit).si


def to_si(value: ArrayOrFloat, unit: str) -> tuple[ArrayOrFloat, str]:
    r"""Express ``value`` (float or numpy array) in coherent SI: returns (value, SI D-SI unit).

    ``to_si(20.0, r"\degreecelsius") == (293.15, r"\kelvin")``; ``to_si(1.0, r"\litre")`` gives
    ``(0.001, r"\metre\tothe{3}")``. Prefixes are removed, accepted non-SI units replaced.
    """
    scale = _scale(unit)
    return value * scale.factor + scale.offset, scale.si


def conversion_factor(from_unit: str, to_unit: str) -> float:
    """Factor f with value_to = f · value_from, for units without offset (and for differences)."""
    a, b = _compatible(from_unit, to_unit)
    return a.factor / b.factor


def convert(value: ArrayOrFloat, from_unit: str, to_unit: str) -> ArrayOrFloat:
    r"""Convert ``value`` between D-SI or pint units, e.g. ``convert(1, r"\kilo\metre", "m")``.

    Handles the ℃ offset. Raises :class:`IncommensurableUnitsError` for different dimensions.
    """
    a, b = _compatible(from_unit, to_unit)
    return (value * a.factor + a.offset - b.offset) / b.factor


def convert_difference(value: ArrayOrFloat, from_unit: str, to_unit: str) -> ArrayOrFloat:
    """Convert a difference or an uncertainty: factor only, no offset (1 ℃ of u is 1 K of u)."""
    return value * conversion_factor(from_unit, to_unit)


def _compatible(from_unit: str, to_unit: str) -> tuple[_Scale, _Scale]:
    a, b = _scale(from_unit), _scale(to_unit)
    if a.dimension != b.dimension or (a.dimension.exponents[9] and a.si != b.si):
        raise IncommensurableUnitsError(
            f"cannot convert {from_unit!r} ({a.dimension}) to {to_unit!r} ({b.dimension})",
            unit=from_unit,
        )
    return a, b


# --------------------------------------------------------------------------------------------
# Chinese legal units of measurement (法定计量单位)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class LegalUnit:
    """A unit found legal: canonical D-SI string, Chinese name, symbol, and any note."""

    dsi: str
    zh: str
    symbol: str
    note: str = ""


@cache
def legal_unit_table() -> dict[str, Any]:
    """The legal-unit data (``core/data/legal_units.yaml``): units, prefixes, non_legal."""
    text = resources.files("jiliang.core").joinpath("data/legal_units.yaml").read_text("utf-8")
    table = yaml.safe_load(text)
    aliases: dict[str, dict[str, Any]] = {}
    for entry in table["non_legal"]:
        for alias in entry["aliases"]:
            aliases[str(alias)] = entry
            aliases.setdefault(str(alias).casefold(), entry)
    table["alias_index"] = aliases
    return table


def _not_legal(entry: dict[str, Any], given: str) -> NotLegalUnitError:
    factor = entry.get("factor")
    use = entry["use"]
    how = f" (1 {entry['name']} = {factor:.10g} {use})" if factor else ""
    return NotLegalUnitError(
        f"{entry['name']} ({entry['zh']}) is not a legal unit of measurement in China; "
        f"use {use}{how}",
        unit=given,
        use=use.split(" ")[0],
    )


def _lookup_non_legal(text: str) -> dict[str, Any] | None:
    index = legal_unit_table()["alias_index"]
    return index.get(text) or (index.get(text.casefold()) if len(text) > 3 else None)


# Everyday spellings of the two selected units D-SI lacks (pint's "rpm" is 2π rad/min, an
# angular velocity, whereas the legal r/min counts revolutions).
_LEGAL_TEXT_ALIASES = {"rpm": "|r/min", "r/min": "|r/min", "tex": "|tex"}


def check_legal(unit: str, *, usage: str | None = None) -> LegalUnit:
    r"""Return the :class:`LegalUnit` for ``unit`` or raise :class:`NotLegalUnitError`.

    ``unit`` may be D-SI (``\kilo\pascal``), pint (``"kPa"``, ``"psi"``) or a Chinese/English
    name of a known non-legal unit (``"斤"``, ``"亩"``, ``"inch"``). The message names the legal
    unit to use, e.g. "psi (磅力每平方英寸) is not a legal unit of measurement in China; use
    \kilo\pascal …". ``usage="blood_pressure"`` permits mmHg, which the 1998 notice of the State
    Bureau of Quality and Technical Supervision and the Ministry of Health allows for blood
    pressure (see docs/units-and-conformity.md).
    """
    if not isinstance(unit, str) or not unit.strip():
        raise UnitError("unit must be a non-empty string", unit=None)
    text = unit.strip()
    text = _LEGAL_TEXT_ALIASES.get(text, text)
    entry = _lookup_non_legal(text)
    if entry is not None:
        if usage and usage in entry.get("permitted_for", ()):
            return LegalUnit(
                "\\mmHg" if entry["name"].startswith("millimetre of mercury") else text,
                entry["zh"],
                text,
                note=f"permitted for {usage} only; the legal unit is {entry['use']}",
            )
        raise _not_legal(entry, unit)
    try:
        dsi = parse_dsi(text).dsi if is_dsi(text) else from_pint(text)
    except UnitError:
        if is_dsi(text):
            raise
        _raise_for_pint_units(text)
        raise
    return _check_dsi_legal(dsi, given=unit, usage=usage)


def _raise_for_pint_units(text: str) -> None:
    """A pint expression with a unit D-SI lacks: name the non-legal part and the SI unit."""
    try:
        units = _pint_units(text)
    except UnitError:
        return
    for name in units._units:
        entry = _lookup_non_legal(name)
        if entry is not None:
            raise _not_legal(entry, text)
    raise NotLegalUnitError(
        f"{text!r} is not a legal unit of measurement in China; use {si_unit(text)}",
        unit=text,
        use=si_unit(text),
    )


def _check_dsi_legal(dsi: str, *, given: str, usage: str | None) -> LegalUnit:
    legal = legal_unit_table()["units"]
    parsed = parse_dsi(dsi)
    for term in parsed.terms:
        info = legal.get(term.unit)
        if info is None:
            entry = _lookup_non_legal("\\" + term.unit)
            if entry is not None:
                if usage and usage in entry.get("permitted_for", ()):
                    continue
                raise _not_legal(entry, given)
            try:
                use = si_unit(dsi)
            except UnitError:  # e.g. \\clight: D-SI knows it, no conversion is defined
                use = "an SI unit"
            raise NotLegalUnitError(
                f"'\\{term.unit}' is not a legal unit of measurement in China; use {use}",
                unit=given,
                use=None if use == "an SI unit" else use,
            )
        if term.prefix and not info["prefixes"]:
            raise NotLegalUnitError(
                f"SI prefixes may not be attached to {info['zh']} ({info['symbol']}) "
                f"(GB 3100-1993); write '\\{term.unit}'",
                unit=given,
                use="\\" + term.unit,
            )
    return LegalUnit(parsed.dsi, chinese_name(parsed.dsi), to_utf8(parsed.dsi))


_CN_NUMERALS = {2: "二", 3: "三", 4: "四", 5: "五", 6: "六"}


def _conventional_pairs(parsed: ParsedUnit, table: dict[str, Any]) -> dict[int, str]:
    """千瓦时-style names (``conventional_names``): term index → name of that term and the next.

    A pair matches when both terms have the same exponent ±1 and the second has no prefix; the
    first term's prefix is read in front (千瓦时, 兆瓦时, 每千瓦时).
    """
    names = table.get("conventional_names") or {}
    found: dict[int, str] = {}
    terms = parsed.terms
    i = 0
    while i + 1 < len(terms):
        a, b = terms[i], terms[i + 1]
        name = names.get(f"\\{a.unit}\\{b.unit}")
        if name and not b.prefix and a.exponent == b.exponent and abs(a.exponent) == 1:
            found[i] = table["prefixes"].get(a.prefix, a.prefix) + name
            i += 2
        else:
            i += 1
    return found


def chinese_name(unit: str, *, short: bool = False) -> str:
    r"""Chinese name of a unit (GB 3100-1993), e.g. ``\metre\second\tothe{-2}`` → 米每二次方秒.

    Names follow the 1984 《中华人民共和国法定计量单位使用方法》 (§6: the name follows the order
    of the symbol, the solidus reads 每 once, J/(kg·K) 焦耳每千克开尔文; §7: powers read before the
    unit, 平方/立方 for area and volume). Full names (全称) by default; ``short=True`` drops the
    characters the 1984 table brackets (瓦[特] → 瓦, [小]时 → 时). kW·h is 千瓦时 and A·h 安时
    in either form (``conventional_names``). Units without a Chinese name keep their D-SI token.
    """
    table = legal_unit_table()
    parsed = parse_dsi(unit)
    pairs = _conventional_pairs(parsed, table)
    numerator, denominator = [], []
    for index, term in enumerate(parsed.terms):
        if index - 1 in pairs:  # second half of a 千瓦时 pair, already named
            continue
        if index in pairs:
            (denominator if term.exponent < 0 else numerator).append(pairs[index])
            continue
        info = table["units"].get(term.unit)
        name = (info.get("short", info["zh"]) if short else info["zh"]) if info else term.unit
        name = table["prefixes"].get(term.prefix, term.prefix) + name
        power = abs(term.exponent)
        if power != 1:
            if term.unit == "metre" and power in (2, 3):
                name = ("平方" if power == 2 else "立方") + name
            elif power.denominator == 1 and power.numerator in _CN_NUMERALS:
                name = f"{_CN_NUMERALS[power.numerator]}次方{name}"
            else:
                name = f"{name}的{_format_exponent(power)}次方"
        (denominator if term.exponent < 0 else numerator).append(name)
    text = "".join(numerator)
    if denominator:
        text += "每" + "".join(denominator)
    return text
