"""Dimension check (量纲一致性) for comparing units along a chain.

Values reaching the engine are already in SI, so only the *dimension* of a unit matters:
``\\kilo\\pascal`` and ``\\pascal`` agree, ``\\pascal`` and ``\\newton`` do not. The dimension comes
from :func:`jiliang.core.units.dimension_of`, the single unit authority of the core. A unit
it cannot parse, or one not in D-SI syntax, is compared as its literal string, so an unknown
unit never matches a known one by accident and never raises.
"""

from __future__ import annotations

from functools import lru_cache

from jiliang.core.units import UnitError, dimension_of

#: exponents over (m, kg, s, A, K, mol, cd), then angle, information and level when non-zero
Dimension = tuple[int | float, ...] | str
_SI_BASE = 7


@lru_cache(maxsize=4096)
def dimension(unit: str) -> Dimension:
    """Dimension of a unit string, or the stripped string itself if it cannot be parsed.

    >>> dimension(r"\\kilo\\metre\\per\\hour") == dimension(r"\\metre\\per\\second")
    True
    """
    text = (unit or "").strip()
    if not text.startswith("\\"):  # records carry D-SI; anything else is compared literally
        return text
    try:
        exps = dimension_of(text).exponents
    except UnitError:
        return text
    keep = exps if any(exps[_SI_BASE:]) else exps[:_SI_BASE]
    return tuple(int(e) if e.denominator == 1 else float(e) for e in keep)


def compatible(unit_a: str, unit_b: str) -> bool:
    """True when two units have the same dimension; an empty unit matches anything."""
    if not unit_a or not unit_b:
        return True
    return dimension(unit_a) == dimension(unit_b)
