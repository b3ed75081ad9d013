"""Admin of the energy-metering records: units through the service; surveys read-only with a
"check" action through the service (lines are entered by the API, validated as a whole)."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from jiliang.platform.common.errors import FieldErrors
from jiliang.platform.registry.authority import Denied

from . import services
from .models import EnergyUnit, Survey, SurveyLine


@admin.register(EnergyUnit)
class EnergyUnitAdmin(admin.ModelAdmin):
    list_display = ["organisation", "region", "energy_consumption_tce"]
    search_fields = ["organisation__name", "organisation__code"]
    raw_id_fields = ["organisation", "region"]

    def save_model(self, request, obj, form, change):
        """Through the service: the regulator's area and the one-unit-per-organisation rule."""
        reason = request.POST.get("change_reason", "")[:500]
        if change:
            services.update_unit(
                request.user,
                obj,
                region=obj.region,
                energy_consumption_tce=obj.energy_consumption_tce,
                reason=reason,
            )
        else:
            saved = services.register_unit(
                request.user,
                organisation=obj.organisation,
                region=obj.region,
                energy_consumption_tce=obj.energy_consumption_tce,
                reason=reason,
            )
            obj.pk = saved.pk


class LineInline(admin.TabularInline):
    model = SurveyLine
    extra = 0
    can_delete = False
    readonly_fields = ["level", "energy", "required", "configured"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ["unit", "surveyed_on", "status", "checked_on"]
    list_filter = ["status"]
    search_fields = ["unit__organisation__name"]
    readonly_fields = [
        "unit",
        "surveyed_on",
        "sub_units",
        "main_equipment",
        "status",
        "note",
        "entered_by",
        "checked_by",
        "checked_on",
    ]
    inlines = [LineInline]
    actions = ["check_surveys"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("核实所选调查"))
    def check_surveys(self, request, queryset):
        done = 0
        for survey in queryset.select_related("unit__organisation__region", "unit__region"):
            try:
                services.check_survey(request.user, survey, reason="admin check")
                done += 1
            except (Denied, FieldErrors) as exc:
                self.message_user(request, f"{survey}: {exc}", messages.WARNING)
        self.message_user(request, _("已核实 %(n)s 项调查") % {"n": done})
