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
from jiliang.platform.common.errors import FieldErrors
from jiliang.platform.common.paging import page
from jiliang.platform.common.requests import current_user
from jiliang.platform.params import MAX_ID, Limit, Offset, QueryDate, SaneDate

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


def _fields(fn, *args, **kwargs):
    """Call a service, turning its field errors into a 422."""
    try:
        return fn(*args, **kwargs)
    except services.IndicatorInputError as exc:
        raise FieldErrors({k: [v] for k, v in exc.errors.items()}) from None


def _readable_region(request, code: str):
    region = _fields(services.region_named, code)
    if not services.may_read(current_user(request), region):
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


@router.get("/report")
def report(
    request: HttpRequest,
    region: str,
    as_of: QueryDate | None = None,
    plan: str | None = None,
    snapshot: int | None = None,
    format: str = "pdf",
):
    """Mid-term evaluation report (中期评估报告) of the region from its stored snapshot of
    ``as_of`` (the first one of that date) or ``snapshot`` (id): PDF or XLSX, in the request's
    language. The same date gives the same figures; the report prints the snapshot's digest
    and its transparency-log leaf and checkpoint. 422 naming ``as_of`` when there is no
    snapshot of that date."""
    from django.http import HttpResponse
    from django.utils.translation import get_language

    from . import report as reports

    if format not in ("pdf", "xlsx"):
        raise FieldErrors({"format": [_("须为 pdf 或 xlsx")]})
    if snapshot is not None and not 0 < snapshot <= MAX_ID:
        raise FieldErrors({"snapshot": [_("不是有效的编号")]})
    reg = _readable_region(request, region)
    english = (get_language() or "").startswith("en")
    rep = _fields(reports.build, reg, as_of, english, plan, snapshot)
    name = f"indicator-report-{reg.code}-{rep.as_of.isoformat()}"
    if format == "xlsx":
        body = reports.to_xlsx(rep)
        ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body, ctype = reports.to_pdf(rep), "application/pdf"
    response = HttpResponse(body, content_type=ctype)
    response["Content-Disposition"] = f'attachment; filename="{name}.{format}"'
    return response


@router.post("/snapshots", response={201: SnapshotOut})
def create_snapshot(request: HttpRequest, payload: SnapshotIn):
    """Compute and store the region's figures as of ``as_of`` (the digest goes to the log)."""
    region = _fields(services.region_named, payload.region)
    row = _fields(services.take_snapshot, region, payload.as_of, current_user(request))
    return Status(201, _snapshot_out(row))


@router.get("/snapshots")
def list_snapshots(
    request: HttpRequest, region: str, limit: Limit = 50, offset: Offset = 0
) -> dict:
    """The region's snapshots, oldest first (``count``, ``limit``, ``offset``, ``items``)."""
    reg = _readable_region(request, region)
    qs = IndicatorSnapshot.objects.filter(region=reg).select_related("region", "created_by")
    return page(qs, limit, offset, _snapshot_out)


@router.get("/snapshots/{pk}", response=SnapshotDetail)
def get_snapshot(request: HttpRequest, pk: int):
    row = (
        IndicatorSnapshot.objects.select_related("region", "created_by").filter(pk=pk).first()
        if 0 < pk <= MAX_ID
        else None
    )
    if row is None or not services.may_read(current_user(request), row.region):
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
        services.enter_value,
        current_user(request),
        reg,
        indicator,
        as_of,
        value,
        unit,
        evidence,
        note,
    )
    return Status(201, _manual_out(row))


@router.get("/manual")
def list_manual(request: HttpRequest, region: str, limit: Limit = 50, offset: Offset = 0) -> dict:
    reg = _readable_region(request, region)
    qs = ManualValue.objects.filter(region=reg).select_related("region", "entered_by")
    return page(qs, limit, offset, _manual_out)


# ------------------------------------------------------------------ plan tasks


class TaskIn(Schema):
    region: str | None = None
    plan: str | None = None
    paragraph: str | None = None
    title_zh: str | None = None
    title_en: str | None = None
    responsible: str | None = None
    deadline: SaneDate | None = None
    status: str | None = None
    evidence_url: str | None = None
    indicators: list[str] | None = None


def _task_out(t) -> dict:
    return {
        "id": t.pk,
        "plan": t.plan,
        "paragraph": t.paragraph,
        "title_zh": t.title_zh,
        "title_en": t.title_en,
        "responsible": t.responsible.code,
        "responsible_name": t.responsible.name,
        "region": t.region.code,
        "deadline": t.deadline.isoformat(),
        "status": t.status,
        "overdue": t.is_overdue(services.today()),
        "evidence_url": t.evidence_url,
        "evidence_name": t.evidence_name,
        "evidence_sha256": t.evidence_sha256,
        "indicators": list(t.indicators or []),
    }


def _task(request, pk: int):
    from .models import PlanTask

    row = (
        PlanTask.objects.select_related("region", "responsible").filter(pk=pk).first()
        if 0 < pk <= MAX_ID
        else None
    )
    if row is None or not services.may_read(current_user(request), row.region):
        raise HttpError(404, _("未找到任务 %(pk)s") % {"pk": pk})
    return row


@router.get("/tasks")
def list_tasks(
    request: HttpRequest,
    region: str,
    indicator: str | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict:
    """Tasks of the region and the areas under it (``indicator=``: those serving it); each
    with ``overdue`` (not done, deadline passed, UTC)."""
    from . import tasks

    reg = _readable_region(request, region)
    return page(tasks.tasks_of(reg, indicator), limit, offset, _task_out)


@router.post("/tasks", response={201: dict})
def create_task(request: HttpRequest, payload: TaskIn):
    """Create a task (regulator of the region, admin; audited)."""
    from . import tasks

    values = payload.dict(exclude_unset=True)
    region = _fields(services.region_named, values.pop("region", None) or "")
    row = _fields(tasks.create_task, current_user(request), region, values)
    return Status(201, _task_out(row))


@router.patch("/tasks/{pk}")
def update_task(request: HttpRequest, pk: int, payload: TaskIn) -> dict:
    """Change a task's fields, e.g. ``{"status": "done"}`` (regulator of its region, admin)."""
    from . import tasks

    values = payload.dict(exclude_unset=True)
    if "region" in values:
        raise FieldErrors({"region": [_("任务的区划不可更改")]})
    row = _fields(tasks.update_task, current_user(request), _task(request, pk), values)
    return _task_out(row)


@router.post("/tasks/{pk}/evidence")
def task_evidence(request: HttpRequest, pk: int, evidence: File[UploadedFile]) -> dict:
    """Attach an evidence file (PDF, PNG, JPEG, XLSX) to a task."""
    from . import tasks

    row = _fields(tasks.attach_evidence, current_user(request), _task(request, pk), evidence)
    return _task_out(row)
