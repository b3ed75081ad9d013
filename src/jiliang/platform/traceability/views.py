"""Traceability pages: the chain panel on instrument/standard pages, the region dashboard and
the KCDB upload for staff."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from jiliang.platform import lists
from jiliang.platform.accounts.roles import Role, role_of
from jiliang.platform.registry import models as m
from jiliang.platform.registry.permissions import readable
from jiliang.platform.registry.templatetags.metrology import category_label, number

from . import display
from . import services as sv
from .kcdb_import import KCDBImportError, import_kcdb
from .loader import get_engine, locked

PAGE_SIZE = lists.PAGE_SIZE
_KIND_OF = {m.Instrument: "instrument", m.MeasurementStandard: "standard"}


#: the gap list's columns (量值传递空白), as the dashboard shows them
GAP_COLUMNS = (
    lists.Column(gettext_lazy("区划"), lambda g: f"{g['region_name']} ({g['region_code']})"),
    lists.Column(gettext_lazy("量"), lambda g: display.quantity_label(g["quantity"])),
    lists.Column(
        gettext_lazy("范围"), lambda g: f"{number(g['range_low'])} – {number(g['range_high'])}"
    ),
    lists.Column(gettext_lazy("器具数"), lambda g: g["instruments"]),
    lists.Column(gettext_lazy("最小 MPE"), lambda g: number(g["min_mpe"])),
    lists.Column(gettext_lazy("原因"), lambda g: display.gap_reason_label(g["reason"])),
)


def _broken_columns(lang: str, names: dict[str, str]) -> tuple[lists.Column, ...]:
    """The broken-chain list's columns; the reason in the page's language."""
    message = "message_zh" if lang == "zh" else "message"
    return (
        lists.Column(gettext_lazy("器具识别编码"), lambda r: r["lifetime_id"]),
        lists.Column(gettext_lazy("名称"), lambda r: r["name"]),
        lists.Column(gettext_lazy("类别"), lambda r: category_label(r["category"])),
        lists.Column(
            gettext_lazy("区划"),
            lambda r: f"{names.get(r['region'] or '', r['region'])} ({r['region']})",
        ),
        lists.Column(gettext_lazy("原因"), lambda r: r[message] or r["reason"] or ""),
    )


def _lang() -> str:
    return "en" if (get_language() or "zh").startswith("en") else "zh"


@locked
def chain_panel(request: HttpRequest, obj) -> str | None:
    """The chain of an instrument or standard (graph + table + verdict), or None."""
    kind = _KIND_OF.get(type(obj))
    if kind is None:
        return None
    engine = get_engine(timezone.localdate())
    data = sv.chain_dict(engine, kind, obj.pk, getattr(obj, "lifetime_id", ""))
    lang = _lang()
    display.label_chain(data, lang)  # level names, U as "5.4 mg", issue texts in lang
    issue = data.get("issue") or {}
    return render_to_string(
        "traceability/panel.html",
        {
            "chain": data,
            "issue_text": issue.get("message_zh" if lang == "zh" else "message"),
            # json_script serialises: a pre-dumped string would arrive in the page as a string
            "chain_json": data,
        },
        request=request,
    )


@login_required
@locked
def dashboard(request: HttpRequest) -> HttpResponse:
    """Region dashboard: coverage, broken chains, gaps and a what-if for a chosen standard."""
    engine = get_engine(timezone.localdate())
    prefix, _org, everything = sv.user_scope(request.user)
    regions = m.Region.objects.all()
    if not everything and _org is None:
        regions = regions.filter(code__startswith=prefix)
    region_code = request.GET.get("region", "")
    region = regions.filter(code=region_code).first() if region_code else None
    region_prefix = region.prefix if region else ""
    mask = sv.instrument_mask(engine, request.user, region_prefix)
    broken = sv.select(engine, mask, verdict="NOT_TRACEABLE")
    unknown = sv.select(engine, mask, verdict="UNKNOWN")
    names = dict(m.Region.objects.values_list("code", "name"))
    lang = _lang()
    exported = lists.export_response(
        request,
        # every broken chain, read now under the engine lock (a streamed body runs after it)
        lambda: [
            row
            for i in range(0, len(broken), 1000)
            for row in sv.verdict_rows(engine, broken[i : i + 1000])
        ],
        _broken_columns(lang, names),
        "broken-chains",
    )
    if exported is not None:
        return exported
    gaps = sv.scoped_gaps(engine, request.user, region_prefix)
    for item in gaps:
        item["region_name"] = names.get(item.get("region_code") or "", item.get("region_code"))
    exported = lists.export_response(request, gaps, GAP_COLUMNS, "traceability-gaps", name="gaps")
    if exported is not None:
        return exported
    listing = lists.paginate(request, range(len(broken)), per_page=PAGE_SIZE)
    page = listing.page
    gaps_list = lists.paginate(request, gaps, name="gaps")
    rows = sv.verdict_rows(engine, broken[page.object_list.start : page.object_list.stop])
    for row in rows:
        row["text"] = row["message_zh"] if lang == "zh" else row["message"]
    by_category = sv.scoped_coverage(engine, mask, "category")
    by_level = sv.scoped_coverage(engine, mask, "level")
    total = int(mask.sum())
    traceable = sum(g["traceable"] for g in by_category["groups"])
    for item in rows:
        code = item.get("region") or ""
        item["region_name"] = names.get(code, code)
    standards = readable(request.user, m.MeasurementStandard).only("pk", "code", "name")
    chosen = request.GET.get("standard", "")
    whatif = None
    if chosen.isdecimal() and len(chosen) < 19 and standards.filter(pk=int(chosen)).exists():
        whatif = sv.scoped_what_if(engine, request.user, [int(chosen)], mask, limit=100)
    # names for the codes the core groups by (catalogue items, levels, gap reasons)
    display.label_dashboard(by_category["groups"], by_level["groups"], gaps, rows)
    charts = {"category": by_category["groups"], "level": by_level["groups"]}
    return render(
        request,
        "traceability/dashboard.html",
        {
            "asof": engine.asof,
            "regions": regions,
            "region": region,
            "total": total,
            "traceable": traceable,
            "rate": traceable / total if total else None,
            "broken_count": len(broken),
            "unknown_count": len(unknown),
            "rows": rows,
            "page": page,
            "listing": listing,
            "gaps_list": gaps_list,
            "by_category": by_category["groups"],
            "by_level": by_level["groups"],
            "gaps": gaps_list.page.object_list,
            "gaps_count": len(gaps),
            "standards": standards,
            "chosen": chosen,
            "whatif": whatif,
            "charts_json": charts,
        },
    )


class KCDBForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("KCDB 检索结果 (JSON)"))
    provider = forms.ModelChoiceField(
        label=gettext_lazy("提供机构"),
        queryset=m.Organisation.objects.filter(kind="nmi"),
        to_field_name="code",
    )
    nmi = forms.CharField(
        label=gettext_lazy("KCDB 机构代码 (nmiCode)"),
        required=False,
        max_length=40,
        help_text=gettext_lazy("文件含多个机构的 CMC 时必填，例如 NIM"),
    )


@staff_member_required
def kcdb_upload(request: HttpRequest) -> HttpResponse:
    """KCDB import: the platform operator's (authority model: CMCs come from the KCDB import or
    the NMI's own staff), so staff who are not superusers only get a 403."""
    if role_of(request.user) is not Role.ADMIN:
        raise PermissionDenied(_("仅平台运维人员可导入 KCDB"))
    form = KCDBForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            report = import_kcdb(
                form.cleaned_data["file"].read(),
                form.cleaned_data["provider"].code,
                request.user,
                nmi=form.cleaned_data["nmi"].strip(),
            )
        except KCDBImportError as exc:
            # the importer's messages start with the field at fault ("nmi: …", "file: …")
            field = "nmi" if str(exc).startswith("nmi:") else "file"
            form.add_error(field, _("导入失败，未写入任何记录：%(err)s") % {"err": exc})
        else:
            messages.success(
                request,
                _("已导入 %(n)d 条 CMC（新增 %(c)d，更新 %(u)d）")
                % {"n": report.total, "c": report.created, "u": report.updated},
            )
            return redirect("traceability:kcdb")
    return render(request, "traceability/kcdb.html", {"form": form})
