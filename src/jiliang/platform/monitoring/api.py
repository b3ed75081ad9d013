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
from jiliang.platform.common.errors import FieldErrors
from jiliang.platform.common.paging import page
from jiliang.platform.common.requests import change_reason, current_user
from jiliang.platform.params import MAX_ID, Limit, Offset
from jiliang.platform.registry.models import Instrument, Organisation
from jiliang.platform.registry.permissions import readable

from . import device_events, services, workorders
from .models import Alarm, Area, AreaMeter, EstimationRun, MeterEstimate, WorkOrder

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
    user = current_user(request)
    if not getattr(user, "is_authenticated", False):
        raise HttpError(401, "log in or send a bearer token to submit readings")
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise FieldErrors({"body": ["the batch is not valid JSON"]}) from None
    try:
        return services.ingest_readings(user, body, change_reason(request))
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
    return readable(current_user(request), Area).select_related("region", "owner", "summary_meter")


@router.get("/areas", response=AreaPage, summary="Transformer areas you may read")
def list_areas(request: HttpRequest, limit: Limit = 50, offset: Offset = 0):
    qs = _areas(request)
    return page(qs, limit, offset, _area_out)


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
    user = current_user(request)
    if not getattr(user, "is_authenticated", False):
        raise HttpError(401, "log in or send a bearer token to start a run")
    area = _area(request, code)
    params = services.RunParameters(
        **payload.dict(exclude={"start", "end"}),
    )
    try:
        run = services.run_estimation(
            area, payload.start, payload.end, user, params, change_reason(request)
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
    qs = readable(current_user(request), EstimationRun).select_related("area")
    if area:
        qs = qs.filter(area__code=area)
    return page(qs, limit, offset, lambda r: _run_out(r, False))


@router.get("/runs/{pk}", response=RunOut)
def get_run(request: HttpRequest, pk: int):
    if not 0 < pk <= MAX_ID:
        raise HttpError(404, f"run {pk} not found")
    run = (
        readable(current_user(request), EstimationRun).select_related("area").filter(pk=pk).first()
    )
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
    user = current_user(request)
    if not getattr(user, "is_authenticated", False):
        raise HttpError(401, "log in or send a bearer token to submit events")
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise FieldErrors({"body": ["the batch is not valid JSON"]}) from None
    try:
        return device_events.ingest_events(user, body, change_reason(request))
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
    qs = readable(current_user(request), Alarm).select_related("instrument")
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


# --------------------------------------------------------------------------- work orders


class WorkOrderOut(Schema):
    number: str
    kind: str
    state: str
    meter: str
    alarm: str | None
    estimate: int | None
    reason: str
    assignee: str | None
    new_meter: str | None
    notes: str
    post_check: dict[str, Any] | None
    opened_at: dt.datetime
    updated_at: dt.datetime
    history: list[dict[str, Any]]


class WorkOrderPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[WorkOrderOut]


def _order_out(o: WorkOrder) -> dict[str, Any]:
    return {
        "number": o.number,
        "kind": o.kind,
        "state": o.state,
        "meter": o.instrument.lifetime_id,
        "alarm": o.alarm.key if o.alarm_id else None,
        "estimate": o.estimate_id,
        "reason": o.reason,
        "assignee": o.assignee.code if o.assignee_id else None,
        "new_meter": o.new_meter.lifetime_id if o.new_meter_id else None,
        "notes": o.notes,
        "post_check": o.post_check,
        "opened_at": o.opened_at,
        "updated_at": o.updated_at,
        "history": o.history,
    }


def _orders(request: HttpRequest):
    return readable(current_user(request), WorkOrder).select_related(
        "instrument__region", "alarm", "assignee", "new_meter"
    )


def _order(request: HttpRequest, number: str) -> WorkOrder:
    order = _orders(request).filter(number=number).first()
    if order is None:
        raise HttpError(404, f"work order {number} not found")
    return order


def _writer(request: HttpRequest):
    user = current_user(request)
    if not getattr(user, "is_authenticated", False):
        raise HttpError(401, "log in or send a bearer token to change work orders")
    return user


@router.get("/work-orders", response=WorkOrderPage, summary="Work orders you may read")
def list_work_orders(
    request: HttpRequest,
    state: str | None = None,
    meter: str | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
):
    qs = _orders(request)
    if state:
        qs = qs.filter(state=state)
    if meter:
        qs = qs.filter(instrument__lifetime_id=meter)
    return page(qs, limit, offset, _order_out)


@router.get("/work-orders/{number}", response=WorkOrderOut)
def get_work_order(request: HttpRequest, number: str):
    return _order_out(_order(request, number))


class WorkOrderIn(Schema):
    alarm: str | None = Field(None, max_length=300, description="key of the alarm")
    estimate: int | None = Field(None, ge=1, le=MAX_ID, description="id of the meter estimate")
    kind: str | None = Field(None, description="on_site_check or replacement (default: suggested)")
    reason: str = Field("", max_length=2000)


@router.post(
    "/work-orders",
    response={200: WorkOrderOut, 201: WorkOrderOut},
    summary="Open a work order from an alarm or an estimate (idempotent: one open per ground)",
)
def open_work_order(request: HttpRequest, payload: WorkOrderIn):
    user = _writer(request)
    alarm = estimate = None
    if payload.alarm:
        alarm = (
            readable(user, Alarm)
            .select_related("instrument__region")
            .filter(key=payload.alarm)
            .first()
        )
        if alarm is None:
            raise FieldErrors({"alarm": [f"no alarm {payload.alarm} you may read"]})
    if payload.estimate:
        estimate = (
            readable(user, MeterEstimate)
            .select_related("instrument__region")
            .filter(pk=payload.estimate)
            .first()
        )
        if estimate is None:
            raise FieldErrors({"estimate": [f"no estimate {payload.estimate} you may read"]})
    if payload.kind and payload.kind not in WorkOrder.Kind.values:
        raise FieldErrors({"kind": [f"one of {', '.join(WorkOrder.Kind.values)}"]})
    try:
        order, created = workorders.open_order(
            user,
            alarm=alarm,
            estimate=estimate,
            kind=payload.kind,
            reason=payload.reason,
            change_reason=change_reason(request),
        )
    except MonitoringError as exc:
        raise FieldErrors({exc.field: [exc.message]}) from None
    return Status(201 if created else 200, _order_out(_order(request, order.number)))


class AssignIn(Schema):
    assignee: str = Field(..., max_length=18, description="credit code of the organisation")
    note: str = Field("", max_length=2000)


class NoteIn(Schema):
    note: str = Field("", max_length=4000)


class CompleteIn(Schema):
    note: str = Field(..., max_length=4000, description="result notes (处理结果)")
    new_meter: str | None = Field(None, max_length=64, description="lifetime ID installed")


class CheckIn(Schema):
    record: str = Field(..., max_length=100)
    passed: bool
    kind: str = Field(..., description="first_verification or post_replacement_check")
    date: dt.datetime


class VerifyIn(Schema):
    note: str = Field("", max_length=4000)
    check: CheckIn | None = None


class CancelIn(Schema):
    reason: str = Field(..., max_length=2000)


def _apply(request: HttpRequest, number: str, call):
    user = _writer(request)
    order = _order(request, number)
    try:
        call(user, order)
    except MonitoringError as exc:
        raise FieldErrors({exc.field: [exc.message]}) from None
    return _order_out(_order(request, number))


@router.post("/work-orders/{number}/assign", response=WorkOrderOut, summary="Assign (派工)")
def assign_work_order(request: HttpRequest, number: str, payload: AssignIn):
    org = Organisation.objects.filter(code=payload.assignee).first()
    if org is None:
        raise FieldErrors({"assignee": [f"no organisation {payload.assignee}"]})
    return _apply(
        request,
        number,
        lambda u, o: workorders.assign(u, o, org, payload.note, change_reason(request)),
    )


@router.post("/work-orders/{number}/complete", response=WorkOrderOut, summary="Report work done")
def complete_work_order(request: HttpRequest, number: str, payload: CompleteIn):
    new = None
    if payload.new_meter:
        new = Instrument.objects.filter(lifetime_id=payload.new_meter).first()
        if new is None:
            raise FieldErrors({"new_meter": [f"no instrument {payload.new_meter}"]})
    return _apply(
        request,
        number,
        lambda u, o: workorders.complete(u, o, payload.note, new, change_reason(request)),
    )


@router.post("/work-orders/{number}/verify", response=WorkOrderOut, summary="Verify (复核)")
def verify_work_order(request: HttpRequest, number: str, payload: VerifyIn):
    check = payload.check.dict() if payload.check else None
    return _apply(
        request,
        number,
        lambda u, o: workorders.verify(u, o, payload.note, check, change_reason(request)),
    )


@router.post("/work-orders/{number}/rework", response=WorkOrderOut, summary="Send back (返工)")
def rework_work_order(request: HttpRequest, number: str, payload: NoteIn):
    return _apply(
        request, number, lambda u, o: workorders.rework(u, o, payload.note, change_reason(request))
    )


@router.post("/work-orders/{number}/cancel", response=WorkOrderOut, summary="Cancel (撤销)")
def cancel_work_order(request: HttpRequest, number: str, payload: CancelIn):
    return _apply(
        request,
        number,
        lambda u, o: workorders.cancel(u, o, payload.reason, change_reason(request)),
    )
