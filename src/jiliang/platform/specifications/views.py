"""Specification pages: the public list (filters, CSV/XLSX export) and one page per edition
with its chain of editions and the impact of the document and its revision."""

from __future__ import annotations

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy as _

from jiliang.core.legal.catalogue import default_catalogue
from jiliang.platform import lists
from jiliang.platform.registry.quantities import QUANTITY_CHOICES

from . import services
from .models import AppliedSpecification, Specification

COLUMNS = (
    lists.Column(_("规范编号"), lambda s: s.number),
    lists.Column(_("名称"), lambda s: s.title),
    lists.Column(_("类型"), lambda s: s.get_kind_display()),
    lists.Column(_("状态"), lambda s: s.get_status_display()),
    lists.Column(_("实施日期"), lambda s: s.effective_on),
    lists.Column(_("废止日期"), lambda s: s.withdrawn_on),
    lists.Column(_("代替的版本"), lambda s: s.replaces.number if s.replaces_id else ""),
)


def specification_list(request: HttpRequest) -> HttpResponse:
    specs = Specification.objects.select_related("region", "replaces").order_by("number")
    kind = request.GET.get("kind", "")
    status = request.GET.get("status", "")
    term = request.GET.get("q", "").strip()
    if kind in Specification.Kind.values:
        specs = specs.filter(kind=kind)
    if status in Specification.Status.values:
        specs = specs.filter(status=status)
    if term:
        specs = specs.filter(Q(number__icontains=term) | Q(title__icontains=term))
    exported = lists.export_response(request, specs, COLUMNS, "specifications")
    if exported is not None:
        return exported
    listing = lists.paginate(request, specs)
    return render(
        request,
        "specifications/list.html",
        {
            "specifications": listing.page.object_list,
            "listing": listing,
            "kinds": Specification.Kind.choices,
            "statuses": Specification.Status.choices,
            "kind": kind,
            "status": status,
            "q": term,
        },
    )


def specification_detail(request: HttpRequest, pk: int) -> HttpResponse:
    spec = get_object_or_404(Specification.objects.select_related("region", "replaces"), pk=pk)
    catalogue = default_catalogue()
    quantity_names = dict(QUANTITY_CHOICES)
    items = [
        (code, catalogue.items[code].name_zh if code in catalogue.items else code)
        for code in spec.catalogue_items
    ]
    return render(
        request,
        "specifications/detail.html",
        {
            "spec": spec,
            "items": items,
            "quantities": [quantity_names.get(q, q) for q in spec.quantities],
            "editions": services.chain(spec),
            "replaced_by": spec.replaced_by.order_by("effective_on"),
            "impact": services.impact(spec, user=request.user),
        },
    )


def event_specification_panel(request: HttpRequest, obj) -> str | None:
    """On a verification/calibration record's page: the specification it was performed to
    (shown to whoever reads the record; nothing when none is recorded)."""
    from django.template.loader import render_to_string

    from jiliang.platform.registry.models import CalibrationEvent

    if not isinstance(obj, CalibrationEvent):
        return None
    link = AppliedSpecification.objects.select_related("specification").filter(event=obj).first()
    if link is None:
        return None
    return render_to_string(
        "specifications/event_panel.html", {"spec": link.specification}, request=request
    )
