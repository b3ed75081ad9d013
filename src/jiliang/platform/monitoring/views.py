"""Monitoring pages: the fleet's estimation runs and an area's meters (ê ± U, verdict, chart)."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy

from jiliang.core.monitoring import drift
from jiliang.core.monitoring.balance import MonitoringError
from jiliang.platform import lists
from jiliang.platform.registry.models import Instrument
from jiliang.platform.registry.permissions import readable

from . import fleet
from .models import Alarm, Area, EstimationRun, MeterEstimate, WorkOrder

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
    orders = (
        readable(request.user, WorkOrder)
        .filter(Q(instrument__area_memberships__area=area) | Q(instrument=area.summary_meter_id))
        .select_related("instrument", "assignee")
        .distinct()[:50]
    )
    return render(
        request,
        "monitoring/area.html",
        {
            "area": area,
            "run": run,
            "runs": runs.order_by("-pk")[:20],
            "estimates": estimates,
            "chart": chart,
            "orders": orders,
        },
    )


#: the work-order list's columns (page and exports)
ORDER_COLUMNS = (
    lists.Column(gettext_lazy("工单编号"), lambda o: o.number),
    lists.Column(gettext_lazy("工单类型"), lambda o: o.get_kind_display()),
    lists.Column(gettext_lazy("状态"), lambda o: o.get_state_display()),
    lists.Column(gettext_lazy("电能表"), lambda o: o.instrument.lifetime_id),
    lists.Column(gettext_lazy("承办单位"), lambda o: o.assignee.name if o.assignee_id else ""),
    lists.Column(gettext_lazy("原因"), lambda o: o.reason),
    lists.Column(gettext_lazy("创建时间"), lambda o: o.opened_at),
    lists.Column(gettext_lazy("更新时间"), lambda o: o.updated_at),
)


@login_required
def work_order_list(request: HttpRequest) -> HttpResponse:
    """Work orders the user may read (``?state=``, ``?kind=``), newest first."""
    orders = readable(request.user, WorkOrder).select_related("instrument", "assignee")
    state = request.GET.get("state", "")
    if state in WorkOrder.State.values:
        orders = orders.filter(state=state)
    kind = request.GET.get("kind", "")
    if kind in WorkOrder.Kind.values:
        orders = orders.filter(kind=kind)
    exported = lists.export_response(request, orders, ORDER_COLUMNS, "monitoring-work-orders")
    if exported is not None:
        return exported
    listing = lists.paginate(request, orders)
    return render(
        request,
        "monitoring/work_orders.html",
        {
            "orders": listing.page.object_list,
            "listing": listing,
            "states": WorkOrder.State.choices,
            "kinds": WorkOrder.Kind.choices,
            "state": state,
            "kind": kind,
        },
    )


def meter_history(estimates: list[MeterEstimate]) -> dict:
    """Chart data and drift forecast of one meter's estimates (errors in %, times ISO 8601).

    Points are the runs' mid-periods; overlapping runs are skipped (the drift alarms assume
    independent windows, :mod:`jiliang.core.monitoring.drift`). The trend, the crossing of the
    MPE and the EWMA/CUSUM signals are the core's; t in days from the first point.
    """
    pts = []
    last_end = None
    for e in estimates:
        if e.error is None or not e.u:
            continue
        if last_end is not None and e.run.period_start < last_end:
            continue
        last_end = e.run.period_end
        mid = e.run.period_start + (e.run.period_end - e.run.period_start) / 2
        big_u = e.expanded_uncertainty if e.expanded_uncertainty is not None else 2 * e.u
        pts.append((mid, e.error, e.u, big_u, e.mpe, e.verdict))
    chart = {
        "t": [p[0].isoformat() for p in pts],
        "error": [100 * p[1] for p in pts],
        "low": [100 * (p[1] - p[3]) for p in pts],
        "high": [100 * (p[1] + p[3]) for p in pts],
        "verdict": [p[5] for p in pts],
        "mpe": max((100 * p[4] for p in pts if p[4] is not None), default=None),
    }
    forecast: dict = {"n": len(pts)}
    if not pts:
        return {"chart": chart, "forecast": forecast}
    t0 = pts[0][0]
    t = [(p[0] - t0).total_seconds() / 86400 for p in pts]
    e = [p[1] for p in pts]
    u = [p[2] for p in pts]
    z = [a / b for a, b in zip(e, u, strict=True)]
    forecast["ewma"] = [chart["t"][i] for i in drift.ewma(z)]
    forecast["cusum"] = [chart["t"][i] for i in drift.cusum(z)]
    try:
        tr = drift.trend(t, e, u)
    except MonitoringError as exc:
        forecast["note"] = exc.message
        return {"chart": chart, "forecast": forecast}
    forecast.update(
        slope_pct_per_year=100 * 365.25 * tr.slope,
        u_slope_pct_per_year=100 * 365.25 * tr.u_slope,
        birge_ratio=tr.birge_ratio,
    )
    mpe = chart["mpe"]
    if mpe:
        cross = drift.crossing(tr, mpe / 100)
        if cross is not None and abs(cross.time) < 100 * 365.25:  # beyond a century: none
            forecast["crossing"] = (t0 + dt.timedelta(days=cross.time)).date().isoformat()
            forecast["u_crossing_days"] = cross.u_time
            forecast["crossing_limit_pct"] = 100 * cross.limit
    return {"chart": chart, "forecast": forecast}


@login_required
def meter_detail(request: HttpRequest, lifetime_id: str) -> HttpResponse:
    """One meter's state-evaluation history (状态评价): ê ± U per run, drift, alarms, orders."""
    instrument = get_object_or_404(readable(request.user, Instrument), lifetime_id=lifetime_id)
    estimates = list(
        readable(request.user, MeterEstimate)
        .filter(instrument=instrument, run__status=EstimationRun.Status.DONE)
        .select_related("run", "run__area")
        .order_by("run__period_start", "run_id")
    )
    for e in estimates:
        e.error_pct = None if e.error is None else 100 * e.error
        big_u = e.expanded_uncertainty if e.expanded_uncertainty is not None else None
        if big_u is None and e.u is not None:
            big_u = 2 * e.u
        e.big_u_pct = None if big_u is None else 100 * big_u
    history = meter_history(estimates)
    return render(
        request,
        "monitoring/meter.html",
        {
            "meter": instrument,
            "estimates": estimates,
            "chart": history["chart"],
            "forecast": history["forecast"],
            "alarms": readable(request.user, Alarm).filter(instrument=instrument)[:100],
            "orders": readable(request.user, WorkOrder)
            .filter(instrument=instrument)
            .select_related("assignee")[:100],
        },
    )


