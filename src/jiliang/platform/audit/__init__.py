"""Audit trail (审计追踪): who changed what, when, and why — append-only.

Every create/update/delete of an audited model writes one :class:`~.models.AuditEntry` in the
same transaction as the change. After commit, :data:`~.signals.entry_recorded` is sent so the
transparency log can append the entry's hash as a leaf.
"""
