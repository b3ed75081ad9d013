"""Reporting precision (数据修约) of measurement results, JCGM 100 7.2.6.

GUM 7.2.6: u_c(y) and U are given with at most two significant digits, and the estimate y is
rounded to the same decimal place, so "10 000.005 g, U = 0.059 g" keeps its three decimals
instead of the "10000" a fixed number of significant digits would print. Rounding is
round-half-to-even (GB/T 8170 "四舍六入五成双") on the decimal value of the float.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_EVEN, Decimal

__all__ = ["decimal_place", "format_at", "format_uncertainty", "format_with_uncertainty"]

#: fixed notation while the last digit is at or above 10⁻⁶ and |value| < 10¹²
_MIN_FIXED_PLACE = -6
_MAX_FIXED = 1e12


def decimal_place(u: float, digits: int = 2) -> int | None:
    """Exponent q of the last digit kept when ``u`` is rounded to ``digits`` significant digits
    (u = 0.0041 → q = −4; u = 32 → q = 0; u = 250 → q = 1); ``None`` for u = 0 or not finite."""
    if not (math.isfinite(u) and u > 0):
        return None
    d = Decimal(repr(float(u)))
    q = d.adjusted() - (digits - 1)
    # rounding can carry into a new digit (0.0996 → 0.10): recompute the place from the result
    rounded = d.quantize(Decimal(1).scaleb(q), rounding=ROUND_HALF_EVEN)
    return rounded.adjusted() - (digits - 1)


def format_at(value: float, q: int | None) -> str:
    """``value`` rounded to the decimal place 10^q (all digits when q is None)."""
    if not math.isfinite(value):
        return "∞" if value > 0 else ("−∞" if value < 0 else "nan")
    if q is None:
        return f"{value:.12g}"
    d = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(q), rounding=ROUND_HALF_EVEN)
    if d == 0:
        d = abs(d)  # no "-0.00"
    if q >= _MIN_FIXED_PLACE and abs(value) < _MAX_FIXED:
        return f"{d:f}" if q < 0 else f"{d.quantize(Decimal(1)):f}"
    if d == 0:
        return "0"
    # scientific: mantissa with as many decimals as the place q needs below the exponent
    exp = d.adjusted()
    decimals = max(exp - q, 0)
    mant = d.scaleb(-exp).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_EVEN)
    return f"{mant:f}e{exp}"


def format_uncertainty(u: float, digits: int = 2) -> str:
    """An uncertainty with ``digits`` significant digits (GUM 7.2.6)."""
    return format_at(u, decimal_place(u, digits))


def format_with_uncertainty(value: float, *uncertainties: float, digits: int = 2) -> list[str]:
    """[value, u₁, u₂, …] as text: each uncertainty with ``digits`` significant digits and the
    value to the finest decimal place among them (never fewer digits than an uncertainty needs).
    """
    places = [decimal_place(u, digits) for u in uncertainties]
    finite = [q for q in places if q is not None]
    q_value = min(finite) if finite else None
    return [format_at(value, q_value)] + [
        format_at(u, q) if q is not None else format_at(u, None)
        for u, q in zip(uncertainties, places, strict=True)
    ]
