"""Admin for every registry model.

Staff may browse; only the platform operator (superuser, relation ``admin`` of the authority
model) writes, and even then every save passes the authority model's fact checks, so the admin
is no side door (a verification by an unauthorised institution is refused here too).
"""

from django.contrib import admin
from django.core.exceptions import ValidationError

from jiliang.platform.accounts.roles import Role, role_of

from . import models as m
from .authority import Denied, check_facts
from .resources import RESOURCES


class AuthorityAdmin(admin.ModelAdmin):
    """Writes for the operator only; saves checked against the measurement system's facts."""

    def _operator(self, request) -> bool:
        return role_of(request.user) is Role.ADMIN

    def has_add_permission(self, request, *args) -> bool:
        return self._operator(request) and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._operator(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._operator(request) and super().has_delete_permission(request, obj)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)

        class Checked(form):
            def _post_clean(self):
                super()._post_clean()
                try:
                    check_facts(self.instance)
                except Denied as exc:
                    for name, message in exc.errors.items():
                        field = name if name in self.fields else None
                        self.add_error(field, ValidationError(message))

        return Checked


class ScopeInline(admin.TabularInline):
    model = m.Scope
    extra = 0

    def has_add_permission(self, request, obj=None) -> bool:
        return role_of(request.user) is Role.ADMIN

    has_change_permission = has_delete_permission = has_add_permission


class QualificationInline(ScopeInline):
    model = m.Qualification


def _admin_for(resource) -> type[admin.ModelAdmin]:
    model = resource.model
    # every relation is a raw-id box (or an autocomplete below), never a <select> of the whole
    # target table: 2 000 instruments made an add page of megabytes (issue 18)
    fks = [
        f.name
        for f in model._meta.get_fields()
        if f.concrete and (getattr(f, "many_to_one", False) or getattr(f, "one_to_one", False))
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
    return type(f"{model.__name__}Admin", (AuthorityAdmin,), attrs)


for _resource in RESOURCES:
    admin.site.register(_resource.model, _admin_for(_resource))
