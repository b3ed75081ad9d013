"""Indicator snapshots (指标快照): the figures as of a date, canonical JSON and SHA-256 digest.

A mid-term evaluation must be reproducible: the same date gives the same numbers. A snapshot
records, for one region and one ``as_of`` date, each indicator's value with the query that
produced it (口径) and the number of records behind it. Its digest is logged (transparency log),
so a later report can prove it used the figures of that day.

Canonical JSON (``jiliang/indicator-snapshot/v1``), decided here:

* UTF-8, keys sorted, no insignificant whitespace (``separators=(",", ":")``), non-ASCII kept;
* **values are JSON strings holding a plain decimal number**, never JSON floats: the shortest
  decimal that round-trips the IEEE-754 double (Python ``repr``), written without exponent and
  without trailing zeros (``96.80`` → ``"96.8"``, ``1.0`` and ``1`` → ``"1"``, ``1e-7`` →
  ``"0.0000001"``, ``-0.0`` → ``"0"``); NaN and infinities are refused; an absent value is
  ``null``. Any parser gets the same number back, and a value that differs in any digit changes
  the digest, while the int/float spelling of the same number does not.
* record counts are JSON integers (0 ≤ n < 2⁵³);
* ``as_of`` is an ISO 8601 date; the time the snapshot was computed is *not* part of it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

SCHEMA = "jiliang/indicator-snapshot/v1"
_MAX_COUNT = 2**53


def canonical_number(value: float | int, where: str = "value") -> str:
    """The canonical decimal text of a number (see module docstring)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{where}: {value!r} is not a number")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{where}: {value!r} is not finite")
        d = Decimal(repr(value))
    else:
        d = Decimal(value)
    if d == 0:
        return "0"
    text = format(d.normalize(), "f")
    return text


@dataclass(frozen=True)
class Figure:
    """One indicator's figure in a snapshot."""

    value: float | int | None
    unit: str
    query: str
    record_count: int

    def as_json(self, where: str) -> dict[str, Any]:
        if (
            isinstance(self.record_count, bool)
            or not isinstance(self.record_count, int)
            or not 0 <= self.record_count < _MAX_COUNT
        ):
            raise ValueError(f"{where}.record_count: {self.record_count!r} is not a count")
        return {
            "query": str(self.query),
            "record_count": self.record_count,
            "unit": str(self.unit),
            "value": None if self.value is None else canonical_number(self.value, f"{where}.value"),
        }


@dataclass(frozen=True)
class Snapshot:
    """Figures of one region as of a date."""

    as_of: dt.date
    region: str
    figures: Mapping[str, Figure] = field(default_factory=dict)

    def canonical(self) -> bytes:
        """Canonical JSON bytes (the digest's input)."""
        doc = {
            "as_of": self.as_of.isoformat(),
            "figures": {k: f.as_json(f"figures[{k!r}]") for k, f in self.figures.items()},
            "region": self.region,
            "schema": SCHEMA,
        }
        return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    @property
    def digest(self) -> str:
        """SHA-256 of the canonical JSON, lowercase hex."""
        return hashlib.sha256(self.canonical()).hexdigest()

    @classmethod
    def from_canonical(cls, data: bytes | str) -> Snapshot:
        """Read a snapshot from its canonical JSON (values: floats, or ints when whole)."""
        doc = json.loads(data)
        if doc.get("schema") != SCHEMA:
            raise ValueError(f"schema: {doc.get('schema')!r} is not {SCHEMA!r}")
        figures = {}
        for k, f in doc["figures"].items():
            raw = f["value"]
            value = None if raw is None else Decimal(raw)
            if value is not None:
                value = int(value) if value == value.to_integral_value() else float(value)
            figures[k] = Figure(value, f["unit"], f["query"], f["record_count"])
        return cls(dt.date.fromisoformat(doc["as_of"]), doc["region"], figures)


def make_snapshot(
    as_of: dt.date,
    region: str,
    figures: Mapping[str, Figure],
    today: dt.date | None = None,
) -> Snapshot:
    """A validated snapshot; ValueError naming ``as_of`` when it is after ``today`` (UTC).

    Also validates every figure (so a bad value fails here, not at digest time).
    """
    if isinstance(as_of, dt.datetime) or not isinstance(as_of, dt.date):
        raise ValueError(f"as_of: {as_of!r} is not a date")
    today = today or dt.datetime.now(dt.UTC).date()
    if as_of > today:
        raise ValueError(
            f"as_of: {as_of.isoformat()} is in the future (today is {today.isoformat()}, UTC)"
        )
    if not (isinstance(region, str) and len(region) == 6 and region.isdigit()):
        raise ValueError(f"region: {region!r} is not a 6-digit region code")
    snap = Snapshot(as_of, region, dict(figures))
    snap.canonical()
    return snap
