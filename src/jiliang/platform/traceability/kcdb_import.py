"""Import CMCs from a BIPM KCDB API v3 search result into the registry's CMC table.

The core parses (:func:`jiliang.core.traceability.parse_kcdb`); here every record is written in
one transaction, updated in place by ``kcdb_id`` on a re-import, validated by the model's
``full_clean`` and audited. Any malformed document or invalid row → :class:`KCDBImportError`
and nothing is written.

All the CMCs of one import go to one registry organisation (``provider_code``): a file holding
several NMIs' CMCs (a search by country may) must say which one with ``nmi`` (its KCDB
``nmiCode``), never be attributed wholesale to the wrong institute.

:func:`fetch_and_import` is the online variant: the search pages are fetched
(:mod:`jiliang.core.traceability.kcdb_fetch`), saved to a file first (atomic write, kept as the
record of what was imported), then that file goes through :func:`import_kcdb`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from jiliang.core.traceability import KCDBFormatError, parse_kcdb
from jiliang.core.traceability.kcdb_fetch import (
    DEFAULT_BASE_URL,
    KCDBFetchError,
    KCDBQuery,
    endpoint_url,
    fetch_kcdb,
)
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


def _provider(code: str) -> m.Organisation:
    provider = m.Organisation.objects.filter(code=code).first()
    if provider is None:
        raise KCDBImportError(f"provider: no organisation with code {code!r}")
    if provider.kind != m.Organisation.Kind.NMI:
        # the KCDB publishes CMCs of national metrology institutes (and designated institutes)
        raise KCDBImportError(f"provider: {provider.name} is not a national metrology institute")
    return provider


def import_kcdb(
    data: bytes | str, provider_code: str, user=None, nmi: str = "", source: str = ""
) -> ImportReport:
    """Create or update (by ``kcdb_id``) the file's CMCs for the organisation ``provider_code``.

    ``nmi``: import only the documents of this KCDB ``nmiCode`` (required when the file holds
    several NMIs'); ``source``: where the file came from, for the audit trail.
    """
    provider = _provider(provider_code)
    try:
        records = parse_kcdb(data)
    except KCDBFormatError as exc:
        raise KCDBImportError(f"file: {exc}") from exc
    if not records:
        raise KCDBImportError("file: no CMC documents in 'data'")
    found = sorted({r.provider for r in records})
    if nmi:
        records = [r for r in records if r.provider == nmi]
        if not records:
            raise KCDBImportError(f"nmi: no CMC of {nmi!r} in the file (it has {', '.join(found)})")
    elif len(found) > 1:
        raise KCDBImportError(f"nmi: the file holds CMCs of {', '.join(found)}: choose one")
    reason = f"KCDB import ({len(records)} CMCs{f' from {source}' if source else ''})"
    report = ImportReport()
    with transaction.atomic(), acting_as(user, reason[:500]):
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


def default_fetch_path(query: KCDBQuery) -> Path:
    """``<data dir>/kcdb/kcdb-<domain>-<area>[-<countries>]-<UTC time>.json``."""
    parts = [query.domain, query.area, *query.countries]
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    return Path(settings.DATA_DIR) / "kcdb" / f"kcdb-{'-'.join(parts)}-{stamp}.json"


def fetch_and_import(
    query: KCDBQuery,
    provider_code: str,
    user=None,
    nmi: str = "",
    save_to: Path | None = None,
    base_url: str = DEFAULT_BASE_URL,
    timeout: float = 30.0,
    page_size: int = 1000,
) -> tuple[ImportReport, Path]:
    """Fetch ``query``'s CMCs from the KCDB API, save the raw pages, import that file.

    The provider is checked before any request. A network, HTTP or format error raises
    :class:`KCDBImportError` with nothing written to the database; the saved file stays when
    only the import fails, so the data can be inspected. ``timeout`` (s) bounds each request.
    """
    _provider(provider_code)
    path = save_to or default_fetch_path(query)
    try:
        fetch_kcdb(query, path, base_url, page_size=page_size, timeout=timeout)
    except (KCDBFetchError, ValueError) as exc:
        raise KCDBImportError(f"fetch: {exc}") from exc
    report = import_kcdb(
        path.read_bytes(), provider_code, user, nmi, source=endpoint_url(query, base_url)
    )
    return report, path
