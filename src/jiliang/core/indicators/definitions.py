"""Plan indicators as data (规划指标): definitions, baselines and targets per region and year.

A plan file is a YAML document (same style as the legal rule tables in
:mod:`jiliang.core.legal.rules`) with ``kind: indicator_plan``::

    kind: indicator_plan
    plan: jilin-2022              # short id of the plan
    title_zh: 吉林省贯彻计量发展规划（2021—2035年）实施方案
    source: 吉林省人民政府, 2022-11-18   # issuing body, document number, date
    edition: "2022-11-18"
    region: "220000"              # GB/T 2260 code of the region the plan governs
    indicators:                   # the definitions
      - id: jl.public_standards
        name_zh: 社会公用计量标准
        name_en: Public measurement standards
        unit: count               # one of UNITS
        kind: expected            # expected 预期性 | binding 约束性
        direction: higher         # higher | lower is better
        formula: public_standards # one of FORMULAS, or "manual"
        level: province           # national | province | city
        clause: 一（二）发展目标
        confirmed: true
    values:                       # baselines, targets and published actual values
      - {indicator: jl.public_standards, region: "220000", year: 2025, role: target,
         value: 1450, unit: count, clause: 一（二）}

A value may be absent (``value: null``) only with a ``source_note`` saying why — a plan whose
table could not be read is shipped with its indicators and no invented numbers.

Years: the value of year *Y* is the position at the end of year *Y* (a "2025 target" is due on
31 December 2025); see :func:`jiliang.core.indicators.tracking.decimal_year`.

The national level uses the region code ``"000000"`` (the whole country; not a GB/T 2260 code).

Every malformed file raises :class:`IndicatorError` (a ``ValueError``) naming the file, the
indicator id and the field.
"""

from __future__ import annotations

import enum
import functools
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

DATA_DIR = Path(__file__).with_name("data")
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

#: Region code of the whole country (not a GB/T 2260 code; GB/T 2260 has no national entry).
NATIONAL = "000000"

#: Units an indicator may be expressed in: percent, a count of items (项/个/家/种), 亿元 (10⁸ CNY).
UNITS: frozenset[str] = frozenset({"%", "count", "亿元"})

#: The closed set of record queries the platform computes, with the sentence that describes each
#: (shown beside every figure: 口径). ``manual`` figures are entered with evidence.
FORMULAS: Mapping[str, str] = {
    "public_standards": (
        "社会公用计量标准数：在有效期内的社会公用计量标准"
        "（registry MeasurementStandard, level = public）"
    ),
    "highest_standards": (
        "地区最高计量标准数：本行政区域内最高等级的社会公用计量标准"
        "（level = public, highest in region）"
    ),
    "primary_standards": "国家计量基准数（registry MeasurementStandard, level = primary）",
    "cmcs": "国际承认的校准测量能力数（BIPM KCDB CMC records）",
    "reference_materials": "有证标准物质数（registry ReferenceMaterial, GBW/GBW(E), not expired）",
    "honest_demonstration_units": "诚信计量示范单位数（credit marks in force）",
    "verification_coverage": (
        "强检计量器具检定覆盖率 = 按期检定的在用强检器具 / 在用强检器具 × 100 %"
    ),
    "verification_capability_coverage": (
        "强检计量器具检定能力覆盖率 = 区域内有授权机构可检的目录项目 / 目录项目 × 100 %"
    ),
    "traceability_coverage": "量值溯源覆盖率 = 溯源链完整的计量标准 / 计量标准 × 100 %",
    "local_specifications": (
        "地方计量技术规范数（technical specification registry, kind = local, in force）"
    ),
    "energy_metering_rate": (
        "能源计量器具配备率 = 实际配备数 / 理论需要量 × 100 %（GB 17167-2006 §3.2）"
    ),
    "comparison_participation": "计量比对和能力验证参加数（comparisons app）",
    "manual": "人工填报（附证明材料，记录填报人）",
}

_REGION = re.compile(r"^\d{6}$")


class IndicatorError(ValueError):
    """A plan file is malformed; the message names the file, the indicator id and the field."""


