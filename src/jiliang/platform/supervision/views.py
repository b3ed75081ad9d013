"""Supervision pages: enterprise portal, regulator dashboard, public scan page, draws…"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiliang.core.legal.draw import DrawRefused
from jiliang.platform import lists
from jiliang.platform.accounts.roles import Role, role_of
from jiliang.platform.audit.context import acting_as
from jiliang.platform.common.uploads import UploadTooLarge, check_upload
from jiliang.platform.lists import Column
from jiliang.platform.registry.models import Instrument, Organisation, Region
from jiliang.platform.registry.permissions import can_write, readable, user_organisation_id
from jiliang.platform.registry.templatetags.metrology import category_label

from . import credit as credit_svc
from . import draw_log
from . import draws as draw_svc
from . import verifications as portal_svc
from .access import reads_region, supervisor_prefix
from .credit import assess_org, grades_for
from .forms import (
    AssignForm,
    ComplaintForm,
    DrawForm,
    FilingForm,
    ImportForm,
    InspectionForm,
    MarkForm,
    NotificationSettingsForm,
    RemovalForm,
    ResultForm,
    SelfCommitmentForm,
    UnmarkForm,
    VerificationForm,
)
from .imports import ImportFileError, import_filings
from .inspections import InspectionError, reason_sentences, record_inspection
from .models import (
    Complaint,
    CreditEvent,
    CreditMark,
    Draw,
    Filing,
    Notification,
    NotificationSettings,
    PrepackagedInspection,
)
from .notices import settings_of
from .public import instrument_by_uuid, label_sheet, public_status
from .services import (
    DUE_SOON_DEFINITION,
    NOT_ON_TIME_DEFINITION,
    OVERDUE_DEFINITION,
    catalogue,
    check_filing,
    coverage,
    institutions_for,
    overdue_filings,
    overdue_instruments,
    risk_list,
    sync_filing,
    today,
    trend,
)

COMPLAINTS_PER_HOUR = 5

#: the columns of every filing list (portal, due lists), as ``_filing_rows.html`` shows them
FILING_COLUMNS = (
    Column(gettext_lazy("器具识别编码"), lambda f: f.instrument.lifetime_id),
    Column(gettext_lazy("名称"), lambda f: f.instrument.name),
    Column(gettext_lazy("使用单位"), lambda f: f.instrument.owner.name),
    Column(gettext_lazy("目录条目"), lambda f: f.item_code),
    Column(gettext_lazy("状态"), lambda f: f.get_status_display()),
    Column(gettext_lazy("到期日"), lambda f: f.deadline),
)


def _filings(request):
    return readable(request.user, Filing).select_related(
        "instrument__owner", "instrument__region", "assigned_to"
    )


def _add_errors(form, errors: dict[str, str]) -> None:
    """Put a service's field-named errors on the form (unknown fields: on the whole form)."""
    for field, msg in errors.items():
        form.add_error(field if field in form.fields else None, msg)


def _own_organisation(user) -> Organisation | None:
    """The enterprise user's own organisation (None for other roles: no self-commitment section)."""
    if role_of(user) is not Role.ENTERPRISE:
        return None
    org_id = user_organisation_id(user)
    return Organisation.objects.filter(pk=org_id).select_related("region").first()


def _commitment_context(request, bound: dict | None = None) -> dict:
    """The portal's self-commitment section: the standing commitment or the declaration form."""
    org = _own_organisation(request.user)
    if org is None:
        return {}
    bound = bound or {}
    standing = CreditMark.objects.filter(
        organisation=org, kind=CreditMark.Kind.SELF_COMMITMENT, withdrawn_on__isnull=True
    ).first()
    return {
        "own_org": org,
        "commitment": standing,
        "declare_form": bound.get("declare") or SelfCommitmentForm(),
        "withdraw_form": bound.get("withdraw")
        or UnmarkForm(initial={"on": today()}, auto_id="withdraw_%s"),
    }


