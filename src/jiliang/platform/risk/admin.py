"""Admin of risk early warning: read-mostly (writes go through the services' checks)."""

from django.contrib import admin

from .models import EarlyWarning, Emergency, EmergencyAction


@admin.register(EarlyWarning)
class EarlyWarningAdmin(admin.ModelAdmin):
    list_display = ["region", "as_of", "level", "notified_org", "acknowledged_at"]
    list_filter = ["level"]
    raw_id_fields = ["region", "notified_org", "acknowledged_by"]
    readonly_fields = ["factors", "reasons", "edition", "notified_users"]


class ActionInline(admin.TabularInline):
    model = EmergencyAction
    extra = 0
    raw_id_fields = ["by"]


@admin.register(Emergency)
class EmergencyAdmin(admin.ModelAdmin):
    list_display = ["title", "region", "kind", "severity", "status", "reported_at"]
    list_filter = ["kind", "severity", "status"]
    search_fields = ["title"]
    raw_id_fields = ["region", "warning", "reported_by", "closed_by"]
    inlines = [ActionInline]


@admin.register(EmergencyAction)
class EmergencyActionAdmin(admin.ModelAdmin):
    list_display = ["emergency", "taken_at", "by"]
    raw_id_fields = ["emergency", "by"]
