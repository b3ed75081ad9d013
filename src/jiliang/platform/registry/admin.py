"""Admin for every registry model (superusers and staff)."""

from django.contrib import admin

from . import models as m
from .resources import RESOURCES


class ScopeInline(admin.TabularInline):
    model = m.Scope
    extra = 0


class QualificationInline(admin.TabularInline):
    model = m.Qualification
    extra = 0


def _admin_for(resource) -> type[admin.ModelAdmin]:
    model = resource.model
    fks = [
        f.name for f in model._meta.get_fields() if getattr(f, "many_to_one", False) and f.concrete
    ]
    attrs = {
        "list_display": list(resource.columns),
        "search_fields": list(resource.search),
        "list_filter": [
            lookup.split("__")[0]
            for lookup in resource.filters.values()
            if model._meta.get_field(lookup.split("__")[0]).choices
            or lookup.split("__")[0] in {"compulsory", "withdrawn", "is_active"}
        ],
        "raw_id_fields": fks,
        "readonly_fields": [f.name for f in model._meta.concrete_fields if not f.editable],
        "list_select_related": list(resource.select_related),
    }
    if model is m.Organisation:
        attrs["inlines"] = [ScopeInline]
        attrs["raw_id_fields"] = []
        attrs["autocomplete_fields"] = ["region"]
    if model is m.Person:
        attrs["inlines"] = [QualificationInline]
    if model is m.CalibrationEvent:
        attrs["filter_horizontal"] = []
        attrs["raw_id_fields"] = [*fks, "standards_used", "reference_materials_used"]
    return type(f"{model.__name__}Admin", (admin.ModelAdmin,), attrs)


for _resource in RESOURCES:
    admin.site.register(_resource.model, _admin_for(_resource))
