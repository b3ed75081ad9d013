"""The regulator's cockpit (/indicators/): figures, targets, RAG, projection, trend charts."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiliang.platform import lists
from jiliang.platform.registry.authority import Denied
from jiliang.platform.registry.models import Region
from jiliang.platform.registry.templatetags.metrology import category_label
from jiliang.platform.supervision.access import reads_region

from . import queries, services
from .models import ManualValue


def _region(request) -> Region:
    """The region asked for (``?region=``), else the user's own area; 404 outside the area."""
    prefix = reads_region(request.user)
    if prefix is None:
        raise PermissionDenied
    code = request.GET.get("region") or request.POST.get("region") or ""
    if code:
        region = Region.objects.filter(code=code).first()
    else:
        qs = Region.objects.filter(code__startswith=prefix).order_by("code")
        region = next((r for r in qs[:50] if r.prefix == prefix), None) or qs.first()
    if region is None or not services.may_read(request.user, region):
        raise Http404(_("未找到区划"))
    return region


def _as_of(request) -> tuple[dt.date, str]:
    raw = request.GET.get("as_of", "")
    if not raw:
        return services.today(), ""
    try:
        return services.check_as_of(dt.date.fromisoformat(raw)), ""
    except ValueError as exc:
        errors = getattr(exc, "errors", {})
        return services.today(), f"as_of：{errors.get('as_of', _('不是日期'))}"


def _status_label(status: str) -> str:
    return {"green": _("绿"), "amber": _("黄"), "red": _("红")}.get(status, "—")


def _records_link(row: services.Row, region: Region, as_of: dt.date) -> str:
    from django.urls import reverse

    if row.result.no_records and row.definition.formula != "manual":
        return ""
    if isinstance(row.result.records, str):
        return row.result.records
    url = reverse("indicators:records", args=[row.key])
    return f"{url}?region={region.code}&as_of={as_of.isoformat()}"


@login_required
def dashboard(request):
    """Each indicator of the region with value, target, RAG, projected year, 口径 and records."""
    region = _region(request)
    as_of, error = _as_of(request)
    plan = request.GET.get("plan") or None
    # without a date asked for, the latest snapshot (fast: no record query); ?live=1 computes
    stored = None
    if not request.GET.get("as_of") and not request.GET.get("live"):
        stored = services.latest_snapshot(region)
    try:
        if stored is not None:
            as_of = stored.as_of
            rows = services.rows_from_snapshot(region, stored, plan)
        else:
            rows, _results = services.rows_for(region, as_of, plan)
    except services.IndicatorInputError as exc:
        rows, error = (
            services.rows_for(region, as_of)[0],
            "; ".join(f"{k}：{v}" for k, v in exc.errors.items()),
        )
        stored = None
    english = (get_language() or "").startswith("en")
    table = []
    charts = []
    for r in rows:
        d = r.definition
        table.append(
            {
                "row": r,
                "name": d.name_en if english else d.name_zh,
                "status_label": _status_label(r.status),
                "detail": _(queries.DETAILS["manual" if d.formula == "manual" else d.formula]),
                "link": _records_link(r, region, as_of),
                "gaps": [category_label(g) for g in r.result.gaps],
            }
        )
        if r.series:
            charts.append(
                {
                    "id": f"chart-{len(charts)}",
                    "name": d.name_en if english else d.name_zh,
                    "unit": d.unit,
                    "x": [t for t, _v in r.series],
                    "y": [v for _t, v in r.series],
                    "target": None if r.target is None else r.target.value,
                }
            )
    comparison = _comparison(request, region, as_of, rows, english)
    return render(
        request,
        "indicators/dashboard.html",
        {
            "stored": stored,
            "comparison": comparison,
            "region": region,
            "as_of": as_of,
            "plan": plan or "",
            "plans": [p.plan for p in services.book().plans],
            "table": table,
            "charts": charts,
            "error": error,
            "can_write": services.may_write(request.user, region),
            "snapshots": region.indicatorsnapshot_set.order_by("-as_of", "-id")[:20],
        },
    )


