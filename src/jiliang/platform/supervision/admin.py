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
    """The draw's lifecycle is the regulator's (commit → run → reveal): read-only here, and no
    selections digest before the reveal (draws.may_see_selections)."""

    list_display = ["title", "region", "stage", "created_at"]
    readonly_fields = [
        "stage",
        "seed_hex",
        "commitment",
        "pools_sha256",
        "n_objects",
        "n_selected",
        "drawn_at",
        "revealed_at",
        "commitment_leaf",
        "reveal_leaf",
    ]
    exclude = ["selections_sha256"]


@admin.register(m.DrawResult)
class DrawResultAdmin(admin.ModelAdmin):
    """Results of revealed draws only: before the reveal they name the drawn objects."""

    list_display = ["draw", "item_id", "object_id", "outcome", "recorded_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(draw__stage=m.Draw.Stage.REVEALED)


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
