"""Gap finder (量值传递空白): what instruments in a region need that nothing nearby can serve.

An instrument is *served* when a standard or CMC reachable from its region measures the same
quantity (same unit dimension), covers its range and is capable enough (U ≤ MPE/ratio of
:class:`.rules.Config`). Reachable: owned by an organisation in the same region (rolled up to
``region_level``); a standard must also be TRACEABLE at the engine's date. With ``flat``
(扁平化) national/primary standards and NMI CMCs anywhere serve every region too.
Unserved instruments are grouped by (region, quantity, range) into :class:`Gap` rows.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .columns import compatible_codes
from .coverage import RegionLevel, region_rollup
from .records import NATIONAL_LEVELS

if TYPE_CHECKING:
    from .population import TraceabilityEngine


@dataclass(frozen=True, slots=True)
class Gap:
    """A quantity/range combination in a region that no reachable standard or CMC serves.

    ``reason``: ``NO_STANDARD`` (nothing covers the range) or ``INSUFFICIENT_CAPABILITY``
    (covered, but no candidate has U ≤ MPE/ratio). Ranges and MPE in SI.
    """

    region_code: str
    quantity: str
    range_low: float | None
    range_high: float | None
    instruments: int
    min_mpe: float | None
    reason: str

    def to_dict(self) -> dict[str, object]:
        return {
            "region_code": self.region_code,
            "quantity": self.quantity,
            "range_low": self.range_low,
            "range_high": self.range_high,
            "instruments": self.instruments,
            "min_mpe": self.min_mpe,
            "reason": self.reason,
        }


def _candidates(engine: TraceabilityEngine, region_level: RegionLevel, flat: bool):
    """(region, quantity code) → [(unit code, low, high, U)]; key region "*" serves all."""
    orgs = {o.id: o for o in engine.records.organisations}
    out: dict[tuple[str, int], list[tuple[int, float, float, float]]] = defaultdict(list)
    traceable = engine.nodes.verdict == 0
    for n, s in enumerate(engine.records.standards):
        owner = orgs.get(s.owner)
        if not traceable[n] or owner is None:
            continue
        cand = (engine.units.unit(s.unit), s.range_low, s.range_high, s.U)
        q = engine.quantities.code(s.quantity)
        out[(region_rollup(owner.region_code, region_level), q)].append(cand)
        if flat and s.level in NATIONAL_LEVELS:
            out[("*", q)].append(cand)
    for c in engine.records.cmcs:
        owner = orgs.get(c.provider)
        if owner is None:
            continue
        cand = (engine.units.unit(c.unit), c.low, c.high, c.U)
        q = engine.quantities.code(c.quantity)
        out[(region_rollup(owner.region_code, region_level), q)].append(cand)
        if flat and owner.kind == "nmi":
            out[("*", q)].append(cand)
    return out


def find_gaps(
    engine: TraceabilityEngine, region_level: RegionLevel = "province", flat: bool | None = None
) -> list[Gap]:
    """Gaps of the engine's instrument population, largest first (``flat`` defaults to config)."""
    flat = engine.config.flat if flat is None else flat
    inst, ratio = engine.instruments, engine.config.min_capability_ratio
    cands = _candidates(engine, region_level, flat)
    region_of_code = [region_rollup(r, region_level) for r in engine.regions.values]
    region_ids = {r: n for n, r in enumerate(sorted(set(region_of_code)))}
    rk = (
        np.array([region_ids[r] for r in region_of_code], dtype=np.int64)[inst.region]
        if len(inst.ids)
        else np.zeros(0, np.int64)
    )
    nq = len(engine.quantities.values) + 1
    key = rk * nq + inst.quantity
    order = np.argsort(key, kind="stable")
    skey = key[order]
    starts = (
        np.flatnonzero(np.r_[True, skey[1:] != skey[:-1]]) if len(skey) else np.zeros(0, np.int64)
    )
    bounds = np.r_[starts, len(skey)]
    served = np.zeros(len(key), bool)
    in_range = np.zeros(len(key), bool)
    region_names = sorted(region_ids)
    for a, b in itertools.pairwise(bounds):
        rows = order[a:b]
        region, q = region_names[int(skey[a]) // nq], int(skey[a]) % nq
        lo, hi, mpe, unit = inst.low[rows], inst.high[rows], inst.mpe[rows], inst.unit[rows]
        for c_unit, c_lo, c_hi, c_U in cands.get((region, q), []) + cands.get(("*", q), []):
            ok = compatible_codes(np.full(len(rows), c_unit), unit)
            ok &= (np.isnan(lo) | (lo >= c_lo)) & (np.isnan(hi) | (hi <= c_hi))
            in_range[rows] |= ok
            if ratio > 0:
                ok &= np.isnan(mpe) | (c_U * ratio <= mpe)
            served[rows] |= ok
    return _group_unserved(engine, region_of_code, ~served, in_range)


def _group_unserved(engine, region_of_code, unserved, in_range) -> list[Gap]:
    inst = engine.instruments
    rows = np.flatnonzero(unserved)
    groups: dict[tuple, list[int]] = defaultdict(list)
    lo, hi = inst.low[rows], inst.high[rows]
    keys = zip(
        inst.region[rows].tolist(),
        inst.quantity[rows].tolist(),
        lo.tolist(),
        hi.tolist(),
        strict=True,
    )
    for row, (r, q, a, b) in zip(rows.tolist(), keys, strict=True):
        a = None if a != a else a  # NaN → None
        b = None if b != b else b
        groups[(region_of_code[r], engine.quantities.values[q], a, b)].append(row)
    gaps = []
    for (region, quantity, a, b), members in groups.items():
        m = np.asarray(members)
        mpe = inst.mpe[m]
        gaps.append(
            Gap(
                region_code=region,
                quantity=quantity,
                range_low=a,
                range_high=b,
                instruments=len(members),
                min_mpe=None if np.all(np.isnan(mpe)) else float(np.nanmin(mpe)),
                reason="INSUFFICIENT_CAPABILITY" if in_range[m].any() else "NO_STANDARD",
            )
        )
    gaps.sort(key=lambda g: (-g.instruments, g.region_code, g.quantity))
    return gaps
