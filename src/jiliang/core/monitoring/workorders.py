"""Work orders (工单) raised by monitoring: on-site check (现场核查) and replacement (更换).

State machine::

    open ──assign──▶ assigned ──complete──▶ done ──verify──▶ verified
      │                │   ▲ (reassign)       │
      └──cancel──┐     └─cancel─┐             └──rework──▶ assigned
                 ▼              ▼
              cancelled (with a reason)

Rules beyond the arrows (each refusal is a :class:`TransitionError` naming the transition and the
state it was attempted from, or a ValueError naming the field):

- ``cancel`` needs a reason; a ``done`` order cannot be cancelled (its work happened: it is
  verified or sent back with ``rework``);
- ``complete`` of a replacement names the new meter (``new_meter_id``);
- ``verify`` is done by someone other than whoever completed the work (four-eyes, 双人复核);
  a replacement is verified only with a passed :class:`PostCheck` of the *new* meter — its
  first verification (首次检定) or a post-replacement check on or after the completion;
- times are timezone-aware, converted to UTC, and never earlier than the previous transition.

Every transition returns the new (immutable) order and a :class:`WorkOrderEvent`: who, when,
what, the note, and the SHA-256 of the previous event of the same order (a hash chain). Its
:meth:`~WorkOrderEvent.canonical_bytes` (sorted-key compact UTF-8 JSON, RFC 3339 UTC times) is
what the audit trail stores, and :meth:`~WorkOrderEvent.leaf` the transparency-log leaf — a
digest, never the content, like the platform's audit-entry leaves.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field, replace
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from .balance import MonitoringError

LEAF_TAG = "jiliang/work-order-event/v1"


class OrderKind(StrEnum):
    ON_SITE_CHECK = "on_site_check"  # 现场核查
    REPLACEMENT = "replacement"  # 更换


class OrderState(StrEnum):
    OPEN = "open"  # 待派工
    ASSIGNED = "assigned"  # 已派工
    DONE = "done"  # 已完成
    VERIFIED = "verified"  # 已复核
    CANCELLED = "cancelled"  # 已撤销


#: action → (states it may start from, state it leads to)
TRANSITIONS: dict[str, tuple[frozenset[OrderState], OrderState]] = {
    "assign": (frozenset({OrderState.OPEN, OrderState.ASSIGNED}), OrderState.ASSIGNED),
    "complete": (frozenset({OrderState.ASSIGNED}), OrderState.DONE),
    "verify": (frozenset({OrderState.DONE}), OrderState.VERIFIED),
    "rework": (frozenset({OrderState.DONE}), OrderState.ASSIGNED),
    "cancel": (frozenset({OrderState.OPEN, OrderState.ASSIGNED}), OrderState.CANCELLED),
}


class TransitionError(MonitoringError):
    """A transition not allowed from the order's state (``field`` is ``state``)."""

    def __init__(self, order_id: str, action: str, state: OrderState, message: str = ""):
        starts, target = TRANSITIONS[action]
        allowed = ", ".join(sorted(s.value for s in starts))
        text = (
            f"work order {order_id}: cannot {action} ({state.value} → {target.value}); "
            f"{action} is allowed only from {allowed}"
        )
        super().__init__("state", text + (f" — {message}" if message else ""))
        self.order_id = order_id
        self.action = action
        self.from_state = state
        self.to_state = target


def utc(value: dt.datetime, field_name: str = "when") -> dt.datetime:
    """``value`` in UTC; ValueError naming ``field_name`` if it is naive or not a datetime."""
    if not isinstance(value, dt.datetime):
        raise MonitoringError(field_name, f"must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise MonitoringError(
            field_name, f"naive datetime {value.isoformat()}: a UTC offset is required"
        )
    return value.astimezone(dt.UTC)


def rfc3339(value: dt.datetime) -> str:
    """RFC 3339 UTC text with ``Z`` (microseconds only when non-zero)."""
    if not isinstance(value, dt.datetime) or value.tzinfo is not dt.UTC:
        value = utc(value)
    return value.isoformat().replace("+00:00", "Z")


