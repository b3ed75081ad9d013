"""Double-random draws (双随机、一公开): pools from the registry, commit → run → reveal.

The published record is exactly :class:`jiliang.core.legal.draw.DrawRecord`'s JSON, so
``jiliang draw verify DRAW.json`` recomputes it offline.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from jiliang.core.legal import draw as core
from jiliang.core.legal.supervision import draw_publication_days
from jiliang.platform.audit.context import acting_as
from jiliang.platform.monitoring.models import Alarm
from jiliang.platform.registry.models import Organisation, Person, Region

from . import draw_log
from .access import supervisor_prefix
from .credit import grades_for
from .models import Draw, DrawData, DrawResult, Filing
from .services import area, catalogue, today


class DrawError(ValueError):
    """Bad draw request; ``field`` names the offending input."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def _held_items(prefix: str, codes: list[str]) -> dict[str, set[str]]:
    """Owner credit code → the item codes (of ``codes``) it has filed instruments of, in the
    regions under ``prefix``.

    Set-based, one query: GROUP BY (owner id, item code) over the filings — no ORDER BY (the
    model's default ordering would make DISTINCT keep every filing) and no per-filing join to
    regions or organisations — and the owners' credit codes joined to the grouped rows.
    """
    in_sql, after = area(prefix)
    qs = Filing.objects.active().order_by().filter(item_code__in=codes)
    if in_sql is not None:
        qs = qs.filter(instrument__region_id__in=in_sql)
    fields = ["instrument__owner_id", "item_code"]
    if after is not None:
        fields.append("instrument__region_id")
    grouped = qs.values(*fields).annotate(n=Count("pk")).values_list(*fields)  # GROUP BY fields
    try:
        sql, params = grouped.query.sql_with_params()
    except EmptyResultSet:  # no region under the prefix
        return {}
    qn = connection.ops.quote_name
    # values_list() names each column by its lookup, so the grouped rows can be joined by name
    sql = (
        f"SELECT o.{qn('code')}, {', '.join(f'g.{qn(f)}' for f in fields[1:])} FROM ({sql}) g "
        f"INNER JOIN {qn(Organisation._meta.db_table)} o ON o.{qn('id')} = g.{qn(fields[0])}"
    )
    held: dict[str, set[str]] = defaultdict(set)
    with connection.cursor() as cur:
        cur.execute(sql, params)
        for code, item, *where in cur.fetchall():
            if after is None or where[0] in after:
                held[code].add(item)
    return held


def _tamper_alarms(prefix: str, codes: list[str]) -> dict[str, int]:
    """Credit code → unresolved tamper alarms on its instruments in the region (monitoring)."""
    rows = (
        Alarm.objects.filter(
            resolved_at__isnull=True,
            tamper=True,
            instrument__region__code__startswith=prefix,
            instrument__owner__code__in=codes,
        )
        .values("instrument__owner__code")
        .annotate(n=Count("pk"))
    )
    return {r["instrument__owner__code"]: r["n"] for r in rows}


