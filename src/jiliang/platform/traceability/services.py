"""Scoped views of the core engine's results for pages and the API.

The engine validates the whole registry (a chain needs every upstream link); what a user sees
is cut down to the instruments :mod:`registry.permissions` lets them read: all for admins, their
region for regulators and inspectors, their organisation's for labs and enterprises, none for
the public. Every verdict, reason, coverage group, gap and what-if comes from
:mod:`jiliang.core.traceability`; this module only filters, pages and labels.
"""

from __future__ import annotations

import weakref
from datetime import date

import numpy as np
from django.db import connection
from django.http import Http404

from jiliang.core.traceability import Reason, TraceabilityEngine, find_gaps, what_if
from jiliang.core.traceability.coverage import coverage
from jiliang.core.traceability.population import VERDICTS
from jiliang.platform.accounts.roles import Role, role_of
from jiliang.platform.registry import models as m
from jiliang.platform.registry.permissions import (
    readable,
    user_organisation_id,
    user_region_prefix,
)

from .loader import LOCK

VERDICT_NAMES = [v.value for v in VERDICTS]
REASON_NAMES = [r.name for r in Reason]


def user_scope(user) -> tuple[str | None, int | None, bool]:
    """``(region prefix, organisation id, sees everything)`` per the Instrument policy."""
    role = role_of(user)
    if role is Role.ADMIN:
        return None, None, True
    if role in (Role.REGULATOR, Role.INSPECTOR):
        return user_region_prefix(user) or "-", None, False
    if role in (Role.LAB_STAFF, Role.ENTERPRISE):
        return None, user_organisation_id(user) or -1, False
    return "-", None, False


def instrument_mask(engine: TraceabilityEngine, user, region: str = "") -> np.ndarray:
    """Boolean array over ``engine.instruments``: readable by ``user`` (and in ``region``)."""
    prefix, org, everything = user_scope(user)
    inst = engine.instruments
    n = len(inst.ids)
    mask = np.ones(n, dtype=bool)
    if not everything:
        if org is not None:
            pos = engine.org_index.get(str(org), -1)
            mask &= inst.owner == pos if pos >= 0 else np.zeros(n, dtype=bool)
        else:
            mask &= _region_mask(engine, prefix)
    if region:
        mask &= _region_mask(engine, region)
    return mask


def _region_mask(engine: TraceabilityEngine, prefix: str) -> np.ndarray:
    ok = np.array([v.startswith(prefix) for v in engine.regions.values], dtype=bool)
    codes = engine.instruments.region
    return ok[codes] if len(ok) else np.zeros(len(codes), dtype=bool)


def region_allowed(user, region: str) -> bool:
    prefix, org, everything = user_scope(user)
    return everything or org is not None or (prefix != "-" and region.startswith(prefix))


def reason_codes(engine: TraceabilityEngine) -> np.ndarray:
    """Reported reason per instrument (own link, else inherited from above), -1 if none."""
    r = engine.reason.astype(np.int16).copy()
    node_reason = np.array(
        [res.issue.reason if res.issue else -1 for res in engine.nodes.results] or [-1],
        dtype=np.int16,
    )
    up = engine.issue_node >= 0
    r[up] = node_reason[engine.issue_node[up]]
    r[engine.verdict == 0] = -1
    return r


def select(
    engine: TraceabilityEngine,
    mask: np.ndarray,
    category: str = "",
    verdict: str = "",
    reason: str = "",
) -> np.ndarray:
    """Positions of instruments passing the filters (unknown filter values select nothing)."""
    sel = mask.copy()
    if category:
        sel &= engine.instruments.category == engine.categories.codes.get(category, -9)
    if verdict:
        code = VERDICT_NAMES.index(verdict) if verdict in VERDICT_NAMES else -9
        sel &= engine.verdict == code
    if reason:
        code = REASON_NAMES.index(reason) if reason in REASON_NAMES else -9
        sel &= reason_codes(engine) == code
    return np.flatnonzero(sel)


