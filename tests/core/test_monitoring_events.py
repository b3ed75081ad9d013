"""Device-event supervision: events → alarms → risk and work orders (jiliang.core.monitoring).

Sources of the rules under test (all in ``data/event-rules.yaml``):
- clock offset > 300 s (5 min) and "still > 5 min twice within a month → faulty":
  国网[营销/4]384-2014《国家电网公司用电信息采集系统时钟管理办法》 (as quoted; confirmed false);
- software identification (version + checksum of the legally relevant part compared with the
  approved type): WELMEC Guide 7.2, requirement "software identification"; event counter of
  legally relevant parameters: OIML D 31:2019;
- power-down repetition (≥ 3 in 24 h), tamper severities, risk points: jiliang defaults.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import random
from pathlib import Path

import pytest
import yaml

from jiliang.core.ledger.tree import leaf_hash
from jiliang.core.legal.risk import RiskSubject, rank
from jiliang.core.monitoring.balance import MonitoringError
from jiliang.core.monitoring.decision import MeterDecision, MeterVerdict
from jiliang.core.monitoring.events import (
    CHEATING,
    TABLE,
    UNVERIFIABLE,
    ApprovedSoftware,
    DeviceEvent,
    EventError,
    EventKind,
    evaluate,
    evaluate_events,
    load_rules,
    parse_event,
    parse_rules,
    read_csv,
    risk_increments,
    suggest_orders,
)
from jiliang.core.monitoring.workorders import (
    OrderKind,
    OrderState,
    PostCheck,
    TransitionError,
    open_order,
    verify_history,
)

T0 = dt.datetime(2026, 3, 1, 0, 0, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)
APPROVED = ApprovedSoftware(
    "CPA 2024-F123", "CRC-16", {"V1.02": "A1B2", "V1.03": "c3d4"}
)  # checksums: any case on input


def ev(kind: str, at: dt.datetime = T0, meter: str = "M1", **payload) -> DeviceEvent:
    return DeviceEvent(meter, at, EventKind(kind), payload)


def kinds(alarms) -> list[tuple[str, str, str, str]]:
    return [(a.meter_id, a.kind, a.severity, a.action) for a in alarms]


# -- the rule table ----------------------------------------------------------------------


def test_rule_table_covers_every_event_kind_with_the_cited_thresholds():
    rules = load_rules()
    assert set(rules.rules) == set(EventKind)
    clock = rules[EventKind.CLOCK_OFFSET]
    assert (clock.threshold.field, clock.threshold.above, clock.threshold.unit) == (
        "seconds",
        300.0,
        "s",
    )
    assert (clock.repeat.count, clock.repeat.window_hours, clock.repeat.action) == (
        2,
        720.0,
        "replacement",
    )
    power = rules[EventKind.POWER_DOWN]
    assert (power.alarm, power.repeat.count, power.repeat.window_hours) == (False, 3, 24.0)
    assert rules.risk_points == {"info": 0.0, "warning": 5.0, "critical": 30.0}
    assert rules.risk_cap == 60.0


def _doc() -> dict:
    return yaml.safe_load(Path(TABLE).read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("mutate", "field_name", "text"),
    [
        (lambda d: d["entries"][0].update(severity="severe"), "entries[0].severity", "severe"),
        (lambda d: d["entries"][0].update(action="repair"), "entries[0].action", "repair"),
        (lambda d: d["entries"][0].update(alarm="yes"), "entries[0].alarm", "yes"),
        (lambda d: d["entries"][0].update(event="smoke"), "entries[0].event", "smoke"),
        (lambda d: d["entries"][4]["repeat"].update(count=1), "entries[4].repeat.count", "≥ 2"),
        (
            lambda d: d["entries"][4]["repeat"].update(window_hours=0),
            "entries[4].repeat.window_hours",
            "> 0",
        ),
        (
            lambda d: d["entries"][6]["threshold"].update(above="5 min"),
            "entries[6].threshold.above",
            "number",
        ),
        (lambda d: d["entries"].pop(5), "entries", "power_up"),
        (lambda d: d["entries"][7].pop("violation"), "entries", "software_id"),
        (lambda d: d.pop("risk"), "risk", "mapping"),
        (lambda d: d["risk"]["points"].pop("critical"), "risk.points.critical", "number"),
        (lambda d: d.update(kind="risk"), "kind", "event_rules"),
        (lambda d: d.pop("source"), "table", "source"),
    ],
)
def test_rule_loader_names_the_bad_field(mutate, field_name, text):
    doc = _doc()
    assert parse_rules(doc).rules  # the shipped table is valid
    bad = copy.deepcopy(doc)
    mutate(bad)
    with pytest.raises(MonitoringError) as err:
        parse_rules(bad, "t.yaml")
    assert err.value.field == field_name
    assert text in str(err.value)


# -- parsing -----------------------------------------------------------------------------


def test_event_timestamps_are_converted_to_utc_and_naive_times_refused():
    e = parse_event(
        {"meter_id": " M1 ", "timestamp": "2026-03-01T08:00:00+08:00", "kind": "power_up"}
    )
    assert e.meter_id == "M1"
    assert e.timestamp == T0 and e.timestamp.tzinfo == dt.UTC
    assert e.key == "M1|2026-03-01T00:00:00Z|power_up"
    with pytest.raises(EventError) as err:
        parse_event({"meter_id": "M1", "timestamp": "2026-03-01T08:00:00", "kind": "power_up"}, 7)
    assert (err.value.field, err.value.row) == ("timestamp", 7)
    assert "row 7" in str(err.value) and "UTC offset" in str(err.value)


@pytest.mark.parametrize(
    ("row", "field_name"),
    [
        ({"meter_id": "M1", "timestamp": "2026-03-01T00:00Z", "kind": "smoke"}, "kind"),
        ({"meter_id": "", "timestamp": "2026-03-01T00:00Z", "kind": "power_up"}, "meter_id"),
        ({"meter_id": "M1", "timestamp": "yesterday", "kind": "power_up"}, "timestamp"),
        (
            {"meter_id": "M1", "timestamp": "2026-03-01T00:00Z", "kind": "clock_offset"},
            "payload.seconds",
        ),
        (
            {
                "meter_id": "M1",
                "timestamp": "2026-03-01T00:00Z",
                "kind": "clock_offset",
                "seconds": "nan",
            },
            "payload.seconds",
        ),
        (
            {
                "meter_id": "M1",
                "timestamp": "2026-03-01T00:00Z",
                "kind": "software_id",
                "version": "V1",
                "checksum": "XYZ",
                "algorithm": "CRC-16",
            },
            "payload.checksum",
        ),
        (
            {
                "meter_id": "M1",
                "timestamp": "2026-03-01T00:00Z",
                "kind": "software_id",
                "checksum": "AB",
                "algorithm": "CRC-16",
            },
            "payload.version",
        ),
        (
            {
                "meter_id": "M1",
                "timestamp": "2026-03-01T00:00Z",
                "kind": "parameter_change",
                "parameter": "meter_constant",
                "counter": -1,
            },
            "payload.counter",
        ),
        (
            {
                "meter_id": "M1",
                "timestamp": "2026-03-01T00:00Z",
                "kind": "power_up",
                "payload": "{bad",
            },
            "payload",
        ),
    ],
)
def test_bad_event_rows_name_the_field_and_row(row, field_name):
    with pytest.raises(EventError) as err:
        parse_event(row, 3)
    assert (err.value.field, err.value.row) == (field_name, 3)


def test_csv_keeps_good_rows_and_reports_each_bad_row_with_its_line():
    text = (
        "meter_id,timestamp,kind,payload,seconds,version,checksum,algorithm\n"
        "M1,2026-03-01T00:00:00Z,clock_offset,,-301.5,,,\n"
        "M1,2026-03-01T01:00:00Z,tamper,,,,,\n"
        'M2,2026-03-01T02:00:00Z,software_id,"{""note"": ""boot""}",,V1.02,0xa1 b2,crc16\n'
        "M3,2026-03-01T03:00:00,power_down,,,,,\n"
    )
    res = read_csv(text)
    assert [e.key for e in res.events] == [
        "M1|2026-03-01T00:00:00Z|clock_offset",
        "M2|2026-03-01T02:00:00Z|software_id",
    ]
    assert res.events[0].payload["seconds"] == -301.5
    assert dict(res.events[1].payload) == {
        "note": "boot",
        "version": "V1.02",
        "checksum": "A1B2",
        "algorithm": "crc16",
    }
    assert [(e.row, e.field) for e in res.errors] == [(3, "kind"), (5, "timestamp")]
    with pytest.raises(EventError) as err:
        read_csv("meter,timestamp,kind\n")
    assert err.value.field == "header" and "meter_id" in str(err.value)


# -- single-event and threshold rules ----------------------------------------------------


def test_tamper_events_alarm_and_power_up_does_not():
    alarms = evaluate_events(
        [
            ev("cover_open", T0),
            ev("terminal_cover_open", T0 + H),
            ev("magnetic_field", T0 + 2 * H),
            ev("power_up", T0 + 3 * H),
        ],
        {},
    )
    assert kinds(alarms) == [
        ("M1", "cover_open", "warning", "on_site_check"),
        ("M1", "terminal_cover_open", "warning", "on_site_check"),
        ("M1", "magnetic_field", "critical", "on_site_check"),
    ]
    assert all(a.tamper for a in alarms)
    assert alarms[0].reason_zh == "开表盖（2026-03-01T00:00:00Z）"
    assert alarms[0].evidence == ("M1|2026-03-01T00:00:00Z|cover_open",)


@pytest.mark.parametrize(
    ("seconds", "alarmed"), [(299.0, False), (300.0, False), (300.5, True), (-301.0, True)]
)
def test_clock_offset_alarms_only_beyond_300_s(seconds, alarmed):
    """国网[营销/4]384-2014: a meter clock more than 5 min off is a fault (limit exclusive)."""
    alarms = evaluate_events([ev("clock_offset", seconds=seconds)], {})
    assert kinds(alarms) == (
        [("M1", "clock_offset", "warning", "on_site_check")] if alarmed else []
    )


def test_clock_offset_twice_within_30_days_is_a_faulty_clock():
    within = [ev("clock_offset", T0, seconds=400), ev("clock_offset", T0 + 720 * H, seconds=-350)]
    alarms = evaluate_events([*within, ev("clock_offset", T0 + 10 * H, seconds=30)], {})
    assert kinds(alarms) == [
        ("M1", "clock_offset", "warning", "on_site_check"),
        ("M1", "clock_offset_repeated", "critical", "replacement"),
        ("M1", "clock_offset", "warning", "on_site_check"),
    ]
    rep = alarms[1]
    assert (rep.first, rep.last) == (T0, T0 + 720 * H)
    assert len(rep.evidence) == 2  # the 30 s offset does not qualify
    assert rep.reason_en == "2 × clock offset beyond ±300 s within 720 h (alarm at ≥ 2)"
    apart = [ev("clock_offset", T0, seconds=400), ev("clock_offset", T0 + 721 * H, seconds=400)]
    assert [a.kind for a in evaluate_events(apart, {})] == ["clock_offset", "clock_offset"]


# -- repetition windows ------------------------------------------------------------------


def test_three_power_downs_within_24_h_make_one_warning():
    alarms = evaluate_events([ev("power_down", T0 + k * 12 * H) for k in range(3)], {})
    assert kinds(alarms) == [("M1", "power_down_repeated", "warning", "on_site_check")]
    assert (alarms[0].first, alarms[0].last) == (T0, T0 + 24 * H)  # window inclusive
    assert len(alarms[0].evidence) == 3


def test_power_downs_just_over_24_h_apart_do_not_alarm():
    evs = [
        ev("power_down", T0),
        ev("power_down", T0 + 12 * H),
        ev("power_down", T0 + 24 * H + dt.timedelta(seconds=1)),
    ]
    assert evaluate_events(evs, {}) == []


def test_a_long_episode_is_one_alarm_and_separate_episodes_are_two():
    burst = [ev("power_down", T0 + k * 2 * H) for k in range(5)]  # 5 within 8 h
    later = [ev("power_down", T0 + 100 * H + k * H) for k in range(3)]
    lone = [ev("power_down", T0 + 60 * H)]
    alarms = evaluate_events(burst + lone + later, {})
    assert [(a.kind, len(a.evidence), a.first, a.last) for a in alarms] == [
        ("power_down_repeated", 5, T0, T0 + 8 * H),
        ("power_down_repeated", 3, T0 + 100 * H, T0 + 102 * H),
    ]


def test_repetitions_count_per_meter():
    evs = [
        ev("power_down", T0, "M1"),
        ev("power_down", T0 + H, "M2"),
        ev("power_down", T0 + 2 * H, "M1"),
    ]
    assert evaluate_events(evs, {}) == []


# -- legally relevant software identification --------------------------------------------


def sw(version: str, checksum: str, algorithm: str = "CRC-16", at: dt.datetime = T0) -> DeviceEvent:
    return ev("software_id", at, version=version, checksum=checksum, algorithm=algorithm)


def test_approved_software_identification_raises_nothing():
    # version V1.03 recorded as lower-case "c3d4"; reported "0xC3D4" with algorithm "crc16"
    assert (
        evaluate_events(
            [sw("V1.02", "a1b2"), sw("V1.03", "0xC3D4", "crc16", T0 + H)], {"M1": APPROVED}
        )
        == []
    )


def test_checksum_mismatch_is_cheating_suspected_with_the_reason():
    alarms = evaluate_events([sw("V1.02", "FFFF")], {"M1": APPROVED})
    assert kinds(alarms) == [("M1", CHEATING, "critical", "on_site_check")]
    a = alarms[0]
    assert a.tamper
    assert a.reason_en == (
        "cheating suspected: checksum FFFF of version V1.02 differs from the approved A1B2 "
        "(CRC-16, CPA 2024-F123)"
    )
    assert a.reason_zh == "计量作弊嫌疑：软件识别 V1.02 / CRC-16 FFFF 与批准型式 CPA 2024-F123 不符"


@pytest.mark.parametrize(
    ("version", "checksum", "algorithm", "why"),
    [
        ("V2.00", "A1B2", "CRC-16", "version V2.00 is not approved under CPA 2024-F123"),
        (
            "V1.03",
            "A1B2",
            "CRC-16",
            "checksum A1B2 of version V1.03 differs from the approved C3D4",
        ),
        ("V1.02", "A1B2", "SHA-256", "checksum algorithm SHA-256 is not the approved CRC-16"),
    ],
)
def test_unapproved_version_wrong_version_checksum_or_algorithm(version, checksum, algorithm, why):
    alarms = evaluate_events([sw(version, checksum, algorithm)], {"M1": APPROVED})
    assert [a.kind for a in alarms] == [CHEATING]
    assert why in alarms[0].reason_en


def test_software_id_without_an_approved_record_cannot_be_checked():
    alarms = evaluate_events([sw("V1.02", "A1B2")], {"OTHER": APPROVED})
    assert kinds(alarms) == [("M1", UNVERIFIABLE, "warning", "on_site_check")]
    assert not alarms[0].tamper


def test_approved_software_record_is_validated():
    with pytest.raises(MonitoringError) as err:
        ApprovedSoftware("CPA 1", "CRC-16", {})
    assert err.value.field == "versions"
    with pytest.raises(MonitoringError) as err:
        ApprovedSoftware("CPA 1", "CRC-16", {"V1": "not hex"})
    assert err.value.field == "versions"


# -- legally relevant parameter changes ---------------------------------------------------


def pc(counter: int, at: dt.datetime, **kw) -> DeviceEvent:
    return ev("parameter_change", at, parameter="meter_constant", counter=counter, **kw)


def test_counter_rising_by_one_per_change_is_fine():
    evs = [pc(5, T0), pc(6, T0 + H), pc(7, T0 + 2 * H)]
    assert evaluate_events(evs, {}, counters={"M1": 4}) == []


def test_counter_jump_means_unreported_changes():
    alarms = evaluate_events([pc(5, T0), pc(8, T0 + H)], {})
    assert kinds(alarms) == [("M1", CHEATING, "critical", "on_site_check")]
    assert "jumped from 5 to 8: 2 change(s) not reported" in alarms[0].reason_en
    assert alarms[0].evidence == (
        "M1|2026-03-01T00:00:00Z|parameter_change",
        "M1|2026-03-01T01:00:00Z|parameter_change",
    )


def test_counter_behind_the_known_count_is_a_reset_and_the_first_change_is_checked():
    alarms = evaluate_events([pc(3, T0)], {}, counters={"M1": 10})
    assert [a.kind for a in alarms] == [CHEATING]
    assert "went from 10 to 3: counter reset or rolled back" in alarms[0].reason_en
    assert [a.kind for a in evaluate_events([pc(12, T0)], {}, counters={"M1": 10})] == [CHEATING]


def test_change_without_an_approved_procedure_alarms_and_non_legal_changes_are_ignored():
    evs = [
        pc(1, T0, authorisation="WO-7"),
        pc(2, T0 + H),  # no authorisation cited
        ev("parameter_change", T0 + 2 * H, parameter="tariff", counter=99, legally_relevant=False),
    ]
    alarms = evaluate_events(evs, {}, authorisations={"M1": {"WO-7"}})
    assert [(a.kind, a.first) for a in alarms] == [(CHEATING, T0 + H)]
    assert "without an approved procedure (authorisation none)" in alarms[0].reason_en


# -- idempotence and ordering ------------------------------------------------------------


def _batch() -> list[DeviceEvent]:
    return [
        *[ev("power_down", T0 + k * 6 * H, "M2") for k in range(4)],
        ev("cover_open", T0, "M1"),
        sw("V1.02", "FFFF", at=T0 + H),
        ev("clock_offset", T0 + 2 * H, "M3", seconds=900),
        pc(1, T0, meter="M3"),
        pc(3, T0 + 5 * H, meter="M3"),
    ]


def test_evaluation_is_idempotent_and_independent_of_order():
    base = evaluate(_batch(), {"M1": APPROVED})
    assert len(base.alarms) == 5 and base.duplicates == ()
    shuffled = _batch() + _batch()[:4]
    random.Random(1).shuffle(shuffled)
    again = evaluate(shuffled, {"M1": APPROVED})
    assert again.alarms == base.alarms
    assert [(d.key, d.count, d.conflicting) for d in again.duplicates] == [
        (f"M2|2026-03-01T{h:02d}:00:00Z|power_down", 1, False) for h in (0, 6, 12, 18)
    ]
    assert len({a.key for a in base.alarms}) == len(base.alarms)  # keys identify alarms
    # a later batch extending an episode keeps the episode's key (upsert by key)
    grown = evaluate([*_batch(), ev("power_down", T0 + 20 * H, "M2")], {"M1": APPROVED})
    rep = [a for a in grown.alarms if a.kind == "power_down_repeated"]
    assert len(rep) == 1 and len(rep[0].evidence) == 5
    assert rep[0].key == next(a.key for a in base.alarms if a.kind == "power_down_repeated")
    assert base.alarms[0].key == "M1|cover_open|M1|2026-03-01T00:00:00Z|cover_open"


def test_conflicting_duplicates_are_flagged_and_the_kept_copy_does_not_depend_on_order():
    a = ev("clock_offset", T0, seconds=100)
    b = ev("clock_offset", T0, seconds=500)
    for order in ([a, b], [b, a]):
        res = evaluate(order, {})
        assert [(d.count, d.conflicting) for d in res.duplicates] == [(1, True)]
        assert res.events[0].payload["seconds"] == 100.0  # canonically smallest payload
        assert res.alarms == ()


# -- risk and work-order suggestions -----------------------------------------------------


def test_risk_increment_per_meter_and_owner_with_cap():
    alarms = evaluate_events(_batch(), {"M1": APPROVED})
    per_meter = risk_increments(alarms)
    # M1: cover_open warning 5 + cheating critical 30; M2: power_down_repeated warning 5;
    # M3: clock warning 5 + cheating (counter jump) critical 30
    assert {k: v.points for k, v in per_meter.items()} == {"M1": 35.0, "M2": 5.0, "M3": 35.0}
    assert per_meter["M1"].tamper_alarms == 2
    assert per_meter["M1"].reasons == ("cheating_suspected +30", "cover_open +5")
    owners = risk_increments(alarms, owners={"M1": "ORG-A", "M3": "ORG-A"})
    assert owners["ORG-A"].points == 60.0  # 70 capped at 60
    assert owners["ORG-A"].alarms == 4 and owners["M2"].points == 5.0
    # the tamper count feeds the supervision risk score: 2 × 30 = 60 → "high"
    ranked = rank(
        [RiskSubject("M1", "instrument", {"tamper_alarms": per_meter["M1"].tamper_alarms})]
    )
    assert (ranked[0].score, ranked[0].level) == (60.0, "high")


def _decision(meter: str, verdict: MeterVerdict) -> MeterDecision:
    return MeterDecision(meter, verdict, "1", 0.01, 0.03, 0.004, "test")


def test_orders_merge_alarms_with_estimation_verdicts():
    alarms = evaluate_events([ev("cover_open", T0, "M1"), ev("cover_open", T0, "M4")], {})
    orders = suggest_orders(
        alarms,
        [
            _decision("M1", MeterVerdict.OUT_OF_TOLERANCE),
            _decision("M2", MeterVerdict.INCONCLUSIVE),
            _decision("M3", MeterVerdict.CONFORMING),
            _decision("M5", MeterVerdict.NOT_IDENTIFIABLE),
        ],
    )
    assert [(o.meter_id, o.kind) for o in orders] == [
        ("M1", OrderKind.REPLACEMENT),
        ("M2", OrderKind.ON_SITE_CHECK),
        ("M4", OrderKind.ON_SITE_CHECK),
    ]
    assert orders[0].verdicts == ("out_of_tolerance",)
    assert orders[0].alarm_keys == (alarms[0].key,)
    assert len(orders[0].reasons) == 2


# -- work orders ---------------------------------------------------------------------------


def test_on_site_check_walks_open_assigned_done_verified():
    o, e0 = open_order("WO-1", "on_site_check", "M1", "cover opened", "system", T0)
    o, e1 = o.assign("dispatcher", T0 + H, "inspector-li")
    o, e2 = o.complete("inspector-li", T0 + 5 * H, "seal intact, cover closed")
    o, e3 = o.verify("supervisor-wang", T0 + 6 * H, "reviewed")
    assert o.state is OrderState.VERIFIED and o.assignee == "inspector-li"
    assert [(e.seq, e.action, e.from_state, e.to_state) for e in o.history] == [
        (0, "open", None, OrderState.OPEN),
        (1, "assign", OrderState.OPEN, OrderState.ASSIGNED),
        (2, "complete", OrderState.ASSIGNED, OrderState.DONE),
        (3, "verify", OrderState.DONE, OrderState.VERIFIED),
    ]
    assert [e1.prev, e2.prev, e3.prev] == [e0.sha256(), e1.sha256(), e2.sha256()]
    verify_history(o)


def test_replacement_is_verified_only_by_a_passed_check_of_the_new_meter():
    o, _ = open_order("WO-2", OrderKind.REPLACEMENT, "M1", "out of tolerance", "system", T0)
    o, _ = o.assign("dispatcher", T0 + H, "fitter-zhao")
    with pytest.raises(MonitoringError) as err:
        o.complete("fitter-zhao", T0 + 2 * H, "replaced")
    assert err.value.field == "new_meter_id"
    o, _ = o.complete("fitter-zhao", T0 + 2 * H, "replaced", new_meter_id="M1-NEW")
    with pytest.raises(MonitoringError) as err:
        o.verify("supervisor", T0 + 3 * H)
    assert err.value.field == "check"
    failed = PostCheck("M1-NEW", "JD-99", False, "first_verification", T0 - 24 * H)
    with pytest.raises(MonitoringError) as err:
        o.verify("supervisor", T0 + 3 * H, check=failed)
    assert err.value.field == "check.passed"
    other = PostCheck("M9", "JD-98", True, "first_verification", T0 - 24 * H)
    with pytest.raises(MonitoringError) as err:
        o.verify("supervisor", T0 + 3 * H, check=other)
    assert err.value.field == "check.meter_id"
    early = PostCheck("M1-NEW", "HC-1", True, "post_replacement_check", T0 + H)
    with pytest.raises(MonitoringError) as err:
        o.verify("supervisor", T0 + 3 * H, check=early)
    assert err.value.field == "check.date"
    with pytest.raises(MonitoringError) as err:  # four-eyes
        o.verify("fitter-zhao", T0 + 3 * H, check=failed)
    assert err.value.field == "who"
    good = PostCheck("M1-NEW", "JD-100", True, "first_verification", T0 - 24 * H)
    o, e = o.verify("supervisor", T0 + 3 * H, check=good)
    assert o.state is OrderState.VERIFIED
    assert e.data["check"] == {
        "meter_id": "M1-NEW",
        "record": "JD-100",
        "passed": True,
        "kind": "first_verification",
        "date": "2026-02-28T00:00:00Z",
    }


def test_illegal_transitions_name_the_transition_and_the_state():
    o, _ = open_order("WO-3", "on_site_check", "M1", "magnet", "system", T0)
    with pytest.raises(TransitionError) as err:
        o.verify("supervisor", T0 + H)
    assert (err.value.action, err.value.from_state, err.value.to_state) == (
        "verify",
        OrderState.OPEN,
        OrderState.VERIFIED,
    )
    assert str(err.value) == (
        "state: work order WO-3: cannot verify (open → verified); verify is allowed only from done"
    )
    with pytest.raises(TransitionError):
        o.complete("x", T0 + H, "done")
    o, _ = o.assign("d", T0 + H, "i")
    o, _ = o.complete("i", T0 + 2 * H, "checked")
    with pytest.raises(TransitionError) as err:
        o.cancel("d", T0 + 3 * H, "no longer needed")
    assert "cannot cancel (done → cancelled)" in str(err.value)
    o, _ = o.rework("supervisor", T0 + 3 * H, "photo missing")
    assert o.state is OrderState.ASSIGNED and o.completed_by == ""
    o, e = o.cancel("d", T0 + 4 * H, "meter removed by the owner")
    assert o.state is OrderState.CANCELLED and e.note == "meter removed by the owner"
    for act in (lambda: o.assign("d", T0 + 5 * H, "i"), lambda: o.cancel("d", T0 + 5 * H, "x")):
        with pytest.raises(TransitionError):
            act()


def test_transition_input_errors_name_the_field():
    o, _ = open_order("WO-4", "on_site_check", "M1", "cover", "system", T0)
    cases = [
        (lambda: o.cancel("d", T0 + H, "  "), "reason"),
        (lambda: o.assign("", T0 + H, "i"), "who"),
        (lambda: o.assign("d", T0 - H, "i"), "when"),
        (lambda: o.assign("d", dt.datetime(2026, 3, 2), "i"), "when"),
        (lambda: open_order("WO-5", "repair", "M1", "x", "s", T0), "kind"),
    ]
    for act, field_name in cases:
        with pytest.raises(MonitoringError) as err:
            act()
        assert err.value.field == field_name


def test_canonical_bytes_are_stable_and_hash_to_the_leaf():
    when = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    _, e0 = open_order(
        "WO-9", "replacement", "M1", "失准 out of tolerance", "系统", when, evidence=("k1",)
    )
    expected = (
        '{"action":"open","data":{"evidence":["k1"],"kind":"replacement","meter_id":"M1"},'
        '"from":null,"note":"失准 out of tolerance","order_id":"WO-9","prev":"","seq":0,'
        '"to":"open","type":"jiliang/work-order-event/v1","when":"2026-03-01T00:00:00Z",'
        '"who":"系统"}'
    ).encode()
    assert e0.canonical_bytes() == expected
    assert e0.sha256() == hashlib.sha256(expected).hexdigest()
    # the same record built again (other time zone, same instant) gives the same bytes
    _, again = open_order(
        "WO-9", "replacement", "M1", "失准 out of tolerance", "系统", T0, evidence=("k1",)
    )
    assert again.canonical_bytes() == expected
    assert e0.leaf() == f"jiliang/work-order-event/v1\nWO-9/0\n{e0.sha256()}\n".encode()
    # RFC 9162 §2.1.1 leaf hash over that payload
    assert leaf_hash(e0.leaf()) == hashlib.sha256(b"\x00" + e0.leaf()).digest()


def test_history_tampering_breaks_the_chain():
    o, _ = open_order("WO-6", "on_site_check", "M1", "cover", "system", T0)
    o, _ = o.assign("d", T0 + H, "i")
    o, _ = o.complete("i", T0 + 2 * H, "fine")
    verify_history(o)
    from dataclasses import replace

    forged = replace(o, history=(o.history[0], replace(o.history[1], who="mallory"), o.history[2]))
    with pytest.raises(MonitoringError) as err:
        verify_history(forged)
    assert err.value.field == "history" and "event 2: hash chain broken" in str(err.value)