def build_pools(
    region: Region,
    items: list[dict],
    inspectors_per_object: int = core.MIN_INSPECTORS,
    weight_by_risk: bool = False,
    conflicts: dict[str, list[str]] | None = None,
) -> dict:
    """Check items, object pool and inspector pool of ``region`` from the registry.

    Objects: organisations owning filed instruments of the items in the region (id = credit
    code, their ``items`` = the item codes they hold). Inspectors: registered persons of the
    region's regulators and statutory institutes (id ``P<pk>``), with declared conflicts.
    """
    cat = catalogue()
    if not items:
        raise DrawError("items", _("至少需要一个检查项目"))
    out_items = []
    for i, it in enumerate(items):
        code = it.get("id")
        if code not in cat:
            raise DrawError(
                "items", _("第 %(n)s 项：%(code)s 不是目录条目代码") % {"n": i + 1, "code": code}
            )
        ratio = it.get("ratio", 0)
        if not isinstance(ratio, int | float) or not 0 <= ratio <= 1:
            raise DrawError("items", _("第 %(n)s 项：抽查比例须在 0 到 1 之间") % {"n": i + 1})
        out_items.append({"id": code, "name": cat.item(code).name_zh, "ratio": float(ratio)})
    held = _held_items(region.prefix, [i["id"] for i in out_items])
    grades = grades_for(list(held)) if weight_by_risk else {}
    # credit grade → risk class from the core's draw table (``credit_grades`` of each class)
    risk_class = core.risk_class_of_grade(as_of=today()) if weight_by_risk else {}
    # monitoring's unresolved tamper alarms (计量作弊嫌疑) raise an owner's class (core table)
    alarms = _tamper_alarms(region.prefix, list(held)) if weight_by_risk else {}
    objects = []
    for code in sorted(held):
        obj = {"id": code, "org": code, "items": sorted(held[code])}
        if weight_by_risk:
            graded = risk_class[grades.get(code, "A")]
            obj["risk_class"] = core.escalated_class(graded, alarms.get(code, 0), as_of=today())
        objects.append(obj)
    conflicts = conflicts or {}
    inspectors = []
    for p in Person.objects.filter(
        organisation__region__code__startswith=region.prefix,
        organisation__kind__in=[Organisation.Kind.REGULATOR, Organisation.Kind.STATUTORY],
    ).select_related("organisation"):
        pid = f"P{p.pk}"
        entry = {"id": pid, "org": p.organisation.code}
        if conflicts.get(pid):
            entry["conflicts"] = sorted(str(c) for c in conflicts[pid])
        inspectors.append(entry)
    unknown = set(conflicts) - {p["id"] for p in inspectors}
    if unknown:
        raise DrawError("conflicts", f"unknown inspector id(s) {sorted(unknown)}")
    params = {
        "inspectors_per_object": inspectors_per_object,
        "weight_by_risk": weight_by_risk,
        "algorithm": core.ALGORITHM,  # frozen with the pools: fixed before the seed is drawn
    }
    pools = {"items": out_items, "objects": objects, "inspectors": inspectors, "params": params}
    try:
        return core.normalise_pools(pools)
    except ValueError as exc:
        raise DrawError("pools", str(exc)) from None


@transaction.atomic
def commit(user, title: str, region: Region, pools: dict, publish_days: int | None = None) -> Draw:
    """Freeze the pools and publish the commitment SHA-256(seed); the seed stays secret.

    ``publish_days`` (calendar days to the publication deadline) defaults to the core's
    ``supervision`` table (``draw_publication_days``) in force today.
    """
    if publish_days is None:
        publish_days = draw_publication_days(as_of=timezone.localdate())
    seed = core.new_seed()
    frozen = core.normalise_pools(pools)
    draw = Draw.objects.create(
        title=title,
        region=region,
        created_by=user if user is not None and user.is_authenticated else None,
        commitment=core.commitment(seed),
        pools_sha256=core.pools_digest(frozen),
        n_objects=len(frozen["objects"]),
        publish_by=timezone.localdate() + dt.timedelta(days=publish_days),
    )
    DrawData.objects.create(draw=draw, seed_hex=seed.hex(), pools=frozen)
    draw_log.log(draw, draw_log.COMMITMENT)  # commitment + pools digest in the public log
    draw.save(update_fields=["commitment_leaf"])
    return draw


@transaction.atomic
def run(draw: Draw) -> Draw:
    """Draw with the algorithm the frozen pools commit to (pools frozen before v2 name none and
    are drawn with v1); :class:`~jiliang.core.legal.draw.DrawRefused` leaves it committed."""
    if draw.stage != Draw.Stage.COMMITTED:
        raise DrawError(
            "stage",
            _("抽取处于“%(stage)s”阶段，只能执行已承诺的抽取")
            % {"stage": draw.get_stage_display()},
        )
    data = draw.data
    data.selections = core.compute_selections(
        bytes.fromhex(data.seed_hex), data.pools, draw.pools_sha256
    )
    data.save(update_fields=["selections"])
    draw.selections_sha256 = hashlib.sha256(core.canonical_json(data.selections)).hexdigest()
    draw.n_selected = len(data.selections)
    draw.stage = Draw.Stage.DRAWN
    draw.drawn_at = timezone.now()
    draw.save()
    return draw


