"""The regulator's risk page (/risk/): the region's factors and level, warnings, emergencies."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from jiliang.platform.supervision.access import reads_region

from . import services


@login_required
def risk_page(request: HttpRequest) -> HttpResponse:
    """Risk view of the user's area (``?region=`` a region inside it)."""
    prefix = reads_region(request.user)
    if prefix is None:
        raise PermissionDenied(_("只有监管部门可以查看计量风险预警"))
    regions = services.regions_for(request.user)
    code = request.GET.get("region", "")[:12]
    region = regions.filter(code=code).first() if code else None
    if region is None:  # the user's own area: the first code under its prefix is its root
        region = regions.order_by("code").first()
    view = services.risk_view(region) if region is not None else None
    return render(
        request,
        "risk/page.html",
        {
            "view": view,
            "region": region,
            "children": regions.filter(parent=region).order_by("code") if region else [],
            "warnings": services.warnings_for(request.user)[:20],
            "emergencies": services.emergencies_for(request.user)[:20],
            "may_write": region is not None and services.may_write(request.user, region),
        },
    )