def verdict_rows(engine: TraceabilityEngine, positions) -> list[dict]:
    """One row per instrument position: registry labels + the core's result."""
    ids = [engine.instruments.ids[i] for i in positions]
    info = {
        str(pk): (lid, name, cat, region)
        for pk, lid, name, cat, region in m.Instrument.objects.filter(
            pk__in=[int(i) for i in ids]
        ).values_list("pk", "lifetime_id", "name", "category", "region__code")
    }
    rows = []
    for iid in ids:
        res = engine.result(iid).to_dict()
        lid, name, cat, region = info.get(iid, ("", "", "", ""))
        issue = res["issue"] or {}
        rows.append(
            {
                "id": int(iid),
                "lifetime_id": lid,
                "name": name,
                "category": cat,
                "region": region,
                "verdict": res["verdict"],
                "reason": issue.get("reason"),
                "message": issue.get("message"),
                "message_zh": issue.get("message_zh"),
                "at": issue.get("node"),
                "length": res["length"],
                "uncertainties": res["uncertainties"],
            }
        )
    return rows


def scoped_coverage(
    engine: TraceabilityEngine, mask: np.ndarray, by: str, region_level: str = "county"
) -> dict:
    """The core's coverage groups, counted over the instruments in ``mask`` only."""
    return coverage(engine, by, "instruments", region_level, mask=mask)


def scoped_gaps(engine: TraceabilityEngine, user, region: str = "", flat: bool = False):
    """The core's gaps (量值传递空白) in regions the user may see."""
    prefix, org, everything = user_scope(user)
    if not everything and org is not None:
        return []
    gaps = find_gaps(engine, region_level="county", flat=flat)
    out = []
    for g in gaps:
        if not everything and not g.region_code.startswith(prefix):
            continue
        if region and not g.region_code.startswith(region):
            continue
        out.append(g.to_dict())
    return out


def scoped_what_if(engine: TraceabilityEngine, user, standard_ids, mask, limit: int = 200):
    """Instruments (readable by the user) that lose traceability if the standards go."""
    with LOCK:
        result = what_if(engine, withdrawn=[str(s) for s in standard_ids])
    lost = [i for i in result.lost_instruments if mask[engine.instrument_index[i]]]
    by_region: dict[str, int] = {}
    by_category: dict[str, int] = {}
    for iid in lost:
        i = engine.instrument_index[iid]
        reg = engine.regions.values[engine.instruments.region[i]]
        cat = engine.categories.values[engine.instruments.category[i]]
        by_region[reg] = by_region.get(reg, 0) + 1
        by_category[cat] = by_category.get(cat, 0) + 1
    labels = dict(
        m.Instrument.objects.filter(pk__in=[int(i) for i in lost[:limit]]).values_list(
            "pk", "lifetime_id"
        )
    )
    std_labels = dict(
        m.MeasurementStandard.objects.filter(
            pk__in=[int(s) for s in (*result.withdrawn, *result.lost_standards)]
        ).values_list("pk", "code")
    )
    return {
        "withdrawn": [{"id": int(s), "code": std_labels.get(int(s), "")} for s in result.withdrawn],
        "lost_standards": [
            {"id": int(s), "code": std_labels.get(int(s), "")} for s in result.lost_standards
        ],
        "lost_instruments_count": len(lost),
        "lost_instruments": [
            {"id": int(i), "lifetime_id": labels.get(int(i), "")} for i in lost[:limit]
        ],
        "by_region": dict(sorted(by_region.items())),
        "by_category": dict(sorted(by_category.items())),
    }


# -- one item's chain -------------------------------------------------------------------------
KINDS = {"instrument": m.Instrument, "standard": m.MeasurementStandard}
_NATURAL = {"instrument": "lifetime_id", "standard": "code"}


def find_item(user, kind: str, key: str) -> tuple[int, str]:
    """``(pk, natural key)`` of the registry row ``kind``/``key`` (pk or natural key) the user
    may read, else 404.

    Two columns, not a model instance, and no ``ORDER BY`` (``first()`` would add one): on the
    chain endpoint this lookup is one of a handful of queries per request, and building a full
    instance cost as much as the rest of the request's Python work.
    """
    model = KINDS.get(kind)
    if model is None:
        raise Http404(kind)
    natural = _NATURAL[kind]
    rows = readable(user, model).order_by().values_list("pk", natural)
    found = list(rows.filter(**{natural: key})[:1])
    if not found and key.isdigit():
        found = list(rows.filter(pk=int(key))[:1])
    if not found:
        raise Http404(key)
    return found[0]


