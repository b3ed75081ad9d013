"""Specifications API (计量技术规范): the registry of JJG/JJF documents, public to read.

``GET ""`` lists ``{count, limit, offset, items}`` like the registry (filters ``kind``,
``status``, ``region`` code prefix, ``q`` in number and title, ``in_force_on`` date);
``GET /{id}``; ``POST ""`` creates, ``PATCH /{id}`` changes, ``POST /{id}/withdraw`` withdraws;
``GET /{id}/impact`` lists what the document and its revision touch; ``POST /applied`` records
the specification a verification was performed to, ``GET /applied?event=`` reads it back.
Bad input is a 422 naming the field, a refusal a 403 naming ``kind`` (or ``event``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from pydantic import ConfigDict, Field

from jiliang.core.legal.specifications import normalise_spec_number
from jiliang.platform.common.errors import FieldErrors
from jiliang.platform.common.paging import page
from jiliang.platform.common.requests import change_reason, current_user
from jiliang.platform.params import MAX_ID, Limit, Offset, SaneDate
from jiliang.platform.registry.models import CalibrationEvent, Region
from jiliang.platform.registry.permissions import readable

from . import services
from .models import AppliedSpecification, Specification

router = Router(tags=["specifications"])


class _Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class SpecificationIn(_Strict):
    number: str = Field(..., min_length=1, max_length=60, description="e.g. JJG 596-2012")
    title: str = Field(..., min_length=1, max_length=200)
    title_en: str = Field("", max_length=300)
    kind: str = Field(..., description=", ".join(Specification.Kind.values))
    region: str | None = Field(None, description="issuing province code (local documents)")
    status: str = "draft"
    effective_on: SaneDate | None = None
    withdrawn_on: SaneDate | None = None
    replaces: str | None = Field(None, description="number of the edition this one replaces")
    catalogue_items: list[str] = Field(default_factory=list, max_length=100)
    instrument_categories: list[str] = Field(default_factory=list, max_length=100)
    quantities: list[str] = Field(default_factory=list, max_length=50)


class SpecificationPatch(_Strict):
    number: str | None = Field(None, min_length=1, max_length=60)
    title: str | None = Field(None, min_length=1, max_length=200)
    title_en: str | None = Field(None, max_length=300)
    kind: str | None = None
    region: str | None = None
    status: str | None = None
    effective_on: SaneDate | None = None
    withdrawn_on: SaneDate | None = None
    replaces: str | None = None
    catalogue_items: list[str] | None = Field(None, max_length=100)
    instrument_categories: list[str] | None = Field(None, max_length=100)
    quantities: list[str] | None = Field(None, max_length=50)


class SpecificationOut(Schema):
    id: int
    number: str
    title: str
    title_en: str
    kind: str
    region: str | None
    status: str
    effective_on: dt.date | None
    withdrawn_on: dt.date | None
    replaces: str | None
    replaced_by: list[str]
    catalogue_items: list[str]
    instrument_categories: list[str]
    quantities: list[str]


class SpecificationPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[SpecificationOut]


class WithdrawIn(_Strict):
    on: SaneDate = Field(..., description="first day the document is no longer in force")


class AppliedIn(_Strict):
    event: str = Field(..., description="certificate number of the verification/calibration")
    specification: str = Field(..., description="number of the specification applied")


class AppliedOut(Schema):
    event: str
    specification: str


def out(spec: Specification) -> dict[str, Any]:
    """The API form of a specification (natural keys for relations)."""
    return {
        "id": spec.pk,
        "number": spec.number,
        "title": spec.title,
        "title_en": spec.title_en,
        "kind": spec.kind,
        "region": spec.region.code if spec.region_id else None,
        "status": spec.status,
        "effective_on": spec.effective_on,
        "withdrawn_on": spec.withdrawn_on,
        "replaces": spec.replaces.number if spec.replaces_id else None,
        "replaced_by": [s.number for s in spec.replaced_by.all()],
        "catalogue_items": spec.catalogue_items,
        "instrument_categories": spec.instrument_categories,
        "quantities": spec.quantities,
    }


def _get(pk: int) -> Specification:
    if not 0 < pk <= MAX_ID:  # beyond a database integer: no such record (not an overflow)
        raise HttpError(404, f"specification {pk} not found")
    spec = Specification.objects.select_related("region", "replaces").filter(pk=pk).first()
    if spec is None:
        raise HttpError(404, f"specification {pk} not found")
    return spec


def _writer(request: HttpRequest):
    """The signed-in user of a write; anonymous writes are 401."""
    user = current_user(request)
    if not getattr(user, "is_authenticated", False):
        raise HttpError(401, "log in or send a bearer token to write specifications")
    return user


def _by_number(value: str, field: str) -> Specification:
    """The specification numbered ``value`` (in any typed form); 422 on ``field`` if none."""
    try:
        key = normalise_spec_number(value)
    except ValueError:
        key = value
    spec = Specification.objects.filter(number=key).first()
    if spec is None:
        raise FieldErrors.one(field, f"{field}: unknown specification {value!r}")
    return spec


def _apply(spec: Specification, data: dict[str, Any]) -> None:
    """Copy input onto ``spec``, resolving the region code and the replaced number."""
    for name, value in data.items():
        if name == "region":
            region = None
            if value:
                region = Region.objects.filter(code=value).first()
                if region is None:
                    raise FieldErrors.one("region", f"region: unknown region {value!r}")
            spec.region = region
        elif name == "replaces":
            spec.replaces = _by_number(value, "replaces") if value else None
        else:
            setattr(spec, name, value)


@router.get("", response=SpecificationPage, summary="List specifications")
def list_specifications(
    request: HttpRequest,
    kind: str | None = None,
    status: str | None = None,
    region: str | None = None,
    q: str | None = None,
    in_force_on: SaneDate | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
):
    qs = Specification.objects.select_related("region", "replaces").prefetch_related("replaced_by")
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    if region:
        qs = qs.filter(region__code__startswith=region)
    if q:
        qs = qs.filter(Q(number__icontains=q) | Q(title__icontains=q) | Q(title_en__icontains=q))
    if in_force_on:
        qs = services.in_force_on(in_force_on, qs)
    return page(qs, limit, offset, out)


@router.post("", response={201: SpecificationOut}, summary="Register a specification")
def create_specification(request: HttpRequest, payload: SpecificationIn):
    user = _writer(request)
    spec = Specification()
    _apply(spec, payload.dict())
    services.save_specification(user, spec, change_reason(request))
    return Status(201, out(_get(spec.pk)))


@router.get("/applied", response=AppliedOut, summary="The specification an event applied")
def get_applied(request: HttpRequest, event: str):
    link = (
        readable(current_user(request), AppliedSpecification)
        .select_related("event", "specification")
        .filter(event__certificate_no=event)
        .first()
    )
    if link is None:
        raise HttpError(404, f"no specification recorded for {event}")
    return {"event": link.event.certificate_no, "specification": link.specification.number}


@router.post("/applied", response={201: AppliedOut}, summary="Record the specification applied")
def post_applied(request: HttpRequest, payload: AppliedIn):
    user = _writer(request)
    event = readable(user, CalibrationEvent).filter(certificate_no=payload.event).first()
    if event is None:
        raise FieldErrors.one("event", f"event: unknown calibration event {payload.event!r}")
    spec = _by_number(payload.specification, "specification")
    link = services.apply_to_event(user, event, spec, change_reason(request))
    return Status(201, {"event": event.certificate_no, "specification": link.specification.number})


@router.get("/{pk}", response=SpecificationOut)
def get_specification(request: HttpRequest, pk: int):
    return out(_get(pk))


@router.patch("/{pk}", response=SpecificationOut)
def update_specification(request: HttpRequest, pk: int, payload: SpecificationPatch):
    user = _writer(request)
    spec = _get(pk)
    services.check_write(user, spec)
    _apply(spec, payload.dict(exclude_unset=True))
    services.save_specification(user, spec, change_reason(request))
    return out(_get(pk))


@router.post("/{pk}/withdraw", response=SpecificationOut)
def withdraw_specification(request: HttpRequest, pk: int, payload: WithdrawIn):
    user = _writer(request)
    spec = _get(pk)
    services.withdraw(user, spec, payload.on, change_reason(request))
    return out(_get(pk))


@router.get("/{pk}/impact", summary="What a specification and its revision affect")
def specification_impact(request: HttpRequest, pk: int, as_of: SaneDate | None = None):
    return services.impact(_get(pk), as_of, current_user(request))
