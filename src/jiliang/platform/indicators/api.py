"""Indicators API (/api/indicators): definitions, values (JSON or CSV), snapshots, entered values.

Reads: regulators and inspectors of an area containing the region, and admins (others: 404, the
region's figures are not revealed). Writes (snapshots, entered values): regulators of the region
and admins (403 naming ``region``); bad input is a 422 naming the field.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import File, Form, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile

from jiliang.platform import lists
from jiliang.platform.params import MAX_ID, Limit, Offset, QueryDate, SaneDate
from jiliang.platform.registry.api import FieldErrors

from . import services
from .models import IndicatorSnapshot, ManualValue

router = Router(tags=["indicators"])


class DefinitionOut(Schema):
    id: str
    plan: str
    name_zh: str
    name_en: str
    unit: str
    kind: str
    direction: str
    formula: str
    level: str
    query: str
    source: str
    edition: str
    clause: str
    confirmed: bool


class SnapshotIn(Schema):
    region: str
    as_of: SaneDate | None = None


class SnapshotOut(Schema):
    id: int
    region: str
    as_of: dt.date
    digest: str
    created_by: str | None
    created_at: dt.datetime


class SnapshotDetail(SnapshotOut):
    payload: dict


class ManualOut(Schema):
    id: int
    indicator: str
    region: str
    as_of: dt.date
    value: float
    unit: str
    note: str
    evidence_name: str
    evidence_sha256: str
    evidence_size: int
    entered_by: str | None
    entered_at: dt.datetime


def _user(request):
    return request.auth if getattr(request.auth, "is_authenticated", False) else request.user


def _fields(fn, *args, **kwargs):
    """Call a service, turning its field errors into a 422."""
    try:
        return fn(*args, **kwargs)
    except services.IndicatorInputError as exc:
        raise FieldErrors({k: [v] for k, v in exc.errors.items()}) from None


def _readable_region(request, code: str):
    region = _fields(services.region_named, code)
    if not services.may_read(_user(request), region):
        raise HttpError(404, _("未找到区划 %(code)s") % {"code": code})
    return region


def _definition_out(d) -> dict:
    return {
        "id": d.id,
        "plan": d.plan,
        "name_zh": d.name_zh,
        "name_en": d.name_en,
        "unit": d.unit,
        "kind": d.kind.value,
        "direction": d.direction.value,
        "formula": d.formula,
        "level": d.level.value,
        "query": d.query,
        "source": d.source,
        "edition": d.edition,
        "clause": d.clause,
        "confirmed": d.confirmed,
    }


def _snapshot_out(row: IndicatorSnapshot, detail: bool = False) -> dict:
    out = {
        "id": row.pk,
        "region": row.region.code,
        "as_of": row.as_of,
        "digest": row.digest,
        "created_by": row.created_by.get_username() if row.created_by_id else None,
        "created_at": row.created_at,
    }
    if detail:
        import json

        out["payload"] = json.loads(row.payload)
    return out


def _manual_out(row: ManualValue) -> dict:
    return {
        "id": row.pk,
        "indicator": row.indicator,
        "region": row.region.code,
        "as_of": row.as_of,
        "value": row.value,
        "unit": row.unit,
        "note": row.note,
        "evidence_name": row.evidence_name,
        "evidence_sha256": row.evidence_sha256,
        "evidence_size": row.evidence_size,
        "entered_by": row.entered_by.get_username() if row.entered_by_id else None,
        "entered_at": row.entered_at,
    }


@router.get("/definitions", response=list[DefinitionOut], auth=None)
def list_definitions(request: HttpRequest, plan: str | None = None):
    """Every indicator definition of the loaded plans (public: the plans are public documents)."""
    defs = services.book().definitions
    if plan:
        defs = [d for d in defs if d.plan == plan]
    return [_definition_out(d) for d in defs]


#: CSV columns of ``GET /values?format=csv``: the figure beside its definition
CSV_COLUMNS = (
    lists.Column(gettext_lazy("指标"), lambda r: r["id"]),
    lists.Column(gettext_lazy("规划"), lambda r: r["plan"]),
    lists.Column(gettext_lazy("名称"), lambda r: r["name_zh"]),
    lists.Column(gettext_lazy("英文名称"), lambda r: r["name_en"]),
    lists.Column(gettext_lazy("单位"), lambda r: r["unit"]),
    lists.Column(gettext_lazy("属性"), lambda r: r["kind"]),
    lists.Column(gettext_lazy("计算公式"), lambda r: r["formula"]),
    lists.Column(gettext_lazy("数值"), lambda r: r["value"]),
    lists.Column(gettext_lazy("记录数"), lambda r: r["record_count"]),
    lists.Column(gettext_lazy("目标值"), lambda r: r["target"]),
    lists.Column(gettext_lazy("目标年"), lambda r: r["target_year"]),
    lists.Column(gettext_lazy("状态"), lambda r: r["status"]),
    lists.Column(gettext_lazy("预计达标年"), lambda r: r["projected_year"]),
    lists.Column(gettext_lazy("口径"), lambda r: r["description"]),
)


@router.get("/values")
def values(
    request: HttpRequest,
    region: str,
    as_of: QueryDate | None = None,
    plan: str | None = None,
    format: str = "json",
):
    """The region's indicators on ``as_of`` (default today): value, record count, 口径, target,
    red/amber/green and the projected year; ``format=csv`` gives the same rows as CSV."""
    if format not in ("json", "csv"):
        raise FieldErrors({"format": [_("须为 json 或 csv")]})
    reg = _readable_region(request, region)
    rows, _results = _fields(services.rows_for, reg, as_of, plan)
    items = [r.as_dict() for r in rows]
    day = services.check_as_of(as_of)
    if format == "csv":
        return lists.csv_response(items, CSV_COLUMNS, f"indicators-{reg.code}-{day}")
    return {"region": reg.code, "as_of": day.isoformat(), "count": len(items), "items": items}


@router.post("/snapshots", response={201: SnapshotOut})
def create_snapshot(request: HttpRequest, payload: SnapshotIn):
    """Compute and store the region's figures as of ``as_of`` (the digest goes to the log)."""
    region = _fields(services.region_named, payload.region)
    row = _fields(services.take_snapshot, region, payload.as_of, _user(request))
    return Status(201, _snapshot_out(row))


