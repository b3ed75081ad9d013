"""Indicator services: figures of a region, snapshots, entered values, tracking rows.

Every write runs inside ``transaction.atomic()`` under :func:`acting_as`, so its audit entry
names the user; the permission checks are explicit (a regulator of the region, or an admin —
:func:`jiliang.platform.supervision.access.supervisor_prefix`), never "owner may do anything".
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from jiliang.core.indicators import tracking
from jiliang.core.indicators.definitions import (
    NATIONAL,
    IndicatorBook,
    IndicatorDefinition,
    IndicatorValue,
)
from jiliang.core.indicators.snapshot import Figure, Snapshot, make_snapshot
from jiliang.platform.audit.context import acting_as
from jiliang.platform.registry.authority import Denied
from jiliang.platform.registry.models import Region
from jiliang.platform.supervision.access import reads_region, supervisor_prefix

from . import queries
from .models import IndicatorSnapshot, ManualValue

#: largest evidence file (bytes); ``JILIANG_INDICATOR_EVIDENCE_MAX`` overrides
EVIDENCE_MAX = 10 * 1024 * 1024
#: evidence file types: extension → (content type, leading bytes of such a file)
EVIDENCE_TYPES: dict[str, tuple[str, bytes]] = {
    ".pdf": ("application/pdf", b"%PDF-"),
    ".png": ("image/png", b"\x89PNG\r\n\x1a\n"),
    ".jpg": ("image/jpeg", b"\xff\xd8\xff"),
    ".jpeg": ("image/jpeg", b"\xff\xd8\xff"),
    ".xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        b"PK\x03\x04",
    ),
}
NOTE_MAX = 500


class IndicatorInputError(ValueError):
    """Bad input: ``{field: message}``; nothing was written."""

    def __init__(self, errors: Mapping[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)


def book() -> IndicatorBook:
    """The indicator definitions: the plans shipped with jiliang, and a province's own plan files
    (or directories of ``indicators-*.yaml``) named in ``JILIANG_INDICATOR_PLANS``."""
    extra = tuple(str(p) for p in getattr(settings, "JILIANG_INDICATOR_PLANS", ()) or ())
    return _book(extra)


@functools.lru_cache(maxsize=8)
def _book(extra: tuple[str, ...]) -> IndicatorBook:
    base = IndicatorBook.default()
    return base.extended(*extra) if extra else base


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


# ------------------------------------------------------------------ access


def may_read(user, region: Region) -> bool:
    """Regulators and inspectors of an area containing the region, and admins."""
    prefix = reads_region(user)
    return prefix is not None and region.code.startswith(prefix)


def may_write(user, region: Region) -> bool:
    """Regulators of an area containing the region, and admins."""
    prefix = supervisor_prefix(user)
    return prefix is not None and region.code.startswith(prefix)


def _require_write(user, region: Region) -> None:
    if not may_write(user, region):
        raise Denied({"region": _("仅该区域的市场监管部门或管理员可写入指标记录")})


def region_named(code: str, field: str = "region") -> Region:
    """The region with this GB/T 2260 code; IndicatorInputError naming ``field`` otherwise."""
    region = Region.objects.filter(code=str(code)).first()
    if region is None:
        raise IndicatorInputError({field: _("未知的区划代码“%(code)s”") % {"code": code}})
    return region


def check_as_of(as_of: dt.date | None, field: str = "as_of") -> dt.date:
    """``as_of`` (default today, UTC); IndicatorInputError naming the field when in the future."""
    if as_of is None:
        return today()
    if isinstance(as_of, dt.datetime) or not isinstance(as_of, dt.date):
        raise IndicatorInputError({field: _("不是日期")})
    if as_of > today():
        raise IndicatorInputError(
            {field: _("%(day)s 在未来（今天是 %(today)s，UTC）") % {"day": as_of, "today": today()}}
        )
    return as_of


# ------------------------------------------------------------------ definitions and figures


def definitions_for(region: Region, plan: str | None = None) -> list[IndicatorDefinition]:
    """The indicators shown for a region: a chosen plan's, else the plans governing the region
    itself and the national plan's (computed over the region)."""
    plans = book().plans
    if plan:
        chosen = [p for p in plans if p.plan == plan]
        if not chosen:
            known = ", ".join(sorted(p.plan for p in plans))
            raise IndicatorInputError(
                {
                    "plan": _("未知的规划“%(plan)s”；可选：%(known)s")
                    % {"plan": plan, "known": known}
                }
            )
    else:
        chosen = [p for p in plans if p.region == region.code] + [
            p for p in plans if p.region == NATIONAL and p.region != region.code
        ]
    return [d for p in chosen for d in p.indicators]


