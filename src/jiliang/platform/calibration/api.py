"""Uncertainty API: evaluate a budget (JSON in, JSON out) and manage stored budgets.

Evaluation needs an authenticated user (anonymous POST is 401) and runs within
:func:`.services.request_limits` (trials, inputs, seconds), so one request cannot exhaust the
server; a specification over a limit is a 422 naming the limit.
"""

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from jiliang.platform.audit.context import acting_as
from jiliang.platform.common.requests import change_reason, current_user
from jiliang.platform.params import Limit, Offset
from jiliang.platform.registry.authority import authors
from jiliang.platform.registry.models import CalibrationEvent, Organisation
from jiliang.platform.registry.permissions import can_write, readable

from .models import UncertaintyBudget
from .services import BudgetInputError, evaluate, evaluate_and_store

router = Router(tags=["uncertainty"])


class EvaluateIn(Schema):
    spec: dict[str, Any] = Field(..., description="budget specification (docs/uncertainty.md)")
    method: str = Field("both", description="lpu, mcm or both")
    seed: int = Field(1, ge=0)
    trials: int | None = Field(None, ge=1, description="fixed MCM trials (else adaptive)")
    adaptive: bool | None = None


class BudgetIn(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    spec: dict[str, Any]
    method: str = "both"
    seed: int = Field(1, ge=0)
    event: str | None = Field(None, description="certificate number of the calibration event")
    owner: str | None = Field(None, description="organisation credit code (default: yours)")


class BudgetOut(Schema):
    id: int
    title: str
    event: str | None
    owner: str
    method: str
    seed: int
    spec: dict[str, Any]
    result: dict[str, Any] | None


def _out(budget: UncertaintyBudget) -> dict[str, Any]:
    return {
        "id": budget.pk,
        "title": budget.title,
        "event": budget.event.certificate_no if budget.event_id else None,
        "owner": budget.owner.code,
        "method": budget.method,
        "seed": budget.seed,
        "spec": budget.spec,
        "result": budget.result,
    }


@router.post("/evaluate", summary="Evaluate a budget specification (LPU, MCM or both)")
def evaluate_spec(request: HttpRequest, payload: EvaluateIn):
    if not getattr(current_user(request), "is_authenticated", False):
        raise HttpError(401, "log in or send a bearer token to evaluate budgets")
    try:
        return evaluate(
            payload.spec, payload.method, payload.seed, payload.trials, payload.adaptive
        )
    except BudgetInputError as exc:
        raise HttpError(422, str(exc)) from None


@router.get("/budgets", response=list[BudgetOut])
def list_budgets(request: HttpRequest, limit: Limit = 50, offset: Offset = 0):
    qs = readable(current_user(request), UncertaintyBudget).select_related("event", "owner")
    return [_out(b) for b in qs[offset : offset + limit]]


@router.get("/budgets/{pk}", response=BudgetOut)
def get_budget(request: HttpRequest, pk: int):
    budget = readable(current_user(request), UncertaintyBudget).filter(pk=pk).first()
    if budget is None:
        raise HttpError(404, f"budget {pk} not found")
    return _out(budget)


@router.post("/budgets", response={201: BudgetOut})
def create_budget(request: HttpRequest, payload: BudgetIn):
    user = current_user(request)
    event = None
    if payload.event:
        event = readable(user, CalibrationEvent).filter(certificate_no=payload.event).first()
        if event is None:
            raise HttpError(422, f"event: unknown calibration event {payload.event!r}")
    owner_code = payload.owner
    if owner_code is None:
        profile = getattr(user, "profile", None)
        owner = profile.organisation if profile else None
    else:
        owner = Organisation.objects.filter(code=owner_code).first()
    if owner is None:
        raise HttpError(422, "owner: give the organisation that owns the budget")
    budget = UncertaintyBudget(
        event=event,
        owner=owner,
        title=payload.title,
        spec=payload.spec,
        method=payload.method,
        seed=payload.seed,
    )
    if not can_write(user, budget) or (event is not None and not authors(user, event)):
        raise HttpError(403, "you may not create budgets for this organisation or event")
    if event is not None and UncertaintyBudget.objects.filter(event=event).exists():
        raise HttpError(409, f"event {event.certificate_no} already has a budget")
    try:
        evaluate_and_store(budget)
    except BudgetInputError as exc:
        raise HttpError(422, str(exc)) from None
    with transaction.atomic(), acting_as(user, change_reason(request)):
        budget.save()
    return Status(201, _out(budget))