@login_required
def portal(request, bound: dict | None = None):
    """My instruments and filings (enterprise), or the filings in my region (regulator)."""
    qs = _filings(request)
    status = request.GET.get("status", "")
    if status:
        qs = qs.filter(status=status)
    qs = qs.order_by("due_date", "replace_date", "pk")
    if (exported := lists.export_response(request, qs, FILING_COLUMNS, "filings")) is not None:
        return exported
    listing = lists.paginate(request, qs)
    unfiled = (
        readable(request.user, Instrument)
        .filter(filing__isnull=True, status=Instrument.Status.IN_USE)
        .order_by("lifetime_id")[:50]
    )
    return render(
        request,
        "supervision/portal.html",
        {
            "page": listing.page,
            "listing": listing,
            "status": status,
            "statuses": Filing.Status.choices,
            "unfiled": [i for i in unfiled if can_write(request.user, Filing(instrument=i))],
            "unread": Notification.objects.filter(
                recipient=request.user, read_at__isnull=True
            ).count(),
            **_commitment_context(request, bound),
        },
    )


@login_required
def self_commitment(request):
    """A business declares (action=declare) or withdraws (action=withdraw) its own
    self-commitment; through the same credit service as the regulator's marks (audited)."""
    if request.method != "POST":
        return redirect("supervision:portal")
    org = _own_organisation(request.user)
    if org is None:
        raise PermissionDenied
    action = request.POST.get("action")
    if action == "declare":
        form = SelfCommitmentForm(request.POST)
    elif action == "withdraw":
        form = UnmarkForm(request.POST, auto_id="withdraw_%s")
    else:
        raise PermissionDenied
    if form.is_valid():
        d = form.cleaned_data
        try:
            if action == "declare":
                credit_svc.mark(
                    request.user,
                    org,
                    kind=CreditMark.Kind.SELF_COMMITMENT,
                    since=today(),
                    text=d["text"],
                )
                messages.success(request, _("已作出诚信计量自我承诺"))
            else:
                # another organisation's mark is not found, as elsewhere for out-of-scope rows
                m = get_object_or_404(CreditMark, pk=d["mark"], organisation=org)
                credit_svc.unmark(request.user, m, d["on"], d["reason"])
                messages.success(request, _("已撤销"))
            return redirect("supervision:portal")
        except PermissionError:
            raise PermissionDenied from None
        except credit_svc.CreditError as exc:
            _add_errors(form, exc.errors)
    # errors: the portal again with the bound form (and its field-named errors)
    return portal(request, bound={action: form})


def _writable_instruments(user):
    ids = [
        i.pk
        for i in readable(user, Instrument)
        .filter(filing__isnull=True)
        .select_related("owner")[:2000]
        if can_write(user, Filing(instrument=i))
    ]
    return Instrument.objects.filter(pk__in=ids)