@login_required
def fleet_dashboard(request: HttpRequest) -> HttpResponse:
    """The fleet dashboard (监控总览): current verdicts by region and category (latest finished
    run of each readable area), the open work orders by kind and state, open alarms by kind."""
    figures = fleet.fleet(request.user)
    labels = dict(MeterEstimate.Verdict.choices)
    keys = (*fleet.VERDICTS, "other")

    def row(code: str, name: str, counts) -> dict:
        return {"code": code, "name": name, **{k: counts.get(k, 0) for k in keys}}

    regions = [row(c, n, v) for (c, n), v in sorted(figures.by_region.items())]
    categories = [row(c, "", v) for c, v in sorted(figures.by_category.items())]
    states = [(v, lbl) for v, lbl in WorkOrder.State.choices if v in WorkOrder.OPEN_STATES]
    backlog = [
        {
            "kind": kind,
            "label": label,
            "counts": [figures.backlog.get((kind, s), 0) for s, _ in states],
        }
        for kind, label in WorkOrder.Kind.choices
    ]
    chart = {
        "regions": [f"{r['code']} {r['name']}" for r in regions],
        "series": [
            {
                "key": k,
                "name": str(labels.get(k, gettext_lazy("其他"))),
                "data": [r[k] for r in regions],
            }
            for k in keys
        ],
    }
    return render(
        request,
        "monitoring/fleet.html",
        {
            "fleet": figures,
            "regions": regions,
            "categories": categories,
            "states": states,
            "backlog": backlog,
            "alarms": sorted(figures.alarms.items()),
            "chart": chart,
        },
    )