def _comparison(request, region: Region, as_of: dt.date, rows, english: bool) -> dict | None:
    """The bar chart of one computed indicator across the child regions (``?rank=<formula>``,
    default the first computed indicator shown), from records on ``as_of``."""
    if not Region.objects.filter(parent=region).exists():
        return None
    choices = []
    for r in rows:
        f = r.definition.formula
        known = {c["formula"] for c in choices}
        computable = not (r.result.no_records and r.result.value is None)
        if f in queries.QUERIES and f not in known and computable:
            name = r.definition.name_en if english else r.definition.name_zh
            choices.append({"formula": f, "name": name})
    if not choices:
        return None
    formula = request.GET.get("rank") or choices[0]["formula"]
    if formula not in {c["formula"] for c in choices}:
        formula = choices[0]["formula"]
    ranked = services.compare_children(region, formula, as_of)
    return {
        "formula": formula,
        "choices": choices,
        "ranked": ranked,
        "chart": {
            "x": [f"{x.name} ({x.code})" for x in ranked],
            "y": [x.value for x in ranked],
            "unit": queries.UNITS.get(formula, ""),
        },
    }


@login_required
@require_POST
def snapshot(request):
    """Take a snapshot of the region's figures (regulator of the region, admin)."""
    region = _region(request)
    raw = request.POST.get("as_of") or ""
    try:
        as_of = dt.date.fromisoformat(raw) if raw else None
        row = services.take_snapshot(region, as_of, request.user)
    except Denied as exc:
        raise PermissionDenied(exc.errors.get("region", "")) from None
    except services.IndicatorInputError as exc:
        messages.error(request, "; ".join(f"{k}：{v}" for k, v in exc.errors.items()))
    except ValueError:
        messages.error(request, _("as_of：不是日期"))
    else:
        messages.success(request, _("已保存快照，摘要 %(digest)s") % {"digest": row.digest})
    return redirect(f"{_dashboard_url()}?region={region.code}")


def _dashboard_url() -> str:
    from django.urls import reverse

    return reverse("indicators:dashboard")


_COLUMNS = (lists.Column(gettext_lazy("记录"), str),)


@login_required
def records(request, key: str):
    """The records behind one figure (the same query that counted them)."""
    region = _region(request)
    as_of, _error = _as_of(request)
    if key.startswith("manual:"):
        result = queries.manual(region.prefix, as_of, key.removeprefix("manual:"))
    elif key in queries.QUERIES:
        result = queries.QUERIES[key](region.prefix, as_of)
    else:
        raise Http404(key)
    if isinstance(result.records, str):
        return redirect(result.records)
    rows = result.records if result.records is not None else []
    if (resp := lists.export_response(request, rows, _COLUMNS, f"indicator-{key}")) is not None:
        return resp
    listing = lists.paginate(
        request, rows, definition=_(queries.DETAILS.get(key) or queries.DETAILS["manual"])
    )
    return render(
        request,
        "indicators/records.html",
        {
            "region": region,
            "as_of": as_of,
            "key": key,
            "result": result,
            "listing": listing,
            "manual": key.startswith("manual:"),
            "gaps": [category_label(g) for g in result.gaps],
        },
    )


@login_required
def evidence(request, pk: int):
    """Download the evidence file of an entered value (readers of its region)."""
    return _evidence_download(
        request, ManualValue.objects.select_related("region").filter(pk=pk).first()
    )


def _evidence_download(request, row) -> FileResponse:
    """The evidence file of ``row`` (an entered value or a plan task), for readers of its
    region; 404 when there is none or the reader may not see it."""
    if row is None or not row.evidence_sha256 or not services.may_read(request.user, row.region):
        raise Http404
    path = services.evidence_file(row.evidence_sha256, row.evidence_name)
    if not path.exists():
        raise Http404
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=row.evidence_name,
        content_type=row.evidence_type,
    )


@login_required
def task_list(request):
    """The region's plan tasks grouped by the indicator they serve (``?indicator=`` one)."""
    from . import tasks

    region = _region(request)
    indicator = request.GET.get("indicator") or None
    english = (get_language() or "").startswith("en")
    today = services.today()
    names = {d.id: (d.name_en if english else d.name_zh) for d in services.book().definitions}
    groups = []
    for ident, rows in tasks.by_indicator(tasks.tasks_of(region, indicator)).items():
        if indicator and ident != indicator:
            continue
        groups.append(
            {
                "id": ident,
                "name": names.get(ident, ident),
                "tasks": [
                    {
                        "task": t,
                        "title": (t.title_en or t.title_zh) if english else t.title_zh,
                        "overdue": t.is_overdue(today),
                    }
                    for t in rows
                ],
            }
        )
    return render(
        request,
        "indicators/tasks.html",
        {
            "region": region,
            "indicator": indicator or "",
            "groups": groups,
            "can_write": services.may_write(request.user, region),
        },
    )


@login_required
def task_evidence(request, pk: int):
    """Download a task's evidence file (readers of its region)."""
    from .models import PlanTask

    return _evidence_download(
        request, PlanTask.objects.select_related("region").filter(pk=pk).first()
    )
