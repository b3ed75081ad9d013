"""Plan tasks (任务分解、责任落实): create, update, attach evidence, list per indicator.

Writes: the regulator of the task's region (or an admin), inside ``transaction.atomic()`` under
:func:`acting_as`, so every change has its audit entry (and log leaf). Bad input raises
:class:`~jiliang.platform.indicators.services.IndicatorInputError` naming the field; nothing is
written then.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from jiliang.platform.audit.context import acting_as
from jiliang.platform.registry.models import Organisation, Region

from . import services
from .models import PlanTask
from .services import IndicatorInputError

#: fields a create or update may set, with their longest length (text) or None
FIELDS: dict[str, int | None] = {
    "plan": 80,
    "paragraph": 40,
    "title_zh": 300,
    "title_en": 300,
    "responsible": None,
    "deadline": None,
    "status": None,
    "evidence_url": 500,
    "indicators": None,
}
REQUIRED = ("plan", "paragraph", "title_zh", "responsible", "deadline")


def _clean(values: Mapping[str, Any], creating: bool) -> dict[str, Any]:
    """Checked field values (IndicatorInputError naming every bad field)."""
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    unknown = sorted(set(values) - set(FIELDS))
    for name in unknown:
        errors[name] = _("未知字段")
    if creating:
        for name in REQUIRED:
            if values.get(name) in (None, ""):
                errors[name] = _("必填")
    for name, raw in values.items():
        if name not in FIELDS or name in errors:
            continue
        limit = FIELDS[name]
        if limit is not None:
            text = "" if raw is None else str(raw).strip()
            if len(text) > limit:
                errors[name] = _("不得超过 %(n)d 字") % {"n": limit}
            elif name in REQUIRED and not text:
                errors[name] = _("必填")
            elif name == "evidence_url" and text and not text.startswith(("https://", "http://")):
                errors[name] = _("须为 http:// 或 https:// 链接")
            else:
                out[name] = text
        elif name == "responsible":
            org = Organisation.objects.filter(code=str(raw)).first()
            if org is None:
                errors[name] = _("未知的统一社会信用代码“%(code)s”") % {"code": raw}
            else:
                out[name] = org
        elif name == "deadline":
            if isinstance(raw, str):
                try:
                    raw = dt.date.fromisoformat(raw)
                except ValueError:
                    raw = None
            if isinstance(raw, dt.datetime) or not isinstance(raw, dt.date):
                errors[name] = _("不是日期")
            else:
                out[name] = raw
        elif name == "status":
            if raw not in PlanTask.Status.values:
                errors[name] = _("须为 %(v)s 之一") % {"v": ", ".join(PlanTask.Status.values)}
            else:
                out[name] = raw
        elif name == "indicators":
            ids = list(raw or []) if isinstance(raw, list | tuple) else None
            known = {d.id for d in services.book().definitions}
            if ids is None or not all(isinstance(i, str) for i in ids):
                errors[name] = _("须为指标编号的列表")
            elif bad := [i for i in ids if i not in known]:
                errors[name] = _("未知的指标：%(ids)s") % {"ids": ", ".join(bad)}
            else:
                out[name] = sorted(set(ids))
    if "plan" in out and out["plan"] not in {p.plan for p in services.book().plans}:
        errors["plan"] = _("未知的规划“%(plan)s”") % {"plan": out["plan"]}
    if errors:
        raise IndicatorInputError(errors)
    return out


def create_task(user, region: Region, values: Mapping[str, Any]) -> PlanTask:
    """A new task of ``region`` (regulator of the region or admin; audited)."""
    services._require_write(user, region)
    fields = _clean(values, creating=True)
    with transaction.atomic(), acting_as(user, "plan task created"):
        return PlanTask.objects.create(
            region=region,
            created_by=user if getattr(user, "is_authenticated", False) else None,
            **fields,
        )


def update_task(user, task: PlanTask, values: Mapping[str, Any]) -> PlanTask:
    """Change a task's fields (regulator of its region or admin; audited)."""
    services._require_write(user, task.region)
    fields = _clean(values, creating=False)
    with transaction.atomic(), acting_as(user, "plan task updated"):
        task = PlanTask.objects.select_for_update().get(pk=task.pk)
        for name, value in fields.items():
            setattr(task, name, value)
        task.save()
        return task


def attach_evidence(user, task: PlanTask, upload) -> PlanTask:
    """Attach an evidence file (PDF, PNG, JPEG, XLSX; stored by SHA-256 like entered values)."""
    services._require_write(user, task.region)
    content, name, ctype = services.read_evidence(upload)
    digest = services.store_evidence(content, name)
    with transaction.atomic(), acting_as(user, "plan task evidence"):
        task = PlanTask.objects.select_for_update().get(pk=task.pk)
        task.evidence_name, task.evidence_sha256, task.evidence_type = name, digest, ctype
        task.save()
        return task


def tasks_of(region: Region, indicator: str | None = None):
    """Tasks of the region and the areas under it, optionally those serving one indicator."""
    qs = PlanTask.objects.filter(region__code__startswith=region.prefix).select_related(
        "region", "responsible"
    )
    if indicator:
        # JSON containment is not portable to SQLite; filter the (small) list in Python
        return [t for t in qs if indicator in (t.indicators or [])]
    return list(qs)


def by_indicator(tasks: list[PlanTask]) -> dict[str, list[PlanTask]]:
    """Indicator id → its tasks (a task serving several indicators appears under each; tasks
    serving none under ``""``)."""
    out: dict[str, list[PlanTask]] = {}
    for t in tasks:
        for ident in t.indicators or [""]:
            out.setdefault(ident, []).append(t)
    return dict(sorted(out.items()))
