"""Seeded synthetic measurement system (合成量传体系) for benchmarks and tests.

One province (500000) with three cities and nine counties; an NMI with primary standards and
CMCs; provincial, city and county institutes and calibration labs holding public and
department standards in a hierarchy (U ×3 per level); enterprises owning instruments and a
few enterprise standards. Each instrument gets one calibration by an organisation of its
area against a standard of the right quantity. ``fault_rate`` injects bad data of every kind
(expired, withdrawn, missing dates, dangling references, unauthorised performers, weak
capability, unit mismatches, cycles) so every reason code appears.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import numpy as np

from .records import (
    CMC,
    CalibrationEvent,
    Instrument,
    Organisation,
    Records,
    Scope,
    Standard,
)

#: quantity, D-SI unit, full range (SI), U of the primary standard (SI), instrument categories
QUANTITIES = (
    ("pressure", r"\pascal", 1e7, 0.5, ("pressure_gauge", "sphygmomanometer")),
    ("mass", r"\kilogram", 1e3, 1e-6, ("electronic_price_scale", "weighbridge")),
    ("length", r"\metre", 1e2, 1e-7, ("tape_measure", "taximeter")),
    ("temperature", r"\kelvin", 2e3, 1e-3, ("clinical_thermometer", "thermocouple")),
    ("voltage", r"\volt", 1e3, 1e-7, ("voltmeter", "multimeter")),
    ("volume", r"\metre\tothe{3}", 1.0, 1e-7, ("fuel_dispenser", "water_meter")),
    ("flow", r"\metre\tothe{3}\per\second", 1.0, 1e-6, ("gas_meter", "flowmeter")),
    ("electrical_energy", r"\joule", 1e9, 1.0, ("electricity_meter",)),
)
PROVINCE = "500000"
CITIES = ("500100", "500200", "500300")
COUNTIES = tuple(f"{c[:4]}{k:02d}" for c in CITIES for k in (1, 2, 3))
FROM, TO = date(2020, 1, 1), date(2035, 1, 1)


def generate(
    n_instruments: int = 10_000,
    n_standards: int = 300,
    n_orgs: int = 60,
    seed: int = 1,
    asof: date = date(2025, 12, 31),
    fault_rate: float = 0.02,
) -> Records:
    """Build a deterministic synthetic :class:`Records` (see module docstring)."""
    rng = np.random.default_rng(seed)
    orgs, by_area = _organisations(n_orgs)
    cmcs = tuple(CMC(f"CMC-{q}", "NIM", q, u, 0.0, hi, u0) for q, u, hi, u0, _c in QUANTITIES)
    cmcs += (CMC("CMC-frequency", "NIM", "frequency", r"\hertz", 0.0, 1e10, 1e-3),)
    standards, std_events, serving = _standards(rng, n_standards, orgs, asof, fault_rate)
    instruments, events = _instruments(rng, n_instruments, orgs, by_area, serving, asof, fault_rate)
    return Records(
        organisations=tuple(orgs),
        cmcs=cmcs,
        standards=tuple(standards),
        instruments=instruments,
        events=tuple(std_events) + events,
    )


def _organisations(n_orgs: int):
    """NMI, provincial/city/county institutes, labs; the rest enterprises. Scopes by level."""
    orgs = [Organisation("NIM", "nmi", "110000")]
    rank = {"NIM": 0}

    def inst(oid: str, kind: str, region: str, level: int) -> None:
        scopes = tuple(
            Scope(q, u, 0.0, hi, u0 * 3**level, FROM, TO) for q, u, hi, u0, _c in QUANTITIES
        )
        orgs.append(Organisation(oid, kind, region, scopes))
        rank[oid] = level

    inst("PROV", "statutory", PROVINCE, 1)
    for c in CITIES:
        inst(f"CITY-{c}", "statutory", c, 2)
    for c in COUNTIES:
        inst(f"CNTY-{c}", "authorised", c, 3)
    n_labs = max(0, min(20, n_orgs - len(orgs) - 1))
    for k in range(n_labs):
        inst(f"LAB-{k:02d}", "calibration_lab", COUNTIES[k % len(COUNTIES)], 2)
    for k in range(max(1, n_orgs - len(orgs))):
        orgs.append(Organisation(f"ENT-{k:03d}", "enterprise", COUNTIES[k % len(COUNTIES)]))
    by_area: dict[str, list[str]] = {c: [] for c in COUNTIES}
    for o in orgs:
        if o.kind in ("authorised", "calibration_lab") or o.id.startswith("CITY"):
            for c in COUNTIES:
                if c.startswith(o.region_code[:4]) and (
                    o.region_code == c or o.id.startswith("CITY")
                ):
                    by_area[c].append(o.id)
    return orgs, by_area


def _standards(rng, n_standards, orgs, asof, fault_rate):
    """A hierarchy per quantity: primary (NIM) → PROV public → city public → county/lab."""
    performers = [o for o in orgs if o.kind != "enterprise"]
    level_name = {0: "primary", 1: "public", 2: "public", 3: "public"}
    standards: list[Standard] = []
    events: list[CalibrationEvent] = []
    serving: dict[tuple[str, str], list[Standard]] = {}
    by_q: dict[str, list[Standard]] = {}
    per_q = max(1, n_standards // len(QUANTITIES))
    for q, u, hi, u0, _c in QUANTITIES:
        top = Standard(f"STD-{q}-0", "primary", q, u, 0.0, hi, u0, "NIM")
        standards.append(top)
        by_q[q] = [top]
        for k in range(1, per_q):
            owner = performers[1 + (k - 1) % (len(performers) - 1)]
            lvl = {"PROV": 1}.get(owner.id, 2 if owner.id.startswith(("CITY", "LAB")) else 3)
            lvl_name = "department" if owner.kind == "calibration_lab" else level_name[lvl]
            std = Standard(f"STD-{q}-{k}", lvl_name, q, u, 0.0, hi, u0 * 3**lvl, owner.id)
            parent = top if lvl == 1 else _parent(by_q[q], lvl, top)
            performer = parent.owner
            events.append(
                CalibrationEvent(
                    f"EV-{std.id}",
                    "standard",
                    std.id,
                    (parent.id,),
                    performer,
                    # parents are calibrated before their children
                    asof - timedelta(days=int(rng.integers(1100, 1200)) - 250 * lvl),
                    asof + timedelta(days=int(rng.integers(30, 700))),
                    U=std.U,
                )
            )
            standards.append(std)
            by_q[q].append(std)
            serving.setdefault((owner.id, q), []).append(std)
    _break_some_standards(rng, standards, events, fault_rate, asof)
    return standards, events, serving


def _parent(chain: list[Standard], lvl: int, top: Standard) -> Standard:
    """The most recent standard one level up (by U), else the top."""
    want = top.U * 3 ** (lvl - 1)
    ups = [s for s in chain if abs(s.U - want) <= 1e-12 * max(1.0, want)]
    return ups[-1] if ups else top


def _break_some_standards(rng, standards, events, fault_rate, asof) -> None:
    """Expire, withdraw, suspend or loop a few standards (in place)."""
    n = len(events)
    if fault_rate <= 0 or n < 4:
        return
    picks = rng.choice(n, size=max(3, int(n * fault_rate * 2)), replace=False)
    pos = {s.id: k for k, s in enumerate(standards)}
    for j, p in enumerate(picks.tolist()):
        ev = events[p]
        if j % 3 == 0:
            events[p] = replace(ev, valid_until=asof - timedelta(days=5))
        elif j % 3 == 1:
            events[p] = replace(ev, withdrawn=True)
        else:
            k = pos[ev.item_id]
            standards[k] = replace(standards[k], status="suspended")
    # a two-standard loop: the last two event-bearing standards cite each other
    a, b = events[-1], events[-2]
    if a.item_id != b.item_id:
        events[-1] = replace(a, standard_ids=(b.item_id,))
        events[-2] = replace(b, standard_ids=(a.item_id,))


def _instruments(rng, n, orgs, by_area, serving, asof, fault_rate):
    """Instruments and one calibration each (vectorised draws, one Python loop)."""
    nq = len(QUANTITIES)
    q_idx = rng.integers(0, nq, n)
    area_idx = rng.integers(0, len(COUNTIES), n)
    ents = [o.id for o in orgs if o.kind == "enterprise"]
    owner_idx = rng.integers(0, len(ents), n)
    frac = rng.uniform(0.01, 0.5, n)
    ratio = rng.uniform(3.5, 30.0, n)
    age = rng.integers(1, 360, n)
    fault = rng.random(n) < fault_rate
    fault_kind = rng.integers(0, 8, n)
    cat_pick = rng.integers(0, 2, n)
    cands_by: dict[tuple[str, str], list[tuple[str, Standard]]] = {}
    for area in COUNTIES:
        for q, *_rest in QUANTITIES:
            cands = [(p, s) for p in by_area[area] for s in serving.get((p, q), [])]
            cands_by[(area, q)] = cands or [("PROV", s) for s in serving.get(("PROV", q), [])]
    perf_pick = rng.integers(0, 1 << 30, n)
    # dates are shared objects (one per day) so a million events do not hold a million dates
    days = {a: (asof - timedelta(days=a), asof - timedelta(days=a - 365)) for a in range(1, 361)}
    draws = zip(
        *(
            x.tolist()
            for x in (
                q_idx,
                area_idx,
                owner_idx,
                frac,
                ratio,
                age,
                fault,
                fault_kind,
                cat_pick,
                perf_pick,
            )
        ),
        strict=True,
    )
    instruments = []
    events = []
    for i, (qi, ai, oi, fr, ra, ag, bad, bad_kind, ci, pi) in enumerate(draws):
        q, unit, hi, _u0, cats = QUANTITIES[qi]
        area = COUNTIES[ai]
        cands = cands_by[(area, q)]
        performer, std = cands[pi % len(cands)]
        U = std.U * 2.0
        iid = f"I{i:07d}"
        inst = Instrument(iid, cats[ci % len(cats)], q, unit, 0.0, hi * fr, U * ra, ents[oi], area)
        on, due = days[ag]
        ev = CalibrationEvent(f"C{i:07d}", "instrument", iid, (std.id,), performer, on, due, U=U)
        if bad:
            inst, ev = _fault(bad_kind, inst, ev, asof)
        elif pi % 200 == 0:
            # frequency meters: no standard in the province, only the NMI's CMC (a gap unless flat)
            inst = replace(
                inst,
                category="frequency_meter",
                quantity="frequency",
                unit=r"\hertz",
                range_high=1e9,
                mpe=1.0,
            )
            ev = replace(ev, standard_ids=(), performed_by="NIM", U=1e-3)
        instruments.append(inst)
        events.append(ev)
    return tuple(instruments), tuple(events)


def _fault(kind: int, inst: Instrument, ev: CalibrationEvent, asof: date):
    """One kind of bad data per faulty instrument."""
    changes = (
        {"valid_until": asof - timedelta(days=1)},  # expired
        {"withdrawn": True},  # withdrawn
        {"valid_until": None},  # missing due date
        {"standard_ids": ("STD-missing",)},  # dangling reference
        {"performed_by": inst.owner},  # an enterprise calibrating without authorisation
        {},  # weak capability (below)
        {"unit": r"\second"},  # result in a unit of another dimension
        {"performed_on": asof + timedelta(days=30)},  # no calibration on or before asof
    )[kind]
    if kind == 5:
        inst = replace(inst, mpe=(ev.U or 0.0) * 2)  # MPE below 3·U
    return inst, replace(ev, **changes)