class Kind(enum.StrEnum):
    """Expected (预期性) or binding (约束性) indicator."""

    EXPECTED = "expected"
    BINDING = "binding"


class Direction(enum.StrEnum):
    """Which way is better."""

    HIGHER = "higher"
    LOWER = "lower"


class Level(enum.StrEnum):
    """Administrative level the indicator applies to."""

    NATIONAL = "national"
    PROVINCE = "province"
    CITY = "city"


class Role(enum.StrEnum):
    """What a value row is: the plan's baseline (基期值), its target (目标值), or a published
    actual value (实际值, e.g. a figure announced by SAMR)."""

    BASELINE = "baseline"
    TARGET = "target"
    ACTUAL = "actual"


@dataclass(frozen=True)
class IndicatorDefinition:
    """One indicator of a plan (指标定义)."""

    id: str
    name_zh: str
    name_en: str
    unit: str
    kind: Kind
    direction: Direction
    formula: str
    level: Level
    plan: str
    source: str
    edition: str
    clause: str = ""
    confirmed: bool = False
    source_note: str = ""
    path: str | None = None

    @property
    def computed(self) -> bool:
        """True when the platform computes the figure from records (not ``manual``)."""
        return self.formula != "manual"

    @property
    def query(self) -> str:
        """The sentence describing how the figure is obtained (口径)."""
        return FORMULAS[self.formula]


@dataclass(frozen=True)
class IndicatorValue:
    """A baseline, target or actual value of an indicator for a region and year.

    ``value`` is None when the source does not give the number; ``source_note`` then says so.
    """

    indicator: str
    region: str
    year: int
    role: Role
    value: float | None
    unit: str
    clause: str = ""
    source_note: str = ""
    path: str | None = None


@dataclass(frozen=True)
class IndicatorPlan:
    """One plan file: its indicators and values."""

    plan: str
    title_zh: str
    source: str
    edition: str
    region: str
    indicators: tuple[IndicatorDefinition, ...]
    values: tuple[IndicatorValue, ...]
    path: str | None = None


def _fail(where: str, ident: str | None, field: str, message: str) -> IndicatorError:
    who = f"indicator {ident!r}" if ident else "plan"
    return IndicatorError(f"{where}: {who}: field {field!r}: {message}")


def _text(entry: Mapping[str, Any], field: str, where: str, ident: str | None) -> str:
    value = entry.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise _fail(where, ident, field, "is required")
    return str(value)


def _enum(cls: type[enum.StrEnum], entry: Mapping[str, Any], field: str, where: str, ident: str):
    raw = entry.get(field)
    try:
        return cls(raw)
    except ValueError:
        allowed = ", ".join(m.value for m in cls)
        raise _fail(where, ident, field, f"{raw!r} is not one of {allowed}") from None


def _region(raw: Any, where: str, ident: str | None) -> str:
    code = str(raw) if raw is not None else ""
    if not _REGION.match(code):
        raise _fail(where, ident, "region", f"{raw!r} is not a 6-digit GB/T 2260 code")
    return code


def _definition(e: Any, i: int, doc: Mapping[str, Any], where: str) -> IndicatorDefinition:
    if not isinstance(e, Mapping):
        raise _fail(where, None, f"indicators[{i}]", "must be a mapping")
    ident = _text(e, "id", where, f"indicators[{i}]")
    unit = _text(e, "unit", where, ident)
    if unit not in UNITS:
        raise _fail(where, ident, "unit", f"unknown unit {unit!r}; known: {sorted(UNITS)}")
    formula = _text(e, "formula", where, ident)
    if formula not in FORMULAS:
        raise _fail(
            where, ident, "formula", f"unknown formula {formula!r}; known: {sorted(FORMULAS)}"
        )
    return IndicatorDefinition(
        id=ident,
        name_zh=_text(e, "name_zh", where, ident),
        name_en=_text(e, "name_en", where, ident),
        unit=unit,
        kind=_enum(Kind, e, "kind", where, ident),
        direction=_enum(Direction, e, "direction", where, ident),
        formula=formula,
        level=_enum(Level, e, "level", where, ident),
        plan=str(doc["plan"]),
        source=str(e.get("source", doc["source"])),
        edition=str(e.get("edition", doc["edition"])),
        clause=str(e.get("clause", "")),
        confirmed=bool(e.get("confirmed", False)),
        source_note=str(e.get("source_note", "")),
        path=where,
    )


