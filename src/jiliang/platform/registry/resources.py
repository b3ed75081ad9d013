"""One description per registry model, shared by the REST API and the pages.

A :class:`Resource` names the URL segment, the writable fields, the list columns, the filters
(query parameter → ORM lookup) and the search fields. Foreign keys travel as natural keys
(region code, organisation credit code, standard code, lifetime ID, GBW number) so API users never
need database ids.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from . import models as m

#: Natural key of each model that other records point to.
NATURAL_KEYS: dict[type[models.Model], str] = {
    m.Region: "code",
    m.Organisation: "code",
    m.MeasurementStandard: "code",
    m.Instrument: "lifetime_id",
    m.ReferenceMaterial: "gbw_number",
    m.Person: "id",
}


@dataclass(frozen=True)
class SpecialFilter:
    """A yes/no filter that is not a field lookup (e.g. "overdue"), contributed by the app that
    owns its meaning; ``apply(queryset)`` returns the records for which it holds."""

    label: str
    apply: Callable[[models.QuerySet], models.QuerySet]
    #: what the filter computes, in one translated sentence shown next to its counts
    definition: str = ""


#: ``model → {param: SpecialFilter}``, registered in ``AppConfig.ready`` with
#: :func:`register_filter`; pages and API both apply them through :meth:`Resource.filter`.
SPECIAL_FILTERS: dict[type[models.Model], dict[str, SpecialFilter]] = {}

TRUE = {"1", "true", "yes", "on"}


def register_filter(model: type[models.Model], param: str, special: SpecialFilter) -> None:
    SPECIAL_FILTERS.setdefault(model, {})[param] = special


@dataclass(frozen=True)
class Resource:
    model: type[models.Model]
    slug: str
    fields: tuple[str, ...]
    columns: tuple[str, ...]
    filters: dict[str, str] = field(default_factory=dict)
    search: tuple[str, ...] = ()
    select_related: tuple[str, ...] = ()
    #: names of the :data:`SPECIAL_FILTERS` this resource offers (declared here so the API's
    #: schema has them whatever order the apps load in)
    special: tuple[str, ...] = ()

    def filter(self, qs, params) -> tuple[models.QuerySet, dict[str, str], str]:
        """Apply the resource's filters and ``q`` search from ``params`` (GET or API query).

        Returns the queryset, the filters that were applied (as given) and the search term;
        pages and the API share this so a filter means the same thing in both.
        """
        active: dict[str, str] = {}
        for param, lookup in self.filters.items():
            raw = (params.get(param) or "").strip()
            if not raw:
                continue
            value: object = raw
            field = self.model._meta.get_field(lookup.split("__")[0])
            if isinstance(field, models.BooleanField) and "__" not in lookup:
                value = raw.lower() in TRUE
            try:
                qs = qs.filter(**{lookup: value})
            except (ValidationError, ValueError):
                # a page's malformed filter (?valid_on_or_after=bad) is dropped, not a 500;
                # the API refuses it earlier with a field-named 422
                continue
            active[param] = raw
        for param in self.special:
            raw = (params.get(param) or "").strip()
            if not raw:
                continue
            special = SPECIAL_FILTERS.get(self.model, {}).get(param)
            if special is None:
                raise LookupError(f"filter {param!r} is not available")
            if raw.lower() in TRUE:
                qs = special.apply(qs)
            else:
                qs = qs.exclude(pk__in=special.apply(qs).values("pk"))
            active[param] = raw
        term = (params.get("q") or "").strip()
        if term:
            cond = Q()
            for name in self.search:
                cond |= Q(**{f"{name}__icontains": term})
            qs = qs.filter(cond)
        return qs, active, term

    @property
    def verbose_name(self) -> str:
        return str(self.model._meta.verbose_name)

    @property
    def verbose_name_plural(self) -> str:
        return str(self.model._meta.verbose_name_plural)


_QTY = ("unit", "range_low", "range_high")

RESOURCES: tuple[Resource, ...] = (
    Resource(
        m.Region,
        "regions",
        ("code", "name", "name_en", "level", "parent"),
        ("code", "name", "level", "parent"),
        {"level": "level", "parent": "parent__code", "within": "code__startswith"},
        ("code", "name", "name_en"),
        ("parent",),
    ),
    Resource(
        m.Organisation,
        "organisations",
        ("code", "name", "name_en", "kind", "region", "address", "is_active"),
        ("name", "kind", "region", "code"),
        {"kind": "kind", "region": "region__code__startswith", "active": "is_active"},
        ("name", "name_en", "code"),
        ("region",),
    ),
    Resource(
        m.Scope,
        "scopes",
        (
            "organisation",
            "kind",
            "quantity",
            "instrument_category",
            *_QTY,
            "uncertainty",
            "k",
            "reference",
            "valid_from",
            "valid_to",
        ),
        ("organisation", "kind", "quantity", "range_low", "range_high", "unit", "valid_to"),
        {
            "organisation": "organisation__code",
            "kind": "kind",
            "quantity": "quantity",
            "valid_on_or_after": "valid_to__gte",
        },
        ("organisation__name", "instrument_category", "reference"),
        ("organisation",),
    ),
    Resource(
        m.Person,
        "people",
        ("name", "organisation", "title", "email"),
        ("name", "organisation", "title"),
        {"organisation": "organisation__code"},
        ("name",),
        ("organisation",),
    ),
    Resource(
        m.Qualification,
        "qualifications",
        ("person", "kind", "number", "specialty", "valid_from", "valid_to"),
        ("person", "kind", "number", "valid_to"),
        {"kind": "kind", "valid_on_or_after": "valid_to__gte"},
        ("number", "person__name", "specialty"),
        ("person",),
    ),
    Resource(
        m.MeasurementStandard,
        "standards",
        (
            "code",
            "name",
            "level",
            "quantity",
            *_QTY,
            "uncertainty",
            "k",
            "owner",
            "status",
            "certificate_no",
            "certificate_valid_from",
            "certificate_valid_to",
        ),
        (
            "code",
            "name",
            "level",
            "quantity",
            "uncertainty",
            "unit",
            "owner",
            "status",
            "certificate_valid_to",
        ),
        {
            "level": "level",
            "quantity": "quantity",
            "status": "status",
            "owner": "owner__code",
            "region": "owner__region__code__startswith",
        },
        ("code", "name", "certificate_no"),
        ("owner",),
    ),
    Resource(
        m.Instrument,
        "instruments",
        (
            "lifetime_id",
            "category",
            "name",
            "model_name",
            "serial",
            "manufacturer",
            "quantity",
            *_QTY,
            "accuracy_class",
            "mpe",
            "owner",
            "location",
            "region",
            "status",
            "use",
            "installed_on",
        ),
        ("lifetime_id", "name", "category", "owner", "region", "status", "compulsory"),
        {
            "region": "region__code__startswith",
            "category": "category",
            "status": "status",
            "owner": "owner__code",
            "compulsory": "compulsory",
            "use": "use",
            "quantity": "quantity",
        },
        ("lifetime_id", "name", "serial", "model_name", "manufacturer"),
        ("owner", "region"),
        special=("overdue",),
    ),
    Resource(
        m.ReferenceMaterial,
        "reference-materials",
        (
            "gbw_number",
            "name",
            "quantity",
            "certified_value",
            "uncertainty",
            "k",
            "unit",
            "producer",
            "expiry",
        ),
        ("gbw_number", "name", "certified_value", "uncertainty", "unit", "producer", "expiry"),
        {"producer": "producer__code", "quantity": "quantity", "expires_after": "expiry__gte"},
        ("gbw_number", "name"),
        ("producer",),
    ),
    Resource(
        m.CMC,
        "cmcs",
        (
            "kcdb_id",
            "provider",
            "metrology_area",
            "quantity",
            "service",
            *_QTY,
            "uncertainty",
            "uncertainty_equation",
            "k",
            "confidence_level",
        ),
        ("provider", "quantity", "service", "range_low", "range_high", "unit", "uncertainty"),
        {"provider": "provider__code", "quantity": "quantity"},
        ("service", "kcdb_id", "metrology_area"),
        ("provider",),
    ),
    Resource(
        m.CalibrationEvent,
        "calibrations",
        (
            "certificate_no",
            "kind",
            "instrument",
            "standard",
            "reference_material",
            "standards_used",
            "reference_materials_used",
            "performed_by",
            "performed_by_person",
            "performed_on",
            "issued_on",
            "due_on",
            "result_value",
            "result_uncertainty",
            "k",
            "unit",
            "nominal_value",
            "decision_rule",
            "guard_band",
            "conformity",
            "withdrawn",
        ),
        (
            "certificate_no",
            "kind",
            "instrument",
            "standard",
            "performed_by",
            "performed_on",
            "due_on",
            "conformity",
        ),
        {
            "kind": "kind",
            "instrument": "instrument__lifetime_id",
            "standard": "standard__code",
            "performed_by": "performed_by__code",
            "conformity": "conformity",
            "due_before": "due_on__lt",
            "performed_after": "performed_on__gte",
            "withdrawn": "withdrawn",
        },
        ("certificate_no",),
        ("instrument", "standard", "reference_material", "performed_by"),
    ),
)

BY_SLUG: dict[str, Resource] = {r.slug: r for r in RESOURCES}
BY_MODEL: dict[type[models.Model], Resource] = {r.model: r for r in RESOURCES}
