"""REST API of the registry, generated from :mod:`.resources`.

Per resource: ``GET /<slug>`` (filters, ``q`` search, ``limit``/``offset`` pagination),
``GET /<slug>/{id}``, ``POST /<slug>``, ``PATCH /<slug>/{id}``, ``DELETE /<slug>/{id}``, plus
``GET /<slug>/{id}/history`` (audit trail, newest first, ``limit`` ≤ 500 from ``offset``).
Writes run in one transaction, are validated by the model's ``full_clean`` (field-named 422
errors), and are attributed in the audit trail.
"""

import datetime as dt
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import AfterValidator, ConfigDict, Field, create_model

from jiliang.platform.audit.context import acting_as
from jiliang.platform.audit.models import AuditEntry
from jiliang.platform.audit.schemas import AuditEntryOut
from jiliang.platform.common.errors import FieldErrors
from jiliang.platform.common.paging import MAX_LIMIT
from jiliang.platform.common.requests import change_reason as _reason
from jiliang.platform.common.requests import current_user as _current_user

from .authority import authorise, changed_fields, check_facts, may, snapshot
from .permissions import readable
from .resources import NATURAL_KEYS, RESOURCES, Resource

router = Router(tags=["registry"])

__all__ = ["MAX_LIMIT", "FieldErrors", "router"]  # FieldErrors: re-exported for older imports


class HistoryPage(Schema):
    """Paging of ``GET /<slug>/{id}/history`` (newest entry first)."""

    limit: int = Field(100, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=10**9)


def _python_type(field: models.Field) -> Any:
    if isinstance(field, models.ManyToManyField):
        return list[str]
    if isinstance(field, models.ForeignKey):
        return int if NATURAL_KEYS.get(field.related_model) == "id" else str
    if isinstance(field, models.BooleanField):
        return bool
    if isinstance(field, models.FloatField | models.DecimalField):
        return float
    if isinstance(field, models.DateField):
        return dt.date
    if isinstance(field, models.IntegerField):
        return int
    return str


def _required(field: models.Field) -> bool:
    return not (
        field.null
        or field.blank
        or field.has_default()
        or isinstance(field, models.ManyToManyField)
    )


