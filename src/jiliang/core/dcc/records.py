"""Plain dataclasses crossing the DCC boundary (no ORM): what :mod:`build` reads.

Multilingual text is ``Text``: a ``{lang: text}`` mapping, e.g.
``{"zh": "温度计", "en": "Thermometer"}``,
or a plain string when the text is language-neutral (names, addresses).
:func:`record_from_mapping` turns JSON/YAML data into a :class:`CalibrationRecord`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jiliang.core.dcc.errors import RecordError

Text = str | dict[str, str]


@dataclass
class Identification:
    issuer: str  # manufacturer | calibrationLaboratory | customer | owner | other
    value: str
    name: Text | None = None


@dataclass
class Contact:
    name: Text
    email: str = ""
    phone: str | None = None
    city: str | None = None
    country_code: str | None = None
    post_code: str | None = None
    street: str | None = None
    street_no: str | None = None
    further: Text | None = None


@dataclass
class Item:
    name: Text
    manufacturer: str
    identifications: list[Identification]
    model: str | None = None
    description: Text | None = None


@dataclass
class Person:
    name: str
    role: str | None = None
    main_signer: bool = False


@dataclass
class Statement:
    ref_type: str
    declaration: Text
    traceable: bool | None = None
    norms: list[str] = field(default_factory=list)
    conformity: str | None = None  # pass | fail | conditionalPass | ...


@dataclass
class Method:
    name: Text
    norm: str | None = None
    ref_type: str | None = None


@dataclass
class Equipment:
    name: Text
    identifications: list[Identification] = field(default_factory=list)
    certificate_id: str | None = None  # the standard's own calibration certificate
    certificate_sha256: str | None = None  # its canonical hash, when known
    ref_type: str | None = "basic_normalUsed"


@dataclass
class QuantityValues:
    """Alternative representation of a quantity (e.g. the same readings in °C) for si:hybrid."""

    values: float | list[float]
    unit: str


@dataclass
class Quantity:
    """A measured quantity: one value (si:real) or several (si:realListXMLList / si:list).

    ``expanded_uncertainty`` is U = k·u with ``coverage_factor`` k and ``coverage_probability``;
    a list gives one U per value. ``form`` picks the D-SI element: ``auto`` (real for a scalar,
    realListXMLList for a list), ``real``, ``list`` (si:list of si:real) or ``xmllist``;
    any ``alternatives`` wrap the quantity in si:hybrid.
    """

    name: Text
    values: float | list[float]
    unit: str
    expanded_uncertainty: float | list[float] | None = None
    coverage_factor: float = 2.0
    coverage_probability: float = 0.95
    distribution: str | None = "normal"
    form: str = "auto"
    alternatives: list[QuantityValues] = field(default_factory=list)
    conformity: str | list[str] | None = None
    ref_type: str | None = None


@dataclass
class Condition:
    name: Text
    quantities: list[Quantity]
    description: Text | None = None
    ref_type: str | None = None


@dataclass
class Result:
    name: Text
    quantities: list[Quantity]
    ref_type: str | None = None


@dataclass
class CalibrationRecord:
    """Everything a DCC 3.1.2 needs, in plain Python."""

    certificate_id: str
    begin_date: dt.date
    end_date: dt.date
    items: list[Item]
    laboratory: Contact
    resp_persons: list[Person]
    customer: Contact
    results: list[Result]
    traceability: Text
    decision_rule: Text | None = None
    measurement_name: Text = field(
        default_factory=lambda: {"zh": "测量结果", "en": "Measurement results"}
    )
    laboratory_code: str | None = None
    performance_location: str = "laboratory"
    country: str = "CN"
    languages: list[str] = field(default_factory=lambda: ["zh", "en"])
    mandatory_languages: list[str] = field(default_factory=lambda: ["zh"])
    receipt_date: dt.date | None = None
    statements: list[Statement] = field(default_factory=list)
    methods: list[Method] = field(default_factory=list)
    equipment: list[Equipment] = field(default_factory=list)
    conditions: list[Condition] = field(default_factory=list)
    software_name: str = "jiliang"
    software_release: str | None = None


def _convert(tp: Any, value: Any, where: str) -> Any:
    """Coerce ``value`` (from JSON/YAML) to type hint ``tp``; raise RecordError naming ``where``."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in (a for a in args if a is not type(None)):
            try:
                return _convert(arg, value, where)
            except RecordError as exc:
                errors.append(str(exc))
        raise RecordError(errors[0] if len(errors) == 1 else f"{where}: unexpected value {value!r}")
    if origin is list:
        if not isinstance(value, list):
            raise RecordError(f"{where}: expected a list, got {type(value).__name__}")
        (arg,) = typing.get_args(tp)
        return [_convert(arg, v, f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
            raise RecordError(f"{where}: expected a mapping of language to text")
        return {str(k): v for k, v in value.items()}
    if dataclasses.is_dataclass(tp):
        return _from_mapping(tp, value, where)
    if tp is dt.date:
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError as exc:
            raise RecordError(f"{where}: {value!r} is not an ISO date (YYYY-MM-DD)") from exc
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise RecordError(f"{where}: expected a number, got {value!r}")
        return float(value)
    if tp is bool:
        if not isinstance(value, bool):
            raise RecordError(f"{where}: expected true/false, got {value!r}")
        return value
    if tp is str:
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise RecordError(f"{where}: expected text, got {value!r}")
        return str(value)
    raise RecordError(f"{where}: unsupported field type {tp!r}")


def _from_mapping(cls: type, data: Any, where: str) -> Any:
    if not isinstance(data, Mapping):
        raise RecordError(f"{where}: expected a mapping, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(data) - names
    if unknown:
        raise RecordError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name in data:
            kwargs[f.name] = _convert(hints[f.name], data[f.name], f"{where}.{f.name}")
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise RecordError(f"{where}.{f.name}: required field missing")
    return cls(**kwargs)


def record_from_mapping(data: Mapping[str, Any]) -> CalibrationRecord:
    """Build a :class:`CalibrationRecord` from parsed JSON/YAML (field names as above)."""
    return _from_mapping(CalibrationRecord, data, "record")
