"""Regional risk factors, early-warning notices and measurement emergencies.

Factors (counts per region code prefix, each one aggregate query — no loop over instruments):

========================  ===================================================================
``filed``                 instruments in use under a filing in force
``overdue``               of those, overdue or due for replacement
                          (:func:`jiliang.platform.supervision.services.overdue_instruments`)
``verified`` / ``failed`` verifications (not withdrawn) performed in the failure window
``complaints``            complaints (投诉举报) not dismissed, created in the window
``serious_credit``        organisations with a serious-violation credit event not removed
``credit_events``         stored credit events with negative points in the window, not removed
``comparison_flags``      unsatisfactory comparison results (比对不满意结果) in the window
``open_alarms``           monitoring alarms not resolved; ``tamper_alarms`` those with tamper
========================  ===================================================================

The levels come from :func:`jiliang.core.legal.early_warning.assess`. Writes (evaluate,
acknowledge, emergencies) are for regulators of the region (admins everywhere) and each one is
an audited save inside ``transaction.atomic()``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict

from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from jiliang.core.legal import early_warning as ew
from jiliang.core.legal.rules import RuleBook
from jiliang.platform.accounts.roles import Role
from jiliang.platform.audit.context import acting_as
from jiliang.platform.common.errors import FieldErrors
from jiliang.platform.params import MAX_DATE, MIN_DATE
from jiliang.platform.registry.authority import Denied
from jiliang.platform.registry.models import CalibrationEvent, Instrument, Organisation, Region
from jiliang.platform.registry.permissions import user_region_prefix
from jiliang.platform.supervision.access import reads_region, supervisor_prefix

from .models import EarlyWarning, Emergency, EmergencyAction

#: allowed status transitions of an emergency (report → response → closure)
TRANSITIONS = {
    Emergency.Status.REPORTED: {Emergency.Status.RESPONDING},
    Emergency.Status.RESPONDING: {Emergency.Status.CLOSED},
    Emergency.Status.CLOSED: set(),
}


def today() -> dt.date:
    return timezone.localdate()


# ------------------------------------------------------------------------------- access


def may_read(user, region: Region) -> bool:
    """Regulators and inspectors of the region (admins everywhere) read its risk view."""
    prefix = reads_region(user)
    return prefix is not None and region.code.startswith(prefix)


def may_write(user, region: Region) -> bool:
    """Regulators of the region (admins everywhere) evaluate, acknowledge and handle
    emergencies; inspectors, labs and enterprises do not."""
    if user is None:  # the system (CLI, scheduler)
        return True
    prefix = supervisor_prefix(user)
    return prefix is not None and region.code.startswith(prefix)


def require_write(user, region: Region) -> None:
    """Raise :class:`Denied` (403) unless :func:`may_write`."""
    if not may_write(user, region):
        raise Denied({"__all__": _("只有该区划的监管部门可以操作")})


def _in_read_region(user, qs, code_field: str = "region__code"):
    """``qs`` cut to the regions the user supervises (nothing for other roles)."""
    prefix = reads_region(user)
    if prefix is None:
        return qs.none()
    return qs.filter(**{f"{code_field}__startswith": prefix})


def regions_for(user):
    """Regions the user may read (a queryset; nothing for other roles)."""
    return _in_read_region(user, Region.objects.all(), "code")


def warnings_for(user):
    return _in_read_region(
        user,
        EarlyWarning.objects.select_related("region", "notified_org", "acknowledged_by"),
    )


def emergencies_for(user):
    return _in_read_region(
        user, Emergency.objects.select_related("region", "reported_by", "closed_by")
    )


# ------------------------------------------------------------------------------- factors


def _since(factor: str, as_of: dt.date, book: RuleBook | None) -> dt.date:
    start = ew.window_start(factor, as_of, book)
    return start if start is not None else dt.date.min


def _aware(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def factor_counts(
    region: Region, as_of: dt.date | None = None, book: RuleBook | None = None
) -> dict[str, int]:
    """The counts of the module table for the subtree of ``region`` on ``as_of``."""
    from jiliang.platform.comparisons.models import Flag
    from jiliang.platform.monitoring.models import Alarm
    from jiliang.platform.supervision import credit
    from jiliang.platform.supervision import models as s
    from jiliang.platform.supervision.services import OVERDUE_STATUSES

    as_of = as_of or today()
    prefix = region.prefix
    filed = Instrument.objects.filter(
        region__code__startswith=prefix,
        status=Instrument.Status.IN_USE,
        filing__withdrawn_on__isnull=True,
    ).aggregate(
        filed=Count("pk"),
        overdue=Count("pk", filter=Q(filing__status__in=OVERDUE_STATUSES)),
    )
    verif = CalibrationEvent.objects.filter(
        instrument__region__code__startswith=prefix,
        kind=CalibrationEvent.Kind.VERIFICATION,
        withdrawn=False,
        performed_on__gte=_since("failure_rate", as_of, book),
        performed_on__lte=as_of,
    ).aggregate(verified=Count("pk"), failed=Count("pk", filter=Q(conformity="fail")))
    complaints = (
        s.Complaint.objects.filter(
            instrument__region__code__startswith=prefix,
            created_at__gte=_aware(_since("complaints", as_of, book)),
        )
        .exclude(status=s.Complaint.Status.DISMISSED)
        .count()
    )
    table = (book or RuleBook.default()).table("credit", as_of)
    negative = [e["event"] for e in table.entries if float(e.get("points", 0)) < 0]
    events = s.CreditEvent.objects.filter(
        organisation__region__code__startswith=prefix, removed_on__isnull=True, on__lte=as_of
    )
    serious = (
        events.filter(kind__in=credit.serious_kinds()).values("organisation_id").distinct().count()
    )
    credit_events = events.filter(
        kind__in=negative, on__gte=_since("credit_events", as_of, book)
    ).count()
    flags = Flag.objects.filter(
        organisation__region__code__startswith=prefix,
        created_at__gte=_aware(_since("comparison_flags", as_of, book)),
    ).count()
    alarms = Alarm.objects.filter(
        instrument__region__code__startswith=prefix, resolved_at__isnull=True
    ).aggregate(open_alarms=Count("pk"), tamper_alarms=Count("pk", filter=Q(tamper=True)))
    return {
        **filed,
        **verif,
        "complaints": complaints,
        "serious_credit": serious,
        "credit_events": credit_events,
        "comparison_flags": flags,
        **alarms,
    }


def risk_view(region: Region, as_of: dt.date | None = None, book: RuleBook | None = None) -> dict:
    """The region's counts, factor levels, overall level and reasons (JSON-ready)."""
    as_of = as_of or today()
    counts = factor_counts(region, as_of, book)
    w = ew.assess(counts, book=book, as_of=as_of)
    return {
        "region": region.code,
        "region_name": region.name,
        "as_of": as_of,
        "level": w.level,
        "counts": counts,
        "factors": [asdict(f) for f in w.factors],
        "reasons": list(w.reasons),
        "edition": w.edition,
    }