def figure_key(definition: IndicatorDefinition) -> str:
    """Key of a definition's figure in a snapshot: its formula, or ``manual:<id>``."""
    return f"manual:{definition.id}" if definition.formula == "manual" else definition.formula


def compute(region: Region, as_of: dt.date) -> dict[str, queries.IndicatorResult]:
    """Every computed formula for the region on ``as_of``, and each manual indicator with a value
    entered for the region (keys: :func:`figure_key`)."""
    prefix = region.prefix
    out = {name: query(prefix, as_of) for name, query in queries.QUERIES.items()}
    entered = (
        ManualValue.objects.filter(region=region, as_of__lte=as_of)
        .order_by("indicator")
        .values_list("indicator", flat=True)
        .distinct()
    )
    for ident in entered:
        out[f"manual:{ident}"] = queries.manual(prefix, as_of, ident)
    return out


def _unit(key: str, result: queries.IndicatorResult) -> str:
    if key.startswith("manual:"):
        latest = result.records.first() if result.records is not None else None
        return latest.unit if latest is not None else "count"
    return queries.UNITS[key]


def figures_of(results: Mapping[str, queries.IndicatorResult]) -> dict[str, Figure]:
    """The core's figures (value, unit, 口径, record count) of computed results."""
    return {
        k: Figure(r.value, _unit(k, r), r.description, r.record_count) for k, r in results.items()
    }


def build_snapshot(region: Region, as_of: dt.date) -> Snapshot:
    """The core snapshot of the region's figures (ValueError naming ``as_of`` if in the future)."""
    if isinstance(as_of, dt.date) and not isinstance(as_of, dt.datetime) and as_of > today():
        # refuse before running any query
        make_snapshot(as_of, region.code, {}, today=today())
    return make_snapshot(as_of, region.code, figures_of(compute(region, as_of)), today=today())


def take_snapshot(region: Region, as_of: dt.date, user) -> IndicatorSnapshot:
    """Compute and store the region's figures as of ``as_of`` (audited: the digest is logged).

    Denied unless ``user`` regulates the region (or is an admin); IndicatorInputError naming
    ``as_of`` for a date in the future. The same data and date give the same digest.
    """
    _require_write(user, region)
    as_of = check_as_of(as_of)
    snap = build_snapshot(region, as_of)
    with transaction.atomic(), acting_as(user, "indicator snapshot"):
        return IndicatorSnapshot.objects.create(
            region=region,
            as_of=as_of,
            payload=snap.canonical().decode(),
            digest=snap.digest,
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )


def snapshot_of(row: IndicatorSnapshot) -> Snapshot:
    """The core snapshot stored in a row (its digest recomputes to ``row.digest``)."""
    return Snapshot.from_canonical(row.payload)


# ------------------------------------------------------------------ manual values


def _evidence_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "indicators"


def evidence_file(sha256: str, name: str) -> Path:
    """Where the evidence file of content digest ``sha256`` (named ``name``) is stored."""
    return _evidence_dir() / (sha256 + Path(name).suffix.lower())


def evidence_path(row: ManualValue) -> Path:
    return evidence_file(row.evidence_sha256, row.evidence_name)