def _number(raw: Any, unit: str, where: str, ident: str) -> float | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise _fail(where, ident, "value", f"{raw!r} is not a number")
    value = float(raw)
    if not math.isfinite(value) or value < 0:
        raise _fail(where, ident, "value", f"{raw!r} must be finite and not negative")
    if unit == "%" and value > 100:
        raise _fail(where, ident, "value", f"{raw!r} % is above 100 %")
    if unit == "count" and not value.is_integer():
        raise _fail(where, ident, "value", f"{raw!r} is not a whole count")
    return value


def _value(e: Any, i: int, defs: Mapping[str, IndicatorDefinition], where: str) -> IndicatorValue:
    if not isinstance(e, Mapping):
        raise _fail(where, None, f"values[{i}]", "must be a mapping")
    ident = _text(e, "indicator", where, f"values[{i}]")
    definition = defs.get(ident)
    if definition is None:
        raise _fail(where, ident, "indicator", f"values[{i}] refers to an undefined indicator")
    unit = _text(e, "unit", where, ident)
    if unit != definition.unit:
        raise _fail(
            where,
            ident,
            "unit",
            f"values[{i}] ({e.get('role')} {e.get('year')}) is in {unit!r} but the indicator "
            f"is defined in {definition.unit!r}",
        )
    year = e.get("year")
    if isinstance(year, bool) or not isinstance(year, int) or not 1949 <= year <= 2100:
        raise _fail(where, ident, "year", f"values[{i}]: {year!r} is not a year")
    value = _number(e.get("value"), unit, where, ident)
    note = str(e.get("source_note", ""))
    if value is None and not note.strip():
        raise _fail(where, ident, "source_note", f"values[{i}] has no value and no source_note")
    return IndicatorValue(
        indicator=ident,
        region=_region(e.get("region"), where, ident),
        year=year,
        role=_enum(Role, e, "role", where, ident),
        value=value,
        unit=unit,
        clause=str(e.get("clause", "")),
        source_note=note,
        path=where,
    )


def parse_plan(
    doc: Mapping[str, Any],
    path: str | None = None,
    known: Mapping[str, IndicatorDefinition] | None = None,
) -> IndicatorPlan:
    """Validate one plan document and build an :class:`IndicatorPlan`.

    ``known`` are definitions already loaded from other files: values may refer to them (a city
    plan giving its own targets for a provincial indicator), and ids must not repeat them.
    """
    where = path or "<indicator plan>"
    if not isinstance(doc, Mapping):
        raise IndicatorError(f"{where}: an indicator plan must be a mapping")
    if doc.get("kind") != "indicator_plan":
        raise _fail(where, None, "kind", f"{doc.get('kind')!r} is not 'indicator_plan'")
    for field in ("plan", "source", "edition"):
        _text(doc, field, where, None)
    region = _region(doc.get("region"), where, None)
    raw_defs = doc.get("indicators", [])
    raw_values = doc.get("values", [])
    if not isinstance(raw_defs, list):
        raise _fail(where, None, "indicators", "must be a list")
    if not isinstance(raw_values, list):
        raise _fail(where, None, "values", "must be a list")
    known = dict(known or {})
    defs: dict[str, IndicatorDefinition] = {}
    for i, e in enumerate(raw_defs):
        d = _definition(e, i, doc, where)
        if d.id in defs:
            raise _fail(where, d.id, "id", f"duplicate id (indicators[{i}])")
        if d.id in known:
            raise _fail(where, d.id, "id", f"duplicate id, already defined in {known[d.id].path}")
        defs[d.id] = d
    resolvable = {**known, **defs}
    values = [_value(e, i, resolvable, where) for i, e in enumerate(raw_values)]
    seen: dict[tuple[str, str, int, Role], int] = {}
    for i, v in enumerate(values):
        key = (v.indicator, v.region, v.year, v.role)
        if key in seen:
            raise _fail(
                where,
                v.indicator,
                "year",
                f"values[{i}] repeats values[{seen[key]}] ({v.role} {v.year})",
            )
        seen[key] = i
    return IndicatorPlan(
        plan=str(doc["plan"]),
        title_zh=str(doc.get("title_zh", "")),
        source=str(doc["source"]),
        edition=str(doc["edition"]),
        region=region,
        indicators=tuple(defs.values()),
        values=tuple(values),
        path=where,
    )


