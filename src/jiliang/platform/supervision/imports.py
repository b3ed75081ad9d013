"""Bulk filing import from CSV or XLSX with a row-level error report.

Columns (header row, any order): ``lifetime_id`` (required), ``item_code`` (default: the
instrument's category), ``use`` (default: the instrument's use), ``dn_mm``, ``g_size``, ``type``.
Atomic: a file with any bad row imports nothing unless ``accept_partial`` — then exactly the good
rows, in one transaction.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.db import transaction

from jiliang.platform.audit.context import acting_as
from jiliang.platform.registry.models import Instrument
from jiliang.platform.registry.permissions import can_write

from .models import Filing
from .services import PARAMS, apply_schedule, check_filing, clean_params, today, verification_state

COLUMNS = ("lifetime_id", "item_code", "use", *PARAMS)
MAX_ROWS = 50_000


class ImportFileError(ValueError):
    """The file as a whole cannot be read (format, header, size)."""


@dataclass
class RowError:
    row: int  # 1-based line in the file, header = 1
    field: str
    message: str


@dataclass
class ImportReport:
    rows: int = 0
    imported: int = 0
    errors: list[RowError] = field(default_factory=list)
    committed: bool = False

    @property
    def bad_rows(self) -> int:
        return len({e.row for e in self.errors})

    def as_dict(self) -> dict:
        return {
            "rows": self.rows,
            "imported": self.imported,
            "bad_rows": self.bad_rows,
            "committed": self.committed,
            "errors": [e.__dict__ for e in self.errors],
        }


def read_rows(name: str, data: bytes) -> list[dict[str, str]]:
    """Rows of a CSV (UTF-8, BOM allowed) or XLSX file as dicts keyed by the header."""
    if name.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a bad file
            raise ImportFileError(f"file: not a readable XLSX workbook ({exc})") from None
        table = [
            ["" if v is None else str(v).strip() for v in row]
            for row in wb.active.iter_rows(values_only=True)
        ]
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ImportFileError("file: CSV must be UTF-8 encoded") from None
        table = [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]
    if not table:
        raise ImportFileError("file: empty")
    header = [h.lower() for h in table[0]]
    if "lifetime_id" not in header:
        raise ImportFileError("file: header row must contain the column 'lifetime_id'")
    unknown = [h for h in header if h and h not in COLUMNS]
    if unknown:
        raise ImportFileError(f"file: unknown column(s) {unknown}; expected {list(COLUMNS)}")
    if len(table) - 1 > MAX_ROWS:
        raise ImportFileError(f"file: at most {MAX_ROWS} rows per import")
    return [
        dict(zip(header, row + [""] * (len(header) - len(row)), strict=False))
        for row in table[1:]
        if any(row)
    ]


def import_filings(user, name: str, data: bytes, accept_partial: bool = False) -> ImportReport:
    """Validate every row, then create the filings in one transaction (or nothing)."""
    rows = read_rows(name, data)
    report = ImportReport(rows=len(rows))
    ids = [r.get("lifetime_id", "") for r in rows]
    instruments = {
        i.lifetime_id: i
        for i in Instrument.objects.filter(lifetime_id__in=ids).select_related("owner", "region")
    }
    already = set(
        Filing.objects.filter(instrument__lifetime_id__in=ids).values_list(
            "instrument__lifetime_id", flat=True
        )
    )
    seen: set[str] = set()
    good: list[Filing] = []
    for n, row in enumerate(rows, start=2):
        lid = row.get("lifetime_id", "")
        inst = instruments.get(lid)
        errs: dict[str, str] = {}
        if not lid:
            errs["lifetime_id"] = "required"
        elif inst is None:
            errs["lifetime_id"] = f"no instrument {lid!r} in the registry"
        elif lid in already:
            errs["lifetime_id"] = f"instrument {lid!r} is already filed"
        elif lid in seen:
            errs["lifetime_id"] = f"instrument {lid!r} appears twice in the file"
        seen.add(lid)
        if inst is not None and not errs:
            item = row.get("item_code") or inst.category
            use = row.get("use") or inst.use
            raw = {k: row.get(k, "") for k in PARAMS}
            params, perr = clean_params(raw)
            errs.update(perr or check_filing(item, use, params))
            filing = Filing(instrument=inst, item_code=item, use=use, params=params)
            if not errs and not can_write(user, filing):
                errs["lifetime_id"] = f"instrument {lid!r} is not your organisation's"
            if not errs:
                good.append(filing)
        report.errors += [RowError(n, f, m) for f, m in errs.items()]
    if report.errors and not accept_partial:
        return report
    as_of = today()
    with transaction.atomic(), acting_as(user, f"bulk import {name}"):
        for f in good:
            for attr, value in verification_state(f.instrument_id).items():
                setattr(f, attr, value)
            apply_schedule(f, as_of)
            f.save()
    report.imported = len(good)
    report.committed = True
    return report