# ------------------------------------------------------------------------------- warnings


def responsible_regulator(region: Region) -> Organisation | None:
    """The regulator organisation (市场监管部门) of the region: the nearest one at or above it,
    else the first in its subtree (by region code)."""
    regs = Organisation.objects.filter(kind=Organisation.Kind.REGULATOR, is_active=True)
    node: Region | None = region
    while node is not None:
        found = regs.filter(region=node).order_by("code").first()
        if found is not None:
            return found
        node = node.parent
    return regs.filter(region__code__startswith=region.prefix).order_by("region__code").first()


def _recipients(region: Region) -> list:
    """Regulator users whose area contains the region."""
    users = (
        get_user_model()
        .objects.filter(is_active=True, groups__name=Role.REGULATOR.value)
        .select_related("profile__region", "profile__organisation__region")
    )
    out = []
    for u in users:
        prefix = user_region_prefix(u)
        if prefix is not None and region.code.startswith(prefix):
            out.append(u)
    return out


def _notify(w: EarlyWarning, users: list) -> None:
    """E-mail the notice in each recipient's notification language (supervision settings)."""
    from jiliang.platform.supervision.notices import settings_of

    for u in users:
        prefs = settings_of(u)
        if not u.email or not prefs.email:
            continue
        with translation.override(prefs.language):
            subject = _("[jiliang] 计量风险预警：%(region)s %(level)s") % {
                "region": w.region.name,
                "level": w.get_level_display(),
            }
        send_mail(subject, "\n".join(w.reasons), None, [u.email], fail_silently=True)


def evaluate(
    user, region: Region, as_of: dt.date | None = None, book: RuleBook | None = None
) -> EarlyWarning | None:
    """Evaluate the region; store and notify a warning when its level is above green.

    Idempotent per region and day: the day's warning is returned unchanged unless the level
    rose, then it is raised (and notified again). Green stores nothing and returns the day's
    warning if one exists (a warning is never lowered the same day), else None.
    """
    require_write(user, region)
    as_of = as_of or today()
    view = risk_view(region, as_of, book)
    with transaction.atomic(), acting_as(user, "early warning evaluation"):
        existing = (
            EarlyWarning.objects.select_for_update().filter(region=region, as_of=as_of).first()
        )
        level = view["level"]
        if not ew.rises(level, existing.level if existing else None):
            return existing
        w = existing or EarlyWarning(region=region, as_of=as_of)
        w.level = level
        w.factors = view["factors"]
        w.reasons = view["reasons"]
        w.edition = view["edition"]
        w.notified_org = responsible_regulator(region)
        users = _recipients(region)
        w.notified_users = len(users)
        w.save()
        transaction.on_commit(lambda: _notify(w, users))
    return w