def store_evidence(content: bytes, name: str) -> str:
    """Store ``content`` content-addressed (the same file once, written whole: a ``.part`` file
    renamed into place) and return its SHA-256."""
    digest = hashlib.sha256(content).hexdigest()
    path = evidence_file(digest, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        tmp = path.with_suffix(path.suffix + ".part")
        tmp.write_bytes(content)
        tmp.replace(path)
    return digest


def _check_value(definition: IndicatorDefinition, value) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise IndicatorInputError({"value": _("不是数值")})
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise IndicatorInputError({"value": _("须为有限的非负数")})
    if definition.unit == "%" and value > 100:
        raise IndicatorInputError({"value": _("百分比不得大于 100")})
    if definition.unit == "count" and not value.is_integer():
        raise IndicatorInputError({"value": _("计数须为整数")})
    return value


def read_evidence(upload, limit: int | None = None) -> tuple[bytes, str, str]:
    """``(content, file name, content type)`` of an uploaded evidence file, checked for size
    and type; IndicatorInputError naming ``evidence`` otherwise."""
    limit = limit or getattr(settings, "JILIANG_INDICATOR_EVIDENCE_MAX", EVIDENCE_MAX)
    if upload is None:
        raise IndicatorInputError({"evidence": _("须附证明材料")})
    name = Path(str(getattr(upload, "name", "") or "")).name[:200]
    if getattr(upload, "size", 0) > limit:
        raise IndicatorInputError(
            {"evidence": _("文件大于 %(size)d MiB") % {"size": limit // 2**20}}
        )
    suffix = Path(name).suffix.lower()
    allowed = ", ".join(sorted(EVIDENCE_TYPES))
    if suffix not in EVIDENCE_TYPES:
        raise IndicatorInputError(
            {
                "evidence": _("不允许的文件类型“%(ext)s”；允许：%(allowed)s")
                % {"ext": suffix or name, "allowed": allowed}
            }
        )
    content = upload.read(limit + 1)
    if len(content) > limit:
        raise IndicatorInputError(
            {"evidence": _("文件大于 %(size)d MiB") % {"size": limit // 2**20}}
        )
    ctype, magic = EVIDENCE_TYPES[suffix]
    if not content.startswith(magic):
        raise IndicatorInputError(
            {"evidence": _("文件内容不是其扩展名所示的类型（%(ext)s）") % {"ext": suffix}}
        )
    return content, name, ctype


def enter_value(
    user,
    region: Region,
    indicator: str,
    as_of: dt.date,
    value,
    unit: str,
    upload,
    note: str = "",
) -> ManualValue:
    """Record an entered value of a ``manual`` indicator with its evidence (audited)."""
    _require_write(user, region)
    try:
        definition = book().definition(indicator)
    except KeyError:
        raise IndicatorInputError(
            {"indicator": _("未知的指标“%(id)s”") % {"id": indicator}}
        ) from None
    if definition.formula != "manual":
        raise IndicatorInputError(
            {"indicator": _("指标“%(id)s”由记录计算，不可人工填报") % {"id": indicator}}
        )
    as_of = check_as_of(as_of)
    if unit != definition.unit:
        raise IndicatorInputError(
            {
                "unit": _("单位“%(unit)s”与指标定义的单位“%(defined)s”不符")
                % {"unit": unit, "defined": definition.unit}
            }
        )
    value = _check_value(definition, value)
    note = str(note or "")
    if len(note) > NOTE_MAX:
        raise IndicatorInputError({"note": _("不得超过 %(n)d 字") % {"n": NOTE_MAX}})
    content, name, ctype = read_evidence(upload)
    digest = store_evidence(content, name)
    with transaction.atomic(), acting_as(user, "indicator value entered"):
        return ManualValue.objects.create(
            indicator=indicator,
            region=region,
            as_of=as_of,
            value=value,
            unit=unit,
            note=note,
            evidence_name=name,
            evidence_sha256=digest,
            evidence_size=len(content),
            evidence_type=ctype,
            entered_by=user if getattr(user, "is_authenticated", False) else None,
        )


# ------------------------------------------------------------------ tracking


@dataclass
class Row:
    """One indicator on the cockpit page / in the API."""

    definition: IndicatorDefinition
    key: str
    result: queries.IndicatorResult
    baseline: IndicatorValue | None
    target: IndicatorValue | None
    status: str  # green | amber | red | "" (no baseline or target)
    status_reason: str
    expected: float | None
    projected_year: int | None
    projection_reason: str
    series: list[tuple[str, float]]  # (as_of ISO, value) from the snapshots, oldest first

    def as_dict(self) -> dict:
        d = self.definition
        r = self.result
        return {
            "id": d.id,
            "plan": d.plan,
            "name_zh": d.name_zh,
            "name_en": d.name_en,
            "unit": d.unit,
            "kind": d.kind.value,
            "direction": d.direction.value,
            "formula": d.formula,
            "value": r.value,
            "record_count": r.record_count,
            "description": r.description,
            "no_records": r.no_records,
            "gaps": list(r.gaps),
            "baseline": None if self.baseline is None else self.baseline.value,
            "baseline_year": None if self.baseline is None else self.baseline.year,
            "target": None if self.target is None else self.target.value,
            "target_year": None if self.target is None else self.target.year,
            "status": self.status,
            "status_reason": self.status_reason,
            "expected": self.expected,
            "projected_year": self.projected_year,
            "projection_reason": self.projection_reason,
            "series": [{"as_of": t, "value": v} for t, v in self.series],
        }


def series_of(region: Region, up_to: dt.date | None = None) -> dict[str, list[tuple[str, float]]]:
    """Figure key → [(as_of, value)] from the region's snapshots (the latest per date)."""
    rows = IndicatorSnapshot.objects.filter(region=region).order_by("as_of", "id")
    if up_to is not None:
        rows = rows.filter(as_of__lte=up_to)
    latest: dict[dt.date, str] = {}
    for as_of, payload in rows.values_list("as_of", "payload"):
        latest[as_of] = payload  # later rows of a date replace earlier ones
    out: dict[str, list[tuple[str, float]]] = {}
    for as_of in sorted(latest):
        doc = json.loads(latest[as_of])
        for key, fig in doc["figures"].items():
            if fig["value"] is not None:
                out.setdefault(key, []).append((as_of.isoformat(), float(fig["value"])))
    return out


def _assess(d, value, baseline, target, as_of, series):
    status, reason, expected, year, why = "", "", None, None, ""
    if target is None or target.value is None:
        return status, _("无目标值"), expected, year, _("无目标值")
    if value is None:
        reason = _("无数值")
    elif baseline is None or baseline.value is None:
        reason = _("无基期值")
    elif target.year <= baseline.year:
        reason = _("目标年不晚于基期年")
    else:
        a = tracking.rag(
            value, baseline.year, baseline.value, target.year, target.value, as_of, d.direction
        )
        status, expected = a.status.value, a.expected
    points = {dt.date.fromisoformat(t): v for t, v in series}
    if value is not None:
        points[as_of] = float(value)
    if baseline is not None and baseline.value is not None:
        points.setdefault(dt.date(baseline.year, 12, 31), baseline.value)
    p = tracking.project(points, target.value, d.direction)
    year, why = p.year, p.reason
    return status, reason, expected, year, why


def _row(
    b, region: Region, d, key: str, result: queries.IndicatorResult, as_of: dt.date, series
) -> Row:
    """One cockpit row: ``result`` beside the region's baseline and target, assessed on
    ``as_of`` against the figure's ``series``."""
    baseline = b.baseline(d.id, region.code)
    target = b.target(d.id, region.code)
    status, reason, expected, year, why = _assess(d, result.value, baseline, target, as_of, series)
    return Row(d, key, result, baseline, target, status, reason, expected, year, why, series)


def rows_for(
    region: Region, as_of: dt.date, plan: str | None = None
) -> tuple[list[Row], dict[str, queries.IndicatorResult]]:
    """The cockpit rows of a region on ``as_of``: value, target, RAG, projected year, series."""
    as_of = check_as_of(as_of)
    defs = definitions_for(region, plan)
    results = compute(region, as_of)
    series = series_of(region, as_of)
    b = book()
    rows = []
    for d in defs:
        key = figure_key(d)
        result = results.get(key) or queries.manual(region.prefix, as_of, d.id)
        rows.append(_row(b, region, d, key, result, as_of, series.get(key, [])))
    return rows, results


# ------------------------------------------------------------------ from snapshots, comparison


def latest_snapshot(region: Region) -> IndicatorSnapshot | None:
    """The region's most recent snapshot (latest ``as_of``, then latest taken), None if none."""
    return IndicatorSnapshot.objects.filter(region=region).order_by("-as_of", "-id").first()


def rows_from_snapshot(
    region: Region, row: IndicatorSnapshot, plan: str | None = None
) -> list[Row]:
    """The cockpit rows from a stored snapshot (no record query runs): each figure's value,
    record count and 口径 as stored, assessed like :func:`rows_for` on the snapshot's date."""
    snap = snapshot_of(row)
    series = series_of(region, row.as_of)
    b = book()
    rows = []
    for d in definitions_for(region, plan):
        key = figure_key(d)
        fig = snap.figures.get(key)
        result = queries.IndicatorResult(
            None if fig is None else fig.value,
            0 if fig is None else fig.record_count,
            d.query if fig is None else fig.query,
            None,
            no_records=fig is None or fig.value is None,
        )
        rows.append(_row(b, region, d, key, result, row.as_of, series.get(key, [])))
    return rows


@dataclass
class Ranked:
    """One child region's figure in a comparison (排名)."""

    code: str
    name: str
    value: float | int | None
    record_count: int
    rank: int | None  # standard competition ranking (1, 1, 3); None without a value


def compare_children(region: Region, formula: str, as_of: dt.date) -> list[Ranked]:
    """One computed indicator across the child regions of ``region``, computed from records on
    ``as_of``, best first (higher values first; lower when the indicator's direction says so —
    ``direction`` of the first definition using the formula). IndicatorInputError naming
    ``indicator`` for a formula that is not computed from records."""
    if formula not in queries.QUERIES:
        raise IndicatorInputError(
            {"indicator": _("指标“%(id)s”不由记录计算，无法比较") % {"id": formula}}
        )
    as_of = check_as_of(as_of)
    lower = any(d.formula == formula and d.direction.value == "lower" for d in book().definitions)
    out = []
    for child in Region.objects.filter(parent=region).order_by("code"):
        r = queries.QUERIES[formula](child.prefix, as_of)
        out.append(Ranked(child.code, child.name, r.value, r.record_count, None))
    valued = sorted(
        (x for x in out if x.value is not None),
        key=lambda x: ((x.value if lower else -x.value), x.code),
    )
    for i, x in enumerate(valued):
        x.rank = valued[i - 1].rank if i and valued[i - 1].value == x.value else i + 1
    return valued + [x for x in out if x.value is None]