def canonical_json(value: Any) -> bytes:
    """Canonical JSON bytes: sorted keys, compact separators, UTF-8 (no ASCII escaping)."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def _text(value: Any, field_name: str, *, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise MonitoringError(field_name, f"must be a non-empty string, got {value!r}")
    return value.strip()


@dataclass(frozen=True)
class PostCheck:
    """Evidence that a new meter is fit: its first verification or a post-replacement check.

    ``kind`` is ``first_verification`` (首次检定, usually before installation) or
    ``post_replacement_check`` (换表后核查, on or after the completion of the replacement).
    """

    meter_id: str
    record: str  # certificate or check record number
    passed: bool
    kind: str
    date: dt.datetime

    KINDS = ("first_verification", "post_replacement_check")

    def __post_init__(self) -> None:
        _text(self.meter_id, "check.meter_id")
        _text(self.record, "check.record")
        if not isinstance(self.passed, bool):
            raise MonitoringError("check.passed", f"must be true or false, got {self.passed!r}")
        if self.kind not in self.KINDS:
            raise MonitoringError("check.kind", f"must be one of {self.KINDS}, got {self.kind!r}")
        object.__setattr__(self, "date", utc(self.date, "check.date"))

    def as_dict(self) -> dict[str, Any]:
        return {
            "meter_id": self.meter_id,
            "record": self.record,
            "passed": self.passed,
            "kind": self.kind,
            "date": rfc3339(self.date),
        }


@dataclass(frozen=True)
class WorkOrderEvent:
    """One immutable transition record of one work order (an audit-trail row, a log leaf)."""

    order_id: str
    seq: int  # 0 for the creation, then 1, 2, …
    action: str  # "open" or a key of TRANSITIONS
    from_state: OrderState | None
    to_state: OrderState
    who: str
    when: dt.datetime
    note: str
    data: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    prev: str = ""  # SHA-256 hex of the previous event of this order ("" for the creation)

    def as_dict(self) -> dict[str, Any]:
        return {
            "type": LEAF_TAG,
            "order_id": self.order_id,
            "seq": self.seq,
            "action": self.action,
            "from": self.from_state.value if self.from_state else None,
            "to": self.to_state.value,
            "who": self.who,
            "when": rfc3339(self.when),
            "note": self.note,
            "data": dict(self.data),
            "prev": self.prev,
        }

    def canonical_bytes(self) -> bytes:
        """Canonical JSON of the record (what the audit trail stores and hashes)."""
        return canonical_json(self.as_dict())

    def sha256(self) -> str:
        """Hex SHA-256 of :meth:`canonical_bytes`."""
        return hashlib.sha256(self.canonical_bytes()).hexdigest()

    def leaf(self) -> bytes:
        """Transparency-log leaf payload: ``tag\\n<order id>/<seq>\\n<sha256 hex>\\n``."""
        return f"{LEAF_TAG}\n{self.order_id}/{self.seq}\n{self.sha256()}\n".encode()


@dataclass(frozen=True)
class WorkOrder:
    """A work order and its full history (each transition makes a new object)."""

    order_id: str
    kind: OrderKind
    meter_id: str
    reason: str
    state: OrderState
    history: tuple[WorkOrderEvent, ...]
    assignee: str = ""
    completed_by: str = ""
    new_meter_id: str = ""

    # -- transitions -----------------------------------------------------------------------
    def _step(
        self, action: str, who: str, when: dt.datetime, note: str, data: dict[str, Any], **changes
    ) -> tuple[WorkOrder, WorkOrderEvent]:
        starts, target = TRANSITIONS[action]
        if self.state not in starts:
            raise TransitionError(self.order_id, action, self.state)
        who = _text(who, "who")
        when = utc(when)
        last = self.history[-1]
        if when < last.when:
            raise MonitoringError(
                "when",
                f"work order {self.order_id}: {action} at {rfc3339(when)} is earlier than the "
                f"previous transition ({last.action} at {rfc3339(last.when)})",
            )
        ev = WorkOrderEvent(
            self.order_id,
            last.seq + 1,
            action,
            self.state,
            target,
            who,
            when,
            note,
            MappingProxyType(dict(data)),
            last.sha256(),
        )
        return replace(self, state=target, history=(*self.history, ev), **changes), ev

    def assign(
        self, who: str, when: dt.datetime, assignee: str, note: str = ""
    ) -> tuple[WorkOrder, WorkOrderEvent]:
        """Assign (or reassign) the order to ``assignee`` (派工)."""
        assignee = _text(assignee, "assignee")
        return self._step(
            "assign",
            who,
            when,
            _text(note, "note", required=False),
            {"assignee": assignee},
            assignee=assignee,
        )

    def complete(
        self, who: str, when: dt.datetime, note: str, *, new_meter_id: str | None = None
    ) -> tuple[WorkOrder, WorkOrderEvent]:
        """Report the work done; a replacement names the installed meter (``new_meter_id``)."""
        if self.state is not OrderState.ASSIGNED:
            raise TransitionError(self.order_id, "complete", self.state)
        note = _text(note, "note")
        data: dict[str, Any] = {}
        if self.kind is OrderKind.REPLACEMENT:
            new_meter_id = _text(new_meter_id, "new_meter_id")
            if new_meter_id == self.meter_id:
                raise MonitoringError(
                    "new_meter_id", f"the new meter must differ from the replaced {self.meter_id}"
                )
            data["new_meter_id"] = new_meter_id
        elif new_meter_id is not None:
            raise MonitoringError("new_meter_id", "only a replacement order installs a new meter")
        return self._step(
            "complete",
            who,
            when,
            note,
            data,
            completed_by=_text(who, "who"),
            new_meter_id=new_meter_id or "",
        )

    def verify(
        self, who: str, when: dt.datetime, note: str = "", *, check: PostCheck | None = None
    ) -> tuple[WorkOrder, WorkOrderEvent]:
        """Confirm the work (复核); replacements need the new meter's passed check.

        Refused for whoever completed the work (four-eyes).
        """
        if self.state is not OrderState.DONE:
            raise TransitionError(self.order_id, "verify", self.state)
        if _text(who, "who") == self.completed_by:
            raise MonitoringError(
                "who", f"work order {self.order_id}: {who} completed the work and cannot verify it"
            )
        data: dict[str, Any] = {}
        if self.kind is OrderKind.REPLACEMENT:
            if check is None:
                raise MonitoringError(
                    "check",
                    f"work order {self.order_id}: a replacement is verified only with the new "
                    f"meter's first verification or a post-replacement check",
                )
            if check.meter_id != self.new_meter_id:
                raise MonitoringError(
                    "check.meter_id",
                    f"check {check.record} is of {check.meter_id}, not of the installed meter "
                    f"{self.new_meter_id}",
                )
            if not check.passed:
                raise MonitoringError(
                    "check.passed", f"check {check.record} of {check.meter_id} did not pass: rework"
                )
            done_at = self.history[-1].when
            if check.kind == "post_replacement_check" and check.date < done_at:
                raise MonitoringError(
                    "check.date",
                    f"post-replacement check {check.record} ({rfc3339(check.date)}) precedes the "
                    f"replacement ({rfc3339(done_at)})",
                )
            if check.date > utc(when):
                raise MonitoringError(
                    "check.date", f"check {check.record} is dated after verification"
                )
        if check is not None:
            data["check"] = check.as_dict()
        return self._step("verify", who, when, _text(note, "note", required=False), data)

    def rework(self, who: str, when: dt.datetime, note: str) -> tuple[WorkOrder, WorkOrderEvent]:
        """Send done work back to the assignee (verification failed; 返工)."""
        return self._step("rework", who, when, _text(note, "note"), {}, completed_by="")

    def cancel(self, who: str, when: dt.datetime, reason: str) -> tuple[WorkOrder, WorkOrderEvent]:
        """Cancel an open or assigned order (撤销); the reason is required."""
        if self.state not in TRANSITIONS["cancel"][0]:
            raise TransitionError(self.order_id, "cancel", self.state)
        return self._step("cancel", who, when, _text(reason, "reason"), {})


def open_order(
    order_id: str,
    kind: OrderKind | str,
    meter_id: str,
    reason: str,
    who: str,
    when: dt.datetime,
    *,
    evidence: tuple[str, ...] = (),
) -> tuple[WorkOrder, WorkOrderEvent]:
    """A new open order and its creation record (``evidence``: alarm or event keys)."""
    try:
        kind = OrderKind(kind)
    except ValueError:
        raise MonitoringError(
            "kind", f"unknown work-order kind {kind!r}; known: {', '.join(OrderKind)}"
        ) from None
    order_id, meter_id = _text(order_id, "order_id"), _text(meter_id, "meter_id")
    reason = _text(reason, "reason")
    data = {"kind": kind.value, "meter_id": meter_id, "evidence": list(evidence)}
    ev = WorkOrderEvent(
        order_id,
        0,
        "open",
        None,
        OrderState.OPEN,
        _text(who, "who"),
        utc(when),
        reason,
        MappingProxyType(data),
    )
    return WorkOrder(order_id, kind, meter_id, reason, OrderState.OPEN, (ev,)), ev


def verify_history(order: WorkOrder) -> None:
    """Check an order's hash chain, sequence and state path; ValueError naming the first break."""
    prev = ""
    state: OrderState | None = None
    for i, ev in enumerate(order.history):
        if ev.seq != i or ev.order_id != order.order_id:
            raise MonitoringError("history", f"event {i} has seq {ev.seq} of {ev.order_id}")
        if ev.prev != prev:
            raise MonitoringError("history", f"event {i}: hash chain broken (prev {ev.prev!r})")
        if ev.from_state != state:
            raise MonitoringError(
                "history", f"event {i}: from {ev.from_state} but state was {state}"
            )
        if i and state not in TRANSITIONS[ev.action][0]:
            raise MonitoringError("history", f"event {i}: {ev.action} not allowed from {state}")
        prev, state = ev.sha256(), ev.to_state
    if state != order.state:
        raise MonitoringError("history", f"history ends in {state}, order says {order.state}")
