"""Writes of the energy-metering records, the rates by the core, and the region's indicator.

Every write goes through :func:`register_unit`, :func:`update_unit`, :func:`save_survey` or
:func:`check_survey` (keyword-only arguments): validated first (:class:`FieldErrors` naming the
field → 422), permitted (:class:`Denied` → 403 naming the field), then saved in one
``transaction.atomic()`` under :func:`acting_as`, so nothing is half-written and every row change
is audited. No number is computed here: rates are :func:`jiliang.core.indicators.energy.check_unit`
and :func:`~jiliang.core.indicators.energy.metering_rate` over the stored counts, the required
rates the core's GB 17167-2006 table.

Authority, not ownership (谁有权认定):

======================================  ===================================================
designate a key energy-using unit,      admin; the regulator whose area contains both the
change its region                       unit's region and its organisation's region
enter or change a survey                those, asserting it (``checked`` at once); the
                                        unit's own staff (enterprise, lab staff of the
                                        organisation) — ``submitted`` only, and only while
                                        not yet checked
check (核实) a submitted survey          admin and the regulator of the unit's region
======================================  ===================================================

The indicator counts only checked surveys (checked on or before the reporting date), so what an
enterprise enters alone never moves the region's figure until a regulator confirms it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from jiliang.core.indicators import energy as core
from jiliang.platform.accounts.roles import Role, role_of
from jiliang.platform.audit.context import acting_as
from jiliang.platform.common.errors import FieldErrors
from jiliang.platform.params import MAX_DATE, MIN_DATE
from jiliang.platform.registry.authority import Denied
from jiliang.platform.registry.models import Organisation, Region
from jiliang.platform.registry.permissions import user_organisation_id
from jiliang.platform.supervision.access import supervisor_prefix

from .models import EnergyUnit, Survey, SurveyLine

S = Survey.Status
#: most instruments one line may count (a bound, so a typo is a 422 and not an overflow)
MAX_COUNT = 1_000_000
#: a survey has at most one line per energy type and level of the table
MAX_LINES = 200
UNSET: Any = object()

#: the Chinese names of the core table's energy types, marked for the translation catalogue
#: (the names themselves come from the table; ``test_energy`` checks this list covers it)
ENERGY_NAMES = (
    gettext_noop("电力"),
    gettext_noop("煤炭"),
    gettext_noop("焦炭"),
    gettext_noop("原油"),
    gettext_noop("成品油"),
    gettext_noop("重油"),
    gettext_noop("渣油"),
    gettext_noop("天然气"),
    gettext_noop("液化气"),
    gettext_noop("煤气"),
    gettext_noop("蒸汽"),
    gettext_noop("水"),
    gettext_noop("可回收利用的余能"),
)


def table() -> core.RateTable:
    """The required configuration rates in force (the core's GB 17167-2006 Table 3)."""
    return core.load_rate_table()


def energy_name(key: str) -> str:
    """The translated name of an energy type of the table (the key when unknown)."""
    name = table().names_zh.get(key)
    return _(name) if name else key


def today() -> dt.date:
    return timezone.localdate()


# ------------------------------------------------------------------------------- authority


def _own_staff(user, unit: EnergyUnit) -> bool:
    return (
        role_of(user) in (Role.ENTERPRISE, Role.LAB_STAFF)
        and user_organisation_id(user) == unit.organisation_id
    )


def asserts(user, unit: EnergyUnit) -> bool:
    """Is ``user`` an admin, or a regulator whose area holds the unit's region and its
    organisation's region (who may assert — designate, enter checked, check)?"""
    prefix = supervisor_prefix(user)
    if prefix is None:
        return False
    org_region = unit.organisation.region.code if unit.organisation.region_id else ""
    return unit.region.code.startswith(prefix) and org_region.startswith(prefix)


def may_submit(user, unit: EnergyUnit) -> bool:
    """May ``user`` enter a survey of ``unit`` (checked or, for its own staff, submitted)?"""
    return asserts(user, unit) or _own_staff(user, unit)


def _require_assert(user, unit: EnergyUnit, field: str) -> None:
    if not asserts(user, unit):
        raise Denied({field: _("只有该单位所在区划的监管部门可以认定")})


def _writer_check(user, organisation: Organisation, region: Region) -> None:
    """:class:`Denied` naming ``organisation`` or ``region`` outside the writer's area."""
    prefix = supervisor_prefix(user)
    if prefix is None:
        raise Denied({"organisation": _("只有监管部门可以登记重点用能单位")})
    errors = {}
    if organisation.region_id is None or not organisation.region.code.startswith(prefix):
        errors["organisation"] = _("该单位不在您的监管区域内")
    if not region.code.startswith(prefix):
        errors["region"] = _("该区划不在您的监管区域内")
    if errors:
        raise Denied(errors)


# ------------------------------------------------------------------------------- units


def _consumption(value: Any, errors: dict) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1e9:
        errors["energy_consumption_tce"] = [_("energy_consumption_tce：应为不小于 0 的吨标准煤数")]
        return None
    return float(value)


def register_unit(
    user,
    *,
    organisation: Organisation,
    region: Region | None = None,
    energy_consumption_tce: float | None = None,
    reason: str = "",
) -> EnergyUnit:
    """Designate ``organisation`` a key energy-using unit in ``region`` (default: its own)."""
    errors: dict[str, list[str]] = {}
    region = region or organisation.region
    if region is None:
        errors["region"] = [_("region：该机构未登记区划，请给出用能单位所在区划")]
    consumption = _consumption(energy_consumption_tce, errors)
    if EnergyUnit.objects.filter(organisation=organisation).exists():
        errors["organisation"] = [_("organisation：该机构已登记为重点用能单位")]
    if errors:
        raise FieldErrors(errors)
    _writer_check(user, organisation, region)
    with transaction.atomic(), acting_as(user, reason):
        return EnergyUnit.objects.create(
            organisation=organisation, region=region, energy_consumption_tce=consumption
        )


def update_unit(
    user,
    unit: EnergyUnit,
    *,
    region: Region = UNSET,
    energy_consumption_tce: float | None = UNSET,
    reason: str = "",
) -> EnergyUnit:
    """Change the unit's region or consumption (the regulator of both the old and new region)."""
    _require_assert(user, unit, "region" if region is not UNSET else "energy_consumption_tce")
    errors: dict[str, list[str]] = {}
    if energy_consumption_tce is not UNSET:
        unit.energy_consumption_tce = _consumption(energy_consumption_tce, errors)
    if errors:
        raise FieldErrors(errors)
    if region is not UNSET:
        _writer_check(user, unit.organisation, region)
        unit.region = region
    with transaction.atomic(), acting_as(user, reason):
        unit.save()
    return unit


# ------------------------------------------------------------------------------- surveys


def _count(value: Any, field: str, errors: dict, least: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not least <= value <= MAX_COUNT:
        errors.setdefault(field, []).append(
            _("%(field)s：应为 %(a)s 到 %(b)s 之间的整数")
            % {"field": field, "a": least, "b": MAX_COUNT}
        )
        return -1
    return value


def validate_survey(
    *, surveyed_on: Any, sub_units: Any, main_equipment: Any, lines: Any
) -> list[core.MeterLine]:
    """The survey's lines as the core's :class:`MeterLine` — or :class:`FieldErrors` naming
    each bad field (``lines[2].configured``): unknown level or energy type, negative counts, a
    line at a level the unit has nothing at, more configured than required (GB 17167-2006 §3.2
    counts only instruments at required measuring points), a level and energy given twice."""
    errors: dict[str, list[str]] = {}
    if isinstance(surveyed_on, dt.datetime) or not isinstance(surveyed_on, dt.date):
        errors["surveyed_on"] = [_("surveyed_on：应为日期")]
    elif not MIN_DATE <= surveyed_on <= MAX_DATE:
        errors["surveyed_on"] = [_("surveyed_on：日期超出范围")]
    elif surveyed_on > today():
        errors["surveyed_on"] = [_("surveyed_on：不能晚于今天")]
    subs = _count(sub_units, "sub_units", errors)
    equipment = _count(main_equipment, "main_equipment", errors)
    if not isinstance(lines, list | tuple) or not lines:
        errors["lines"] = [_("lines：至少给出一行配备明细")]
        raise FieldErrors(errors)
    if len(lines) > MAX_LINES:
        errors["lines"] = [_("lines：最多 %(n)s 行") % {"n": MAX_LINES}]
        raise FieldErrors(errors)
    rates = table()
    out: list[core.MeterLine] = []
    seen: set[tuple[str, str]] = set()
    for i, raw in enumerate(lines):
        at = f"lines[{i}]"
        if not isinstance(raw, Mapping):
            errors[at] = [_("%(at)s：应为一个对象") % {"at": at}]
            continue
        line_errors: dict[str, list[str]] = {}
        level, energy = raw.get("level"), raw.get("energy")
        if level not in {lv.value for lv in core.Level}:
            line_errors[f"{at}.level"] = [
                _("%(at)s.level：%(v)r 不是 %(known)s 之一")
                % {"at": at, "v": level, "known": ", ".join(lv.value for lv in core.Level)}
            ]
        elif level == core.Level.SUB_UNIT and subs == 0:
            line_errors[f"{at}.level"] = [
                _("%(at)s.level：该单位没有主要次级用能单位（sub_units 为 0）") % {"at": at}
            ]
        elif level == core.Level.EQUIPMENT and equipment == 0:
            line_errors[f"{at}.level"] = [
                _("%(at)s.level：该单位没有主要用能设备（main_equipment 为 0）") % {"at": at}
            ]
        if energy not in rates.rates:
            line_errors[f"{at}.energy"] = [
                _("%(at)s.energy：%(v)r 不是 GB 17167 表中的能源种类") % {"at": at, "v": energy}
            ]
        required = _count(raw.get("required"), f"{at}.required", line_errors, least=1)
        configured = _count(raw.get("configured"), f"{at}.configured", line_errors)
        if not line_errors:
            if (level, energy) in seen:
                line_errors[f"{at}.energy"] = [
                    _("%(at)s.energy：%(e)s 在 %(l)s 级重复") % {"at": at, "e": energy, "l": level}
                ]
            elif configured > required:
                line_errors[f"{at}.configured"] = [
                    _(
                        "%(at)s.configured：实际配备数 %(c)s 超过理论需要量 %(r)s"
                        "（只计所需计量点上的器具）"
                    )
                    % {"at": at, "c": configured, "r": required}
                ]
        if line_errors:
            errors.update(line_errors)
            continue
        seen.add((level, energy))
        out.append(core.MeterLine(energy, core.Level(level), required, configured))
    if errors:
        raise FieldErrors(errors)
    core.check_unit("validation", out, rates)  # the core's own checks (raises on what we missed)
    return out


def save_survey(
    user,
    unit: EnergyUnit,
    *,
    surveyed_on: dt.date,
    sub_units: int,
    main_equipment: int,
    lines: Iterable[Mapping[str, Any]],
    note: str = "",
    survey: Survey | None = None,
    reason: str = "",
) -> Survey:
    """Enter a survey of ``unit`` (or replace ``survey``'s data and lines, all at once).

    Entered by a regulator of the region or an admin it is checked (核实) at once; entered by
    the unit's own staff it is submitted and counts nowhere until checked. The unit's staff may
    not change a checked survey (403 on ``status``): they submit a new, later one.
    """
    if not may_submit(user, unit):
        raise Denied({"unit": _("只有该单位本身或所在区划的监管部门可以填报")})
    if survey is not None:
        if survey.unit_id != unit.pk:
            raise FieldErrors.one("unit", _("unit：调查不属于该单位"))
        if survey.checked and not asserts(user, unit):
            raise Denied({"status": _("已核实的调查只能由监管部门修改")})
    lines = list(lines)
    meter_lines = validate_survey(
        surveyed_on=surveyed_on, sub_units=sub_units, main_equipment=main_equipment, lines=lines
    )
    note = (note or "").strip()
    if len(note) > 2000:
        raise FieldErrors.one("note", _("note：不得超过 %(n)s 个字符") % {"n": 2000})
    clash = Survey.objects.filter(unit=unit, surveyed_on=surveyed_on)
    if survey is not None:
        clash = clash.exclude(pk=survey.pk)
    if clash.exists():
        raise FieldErrors.one(
            "surveyed_on", _("surveyed_on：该单位 %(d)s 已有调查") % {"d": surveyed_on}
        )
    checked = asserts(user, unit)
    with transaction.atomic(), acting_as(user, reason):
        if survey is None:
            survey = Survey(unit=unit, entered_by=user if _authenticated(user) else None)
        else:
            survey = Survey.objects.select_for_update().get(pk=survey.pk)
            if survey.checked and not checked:  # checked meanwhile by a regulator
                raise Denied({"status": _("已核实的调查只能由监管部门修改")})
        survey.surveyed_on = surveyed_on
        survey.sub_units = sub_units
        survey.main_equipment = main_equipment
        survey.note = note
        _set_checked(survey, user if checked else None)
        survey.save()
        survey.lines.all().delete()
        for line in meter_lines:
            SurveyLine.objects.create(
                survey=survey,
                level=line.level.value,
                energy=line.energy,
                required=line.required,
                configured=line.configured,
            )
    return survey


def _authenticated(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def _set_checked(survey: Survey, by) -> None:
    if by is None:
        survey.status, survey.checked_by, survey.checked_on = S.SUBMITTED, None, None
    else:
        survey.status = S.CHECKED
        survey.checked_by = by if _authenticated(by) else None
        survey.checked_on = today()


def check_survey(user, survey: Survey, *, reason: str = "") -> Survey:
    """A regulator of the unit's region (or an admin) confirms a submitted survey (核实)."""
    _require_assert(user, survey.unit, "status")
    with transaction.atomic(), acting_as(user, reason or "energy survey checked"):
        survey = Survey.objects.select_for_update().get(pk=survey.pk)
        if survey.checked:
            raise FieldErrors.one("status", _("status：该调查已核实"))
        _set_checked(survey, user)
        survey.save()
    return survey


# ------------------------------------------------------------------------------- rates


def meter_lines(survey: Survey) -> list[core.MeterLine]:
    return [
        core.MeterLine(line.energy, core.Level(line.level), line.required, line.configured)
        for line in survey.lines.all()
    ]


def latest_survey(
    unit: EnergyUnit, as_of: dt.date | None = None, *, checked_only: bool = False
) -> Survey | None:
    """The unit's survey in force on ``as_of``: the latest surveyed on or before it (checked on
    or before it, when ``checked_only``)."""
    as_of = as_of or today()
    qs = unit.surveys.filter(surveyed_on__lte=as_of)
    if checked_only:
        qs = qs.filter(status=S.CHECKED, checked_on__lte=as_of)
    return qs.order_by("-surveyed_on", "-id").prefetch_related("lines").first()


def rates(survey: Survey) -> dict[str, Any]:
    """Rate per line against Table 3 and per level (JSON-ready), all by the core."""
    rate_table = table()
    lines = meter_lines(survey)
    check = core.check_unit(str(survey.unit_id), lines, rate_table)
    levels = {}
    for lv in core.Level:
        if any(line.level is lv for line in lines):
            levels[lv.value] = core.metering_rate(lines, lv)
    return {
        "unit": survey.unit_id,
        "survey": survey.pk,
        "surveyed_on": survey.surveyed_on,
        "status": survey.status,
        "table": check.table,
        "table_confirmed": rate_table.confirmed,
        "compliant": check.compliant,
        "levels": levels,
        "lines": [
            {
                "level": r.level.value,
                "energy": r.energy,
                "energy_name": energy_name(r.energy),
                "required": r.required,
                "configured": r.configured,
                "rate": r.rate,
                "required_rate": r.required_rate,
                "compliant": r.compliant,
            }
            for r in check.lines
        ],
    }


def current_surveys(prefix: str, as_of: dt.date) -> QuerySet:
    """Each unit's latest checked survey on ``as_of`` (surveyed and checked by then), for the
    units whose region code starts with ``prefix``."""
    eligible = Q(status=S.CHECKED, checked_on__lte=as_of, surveyed_on__lte=as_of)
    newer = Survey.objects.filter(eligible, unit=OuterRef("unit")).filter(
        Q(surveyed_on__gt=OuterRef("surveyed_on"))
        | Q(surveyed_on=OuterRef("surveyed_on"), pk__gt=OuterRef("pk"))
    )
    return (
        Survey.objects.filter(eligible, unit__region__code__startswith=prefix)
        .filter(~Exists(newer))
        .select_related("unit__organisation", "unit__region")
    )


def region_rate(
    prefix: str, as_of: dt.date, level: core.Level | str = core.Level.EQUIPMENT
) -> dict[str, Any]:
    """The region's configuration rate at ``level`` (%) over the current checked surveys:
    ``core.metering_rate`` (Σ configured / Σ required) over the lines summed per energy type
    by the database. ``value`` None when no instrument is required at that level."""
    level = core.Level(level)
    surveys = current_surveys(prefix, as_of)
    sums = (
        SurveyLine.objects.filter(survey__in=surveys.values("pk"), level=level.value)
        .values("energy")
        .annotate(required=Sum("required"), configured=Sum("configured"))
        .order_by("energy")
    )
    lines = [core.MeterLine(r["energy"], level, r["required"], r["configured"]) for r in sums]
    required = sum(line.required for line in lines)
    value = core.metering_rate(lines, level) if required else None
    return {
        "value": value,
        "surveys": surveys,
        "units": surveys.count(),
        "required": required,
        "configured": sum(line.configured for line in lines),
        "by_energy": {line.energy: core.metering_rate([line], level) for line in lines},
    }


def gaps(prefix: str, as_of: dt.date) -> list[dict[str, Any]]:
    """Lines of the current checked surveys below Table 3's required rate (the gap list)."""
    surveys = current_surveys(prefix, as_of).prefetch_related("lines")
    out = []
    for survey in surveys.order_by("unit__region__code", "unit__organisation__code"):
        for line in rates(survey)["lines"]:
            if line["compliant"] is False:
                out.append({"survey": survey, "unit": survey.unit, **line})
    return out
