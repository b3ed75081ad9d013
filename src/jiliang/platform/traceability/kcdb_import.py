"""Import CMCs from a saved BIPM KCDB API v3 search result into the registry's CMC table.

The core parses (:func:`jiliang.core.traceability.parse_kcdb`); here every record is written in
one transaction, updated in place by ``kcdb_id`` on a re-import, validated by the model's
``full_clean`` and audited. Any malformed document or invalid row → :class:`KCDBImportError`
and nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from jiliang.core.traceability import KCDBFormatError, parse_kcdb
from jiliang.platform.audit.context import acting_as
from jiliang.platform.registry import models as m


class KCDBImportError(ValueError):
    """The file or one of its CMCs cannot be imported; the message names the problem."""


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated


def import_kcdb(data: bytes | str, provider_code: str, user=None) -> ImportReport:
    """Create or update (by ``kcdb_id``) the file's CMCs for the organisation ``provider_code``."""
    provider = m.Organisation.objects.filter(code=provider_code).first()
    if provider is None:
        raise KCDBImportError(f"provider: no organisation with code {provider_code!r}")
    try:
        records = parse_kcdb(data)
    except KCDBFormatError as exc:
        raise KCDBImportError(f"file: {exc}") from exc
    if not records:
        raise KCDBImportError("file: no CMC documents in 'data'")
    report = ImportReport()
    with transaction.atomic(), acting_as(user, f"KCDB import ({len(records)} CMCs)"):
        existing = {c.kcdb_id: c for c in m.CMC.objects.filter(kcdb_id__in=[r.id for r in records])}
        for rec in records:
            obj = existing.get(rec.id) or m.CMC(kcdb_id=rec.id)
            created = obj.pk is None
            obj.provider = provider
            obj.quantity = rec.quantity
            obj.metrology_area = obj.metrology_area or "KCDB"
            obj.service = (obj.service or f"KCDB {rec.provider}")[:200]
            obj.unit = rec.unit
            obj.range_low, obj.range_high = rec.low, rec.high
            obj.uncertainty, obj.k = rec.U, rec.k
            try:
                obj.full_clean(validate_unique=False)
            except ValidationError as exc:
                fields = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
                raise KCDBImportError(f"CMC {rec.id}: {fields}") from exc
            obj.save()
            existing[rec.id] = obj
            if created:
                report.created += 1
            else:
                report.updated += 1
    return report
