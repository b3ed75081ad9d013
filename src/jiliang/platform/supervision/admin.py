from django.contrib import admin

from . import models as m


@admin.register(m.Filing)
class FilingAdmin(admin.ModelAdmin):
    list_display = ["instrument", "item_code", "use", "status", "due_date", "replace_date"]
    list_filter = ["status", "item_code", "use"]
    search_fields = ["instrument__lifetime_id"]
    raw_id_fields = ["instrument", "verified_by"]


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