def acknowledge(user, w: EarlyWarning) -> EarlyWarning:
    """A regulator of the region signs for the notice (签收); once only (422 ``acknowledged``)."""
    require_write(user, w.region)
    if user is None:
        raise FieldErrors.one("acknowledged_by", _("签收需要登录用户"))
    with transaction.atomic(), acting_as(user, "early warning acknowledged"):
        w = EarlyWarning.objects.select_for_update().get(pk=w.pk)
        if w.acknowledged_at is not None:
            raise FieldErrors.one("acknowledged", _("该预警已签收"))
        w.acknowledged_by = user
        w.acknowledged_at = timezone.now()
        w.save()
    return w


# ------------------------------------------------------------------------------- emergencies


def _text(errors: dict, name: str, value: str, limit: int, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        errors[name] = [_("%(field)s：必填") % {"field": name}]
    elif len(value) > limit:
        errors[name] = [_("%(field)s：不得超过 %(n)s 个字符") % {"field": name, "n": limit}]
    return value


def report(
    user,
    region: Region,
    *,
    title: str,
    kind: str,
    severity: str,
    description: str,
    occurred_at: dt.datetime,
    warning: EarlyWarning | None = None,
) -> Emergency:
    """Report an emergency (报告) in the region; 422 naming each bad field."""
    require_write(user, region)
    errors: dict[str, list[str]] = {}
    title = _text(errors, "title", title, 200)
    description = _text(errors, "description", description, 4000)
    if kind not in Emergency.Kind.values:
        errors["kind"] = [_("kind：应为 %(v)s 之一") % {"v": ", ".join(Emergency.Kind.values)}]
    if severity not in Emergency.Severity.values:
        errors["severity"] = [
            _("severity：应为 %(v)s 之一") % {"v": ", ".join(Emergency.Severity.values)}
        ]
    if occurred_at.tzinfo is None:
        occurred_at = occurred_at.replace(tzinfo=dt.UTC)
    if not MIN_DATE <= occurred_at.date() <= MAX_DATE:
        errors["occurred_at"] = [_("occurred_at：日期超出范围")]
    elif occurred_at > timezone.now() + dt.timedelta(minutes=5):
        errors["occurred_at"] = [_("occurred_at：不能晚于现在")]
    if warning is not None and not warning.region.code.startswith(region.prefix):
        errors["warning"] = [_("warning：预警不属于该区划")]
    if errors:
        raise FieldErrors(errors)
    with transaction.atomic(), acting_as(user, "emergency reported"):
        return Emergency.objects.create(
            region=region,
            title=title,
            kind=kind,
            severity=severity,
            description=description,
            occurred_at=occurred_at,
            warning=warning,
            reported_by=user,
        )


def _locked(e: Emergency) -> Emergency:
    return Emergency.objects.select_for_update().select_related("region").get(pk=e.pk)


def _move(e: Emergency, to: str) -> None:
    if to not in TRANSITIONS[Emergency.Status(e.status)]:
        raise FieldErrors.one(
            "status",
            _("status：不能从 %(a)s 转为 %(b)s") % {"a": e.status, "b": to},
        )
    e.status = to


def add_action(user, e: Emergency, text: str, taken_at: dt.datetime | None = None):
    """Record a response action (处置); the first one moves the emergency to responding."""
    require_write(user, e.region)
    errors: dict[str, list[str]] = {}
    text = _text(errors, "text", text, 2000)
    taken_at = taken_at or timezone.now()
    if taken_at.tzinfo is None:
        taken_at = taken_at.replace(tzinfo=dt.UTC)
    if not MIN_DATE <= taken_at.date() <= MAX_DATE:
        errors["taken_at"] = [_("taken_at：日期超出范围")]
    elif taken_at < e.occurred_at:
        errors["taken_at"] = [_("taken_at：不能早于事件发生时间")]
    if errors:
        raise FieldErrors(errors)
    with transaction.atomic(), acting_as(user, "emergency response action"):
        e = _locked(e)
        if e.status == Emergency.Status.CLOSED:
            raise FieldErrors.one("status", _("status：事件已结案，不能再添加处置措施"))
        if e.status == Emergency.Status.REPORTED:
            _move(e, Emergency.Status.RESPONDING)
            e.save()
        action = EmergencyAction.objects.create(emergency=e, text=text, taken_at=taken_at, by=user)
    return action


def close(user, e: Emergency, closure: str) -> Emergency:
    """Close the emergency (结案) with its closure report; needs at least one response action."""
    require_write(user, e.region)
    errors: dict[str, list[str]] = {}
    closure = _text(errors, "closure", closure, 4000)
    if errors:
        raise FieldErrors(errors)
    with transaction.atomic(), acting_as(user, "emergency closed"):
        e = _locked(e)
        _move(e, Emergency.Status.CLOSED)
        if not e.actions.exists():
            raise FieldErrors.one("status", _("status：结案前须至少记录一项处置措施"))
        e.closure = closure
        e.closed_at = timezone.now()
        e.closed_by = user if user is not None and user.is_authenticated else None
        e.save()
    return e
