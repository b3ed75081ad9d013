"""Bulk filing import from CSV or XLSX with a row-level error report.

Columns (header row, any order): ``lifetime_id`` (required), ``item_code`` (default: the
instrument's category), ``use`` (default: the instrument's use), ``dn_mm``, ``g_size``, ``type``.
Atomic: a file with any bad row imports nothing unless ``accept_partial`` — then exactly the good
rows, in one transaction.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from jiliang.platform.audit.context import acting_as
from jiliang.platform.common.uploads import UploadTooLarge, check_upload
from jiliang.platform.registry.models import Instrument
from jiliang.platform.registry.permissions import can_write

from .models import Filing
from .services import PARAMS, apply_schedule, check_filing, clean_params, today, verification_state

COLUMNS = ("lifetime_id", "item_code", "use", *PARAMS)
MAX_ROWS = 50_000
#: an XLSX is a zip: refuse one that unpacks to more than this before parsing it
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
#: longest cell (characters): no column of a filing needs more
MAX_CELL = 1000


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


def _xlsx_rows(data: bytes) -> Iterator[list[str]]:
    """Rows of the first sheet, streamed (read-only mode); the header row fixes the width."""
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError):
        raise ImportFileError(_("文件：不是可读取的 XLSX 工作簿（不是 zip 压缩包）")) from None
    if unpacked > MAX_UNPACKED_BYTES:  # a zip bomb would be parsed for minutes
        raise ImportFileError(
            _("文件：工作簿解压后超过 %(mb)s MB") % {"mb": MAX_UNPACKED_BYTES // 2**20}
        )
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = wb.active
    except Exception as exc:  # openpyxl raises many kinds for a bad file
        raise ImportFileError(_unreadable(exc)) from None
    try:
        width = None
        for row in sheet.iter_rows(values_only=True):
            cells = ["" if v is None else str(v).strip() for v in row]
            if width is None:  # header: data rows are read no wider than it
                width = len(cells)
                yield cells
                break
        if width is None:
            return
        for row in sheet.iter_rows(min_row=2, max_col=max(width, 1), values_only=True):
            yield ["" if v is None else str(v).strip() for v in row]
    except ImportFileError:
        raise
    except Exception as exc:  # a damaged sheet part surfaces only while streaming
        raise ImportFileError(_unreadable(exc)) from None
    finally:
        wb.close()


def _unreadable(exc: Exception) -> str:
    """The message for a workbook openpyxl cannot open or stream (its reason in parentheses)."""
    return _("文件：不是可读取的 XLSX 工作簿（%(reason)s）") % {"reason": exc}


def _csv_rows(data: bytes) -> Iterator[list[str]]:
    """Rows of a UTF-8 CSV (BOM allowed), streamed; a field over the csv limit names its row."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFileError(
            _("文件：CSV 必须是 UTF-8 编码（第 %(row)s 行）") % {"row": line}
        ) from None
    reader = csv.reader(io.StringIO(text))
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            # e.g. "field larger than field limit (131072)": the csv module stops reading; its
            # own wording is kept (it names the limit), after a translated row prefix
            raise ImportFileError(
                _("第 %(row)s 行：%(reason)s") % {"row": reader.line_num, "reason": exc}
            ) from None
        yield [c.strip() for c in row]


def read_rows(name: str, data: bytes) -> list[dict[str, str]]:
    """Rows of a CSV (UTF-8, BOM allowed) or XLSX file as dicts keyed by the header.

    Size and row count are checked while streaming: a file over :data:`MAX_ROWS` is refused
    after reading ``MAX_ROWS + 1`` rows, not after parsing all of them (a 200 000-row workbook
    cost ~8 s of server CPU before the limit was looked at).
    """
    try:
        check_upload(data)  # the API and the page refuse a large upload before reading it
    except UploadTooLarge as exc:
        raise ImportFileError(exc.message) from None
    rows = _xlsx_rows(data) if name.lower().endswith(".xlsx") else _csv_rows(data)
    try:
        return _dict_rows(rows)
    finally:
        rows.close()  # stop the reader: the rest of the file is never parsed


def _dict_rows(rows: Iterator[list[str]]) -> list[dict[str, str]]:
    first = next(rows, None)
    if first is None:
        raise ImportFileError(_("文件：内容为空"))
    header = [h.lower() for h in first]
    if "lifetime_id" not in header:
        raise ImportFileError(_("文件：表头行必须包含列 “lifetime_id”"))
    unknown = [h for h in header if h and h not in COLUMNS]
    if unknown:
        raise ImportFileError(
            _("文件：未知的列 %(unknown)s；可用的列为 %(expected)s")
            % {"unknown": ", ".join(unknown), "expected": ", ".join(COLUMNS)}
        )
    out: list[dict[str, str]] = []
    for count, row in enumerate(rows, start=1):
        if count > MAX_ROWS:
            raise ImportFileError(_("文件：每次导入最多 %(max)s 行") % {"max": MAX_ROWS})
        for column, value in zip(header, row, strict=False):
            if len(value) > MAX_CELL:
                raise ImportFileError(
                    _("第 %(row)s 行，%(column)s：超过 %(max)s 个字符")
                    % {"row": count + 1, "column": column or _("未命名列"), "max": MAX_CELL}
                )
        if any(row):
            out.append(dict(zip(header, row + [""] * (len(header) - len(row)), strict=False)))
    return out


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
            errs["lifetime_id"] = _("必填")
        elif inst is None:
            errs["lifetime_id"] = _("登记册中没有计量器具 “%(id)s”") % {"id": lid}
        elif lid in already:
            errs["lifetime_id"] = _("计量器具 “%(id)s” 已备案") % {"id": lid}
        elif lid in seen:
            errs["lifetime_id"] = _("计量器具 “%(id)s” 在文件中出现了两次") % {"id": lid}
        seen.add(lid)
        if inst is not None and not errs:
            item = row.get("item_code") or inst.category
            use = row.get("use") or inst.use
            raw = {k: row.get(k, "") for k in PARAMS}
            params, perr = clean_params(raw)
            errs.update(perr or check_filing(item, use, params))
            filing = Filing(instrument=inst, item_code=item, use=use, params=params)
            if not errs and not can_write(user, filing):
                errs["lifetime_id"] = _("计量器具 “%(id)s” 不属于本单位") % {"id": lid}
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
