"""Population engine: agreement with the scalar resolver, coverage, gaps, what-if."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest

from jiliang.core.traceability import (
    Config,
    Instrument,
    Reason,
    TraceabilityEngine,
    Verdict,
    coverage,
    find_gaps,
    what_if,
)
from jiliang.core.traceability.coverage import region_rollup
from jiliang.core.traceability.examples import ASOF, E_I1, E_S1, I1, S1, world
from jiliang.core.traceability.synthetic import generate

SYN_ASOF = date(2025, 12, 31)


@pytest.fixture(scope="module")
def synthetic():
    # 8 % faulty data: every kind of fault appears many times
    return TraceabilityEngine(generate(4000, seed=7, fault_rate=0.08), SYN_ASOF)


def test_vectorised_verdicts_equal_scalar_resolution(synthetic):
    engine = synthetic
    seen = set()
    for iid in engine.instruments.ids:
        fast = engine.result(iid)
        slow = engine.chain("instrument", iid).result
        assert fast.verdict == slow.verdict, iid
        assert (fast.issue and (fast.issue.reason, fast.issue.node)) == (
            slow.issue and (slow.issue.reason, slow.issue.node)
        ), iid
        assert (fast.length, fast.uncertainties) == (slow.length, slow.uncertainties), iid
        if fast.issue:
            seen.add(fast.issue.reason)
    # the synthetic faults exercise (nearly) every code in both paths
    assert seen >= set(Reason) - {Reason.DEPTH_EXCEEDED, Reason.UNCERTAINTY_SHRINKS}


def test_counts_and_reasons_add_up(synthetic):
    counts = synthetic.counts()
    assert sum(counts.values()) == 4000
    assert counts["TRACEABLE"] > 3000  # most of the region is healthy
    reasons = synthetic.reason_counts()
    assert sum(reasons.values()) == counts["NOT_TRACEABLE"] + counts["UNKNOWN"]
    json.dumps(synthetic.to_dict())


def two_region_world():
    """I1 in county 500105 (traceable), I2 in 500203 (expired) and I3 in 500203 (traceable)."""
    i2 = replace(I1, id="I2", region_code="500203", category="sphygmomanometer")
    i3 = replace(I1, id="I3", region_code="500203")
    e2 = replace(E_I1, id="E-I2", item_id="I2", valid_until=date(2025, 7, 1))
    e3 = replace(E_I1, id="E-I3", item_id="I3")
    return world(instruments=(I1, i2, i3), events=(E_S1, E_I1, e2, e3))


def test_coverage_by_region_category_level_and_owner_kind():
    engine = TraceabilityEngine(two_region_world(), ASOF)
    by_region = {g["group"]: g for g in coverage(engine, "region")["groups"]}
    assert by_region["500105"]["rate"] == 1.0
    assert (by_region["500203"]["traceable"], by_region["500203"]["not_traceable"]) == (1, 1)
    assert by_region["500203"]["rate"] == 0.5
    province = coverage(engine, "region", region_level="province")["groups"]
    assert [(g["group"], g["total"], g["traceable"]) for g in province] == [("500000", 3, 2)]
    by_cat = {g["group"]: g["rate"] for g in coverage(engine, "category")["groups"]}
    assert by_cat == {"pressure_gauge": 1.0, "sphygmomanometer": 0.0}
    by_level = coverage(engine, "level")["groups"]
    assert [(g["group"], g["total"]) for g in by_level] == [("public", 3)]
    by_kind = coverage(engine, "owner_kind")["groups"]
    assert [(g["group"], g["traceable"]) for g in by_kind] == [("enterprise", 2)]
    stds = {
        g["group"]: g["rate"] for g in coverage(engine, "level", population="standards")["groups"]
    }
    assert stds == {"primary": 1.0, "public": 1.0}
    json.dumps(coverage(engine, "quantity"))


def test_coverage_over_a_mask_counts_only_the_selected_members():
    """The platform's per-user coverage is the core's with a mask (issue 12: no platform copy)."""
    import numpy as np

    engine = TraceabilityEngine(two_region_world(), ASOF)
    mask = np.array([i == "I2" for i in engine.instruments.ids])
    groups = coverage(engine, "region", mask=mask)["groups"]
    assert [(g["group"], g["total"], g["traceable"]) for g in groups] == [("500203", 1, 0)]
    with pytest.raises(ValueError, match="mask"):
        coverage(engine, "region", mask=mask[:1])


def test_region_rollup():
    assert region_rollup("500105", "province") == "500000"
    assert region_rollup("500105", "city") == "500100"
    assert region_rollup("500105") == "500105"


def test_what_if_withdrawing_a_standard():
    engine = TraceabilityEngine(two_region_world(), ASOF)
    before = engine.verdict.copy()
    result = what_if(engine, withdrawn=["S1"])
    # I2 was already broken; I1 and I3 lose traceability, and S1 itself
    assert result.lost_instruments == ("I1", "I3")
    assert result.lost_standards == ("S1",)
    assert result.by_region == {"500105": 1, "500203": 1}
    assert (engine.verdict == before).all()  # engine restored
    assert what_if(engine, expired=["P0"]).lost_standards == ("P0", "S1")
    assert what_if(engine, withdrawn=["nope"]).lost_instruments == ()
    json.dumps(result.to_dict())


def test_what_if_agrees_with_a_rebuilt_engine(synthetic):
    target = next(s.id for s in synthetic.records.standards if s.owner == "PROV")
    result = what_if(synthetic, withdrawn=[target])
    records = synthetic.records
    retired = replace(
        records,
        standards=tuple(
            replace(s, status="retired") if s.id == target else s for s in records.standards
        ),
    )
    rebuilt = TraceabilityEngine(retired, SYN_ASOF)
    lost = {
        iid
        for n, iid in enumerate(synthetic.instruments.ids)
        if synthetic.verdict[n] == 0 and rebuilt.verdict[n] != 0
    }
    assert len(lost) > 0
    assert set(result.lost_instruments) == lost


def test_gaps_and_flat_traceability():
    # a thermometer in the region: no temperature standard there, none at national level either
    thermo = Instrument(
        "T1", "thermometer", "temperature", r"\kelvin", 250.0, 400.0, 0.5, "ENT", "500105"
    )
    recs = world(instruments=(I1, thermo))
    engine = TraceabilityEngine(recs, ASOF)
    gaps = find_gaps(engine)
    assert [(g.region_code, g.quantity, g.instruments, g.reason) for g in gaps] == [
        ("500000", "temperature", 1, "NO_STANDARD")
    ]
    # a gauge more precise than S1 can serve (MPE 10 Pa needs U ≤ 3.3 Pa; S1 has 5 Pa)
    fine = replace(I1, id="I9", mpe=10.0)
    engine = TraceabilityEngine(world(instruments=(I1, fine)), ASOF)
    gaps = find_gaps(engine)
    assert [(g.quantity, g.reason, g.min_mpe) for g in gaps] == [
        ("pressure", "INSUFFICIENT_CAPABILITY", 10.0)
    ]
    # flat (扁平化): the national primary standard P0 (0.5 Pa) serves it directly
    assert find_gaps(engine, flat=True) == []
    assert TraceabilityEngine(world(instruments=(I1, fine)), ASOF, Config(flat=True)).config.flat
    json.dumps([g.to_dict() for g in gaps])


def test_broken_standard_does_not_serve_a_region():
    engine = TraceabilityEngine(
        world(standards=(replace(S1, status="suspended"), *world().standards[:1])), ASOF
    )
    assert engine.result("I1").verdict is Verdict.NOT_TRACEABLE
    gaps = find_gaps(engine)
    assert [(g.quantity, g.reason) for g in gaps] == [("pressure", "NO_STANDARD")]


def test_empty_population():
    engine = TraceabilityEngine(world(instruments=(), events=(E_S1,)), ASOF)
    assert engine.counts() == {"TRACEABLE": 0, "NOT_TRACEABLE": 0, "UNKNOWN": 0}
    assert coverage(engine)["groups"] == []
    assert find_gaps(engine) == []
    assert what_if(engine, withdrawn=["S1"]).lost_standards == ("S1",)
