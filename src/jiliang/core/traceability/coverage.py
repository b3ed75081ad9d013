"""Coverage rates (溯源覆盖率): traceable share of a population, grouped.

Groups for instruments: ``region``, ``quantity``, ``category``, ``owner_kind`` and ``level``
(the level of the standard the instrument was calibrated against; "none" when it cites no
known standard). For standards: ``region`` (of the owner), ``quantity``, ``owner_kind``,
``level``. Regions may be rolled up to ``city`` or ``province`` (GB/T 2260 code prefixes).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:
    from .population import TraceabilityEngine

GroupBy = Literal["region", "quantity", "category", "owner_kind", "level"]
RegionLevel = Literal["county", "city", "province"]
_PREFIX = {"province": 2, "city": 4, "county": 6}


def region_rollup(code: str, level: RegionLevel = "county") -> str:
    """GB/T 2260 code of the enclosing region at ``level`` ("500105" → "500000" for province)."""
    keep = _PREFIX[level]
    return code[:keep].ljust(6, "0") if code else ""


def coverage(
    engine: TraceabilityEngine,
    by: GroupBy = "region",
    population: Literal["instruments", "standards"] = "instruments",
    region_level: RegionLevel = "county",
    mask: np.ndarray | None = None,
) -> dict[str, object]:
    """Traceable share per group: ``{"by", "population", "groups": [{group, total, …, rate}]}``.

    ``rate`` is traceable/total; groups with no member are left out; unknown counts as not
    covered. ``mask`` (boolean, one entry per member of the population) counts only the members
    it selects, e.g. the instruments a user may read.
    """
    labels, codes, verdict = _groups(engine, by, population, region_level)
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != codes.shape:
            raise ValueError(f"mask: {mask.shape[0]} entries for {codes.shape[0]} {population}")
        codes, verdict = codes[mask], verdict[mask]
    counts = np.zeros((len(labels), 3), dtype=np.int64)
    np.add.at(counts, (codes, verdict.astype(np.int64)), 1)
    groups = []
    for g in sorted(range(len(labels)), key=lambda k: labels[k]):
        t, nt, unk = (int(x) for x in counts[g])
        total = t + nt + unk
        if total == 0:
            continue
        groups.append(
            {
                "group": labels[g],
                "total": total,
                "traceable": t,
                "not_traceable": nt,
                "unknown": unk,
                "rate": t / total,
            }
        )
    return {"by": by, "population": population, "groups": groups}


def _groups(engine, by, population, region_level):
    orgs = engine.records.organisations
    org_kind = [o.kind for o in orgs] + ["unknown"]
    org_region = [region_rollup(o.region_code, region_level) for o in orgs] + [""]
    if population == "standards":
        stds = engine.records.standards
        verdict = engine.nodes.verdict[: len(stds)]
        owner = np.array([engine.org_index.get(s.owner, -1) for s in stds], dtype=np.int64)
        values = {
            "region": [org_region[o] for o in owner],
            "quantity": [s.quantity for s in stds],
            "owner_kind": [org_kind[o] for o in owner],
            "level": [s.level for s in stds],
        }[by]
        labels = sorted(set(values))
        pos = {v: n for n, v in enumerate(labels)}
        return labels, np.array([pos[v] for v in values], dtype=np.int64), verdict
    inst = engine.instruments
    if by == "level":
        node_level = [s.level for s in engine.records.standards]
        node_level += ["crm"] * len(engine.records.reference_materials) + ["none"]
        label_of_code, codes = node_level, engine.principal
    elif by == "owner_kind":
        label_of_code, codes = org_kind, inst.owner
    elif by == "region":
        label_of_code = [region_rollup(r, region_level) for r in engine.regions.values]
        codes = inst.region
    else:
        label_of_code = {"quantity": engine.quantities, "category": engine.categories}[by].values
        codes = inst.quantity if by == "quantity" else inst.category
    labels = sorted(set(label_of_code))
    pos = {v: n for n, v in enumerate(labels)}
    remap = np.array([pos[v] for v in label_of_code], dtype=np.int64)
    # code -1 (no owner / no principal standard) maps to the sentinel last entry
    codes = (
        np.where(codes < 0, len(label_of_code) - 1, codes)
        if by in ("level", "owner_kind")
        else codes
    )
    return labels, remap[codes], engine.verdict
