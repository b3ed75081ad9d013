from django.contrib import admin

from .models import Certificate


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    list_display = ["number", "event", "status", "issued_at", "ledger_index"]
    list_filter = ["status"]
    search_fields = ["number", "canonical_hash"]
    raw_id_fields = ["event", "replaces", "prepared_by", "reviewed_by"]
    readonly_fields = ["canonical_hash", "ledger_index", "withdrawal_ledger_index", "xml"]
