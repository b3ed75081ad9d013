"""Energy-metering configuration rates of energy-using units (能源计量器具配备率, GB 17167-2006).

GB 17167-2006 §3.2 defines the configuration rate as the number of energy measuring instruments
actually installed divided by the number theoretically required (to measure every energy quantity),
in percent; §4.3.2 requires, by level and energy type, the rates of Table 3 (shipped as data in
``data/energy-gb17167-2006.yaml``, ``confirmed: false`` — see that file):

* 进出用能单位 — energy entering/leaving the unit (:attr:`Level.UNIT`);
* 进出主要次级用能单位 — entering/leaving its main sub-units (:attr:`Level.SUB_UNIT`);
* 主要用能设备 — main energy-using equipment (:attr:`Level.EQUIPMENT`).

:func:`check_unit` checks one key energy-using unit (重点用能单位) line by line;
:func:`metering_rate` aggregates a region's lines into the plan indicator (e.g. Chongqing's
主要用能设备能源计量器具配备率, formula ``energy_metering_rate``).
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from jiliang.core.indicators.definitions import DATA_DIR

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
DEFAULT_TABLE = DATA_DIR / "energy-gb17167-2006.yaml"


class Level(enum.StrEnum):
    """Metering level of GB 17167-2006 Table 3."""

    UNIT = "unit"  # 进出用能单位
    SUB_UNIT = "sub_unit"  # 进出主要次级用能单位
    EQUIPMENT = "equipment"  # 主要用能设备


@dataclass(frozen=True)
class RateTable:
    """Required configuration rates (%) by energy type and level; None = no requirement."""

    edition: str
    source: str
    effective_from: dt.date
    rates: Mapping[str, Mapping[Level, float | None]]
    names_zh: Mapping[str, str]
    confirmed: bool

    def required_rate(self, energy: str, level: Level | str) -> float | None:
        """Required rate in % for ``energy`` at ``level`` (None: the table sets none)."""
        if energy not in self.rates:
            raise ValueError(f"energy: unknown energy type {energy!r}; known: {sorted(self.rates)}")
        try:
            lv = Level(level)
        except ValueError:
            raise ValueError(f"level: {level!r} is not one of {[x.value for x in Level]}") from None
        return self.rates[energy][lv]


def parse_rate_table(doc: Mapping[str, Any], path: str = "<rate table>") -> RateTable:
    """Validate a rate-table document; ValueError naming the file, the entry and the field."""
    if not isinstance(doc, Mapping) or doc.get("kind") != "energy_configuration_rates":
        raise ValueError(f"{path}: field 'kind' must be 'energy_configuration_rates'")
    for field in ("edition", "source", "effective_from", "entries"):
        if field not in doc:
            raise ValueError(f"{path}: field {field!r} is required")
    rates: dict[str, dict[Level, float | None]] = {}
    names: dict[str, str] = {}
    confirmed = True
    for i, e in enumerate(doc["entries"]):
        energy = e.get("energy") if isinstance(e, Mapping) else None
        if not energy:
            raise ValueError(f"{path}: entries[{i}]: field 'energy' is required")
        if energy in rates:
            raise ValueError(f"{path}: entries[{i}] ({energy}): field 'energy' is a duplicate")
        row: dict[Level, float | None] = {}
        for lv in Level:
            if lv.value not in e:
                raise ValueError(f"{path}: entries[{i}] ({energy}): field {lv.value!r} is required")
            raw = e[lv.value]
            if raw is not None and (
                isinstance(raw, bool) or not isinstance(raw, int | float) or not 0 <= raw <= 100
            ):
                raise ValueError(
                    f"{path}: entries[{i}] ({energy}): field {lv.value!r}: {raw!r} is not a "
                    "rate in % between 0 and 100"
                )
            row[lv] = None if raw is None else float(raw)
        rates[energy] = row
        names[energy] = str(e.get("zh", energy))
        confirmed = confirmed and bool(e.get("confirmed", False))
    eff = doc["effective_from"]
    return RateTable(
        edition=str(doc["edition"]),
        source=str(doc["source"]),
        effective_from=eff if isinstance(eff, dt.date) else dt.date.fromisoformat(str(eff)),
        rates=rates,
        names_zh=names,
        confirmed=confirmed,
    )


def load_rate_table(path: str | Path | None = None) -> RateTable:
    """The GB 17167-2006 table shipped with jiliang, or another edition from ``path``."""
    if path is None:
        return _default_table()
    p = Path(path)
    with p.open(encoding="utf-8") as fh:
        return parse_rate_table(yaml.load(fh, Loader=_Loader), str(p))


@functools.cache
def _default_table() -> RateTable:
    with DEFAULT_TABLE.open(encoding="utf-8") as fh:
        return parse_rate_table(yaml.load(fh, Loader=_Loader), str(DEFAULT_TABLE))


def configuration_rate(configured: int, required: int) -> float:
    """Configuration rate in % = configured / required × 100 (GB 17167-2006 §3.2).

    ``configured`` — instruments actually installed (实际安装配备数量); ``required`` — the
    theoretical requirement (理论需要量). Only instruments serving a required measuring point
    count, so ``configured`` may not exceed ``required``.
    """
    for name, n in (("configured", configured), ("required", required)):
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"{name}: {n!r} is not a whole number of instruments ≥ 0")
    if required == 0:
        raise ValueError("required: the theoretical requirement is 0; the rate is undefined")
    if configured > required:
        raise ValueError(
            f"configured: {configured} instruments exceed the requirement {required}; count only "
            "instruments at required measuring points"
        )
    return 100.0 * configured / required


@dataclass(frozen=True)
class MeterLine:
    """Instruments of one energy type at one level of one energy-using unit."""

    energy: str
    level: Level
    required: int
    configured: int


@dataclass(frozen=True)
class LineResult:
    """A line checked against Table 3."""

    energy: str
    level: Level
    required: int
    configured: int
    rate: float
    required_rate: float | None
    #: None when the table sets no requirement for this energy at this level
    compliant: bool | None


@dataclass(frozen=True)
class UnitCheck:
    """The configuration check of one energy-using unit (用能单位)."""

    unit_id: str
    lines: tuple[LineResult, ...]
    table: str

    @property
    def compliant(self) -> bool:
        """True when every line with a requirement meets it."""
        return all(r.compliant is not False for r in self.lines)

    @property
    def failures(self) -> tuple[LineResult, ...]:
        return tuple(r for r in self.lines if r.compliant is False)


def check_unit(
    unit_id: str, lines: Iterable[MeterLine], table: RateTable | None = None
) -> UnitCheck:
    """Rate per line and compliance with Table 3 (rate ≥ required rate)."""
    table = table or load_rate_table()
    results = []
    seen: set[tuple[str, Level]] = set()
    for line in lines:
        level = Level(line.level)
        key = (line.energy, level)
        if key in seen:
            raise ValueError(f"energy: {line.energy!r} at level {level.value!r} given twice")
        seen.add(key)
        required_rate = table.required_rate(line.energy, level)
        rate = configuration_rate(line.configured, line.required)
        # Compare in whole instruments to avoid float edges: configured·100 ≥ rate_req·required.
        ok = (
            None
            if required_rate is None
            else line.configured * 100 >= required_rate * line.required
        )
        results.append(
            LineResult(line.energy, level, line.required, line.configured, rate, required_rate, ok)
        )
    return UnitCheck(unit_id=unit_id, lines=tuple(results), table=table.edition)


def metering_rate(lines: Iterable[MeterLine], level: Level | str = Level.EQUIPMENT) -> float:
    """Aggregate configuration rate (%) at ``level`` over many units: Σ configured / Σ required.

    This is the plan indicator 主要用能设备能源计量器具配备率 when ``level`` is equipment.
    """
    lv = Level(level)
    req = conf = 0
    for line in lines:
        if Level(line.level) is lv:
            configuration_rate(line.configured, line.required)  # validates the line
            req += line.required
            conf += line.configured
    if req == 0:
        raise ValueError(f"lines: no instrument is required at level {lv.value!r}")
    return 100.0 * conf / req
