"""Work orders in the platform (告警 → 工单): on-site checks (现场核查) and replacements (更换).

The rules of the state machine are :mod:`jiliang.core.monitoring.workorders`: every
transition rebuilds the core order from the stored ``history``, asks the core for the next
state (which refuses a transition from the wrong state, a cancel without a reason, a
replacement completed without the new meter, a verification by whoever completed the work or a
replacement verified without the new meter's passed check) and stores the new history, its
projection (state, assignee, new meter, notes) and nothing else. Each transition is one audited
save inside ``transaction.atomic()`` (so its audit entry's hash reaches the transparency log).

Who may do what is authority, not ownership (谁有权认定什么) — :data:`RIGHTS`:

==========  ==========================================================================
open        the regulator of the meter's region, the admin; the meter's owner or its grid
            operator (the area's owner) for its own meter; the system (``user=None``)
assign      the meter's owner / grid operator (dispatching its crew), the regulator, admin
complete    staff of the assigned organisation (who did the work on site), the admin
verify      the regulator of the meter's region, the admin — never the organisation whose
            order it is: an enterprise cannot close its own order as verified
rework      the regulator, the admin
cancel      the regulator, the admin (an owner cannot cancel away an alarm's order)
==========  ==========================================================================

An alarm (or an estimate) has at most one open order (state open, assigned or done: a
partial UNIQUE constraint); opening again returns the open order (idempotent). Verifying a
replacement supersedes its alarm: ``Alarm.resolved_at`` is set, audited in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from jiliang.core.monitoring import workorders as core
from jiliang.core.monitoring.balance import MonitoringError
from jiliang.core.monitoring.decision import MeterDecision, MeterVerdict
from jiliang.core.monitoring.events import Alarm as CoreAlarm
from jiliang.core.monitoring.events import suggest_orders
from jiliang.platform.accounts.roles import Role, role_of
from jiliang.platform.audit.context import acting_as
from jiliang.platform.registry.authority import Denied
from jiliang.platform.registry.models import Instrument, Organisation
from jiliang.platform.registry.permissions import user_region_prefix

from .models import Alarm, AreaMeter, MeterEstimate, WorkOrder
from .services import user_organisation


class Rel(StrEnum):
    """How a user stands to a work order."""

    ADMIN = "admin"
    REGULATOR = "regulator"  # market-supervision bureau of the meter's region
    OWNER = "owner"  # staff of the meter's owner or of its grid operator (area owner)
    ASSIGNEE = "assignee"  # staff of the organisation the order is assigned to
    SYSTEM = "system"  # the platform itself (alarm evaluation), user=None


#: action → relations that may do it (module docstring)
RIGHTS: dict[str, frozenset[Rel]] = {
    "open": frozenset({Rel.ADMIN, Rel.REGULATOR, Rel.OWNER, Rel.SYSTEM}),
    "assign": frozenset({Rel.ADMIN, Rel.REGULATOR, Rel.OWNER}),
    "complete": frozenset({Rel.ADMIN, Rel.ASSIGNEE}),
    "verify": frozenset({Rel.ADMIN, Rel.REGULATOR}),
    "rework": frozenset({Rel.ADMIN, Rel.REGULATOR}),
    "cancel": frozenset({Rel.ADMIN, Rel.REGULATOR}),
}


def operators(instrument: Instrument) -> set[int]:
    """Organisations that do a meter's on-site work: its owner and its current area's owner."""
    orgs = {instrument.owner_id}
    orgs.update(
        AreaMeter.objects.filter(instrument=instrument, valid_to__isnull=True).values_list(
            "area__owner_id", flat=True
        )
    )
    return orgs


def relations(user, instrument: Instrument, assignee_id: int | None = None) -> frozenset[Rel]:
    """The relations ``user`` has to an order on ``instrument`` (assigned to ``assignee_id``)."""
    if user is None:
        return frozenset({Rel.SYSTEM})
    role = role_of(user)
    if role is Role.ADMIN:
        return frozenset({Rel.ADMIN})
    if role is Role.REGULATOR:
        prefix = user_region_prefix(user)
        if prefix and instrument.region.code.startswith(prefix):
            return frozenset({Rel.REGULATOR})
        return frozenset()
    if role in (Role.ENTERPRISE, Role.LAB_STAFF):
        org = user_organisation(user)
        if org is None:
            return frozenset()
        rels = set()
        if org.pk in operators(instrument):
            rels.add(Rel.OWNER)
        if assignee_id is not None and org.pk == assignee_id:
            rels.add(Rel.ASSIGNEE)
        return frozenset(rels)
    return frozenset()


def may(user, order: WorkOrder, action: str) -> bool:
    """May ``user`` do ``action`` on ``order`` (authority only; the state is the core's)?"""
    return bool(RIGHTS[action] & relations(user, order.instrument, order.assignee_id))


def _authorise(user, instrument: Instrument, action: str, assignee_id: int | None = None):
    if not RIGHTS[action] & relations(user, instrument, assignee_id):
        who = sorted(r.value for r in RIGHTS[action])
        raise Denied(
            {
                "__all__": f"you may not {action} work orders of meter {instrument.lifetime_id} "
                f"(allowed: {', '.join(who)})"
            }
        )


def _who(user) -> str:
    return user.get_username() if user is not None else "system"


def _event(d: dict[str, Any]) -> core.WorkOrderEvent:
    return core.WorkOrderEvent(
        order_id=d["order_id"],
        seq=d["seq"],
        action=d["action"],
        from_state=core.OrderState(d["from"]) if d["from"] else None,
        to_state=core.OrderState(d["to"]),
        who=d["who"],
        when=dt.datetime.fromisoformat(d["when"].replace("Z", "+00:00")),
        note=d["note"],
        data=MappingProxyType(d["data"]),
        prev=d["prev"],
    )


def core_order(order: WorkOrder) -> core.WorkOrder:
    """The core order rebuilt from the stored history (its hash chain checked)."""
    history = tuple(_event(d) for d in order.history)
    co = core.WorkOrder(
        order_id=order.number,
        kind=core.OrderKind(order.kind),
        meter_id=order.instrument.lifetime_id,
        reason=order.reason,
        state=core.OrderState(order.state),
        history=history,
        assignee=order.assignee.code if order.assignee_id else "",
        completed_by=order.completed_by,
        new_meter_id=order.new_meter.lifetime_id if order.new_meter_id else "",
    )
    core.verify_history(co)
    return co


def _kind_for(alarm: Alarm | None, estimate: MeterEstimate | None) -> core.OrderKind | None:
    """The kind the core suggests for this ground (None: it asks for no order)."""
    alarms, decisions = [], []
    if alarm is not None:
        alarms.append(
            CoreAlarm(
                alarm.instrument.lifetime_id,
                alarm.kind,
                alarm.severity,
                alarm.action,
                alarm.reason_zh,
                alarm.reason_en,
                alarm.first,
                alarm.last,
                tuple(alarm.evidence) or (alarm.key,),
                alarm.tamper,
            )
        )
    if estimate is not None:
        try:
            verdict = MeterVerdict(estimate.verdict)
        except ValueError:
            return None
        decisions.append(
            MeterDecision(
                estimate.instrument.lifetime_id,
                verdict,
                estimate.accuracy_class,
                estimate.mpe or 0.0,
                estimate.error,
                estimate.expanded_uncertainty,
                estimate.reason,
            )
        )
    found = suggest_orders(alarms, decisions)
    return found[0].kind if found else None


def suggested_kind(alarm: Alarm) -> core.OrderKind | None:
    """The work-order kind the core suggests for ``alarm`` (None: its rule asks for none)."""
    return _kind_for(alarm, None)


def _open_of(alarm: Alarm | None, estimate: MeterEstimate | None) -> WorkOrder | None:
    qs = WorkOrder.objects.filter(state__in=WorkOrder.OPEN_STATES)
    return (qs.filter(alarm=alarm) if alarm else qs.filter(estimate=estimate)).first()


def open_order(
    user,
    *,
    alarm: Alarm | None = None,
    estimate: MeterEstimate | None = None,
    kind: str | None = None,
    reason: str = "",
    change_reason: str = "",
) -> tuple[WorkOrder, bool]:
    """Open a work order from an alarm or an estimate verdict; ``(order, created)``.

    Idempotent: if the alarm (estimate) already has an open order, that order is returned with
    ``created=False`` and nothing is written. ``kind`` defaults to the core's suggestion
    (:func:`~jiliang.core.monitoring.events.suggest_orders`: ``out_of_tolerance`` → replacement,
    ``inconclusive`` → on-site check, an alarm → its rule's action); a ground that asks for no
    order needs an explicit ``kind``. ValueError (MonitoringError) names the field.
    """
    if (alarm is None) == (estimate is None):
        raise MonitoringError("alarm", "give exactly one of alarm or estimate")
    instrument = alarm.instrument if alarm is not None else estimate.instrument
    _authorise(user, instrument, "open")
    if alarm is not None and alarm.resolved_at is not None:
        raise MonitoringError("alarm", f"alarm {alarm.key} was resolved on {alarm.resolved_at}")
    if estimate is not None and estimate.verdict not in (
        MeterEstimate.Verdict.OUT_OF_TOLERANCE,
        MeterEstimate.Verdict.INCONCLUSIVE,
    ):
        raise MonitoringError(
            "estimate",
            f"verdict {estimate.verdict}: only out_of_tolerance or inconclusive estimates "
            "ground a work order",
        )
    existing = _open_of(alarm, estimate)
    if existing is not None:
        return existing, False
    suggested = _kind_for(alarm, estimate)
    kind = kind or (suggested.value if suggested else None)
    if kind is None:
        raise MonitoringError("kind", "the alarm asks for no work order: give the kind")
    if not reason:
        if alarm is not None:
            reason = alarm.reason_zh or alarm.kind
        else:
            reason = f"{estimate.get_verdict_display()}: {estimate.reason or estimate.verdict}"
    now = timezone.now()
    number = f"GD{now:%Y%m%d}-{uuid.uuid4().hex[:8].upper()}"
    evidence = (alarm.key,) if alarm is not None else (f"estimate:{estimate.pk}",)
    co, ev = core.open_order(
        number, kind, instrument.lifetime_id, reason, _who(user), now, evidence=evidence
    )
    row = WorkOrder(
        number=number,
        kind=co.kind.value,
        instrument=instrument,
        alarm=alarm,
        estimate=estimate,
        reason=co.reason,
        state=co.state.value,
        history=[ev.as_dict()],
        opened_at=now,
        updated_at=now,
    )
    try:
        with transaction.atomic(), acting_as(user, change_reason):
            row.save()
    except IntegrityError:  # opened concurrently: answer with that order
        existing = _open_of(alarm, estimate)
        if existing is None:
            raise
        return existing, False
    return row, True


def _transition(user, order: WorkOrder, action: str, change_reason: str, step) -> WorkOrder:
    """Lock ``order``, check authority, let the core do ``step(core_order, who, now)``, store."""
    with transaction.atomic():
        row = (
            # lock the order's row only: PostgreSQL refuses FOR UPDATE on the nullable side of
            # the outer joins (assignee, new meter, alarm)
            WorkOrder.objects.select_for_update(of=("self",))
            .select_related("instrument__region", "assignee", "new_meter", "alarm")
            .get(pk=order.pk)
        )
        _authorise(user, row.instrument, action, row.assignee_id)
        co, ev = step(core_order(row), _who(user), timezone.now(), row)
        row.state = co.state.value
        row.completed_by = co.completed_by
        row.history = [*row.history, ev.as_dict()]
        row.updated_at = ev.when
        with acting_as(user, change_reason):
            row.save()
            if (
                action == "verify"
                and row.kind == WorkOrder.Kind.REPLACEMENT
                and row.alarm is not None
                and row.alarm.resolved_at is None
            ):
                row.alarm.resolved_at = ev.when
                row.alarm.save()
    return row


def assign(user, order: WorkOrder, assignee: Organisation, note: str = "", change_reason=""):
    """Assign (派工) the order to ``assignee``: the meter's owner or its grid operator."""
    if not isinstance(assignee, Organisation):
        raise MonitoringError("assignee", "give the organisation (credit code) doing the work")

    def step(co, who, now, row):
        if assignee.pk not in operators(row.instrument):
            raise MonitoringError(
                "assignee",
                f"{assignee.code} neither owns meter {row.instrument.lifetime_id} nor operates "
                "its area: the on-site work is theirs",
            )
        row.assignee = assignee
        return co.assign(who, now, assignee.code, note)

    return _transition(user, order, "assign", change_reason, step)


def complete(
    user,
    order: WorkOrder,
    note: str,
    new_meter: Instrument | None = None,
    change_reason: str = "",
):
    """Report the work done with its result notes; a replacement names the installed meter."""

    def step(co, who, now, row):
        if new_meter is not None and new_meter.owner_id != row.instrument.owner_id:
            raise MonitoringError(
                "new_meter", f"{new_meter.lifetime_id} is not an instrument of the meter's owner"
            )
        co, ev = co.complete(
            who, now, note, new_meter_id=new_meter.lifetime_id if new_meter else None
        )
        row.new_meter = new_meter
        row.notes = ev.note
        return co, ev

    return _transition(user, order, "complete", change_reason, step)


def verify(
    user,
    order: WorkOrder,
    note: str = "",
    check: dict[str, Any] | None = None,
    change_reason: str = "",
):
    """Verify (复核) done work; a replacement needs the new meter's passed check.

    ``check``: ``{record, passed, kind: first_verification|post_replacement_check, date}``
    (``date`` aware). Verifying a replacement resolves its alarm.
    """

    def step(co, who, now, row):
        pc = None
        if check is not None:
            if not isinstance(check, dict):
                raise MonitoringError("check", "give record, passed, kind and date")
            date = check.get("date")
            if isinstance(date, str):
                try:
                    date = dt.datetime.fromisoformat(date)
                except ValueError:
                    raise MonitoringError("check.date", f"not an ISO 8601 time: {date!r}") from None
            pc = core.PostCheck(
                meter_id=co.new_meter_id or co.meter_id,
                record=check.get("record"),
                passed=check.get("passed"),
                kind=check.get("kind"),
                date=date,
            )
        co, ev = co.verify(who, now, note, check=pc)
        if pc is not None:
            row.post_check = pc.as_dict()
        return co, ev

    return _transition(user, order, "verify", change_reason, step)


def rework(user, order: WorkOrder, note: str, change_reason: str = ""):
    """Send done work back to the assignee (返工)."""
    return _transition(
        user, order, "rework", change_reason, lambda co, who, now, row: co.rework(who, now, note)
    )


def cancel(user, order: WorkOrder, reason: str, change_reason: str = ""):
    """Cancel (撤销) an open or assigned order; the reason is required."""
    return _transition(
        user, order, "cancel", change_reason, lambda co, who, now, row: co.cancel(who, now, reason)
    )
