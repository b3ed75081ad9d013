"""Monitoring pages: the fleet's estimation runs and an area's meters (ê ± U, verdict, chart)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy

from jiliang.platform import lists
from jiliang.platform.registry.permissions import readable

from .models import Area, EstimationRun

#: the fleet list's columns (page and exports)
RUN_COLUMNS = (
    lists.Column(gettext_lazy("台区"), lambda r: r.area.code),
    lists.Column(gettext_lazy("所在区划"), lambda r: r.area.region.code),
    lists.Column(gettext_lazy("起始时间"), lambda r: r.period_start),
    lists.Column(gettext_lazy("终止时间"), lambda r: r.period_end),
    lists.Column(gettext_lazy("状态"), lambda r: r.get_status_display()),
    lists.Column(
        gettext_lazy("失准"), lambda r: (r.summary.get("verdicts") or {}).get("out_of_tolerance", 0)
    ),
    lists.Column(
        gettext_lazy("需现场核查"),
        lambda r: (r.summary.get("verdicts") or {}).get("inconclusive", 0),
    ),
    lists.Column(gettext_lazy("程序版本"), lambda r: r.code_version),
)


@login_required
def run_list(request: HttpRequest) -> HttpResponse:
    """Every estimation run the user may read (a regulator: the runs of their region)."""
    runs = readable(request.user, EstimationRun).select_related("area", "area__region")
    status = request.GET.get("status", "")
    if status in EstimationRun.Status.values:
        runs = runs.filter(status=status)
    exported = lists.export_response(request, runs, RUN_COLUMNS, "monitoring-runs")
    if exported is not None:
        return exported
    listing = lists.paginate(request, runs)
    return render(
        request,
        "monitoring/runs.html",
        {
            "runs": listing.page.object_list,
            "listing": listing,
            "statuses": EstimationRun.Status.choices,
            "status": status,
        },
    )


@login_required
def area_detail(request: HttpRequest, code: str) -> HttpResponse:
    """An area's meters in one run (``?run=``, default the latest finished run)."""
    area = get_object_or_404(
        readable(request.user, Area).select_related("region", "owner", "summary_meter"), code=code
    )
    runs = readable(request.user, EstimationRun).filter(area=area)
    run_id = request.GET.get("run")
    if run_id:
        if not run_id.isdigit():
            raise Http404("no such run")
        run = get_object_or_404(runs, pk=int(run_id))
    else:
        run = runs.filter(status=EstimationRun.Status.DONE).order_by("-pk").first()
    estimates = []
    chart = {"meters": [], "error": [], "low": [], "high": [], "mpe": None, "verdict": []}
    if run is not None:
        estimates = list(
            run.estimates.select_related("instrument").order_by("instrument__lifetime_id")
        )
        for e in estimates:
            e.error_pct = None if e.error is None else 100 * e.error
            e.big_u_pct = None
            if e.error is None:
                continue
            big_u = e.expanded_uncertainty if e.expanded_uncertainty is not None else 2 * e.u
            e.big_u_pct = 100 * big_u
            chart["meters"].append(e.instrument.lifetime_id)
            chart["error"].append(100 * e.error)
            chart["low"].append(100 * (e.error - big_u))
            chart["high"].append(100 * (e.error + big_u))
            chart["verdict"].append(e.verdict)
            if e.mpe is not None:
                chart["mpe"] = max(chart["mpe"] or 0.0, 100 * e.mpe)
    return render(
        request,
        "monitoring/area.html",
        {
            "area": area,
            "run": run,
            "runs": runs.order_by("-pk")[:20],
            "estimates": estimates,
            "chart": chart,
        },
    )
