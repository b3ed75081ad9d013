"""Admin of comparisons: read-mostly; a submission's sealed value is never shown here."""

from django.contrib import admin

from .models import Campaign, Circulation, Flag, Participant, Score, Submission


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "kind", "pilot", "status", "deadline"]
    search_fields = ["code", "title", "measurand"]
    list_filter = ["kind", "status"]
    raw_id_fields = ["pilot"]
    readonly_fields = [
        "status",
        "reference_value",
        "reference_uncertainty",
        "analysis",
        "closed_at",
        "analysed_at",
        "reported_at",
    ]


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = ["campaign", "organisation", "invited_at"]
    raw_id_fields = ["campaign", "organisation"]


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    """Only the commitment: values are read through the API/pages once the campaign closed."""

    list_display = ["participant", "digest", "submitted_at"]
    fields = ["participant", "digest", "submitted_at", "submitted_by"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Score)
class ScoreAdmin(admin.ModelAdmin):
    list_display = ["campaign", "participant", "z", "zeta", "en", "performance"]
    raw_id_fields = ["campaign", "participant"]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Flag)
class FlagAdmin(admin.ModelAdmin):
    list_display = ["campaign", "organisation", "reason", "created_at"]
    raw_id_fields = ["score", "campaign", "organisation"]


@admin.register(Circulation)
class CirculationAdmin(admin.ModelAdmin):
    list_display = ["campaign", "holder", "received_on", "shipped_on"]
    raw_id_fields = ["campaign", "holder"]
