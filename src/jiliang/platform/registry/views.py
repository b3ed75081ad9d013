"""Server-rendered registry pages: list (filters, search, pagination), detail, create and edit.

All pages go through :func:`.permissions.readable` / :func:`.permissions.can_write`; an
out-of-scope record is a 404 (we do not reveal that it exists), an out-of-scope write a 403.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db import IntegrityError, models, transaction
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from jiliang.platform import lists
from jiliang.platform.accounts.roles import Role, role_of
from jiliang.platform.audit.context import acting_as
from jiliang.platform.audit.models import AuditEntry
from jiliang.platform.widgets import IsoDateInput

from . import display
from . import models as m
from .authority import Denied, authorise, may, settable, snapshot
from .permissions import can_read_any, can_write, readable, user_organisation_id
from .resources import BY_SLUG, NATURAL_KEYS, RESOURCES, SPECIAL_FILTERS, Resource

PAGE_SIZE = lists.PAGE_SIZE

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
    """Displayed values (choice labels, catalogue names, quantities with symbols): display.py."""
    return [display.cell(obj, name) for name in names]


#: Sections of the home page contributed by other apps (supervision figures, pending
#: verifications, certificates…), each called as ``panel(request)`` and returning rendered HTML or
#: ``None`` when it has nothing for this user's role; register in ``AppConfig.ready`` with
#: :func:`register_home_panel`. A panel shows only data its user can read, and nothing empty.
HOME_PANELS: list[Callable[[HttpRequest], str | None]] = []

#: registry models with a count card on the home page (when the user's policy reads them)
HOME_COUNTED = (
    m.Organisation,
    m.MeasurementStandard,
    m.Instrument,
    m.CalibrationEvent,
    m.ReferenceMaterial,
    m.CMC,
)


def register_home_panel(panel: Callable[[HttpRequest], str | None]) -> None:
    if panel not in HOME_PANELS:
        HOME_PANELS.append(panel)


def _own_scopes(user):
    """A lab's own accreditation/authorisation scopes, soonest expiry first (others: none)."""
    org_id = user_organisation_id(user)
    if role_of(user) is not Role.LAB_STAFF or org_id is None:
        return []
    return list(
        readable(user, m.Scope)
        .filter(organisation_id=org_id)
        .order_by("valid_to", "kind", "quantity")[:20]
    )


def home(request: HttpRequest) -> HttpResponse:
    """Each role's own home: count cards only for what its read policy shows, the overdue card
    and category table only for roles that read instruments, the apps' panels for the rest."""
    today = timezone.localdate()
    user = request.user
    counts = [
        (r, readable(user, r.model).count())
        for r in RESOURCES
        if r.model in HOME_COUNTED and can_read_any(user, r.model)
    ]
    reads_instruments = can_read_any(user, m.Instrument)
    instruments = readable(user, m.Instrument)
    by_category = (
        list(instruments.values("category").annotate(n=Count("id")).order_by("-n")[:12])
        if reads_instruments
        else []
    )
    # "overdue" has one meaning, the core schedule's, registered by the app that applies it
    special = SPECIAL_FILTERS.get(m.Instrument, {}).get("overdue")
    overdue = (
        special.apply(instruments).count() if reads_instruments and special is not None else None
    )
    return render(
        request,
        "home.html",
        {
            "counts": counts,
            "by_category": by_category,
            "overdue": overdue,
            "overdue_definition": special.definition if special is not None else "",
            "today": today,
            "scopes": _own_scopes(user),
            "panels": [html for panel in HOME_PANELS if (html := panel(request))],
        },
    )


def _export_columns(resource: Resource) -> list[lists.Column]:
    """The list's columns for CSV/XLSX: the same headers and displayed values as the page."""

    def cell(name: str):
        return lambda obj: _cells(obj, (name,))[0]

    return [lists.Column(display.header(resource.model, c), cell(c)) for c in resource.columns]


def _definition(resource: Resource, active: dict[str, str]) -> str:
    """What the count means when a special filter (e.g. overdue) is applied: its definition."""
    specials = SPECIAL_FILTERS.get(resource.model, {})
    texts = []
    for param in active:
        special = specials.get(param)
        if special is not None and special.definition:
            texts.append(f"{special.label}：{special.definition}")
    return " ".join(texts)


#: the columns ``str()`` of a related record reads (``Region.__str__``: name or name_en, and
#: code; ``Organisation.__str__``: name or name_en): a list cell showing one loads only these
#: (a model not named here is loaded whole). Keep in step with the models' ``__str__``;
#: tests/platform/test_list_page_cost.py counts a page's queries so a missed one shows.
LABEL_FIELDS: dict[type[models.Model], tuple[str, ...]] = {
    m.Region: ("code", "name", "name_en"),
    m.Organisation: ("name", "name_en"),
}


@lru_cache(maxsize=64)
def _page_fields(slug: str) -> tuple[str, ...]:
    """The columns a list page reads for ``slug`` (for ``QuerySet.only``), or ``()`` for all.

    A page shows a handful of a record's columns (7 of an instrument's 25): loading only those
    halves the cost of building its 50 model instances. A related record shown in a column
    loads the fields its ``str()`` reads (:data:`LABEL_FIELDS`), or all of them (as do the other
    ``select_related`` records); a quantity column needs
    its unit and its paired values (U beside the value, the range's other end), so a model
    whose list shows a quantity loads every quantity column too.
    """
    resource = BY_SLUG[slug]
    model = resource.model
    names = {"pk"}
    whole = {path.split("__")[0] for path in resource.select_related}
    quantities = set(getattr(model, "QUANTITY_FIELDS", ())) | set(
        getattr(model, "DELTA_FIELDS", ())
    )
    for name in resource.columns:
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            return ()  # a computed column: its inputs are not known here
        if not field.concrete or field.many_to_many:
            return ()
        names.add(name)
        if name in quantities or name in ("unit", "si_unit"):
            names |= quantities | {"unit", "si_unit"}
        label = LABEL_FIELDS.get(field.related_model) if field.many_to_one else None
        if (
            label is not None
            and name in whole
            and not any(p.startswith(f"{name}__") for p in resource.select_related)
        ):
            whole.discard(name)
            names |= {f"{name}__{f}" for f in label}
    return tuple(sorted(names | whole))


