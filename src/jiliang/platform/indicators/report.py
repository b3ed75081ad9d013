"""Mid-term evaluation report (中期评估报告) of a region's indicators as of a date, PDF and XLSX.

The report is built from a **stored snapshot** only, never from a fresh query, so it is
reproducible: the same region and date give the same numbers. Which snapshot: the first one
stored for that region and date (a later re-take of the same date does not change an issued
report), or the one named by id. RAG status and projected year use the snapshot's value and
the series of the region's snapshots stored up to that one (``id ≤`` the chosen one, latest
per earlier date), so later snapshots do not change them either.

Each report prints the snapshot's SHA-256 digest, the transparency-log leaf of its audit entry
and the checkpoint that leaf is in (size and root), so a reader can check the figures were
those logged on that day.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import dataclass

from django.utils.translation import gettext as _

from jiliang.core.indicators.definitions import IndicatorValue
from jiliang.platform.audit.models import AuditEntry
from jiliang.platform.common import pdf
from jiliang.platform.registry.models import Region

from . import services
from .models import IndicatorSnapshot

#: the plan years whose targets the report shows (规划目标年)
TARGET_YEARS = (2025, 2035)


@dataclass
class ReportRow:
    """One indicator line of the report."""

    indicator: str
    name: str
    region: str
    unit: str
    baseline: float | None
    baseline_year: int | None
    value: float | int | None
    record_count: int
    targets: dict[int, float | None]
    status: str
    projected_year: int | None
    query: str
    source: str


@dataclass
class Report:
    """The report's content, independent of the file format."""

    region: Region
    as_of: dt.date
    snapshot: IndicatorSnapshot
    ledger_index: int | None
    checkpoint_size: int | None
    checkpoint_root: str
    log_note: str
    rows: list[ReportRow]
    english: bool


def choose_snapshot(
    region: Region, as_of: dt.date | None, snapshot_id: int | None = None
) -> IndicatorSnapshot:
    """The snapshot a report of ``region`` on ``as_of`` is built from (see module docstring).

    IndicatorInputError naming ``as_of`` when the region has no snapshot of that date, or
    ``snapshot`` when the id names no snapshot of this region.
    """
    if snapshot_id is not None:
        row = IndicatorSnapshot.objects.filter(pk=snapshot_id, region=region).first()
        if row is None:
            raise services.IndicatorInputError(
                {
                    "snapshot": _("区划 %(code)s 没有编号为 %(id)s 的快照")
                    % {"code": region.code, "id": snapshot_id}
                }
            )
        return row
    as_of = services.check_as_of(as_of)
    row = IndicatorSnapshot.objects.filter(region=region, as_of=as_of).order_by("id").first()
    if row is None:
        raise services.IndicatorInputError(
            {
                "as_of": _("区划 %(code)s 没有 %(day)s 的快照；请先保存快照")
                % {"code": region.code, "day": as_of.isoformat()}
            }
        )
    return row


def _series(row: IndicatorSnapshot) -> dict[str, list[tuple[str, float]]]:
    """Figure key → [(as_of, value)] of the snapshots stored up to ``row`` (earlier dates)."""
    rows = IndicatorSnapshot.objects.filter(
        region_id=row.region_id, id__lte=row.pk, as_of__lt=row.as_of
    ).order_by("as_of", "id")
    latest: dict[dt.date, str] = {}
    for as_of, payload in rows.values_list("as_of", "payload"):
        latest[as_of] = payload
    out: dict[str, list[tuple[str, float]]] = {}
    for day in sorted(latest):
        for key, fig in json.loads(latest[day])["figures"].items():
            if fig["value"] is not None:
                out.setdefault(key, []).append((day.isoformat(), float(fig["value"])))
    return out


def _log_position(row: IndicatorSnapshot) -> tuple[int | None, int | None, str, str]:
    """(leaf index, checkpoint size, checkpoint root hex, note) of the snapshot's audit entry."""
    entry = (
        AuditEntry.objects.filter(
            model=IndicatorSnapshot._meta.label_lower, object_id=str(row.pk), action="create"
        )
        .order_by("id")
        .first()
    )
    if entry is None or entry.ledger_index is None:
        return None, None, "", _("尚未写入透明日志")
    from jiliang.platform.ledger import service as ledger

    try:
        proof = ledger.inclusion(entry.ledger_index)
    except Exception as exc:  # the log is unreadable here: say so, still print the leaf
        return entry.ledger_index, None, "", str(exc)
    if not proof.get("verified"):
        return entry.ledger_index, None, "", str(proof.get("error", ""))
    lines = proof["checkpoint"].splitlines()
    root = lines[2] if len(lines) > 2 else ""
    return entry.ledger_index, proof["size"], root, _("包含性证明已验证")


def _value(v: IndicatorValue | None) -> float | None:
    return None if v is None else v.value


