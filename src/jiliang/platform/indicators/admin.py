from django.contrib import admin

from .models import IndicatorSnapshot, ManualValue, PlanTask


@admin.register(ManualValue)
class ManualValueAdmin(admin.ModelAdmin):
    list_display = ["indicator", "region", "as_of", "value", "unit", "entered_by", "entered_at"]
    list_filter = ["indicator"]
    search_fields = ["indicator", "region__code", "evidence_sha256"]
    raw_id_fields = ["region", "entered_by"]
    readonly_fields = ["evidence_name", "evidence_sha256", "evidence_size", "evidence_type"]


@admin.register(IndicatorSnapshot)
class IndicatorSnapshotAdmin(admin.ModelAdmin):
    list_display = ["region", "as_of", "digest", "created_by", "created_at"]
    search_fields = ["region__code", "digest"]
    raw_id_fields = ["region", "created_by"]
    readonly_fields = ["payload", "digest"]


@admin.register(PlanTask)
class PlanTaskAdmin(admin.ModelAdmin):
    list_display = ["plan", "paragraph", "title_zh", "region", "deadline", "status"]
    list_filter = ["status", "plan"]
    search_fields = ["paragraph", "title_zh", "region__code"]
    raw_id_fields = ["region", "responsible", "created_by"]
    readonly_fields = ["evidence_name", "evidence_sha256", "evidence_type"]
