"""Pages: the regulator's list of classes below the reliability target (/intervals/), one
class with the advice and the events behind it (/intervals/class/<key>/), both exportable, and a
standard's drift from its certificates (/intervals/standards/<id>/, ECharts chart)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiliang.core.intervals import IntervalError
from jiliang.platform import lists
from jiliang.platform.registry.models import (
    MeasurementStandard,
    Organisation,
    Region,
    localised_name,
)
from jiliang.platform.registry.permissions import readable
from jiliang.platform.registry.templatetags.metrology import category_label
from jiliang.platform.supervision.access import reads_region

from . import services
from .history import (
    GROUP_BY,
    ClassKey,
    EventRow,
    History,
    event_rows,
    history_for,
    scoped_events,
)

#: histories whose group names are looked up in one query
_NAME_BATCH = 500

SOURCE_LABELS = {
    "catalogue": gettext_lazy("强制检定目录周期"),
    "median": gettext_lazy("记录间隔中位数"),
    None: "—",
}


@dataclass(frozen=True)
class Row:
    """One class on the page: its advice, the group's name and the link to its data."""

    advice: services.ClassAdvice
    group_name: str
    link: str


def _days(x: float | None) -> float | None:
    return None if x is None else round(x, 1)


def _ratio(x: float | None) -> float | None:
    return None if x is None else round(x, 3)


def group_names(keys: Iterable[ClassKey]) -> dict[tuple[str, str], str]:
    """(group_by, group) → display name, in two queries at most."""
    keys = list(keys)
    owners = {k.group for k in keys if k.group_by == "owner"}
    regions = {k.group for k in keys if k.group_by == "region"}
    names: dict[tuple[str, str], str] = {}
    for org in Organisation.objects.filter(code__in=owners).only("code", "name", "name_en"):
        names[("owner", org.code)] = localised_name(org)
    for reg in Region.objects.filter(code__in=regions).only("code", "name", "name_en"):
        names[("region", reg.code)] = f"{localised_name(reg)} ({reg.code})"
    return names


def class_url(key: ClassKey, target: float) -> str:
    url = reverse("intervals:class", args=[key.token])
    return url if target == services.DEFAULT_TARGET else f"{url}?target={target}"


def rows_for(histories: Iterable[History], target: float) -> Iterator[Row]:
    """Advice rows, the core run per class, group names looked up a batch at a time."""
    batch: list[History] = []

    def flush() -> Iterator[Row]:
        names = group_names(h.key for h in batch)
        for h, advice in zip(batch, services.advise_many(batch, target), strict=True):
            name = names.get((h.key.group_by, h.key.group), h.key.group)
            yield Row(advice, name, class_url(h.key, target))

    for h in histories:
        batch.append(h)
        if len(batch) >= _NAME_BATCH:
            yield from flush()
            batch = []
    yield from flush()


def columns() -> tuple[lists.Column, ...]:
    C = lists.Column
    return (
        C(_("类别"), lambda r: category_label(r.advice.key.category)),
        C(_("型号"), lambda r: r.advice.key.model_name),
        C(_("制造商"), lambda r: r.advice.key.manufacturer),
        C(_("分组"), lambda r: r.group_name),
        C(_("器具数"), lambda r: r.advice.instruments),
        C(_("间隔数"), lambda r: r.advice.n),
        C(_("到期合格数"), lambda r: r.advice.n_in_tolerance),
        C(_("观测可靠度"), lambda r: _ratio(r.advice.observed_reliability)),
        C(_("现行间隔（天）"), lambda r: _days(r.advice.current.days)),
        C(_("现行间隔依据"), lambda r: SOURCE_LABELS[r.advice.current.source]),
        C(_("建议间隔（天）"), lambda r: _days(r.advice.recommended_days)),
        C(_("方法"), lambda r: r.advice.method or ""),
        C(_("置信度"), lambda r: _ratio(r.advice.confidence)),
        C(_("数据不足原因"), lambda r: r.advice.insufficient or ""),
    )


def _target(request: HttpRequest) -> tuple[float, str]:
    raw = request.GET.get("target", "")
    if not raw:
        return services.DEFAULT_TARGET, ""
    try:
        return services.check_target(raw), ""
    except ValueError:
        return services.DEFAULT_TARGET, _("target：须为 0 与 1 之间的数")


@login_required
def class_list(request: HttpRequest) -> HttpResponse:
    """Classes whose observed reliability is below the target (regulators, inspectors)."""
    if reads_region(request.user) is None:
        raise PermissionDenied(_("仅监管人员可查看"))
    target, error = _target(request)
    group_by = request.GET.get("group_by", "owner")
    if group_by not in GROUP_BY:
        group_by, error = "owner", _("group_by：须为 owner 或 region")
    category = request.GET.get("category", "").strip()[:60] or None
    region = request.GET.get("region", "").strip()
    if region and not (region.isascii() and region.isdigit() and len(region) <= 6):
        region, error = "", _("region：须为 1–6 位区划代码前缀")
    histories = list(
        services.below_target(
            services.class_histories(
                request.user, group_by=group_by, category=category, region=region or None
            ),
            target,
        )
    )
    definition = _(
        "有检定/校准间隔记录的器具类（类别×型号×制造商×%(group)s）中，观测可靠度（到期时合格的"
        "比例）低于目标 %(target)s 者；间隔为同一器具相邻两次检定/校准的日期差，合格与否取后一次"
        "的结论；建议间隔由 S2 可靠性模型法给出，数据不足时由 A3 区间检验法给出。"
    ) % {"group": _("使用单位") if group_by == "owner" else _("所在区划"), "target": target}
    resp = lists.export_response(request, lambda: rows_for(histories, target), columns, "intervals")
    if resp is not None:
        return resp
    listing = lists.paginate(request, histories, definition=definition)
    rows = list(rows_for(listing.page.object_list, target))
    body = lists.table_body(
        ((r.link, [lists.display(c.value(r)) for c in columns()]) for r in rows),
        columns=len(columns()),
        empty=_("没有低于目标的器具类"),
    )
    return render(
        request,
        "intervals/class_list.html",
        {
            "listing": listing,
            "body": body,
            "headers": [c.header for c in columns()],
            "target": target,
            "group_by": group_by,
            "category": category or "",
            "region": region,
            "error": error,
        },
    )