@router.get("/snapshots")
def list_snapshots(
    request: HttpRequest, region: str, limit: Limit = 50, offset: Offset = 0
) -> dict:
    """The region's snapshots, oldest first (``count``, ``limit``, ``offset``, ``items``)."""
    reg = _readable_region(request, region)
    qs = IndicatorSnapshot.objects.filter(region=reg).select_related("region", "created_by")
    items = [_snapshot_out(r) for r in qs[offset : offset + limit]]
    return {"count": qs.count(), "limit": limit, "offset": offset, "items": items}


@router.get("/snapshots/{pk}", response=SnapshotDetail)
def get_snapshot(request: HttpRequest, pk: int):
    row = (
        IndicatorSnapshot.objects.select_related("region", "created_by").filter(pk=pk).first()
        if 0 < pk <= MAX_ID
        else None
    )
    if row is None or not services.may_read(_user(request), row.region):
        raise HttpError(404, _("未找到快照 %(pk)s") % {"pk": pk})
    return _snapshot_out(row, detail=True)


@router.post("/manual", response={201: ManualOut})
def enter_manual(
    request: HttpRequest,
    evidence: File[UploadedFile],
    region: Form[str],
    indicator: Form[str],
    as_of: Form[SaneDate],
    value: Form[float],
    unit: Form[str],
    note: Form[str] = "",
):
    """Enter a value of a ``manual`` indicator with its evidence file (PDF, PNG, JPEG, XLSX)."""
    reg = _fields(services.region_named, region)
    row = _fields(
        services.enter_value, _user(request), reg, indicator, as_of, value, unit, evidence, note
    )
    return Status(201, _manual_out(row))


@router.get("/manual")
def list_manual(request: HttpRequest, region: str, limit: Limit = 50, offset: Offset = 0) -> dict:
    reg = _readable_region(request, region)
    qs = ManualValue.objects.filter(region=reg).select_related("region", "entered_by")
    items = [_manual_out(r) for r in qs[offset : offset + limit]]
    return {"count": qs.count(), "limit": limit, "offset": offset, "items": items}
