"""Server-rendered registry pages: list (filters, search, pagination), detail, create and edit.

All pages go through :func:`.permissions.readable` / :func:`.permissions.can_write`; an
out-of-scope record is a 404 (we do not reveal that it exists), an out-of-scope write a 403.
"""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import IntegrityError, models, transaction
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from jiliang.platform.audit.context import acting_as
from jiliang.platform.audit.models import AuditEntry
from jiliang.platform.widgets import IsoDateInput

from . import models as m
from .authority import Denied, authorise, may, settable, snapshot
from .permissions import can_write, readable
from .resources import BY_SLUG, NATURAL_KEYS, RESOURCES, SPECIAL_FILTERS, Resource

PAGE_SIZE = 50

#: Extra sections on a record's detail page, contributed by other apps (traceability chain,
#: certificates, supervision status…). Each is called as ``panel(request, obj)`` and returns
#: rendered HTML or ``None``; register in ``AppConfig.ready`` with :func:`register_detail_panel`.
DETAIL_PANELS: list[Callable[[HttpRequest, models.Model], str | None]] = []


def register_detail_panel(panel: Callable[[HttpRequest, models.Model], str | None]) -> None:
    if panel not in DETAIL_PANELS:
        DETAIL_PANELS.append(panel)


def _resource(slug: str) -> Resource:
    try:
        return BY_SLUG[slug]
    except KeyError:
        raise Http404(slug) from None


def _filtered(request: HttpRequest, resource: Resource):
    qs = readable(request.user, resource.model).select_related(*resource.select_related)
    try:
        qs, active, term = resource.filter(qs, request.GET)
    except LookupError as exc:
        raise Http404(str(exc)) from None
    return qs, active, term


def _filter_choices(resource: Resource, params) -> list[dict]:
    """Filter widgets with their current values: a select for choices, a text box otherwise."""
    yes_no = [("true", _("是")), ("false", _("否"))]
    out = []
    for param, lookup in resource.filters.items():
        field = resource.model._meta.get_field(lookup.split("__")[0])
        choices = list(field.choices or [])
        if isinstance(field, models.BooleanField) and "__" not in lookup:
            choices = yes_no
        out.append(
            {
                "name": param,
                "label": field.verbose_name,
                "choices": choices,
                "value": params.get(param, ""),
            }
        )
    for param in resource.special:
        special = SPECIAL_FILTERS.get(resource.model, {}).get(param)
        if special is not None:
            out.append(
                {
                    "name": param,
                    "label": special.label,
                    "choices": yes_no,
                    "value": params.get(param, ""),
                }
            )
    return out


def _cells(obj: models.Model, names: tuple[str, ...]) -> list:
    cells = []
    for name in names:
        field = obj._meta.get_field(name)
        if field.choices:
            cells.append(getattr(obj, f"get_{name}_display")())
        elif isinstance(field, models.BooleanField):
            cells.append("✔" if getattr(obj, name) else "—")
        else:
            value = getattr(obj, name)
            cells.append("" if value is None else value)
    return cells


def home(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    counts = [
        (r, readable(request.user, r.model).count())
        for r in RESOURCES
        if r.model
        in (
            m.Organisation,
            m.MeasurementStandard,
            m.Instrument,
            m.CalibrationEvent,
            m.ReferenceMaterial,
            m.CMC,
        )
    ]
    instruments = readable(request.user, m.Instrument)
    by_category = (
        instruments.values("category").annotate(n=Count("id")).order_by("-n")[:12]
        if request.user.is_authenticated
        else []
    )
    # "overdue" has one meaning, the core schedule's, registered by the app that applies it
    special = SPECIAL_FILTERS.get(m.Instrument, {}).get("overdue")
    overdue = (
        special.apply(readable(request.user, m.Instrument)).count()
        if request.user.is_authenticated and special is not None
        else None
    )
    return render(
        request,
        "home.html",
        {"counts": counts, "by_category": list(by_category), "overdue": overdue, "today": today},
    )


def resource_list(request: HttpRequest, slug: str) -> HttpResponse:
    resource = _resource(slug)
    qs, active, term = _filtered(request, resource)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(obj, _cells(obj, resource.columns)) for obj in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "registry/list.html",
        {
            "resource": resource,
            "headers": [resource.model._meta.get_field(c).verbose_name for c in resource.columns],
            "rows": rows,
            "page": page,
            "filters": _filter_choices(resource, request.GET),
            "active": active,
            "q": term,
            "querystring": query.urlencode(),
            "can_create": bool(settable(request.user, resource.model)),
        },
    )


