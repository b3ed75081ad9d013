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
    raw_id_fields = ["region", "created_by"]
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
    raw_id_fields = ["draw"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(draw__stage=m.Draw.Stage.REVEALED)


# Relations are raw-id boxes: a <select> of every filing or user made the notification add page
# 1.6 MB and 15 s on a 20 000-instrument region (issue 18).


@admin.register(m.PrepackagedInspection)
class PrepackagedInspectionAdmin(admin.ModelAdmin):
    raw_id_fields = ["organisation", "inspector"]


@admin.register(m.CreditEvent)
class CreditEventAdmin(admin.ModelAdmin):
    raw_id_fields = ["organisation"]


@admin.register(m.Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["recipient", "filing", "created_at"]
    list_select_related = ["recipient", "filing__instrument"]
    raw_id_fields = ["recipient", "filing"]


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


@admin.register(m.NotificationSettings)
class NotificationSettingsAdmin(admin.ModelAdmin):
    raw_id_fields = ["user"]