class _StrictSchema(Schema):
    """Input schema base: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


def _input_schema(resource: Resource, partial: bool) -> type[Schema]:
    spec = {}
    for name in resource.fields:
        field = resource.model._meta.get_field(name)
        typ = _python_type(field)
        desc = str(field.verbose_name)
        if _required(field) and not partial:
            spec[name] = (typ, Field(..., description=desc))
        else:
            spec[name] = (typ | None, Field(None, description=desc))
    suffix = "Patch" if partial else "In"
    return create_model(f"{resource.model.__name__}{suffix}", __base__=_StrictSchema, **spec)


def _output_schema(resource: Resource) -> type[Schema]:
    spec: dict[str, Any] = {"id": (int, ...)}
    for name in resource.fields:
        field = resource.model._meta.get_field(name)
        spec[name] = (_python_type(field) | None, None)
    for extra in _computed_fields(resource):
        spec[extra] = (Any, None)
    return create_model(f"{resource.model.__name__}Out", __base__=Schema, **spec)


def _computed_fields(resource: Resource) -> list[str]:
    names = [f.name for f in resource.model._meta.concrete_fields if not f.editable]
    return [n for n in names if n != "id"]


def _natural(obj: models.Model | None) -> Any:
    if obj is None:
        return None
    return getattr(obj, NATURAL_KEYS.get(type(obj), "pk"))


def serialize(obj: models.Model, resource: Resource) -> dict[str, Any]:
    """Plain dict of a record for the API: foreign keys as natural keys."""
    out: dict[str, Any] = {"id": obj.pk}
    for name in resource.fields:
        field = obj._meta.get_field(name)
        if isinstance(field, models.ManyToManyField):
            out[name] = [_natural(o) for o in getattr(obj, name).all()]
        elif isinstance(field, models.ForeignKey):
            out[name] = _natural(getattr(obj, name))
        else:
            out[name] = getattr(obj, name)
    for name in _computed_fields(resource):
        value = getattr(obj, name)
        out[name] = str(value) if not isinstance(value, int | float | str | type(None)) else value
    return out


def _lookup(model: type[models.Model], field_name: str, key: Any) -> models.Model:
    natural = NATURAL_KEYS.get(model, "pk")
    try:
        return model._default_manager.get(**{natural: key})
    except (model.DoesNotExist, ValueError, TypeError):
        raise FieldErrors(
            {field_name: [f"unknown {model._meta.verbose_name} {key!r} ({natural})"]}
        ) from None


def apply_input(obj: models.Model, data: dict[str, Any]) -> dict[str, list[models.Model]]:
    """Set fields on ``obj`` from API data; returns many-to-many values to set after saving."""
    m2m: dict[str, list[models.Model]] = {}
    for name, value in data.items():
        field = obj._meta.get_field(name)
        if isinstance(field, models.ManyToManyField):
            m2m[name] = [_lookup(field.related_model, name, key) for key in value or []]
        elif isinstance(field, models.ForeignKey):
            setattr(obj, name, None if value is None else _lookup(field.related_model, name, value))
        elif value is None and not field.null:
            if isinstance(field, models.CharField):
                setattr(obj, name, "")
            elif field.has_default():
                setattr(obj, name, field.get_default())
            else:
                raise FieldErrors({name: ["this field may not be null"]})
        else:
            setattr(obj, name, value)
    return m2m


def _non_finite(obj: models.Model) -> dict[str, list[str]]:
    """Float fields holding ±Infinity or NaN (JSON ``Infinity``/``NaN`` parse as floats)."""
    errors: dict[str, list[str]] = {}
    for field in obj._meta.concrete_fields:
        if isinstance(field, models.FloatField | models.DecimalField):
            value = getattr(obj, field.attname)
            if isinstance(value, float) and (value != value or abs(value) == float("inf")):
                errors[field.name] = [f"must be a finite number, not {value}"]
    return errors


def _conflicting_fields(obj: models.Model) -> list[str]:
    """Unique fields (or unique-together sets) of ``obj`` already taken by another record."""
    model = type(obj)
    others = model._default_manager.exclude(pk=obj.pk) if obj.pk else model._default_manager.all()
    sets: list[tuple[str, ...]] = [
        (f.name,) for f in model._meta.concrete_fields if f.unique and not f.primary_key
    ]
    sets += [tuple(u) for u in model._meta.unique_together]
    sets += [
        tuple(c.fields)
        for c in model._meta.constraints
        if isinstance(c, models.UniqueConstraint) and c.fields and c.condition is None
    ]
    taken = []
    for names in sets:
        attnames = [model._meta.get_field(n).attname for n in names]
        lookup = {a: getattr(obj, a) for a in attnames}
        if None not in lookup.values() and others.filter(**lookup).exists():
            taken.append("+".join(names))
    return taken


def save_validated(obj: models.Model, m2m: dict[str, list[models.Model]], user, reason: str):
    """``full_clean`` then save in one transaction, attributed to ``user`` in the audit trail.

    Non-finite floats are a field-named 422 (they would be stored, or break the database);
    a unique conflict is a 409 naming the field when it can be told, never the SQL error text.
    """
    non_finite = _non_finite(obj)
    if non_finite:
        raise FieldErrors(non_finite)
    try:
        obj.full_clean()
    except ValidationError as exc:
        raise FieldErrors({k: [str(m) for m in v] for k, v in exc.message_dict.items()}) from None
    check_facts(obj)
    try:
        with transaction.atomic(), acting_as(user, reason):
            obj.save()
            for name, values in m2m.items():
                getattr(obj, name).set(values)
    except IntegrityError:
        # the driver's message names tables, columns and constraints: not for API clients
        taken = _conflicting_fields(obj)
        if taken:
            raise HttpError(409, f"conflicts with an existing record: {', '.join(taken)}") from None
        raise HttpError(409, "conflicts with an existing or referenced record") from None


def _iso_date_text(value: str | None) -> str | None:
    """Keep a date filter a string (as the pages pass it) but refuse what the ORM would crash on."""
    if value is None or not value.strip():
        return value
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError("must be a date YYYY-MM-DD") from None
    if not dt.date(1900, 1, 1) <= day <= dt.date(2199, 12, 31):
        raise ValueError("date must lie between 1900-01-01 and 2199-12-31")
    return value


def _filter_param(model: type[models.Model], lookup: str) -> tuple[Any, Any]:
    """Query-parameter type of a list filter: dates are checked (a bad one was a 500)."""
    for part in lookup.split("__"):
        try:
            field = model._meta.get_field(part)
        except Exception:  # a lookup such as ``gte`` or ``startswith``: the field is found
            break
        if field.is_relation and field.related_model is not None:
            model = field.related_model
    if isinstance(field, models.DateField):
        return (Annotated[str | None, AfterValidator(_iso_date_text)], Field(None))
    return (str | None, None)


def _register(resource: Resource) -> None:
    model = resource.model
    slug = resource.slug
    out_schema = _output_schema(resource)
    in_schema = _input_schema(resource, partial=False)
    patch_schema = _input_schema(resource, partial=True)
    filter_spec = {
        name: _filter_param(resource.model, lookup) for name, lookup in resource.filters.items()
    }
    for name in resource.special:  # yes/no filters whose meaning another app owns
        filter_spec[name] = (str | None, Field(None, description=f"{name}: true or false"))
    filter_spec["q"] = (
        str | None,
        Field(None, description="search: " + ", ".join(resource.search)),
    )
    filter_spec["limit"] = (int, Field(50, ge=1, le=MAX_LIMIT))
    # bounded (10⁹ is beyond any registry): an offset past SQLite's 64-bit integers crashed
    filter_spec["offset"] = (int, Field(0, ge=0, le=10**9))
    filter_schema = create_model(f"{model.__name__}Filters", __base__=Schema, **filter_spec)
    page_schema = create_model(
        f"{model.__name__}Page",
        __base__=Schema,
        count=(int, ...),
        limit=(int, ...),
        offset=(int, ...),
        items=(list[out_schema], ...),
    )
    name = model.__name__.lower()

    def get_object(request, pk: int) -> models.Model:
        obj = readable(_current_user(request), model).filter(pk=pk).first()
        if obj is None:
            raise HttpError(404, f"{model._meta.verbose_name} {pk} not found")
        return obj

    @router.get(
        f"/{slug}",
        response=page_schema,
        operation_id=f"list_{name}",
        summary=f"List {resource.slug}",
    )
    def list_items(request, filters: Query[filter_schema]):  # type: ignore[valid-type]
        qs = readable(_current_user(request), model).select_related(*resource.select_related)
        params = filters.dict()
        try:
            qs, _active, _term = resource.filter(qs, params)
        except LookupError as exc:
            raise FieldErrors({"filter": [str(exc)]}) from None
        limit, offset = params["limit"], params["offset"]
        items = list(qs[offset : offset + limit])
        return {
            "count": qs.count(),
            "limit": limit,
            "offset": offset,
            "items": [serialize(o, resource) for o in items],
        }

    @router.get(f"/{slug}/{{pk}}", response=out_schema, operation_id=f"get_{name}")
    def get_item(request, pk: int):
        return serialize(get_object(request, pk), resource)

    @router.get(
        f"/{slug}/{{pk}}/history", response=list[AuditEntryOut], operation_id=f"history_{name}"
    )
    def history(request, pk: int, page: Query[HistoryPage]):
        """The record's audit entries, newest first, ``limit`` at a time from ``offset``."""
        obj = get_object(request, pk)
        entries = AuditEntry.objects.filter(model=model._meta.label_lower, object_id=str(obj.pk))
        # paged: a record edited 20 000 times returned 8 MB in 8 s in one response (issue 18)
        return list(entries[page.offset : page.offset + page.limit])

    @router.post(f"/{slug}", response={201: out_schema}, operation_id=f"create_{name}")
    def create_item(request, payload: in_schema):  # type: ignore[valid-type]
        user = _current_user(request)
        obj = model()
        data = payload.dict(exclude_unset=True)
        m2m = apply_input(obj, data)
        authorise(user, obj, "create", fields=data, facts=False)
        save_validated(obj, m2m, user, _reason(request))
        return Status(201, serialize(obj, resource))

    @router.patch(f"/{slug}/{{pk}}", response=out_schema, operation_id=f"update_{name}")
    def update_item(request, pk: int, payload: patch_schema):  # type: ignore[valid-type]
        user = _current_user(request)
        obj = get_object(request, pk)
        if not may(user, obj, "update"):
            raise HttpError(403, f"you may not change this {model._meta.verbose_name}")
        before = snapshot(obj)
        data = payload.dict(exclude_unset=True)
        m2m = apply_input(obj, data)
        changed = changed_fields(before, obj, [f for f in data if f not in m2m])
        changed |= {
            f
            for f, objs in m2m.items()
            if {o.pk for o in objs} != set(getattr(before, f).values_list("pk", flat=True))
        }
        authorise(user, obj, "update", before=before, fields=changed, facts=False)
        save_validated(obj, m2m, user, _reason(request))
        return serialize(obj, resource)

    @router.delete(f"/{slug}/{{pk}}", response={204: None}, operation_id=f"delete_{name}")
    def delete_item(request, pk: int):
        user = _current_user(request)
        obj = get_object(request, pk)
        authorise(user, obj, "delete")
        try:
            with transaction.atomic(), acting_as(user, _reason(request)):
                obj.delete()
        except models.ProtectedError as exc:
            raise HttpError(
                409, f"still referenced by {len(exc.protected_objects)} records"
            ) from None
        return Status(204, None)


for _resource in RESOURCES:
    _register(_resource)