def resource_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    resource = _resource(slug)
    obj = get_object_or_404(readable(request.user, resource.model), pk=pk)
    fields = _detail_fields(obj)
    related = []
    if isinstance(obj, m.Instrument | m.MeasurementStandard):
        events = (
            readable(request.user, m.CalibrationEvent)
            .filter(**{"instrument" if isinstance(obj, m.Instrument) else "standard": obj})
            .select_related("performed_by")
        )
        related.append((_("检定/校准记录"), BY_SLUG["calibrations"], events[:50]))
    if isinstance(obj, m.CalibrationEvent):
        related.append((_("所用计量标准"), BY_SLUG["standards"], obj.standards_used.all()))
    if isinstance(obj, m.Organisation):
        related.append((_("能力范围"), BY_SLUG["scopes"], obj.scopes.all()[:50]))
        related.append((_("计量标准"), BY_SLUG["standards"], obj.standards.all()[:50]))
    history = AuditEntry.objects.filter(model=obj._meta.label_lower, object_id=str(obj.pk))[:100]
    return render(
        request,
        "registry/detail.html",
        {
            "resource": resource,
            "obj": obj,
            "fields": fields,
            "related": related,
            "history": history,
            "can_edit": can_write(request.user, obj),
            "panels": [html for panel in DETAIL_PANELS if (html := panel(request, obj))],
        },
    )


def _detail_fields(obj: models.Model) -> list[tuple[str, object]]:
    """Label/value rows; quantities show their unit as entered and their SI value beside it."""
    quantity_fields = set(getattr(obj, "QUANTITY_FIELDS", ())) | set(
        getattr(obj, "DELTA_FIELDS", ())
    )
    rows = []
    for f in obj._meta.concrete_fields:
        if f.name in ("id", "unit", "si_unit") or f.name.endswith("_si"):
            continue
        value = _cells(obj, (f.name,))[0]
        if f.name in quantity_fields and value != "":
            si_value = getattr(obj, f"{f.name}_si")
            value = f"{value} {obj.unit}  (SI: {si_value:.6g} {obj.si_unit})"
        rows.append((f.verbose_name, value))
    return rows


class NaturalKeyField(forms.CharField):
    """A foreign key typed as its natural key (region code, lifetime ID, …), not a huge select."""

    def __init__(self, model: type[models.Model], **kwargs):
        self.model = model
        self.key = NATURAL_KEYS.get(model, "pk")
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, models.Model):
            return getattr(value, self.key)
        if isinstance(value, int) and self.key != "pk":
            obj = self.model._default_manager.filter(pk=value).first()
            return getattr(obj, self.key) if obj else value
        return value

    def clean(self, value):
        value = super().clean(value)
        if value in (None, ""):
            return None
        obj = self.model._default_manager.filter(**{self.key: value}).first()
        if obj is None:
            raise forms.ValidationError(
                _("未找到%(model)s “%(key)s”")
                % {"model": self.model._meta.verbose_name, "key": value}
            )
        return obj


def _form_class(resource: Resource, fields: list[str]) -> type[forms.ModelForm]:
    """A model form with ``fields`` only: the ones the authority model lets this user set."""

    def callback(field: models.Field, **kwargs):
        if isinstance(field, models.ForeignKey):
            return NaturalKeyField(
                field.related_model, label=field.verbose_name, required=not field.blank
            )
        if isinstance(field, models.ManyToManyField):
            return None
        if isinstance(field, models.DateField):
            kwargs["widget"] = IsoDateInput()
        return field.formfield(**kwargs)

    fields = [
        f
        for f in fields
        if not isinstance(resource.model._meta.get_field(f), models.ManyToManyField)
    ]
    return forms.modelform_factory(resource.model, fields=fields, formfield_callback=callback)


@login_required
def resource_edit(request: HttpRequest, slug: str, pk: int | None = None) -> HttpResponse:
    """Create or edit a record; the form holds only the fields the user may set, and the save
    goes through :func:`.authority.authorise` like every other write."""
    resource = _resource(slug)
    obj = None
    if pk is not None:
        obj = get_object_or_404(readable(request.user, resource.model), pk=pk)
        if not may(request.user, obj, "update"):
            raise PermissionDenied(_("您无权修改此记录"))
    allowed = [f for f in settable(request.user, resource.model, obj) if f in resource.fields]
    if not allowed:
        raise PermissionDenied(_("您无权新建此类记录"))
    posted_forbidden = [f for f in resource.fields if f in request.POST and f not in allowed]
    if posted_forbidden:
        raise PermissionDenied(
            _("您无权设置字段：%(fields)s") % {"fields": ", ".join(posted_forbidden)}
        )
    before = snapshot(obj) if obj is not None else None
    form = _form_class(resource, allowed)(request.POST or None, instance=obj)
    status = 400 if request.method == "POST" else 200
    if request.method == "POST" and form.is_valid():
        candidate = form.save(commit=False)
        try:
            if before is None:
                authorise(request.user, candidate, "create", fields=form.changed_data)
            else:
                authorise(request.user, candidate, "update", before=before)
        except Denied as exc:
            status = 403
            for name, message in exc.errors.items():
                form.add_error(name if name in form.fields else None, message)
        else:
            try:
                with (
                    transaction.atomic(),
                    acting_as(request.user, request.POST.get("change_reason", "")),
                ):
                    candidate.save()
            except IntegrityError:
                form.add_error(None, _("与已有记录冲突（编号或代码重复）"))
            else:
                return redirect("registry:detail", slug=slug, pk=candidate.pk)
    return render(
        request,
        "registry/form.html",
        {"resource": resource, "form": form, "obj": obj},
        status=status,
    )