@login_required
def filing_new(request):
    instruments = _writable_instruments(request.user)
    initial = {}
    if (pk := request.GET.get("instrument", "")).isdecimal():  # ?instrument=abc was a 500
        inst = instruments.filter(pk=int(pk)).first()
        if inst is not None:
            initial = {"instrument": inst, "item_code": inst.category, "use": inst.use}
    form = FilingForm(request.POST or None, instruments=instruments, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        params = form.params()
        errors = check_filing(d["item_code"], d["use"], params)
        for field, msg in errors.items():
            form.add_error(None if field == "params" else field, msg)
        if not errors:
            f = Filing(
                instrument=d["instrument"], item_code=d["item_code"], use=d["use"], params=params
            )
            if not can_write(request.user, f):
                raise PermissionDenied
            with transaction.atomic(), acting_as(request.user, request.POST.get("reason", "")):
                sync_filing(f)
            messages.success(request, _("已备案"))
            return redirect("supervision:filing", pk=f.pk)
    return render(request, "supervision/form.html", {"form": form, "title": _("新建备案")})


@login_required
def filing_detail(request, pk: int):
    f = get_object_or_404(_filings(request), pk=pk)
    notes = f.notifications.filter(recipient=request.user)[:20]
    institutions = institutions_for(f)
    assign_form = None
    if portal_svc.can_assign(request.user, f):
        assign_form = AssignForm(institutions=institutions, initial={"institution": f.assigned_to})
    return render(
        request,
        "supervision/filing.html",
        {
            "f": f,
            "notes": notes,
            "can_write": can_write(request.user, f),
            "item": catalogue().items.get(f.item_code),
            "institutions": institutions,
            "assign_form": assign_form,
            "can_record": portal_svc.can_record(request.user, f),
            "records": portal_svc.records_of(f)[:20],
        },
    )


@login_required
def filing_assign(request, pk: int):
    """Assign (or unassign) the filing's verification to an authorised institution (POST)."""
    f = get_object_or_404(_filings(request), pk=pk)
    if request.method != "POST" or not portal_svc.can_assign(request.user, f):
        raise PermissionDenied
    form = AssignForm(request.POST, institutions=institutions_for(f))
    if form.is_valid():
        try:
            portal_svc.assign(
                request.user, f, form.cleaned_data["institution"], form.cleaned_data["reason"]
            )
        except portal_svc.PortalError as exc:
            _add_errors(form, exc.errors)
        else:
            messages.success(request, _("已指定承检机构") if f.assigned_to else _("已取消指定"))
            return redirect("supervision:filing", pk=f.pk)
    for errors in form.errors.values():
        for msg in errors:
            messages.error(request, msg)
    return redirect("supervision:filing", pk=f.pk)


@login_required
def assigned(request):
    """Institution portal: verifications assigned to my institution (regulators: my region)."""
    state = request.GET.get("state", "")
    if state not in portal_svc.STATES:
        state = ""
    if not portal_svc.works_assignments(request.user):
        raise PermissionDenied
    base = portal_svc.assigned_filings(request.user)
    counts = {k: portal_svc.assigned_filings(request.user, k).count() for k in portal_svc.STATES}
    qs = portal_svc.assigned_filings(request.user, state or None)
    columns = (
        *FILING_COLUMNS,
        Column(gettext_lazy("最近检定"), lambda f: f.last_verified),
        Column(gettext_lazy("最近检定结论"), lambda f: f.get_last_result_display()),
        Column(gettext_lazy("承检机构"), lambda f: f.assigned_to.name),
    )
    if (exported := lists.export_response(request, qs, columns, "assigned")) is not None:
        return exported
    definitions = {
        "due": DUE_SOON_DEFINITION,
        "overdue": OVERDUE_DEFINITION,
        "done": _("检定有效、未到提醒期的。"),
    }
    listing = lists.paginate(request, qs, definition=definitions.get(state, ""))
    return render(
        request,
        "supervision/assigned.html",
        {
            "page": listing.page,
            "listing": listing,
            "state": state,
            "counts": counts,
            "total": base.count(),
            "overdue_definition": OVERDUE_DEFINITION,
        },
    )


@login_required
def filing_verify(request, pk: int):
    """Record the result of an assigned verification (institution staff or regulator)."""
    f = get_object_or_404(_filings(request), pk=pk)
    if not portal_svc.can_record(request.user, f):
        raise PermissionDenied
    if f.assigned_to is None:
        messages.error(request, _("此器具的检定尚未指定检定机构"))
        return redirect("supervision:filing", pk=f.pk)
    form = VerificationForm(request.POST or None, initial={"performed_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            portal_svc.record_verification(
                request.user,
                f,
                performed_on=d["performed_on"],
                result=d["result"],
                certificate_no=d["certificate_no"],
                notice_no=d["notice_no"],
                seal_no=d["seal_no"],
                reason=d["reason"],
            )
        except portal_svc.PortalError as exc:
            _add_errors(form, exc.errors)
        else:
            messages.success(request, _("已记录检定结果"))
            return redirect("supervision:filing", pk=f.pk)
    lead = _("%(id)s %(name)s · 承检机构：%(org)s") % {
        "id": f.instrument.lifetime_id,
        "name": f.instrument.name,
        "org": f.assigned_to.name,
    }
    return render(
        request,
        "supervision/form.html",
        {"form": form, "title": _("记录检定结果"), "lead": lead, "no_reason": True},
    )


@login_required
def filing_import(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            check_upload(upload)
            report = import_filings(
                request.user, upload.name, upload.read(), form.cleaned_data["accept_partial"]
            )
        except (UploadTooLarge, ImportFileError) as exc:
            form.add_error("file", str(exc))
    return render(request, "supervision/import.html", {"form": form, "report": report})


@login_required
def due_lists(request):
    """Overdue and expiring filings (within the catalogue's due-soon window), each paginated
    (``?page=``, ``?soon_page=``) and exported (``?format=csv``, ``?list=soon&format=csv``)."""
    qs = _filings(request)
    overdue = overdue_filings(qs).order_by("due_date", "replace_date", "pk")
    soon = qs.filter(withdrawn_on__isnull=True, status="due_soon").order_by(
        "due_date", "replace_date", "pk"
    )
    for name, rows in (("", overdue), ("soon", soon)):
        exported = lists.export_response(
            request, rows, FILING_COLUMNS, "overdue" if not name else "due-soon", name=name
        )
        if exported is not None:
            return exported
    overdue_list = lists.paginate(request, overdue, definition=OVERDUE_DEFINITION)
    soon_list = lists.paginate(request, soon, name="soon", definition=DUE_SOON_DEFINITION)
    return render(
        request,
        "supervision/due.html",
        {
            "overdue": overdue_list,
            "soon": soon_list,
            "n_overdue": overdue_list.count,
            "n_soon": soon_list.count,
            "overdue_definition": OVERDUE_DEFINITION,
        },
    )


@login_required
def notifications(request):
    """My notifications (in the page's language) and my notification settings."""
    prefs = settings_of(request.user)
    form = NotificationSettingsForm(
        request.POST if request.POST.get("action") == "settings" else None,
        initial={"language": prefs.language, "email": prefs.email},
    )
    if request.method == "POST":
        if request.POST.get("action") != "settings":
            Notification.objects.filter(recipient=request.user, read_at__isnull=True).update(
                read_at=timezone.now()
            )
            return redirect("supervision:notifications")
        if form.is_valid():
            with transaction.atomic():
                NotificationSettings.objects.update_or_create(
                    user=request.user, defaults=form.cleaned_data
                )
            messages.success(request, _("已保存通知设置"))
            return redirect("supervision:notifications")
    qs = (
        Notification.objects.filter(recipient=request.user)
        .select_related("filing__instrument")
        .order_by("-created_at", "-pk")
    )
    columns = (
        Column(gettext_lazy("时间"), lambda n: n.created_at),
        Column(gettext_lazy("类型"), lambda n: n.get_kind_display()),
        Column(gettext_lazy("器具识别编码"), lambda n: n.filing.instrument.lifetime_id),
        Column(gettext_lazy("内容"), lambda n: n.text),
        Column(gettext_lazy("已读"), lambda n: n.read_at is not None),
    )
    if (exported := lists.export_response(request, qs, columns, "notifications")) is not None:
        return exported
    listing = lists.paginate(request, qs)
    return render(
        request,
        "supervision/notifications.html",
        {"notes": listing.page.object_list, "listing": listing, "settings_form": form},
    )


@login_required
def dashboard(request):
    """Regulator dashboard: coverage by county, by item, overdue trend, risk list (ECharts)."""
    prefix = reads_region(request.user)
    if prefix is None:
        raise PermissionDenied
    report = coverage(prefix)
    names = dict(Region.objects.values_list("code", "name"))
    data = {
        "regions": [
            {
                "name": names.get(g.key, g.key),
                "total": g.total,
                "on_time": g.on_time,
                "share": round(100 * g.share, 1),
            }
            for g in report.groups["region"]
        ],
        "items": [
            {
                "name": category_label(g.key),  # in the page's language
                "total": g.total,
                "share": round(100 * g.share, 1),
            }
            for g in report.groups["item_code"]
        ],
        "trend": trend(prefix),
        "capability": [
            {"name": names.get(c.region, c.region), "share": round(100 * c.share, 1)}
            for c in report.capability
        ],
    }
    return render(
        request,
        "supervision/dashboard.html",
        {
            "report": report,
            "data": data,
            "risks": risk_list(prefix, limit=20),
            "uses": report.groups["use"],
            "use_names": dict(Instrument.Use.choices),
            # the one "overdue" (home card, registry filter, due list) beside the coverage's
            # "not on time", each with its definition: they count different sets
            "overdue": overdue_instruments(
                readable(request.user, Instrument).filter(region__code__startswith=prefix)
            ).count(),
            "prefix": prefix,
            "overdue_definition": OVERDUE_DEFINITION,
            "coverage_definition": NOT_ON_TIME_DEFINITION,
        },
    )


@login_required
def labels_pdf(request):
    """A4 sheet of QR labels for the instruments the user may read (own organisation's)."""
    qs = readable(request.user, Instrument).filter(status=Instrument.Status.IN_USE)
    if ids := request.GET.get("ids"):
        # ids past 2⁶³ do not fit a database integer (OverflowError): no record has them
        wanted = [int(x) for x in ids.split(",")[:480] if x.isdecimal() and len(x) < 19]
        qs = qs.filter(pk__in=wanted)
    pdf = label_sheet(list(qs.order_by("lifetime_id")[:480]))
    resp = HttpResponse(pdf, content_type="application/pdf")
    resp["Content-Disposition"] = 'inline; filename="jiliang-labels.pdf"'
    return resp


# ------------------------------------------------------------------------- public


def _client_hash(request) -> str:
    ip = request.META.get("REMOTE_ADDR", "")
    return hashlib.sha256(f"{settings.SECRET_KEY}|{ip}".encode()).hexdigest()


def scan(request, uuid):
    """Public scan-to-verify page with the complaint form (no login, no private data)."""
    status = public_status(uuid)
    inst = instrument_by_uuid(uuid)
    form = ComplaintForm(request.POST or None)
    sent = False
    if request.method == "POST":
        client = _client_hash(request)
        recent = Complaint.objects.filter(
            client_hash=client, created_at__gte=timezone.now() - timedelta(hours=1)
        ).count()
        if recent >= COMPLAINTS_PER_HOUR:
            form.add_error(None, _("提交过于频繁，请稍后再试"))
        elif form.is_valid():
            c = form.save(commit=False)
            c.instrument, c.client_hash = inst, client
            with transaction.atomic(), acting_as(None, "public complaint"):
                c.save()
            sent = True
            form = ComplaintForm()
    code = 429 if form.non_field_errors() and request.method == "POST" else 200
    if request.method == "POST" and not sent and code == 200:
        code = 400
    return render(
        request,
        "supervision/scan.html",
        {"s": status, "form": form, "sent": sent, "statuses": dict(Filing.Status.choices)},
        status=code,
    )


# ------------------------------------------------------------------------- draws


#: the draw list's columns (public: what the page shows, the commitment in full)
DRAW_COLUMNS = (
    Column(gettext_lazy("名称"), lambda d: d.title),
    Column(gettext_lazy("区划"), lambda d: d.region.name),
    Column(gettext_lazy("阶段"), lambda d: d.get_stage_display()),
    Column(gettext_lazy("种子承诺 SHA-256"), lambda d: d.commitment),
    Column(gettext_lazy("承诺时间"), lambda d: d.created_at),
)


def draw_list(request):
    draws = Draw.objects.select_related("region").order_by("-created_at", "-pk")
    if (exported := lists.export_response(request, draws, DRAW_COLUMNS, "draws")) is not None:
        return exported
    listing = lists.paginate(request, draws)
    can = supervisor_prefix(request.user) is not None
    return render(
        request,
        "supervision/draws.html",
        {"draws": listing.page.object_list, "listing": listing, "can_create": can},
    )


def draw_detail(request, pk: int):
    d = get_object_or_404(Draw.objects.select_related("region"), pk=pk)
    can = draw_svc.may_operate(request.user, d)
    # before the reveal the selections, their digest and the results against them are the
    # operator's alone (draws.may_see_selections); the rest of the page is public
    shown = can or draw_svc.may_see_selections(request.user, d)
    form = ResultForm(request.POST or None) if can else None
    if request.method == "POST":
        if not can:
            raise PermissionDenied
        action = request.POST.get("action")
        try:
            with acting_as(request.user):
                if action == "run":
                    draw_svc.run(d)
                elif action == "reveal":
                    draw_svc.reveal(d)
                elif action == "result" and form.is_valid():
                    drawn = {(s["item_id"], s["object_id"]) for s in draw_svc.selections(d)}
                    r = form.cleaned_data
                    if (r["item_id"], r["object_id"]) not in drawn:
                        form.add_error("object_id", _("不是本次抽中的对象"))
                    else:
                        draw_svc.record_result(
                            request.user, d, r["item_id"], r["object_id"], r["outcome"], r["notes"]
                        )
                if not form or not form.errors:
                    return redirect("supervision:draw", pk=d.pk)
        except (DrawRefused, draw_svc.DrawError) as exc:
            messages.error(request, str(exc))
            return redirect("supervision:draw", pk=d.pk)
    chosen = draw_svc.selections(d) if shown else []
    names = dict(
        Organisation.objects.filter(code__in=[s["object_id"] for s in chosen]).values_list(
            "code", "name"
        )
    )
    results = {(r.item_id, r.object_id): r for r in d.results.all()} if shown else {}
    leaves = draw_log.leaves(d)
    rows = [
        {
            **s,
            "name": names.get(s["object_id"], ""),
            "result": results.get((s["item_id"], s["object_id"])),
        }
        for s in chosen
    ]
    return render(
        request,
        "supervision/draw.html",
        {
            "d": d,
            "rows": rows,
            "can": can,
            "shown": shown,
            "form": form,
            "leaves": leaves,
            "publication": draw_svc.publication(d),
        },
    )


def draw_json(request, pk: int):
    """The draw record (``jiliang draw verify`` input) with its transparency-log leaves."""
    d = get_object_or_404(Draw.objects.select_related("region"), pk=pk)
    record = {**draw_svc.published(d, request.user), "ledger": draw_log.leaves(d)}
    resp = JsonResponse(record, json_dumps_params={"ensure_ascii": False})
    resp["Content-Disposition"] = f'attachment; filename="draw-{d.pk}.json"'
    return resp


@login_required
def draw_new(request):
    prefix = supervisor_prefix(request.user)
    if prefix is None:
        raise PermissionDenied
    regions = Region.objects.filter(code__startswith=prefix)
    form = DrawForm(request.POST or None)
    region_code = request.POST.get("region", "")
    if request.method == "POST" and form.is_valid():
        region = regions.filter(code=region_code).first()
        if region is None:
            form.add_error(None, _("请选择您辖区内的区划"))
        else:
            d = form.cleaned_data
            try:
                pools = draw_svc.build_pools(
                    region, d["items"], d["inspectors_per_object"], d["weight_by_risk"]
                )
            except draw_svc.DrawError as exc:
                form.add_error("items" if exc.field == "items" else None, str(exc))
            else:
                with acting_as(request.user):
                    draw = draw_svc.commit(request.user, d["title"], region, pools)
                return redirect("supervision:draw", pk=draw.pk)
    return render(
        request,
        "supervision/draw_new.html",
        {"form": form, "regions": regions, "region_code": region_code},
    )


# ------------------------------------------------------------------------- prepackaged, credit


def _inspector_prefix(user):
    return supervisor_prefix(user, (Role.REGULATOR, Role.INSPECTOR))


@login_required
def inspections(request):
    qs = (
        readable(request.user, PrepackagedInspection)
        .select_related("organisation")
        .order_by("-inspected_on", "-pk")
    )
    columns = (
        Column(gettext_lazy("检验日期"), lambda p: p.inspected_on),
        Column(gettext_lazy("受检单位"), lambda p: p.organisation.name),
        Column(gettext_lazy("商品名称"), lambda p: p.product),
        Column("Qn", lambda p: p.nominal),
        Column(gettext_lazy("结论"), lambda p: _("合格") if p.passed else _("不合格")),
    )
    if request.method != "POST":
        exported = lists.export_response(request, qs, columns, "prepackaged")
        if exported is not None:
            return exported
    listing = lists.paginate(request, qs)
    prefix = _inspector_prefix(request.user)
    form = InspectionForm(request.POST or None) if prefix is not None else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            d = form.cleaned_data
            org = Organisation.objects.filter(code=d["organisation_code"]).first()
            if org is None:
                form.add_error("organisation_code", _("未知单位"))
            elif not org.region.code.startswith(prefix):
                raise PermissionDenied
            else:
                try:
                    p = record_inspection(
                        request.user,
                        org,
                        product=d["product"],
                        nominal=d["nominal"],
                        kind=d["kind"],
                        lot_size=d["lot_size"],
                        units=d["units_text"],
                        inspected_on=d["inspected_on"],
                        gross=d["gross"],
                        tare=d["tare"],
                    )
                except InspectionError as exc:
                    for field, msg in exc.errors.items():
                        form.add_error(
                            "units_text"
                            if field == "units"
                            else (field if field in form.fields else None),
                            msg,
                        )
                else:
                    return redirect("supervision:inspection", pk=p.pk)
    return render(
        request,
        "supervision/inspections.html",
        {"rows": listing.page.object_list, "listing": listing, "form": form},
    )


@login_required
def inspection_report(request, pk: int):
    qs = readable(request.user, PrepackagedInspection).select_related("organisation")
    p = get_object_or_404(qs, pk=pk)
    return render(request, "supervision/inspection.html", {"p": p, "reasons": reason_sentences(p)})


@login_required
def credit_list(request):
    prefix = reads_region(request.user)
    if prefix is None:
        raise PermissionDenied
    orgs = Organisation.objects.filter(region__code__startswith=prefix, kind="enterprise").order_by(
        "name", "pk"
    )
    columns = (
        Column(gettext_lazy("单位"), lambda r: r[0].name),
        Column(gettext_lazy("统一社会信用代码"), lambda r: r[0].code),
        Column(gettext_lazy("等级"), lambda r: r[1]),
        Column(gettext_lazy("严重违法失信名单"), lambda r: _("有列入记录") if r[2] else "—"),
    )
    exported = lists.export_response(request, lambda: _credit_rows_chunked(orgs), columns, "credit")
    if exported is not None:
        return exported
    listing = lists.paginate(request, orgs)
    return render(
        request,
        "supervision/credit.html",
        {"rows": _credit_rows(list(listing.page.object_list)), "listing": listing},
    )


def _credit_rows(orgs: list[Organisation]) -> list[tuple[Organisation, str, bool]]:
    """(organisation, grade, ever on the serious-violation list) for a batch of organisations."""
    grades = grades_for([o.code for o in orgs])
    listed = set(
        CreditEvent.objects.filter(
            organisation__in=orgs, kind__in=credit_svc.serious_kinds()
        ).values_list("organisation_id", flat=True)
    )
    return [(o, grades[o.code], o.pk in listed) for o in orgs]


def _credit_rows_chunked(orgs, size: int = 500):
    """:func:`_credit_rows` of every organisation of ``orgs``, assessed ``size`` at a time."""
    batch: list[Organisation] = []
    for org in orgs.iterator(chunk_size=size):
        batch.append(org)
        if len(batch) == size:
            yield from _credit_rows(batch)
            batch = []
    if batch:
        yield from _credit_rows(batch)


def _credit_action(request, org: Organisation) -> dict:
    """Handle a regulator's POST on the credit page; returns the bound forms with errors."""
    action = request.POST.get("action")
    forms_by_action = {"remove": RemovalForm, "mark": MarkForm, "unmark": UnmarkForm}
    if action not in forms_by_action:
        raise PermissionDenied
    # row forms repeat on the page: no element ids (labels wrap their inputs instead)
    form = forms_by_action[action](request.POST, auto_id="id_%s" if action == "mark" else False)
    if not form.is_valid():
        return {action: form}
    d = form.cleaned_data
    try:
        if action == "remove":
            event = get_object_or_404(CreditEvent, pk=d["event"], organisation=org)
            credit_svc.remove_listing(request.user, event, d["removed_on"], d["reason"])
            messages.success(request, _("已移出严重违法失信名单"))
        elif action == "mark":
            credit_svc.mark(
                request.user,
                org,
                kind=d["kind"],
                since=d["since"],
                text=d["text"],
                reason=d["reason"],
            )
            messages.success(request, _("已列入公示"))
        else:
            m = get_object_or_404(CreditMark, pk=d["mark"], organisation=org)
            credit_svc.unmark(request.user, m, d["on"], d["reason"])
            messages.success(request, _("已撤销"))
    except credit_svc.CreditError as exc:
        _add_errors(form, exc.errors)
        return {action: form}
    return {}


@login_required
def credit_detail(request, code: str):
    org = get_object_or_404(Organisation.objects.select_related("region"), code=code)
    prefix = reads_region(request.user)
    own = getattr(getattr(request.user, "profile", None), "organisation_id", None) == org.pk
    if not own and (prefix is None or not org.region.code.startswith(prefix)):
        raise Http404
    can = credit_svc.regulates(request.user, org)
    bound = {}
    if request.method == "POST":
        if not can:
            raise PermissionDenied
        bound = _credit_action(request, org)
        if not bound:
            return redirect("supervision:credit_detail", code=org.code)
    today = timezone.localdate()
    return render(
        request,
        "supervision/credit_detail.html",
        {
            "org": org,
            "a": assess_org(code),
            "listings": credit_svc.listings_for(code),
            "marks": CreditMark.objects.filter(organisation=org),
            "can": can,
            "remove_form": bound.get("remove")
            or RemovalForm(initial={"removed_on": today}, auto_id=False),
            "mark_form": bound.get("mark") or MarkForm(initial={"since": today}),
            "unmark_form": bound.get("unmark") or UnmarkForm(initial={"on": today}, auto_id=False),
            "failed": next(iter(bound), ""),
        },
    )


def commitments(request):
    """Public list (no login) of standing self-commitments and demonstration units."""
    regions = Region.objects.exclude(level=Region.Level.COUNTY).order_by("code")
    code = request.GET.get("region", "")
    region = regions.filter(code=code).first()
    rows = credit_svc.standing_marks(prefix=region.prefix if region else None)
    marks = {
        "": rows.filter(kind=CreditMark.Kind.SELF_COMMITMENT),
        "demonstrations": rows.filter(kind=CreditMark.Kind.DEMONSTRATION),
    }
    base = (
        Column(gettext_lazy("单位"), lambda m: m.organisation.name),
        Column(gettext_lazy("统一社会信用代码"), lambda m: m.organisation.code),
        Column(gettext_lazy("区划"), lambda m: m.organisation.region.name),
        Column(gettext_lazy("起始日期"), lambda m: m.since),
    )
    columns = {
        "": (*base, Column(gettext_lazy("承诺内容"), lambda m: m.text)),
        "demonstrations": base,
    }
    for name, qs in marks.items():
        exported = lists.export_response(
            request, qs, columns[name], name or "commitments", name=name
        )
        if exported is not None:
            return exported
    commitments_list = lists.paginate(request, marks[""])
    demonstrations_list = lists.paginate(request, marks["demonstrations"], name="demonstrations")
    return render(
        request,
        "supervision/commitments.html",
        {
            "commitments": commitments_list.page.object_list,
            "demonstrations": demonstrations_list.page.object_list,
            "commitments_list": commitments_list,
            "demonstrations_list": demonstrations_list,
            "regions": regions,
            "region": region,
        },
    )


def dashboard_data(request):
    """JSON of the dashboard (for htmx refresh / external charts)."""
    prefix = reads_region(request.user)
    if prefix is None:
        raise PermissionDenied
    return JsonResponse({"trend": trend(prefix)}, json_dumps_params={"default": str})
