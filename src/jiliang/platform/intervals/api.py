"""REST API of interval advice (``/api/intervals``), read only.

- ``GET /classes`` — advice per class (``category``, ``region`` prefix, ``group_by``,
  ``target``, ``below_target``; ``limit``/``offset``), the registry's list shape
  ``{count, limit, offset, items}``;
- ``GET /classes/{key}`` — one class with the events behind it (``limit``/``offset`` of events);
- ``GET /standards/{id}/drift`` — a standard's fitted drift, predicted value, warning date.

Scoping is the registry's (:func:`jiliang.platform.intervals.history.scoped_events`): a class
nobody lets the user read is a 404, as is a standard they may not read.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Literal

from ninja import Query, Router, Schema
from ninja.errors import HttpError
from pydantic import Field

from jiliang.core.intervals import IntervalError
from jiliang.platform.common.errors import FieldErrors
from jiliang.platform.common.requests import current_user
from jiliang.platform.registry.models import MeasurementStandard
from jiliang.platform.registry.permissions import readable

from . import services
from .history import (
    ClassKey,
    event_rows,
    filter_events,
    history_for,
    iter_histories,
    scoped_events,
)

router = Router(tags=["intervals"])

MAX_LIMIT = 500


def _num(x: float | None) -> float | None:
    return float(x) if x is not None and math.isfinite(float(x)) else None


def _field_error(exc: ValueError) -> FieldErrors:
    name = getattr(exc, "field", None) or str(exc).split(":", 1)[0].strip() or "query"
    return FieldErrors({name: [str(exc)]})


class ClassFilters(Schema):
    category: str | None = Field(None, max_length=60, description="category code (exact)")
    region: str | None = Field(None, max_length=6, description="region-code prefix")
    group_by: Literal["owner", "region"] = "owner"
    target: float = Field(services.DEFAULT_TARGET, gt=0, lt=1, description="reliability target")
    below_target: bool = Field(False, description="only classes observed below the target")
    limit: int = Field(50, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=10**9)


class ClassOut(Schema):
    key: str
    category: str
    model_name: str
    manufacturer: str
    group_by: str
    group: str
    target: float
    instruments: int
    events: int
    n: int
    n_in_tolerance: int
    skipped: int
    observed_reliability: float | None
    current_interval_days: float | None
    current_source: str | None
    current_months: int | None
    current_basis: str
    recommended_interval_days: float | None
    confidence: float | None
    method: str | None
    insufficient: str | None
    a3_interval_days: float | None
    a3_confidence: float | None
    a3_changed: bool | None
    a3_insufficient: str | None
    s2_model: str | None
    s2_interval_low: float | None
    s2_interval_high: float | None
    s2_insufficient: str | None


class ClassPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[ClassOut]


class EventOut(Schema):
    certificate_no: str
    instrument: str
    performed_on: dt.date
    due_on: dt.date | None
    conformity: str
    interval_days: int | None
    in_tolerance: bool | None


class ClassDetail(ClassOut):
    events_count: int
    events_limit: int
    events_offset: int
    history: list[EventOut]


class EventPage(Schema):
    target: float = Field(services.DEFAULT_TARGET, gt=0, lt=1)
    limit: int = Field(500, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=10**9)


def class_out(a: services.ClassAdvice) -> dict:
    """Plain dict of one class's advice (API and export)."""
    a3, s2 = a.a3, a.s2
    return {
        "key": a.key.token,
        "category": a.key.category,
        "model_name": a.key.model_name,
        "manufacturer": a.key.manufacturer,
        "group_by": a.key.group_by,
        "group": a.key.group,
        "target": a.target,
        "instruments": a.instruments,
        "events": a.events,
        "n": a.n,
        "n_in_tolerance": a.n_in_tolerance,
        "skipped": a.skipped,
        "observed_reliability": _num(a.observed_reliability),
        "current_interval_days": _num(a.current.days),
        "current_source": a.current.source,
        "current_months": a.current.months,
        "current_basis": a.current.basis,
        "recommended_interval_days": _num(a.recommended_days),
        "confidence": _num(a.confidence),
        "method": a.method,
        "insufficient": a.insufficient,
        "a3_interval_days": _num(a3.interval_days) if a3 else None,
        "a3_confidence": _num(a3.confidence) if a3 else None,
        "a3_changed": a3.changed if a3 and a3.insufficient is None else None,
        "a3_insufficient": a3.insufficient if a3 else None,
        "s2_model": s2.model if s2 else None,
        "s2_interval_low": _num(s2.interval_low) if s2 else None,
        "s2_interval_high": _num(s2.interval_high) if s2 else None,
        "s2_insufficient": s2.insufficient if s2 else None,
    }