_LABELS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _labels(engine: TraceabilityEngine) -> dict[str, dict[int, str]]:
    """Names of the upper nodes (standards, RMs, organisations, their certificates), read once
    per engine (a few hundred rows), so a chain costs only its own item's queries."""
    with LOCK:
        labels = _LABELS.get(engine)
        if labels is None:
            labels = {
                "standard": {
                    pk: f"{code} {name}"
                    for pk, code, name in m.MeasurementStandard.objects.values_list(
                        "pk", "code", "name"
                    )
                },
                "rm": dict(m.ReferenceMaterial.objects.values_list("pk", "gbw_number")),
                "org": dict(m.Organisation.objects.values_list("pk", "name")),
                "event": dict(
                    m.CalibrationEvent.objects.filter(instrument__isnull=True).values_list(
                        "pk", "certificate_no"
                    )
                ),
            }
            _LABELS[engine] = labels
        return labels


def _int(value) -> int | None:
    return int(value) if value is not None and str(value).isdigit() else None


def _certificate_numbers(event_ids: list[int]) -> dict[int, str]:
    """``{event id: certificate number}`` for the item's own calibrations, by primary key.

    Plain parametrised SQL, names from the model's meta: it runs on every chain request, where
    the ORM's query compilation cost several times the indexed lookup itself (~0.3 ms of a
    ~4 ms request). The caller may read the item, hence its own calibrations.
    """
    meta = m.CalibrationEvent._meta
    qn = connection.ops.quote_name
    pk, cert = qn(meta.pk.column), qn(meta.get_field("certificate_no").column)
    marks = ", ".join(["%s"] * len(event_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {pk}, {cert} FROM {qn(meta.db_table)} WHERE {pk} IN ({marks})", event_ids
        )
        return dict(cursor.fetchall())


def chain_dict(engine: TraceabilityEngine, kind: str, pk: int, label: str = "") -> dict:
    """The core's chain of one item with registry labels on nodes, organisations, events.

    ``label``: the item's own label when the caller has it (saves a query)."""
    with LOCK:
        data = engine.chain(kind, str(pk)).to_dict()
    labels = _labels(engine)
    own = [
        _int(lk["event_id"])
        for lk in data["links"]
        if lk["node"].startswith("instrument:") and lk["event_id"]
    ]
    certs: dict[int, str] = {}
    inst_ids = [_int(lk["node"].partition(":")[2]) for lk in data["links"]]
    inst_names = {}
    if own:
        certs = _certificate_numbers(own)
    if kind == "instrument" and label:
        inst_names = {pk: label}
    elif any(lk["node"].startswith("instrument:") for lk in data["links"]):
        inst_names = dict(
            m.Instrument.objects.filter(pk__in=[i for i in inst_ids if i]).values_list(
                "pk", "lifetime_id"
            )
        )
    for link in data["links"]:
        k, _, i = link["node"].partition(":")
        link["kind"] = k
        link["id"] = _int(i)
        names = inst_names if k == "instrument" else labels.get(k, {})
        link["label"] = names.get(link["id"], link["node"])
        link["performed_by_name"] = labels["org"].get(_int(link["performed_by"]))
        eid = _int(link["event_id"])
        link["certificate_no"] = certs.get(eid) or labels["event"].get(eid)
        link["broken"] = bool(link["issues"])
        link["unit"] = _node_unit(engine, k, link["node"].partition(":")[2])
    data["asof"] = engine.asof.isoformat()
    return data


def _node_unit(engine: TraceabilityEngine, kind: str, item_id: str) -> str | None:
    """The coherent SI unit (D-SI) of a node's U and link U: the engine's records hold the
    registry's ``*_si`` values and ``si_unit``; None for a node the engine does not know."""
    index = engine.index
    with LOCK:
        if kind == "standard":
            record = index.standards.get(item_id)
        elif kind == "rm":
            record = index.rms.get(item_id)
        elif kind == "instrument":
            record = index.instrument(item_id)
        else:
            record = None
    return getattr(record, "unit", None) or None


def parse_asof(value: str | None, default: date) -> date:
    if not value:
        return default
    return date.fromisoformat(value)
