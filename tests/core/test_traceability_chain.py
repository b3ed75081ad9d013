"""Chain resolution: one hand-built chain per reason code, checked in both engine paths.

The healthy world (``jiliang.core.traceability.examples``): gauge I1 calibrated by PROV against
public standard S1 (U 20 Pa), S1 calibrated by NIM against primary standard P0 (U 5 Pa), P0 a
计量基准 (U 0.5 Pa). Each test breaks exactly one thing and asserts the reason code and the
link (node) it is attached to, from the vectorised population engine *and* the scalar resolver.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest

from jiliang.core.traceability import (
    CalibrationEvent,
    Config,
    Instrument,
    Reason,
    Records,
    TraceabilityEngine,
    Verdict,
)
from jiliang.core.traceability.dimensions import compatible, dimension
from jiliang.core.traceability.examples import (
    ASOF,
    E_I1,
    E_S1,
    ENT,
    GBW,
    I1,
    LAB,
    NIM,
    P0,
    PROV,
    S1,
    world,
)


def verdict_of(records: Records, item: str = "I1", asof: date = ASOF, config: Config | None = None):
    """The instrument's NodeResult; asserts the vectorised and scalar paths agree."""
    engine = TraceabilityEngine(records, asof, config)
    fast = engine.result(item)
    chain = engine.chain("instrument", item)
    slow = chain.result
    assert fast.verdict == slow.verdict
    assert (fast.issue and (fast.issue.reason, fast.issue.node)) == (
        slow.issue and (slow.issue.reason, slow.issue.node)
    )
    assert fast.length == slow.length
    assert fast.uncertainties == slow.uncertainties
    return fast, chain


def test_happy_path_chain_length_and_uncertainties():
    result, chain = verdict_of(world())
    assert result.verdict is Verdict.TRACEABLE
    assert result.issue is None
    assert result.length == 2
    assert result.uncertainties == (20.0, 5.0, 0.5)
    assert [lk.node for lk in chain.links] == ["instrument:I1", "standard:S1", "standard:P0"]
    assert chain.links[-1].terminal == "primary"
    # JSON-serialisable
    doc = json.loads(json.dumps(chain.to_dict()))
    assert doc["verdict"] == "TRACEABLE"
    assert doc["links"][0]["upstream"] == ["standard:S1"]


def test_nmi_calibrating_under_its_cmc_terminates_the_chain():
    ev = replace(E_I1, standard_ids=(), performed_by="NIM", U=2.0)
    result, chain = verdict_of(world(events=(E_S1, ev)))
    assert result.verdict is Verdict.TRACEABLE
    assert result.length == 1
    assert chain.links[0].terminal == "cmc"


def test_crm_in_date_terminates_and_expired_crm_breaks():
    inst = Instrument("A1", "analyser", "concentration", r"\one", 0.0, 0.1, 1e-3, "ENT", "500105")
    lab = replace(
        LAB,
        scopes=(
            replace(
                LAB.scopes[0], quantity="concentration", unit=r"\one", range_high=1.0, best_U=1e-5
            ),
        ),
    )
    ev = CalibrationEvent(
        "E-A1",
        "instrument",
        "A1",
        (),
        "LAB",
        date(2025, 5, 1),
        date(2026, 5, 1),
        rm_ids=("RM1",),
        U=2e-4,
    )
    recs = world(
        organisations=(NIM, PROV, lab, ENT), instruments=(I1, inst), events=(E_S1, E_I1, ev)
    )
    result, chain = verdict_of(recs, "A1")
    assert result.verdict is Verdict.TRACEABLE
    assert chain.links[-1].terminal == "crm"
    result, _ = verdict_of(recs, "A1", asof=date(2027, 2, 1))
    assert result.verdict is Verdict.NOT_TRACEABLE
    # the instrument's own certificate (due 2026-05-01) is the nearest broken link
    assert (result.issue.reason, result.issue.node) == (Reason.CERT_EXPIRED, "instrument:A1")
    recs = replace(recs, reference_materials=(replace(GBW, expiry=date(2025, 8, 1)),))
    result, _ = verdict_of(recs, "A1")
    assert (result.issue.reason, result.issue.node) == (Reason.CERT_EXPIRED, "rm:RM1")


