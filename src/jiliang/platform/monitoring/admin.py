from django.contrib import admin

from .models import (
    Alarm,
    Area,
    AreaMeter,
    EstimationRun,
    IngestBatch,
    MeterEstimate,
    TypeSoftware,
    WorkOrder,
)


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "region", "owner"]
    search_fields = ["code", "name"]
    raw_id_fields = ["region", "summary_meter", "owner"]


@admin.register(AreaMeter)
class AreaMeterAdmin(admin.ModelAdmin):
    list_display = ["area", "instrument", "valid_from", "valid_to"]
    search_fields = ["area__code", "instrument__lifetime_id"]
    raw_id_fields = ["area", "instrument"]


@admin.register(IngestBatch)
class IngestBatchAdmin(admin.ModelAdmin):
    list_display = ["kind", "organisation", "count", "rows", "received_at", "digest"]
    readonly_fields = [f.name for f in IngestBatch._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(EstimationRun)
class EstimationRunAdmin(admin.ModelAdmin):
    list_display = ["area", "period_start", "period_end", "status", "code_version"]
    list_filter = ["status"]
    readonly_fields = [f.name for f in EstimationRun._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(MeterEstimate)
class MeterEstimateAdmin(admin.ModelAdmin):
    list_display = ["run", "instrument", "error", "u", "verdict"]
    list_filter = ["verdict"]
    readonly_fields = [f.name for f in MeterEstimate._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(TypeSoftware)
class TypeSoftwareAdmin(admin.ModelAdmin):
    list_display = ["approval", "model_name", "algorithm"]
    search_fields = ["approval", "model_name"]


@admin.register(Alarm)
class AlarmAdmin(admin.ModelAdmin):
    list_display = ["instrument", "kind", "severity", "action", "first", "last"]
    list_filter = ["kind", "severity"]
    readonly_fields = [f.name for f in Alarm._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WorkOrder)
class WorkOrderAdmin(admin.ModelAdmin):
    """Read-only: transitions go through :mod:`.workorders` (authority, core state machine)."""

    list_display = ["number", "kind", "state", "instrument", "assignee", "updated_at"]
    list_filter = ["kind", "state"]
    search_fields = ["number", "instrument__lifetime_id"]
    readonly_fields = [f.name for f in WorkOrder._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