def build(
    region: Region,
    as_of: dt.date | None,
    english: bool,
    plan: str | None = None,
    snapshot_id: int | None = None,
) -> Report:
    """The report of ``region`` from its snapshot of ``as_of`` (or ``snapshot_id``)."""
    row = choose_snapshot(region, as_of, snapshot_id)
    snap = services.snapshot_of(row)
    series = _series(row)
    b = services.book()
    rows = []
    for d in services.definitions_for(region, plan):
        key = services.figure_key(d)
        fig = snap.figures.get(key)
        value = None if fig is None else fig.value
        baseline = b.baseline(d.id, region.code)
        target = b.target(d.id, region.code)
        status, _reason, _expected, year, _why = services._assess(
            d, value, baseline, target, row.as_of, series.get(key, [])
        )
        rows.append(
            ReportRow(
                indicator=d.id,
                name=d.name_en if english else d.name_zh,
                region=region.code,
                unit=d.unit,
                baseline=_value(baseline),
                baseline_year=None if baseline is None else baseline.year,
                value=value,
                record_count=0 if fig is None else fig.record_count,
                targets={y: _value(b.target(d.id, region.code, y)) for y in TARGET_YEARS},
                status=status,
                projected_year=year,
                query=fig.query if fig is not None else d.query,
                source=f"{d.source} {d.clause}".strip(),
            )
        )
    index, size, root, note = _log_position(row)
    return Report(region, row.as_of, row, index, size, root, note, rows, english)


def _status_label(status: str) -> str:
    return {"green": _("绿"), "amber": _("黄"), "red": _("红")}.get(status, "—")


def _num(v) -> str:
    if v is None:
        return "—"
    return f"{v:g}" if isinstance(v, float) else str(v)


def headers() -> list[str]:
    """Column headings of the report table (translated)."""
    return [
        _("指标"),
        _("名称"),
        _("区划"),
        _("计量单位"),
        _("基期值"),
        _("基期年"),
        _("指标值"),
        _("记录条数"),
        *[_("%(year)s 年目标") % {"year": y} for y in TARGET_YEARS],
        _("状态"),
        _("预计达标年"),
        _("口径"),
        _("规划来源"),
    ]


def _facts(rep: Report) -> list[tuple[str, str]]:
    return [
        (_("区划"), f"{rep.region.name} ({rep.region.code})"),
        (_("统计日期"), rep.as_of.isoformat()),
        (_("快照编号"), str(rep.snapshot.pk)),
        (_("快照摘要 SHA-256"), rep.snapshot.digest),
        (_("透明日志序号"), _num(rep.ledger_index)),
        (_("检查点大小"), _num(rep.checkpoint_size)),
        (_("检查点根哈希"), rep.checkpoint_root or "—"),
        (_("日志核验"), rep.log_note),
    ]


def title() -> str:
    return _("规划指标中期评估报告")


def to_xlsx(rep: Report) -> bytes:
    """The report as an XLSX workbook: facts (digest, leaf, checkpoint) then one row per
    indicator; numbers are numeric cells (None: empty)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "report"
    ws.append([title()])
    for k, v in _facts(rep):
        ws.append([k, v])
    ws.append([])
    ws.append(headers())
    for r in rep.rows:
        ws.append(
            [
                r.indicator,
                r.name,
                r.region,
                r.unit,
                r.baseline,
                r.baseline_year,
                r.value,
                r.record_count,
                *[r.targets[y] for y in TARGET_YEARS],
                _status_label(r.status),
                r.projected_year,
                r.query,
                r.source,
            ]
        )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def to_pdf(rep: Report) -> bytes:
    """The report as a landscape A4 PDF (reportlab, the certificates' CJK font)."""
    from reportlab.platypus import Paragraph, Spacer

    st = pdf.styles(7)
    buf = io.BytesIO()
    doc = pdf.document(buf, title(), landscape=True)
    story = [Paragraph(title(), st.head), Spacer(1, 3 * pdf.MM)]
    story += [pdf.facts_table(_facts(rep), st, (40, 200)), Spacer(1, 4 * pdf.MM)]
    rows = []
    for r in rep.rows:
        cells = [
            r.indicator,
            r.name,
            r.region,
            r.unit,
            _num(r.baseline),
            _num(r.baseline_year),
            _num(r.value),
            str(r.record_count),
            *[_num(r.targets[y]) for y in TARGET_YEARS],
            _status_label(r.status),
            _num(r.projected_year),
            r.query,
            r.source,
        ]
        rows.append([pdf.escape(c) for c in cells])
    widths = [24, 30, 12, 10, 14, 11, 14, 11, 14, 14, 9, 13, 50, 50]
    story.append(pdf.grid_table(headers(), rows, st, widths))
    doc.build(story)
    return buf.getvalue()