CASES = {
    # reason: (records, expected verdict, expected node)
    "CERT_EXPIRED own": (
        world(events=(E_S1, replace(E_I1, valid_until=date(2025, 8, 1)))),
        Reason.CERT_EXPIRED,
        "instrument:I1",
    ),
    "CERT_EXPIRED upstream": (
        world(events=(replace(E_S1, valid_until=date(2025, 8, 1)), E_I1)),
        Reason.CERT_EXPIRED,
        "standard:S1",
    ),
    "CERT_WITHDRAWN": (
        world(events=(E_S1, replace(E_I1, withdrawn=True))),
        Reason.CERT_WITHDRAWN,
        "instrument:I1",
    ),
    "NO_CALIBRATION": (world(events=(E_S1,)), Reason.NO_CALIBRATION, "instrument:I1"),
    "NO_CALIBRATION after asof": (
        world(events=(E_S1, replace(E_I1, performed_on=date(2025, 10, 1)))),
        Reason.NO_CALIBRATION,
        "instrument:I1",
    ),
    "NOT_AUTHORISED no scope": (
        world(events=(E_S1, replace(E_I1, performed_by="ENT"))),
        Reason.NOT_AUTHORISED,
        "instrument:I1",
    ),
    "NOT_AUTHORISED point outside scope": (
        world(events=(E_S1, replace(E_I1, performed_by="LAB", point=5e5))),
        Reason.NOT_AUTHORISED,
        "instrument:I1",
    ),
    "NOT_AUTHORISED scope expired": (
        world(
            organisations=(
                NIM,
                replace(PROV, scopes=(replace(PROV.scopes[0], valid_to=date(2025, 1, 1)),)),
                LAB,
                ENT,
            )
        ),
        Reason.NOT_AUTHORISED,
        "instrument:I1",
    ),
    "NOT_AUTHORISED U better than CMC": (
        # NIM's CMC for pressure is U = 1 Pa; claiming 0.6 Pa against P0 (0.5 Pa) exceeds it
        world(events=(replace(E_S1, U=0.6), E_I1), standards=(P0, replace(S1, U=0.6))),
        Reason.NOT_AUTHORISED,
        "standard:S1",
    ),
    "UNCERTAINTY_SHRINKS": (
        world(
            events=(E_S1, replace(E_I1, U=4.0)),
            organisations=(
                NIM,
                replace(PROV, scopes=(replace(PROV.scopes[0], best_U=1.0),)),
                LAB,
                ENT,
            ),
        ),
        Reason.UNCERTAINTY_SHRINKS,
        "instrument:I1",
    ),
    "STANDARD_NOT_IN_CALIBRATION": (
        world(
            events=(
                E_S1,
                replace(E_I1, performed_on=date(2024, 12, 1), valid_until=date(2026, 6, 1)),
            )
        ),
        Reason.STANDARD_NOT_IN_CALIBRATION,
        "instrument:I1",
    ),
    "CAPABILITY_RATIO": (
        world(instruments=(replace(I1, mpe=50.0),)),
        Reason.CAPABILITY_RATIO,
        "instrument:I1",
    ),
    "UNIT_MISMATCH quantity": (
        world(standards=(P0, replace(S1, quantity="force", unit=r"\newton"))),
        Reason.UNIT_MISMATCH,
        "instrument:I1",
    ),
    "UNIT_MISMATCH result unit": (
        world(events=(E_S1, replace(E_I1, unit=r"\metre"))),
        Reason.UNIT_MISMATCH,
        "instrument:I1",
    ),
    "STANDARD_INACTIVE": (
        world(standards=(P0, replace(S1, status="suspended"))),
        Reason.STANDARD_INACTIVE,
        "standard:S1",
    ),
    "STANDARD_INACTIVE primary retired": (
        world(standards=(replace(P0, status="retired"), S1)),
        Reason.STANDARD_INACTIVE,
        "standard:P0",
    ),
    "CYCLE": (
        # S1 calibrated against S2 and S2 against S1: neither reaches P0
        world(
            standards=(P0, S1, replace(S1, id="S2")),
            events=(
                replace(E_S1, standard_ids=("S2",)),
                replace(E_S1, id="E-S2", item_id="S2", standard_ids=("S1",)),
                E_I1,
            ),
        ),
        Reason.CYCLE,
        "standard:S2",
    ),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_breaking_reason_attached_to_link(case):
    records, reason, node = CASES[case]
    result, chain = verdict_of(records)
    assert result.verdict is Verdict.NOT_TRACEABLE
    assert result.issue.reason is reason
    assert result.issue.node == node
    link = next(lk for lk in chain.links if lk.node == node)
    assert reason in {i.reason for i in link.issues}


UNKNOWN_CASES = {
    "DANGLING standard": (
        world(events=(E_S1, replace(E_I1, standard_ids=("NOPE",)))),
        Reason.DANGLING_REFERENCE,
    ),
    "DANGLING organisation": (
        world(events=(E_S1, replace(E_I1, performed_by="GHOST"))),
        Reason.DANGLING_REFERENCE,
    ),
    "DANGLING cites nothing": (
        world(events=(E_S1, replace(E_I1, standard_ids=()))),
        Reason.DANGLING_REFERENCE,
    ),
    "MISSING_DATE due": (
        world(events=(E_S1, replace(E_I1, valid_until=None))),
        Reason.MISSING_DATE,
    ),
    "MISSING_DATE performed": (
        world(events=(E_S1, replace(E_I1, performed_on=None))),
        Reason.MISSING_DATE,
    ),
}


@pytest.mark.parametrize("case", UNKNOWN_CASES, ids=list(UNKNOWN_CASES))
def test_missing_data_gives_unknown(case):
    records, reason = UNKNOWN_CASES[case]
    result, _ = verdict_of(records)
    assert result.verdict is Verdict.UNKNOWN
    assert (result.issue.reason, result.issue.node) == (reason, "instrument:I1")


def test_breaking_issue_wins_over_missing_data_on_the_same_link():
    ev = replace(E_I1, valid_until=None, performed_by="ENT")
    result, chain = verdict_of(world(events=(E_S1, ev)))
    assert result.verdict is Verdict.NOT_TRACEABLE
    assert result.issue.reason is Reason.NOT_AUTHORISED
    assert [i.reason for i in chain.links[0].issues] == [Reason.MISSING_DATE, Reason.NOT_AUTHORISED]


def test_latest_non_withdrawn_event_is_used():
    old = replace(E_I1, id="E-old", performed_on=date(2025, 2, 1), valid_until=date(2026, 2, 1))
    new = replace(E_I1, withdrawn=True)
    result, chain = verdict_of(world(events=(E_S1, old, new)))
    assert result.verdict is Verdict.TRACEABLE
    assert chain.links[0].event_id == "E-old"


def test_capability_ratio_is_configurable():
    recs = world(instruments=(replace(I1, mpe=70.0),))  # MPE/U = 3.5
    assert verdict_of(recs)[0].verdict is Verdict.TRACEABLE
    tur4, _ = verdict_of(recs, config=Config(min_capability_ratio=4.0))
    assert tur4.issue.reason is Reason.CAPABILITY_RATIO


def test_depth_limit_stops_long_chains_without_error():
    # 60 standards each calibrated against the next; max_depth 10 → UNKNOWN, no RecursionError
    stds = [replace(S1, id=f"C{k}", U=5.0 - 0.01 * k) for k in range(60)]
    evs = [
        replace(E_S1, id=f"EC{k}", item_id=f"C{k}", standard_ids=(f"C{k + 1}",), U=5.0 - 0.01 * k)
        for k in range(59)
    ]
    recs = world(standards=(P0, *stds), events=(*evs, replace(E_I1, standard_ids=("C0",))))
    result, _ = verdict_of(recs, config=Config(max_depth=10))
    assert result.verdict is Verdict.UNKNOWN
    assert result.issue.reason is Reason.DEPTH_EXCEEDED


def test_standard_own_chain_and_unknown_item():
    engine = TraceabilityEngine(world(), ASOF)
    s1 = engine.chain("standard", "S1").result
    assert (s1.verdict, s1.length, s1.uncertainties) == (Verdict.TRACEABLE, 1, (5.0, 0.5))
    for ghost in (engine.chain("instrument", "nope").result, engine.result("nope")):
        assert ghost.verdict is Verdict.UNKNOWN
        assert ghost.issue.reason is Reason.DANGLING_REFERENCE


def test_reason_sentences_in_two_languages():
    for reason in Reason:
        assert reason.sentence("en").endswith(".")
        assert reason.sentence("zh").endswith("。")
    assert Reason.CERT_EXPIRED.breaks and not Reason.MISSING_DATE.breaks


def test_dimensions():
    assert dimension(r"\kilo\pascal") == dimension(r"\pascal") == (-1, 1, -2, 0, 0, 0, 0)
    assert dimension(r"\metre\tothe{3}\per\second") == (3, 0, -1, 0, 0, 0, 0)
    assert compatible(r"\newton\per\metre\tothe{2}", r"\pascal")
    assert not compatible(r"\pascal", r"\newton")
    assert dimension("furlong") == "furlong"  # unknown: compared literally
    assert not compatible("furlong", r"\metre")
    assert compatible("", r"\metre")
