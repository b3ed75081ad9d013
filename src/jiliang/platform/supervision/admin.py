from django.contrib import admin

from . import models as m


@admin.register(m.Filing)
class FilingAdmin(admin.ModelAdmin):
    list_display = ["instrument", "item_code", "use", "status", "due_date", "replace_date"]
    list_filter = ["status", "item_code", "use"]
    search_fields = ["instrument__lifetime_id"]
    raw_id_fields = ["instrument", "verified_by", "assigned_to"]


@admin.register(m.Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    list_display = ["instrument", "category", "status", "created_at"]
    list_filter = ["status", "category"]
    raw_id_fields = ["instrument"]


@admin.register(m.Draw)
class DrawAdmin(admin.ModelAdmin):
    list_display = ["title", "region", "stage", "created_at"]
    readonly_fields = ["seed_hex", "commitment", "pools_sha256"]


admin.site.register(m.DrawResult)
admin.site.register(m.PrepackagedInspection)
admin.site.register(m.CreditEvent)
admin.site.register(m.Notification)


@admin.register(m.CreditMark)
class CreditMarkAdmin(admin.ModelAdmin):
    list_display = ["organisation", "kind", "since", "withdrawn_on"]
    list_filter = ["kind"]
    raw_id_fields = ["organisation"]


@admin.register(m.VerificationRecord)
class VerificationRecordAdmin(admin.ModelAdmin):
    list_display = ["event", "seal_no", "recorded_at"]
    search_fields = ["seal_no", "event__certificate_no"]
    raw_id_fields = ["event", "recorded_by"]


admin.site.register(m.NotificationSettings)
