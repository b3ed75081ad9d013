"""Minimal D-SI dimension check (量纲一致性) for comparing units along a chain.

Values reaching the engine are already in SI, so only the *dimension* of a unit matters:
``\\kilo\\pascal`` and ``\\pascal`` agree, ``\\pascal`` and ``\\newton`` do not. A small table of
SI units as exponent vectors over (m, kg, s, A, K, mol, cd) is enough; prefixes are skipped,
``\\per`` inverts the next unit and ``\\tothe{n}`` raises the previous one. A unit this parser
does not know is compared as its literal string, so an unknown unit never matches a known one
by accident and never raises.
"""

from __future__ import annotations

import re
from functools import lru_cache

Dimension = tuple[int, ...] | str

_BASE = {
    "metre": (1, 0, 0, 0, 0, 0, 0),
    "kilogram": (0, 1, 0, 0, 0, 0, 0),
    "gram": (0, 1, 0, 0, 0, 0, 0),
    "second": (0, 0, 1, 0, 0, 0, 0),
    "ampere": (0, 0, 0, 1, 0, 0, 0),
    "kelvin": (0, 0, 0, 0, 1, 0, 0),
    "degreecelsius": (0, 0, 0, 0, 1, 0, 0),
    "mole": (0, 0, 0, 0, 0, 1, 0),
    "candela": (0, 0, 0, 0, 0, 0, 1),
    "one": (0, 0, 0, 0, 0, 0, 0),
    "percent": (0, 0, 0, 0, 0, 0, 0),
    "decibel": (0, 0, 0, 0, 0, 0, 0),
    "radian": (0, 0, 0, 0, 0, 0, 0),
    "hertz": (0, 0, -1, 0, 0, 0, 0),
    "newton": (1, 1, -2, 0, 0, 0, 0),
    "pascal": (-1, 1, -2, 0, 0, 0, 0),
    "joule": (2, 1, -2, 0, 0, 0, 0),
    "watt": (2, 1, -3, 0, 0, 0, 0),
    "coulomb": (0, 0, 1, 1, 0, 0, 0),
    "volt": (2, 1, -3, -1, 0, 0, 0),
    "ohm": (2, 1, -3, -2, 0, 0, 0),
    "siemens": (-2, -1, 3, 2, 0, 0, 0),
    "farad": (-2, -1, 4, 2, 0, 0, 0),
    "henry": (2, 1, -2, -2, 0, 0, 0),
    "litre": (3, 0, 0, 0, 0, 0, 0),
    "minute": (0, 0, 1, 0, 0, 0, 0),
    "hour": (0, 0, 1, 0, 0, 0, 0),
    "day": (0, 0, 1, 0, 0, 0, 0),
}
_PREFIXES = frozenset(
    {
        *("quecto", "ronto", "yocto", "zepto", "atto", "femto", "pico", "nano", "micro"),
        *("milli", "centi", "deci", "deca", "deka", "hecto", "kilo", "mega", "giga"),
        *("tera", "peta", "exa", "zetta", "yotta", "ronna", "quetta"),
    }
)
_TOKEN = re.compile(r"\\([A-Za-z]+)(?:\{([^}]*)\})?")


@lru_cache(maxsize=4096)
def dimension(unit: str) -> Dimension:
    """Exponent vector of a D-SI unit string, or the stripped string itself if unknown.

    >>> dimension(r"\\kilo\\metre\\per\\hour") == dimension(r"\\metre\\per\\second")
    True
    """
    text = (unit or "").strip()
    tokens = _TOKEN.findall(text)
    if not tokens or _TOKEN.sub("", text).strip():
        return text
    total = [0] * 7
    last: tuple[int, ...] | None = None
    sign = 1
    for name, arg in tokens:
        if name in _PREFIXES:
            continue
        if name == "per":
            sign = -1
            continue
        if name == "tothe":
            if last is None:
                return text
            try:
                power = float(arg)
            except ValueError:
                return text
            # the previous unit was already added once; add it (power - 1) more times
            total = [t + round(v * (power - 1)) for t, v in zip(total, last, strict=True)]
            continue
        base = _BASE.get(name)
        if base is None:
            return text
        last = tuple(sign * b for b in base)
        total = [t + v for t, v in zip(total, last, strict=True)]
        sign = 1
    return tuple(total)


def compatible(unit_a: str, unit_b: str) -> bool:
    """True when two D-SI units have the same dimension; an empty unit matches anything."""
    if not unit_a or not unit_b:
        return True
    return dimension(unit_a) == dimension(unit_b)
