from django.contrib import admin

from .models import ApiToken, Profile


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "region"]
    search_fields = ["user__username", "organisation__name"]
    autocomplete_fields = ["organisation", "region"]
    raw_id_fields = ["user"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "created", "last_used"]
    readonly_fields = ["key_hash", "created", "last_used"]
    raw_id_fields = ["user"]