@router.get("/classes", response=ClassPage, operation_id="list_interval_classes")
def list_classes(request, filters: Query[ClassFilters]):
    """Interval advice per instrument class the user may read."""
    user = current_user(request)
    try:
        events = filter_events(
            scoped_events(user), category=filters.category, region=filters.region
        )
    except ValueError as exc:
        raise _field_error(exc) from None
    histories = iter_histories(events, filters.group_by)
    if filters.below_target:
        histories = services.below_target(histories, filters.target)
    count, page = services.class_advice_page(
        histories, offset=filters.offset, limit=filters.limit, target=filters.target
    )
    return {
        "count": count,
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [class_out(a) for a in page],
    }


@router.get("/classes/{key}", response=ClassDetail, operation_id="get_interval_class")
def get_class(request, key: str, page: Query[EventPage]):
    """One class's advice and the events behind it (history order: instrument, date)."""
    try:
        class_key = ClassKey.from_token(key)
    except ValueError as exc:
        raise _field_error(exc) from None
    events = scoped_events(current_user(request))
    history = history_for(events, class_key)
    if history is None:
        raise HttpError(404, "instrument class not found")
    advice = services.advise(history, page.target)
    rows = []
    for i, row in enumerate(event_rows(events, class_key)):
        if i >= page.offset + page.limit:
            break
        if i >= page.offset:
            rows.append(
                {
                    "certificate_no": row.certificate_no,
                    "instrument": row.lifetime_id,
                    "performed_on": row.performed_on,
                    "due_on": row.due_on,
                    "conformity": row.conformity,
                    "interval_days": row.interval_days,
                    "in_tolerance": row.in_tolerance,
                }
            )
    return {
        **class_out(advice),
        "events_count": history.events,
        "events_limit": page.limit,
        "events_offset": page.offset,
        "history": rows,
    }


class DriftQuery(Schema):
    on: dt.date | None = Field(None, description="date of the prediction (default today)")
    allowance: float | None = Field(
        None, gt=0, description="drift allowance, expanded, SI unit (default: the standard's U)"
    )
    k: float = Field(2.0, gt=0, le=10, description="coverage factor of the drift band")


class CertificateOut(Schema):
    certificate_no: str
    performed_on: dt.date
    value: float
    expanded_uncertainty: float
    k: float


class DriftOut(Schema):
    standard: str
    unit: str
    certificates: list[CertificateOut]
    slope_per_day: float | None
    u_slope_per_day: float | None
    birge_ratio: float | None
    significant: bool | None
    allowance: float | None
    recommended_interval_days: float | None
    confidence: float | None
    last_calibration: dt.date | None
    warning_date: dt.date | None
    predicted_on: dt.date
    predicted_value: float | None
    predicted_u: float | None
    insufficient: str | None


@router.get("/standards/{pk}/drift", response=DriftOut, operation_id="get_standard_drift")
def standard_drift(request, pk: int, query: Query[DriftQuery]):
    """Drift of a measurement standard from the certificates the user may read."""
    user = current_user(request)
    standard = readable(user, MeasurementStandard).filter(pk=pk).first()
    if standard is None:
        raise HttpError(404, f"measurement standard {pk} not found")
    if query.on is not None and not dt.date(1900, 1, 1) <= query.on <= dt.date(2199, 12, 31):
        raise FieldErrors({"on": ["date must lie between 1900-01-01 and 2199-12-31"]})
    if query.allowance is not None and not math.isfinite(query.allowance):
        raise FieldErrors({"allowance": ["must be a finite number"]})
    try:
        drift = services.advice_for_standard(
            standard, user=user, on=query.on, allowance=query.allowance, k=query.k
        )
    except IntervalError as exc:
        raise FieldErrors({exc.field: [str(exc)]}) from None
    except ValueError as exc:
        raise _field_error(exc) from None
    w, fit = drift.warning, drift.warning.fit
    last = max((c.performed_on for c in drift.certificates), default=None)
    return {
        "standard": standard.code,
        "unit": drift.unit,
        "certificates": [c.__dict__ for c in drift.certificates],
        "slope_per_day": _num(fit.slope) if fit else None,
        "u_slope_per_day": _num(fit.u_slope) if fit else None,
        "birge_ratio": _num(fit.birge_ratio) if fit else None,
        "significant": fit.significant if fit else None,
        "allowance": _num(w.allowance),
        "recommended_interval_days": _num(w.interval_days),
        "confidence": _num(w.confidence),
        "last_calibration": last if fit else None,
        "warning_date": w.warning_date,
        "predicted_on": drift.predicted_on,
        "predicted_value": _num(drift.predicted_value),
        "predicted_u": _num(drift.predicted_u),
        "insufficient": w.insufficient,
    }