@transaction.atomic
def reveal(draw: Draw) -> Draw:
    if draw.stage != Draw.Stage.DRAWN:
        raise DrawError(
            "stage",
            _("抽取处于“%(stage)s”阶段：先抽取，再公开种子") % {"stage": draw.get_stage_display()},
        )
    draw.stage = Draw.Stage.REVEALED
    draw.seed_hex = draw.data.seed_hex
    draw.revealed_at = timezone.now()
    draw_log.log(draw, draw_log.REVEAL)
    draw.save()
    return draw


def selections(draw: Draw) -> list[dict]:
    return draw.data.selections or []


def record_result(
    user, draw: Draw, item_id: str, object_id: str, outcome: str, notes: str = "", reason: str = ""
) -> DrawResult:
    """Record (or correct) the inspection result of one drawn object, audited as ``user``.

    The caller has checked :func:`may_operate`; :class:`DrawError` names the field when the
    object was not drawn in ``draw`` or the outcome is not one of ``DrawResult.Outcome``.
    """
    drawn = {(s["item_id"], s["object_id"]) for s in selections(draw)}
    if (item_id, object_id) not in drawn:
        raise DrawError("object_id", _("不是本次抽中的对象"))
    if outcome not in DrawResult.Outcome.values:
        raise DrawError("outcome", f"must be one of {DrawResult.Outcome.values}")
    with transaction.atomic(), acting_as(user, reason):
        result, _created = DrawResult.objects.update_or_create(
            draw=draw,
            item_id=item_id,
            object_id=object_id,
            defaults={"outcome": outcome, "notes": notes[:500]},
        )
    return result


def may_operate(user, draw: Draw) -> bool:
    """Whether ``user`` runs ``draw``: records results, reveals the seed, sees the selections.

    The regulator who committed the draw (``created_by``) and nobody else; a draw committed
    without a user (CLI, demo) falls to the regulators of its region.
    """
    if user is None or not user.is_authenticated:
        return False
    prefix = supervisor_prefix(user)
    if prefix is None or not draw.region.code.startswith(prefix):
        return False
    return draw.created_by_id is None or draw.created_by_id == user.pk


def may_see_selections(user, draw: Draw) -> bool:
    """Whether ``user`` may see who and what was drawn: everyone once the seed is revealed,
    before that only the draw's operator (:func:`may_operate`).

    Before the reveal the drawn enterprises must not learn of the inspection, and nobody may
    check the selections' SHA-256 against guessed selections (small pools are enumerable), so
    the selections, their digest and the results recorded against them stay private; the
    commitment, the frozen pools and their digest are public from the start.
    """
    # the seed as well as the stage: selections are public when anyone can recompute them
    revealed = draw.stage == Draw.Stage.REVEALED and bool(draw.seed_hex)
    return revealed or may_operate(user, draw)


def publication(draw: Draw) -> dict:
    """Whether the inspection results are public by the draw's deadline (一公开).

    Results are public as soon as they are recorded (the draw page and API need no login), so a
    selection without a result after ``publish_by`` is a result not published in time.
    """
    done = set(draw.results.values_list("item_id", "object_id"))
    missing = sum((s["item_id"], s["object_id"]) not in done for s in selections(draw))
    overdue = bool(missing) and draw.publish_by is not None and today() > draw.publish_by
    return {"publish_by": draw.publish_by, "results_missing": missing, "overdue": overdue}


def published(draw: Draw, user=None, *, operator: bool = False) -> dict:
    """The public record (``jiliang draw verify`` input); the seed only once revealed, the
    selections only once revealed or to the draw's operator (``operator`` = already checked,
    else :func:`may_see_selections` of ``user``)."""
    shown = operator or may_see_selections(user, draw)
    return core.DrawRecord(
        commitment=draw.commitment,
        pools=draw.data.pools,
        pools_sha256=draw.pools_sha256,
        selections=(draw.data.selections or []) if shown else [],
        seed_hex=draw.seed_hex or None,
        created_at=draw.created_at.isoformat(),
        algorithm=core.committed_algorithm(draw.data.pools),
    ).to_dict()
