"""Device-event supervision (设备事件监控) of smart meters and e-scales: events → alarms → orders.

Events (:class:`DeviceEvent`) come from data concentrators as plain dicts or CSV rows
(:func:`parse_event`, :func:`parse_rows`): tamper alarms (cover and terminal-cover open,
magnetic field), legally relevant parameter changes with the meter's event counter, power down
and up, the clock offset (seconds, meter minus reference) and the legally relevant software
identification (version + checksum + algorithm).

:func:`evaluate` turns a batch into alarms by the rule table ``data/event-rules.yaml``
(:func:`load_rules`):

- a single event alarms when its rule says so, or when a payload field crosses the rule's
  threshold (clock offset > 300 s);
- repetitions: ``count`` qualifying events of one meter within ``window_hours`` (window
  inclusive) make one alarm per episode — an episode lasts while every new event still has
  ``count`` qualifying events in the window ending at it;
- software identification (WELMEC 7.2 "software identification", OIML D 31): the reported
  version must be one the meter's approved type permits, and its checksum and algorithm those
  recorded for that version (:class:`ApprovedSoftware`) — else ``cheating_suspected``
  (计量作弊嫌疑) with the reason;
- legally relevant parameter changes: the meter's event counter (a non-resettable count of such
  changes, OIML D 31) must rise by exactly one per reported change, from the last known count
  when one is given; a jump (unreported changes), a fall (reset) or a change without an
  authorisation the supervisor knows of is ``cheating_suspected`` too.

Evaluation is deterministic and idempotent: events are sorted by time, duplicates by
(meter, timestamp, kind) dropped and reported (:class:`Duplicate`; a duplicate whose payload
differs is flagged ``conflicting`` and the canonically smallest payload kept, so the result does
not depend on arrival order), and the same events in any order or repeated give equal alarms.

Alarms feed the supervision risk score (:func:`risk_increments`) and, merged with the
estimation verdicts of :mod:`.decision`, suggest work orders (:func:`suggest_orders`).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import functools
import io
import json
import math
import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from jiliang.core.legal.rules import RuleError, RuleTable, parse_table

from .balance import MonitoringError
from .decision import MeterDecision, MeterVerdict
from .workorders import OrderKind, canonical_json, rfc3339

TABLE = Path(__file__).with_name("data") / "event-rules.yaml"


class EventKind(StrEnum):
    COVER_OPEN = "cover_open"  # 开表盖
    TERMINAL_COVER_OPEN = "terminal_cover_open"  # 开端钮盖
    MAGNETIC_FIELD = "magnetic_field"  # 恒定磁场干扰
    PARAMETER_CHANGE = "parameter_change"  # 参数变更
    POWER_DOWN = "power_down"  # 掉电
    POWER_UP = "power_up"  # 上电
    CLOCK_OFFSET = "clock_offset"  # 时钟偏差, payload seconds
    SOFTWARE_ID = "software_id"  # 软件识别, payload version, checksum, algorithm


SEVERITIES = ("info", "warning", "critical")
ACTIONS = ("none", "on_site_check", "replacement")
CHEATING = "cheating_suspected"  # 计量作弊嫌疑
UNVERIFIABLE = "software_unverifiable"  # no approved record to compare with

_HEX = re.compile(r"^[0-9A-F]+$")


class EventError(MonitoringError):
    """A bad event row: ``field`` names the field, ``row`` the row (1-based, or None)."""

    def __init__(self, field_name: str, message: str, row: int | None = None):
        where = f"row {row}: " if row is not None else ""
        super().__init__(field_name, where + message)
        self.row = row


# -- events ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeviceEvent:
    """One device event; ``timestamp`` aware and in UTC, ``payload`` read-only and validated."""

    meter_id: str
    timestamp: dt.datetime
    kind: EventKind
    payload: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        ev = _validated(self.meter_id, self.timestamp, self.kind, self.payload, None)
        for name in ("meter_id", "timestamp", "kind", "payload"):
            object.__setattr__(self, name, ev[name])

    @functools.cached_property
    def key(self) -> str:
        """Idempotency key ``meter|timestamp|kind`` (RFC 3339 UTC)."""
        return f"{self.meter_id}|{rfc3339(self.timestamp)}|{self.kind.value}"


def _validated(
    meter_id: Any, timestamp: Any, kind: Any, payload: Any, row: int | None
) -> dict[str, Any]:
    if not isinstance(meter_id, str) or not meter_id.strip():
        raise EventError("meter_id", f"must be a non-empty string, got {meter_id!r}", row)
    if isinstance(timestamp, str):
        try:
            timestamp = dt.datetime.fromisoformat(timestamp.strip())
        except ValueError:
            raise EventError(
                "timestamp", f"not an ISO 8601 date-time: {timestamp!r}", row
            ) from None
    if not isinstance(timestamp, dt.datetime):
        raise EventError("timestamp", f"must be a date-time, got {timestamp!r}", row)
    if timestamp.tzinfo is None or timestamp.utcoffset() is None:
        raise EventError(
            "timestamp", f"{timestamp.isoformat()} has no UTC offset (naive time refused)", row
        )
    try:
        kind = EventKind(kind)
    except ValueError:
        raise EventError(
            "kind", f"unknown event kind {kind!r}; known: {', '.join(EventKind)}", row
        ) from None
    if not isinstance(payload, Mapping):
        raise EventError("payload", f"must be a mapping, got {type(payload).__name__}", row)
    return {
        "meter_id": meter_id.strip(),
        "timestamp": timestamp.astimezone(dt.UTC),
        "kind": kind,
        "payload": MappingProxyType(_payload(kind, dict(payload), row)),
    }


def _payload(kind: EventKind, p: dict[str, Any], row: int | None) -> dict[str, Any]:
    def text(name: str, required: bool = True) -> str | None:
        v = p.get(name)
        if v is None or v == "":
            if required:
                raise EventError(f"payload.{name}", f"required for {kind.value}", row)
            return None
        if not isinstance(v, str) or not v.strip():
            raise EventError(f"payload.{name}", f"must be a non-empty string, got {v!r}", row)
        return v.strip()

    if kind is EventKind.CLOCK_OFFSET:
        v = p.get("seconds")
        if isinstance(v, str):
            with contextlib.suppress(ValueError):
                v = float(v)
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise EventError(
                "payload.seconds", f"must be a finite number of seconds, got {v!r}", row
            )
        p["seconds"] = float(v)
    elif kind is EventKind.SOFTWARE_ID:
        p["version"] = text("version")
        checksum = re.sub(r"\s+", "", text("checksum") or "").upper().removeprefix("0X")
        if not _HEX.match(checksum):
            raise EventError("payload.checksum", f"must be hexadecimal, got {p['checksum']!r}", row)
        p["checksum"] = checksum
        p["algorithm"] = text("algorithm")
    elif kind is EventKind.PARAMETER_CHANGE:
        p["parameter"] = text("parameter")
        c = p.get("counter")
        if isinstance(c, str) and c.strip().isdigit():
            c = int(c)
        if isinstance(c, bool) or not isinstance(c, int) or c < 0:
            raise EventError("payload.counter", f"must be an integer ≥ 0, got {c!r}", row)
        p["counter"] = c
        lr = p.get("legally_relevant", True)
        if isinstance(lr, str) and lr.strip().lower() in ("true", "false", "1", "0", ""):
            lr = lr.strip().lower() in ("true", "1", "")
        if not isinstance(lr, bool):
            raise EventError("payload.legally_relevant", f"must be true or false, got {lr!r}", row)
        p["legally_relevant"] = lr
        auth = text("authorisation", required=False)
        if auth is None:
            p.pop("authorisation", None)
        else:
            p["authorisation"] = auth
    try:
        canonical_json(p)
    except (TypeError, ValueError) as exc:
        raise EventError("payload", f"not JSON-serialisable: {exc}", row) from None
    return p


#: CSV columns read into the payload when non-empty (besides a JSON ``payload`` column)
PAYLOAD_COLUMNS = (
    "seconds",
    "version",
    "checksum",
    "algorithm",
    "parameter",
    "counter",
    "legally_relevant",
    "authorisation",
)


def parse_event(row: Mapping[str, Any], row_no: int | None = None) -> DeviceEvent:
    """A :class:`DeviceEvent` from a dict or CSV row; :class:`EventError` names field and row.

    ``payload`` may be a mapping or JSON text; the columns :data:`PAYLOAD_COLUMNS`, when present
    and non-empty, are added to it (CSV files carry them as plain columns).
    """
    if not isinstance(row, Mapping):
        raise EventError("row", f"must be a mapping, got {type(row).__name__}", row_no)
    for name in ("meter_id", "timestamp", "kind"):
        if row.get(name) in (None, ""):
            raise EventError(name, "missing", row_no)
    payload = row.get("payload") or {}
    if isinstance(payload, str):
        try:
            payload = json.loads(payload)
        except json.JSONDecodeError as exc:
            raise EventError("payload", f"not valid JSON: {exc.msg}", row_no) from None
    if not isinstance(payload, Mapping):
        raise EventError("payload", f"must be a JSON object, got {payload!r}", row_no)
    payload = dict(payload)
    for name in PAYLOAD_COLUMNS:
        if row.get(name) not in (None, ""):
            payload[name] = row[name]
    v = _validated(row["meter_id"], row["timestamp"], row["kind"], payload, row_no)
    return DeviceEvent(v["meter_id"], v["timestamp"], v["kind"], v["payload"])


@dataclass(frozen=True)
class ParseResult:
    events: tuple[DeviceEvent, ...]
    errors: tuple[EventError, ...]  # one per bad row, in row order


def parse_rows(rows: Iterable[Mapping[str, Any]], *, first_row: int = 1) -> ParseResult:
    """Parse every row, keeping the good events and one :class:`EventError` per bad row."""
    events, errors = [], []
    for i, row in enumerate(rows, start=first_row):
        try:
            events.append(parse_event(row, i))
        except EventError as exc:
            errors.append(exc)
    return ParseResult(tuple(events), tuple(errors))


def read_csv(text: str | io.TextIOBase) -> ParseResult:
    """Parse CSV text (header ``meter_id,timestamp,kind[,payload][,seconds,…]``); rows count
    from 2, the header being row 1 as in a spreadsheet."""
    fh = io.StringIO(text) if isinstance(text, str) else text
    reader = csv.DictReader(fh)
    missing = {"meter_id", "timestamp", "kind"} - set(reader.fieldnames or ())
    if missing:
        raise EventError("header", f"missing column(s) {', '.join(sorted(missing))}", 1)
    return parse_rows(reader, first_row=2)


# -- approved software ----------------------------------------------------------------------


def _algorithm(name: str) -> str:
    return re.sub(r"[\s_-]", "", name).upper()


@dataclass(frozen=True)
class ApprovedSoftware:
    """The legally relevant software of an approved type (型式批准) as recorded in the registry.

    ``versions`` maps each permitted version to its checksum (hex, any case) computed with
    ``algorithm`` (e.g. ``CRC-16``, ``SHA-256``; compared ignoring case, spaces, ``-`` and
    ``_``). It is normalised to a sorted tuple of pairs.
    """

    approval: str  # type-approval certificate number (型式批准证书编号)
    algorithm: str
    versions: Any  # Mapping[str, str] on input; tuple[tuple[str, str], ...] after

    def __post_init__(self) -> None:
        if not isinstance(self.approval, str) or not self.approval.strip():
            raise MonitoringError("approval", f"must be a non-empty string, got {self.approval!r}")
        if not isinstance(self.algorithm, str) or not self.algorithm.strip():
            raise MonitoringError(
                "algorithm", f"must be a non-empty string, got {self.algorithm!r}"
            )
        items = dict(self.versions).items() if self.versions else ()
        if not items:
            raise MonitoringError("versions", f"{self.approval}: at least one permitted version")
        pairs = []
        for v, c in items:
            c = re.sub(r"\s+", "", str(c)).upper().removeprefix("0X")
            if not isinstance(v, str) or not v.strip() or not _HEX.match(c):
                raise MonitoringError("versions", f"{self.approval}: bad entry {v!r}: {c!r}")
            pairs.append((v.strip(), c))
        object.__setattr__(self, "versions", tuple(sorted(pairs)))

    def check(self, version: str, checksum: str, algorithm: str) -> str | None:
        """None when the identification is the approved one, else the reason (English)."""
        permitted = dict(self.versions)
        if version not in permitted:
            return (
                f"version {version} is not approved under {self.approval} "
                f"(permitted: {', '.join(permitted)})"
            )
        if _algorithm(algorithm) != _algorithm(self.algorithm):
            return (
                f"checksum algorithm {algorithm} is not the approved {self.algorithm} "
                f"({self.approval})"
            )
        if checksum.upper() != permitted[version]:
            return (
                f"checksum {checksum} of version {version} differs from the approved "
                f"{permitted[version]} ({self.algorithm}, {self.approval})"
            )
        return None


# -- rules ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    severity: str
    action: str


@dataclass(frozen=True)
class Threshold:
    field: str  # payload field compared by absolute value
    above: float
    severity: str
    action: str
    unit: str = ""  # of the field, for the reason text


@dataclass(frozen=True)
class Repeat:
    count: int
    window_hours: float
    severity: str
    action: str


@dataclass(frozen=True)
class EventRule:
    event: EventKind
    zh: str
    en: str
    severity: str
    alarm: bool
    action: str
    tamper: bool = False
    threshold: Threshold | None = None
    repeat: Repeat | None = None
    violation: Outcome | None = None
    no_record: Outcome | None = None


@dataclass(frozen=True)
class EventRules:
    table: RuleTable
    rules: Mapping[EventKind, EventRule]
    risk_points: Mapping[str, float]
    risk_cap: float

    def __getitem__(self, kind: EventKind) -> EventRule:
        return self.rules[kind]


def _rule_error(where: str, field_name: str, message: str) -> MonitoringError:
    return MonitoringError(field_name, f"{where}: {message}")


def _choice(value: Any, options: Sequence[str], where: str, field_name: str) -> str:
    if value not in options:
        raise _rule_error(where, field_name, f"must be one of {', '.join(options)}, got {value!r}")
    return str(value)


def _outcome(spec: Any, where: str, field_name: str) -> Outcome | None:
    if spec is None:
        return None
    if not isinstance(spec, Mapping):
        raise _rule_error(where, field_name, "must be a mapping {severity, action}")
    return Outcome(
        _choice(spec.get("severity"), SEVERITIES, where, f"{field_name}.severity"),
        _choice(spec.get("action"), ACTIONS, where, f"{field_name}.action"),
    )


def _number(spec: Mapping, name: str, where: str, field_name: str, *, positive: bool) -> float:
    v = spec.get(name)
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise _rule_error(where, f"{field_name}.{name}", f"must be a number, got {v!r}")
    if v < 0 or (positive and v == 0):
        raise _rule_error(where, f"{field_name}.{name}", f"must be {'>' if positive else '≥'} 0")
    return float(v)


def parse_rules(doc: Mapping[str, Any], where: str = "<event rules>") -> EventRules:
    """Validate an ``event_rules`` document; MonitoringError naming the field on any fault."""
    try:
        table = parse_table(doc, where)
    except RuleError as exc:
        raise MonitoringError("table", str(exc)) from None
    if table.kind != "event_rules" or table.key != "event":
        raise _rule_error(
            where,
            "kind",
            f"is {table.kind!r} keyed by {table.key!r}, not event_rules keyed by event",
        )
    rules: dict[EventKind, EventRule] = {}
    for i, e in enumerate(table.entries):
        f = f"entries[{i}]"
        try:
            kind = EventKind(e["event"])
        except ValueError:
            raise _rule_error(where, f"{f}.event", f"unknown event kind {e['event']!r}") from None
        if kind in rules:
            raise _rule_error(where, f"{f}.event", f"{kind.value} appears twice")
        for name in ("zh", "en"):
            if not isinstance(e.get(name), str) or not e[name].strip():
                raise _rule_error(where, f"{f}.{name}", "must be a non-empty string")
        if not isinstance(e.get("alarm"), bool):
            raise _rule_error(where, f"{f}.alarm", f"must be true or false, got {e.get('alarm')!r}")
        threshold = repeat = None
        if (t := e.get("threshold")) is not None:
            if not isinstance(t, Mapping) or not isinstance(t.get("field"), str):
                raise _rule_error(where, f"{f}.threshold", "must be a mapping with a field name")
            o = _outcome(t, where, f"{f}.threshold")
            above = _number(t, "above", where, f"{f}.threshold", positive=False)
            threshold = Threshold(t["field"], above, o.severity, o.action, str(t.get("unit", "")))
        if (r := e.get("repeat")) is not None:
            if not isinstance(r, Mapping):
                raise _rule_error(where, f"{f}.repeat", "must be a mapping")
            count = r.get("count")
            if isinstance(count, bool) or not isinstance(count, int) or count < 2:
                raise _rule_error(
                    where, f"{f}.repeat.count", f"must be an integer ≥ 2, got {count!r}"
                )
            hours = _number(r, "window_hours", where, f"{f}.repeat", positive=True)
            o = _outcome(r, where, f"{f}.repeat")
            repeat = Repeat(count, hours, o.severity, o.action)
        rules[kind] = EventRule(
            event=kind,
            zh=e["zh"].strip(),
            en=e["en"].strip(),
            severity=_choice(e.get("severity"), SEVERITIES, where, f"{f}.severity"),
            alarm=e["alarm"],
            action=_choice(e.get("action"), ACTIONS, where, f"{f}.action"),
            tamper=bool(e.get("tamper", False)),
            threshold=threshold,
            repeat=repeat,
            violation=_outcome(e.get("violation"), where, f"{f}.violation"),
            no_record=_outcome(e.get("no_record"), where, f"{f}.no_record"),
        )
    missing = [k.value for k in EventKind if k not in rules]
    if missing:
        raise _rule_error(where, "entries", f"no rule for event kind(s) {', '.join(missing)}")
    for kind in (EventKind.SOFTWARE_ID, EventKind.PARAMETER_CHANGE):
        if rules[kind].violation is None:
            raise _rule_error(where, "entries", f"{kind.value} needs a violation outcome")
    risk = table.meta.get("risk")
    if not isinstance(risk, Mapping) or not isinstance(risk.get("points"), Mapping):
        raise _rule_error(where, "risk", "must be a mapping {points: {severity: points}, cap}")
    points = {}
    for s in SEVERITIES:
        points[s] = _number(risk["points"], s, where, "risk.points", positive=False)
    cap = _number(risk, "cap", where, "risk", positive=True)
    return EventRules(table, MappingProxyType(rules), MappingProxyType(points), cap)


@functools.cache
def load_rules(path: Path = TABLE) -> EventRules:
    """The event-rule table (cached; pass another path for a bureau's own table)."""
    with open(path, encoding="utf-8") as fh:
        return parse_rules(yaml.safe_load(fh), str(path))


# -- alarms ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Alarm:
    """One alarm on one meter, with the events that raised it (their :attr:`DeviceEvent.key`)."""

    meter_id: str
    kind: str  # an event kind, "<event kind>_repeated", cheating_suspected, software_unverifiable
    severity: str
    action: str
    reason_zh: str
    reason_en: str
    first: dt.datetime
    last: dt.datetime
    evidence: tuple[str, ...]
    tamper: bool = False

    @property
    def key(self) -> str:
        """Stable key ``meter|kind|first evidence``: an episode that grows keeps its key."""
        return f"{self.meter_id}|{self.kind}|{self.evidence[0]}"


@dataclass(frozen=True)
class Duplicate:
    key: str
    count: int  # copies dropped
    conflicting: bool  # some copy carried a different payload


@dataclass(frozen=True)
class Evaluation:
    alarms: tuple[Alarm, ...]
    duplicates: tuple[Duplicate, ...]
    events: tuple[DeviceEvent, ...]  # unique, in (meter, time, kind) order


def _alarm(
    evs: Sequence[DeviceEvent],
    kind: str,
    severity: str,
    action: str,
    zh: str,
    en: str,
    tamper: bool = False,
) -> Alarm:
    return Alarm(
        evs[0].meter_id,
        kind,
        severity,
        action,
        zh,
        en,
        evs[0].timestamp,
        evs[-1].timestamp,
        tuple(e.key for e in evs),
        tamper,
    )


def _episodes(evs: Sequence[DeviceEvent], rep: Repeat) -> list[list[DeviceEvent]]:
    """Maximal episodes: runs of events at each of which ≥ count events lie in the window."""
    window = dt.timedelta(hours=rep.window_hours)
    out: list[list[DeviceEvent]] = []
    current: list[DeviceEvent] | None = None
    lo = upto = 0  # window start; events before ``upto`` are in the current episode already
    for i, ev in enumerate(evs):
        while ev.timestamp - evs[lo].timestamp > window:
            lo += 1
        if i - lo + 1 >= rep.count:
            if current is None:
                current, upto = [], lo
                out.append(current)
            current.extend(evs[max(lo, upto) : i + 1])
            upto = i + 1
        else:
            current = None
    return out


def dedupe(events: Iterable[DeviceEvent]) -> tuple[list[DeviceEvent], list[Duplicate]]:
    """Unique events in (meter, time, kind) order and the duplicates dropped (order-independent:
    of conflicting copies the one with the smallest canonical payload is kept)."""
    groups: dict[str, list[DeviceEvent]] = defaultdict(list)
    for ev in events:
        if not isinstance(ev, DeviceEvent):
            raise MonitoringError("events", f"expected DeviceEvent, got {type(ev).__name__}")
        groups[ev.key].append(ev)
    unique, dups = [], []
    for key, copies in groups.items():
        if len(copies) == 1:
            unique.append(copies[0])
            continue
        canon = [canonical_json(dict(e.payload)) for e in copies]
        smallest = min(canon)
        unique.append(copies[canon.index(smallest)])
        dups.append(Duplicate(key, len(copies) - 1, len(set(canon)) > 1))
    unique.sort(key=lambda e: (e.meter_id, e.timestamp, e.kind.value))
    dups.sort(key=lambda d: d.key)
    return unique, dups


def evaluate(
    events: Iterable[DeviceEvent],
    approved: Mapping[str, ApprovedSoftware],
    rules: EventRules | None = None,
    *,
    counters: Mapping[str, int] | None = None,
    authorisations: Mapping[str, Collection[str]] | None = None,
) -> Evaluation:
    """Alarms from a batch of events (see the module docstring for every rule).

    ``approved`` maps meter id → its type's :class:`ApprovedSoftware`; ``counters`` meter id →
    the last event-counter value known to the supervisor (at the last verification), so the first
    reported change must carry that + 1; ``authorisations`` meter id → the authorisation numbers
    of the parameter changes permitted on it (when given, a legally relevant change must cite one
    of them; when None, only the counter is checked).
    """
    rules = rules or load_rules()
    unique, dups = dedupe(events)
    alarms: list[Alarm] = []
    by_meter_kind: dict[tuple[str, EventKind], list[DeviceEvent]] = defaultdict(list)
    for ev in unique:
        by_meter_kind[(ev.meter_id, ev.kind)].append(ev)
    for (meter, kind), evs in by_meter_kind.items():
        rule = rules[kind]
        qualifying = evs
        if rule.alarm:
            for ev in evs:
                alarms.append(
                    _alarm(
                        [ev],
                        kind.value,
                        rule.severity,
                        rule.action,
                        f"{rule.zh}（{rfc3339(ev.timestamp)}）",
                        f"{rule.en} at {rfc3339(ev.timestamp)}",
                        rule.tamper,
                    )
                )
        t = rule.threshold
        u = f" {t.unit}" if t is not None and t.unit else ""
        if t is not None:
            qualifying = [e for e in evs if abs(_field(e, t.field)) > t.above]
            for ev in qualifying:
                v = _field(ev, t.field)
                alarms.append(
                    _alarm(
                        [ev],
                        kind.value,
                        t.severity,
                        t.action,
                        f"{rule.zh} {v:+g}{u} 超过限值 ±{t.above:g}{u}（{rfc3339(ev.timestamp)}）",
                        f"{rule.en} {v:+g}{u} beyond ±{t.above:g}{u} at {rfc3339(ev.timestamp)}",
                        rule.tamper,
                    )
                )
        if (r := rule.repeat) is not None:
            limit = f" 超过 ±{t.above:g}{u}" if t is not None else ""
            limit_en = f" beyond ±{t.above:g}{u}" if t is not None else ""
            for ep in _episodes(qualifying, r):
                alarms.append(
                    _alarm(
                        ep,
                        f"{kind.value}_repeated",
                        r.severity,
                        r.action,
                        f"{r.window_hours:g} 小时内 {len(ep)} 次{rule.zh}{limit}"
                        f"（不少于 {r.count} 次即告警）",
                        f"{len(ep)} × {rule.en}{limit_en} within {r.window_hours:g} h "
                        f"(alarm at ≥ {r.count})",
                        rule.tamper,
                    )
                )
        if kind is EventKind.SOFTWARE_ID:
            alarms.extend(_software(meter, evs, approved.get(meter), rule))
        if kind is EventKind.PARAMETER_CHANGE:
            allowed = None if authorisations is None else set(authorisations.get(meter, ()))
            alarms.extend(_parameters(evs, rule, (counters or {}).get(meter), allowed))
    alarms.sort(key=lambda a: (a.meter_id, a.first, a.kind, a.last, a.evidence))
    return Evaluation(tuple(alarms), tuple(dups), tuple(unique))


def _field(ev: DeviceEvent, name: str) -> float:
    """Numeric payload field ``name`` of ``ev`` for a threshold (0 when absent)."""
    v = ev.payload.get(name, 0.0)
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise MonitoringError(
            f"payload.{name}", f"{ev.key}: threshold field is not a number: {v!r}"
        )
    return float(v)


def evaluate_events(
    events: Iterable[DeviceEvent],
    approved: Mapping[str, ApprovedSoftware],
    rules: EventRules | None = None,
    **kw: Any,
) -> list[Alarm]:
    """The alarms of :func:`evaluate` (duplicates are in ``evaluate(...).duplicates``)."""
    return list(evaluate(events, approved, rules, **kw).alarms)


def _software(
    meter: str, evs: Sequence[DeviceEvent], record: ApprovedSoftware | None, rule: EventRule
) -> list[Alarm]:
    out = []
    for ev in evs:
        p = ev.payload
        ident = f"{p['version']} / {p['algorithm']} {p['checksum']}"
        if record is None:
            o = rule.no_record
            if o is not None:
                out.append(
                    _alarm(
                        [ev],
                        UNVERIFIABLE,
                        o.severity,
                        o.action,
                        f"无批准型式软件记录，无法核对软件识别 {ident}",
                        f"no approved-type software record for {meter}: cannot check {ident}",
                    )
                )
            continue
        why = record.check(p["version"], p["checksum"], p["algorithm"])
        if why is not None:
            o = rule.violation
            out.append(
                _alarm(
                    [ev],
                    CHEATING,
                    o.severity,
                    o.action,
                    f"计量作弊嫌疑：软件识别 {ident} 与批准型式 {record.approval} 不符",
                    f"cheating suspected: {why}",
                    True,
                )
            )
    return out


def _parameters(
    evs: Sequence[DeviceEvent], rule: EventRule, baseline: int | None, allowed: set[str] | None
) -> list[Alarm]:
    out = []
    o = rule.violation
    prev, prev_ev = baseline, None
    for ev in evs:
        p = ev.payload
        if not p["legally_relevant"]:
            continue
        c = p["counter"]
        evidence = [prev_ev, ev] if prev_ev is not None else [ev]
        if prev is not None and c != prev + 1:
            if c > prev + 1:
                zh = f"事件计数器由 {prev} 跳至 {c}：{c - prev - 1} 次参数变更未上报"
                en = (
                    f"event counter jumped from {prev} to {c}: "
                    f"{c - prev - 1} change(s) not reported"
                )
            else:
                zh = f"事件计数器由 {prev} 变为 {c}：计数器被重置或回退"
                en = f"event counter went from {prev} to {c}: counter reset or rolled back"
            out.append(
                _alarm(
                    evidence,
                    CHEATING,
                    o.severity,
                    o.action,
                    f"计量作弊嫌疑：{zh}",
                    f"cheating suspected: {en} ({p['parameter']})",
                    True,
                )
            )
        if allowed is not None and p.get("authorisation") not in allowed:
            cited = p.get("authorisation") or "none"
            out.append(
                _alarm(
                    [ev],
                    CHEATING,
                    o.severity,
                    o.action,
                    f"计量作弊嫌疑：参数 {p['parameter']} 变更无批准程序（授权 {cited}）",
                    f"cheating suspected: change of {p['parameter']} without an approved "
                    f"procedure (authorisation {cited})",
                    True,
                )
            )
        prev, prev_ev = c, ev
    return out


# -- risk and work orders -------------------------------------------------------------------


@dataclass(frozen=True)
class RiskIncrement:
    subject: str  # meter id or owner id
    points: float  # added to the supervision risk score, capped at the table's cap
    alarms: int
    tamper_alarms: int  # alarms counting as tamper (the ``tamper_alarms`` risk factor)
    reasons: tuple[str, ...]  # alarm kinds with their points, largest first


def risk_increments(
    alarms: Iterable[Alarm],
    rules: EventRules | None = None,
    owners: Mapping[str, str] | None = None,
) -> dict[str, RiskIncrement]:
    """Risk increment per meter, or per owner when ``owners`` maps meter → owner.

    Each alarm adds the table's ``risk.points`` of its severity (defaults: info 0, warning 5,
    critical 30); the total per subject is capped at ``risk.cap`` (default 60, the "high" level
    of ``risk-rules.yaml``). ``tamper_alarms`` counts alarms flagged tamper (tamper events and
    ``cheating_suspected``), the input of the ``tamper_alarms`` factor of
    :func:`jiliang.core.legal.risk.rank`. A meter with no owner in ``owners`` is its own subject.
    """
    rules = rules or load_rules()
    acc: dict[str, list[Alarm]] = defaultdict(list)
    for a in alarms:
        subject = (owners or {}).get(a.meter_id, a.meter_id)
        acc[subject].append(a)
    out = {}
    for subject in sorted(acc):
        parts: dict[str, float] = defaultdict(float)
        for a in acc[subject]:
            parts[a.kind] += rules.risk_points[a.severity]
        total = min(sum(parts.values()), rules.risk_cap)
        reasons = tuple(
            f"{k} +{v:g}" for k, v in sorted(parts.items(), key=lambda kv: (-kv[1], kv[0])) if v
        )
        out[subject] = RiskIncrement(
            subject, total, len(acc[subject]), sum(a.tamper for a in acc[subject]), reasons
        )
    return out


@dataclass(frozen=True)
class OrderSuggestion:
    """The work order a meter needs: the strongest action asked for, with every reason."""

    meter_id: str
    kind: OrderKind
    reasons: tuple[str, ...]
    alarm_keys: tuple[str, ...]
    verdicts: tuple[str, ...]


def suggest_orders(
    alarms: Iterable[Alarm], decisions: Iterable[MeterDecision] = ()
) -> list[OrderSuggestion]:
    """One suggestion per meter from alarms' actions and estimation verdicts.

    ``out_of_tolerance`` (失准) asks for a replacement, ``inconclusive`` for an on-site check;
    conforming and not identifiable ask for nothing. A meter asked for both gets a replacement
    (the replacement visit is the on-site visit; the reasons keep the check's grounds).
    """
    rank = {"on_site_check": 1, "replacement": 2}
    need: dict[str, int] = defaultdict(int)
    reasons: dict[str, list[str]] = defaultdict(list)
    keys: dict[str, list[str]] = defaultdict(list)
    verdicts: dict[str, list[str]] = defaultdict(list)
    for a in alarms:
        if a.action in rank:
            need[a.meter_id] = max(need[a.meter_id], rank[a.action])
            reasons[a.meter_id].append(a.reason_en)
            keys[a.meter_id].append(a.key)
    for d in decisions:
        action = {
            MeterVerdict.OUT_OF_TOLERANCE: "replacement",
            MeterVerdict.INCONCLUSIVE: "on_site_check",
        }.get(d.verdict)
        if action:
            need[d.meter_id] = max(need[d.meter_id], rank[action])
            reasons[d.meter_id].append(f"estimate {d.verdict.value}: {d.explanation}")
            verdicts[d.meter_id].append(d.verdict.value)
    kinds = {1: OrderKind.ON_SITE_CHECK, 2: OrderKind.REPLACEMENT}
    return [
        OrderSuggestion(m, kinds[need[m]], tuple(reasons[m]), tuple(keys[m]), tuple(verdicts[m]))
        for m in sorted(need)
    ]
