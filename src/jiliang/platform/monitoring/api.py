"""Monitoring API (``/api/monitoring``): readings ingest, areas, estimation runs and estimates.

``POST /readings`` takes a JSON list of ``{meter, timestamp, register}`` (lifetime ID, ISO 8601
with UTC offset, cumulative kW·h) from an organisation's account: 200 with the counts
(``accepted`` new, ``identical`` already stored, ``conflicting`` stored with another register),
422 with every bad row's ``row``/``field``/``reason``/``message`` (nothing written), 413 over
the batch limit, 401 anonymous, 403 for an account without an organisation. Re-sending an
accepted batch returns the first answer (``replay: true``) and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.http import HttpRequest, JsonResponse
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from jiliang.core.monitoring.balance import MonitoringError
from jiliang.core.monitoring.events import EventKind
from jiliang.platform.params import MAX_ID, Limit, Offset
from jiliang.platform.registry.api import FieldErrors
from jiliang.platform.registry.permissions import readable

from . import device_events, services
from .models import Alarm, Area, AreaMeter, EstimationRun, MeterEstimate

router = Router(tags=["monitoring"])

_ROW_SCHEMA = {
    "type": "array",
    "maxItems": services.DEFAULT_MAX_BATCH,
    "items": {
        "type": "object",
        "required": ["meter", "timestamp", "register"],
        "properties": {
            "meter": {"type": "string", "description": "lifetime ID of the meter"},
            "timestamp": {"type": "string", "format": "date-time"},
            "register": {"type": "number", "minimum": 0, "description": "kW·h, cumulative"},
        },
    },
}


def _user(request: HttpRequest):
    return request.auth if getattr(request.auth, "is_authenticated", False) else request.user


def _reason(request: HttpRequest) -> str:
    return request.headers.get("X-Change-Reason", "")[:500]


def _batch_rejected(exc: services.BatchRejected):
    return JsonResponse(
        {"detail": "batch rejected: nothing was stored", "errors": exc.errors}, status=422
    )


@router.post(
    "/readings",
    summary="Ingest a batch of meter readings (idempotent by meter and timestamp)",
    openapi_extra={
        "requestBody": {"content": {"application/json": {"schema": _ROW_SCHEMA}}, "required": True}
    },
)
def ingest_readings(request: HttpRequest):
    user = _user(request)
    if not getattr(user, "is_authenticated", False):
        raise HttpError(401, "log in or send a bearer token to submit readings")
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise FieldErrors({"body": ["the batch is not valid JSON"]}) from None
    try:
        return services.ingest_readings(user, body, _reason(request))
    except services.BatchTooLarge as exc:
        raise HttpError(413, str(exc)) from None
    except services.BatchRejected as exc:
        return _batch_rejected(exc)
    except services.IngestConflict as exc:
        raise HttpError(409, str(exc)) from None


class AreaOut(Schema):
    id: int
    code: str
    name: str
    region: str
    owner: str
    summary_meter: str
    meters: list[str]


def _area_out(area: Area) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC)
    meters = (
        AreaMeter.objects.filter(area=area, valid_from__lte=now)
        .exclude(valid_to__lte=now)
        .values_list("instrument__lifetime_id", flat=True)
    )
    return {
        "id": area.pk,
        "code": area.code,
        "name": area.name,
        "region": area.region.code,
        "owner": area.owner.code,
        "summary_meter": area.summary_meter.lifetime_id,
        "meters": sorted(meters),
    }


class AreaPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[AreaOut]


def _areas(request: HttpRequest):
    return readable(_user(request), Area).select_related("region", "owner", "summary_meter")


@router.get("/areas", response=AreaPage, summary="Transformer areas you may read")
def list_areas(request: HttpRequest, limit: Limit = 50, offset: Offset = 0):
    qs = _areas(request)
    return {
        "count": qs.count(),
        "limit": limit,
        "offset": offset,
        "items": [_area_out(a) for a in qs[offset : offset + limit]],
    }


def _area(request: HttpRequest, code: str) -> Area:
    area = _areas(request).filter(code=code).first()
    if area is None:
        raise HttpError(404, f"area {code} not found")
    return area


@router.get("/areas/{code}", response=AreaOut)
def get_area(request: HttpRequest, code: str):
    return _area_out(_area(request, code))


class RunIn(Schema):
    start: dt.datetime = Field(..., description="period start, ISO 8601 with UTC offset")
    end: dt.datetime = Field(..., description="period end (exclusive)")
    period_s: float = Field(3600.0, ge=60, le=31 * 86400, description="period length in s")
    method: str = Field("ols", max_length=20)
    robust: bool = False
    gain_method: str = Field("prior", max_length=10)
    loss_fraction: float = Field(0.0, ge=0, lt=0.5, description="proportional loss β")
    u_loss_fraction: float = Field(0.0, ge=0, le=0.5)
    summary_error: float = Field(0.0, gt=-0.5, lt=0.5, description="summary meter's e_s")
    u_summary_error: float = Field(0.0, ge=0, le=0.5)
    fixed_loss: bool = True
    quadratic_loss: bool = False
    default_class: str = Field("", max_length=10, description="class of meters without one")


class EstimateOut(Schema):
    meter: str
    error: float | None
    u: float | None
    expanded_uncertainty: float | None
    share: float | None
    accuracy_class: str
    mpe: float | None
    status: str
    verdict: str
    reason: str


class RunOut(Schema):
    id: int
    area: str
    status: str
    message: str
    code_version: str
    parameters: dict[str, Any]
    period_start: dt.datetime
    period_end: dt.datetime
    started_at: dt.datetime
    finished_at: dt.datetime | None
    summary: dict[str, Any]
    estimates: list[EstimateOut] | None = None


def _estimate_out(e: MeterEstimate) -> dict[str, Any]:
    return {
        "meter": e.instrument.lifetime_id,
        "error": e.error,
        "u": e.u,
        "expanded_uncertainty": e.expanded_uncertainty,
        "share": e.share,
        "accuracy_class": e.accuracy_class,
        "mpe": e.mpe,
        "status": e.status,
        "verdict": e.verdict,
        "reason": e.reason,
    }


def _run_out(run: EstimationRun, with_estimates: bool) -> dict[str, Any]:
    out = {
        "id": run.pk,
        "area": run.area.code,
        "status": run.status,
        "message": run.message,
        "code_version": run.code_version,
        "parameters": run.parameters,
        "period_start": run.period_start,
        "period_end": run.period_end,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "summary": run.summary,
    }
    if with_estimates:
        out["estimates"] = [
            _estimate_out(e) for e in run.estimates.select_related("instrument").order_by("pk")
        ]
    return out


@router.post("/areas/{code}/runs", response={201: RunOut}, summary="Estimate an area's meters")
def start_run(request: HttpRequest, code: str, payload: RunIn):
    user = _user(request)
    if not getattr(user, "is_authenticated", False):
        raise HttpError(401, "log in or send a bearer token to start a run")
    area = _area(request, code)
    params = services.RunParameters(
        **payload.dict(exclude={"start", "end"}),
    )
    try:
        run = services.run_estimation(
            area, payload.start, payload.end, user, params, _reason(request)
        )
    except MonitoringError as exc:
        raise FieldErrors({exc.field: [exc.message]}) from None
    return Status(201, _run_out(run, True))


class RunPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[RunOut]


@router.get("/runs", response=RunPage, summary="Estimation runs you may read")
def list_runs(request: HttpRequest, area: str | None = None, limit: Limit = 50, offset: Offset = 0):
    qs = readable(_user(request), EstimationRun).select_related("area")
    if area:
        qs = qs.filter(area__code=area)
    return {
        "count": qs.count(),
        "limit": limit,
        "offset": offset,
        "items": [_run_out(r, False) for r in qs[offset : offset + limit]],
    }


@router.get("/runs/{pk}", response=RunOut)
def get_run(request: HttpRequest, pk: int):
    if not 0 < pk <= MAX_ID:
        raise HttpError(404, f"run {pk} not found")
    run = readable(_user(request), EstimationRun).select_related("area").filter(pk=pk).first()
    if run is None:
        raise HttpError(404, f"run {pk} not found")
    return _run_out(run, True)


_EVENT_SCHEMA = {
    "type": "array",
    "maxItems": services.DEFAULT_MAX_BATCH,
    "items": {
        "type": "object",
        "required": ["meter", "timestamp", "kind"],
        "properties": {
            "meter": {"type": "string", "description": "lifetime ID of the meter"},
            "timestamp": {"type": "string", "format": "date-time"},
            "kind": {"type": "string", "enum": [k.value for k in EventKind]},
            "payload": {"type": "object"},
        },
    },
}


@router.post(
    "/events",
    summary="Ingest a batch of device events (idempotent by meter, timestamp and kind)",
    openapi_extra={
        "requestBody": {
            "content": {"application/json": {"schema": _EVENT_SCHEMA}},
            "required": True,
        }
    },
)
def ingest_events(request: HttpRequest):
    user = _user(request)
    if not getattr(user, "is_authenticated", False):
        raise HttpError(401, "log in or send a bearer token to submit events")
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise FieldErrors({"body": ["the batch is not valid JSON"]}) from None
    try:
        return device_events.ingest_events(user, body, _reason(request))
    except services.BatchTooLarge as exc:
        raise HttpError(413, str(exc)) from None
    except services.BatchRejected as exc:
        return _batch_rejected(exc)
    except services.IngestConflict as exc:
        raise HttpError(409, str(exc)) from None


class AlarmOut(Schema):
    key: str
    meter: str
    kind: str
    severity: str
    action: str
    reason: str
    first: dt.datetime
    last: dt.datetime
    evidence: list[str]
    tamper: bool


class AlarmPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[AlarmOut]


@router.get("/alarms", response=AlarmPage, summary="Alarms of meters you may read")
def list_alarms(
    request: HttpRequest, meter: str | None = None, limit: Limit = 50, offset: Offset = 0
):
    qs = readable(_user(request), Alarm).select_related("instrument")
    if meter:
        qs = qs.filter(instrument__lifetime_id=meter)
    english = (request.LANGUAGE_CODE or "").startswith("en")
    return {
        "count": qs.count(),
        "limit": limit,
        "offset": offset,
        "items": [
            {
                "key": a.key,
                "meter": a.instrument.lifetime_id,
                "kind": a.kind,
                "severity": a.severity,
                "action": a.action,
                "reason": a.reason_en if english else a.reason_zh,
                "first": a.first,
                "last": a.last,
                "evidence": a.evidence,
                "tamper": a.tamper,
            }
            for a in qs[offset : offset + limit]
        ],
    }