def _page_rows(resource: Resource, objects) -> list[tuple[models.Model, list]]:
    """``(record, displayed cells)`` of a page's records (what :func:`_cells` gives each).

    A cell that depends on its own field only (choice label, catalogue name, yes/no, related
    record's name) is worked out once per distinct value on the page: 50 rows share a few
    owners, regions, statuses and categories, and each label looked the page's language up
    again (``str()`` of a related record twice) — ~300 lookups a page. Quantity cells (written
    with their unit and paired values) are built per row. A related record's cell is its
    ``str()``, as the table shows it.
    """
    model = resource.model
    per_row = set(getattr(model, "QUANTITY_FIELDS", ())) | set(getattr(model, "DELTA_FIELDS", ()))
    plan: list[tuple[str, str | None]] = []
    for name in resource.columns:
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            plan.append((name, None))
            continue
        own = field.concrete and not field.many_to_many and name not in per_row
        plan.append((name, field.attname if own and name not in ("unit", "si_unit") else None))
    memo: dict[tuple[str, object], object] = {}
    rows = []
    for obj in objects:
        cells = []
        for name, attname in plan:
            if attname is None:
                cells.append(display.cell(obj, name))
                continue
            key = (name, getattr(obj, attname))
            try:
                value = memo[key]
            except KeyError:
                value = display.cell(obj, name)
                if isinstance(value, models.Model):
                    value = str(value)
                memo[key] = value
            except TypeError:  # an unhashable value (JSON): no reuse
                value = display.cell(obj, name)
            cells.append(value)
        rows.append((obj, cells))
    return rows


def _header_html(resource: Resource) -> SafeString:
    """The ``<th>`` cells of a list's header row (escaped)."""
    return mark_safe(
        "".join(
            "<th>" + lists.escape_cell(display.header(resource.model, c)) + "</th>"
            for c in resource.columns
        )
    )


def _filters_html(filters: list[dict]) -> SafeString:
    """The filter widgets of a list's form: a ``<select>`` for choices (the current value
    selected), a text box otherwise. Built in Python like the rows (a template loop over every
    option of every filter cost ~1 ms a page); every value and label is escaped."""
    esc = lists.escape_cell
    out = []
    for f in filters:
        name, current = esc(f["name"]), f["value"]
        if f["choices"]:
            options = ['<option value="">—</option>']
            for value, label in f["choices"]:
                selected = " selected" if str(value) == current else ""
                options.append(f'<option value="{esc(value)}"{selected}>{esc(label)}</option>')
            widget = f'<select name="{name}">{"".join(options)}</select>'
        else:
            widget = f'<input name="{name}" value="{esc(current)}">'
        out.append(f"<label>{esc(f['label'])}\n    {widget}\n  </label>")
    return mark_safe("\n  ".join(out))


def resource_list(request: HttpRequest, slug: str) -> HttpResponse:
    resource = _resource(slug)
    qs, active, term = _filtered(request, resource)
    exported = lists.export_response(request, qs, _export_columns(resource), resource.slug)
    if exported is not None:
        return exported
    fields = _page_fields(resource.slug)
    listing = lists.paginate(
        request,
        qs.only(*fields) if fields else qs,
        per_page=PAGE_SIZE,
        definition=_definition(resource, active),
        reuse_count=True,  # a regulator's 20 000 instruments: COUNT(*) was the largest query
    )
    page = listing.page
    rows = _page_rows(resource, page.object_list)
    # one reverse() for the page, not one per row: the detail URL differs only in the pk
    marker = 987654321
    link = reverse("registry:detail", args=(resource.slug, marker))
    body = lists.table_body(
        [(link.replace(str(marker), str(obj.pk)), cells) for obj, cells in rows],
        columns=len(resource.columns),
        empty=_("没有记录"),
    )
    filters = _filter_choices(resource, request.GET)
    return render(
        request,
        "registry/list.html",
        {
            "resource": resource,
            "headers": [display.header(resource.model, c) for c in resource.columns],
            "header_html": _header_html(resource),
            "rows": rows,
            "table_body": body,
            "page": page,
            "listing": listing,
            "filters": filters,
            "filters_html": _filters_html(filters),
            "active": active,
            "q": term,
            "querystring": listing.querystring,
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
    # paged, not cut at 100 (older changes were unreachable), and without the before/after
    # snapshots the table does not show: a record edited 10⁴ times stays one fast page
    history_listing = lists.paginate(
        request,
        AuditEntry.objects.filter(model=obj._meta.label_lower, object_id=str(obj.pk)).defer(
            "before", "after"
        ),
        name="history",
        per_page=50,
    )
    return render(
        request,
        "registry/detail.html",
        {
            "resource": resource,
            "obj": obj,
            "fields": fields,
            "related": related,
            "history": history_listing.page.object_list,
            "history_listing": history_listing,
            "can_edit": can_write(request.user, obj),
            "panels": [html for panel in DETAIL_PANELS if (html := panel(request, obj))],
        },
    )


def _detail_fields(obj: models.Model) -> list[tuple[str, object]]:
    """Label/value rows; quantities as symbols with GUM 7.2.6 digits (display.py)."""
    return display.detail_rows(obj)


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
