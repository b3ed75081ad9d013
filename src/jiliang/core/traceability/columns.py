"""Columnar (numpy) views of the records the population engine vectorises over.

Strings become small integer codes (interned), dates become proleptic ordinals (-1: missing),
missing floats become NaN. Unit codes intern the D-SI *dimension*; code -1 is "no unit given",
which matches any unit (as :func:`.dimensions.compatible` does).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from operator import attrgetter

import numpy as np

from .dimensions import dimension
from .records import CalibrationEvent, Instrument

NO_DATE = -1


class Interner:
    """Maps hashable values to dense integer codes."""

    def __init__(self) -> None:
        self.codes: dict[object, int] = {}
        self.values: list[object] = []

    def code(self, value: object) -> int:
        c = self.codes.get(value)
        if c is None:
            c = self.codes[value] = len(self.values)
            self.values.append(value)
        return c

    def codes_of(self, values) -> np.ndarray:
        values = list(values)
        for v in dict.fromkeys(values):  # distinct values first: the map below runs in C
            self.code(v)
        return np.fromiter(map(self.codes.__getitem__, values), dtype=np.int32, count=len(values))


class Lookup(dict):
    """``dict`` whose missing keys read as -1, so ``map(d.__getitem__, keys)`` stays in C."""

    def __missing__(self, key: object) -> int:
        return -1


def lookup(values, table: Lookup) -> np.ndarray:
    values = list(values)
    return np.fromiter(map(table.__getitem__, values), dtype=np.int64, count=len(values))


class UnitCodes(Interner):
    """Interns units by dimension; the empty unit is the wildcard -1."""

    def unit(self, unit: str) -> int:
        return -1 if not unit else self.code(dimension(unit))

    def units_of(self, units) -> np.ndarray:
        units = list(units)
        table = {u: self.unit(u) for u in dict.fromkeys(units)}
        return np.fromiter(map(table.__getitem__, units), dtype=np.int32, count=len(units))


def ordinal(d: date | None) -> int:
    return NO_DATE if d is None else d.toordinal()


def ordinals(values) -> np.ndarray:
    """Date ordinals (-1 for None); distinct dates are few, so convert each once."""
    values = list(values)
    table = {d: ordinal(d) for d in dict.fromkeys(values)}
    return np.fromiter(map(table.__getitem__, values), dtype=np.int64, count=len(values))


def floats(values) -> np.ndarray:
    """Floats with ``None`` as NaN (numpy converts ``None`` to NaN for float dtype)."""
    return np.array(list(values), dtype=np.float64).reshape(-1)


def compatible_codes(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Element-wise unit compatibility of two unit-code arrays (-1 matches anything)."""
    return (a == -1) | (b == -1) | (a == b)


def columns(records, *names: str) -> list[list]:
    """One list per attribute name; ``map(attrgetter)`` runs in C and allocates no tuples
    (millions of small tuples would wake the cyclic garbage collector again and again)."""
    return [list(map(attrgetter(name), records)) for name in names]


@dataclass
class InstrumentColumns:
    """The instruments as arrays, in record order."""

    ids: list[str]
    quantity: np.ndarray
    unit: np.ndarray
    low: np.ndarray
    high: np.ndarray
    mpe: np.ndarray
    owner: np.ndarray
    region: np.ndarray
    category: np.ndarray

    @classmethod
    def build(
        cls,
        instruments: tuple[Instrument, ...],
        quantities: Interner,
        units: UnitCodes,
        org_index: Lookup,
        regions: Interner,
        categories: Interner,
    ) -> InstrumentColumns:
        names = (
            "id",
            "quantity",
            "unit",
            "range_low",
            "range_high",
            "mpe",
            "owner",
            "region_code",
            "category",
        )
        ids, q, u, lo, hi, mpe, owner, region, cat = columns(instruments, *names)
        return cls(
            ids=list(ids),
            quantity=quantities.codes_of(q),
            unit=units.units_of(u),
            low=floats(lo),
            high=floats(hi),
            mpe=floats(mpe),
            owner=lookup(owner, org_index),
            region=regions.codes_of(region),
            category=categories.codes_of(cat),
        )


@dataclass
class EventColumns:
    """Calibration events of instruments as arrays (one row per event)."""

    events: list[CalibrationEvent]
    item: np.ndarray
    performed: np.ndarray
    due: np.ndarray
    withdrawn: np.ndarray
    U: np.ndarray
    point: np.ndarray
    unit: np.ndarray
    org: np.ndarray

    @classmethod
    def build(
        cls,
        events: list[CalibrationEvent],
        item_index: Lookup,
        units: UnitCodes,
        org_index: Lookup,
    ) -> EventColumns:
        names = (
            "item_id",
            "performed_on",
            "valid_until",
            "withdrawn",
            "U",
            "point",
            "unit",
            "performed_by",
        )
        item, performed, due, withdrawn, U, point, unit, org = columns(events, *names)
        return cls(
            events=events,
            item=lookup(item, item_index),
            performed=ordinals(performed),
            due=ordinals(due),
            withdrawn=np.array(withdrawn, dtype=bool).reshape(-1),
            U=floats(U),
            point=floats(point),
            unit=units.units_of(unit),
            org=lookup(org, org_index),
        )
