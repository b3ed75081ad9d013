"""Plain records the traceability engine reads (量值传递溯源的输入记录).

The platform maps its registry rows onto these frozen dataclasses; nothing here knows Django.
All quantities are in coherent SI (the registry's ``*_si`` columns) and units are D-SI strings
such as ``\\metre`` or ``\\kilo\\gram`` (prefixes are ignored: values are already in SI).
Uncertainties ``U`` are *expanded* uncertainties in SI with their coverage factor ``k``.

Dates are ``datetime.date`` or ``None``; a missing date is reported as ``MISSING_DATE`` by the
engine, never an exception. Identifiers are strings, unique within their record kind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

OrgKind = Literal["nmi", "statutory", "authorised", "calibration_lab", "enterprise", "regulator"]
StandardLevel = Literal["primary", "national", "public", "department", "enterprise"]
StandardStatus = Literal["active", "suspended", "retired"]
ItemKind = Literal["instrument", "standard", "rm"]

#: levels in the national hierarchy, top first (计量基准 → 企事业单位计量标准)
LEVELS: tuple[str, ...] = ("primary", "national", "public", "department", "enterprise")
#: levels that count as "national" for flat traceability (扁平化)
NATIONAL_LEVELS: frozenset[str] = frozenset({"primary", "national"})


@dataclass(frozen=True, slots=True)
class Scope:
    """One line of an authorisation/accreditation scope (授权/认可范围).

    ``best_U`` is the best (smallest) expanded uncertainty the organisation may claim, in SI.
    """

    quantity: str
    unit: str
    range_low: float
    range_high: float
    best_U: float
    valid_from: date | None = None
    valid_to: date | None = None


@dataclass(frozen=True, slots=True)
class Organisation:
    """An organisation of the measurement system; ``region_code`` is a GB/T 2260 code."""

    id: str
    kind: OrgKind
    region_code: str
    scopes: tuple[Scope, ...] = ()


@dataclass(frozen=True, slots=True)
class CMC:
    """A calibration and measurement capability (校准测量能力) as in the BIPM KCDB.

    ``U`` is the best expanded uncertainty over ``[low, high]``, in SI.
    """

    id: str
    provider: str
    quantity: str
    unit: str
    low: float
    high: float
    U: float
    k: float = 2.0


@dataclass(frozen=True, slots=True)
class Standard:
    """A measurement standard (计量标准) with its level; ``U`` expanded, SI.

    ``valid_from``/``valid_to`` bound its certificate of the standard (计量标准考核证书).
    """

    id: str
    level: StandardLevel
    quantity: str
    unit: str
    range_low: float
    range_high: float
    U: float
    owner: str
    k: float = 2.0
    status: StandardStatus = "active"
    valid_from: date | None = None
    valid_to: date | None = None


@dataclass(frozen=True, slots=True)
class Instrument:
    """A working measuring instrument (工作计量器具); ``mpe`` absolute, SI, or ``None``."""

    id: str
    category: str
    quantity: str
    unit: str
    range_low: float | None
    range_high: float | None
    mpe: float | None
    owner: str
    region_code: str


@dataclass(frozen=True, slots=True)
class ReferenceMaterial:
    """A reference material; a GBW/GBW(E) number makes it a certified one (有证标准物质)."""

    id: str
    gbw: str
    quantity: str
    unit: str
    value: float
    U: float
    expiry: date | None


@dataclass(frozen=True, slots=True)
class CalibrationEvent:
    """A calibration/verification (检定/校准) of one item against standards and/or RMs.

    ``point`` is the calibration point in SI (``None``: the item's whole range); ``U`` the
    expanded uncertainty of the result in SI (``None``: unknown, the cited standards' U is
    used instead); ``unit`` the D-SI unit of the result ("" means the item's unit).
    """

    id: str
    item_kind: ItemKind
    item_id: str
    standard_ids: tuple[str, ...]
    performed_by: str
    performed_on: date | None
    valid_until: date | None
    rm_ids: tuple[str, ...] = ()
    withdrawn: bool = False
    point: float | None = None
    U: float | None = None
    unit: str = ""


@dataclass(frozen=True, slots=True)
class Records:
    """Everything the engine reads, as tuples (build it once, share it)."""

    organisations: tuple[Organisation, ...] = ()
    cmcs: tuple[CMC, ...] = ()
    standards: tuple[Standard, ...] = ()
    instruments: tuple[Instrument, ...] = ()
    reference_materials: tuple[ReferenceMaterial, ...] = ()
    events: tuple[CalibrationEvent, ...] = field(default=())
