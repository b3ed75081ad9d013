"""Risk early-warning API (计量风险预警): the regional risk view, warnings and emergencies.

Lists answer ``{count, limit, offset, items}`` like the registry. Regions, warnings and
emergencies outside the user's area are 404; writes by anyone but a regulator of the region
are 403 (``Denied``), bad input and out-of-order status changes 422 naming the field.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from pydantic import ConfigDict, Field

from jiliang.platform.common.errors import FieldErrors
from jiliang.platform.common.paging import page as _page
from jiliang.platform.common.requests import current_user
from jiliang.platform.params import MAX_ID, Limit, Offset, QueryDate
from jiliang.platform.registry.models import Region

from . import services
from .models import EarlyWarning, Emergency, EmergencyAction

router = Router(tags=["risk"])


class _Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class FactorOut(Schema):
    factor: str
    zh: str
    value: float | None
    unit: str
    level: str
    amber: float
    red: float
    reason: str


class RiskViewOut(Schema):
    region: str
    region_name: str
    as_of: dt.date
    level: str
    counts: dict[str, int]
    factors: list[FactorOut]
    reasons: list[str]
    edition: str


class WarningOut(Schema):
    id: int
    region: str
    as_of: dt.date
    level: str
    factors: list[dict[str, Any]]
    reasons: list[str]
    edition: str
    notified_org: str | None
    notified_users: int
    created_at: dt.datetime
    acknowledged_by: str | None
    acknowledged_at: dt.datetime | None


class WarningPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[WarningOut]


class EvaluateOut(Schema):
    view: RiskViewOut
    warning: WarningOut | None


class ActionOut(Schema):
    id: int
    text: str
    taken_at: dt.datetime
    by: str | None


class EmergencyOut(Schema):
    id: int
    region: str
    title: str
    kind: str
    severity: str
    description: str
    occurred_at: dt.datetime
    warning: int | None
    status: str
    reported_by: str | None
    reported_at: dt.datetime
    closed_by: str | None
    closed_at: dt.datetime | None
    closure: str
    actions: list[ActionOut]


class EmergencyPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[EmergencyOut]


class EmergencyIn(_Strict):
    region: str = Field(..., max_length=12, description="GB/T 2260 region code")
    title: str = Field(..., max_length=200)
    kind: str = Field(..., description="instrument, tamper, standard, supply or other")
    severity: str = Field(..., description="general, major or serious")
    description: str = Field(..., max_length=4000)
    occurred_at: dt.datetime
    warning: int | None = Field(None, ge=1, le=MAX_ID, description="id of an early warning")


class ActionIn(_Strict):
    text: str = Field(..., max_length=2000)
    taken_at: dt.datetime | None = None


class CloseIn(_Strict):
    closure: str = Field(..., max_length=4000, description="closure report (结案报告)")


def _name(u) -> str | None:
    return u.get_username() if u is not None else None


def _region(request: HttpRequest, code: str, write: bool = False) -> Region:
    """The region (a public record: 404 only when it does not exist); reading its risk view
    is for supervisors of the region (403 otherwise), writing for its regulators."""
    r = Region.objects.filter(code=code[:12]).first()
    if r is None:
        raise HttpError(404, f"region {code} not found")
    user = current_user(request)
    if write:
        services.require_write(user, r)
    elif not services.may_read(user, r):
        raise HttpError(403, "only supervisors of this region read its risk view")
    return r


def _warning_out(w: EarlyWarning) -> dict[str, Any]:
    return {
        "id": w.pk,
        "region": w.region.code,
        "as_of": w.as_of,
        "level": w.level,
        "factors": w.factors,
        "reasons": w.reasons,
        "edition": w.edition,
        "notified_org": w.notified_org.code if w.notified_org else None,
        "notified_users": w.notified_users,
        "created_at": w.created_at,
        "acknowledged_by": _name(w.acknowledged_by),
        "acknowledged_at": w.acknowledged_at,
    }


def _action_out(a: EmergencyAction) -> dict[str, Any]:
    return {"id": a.pk, "text": a.text, "taken_at": a.taken_at, "by": _name(a.by)}


def _emergency_out(e: Emergency) -> dict[str, Any]:
    return {
        "id": e.pk,
        "region": e.region.code,
        "title": e.title,
        "kind": e.kind,
        "severity": e.severity,
        "description": e.description,
        "occurred_at": e.occurred_at,
        "warning": e.warning_id,
        "status": e.status,
        "reported_by": _name(e.reported_by),
        "reported_at": e.reported_at,
        "closed_by": _name(e.closed_by),
        "closed_at": e.closed_at,
        "closure": e.closure,
        "actions": [_action_out(a) for a in e.actions.select_related("by")],
    }


def _id(pk: int) -> int:
    if not 0 < pk <= MAX_ID:
        raise HttpError(404, "not found")
    return pk


@router.get("/regions/{code}", response=RiskViewOut)
def region_view(request: HttpRequest, code: str, as_of: QueryDate | None = None):
    """Risk view of a region and its subtree: counts, factor levels, overall level, reasons."""
    return services.risk_view(_region(request, code), as_of)


@router.post("/regions/{code}/evaluate", response=EvaluateOut)
def evaluate(request: HttpRequest, code: str):
    """Evaluate today; an early-warning notice is stored (once a day) above green."""
    region = _region(request, code, write=True)
    w = services.evaluate(current_user(request), region)
    view = services.risk_view(region)
    return {"view": view, "warning": _warning_out(w) if w else None}


@router.get("/warnings", response=WarningPage)
def list_warnings(
    request: HttpRequest,
    level: str | None = None,
    region: str | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
):
    qs = services.warnings_for(current_user(request))
    if level:
        qs = qs.filter(level=level)
    if region:
        qs = qs.filter(region__code__startswith=region)
    return _page(qs, limit, offset, _warning_out)


@router.get("/warnings/{pk}", response=WarningOut)
def get_warning(request: HttpRequest, pk: int):
    w = services.warnings_for(current_user(request)).filter(pk=_id(pk)).first()
    if w is None:
        raise HttpError(404, "warning not found")
    return _warning_out(w)


@router.post("/warnings/{pk}/acknowledge", response=WarningOut)
def acknowledge(request: HttpRequest, pk: int):
    w = services.warnings_for(current_user(request)).filter(pk=_id(pk)).first()
    if w is None:
        raise HttpError(404, "warning not found")
    return _warning_out(services.acknowledge(current_user(request), w))


def _emergency(request: HttpRequest, pk: int) -> Emergency:
    e = services.emergencies_for(current_user(request)).filter(pk=_id(pk)).first()
    if e is None:
        raise HttpError(404, "emergency not found")
    return e


@router.get("/emergencies", response=EmergencyPage)
def list_emergencies(
    request: HttpRequest, status: str | None = None, limit: Limit = 50, offset: Offset = 0
):
    qs = services.emergencies_for(current_user(request))
    if status:
        qs = qs.filter(status=status)
    return _page(qs, limit, offset, _emergency_out)


@router.post("/emergencies", response={201: EmergencyOut})
def report(request: HttpRequest, payload: EmergencyIn):
    user = current_user(request)
    region = Region.objects.filter(code=payload.region).first()
    if region is None:
        raise FieldErrors.one("region", f"region: unknown region {payload.region!r}")
    services.require_write(user, region)
    warning = None
    if payload.warning is not None:
        warning = services.warnings_for(user).filter(pk=payload.warning).first()
        if warning is None:
            raise FieldErrors.one("warning", f"warning: unknown warning {payload.warning}")
    e = services.report(
        user,
        region,
        title=payload.title,
        kind=payload.kind,
        severity=payload.severity,
        description=payload.description,
        occurred_at=payload.occurred_at,
        warning=warning,
    )
    return Status(201, _emergency_out(e))


@router.get("/emergencies/{pk}", response=EmergencyOut)
def get_emergency(request: HttpRequest, pk: int):
    return _emergency_out(_emergency(request, pk))


@router.post("/emergencies/{pk}/actions", response={201: EmergencyOut})
def add_action(request: HttpRequest, pk: int, payload: ActionIn):
    e = _emergency(request, pk)
    services.add_action(current_user(request), e, payload.text, payload.taken_at)
    return Status(201, _emergency_out(Emergency.objects.get(pk=e.pk)))


@router.post("/emergencies/{pk}/close", response=EmergencyOut)
def close(request: HttpRequest, pk: int, payload: CloseIn):
    e = services.close(current_user(request), _emergency(request, pk), payload.closure)
    return _emergency_out(e)
