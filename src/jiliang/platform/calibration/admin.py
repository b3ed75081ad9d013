from django.contrib import admin

from .models import UncertaintyBudget


@admin.register(UncertaintyBudget)
class UncertaintyBudgetAdmin(admin.ModelAdmin):
    list_display = ["title", "event", "owner", "method", "evaluated_at"]
    search_fields = ["title", "event__certificate_no"]
    raw_id_fields = ["event", "owner"]
    readonly_fields = ["result", "evaluated_at"]
