"""Energy metering API (重点用能单位能源计量), JSON; every endpoint checks who asks.

``GET /units`` lists ``{count, limit, offset, items}`` of the units the user may read (its own
staff, the supervisors of its region; filters ``region`` code prefix, ``q``); ``POST /units``
designates one, ``GET``/``PATCH /units/{id}``; ``GET /units/{id}/rates?as_of=&checked_only=``
gives the rate per level and energy type of the unit's survey in force against GB 17167-2006;
``GET /units/{id}/surveys``, ``POST /units/{id}/surveys``, ``GET``/``PUT /surveys/{id}`` (the
lines are replaced as a whole), ``POST /surveys/{id}/check`` (核实); ``GET /rate?region=&as_of=
&level=`` the region's configuration rate, ``GET /gaps?region=&as_of=`` the lines below Table 3.
Bad input is a 422 naming the field (``lines[1].configured``), a refusal a 403 naming it,
anonymous writes 401, records the user may not read 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from pydantic import ConfigDict, Field

from jiliang.core.indicators.energy import Level
from jiliang.platform.common.errors import FieldErrors
from jiliang.platform.common.paging import page
from jiliang.platform.common.requests import change_reason, current_user
from jiliang.platform.params import MAX_ID, Limit, Offset, QueryDate, SaneDate
from jiliang.platform.registry.models import Organisation, Region
from jiliang.platform.registry.permissions import readable
from jiliang.platform.supervision.access import reads_region

from . import services
from .models import EnergyUnit, Survey

router = Router(tags=["energy"])


class _Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class UnitIn(_Strict):
    organisation: str = Field(..., max_length=18, description="GB 32100 credit code")
    region: str | None = Field(None, max_length=12, description="default: the organisation's")
    energy_consumption_tce: float | None = Field(None, description="annual consumption, tce")


class UnitPatch(_Strict):
    region: str | None = Field(None, max_length=12)
    energy_consumption_tce: float | None = None


class LineIn(_Strict):
    level: str = Field(..., max_length=20, description=", ".join(lv.value for lv in Level))
    energy: str = Field(..., max_length=40, description="energy key of GB 17167 Table 3")
    required: int = Field(..., description="instruments theoretically required (理论需要量)")
    configured: int = Field(..., description="instruments installed (实际配备数)")


class SurveyIn(_Strict):
    surveyed_on: SaneDate
    sub_units: int = Field(..., description="main sub-units (主要次级用能单位数)")
    main_equipment: int = Field(..., description="main energy-using equipment (台数)")
    lines: list[LineIn] = Field(..., max_length=services.MAX_LINES)
    note: str = Field("", max_length=2000)


class LineOut(Schema):
    level: str
    energy: str
    required: int
    configured: int


class SurveyOut(Schema):
    id: int
    unit: int
    surveyed_on: dt.date
    sub_units: int
    main_equipment: int
    status: str
    checked_on: dt.date | None
    note: str
    lines: list[LineOut]


class UnitOut(Schema):
    id: int
    organisation: str
    organisation_name: str
    region: str
    energy_consumption_tce: float | None
    latest_survey: SurveyOut | None


class UnitPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[UnitOut]


def survey_out(s: Survey) -> dict[str, Any]:
    return {
        "id": s.pk,
        "unit": s.unit_id,
        "surveyed_on": s.surveyed_on,
        "sub_units": s.sub_units,
        "main_equipment": s.main_equipment,
        "status": s.status,
        "checked_on": s.checked_on,
        "note": s.note,
        "lines": [
            {
                "level": x.level,
                "energy": x.energy,
                "required": x.required,
                "configured": x.configured,
            }
            for x in s.lines.all()
        ],
    }


def unit_out(u: EnergyUnit) -> dict[str, Any]:
    latest = services.latest_survey(u)
    return {
        "id": u.pk,
        "organisation": u.organisation.code,
        "organisation_name": u.organisation.name,
        "region": u.region.code,
        "energy_consumption_tce": u.energy_consumption_tce,
        "latest_survey": survey_out(latest) if latest else None,
    }


def _writer(request: HttpRequest):
    user = current_user(request)
    if not getattr(user, "is_authenticated", False):
        raise HttpError(401, "log in or send a bearer token to write energy-metering records")
    return user


def _units(request: HttpRequest):
    return readable(
        current_user(request),
        EnergyUnit,
        EnergyUnit.objects.select_related("organisation__region", "region"),
    )


def _unit(request: HttpRequest, pk: int) -> EnergyUnit:
    unit = _units(request).filter(pk=pk).first() if 0 < pk <= MAX_ID else None
    if unit is None:
        raise HttpError(404, f"energy unit {pk} not found")
    return unit


def _survey(request: HttpRequest, pk: int) -> Survey:
    qs = readable(
        current_user(request),
        Survey,
        Survey.objects.select_related("unit__organisation__region", "unit__region"),
    )
    survey = qs.filter(pk=pk).first() if 0 < pk <= MAX_ID else None
    if survey is None:
        raise HttpError(404, f"survey {pk} not found")
    return survey


def _region(code: str | None, field: str = "region") -> Region | None:
    if not code:
        return None
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise FieldErrors.one(field, f"{field}: unknown region {code!r}")
    return region


def _area(request: HttpRequest, region: str | None) -> str:
    """The region prefix asked for, inside what the user supervises (403 otherwise)."""
    prefix = reads_region(current_user(request))
    if prefix is None:
        raise HttpError(403, "only supervisors of a region read its energy-metering figures")
    wanted = (_region(region).prefix if region else prefix) or ""
    if not wanted.startswith(prefix):
        raise HttpError(403, f"region {region} is outside your area")
    return wanted


@router.get("/units", response=UnitPage, summary="List key energy-using units")
def list_units(
    request: HttpRequest,
    region: str | None = None,
    q: str | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
):
    qs = _units(request)
    if region:
        qs = qs.filter(region__code__startswith=region[:12])
    if q:
        qs = qs.filter(Q(organisation__name__icontains=q[:100]) | Q(organisation__code=q[:18]))
    return page(qs, limit, offset, unit_out)


@router.post("/units", response={201: UnitOut}, summary="Designate a key energy-using unit")
def create_unit(request: HttpRequest, payload: UnitIn):
    user = _writer(request)
    org = Organisation.objects.select_related("region").filter(code=payload.organisation).first()
    if org is None:
        raise FieldErrors.one("organisation", f"organisation: unknown {payload.organisation!r}")
    unit = services.register_unit(
        user,
        organisation=org,
        region=_region(payload.region),
        energy_consumption_tce=payload.energy_consumption_tce,
        reason=change_reason(request),
    )
    return Status(201, unit_out(unit))


@router.get("/units/{pk}", response=UnitOut)
def get_unit(request: HttpRequest, pk: int):
    return unit_out(_unit(request, pk))


@router.patch("/units/{pk}", response=UnitOut)
def update_unit(request: HttpRequest, pk: int, payload: UnitPatch):
    user = _writer(request)
    unit = _unit(request, pk)
    data = payload.dict(exclude_unset=True)
    changes: dict[str, Any] = {}
    if "region" in data:
        region = _region(data["region"])
        if region is None:
            raise FieldErrors.one("region", "region: a unit needs its region")
        changes["region"] = region
    if "energy_consumption_tce" in data:
        changes["energy_consumption_tce"] = data["energy_consumption_tce"]
    services.update_unit(user, unit, reason=change_reason(request), **changes)
    return unit_out(_unit(request, pk))


@router.get("/units/{pk}/rates", summary="Configuration rates of a unit against GB 17167")
def unit_rates(
    request: HttpRequest, pk: int, as_of: QueryDate | None = None, checked_only: bool = False
):
    unit = _unit(request, pk)
    survey = services.latest_survey(unit, as_of, checked_only=checked_only)
    if survey is None:
        raise HttpError(404, f"energy unit {pk} has no survey on {as_of or services.today()}")
    return services.rates(survey)


@router.get("/units/{pk}/surveys", response=list[SurveyOut])
def unit_surveys(request: HttpRequest, pk: int):
    unit = _unit(request, pk)
    return [survey_out(s) for s in unit.surveys.prefetch_related("lines")[:500]]


def _survey_args(payload: SurveyIn) -> dict[str, Any]:
    return {
        "surveyed_on": payload.surveyed_on,
        "sub_units": payload.sub_units,
        "main_equipment": payload.main_equipment,
        "lines": [line.dict() for line in payload.lines],
        "note": payload.note,
    }


@router.post("/units/{pk}/surveys", response={201: SurveyOut}, summary="Enter a survey")
def create_survey(request: HttpRequest, pk: int, payload: SurveyIn):
    user = _writer(request)
    unit = _unit(request, pk)
    survey = services.save_survey(
        user, unit, reason=change_reason(request), **_survey_args(payload)
    )
    return Status(201, survey_out(survey))


@router.get("/surveys/{pk}", response=SurveyOut)
def get_survey(request: HttpRequest, pk: int):
    return survey_out(_survey(request, pk))


@router.put("/surveys/{pk}", response=SurveyOut, summary="Replace a survey's data and lines")
def update_survey(request: HttpRequest, pk: int, payload: SurveyIn):
    user = _writer(request)
    survey = _survey(request, pk)
    services.save_survey(
        user, survey.unit, survey=survey, reason=change_reason(request), **_survey_args(payload)
    )
    return survey_out(_survey(request, pk))


@router.post("/surveys/{pk}/check", response=SurveyOut, summary="Check (核实) a survey")
def check_survey(request: HttpRequest, pk: int):
    user = _writer(request)
    survey = _survey(request, pk)
    services.check_survey(user, survey, reason=change_reason(request))
    return survey_out(_survey(request, pk))


@router.get("/rate", summary="The region's configuration rate (checked surveys)")
def region_rate(
    request: HttpRequest,
    region: str | None = None,
    as_of: QueryDate | None = None,
    level: str = Level.EQUIPMENT.value,
):
    prefix = _area(request, region)
    if level not in {lv.value for lv in Level}:
        raise FieldErrors.one("level", f"level: {level!r} is not one of {[x.value for x in Level]}")
    as_of = as_of or services.today()
    result = services.region_rate(prefix, as_of, level)
    return {
        "region": prefix,
        "as_of": as_of,
        "level": level,
        "value": result["value"],
        "units": result["units"],
        "required": result["required"],
        "configured": result["configured"],
        "by_energy": result["by_energy"],
        "surveys": list(result["surveys"].values_list("pk", flat=True)[:1000]),
    }


@router.get("/gaps", summary="Lines below GB 17167's required rate (gap list)")
def gap_list(request: HttpRequest, region: str | None = None, as_of: QueryDate | None = None):
    prefix = _area(request, region)
    as_of = as_of or services.today()
    return [
        {
            "unit": g["unit"].pk,
            "organisation": g["unit"].organisation.code,
            "organisation_name": g["unit"].organisation.name,
            "survey": g["survey"].pk,
            **{k: g[k] for k in ("level", "energy", "required", "configured", "rate")},
            "required_rate": g["required_rate"],
        }
        for g in services.gaps(prefix, as_of)
    ]
