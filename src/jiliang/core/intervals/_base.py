"""Common result type and input checks of the interval methods (校准间隔分析的公共部分)."""

from __future__ import annotations

import datetime as _dt
import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


class IntervalError(ValueError):
    """Invalid input to an interval calculation; the message names the field."""

    def __init__(self, field_name: str, message: str):
        super().__init__(f"{field_name}: {message}")
        self.field = field_name


@dataclass(frozen=True, kw_only=True)
class IntervalAdvice:
    """What every method returns (校准间隔建议).

    - ``interval_days`` — recommended interval in days, or ``None`` when ``insufficient``;
    - ``reliability`` — the in-tolerance probability (end-of-period reliability, 期末可靠度) the
      method expects at that interval (the target it solved for, or the observed one);
    - ``confidence`` — the confidence attached to the advice (its meaning is per method and
      documented on each result class), ``None`` when the method gives none (staircase);
    - ``method`` — short name, e.g. ``"A3"``, ``"S2/weibull"``, ``"variables"``;
    - ``insufficient`` — why the data cannot support advice (then ``interval_days`` is None).
    """

    interval_days: float | None
    reliability: float | None
    confidence: float | None
    method: str
    insufficient: str | None = None


def finite(name: str, x: object) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real) or not math.isfinite(float(x)):
        raise IntervalError(name, f"must be a finite number, got {x!r}")
    return float(x)


def positive(name: str, x: object) -> float:
    v = finite(name, x)
    if v <= 0:
        raise IntervalError(name, f"must be > 0, got {v}")
    return v


def probability(name: str, x: object, *, open_: bool = True) -> float:
    v = finite(name, x)
    if open_ and not 0 < v < 1:
        raise IntervalError(name, f"must lie strictly between 0 and 1, got {v}")
    if not open_ and not 0 <= v <= 1:
        raise IntervalError(name, f"must lie in [0, 1], got {v}")
    return v


def as_float_array(name: str, values: Sequence[float], *, nonnegative: bool = False) -> np.ndarray:
    try:
        a = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise IntervalError(name, f"must be numbers ({exc})") from None
    if a.ndim != 1:
        raise IntervalError(name, "must be a 1-D sequence")
    if not np.all(np.isfinite(a)):
        raise IntervalError(name, "contains NaN or infinity")
    if nonnegative and np.any(a < 0):
        raise IntervalError(name, f"must not be negative (first: {a[a < 0][0]})")
    return a


def as_bool_array(name: str, values: Sequence[bool]) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1 and arr.size:
        raise IntervalError(name, "must be a 1-D sequence of True/False")
    if arr.dtype == bool:
        return arr
    if arr.size == 0:
        return np.zeros(0, dtype=bool)
    if arr.dtype.kind in "iu" and np.all((arr == 0) | (arr == 1)):
        return arr.astype(bool)
    bad = next(
        (i, v)
        for i, v in enumerate(values)
        if not (
            isinstance(v, (bool, np.bool_)) or (isinstance(v, numbers.Integral) and v in (0, 1))
        )
    )
    raise IntervalError(name, f"item {bad[0]} must be True/False (or 1/0), got {bad[1]!r}")


def same_length(**arrays: np.ndarray) -> int:
    lengths = {k: len(v) for k, v in arrays.items()}
    if len(set(lengths.values())) > 1:
        detail = ", ".join(f"{k}={n}" for k, n in lengths.items())
        raise IntervalError(next(iter(lengths)), f"lengths differ: {detail}")
    return next(iter(lengths.values()))


def days(name: str, values: Sequence[object]) -> np.ndarray:
    """Times as days: numbers are taken as days; ``date``/``datetime`` as days since 1970-01-01."""
    vals = list(values)
    if vals and all(isinstance(v, (_dt.date, _dt.datetime)) for v in vals):
        epoch = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)
        out = []
        for v in vals:
            if isinstance(v, _dt.datetime):
                v = v if v.tzinfo else v.replace(tzinfo=_dt.UTC)
            else:
                v = _dt.datetime(v.year, v.month, v.day, tzinfo=_dt.UTC)
            out.append((v - epoch).total_seconds() / 86400.0)
        return np.asarray(out)
    if any(isinstance(v, (_dt.date, _dt.datetime)) for v in vals):
        raise IntervalError(name, "mixes dates and numbers")
    return as_float_array(name, vals)