def event_columns() -> tuple[lists.Column, ...]:
    C = lists.Column
    verdicts = {True: _("合格"), False: _("不合格"), None: "—"}
    return (
        C(_("证书编号"), lambda e: e.certificate_no),
        C(_("器具识别编码"), lambda e: e.lifetime_id),
        C(_("检定/校准日期"), lambda e: e.performed_on),
        C(_("有效期至/下次到期"), lambda e: e.due_on),
        C(_("符合性结论"), lambda e: e.conformity),
        C(_("间隔（天）"), lambda e: e.interval_days),
        C(_("到期时合格"), lambda e: verdicts[e.in_tolerance]),
    )


@login_required
def class_detail(request: HttpRequest, key: str) -> HttpResponse:
    """One class: the advice beside the current interval and every event behind it."""
    try:
        class_key = ClassKey.from_token(key)
    except ValueError:
        raise Http404(_("未找到器具类")) from None
    target, error = _target(request)
    events = scoped_events(request.user)
    history = history_for(events, class_key)
    if history is None:
        raise Http404(_("未找到器具类"))
    resp = lists.export_response(
        request,
        lambda: event_rows(events, class_key),
        event_columns,
        "interval-events",
        name="events",
    )
    if resp is not None:
        return resp
    advice = services.advise(history, target)
    name = group_names([class_key]).get((class_key.group_by, class_key.group), class_key.group)
    rows: list[EventRow] = list(event_rows(events, class_key))
    listing = lists.paginate(request, rows, name="events")
    body = lists.table_body(
        (
            (None, [lists.display(c.value(e)) for c in event_columns()])
            for e in listing.page.object_list
        ),
        columns=len(event_columns()),
        empty=_("没有记录"),
    )
    return render(
        request,
        "intervals/class_detail.html",
        {
            "advice": advice,
            "category": category_label(class_key.category),
            "group_name": name,
            "source": SOURCE_LABELS[advice.current.source],
            "listing": listing,
            "body": body,
            "headers": [c.header for c in event_columns()],
            "error": error,
        },
    )


def drift_chart(drift: services.StandardDrift, k: float) -> dict:
    """Chart data (JSON) of a standard's drift: each certificate's value ± U, the fitted line
    ± k·u from the first certificate to the later of the prediction and the warning date, the
    allowance around the fitted value at the last certificate and the warning date."""
    certs = drift.certificates
    chart: dict = {
        "unit": drift.unit,
        "t": [c.performed_on.isoformat() for c in certs],
        "value": [c.value for c in certs],
        "low": [c.value - c.expanded_uncertainty for c in certs],
        "high": [c.value + c.expanded_uncertainty for c in certs],
        "line": [],
        "limits": None,
        "warning": None,
        "predicted": None,
    }
    w, fit = drift.warning, drift.warning.fit
    if fit is None:
        return chart
    first = min(c.performed_on for c in certs)
    last = max(c.performed_on for c in certs)
    end = max(drift.predicted_on, w.warning_date or last, last)
    steps = 40
    span = (end - first).days
    for i in range(steps + 1):
        day = first + dt.timedelta(days=round(span * i / steps))
        y, u = fit.predict(day)
        chart["line"].append([day.isoformat(), y, y - k * u, y + k * u])
    at_last = fit.predict(last)[0]
    chart["limits"] = [at_last - w.allowance, at_last + w.allowance]
    chart["warning"] = w.warning_date.isoformat() if w.warning_date else None
    if drift.predicted_value is not None:
        chart["predicted"] = [
            drift.predicted_on.isoformat(),
            drift.predicted_value,
            k * drift.predicted_u,
        ]
    return chart


def standard_drift(request: HttpRequest, pk: int) -> HttpResponse:
    """A measurement standard's drift from the certificates the user may read (value ± U per
    certificate, fitted drift, predicted value, the date the drift uses up the allowance)."""
    standard = get_object_or_404(readable(request.user, MeasurementStandard), pk=pk)
    error = ""
    on = None
    raw_on = request.GET.get("on", "").strip()
    if raw_on:
        try:
            on = dt.date.fromisoformat(raw_on)
            if not dt.date(1900, 1, 1) <= on <= dt.date(2199, 12, 31):
                raise ValueError(raw_on)
        except ValueError:
            on, error = None, _("on：须为 1900-01-01 至 2199-12-31 之间的日期")
    k = 2.0
    try:
        drift = services.advice_for_standard(standard, user=request.user, on=on, k=k)
    except (IntervalError, ValueError) as exc:
        drift, error = None, str(exc)
    return render(
        request,
        "intervals/standard_drift.html",
        {
            "standard": standard,
            "drift": drift,
            "k": k,
            "chart": drift_chart(drift, k) if drift is not None else None,
            "error": error,
        },
    )