def _iter_yaml(paths: Iterable[str | Path]) -> Iterable[Path]:
    for p in paths:
        p = Path(p)
        if p.is_dir():
            yield from sorted(p.glob("indicators-*.yaml"))
        elif p.exists():
            yield p
        else:
            raise IndicatorError(f"indicator file not found: {p}")


class IndicatorBook:
    """Loaded plans: definitions by id and the values table."""

    def __init__(self, plans: Iterable[IndicatorPlan] = ()) -> None:
        self._plans = list(plans)
        self._defs: dict[str, IndicatorDefinition] = {}
        for plan in self._plans:
            for d in plan.indicators:
                if d.id in self._defs:
                    raise _fail(
                        plan.path or "<indicator plan>",
                        d.id,
                        "id",
                        f"duplicate id, already defined in {self._defs[d.id].path}",
                    )
                self._defs[d.id] = d

    @classmethod
    def load(cls, *paths: str | Path, base: IndicatorBook | None = None) -> IndicatorBook:
        """Load plan files, or directories of ``indicators-*.yaml``, on top of ``base``."""
        plans = list(base.plans) if base else []
        known = {d.id: d for p in plans for d in p.indicators}
        for path in _iter_yaml(paths):
            with path.open(encoding="utf-8") as fh:
                try:
                    docs = [d for d in yaml.load_all(fh, Loader=_Loader) if d is not None]
                except yaml.YAMLError as exc:
                    raise IndicatorError(f"{path}: not valid YAML: {exc}") from exc
            for doc in docs:
                plan = parse_plan(doc, str(path), known)
                known.update({d.id: d for d in plan.indicators})
                plans.append(plan)
        return cls(plans)

    @classmethod
    def default(cls) -> IndicatorBook:
        """The plans shipped with jiliang (national, Chongqing, Jilin), parsed once."""
        return _default_book()

    def extended(self, *paths: str | Path) -> IndicatorBook:
        """A new book with a province's own plan files added."""
        return IndicatorBook.load(*paths, base=self)

    @property
    def plans(self) -> tuple[IndicatorPlan, ...]:
        return tuple(self._plans)

    @property
    def definitions(self) -> tuple[IndicatorDefinition, ...]:
        return tuple(self._defs.values())

    def definition(self, ident: str) -> IndicatorDefinition:
        """The definition with this id; KeyError naming it when absent."""
        try:
            return self._defs[ident]
        except KeyError:
            raise KeyError(f"no indicator with id {ident!r}") from None

    def values(
        self,
        indicator: str | None = None,
        region: str | None = None,
        role: Role | str | None = None,
    ) -> list[IndicatorValue]:
        """Value rows matching the filters, by indicator, region, year and role."""
        out = [
            v
            for p in self._plans
            for v in p.values
            if (indicator is None or v.indicator == indicator)
            and (region is None or v.region == region)
            and (role is None or v.role == Role(role))
        ]
        return sorted(out, key=lambda v: (v.indicator, v.region, v.year, v.role.value))

    def baseline(self, indicator: str, region: str) -> IndicatorValue | None:
        """The latest baseline row (None when the plan gives none)."""
        rows = self.values(indicator, region, Role.BASELINE)
        return rows[-1] if rows else None

    def target(self, indicator: str, region: str, year: int | None = None) -> IndicatorValue | None:
        """The target row for ``year`` (default: the earliest target), None when absent."""
        rows = self.values(indicator, region, Role.TARGET)
        if year is not None:
            rows = [v for v in rows if v.year == year]
        return rows[0] if rows else None


@functools.cache
def _default_book() -> IndicatorBook:
    return IndicatorBook.load(DATA_DIR)
