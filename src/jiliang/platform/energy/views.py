"""Energy-metering pages (/energy/): the units one may read, a unit's rates per level and energy
type against GB 17167-2006, the region's gap list; a regulator checks a submitted survey here."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiliang.platform import lists
from jiliang.platform.registry.authority import Denied
from jiliang.platform.registry.models import Region
from jiliang.platform.registry.permissions import can_read_any, readable
from jiliang.platform.supervision.access import reads_region

from . import services
from .models import LEVEL_CHOICES, EnergyUnit, Survey


def _units(request: HttpRequest):
    return readable(
        request.user,
        EnergyUnit,
        EnergyUnit.objects.select_related("organisation__region", "region"),
    )


@login_required
def unit_list(request: HttpRequest) -> HttpResponse:
    if not can_read_any(request.user, EnergyUnit):
        raise PermissionDenied(_("您无权查看重点用能单位"))
    units = _units(request)
    region = request.GET.get("region", "")[:12]
    if region:
        units = units.filter(region__code__startswith=region)
    listing = lists.paginate(request, units)
    rows = []
    for unit in listing.page.object_list:
        survey = services.latest_survey(unit)
        rates = services.rates(survey) if survey else None
        rows.append({"unit": unit, "survey": survey, "rates": rates})
    return render(
        request,
        "energy/list.html",
        {
            "rows": rows,
            "listing": listing,
            "region": region,
            "reads_region": reads_region(request.user) is not None,
        },
    )


def _as_of(request: HttpRequest) -> dt.date:
    try:
        day = dt.date.fromisoformat(request.GET.get("as_of", "")[:10])
    except ValueError:
        return services.today()
    return min(max(day, dt.date(1900, 1, 1)), dt.date(2199, 12, 31))


@login_required
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    unit = _units(request).filter(pk=pk).first()
    if unit is None:
        raise Http404
    as_of = _as_of(request)
    survey = services.latest_survey(unit, as_of)
    return render(
        request,
        "energy/detail.html",
        {
            "unit": unit,
            "as_of": as_of,
            "survey": survey,
            "rates": services.rates(survey) if survey else None,
            "surveys": unit.surveys.select_related("entered_by", "checked_by")[:50],
            "asserts": services.asserts(request.user, unit),
            "table": services.table(),
            "levels": LEVEL_CHOICES,
        },
    )


@login_required
def gap_list(request: HttpRequest) -> HttpResponse:
    prefix = reads_region(request.user)
    if prefix is None:
        raise PermissionDenied(_("只有监管部门可以查看配备率缺口"))
    code = request.GET.get("region", "")[:12]
    region = Region.objects.filter(code=code, code__startswith=prefix).first() if code else None
    area = region.prefix if region else prefix
    as_of = _as_of(request)
    result = services.region_rate(area, as_of)
    return render(
        request,
        "energy/gaps.html",
        {
            "region": region,
            "as_of": as_of,
            "rate": result,
            "gaps": services.gaps(area, as_of),
            "levels": LEVEL_CHOICES,
        },
    )


@require_POST
@login_required
def check(request: HttpRequest, pk: int) -> HttpResponse:
    """A regulator of the unit's region checks (核实) a submitted survey."""
    survey = readable(request.user, Survey, Survey.objects.select_related("unit")).filter(pk=pk)
    survey = survey.first()
    if survey is None:
        raise Http404
    try:
        services.check_survey(
            request.user, survey, reason=request.POST.get("change_reason", "")[:500]
        )
    except Denied as exc:
        raise PermissionDenied("; ".join(exc.errors.values())) from None
    except services.FieldErrors:
        pass  # already checked: the page shows it
    return redirect("energy:detail", survey.unit_id)
