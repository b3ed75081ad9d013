"""Metrology credit (诚信计量) of organisations from their records, graded by the core.

Events: stored :class:`~.models.CreditEvent` rows (penalties, cheating devices…) plus events
derived from the registry and supervision records — verification failures of the
organisation's instruments, overdue filings, spot-check results, confirmed complaints and a
standing self-commitment (:class:`~.models.CreditMark`).

Regulators of the organisation's region mark and unmark self-commitments and demonstration units
(public list) and remove entities from the serious-violation list (严重违法失信名单); a business
(enterprise user) declares and withdraws its own self-commitment. Every such change is audited.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import transaction
from django.utils.translation import gettext as _

from jiliang.core.legal.credit import CreditAssessment, CreditEvent, assess, serious_listings
from jiliang.core.legal.rules import RuleBook
from jiliang.platform.accounts.roles import Role, role_of
from jiliang.platform.audit.context import acting_as
from jiliang.platform.registry.models import CalibrationEvent, Organisation
from jiliang.platform.registry.permissions import user_organisation_id

from . import models as s
from .access import supervisor_prefix
from .services import today

TEXT_MAX = 1000
REASON_MAX = 300


def _check_reason(reason: str, missing: str, errors: dict[str, str]) -> None:
    """A stated reason is required (``missing`` says so) and at most :data:`REASON_MAX`
    characters; a problem goes to ``errors["reason"]``."""
    if not reason:
        errors["reason"] = missing
    elif len(reason) > REASON_MAX:
        errors["reason"] = _("不得超过 %(n)s 个字符") % {"n": REASON_MAX}


class CreditError(ValueError):
    """Refused credit change; ``errors`` maps each offending field to its message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def events_for(org_codes: list[str]) -> dict[str, list[CreditEvent]]:
    """Credit events per organisation credit code, as the core's plain records."""
    out: dict[str, list[CreditEvent]] = defaultdict(list)
    for pk, code, kind, on, detail in s.CreditEvent.objects.filter(
        organisation__code__in=org_codes
    ).values_list("pk", "organisation__code", "kind", "on", "detail"):
        out[code].append(CreditEvent(f"E{pk}", code, kind, on, detail))
    for pk, code, on, cert in CalibrationEvent.objects.filter(
        instrument__owner__code__in=org_codes,
        kind=CalibrationEvent.Kind.VERIFICATION,
        conformity="fail",
        withdrawn=False,
    ).values_list("pk", "instrument__owner__code", "performed_on", "certificate_no"):
        out[code].append(CreditEvent(f"V{pk}", code, "verification_failure", on, cert))
    for pk, code, due, rep, lid in (
        s.Filing.objects.active()
        .filter(instrument__owner__code__in=org_codes, status="overdue")
        .values_list(
            "pk", "instrument__owner__code", "due_date", "replace_date", "instrument__lifetime_id"
        )
    ):
        day = (due or rep or today() - dt.timedelta(days=1)) + dt.timedelta(days=1)
        out[code].append(CreditEvent(f"O{pk}", code, "overdue_instrument", min(day, today()), lid))
    # only results of revealed draws: before the reveal who was drawn is the operator's secret
    # (draws.may_see_selections), and a credit event or grade change would give it away
    for pk, code, outcome, at in s.DrawResult.objects.filter(
        object_id__in=org_codes, outcome__in=["pass", "fail"], draw__stage="revealed"
    ).values_list("pk", "object_id", "outcome", "recorded_at"):
        kind = "spot_check_fail" if outcome == "fail" else "spot_check_pass"
        out[code].append(CreditEvent(f"D{pk}", code, kind, at.date(), f"draw result {pk}"))
    for pk, code, at in s.Complaint.objects.filter(
        instrument__owner__code__in=org_codes, status="confirmed"
    ).values_list("pk", "instrument__owner__code", "created_at"):
        out[code].append(CreditEvent(f"C{pk}", code, "complaint", at.date(), f"complaint {pk}"))
    # a self-commitment counts while it stands (the credit table does not decay it)
    for pk, code, since in s.CreditMark.objects.filter(
        organisation__code__in=org_codes,
        kind=s.CreditMark.Kind.SELF_COMMITMENT,
        withdrawn_on__isnull=True,
    ).values_list("pk", "organisation__code", "since"):
        out[code].append(CreditEvent(f"M{pk}", code, "self_commitment", since, f"commitment {pk}"))
    return out


def removals_for(org_codes: list[str]) -> dict[str, dt.date]:
    return {
        f"E{pk}": day
        for pk, day in s.CreditEvent.objects.filter(
            organisation__code__in=org_codes, removed_on__isnull=False
        ).values_list("pk", "removed_on")
    }


def assess_org(code: str, as_of: dt.date | None = None) -> CreditAssessment:
    events = events_for([code])
    return assess(code, events.get(code, []), as_of or today(), removals=removals_for([code]))


def grades_for(org_codes: list[str], as_of: dt.date | None = None) -> dict[str, str]:
    events = events_for(org_codes)
    removals = removals_for(org_codes)
    day = as_of or today()
    return {c: assess(c, events.get(c, []), day, removals=removals).grade for c in org_codes}


# ---------------------------------------------------------------- serious-violation list


def regulates(user, org: Organisation) -> bool:
    """Is ``user`` a regulator (or admin) of the organisation's region?"""
    prefix = supervisor_prefix(user)
    return prefix is not None and org.region.code.startswith(prefix)


def serious_kinds() -> set[str]:
    """Credit event kinds that list an entity on the serious-violation list (rule table)."""
    return {e["event"] for e in RuleBook.default().table("credit").entries if e.get("serious")}


def listings_for(code: str, as_of: dt.date | None = None) -> list[dict]:
    """Every serious-violation listing of an organisation, removed ones included (newest first),
    with listing, scheduled end, earliest removal and actual removal dates from the core."""
    day = as_of or today()
    events = events_for([code]).get(code, [])
    stored = {
        f"E{pk}": row
        for pk, *row in s.CreditEvent.objects.filter(organisation__code=code).values_list(
            "pk", "removal_reason", "detail"
        )
    }
    out = []
    for listing in serious_listings(events, removals=removals_for([code]), as_of=day):
        reason, detail = stored.get(listing.event_id, ("", ""))
        out.append(
            {
                "event_id": int(listing.event_id[1:]),
                "listed_on": listing.listed_on,
                "removal_due": listing.removal_due,
                "early_removal_from": listing.early_removal_from,
                "removed_on": listing.removed_on,
                "removal_reason": reason,
                "detail": detail,
                "active": listing.active(day),
            }
        )
    return sorted(out, key=lambda x: x["listed_on"], reverse=True)


def remove_listing(
    user, event: s.CreditEvent, removed_on: dt.date | None, reason: str
) -> s.CreditEvent:
    """Remove the organisation from the serious-violation list (信用修复移出); audited.

    Refused, naming the field: an event that does not list, a listing already removed or
    ended, a date in the future or before the earliest removal date of the credit rules, no
    reason. Raises :class:`PermissionError` unless the user regulates the organisation.
    """
    if not regulates(user, event.organisation):
        raise PermissionError("only a regulator of the organisation's region removes listings")
    errors: dict[str, str] = {}
    reason = (reason or "").strip()
    if event.kind not in serious_kinds():
        errors["event"] = _("该信用事件不列入严重违法失信名单")
    elif event.removed_on is not None:
        errors["removed_on"] = _("已于 %(day)s 移出名单") % {"day": event.removed_on.isoformat()}
    elif removed_on is None:
        errors["removed_on"] = _("请填写移出日期")
    elif removed_on > today():
        errors["removed_on"] = _("移出日期不得晚于今天")
    else:
        ev = CreditEvent(f"E{event.pk}", event.organisation.code, event.kind, event.on)
        (listing,) = serious_listings([ev], as_of=event.on)
        if removed_on < listing.early_removal_from:
            errors["removed_on"] = _("列入名单满规定期限后方可移出：最早 %(day)s") % {
                "day": listing.early_removal_from.isoformat()
            }
        elif removed_on >= listing.removal_due:
            errors["removed_on"] = _("列入期限已于 %(day)s 届满，无需移出") % {
                "day": listing.removal_due.isoformat()
            }
    _check_reason(reason, _("请填写移出原因"), errors)
    if errors:
        raise CreditError(errors)
    event.removed_on, event.removal_reason = removed_on, reason
    with transaction.atomic(), acting_as(user, reason):
        event.save(update_fields=["removed_on", "removal_reason"])
    return event


# ---------------------------------------------------------------- commitments, demonstration units


def standing_marks(kind: str | None = None, prefix: str | None = None):
    """Standing self-commitments and demonstration units (the public list)."""
    qs = s.CreditMark.objects.filter(withdrawn_on__isnull=True).select_related(
        "organisation__region"
    )
    if kind:
        qs = qs.filter(kind=kind)
    if prefix:
        qs = qs.filter(organisation__region__code__startswith=prefix)
    return qs.order_by("kind", "organisation__name", "pk")


def declares_for(user, org: Organisation) -> bool:
    """Is ``user`` an enterprise user of ``org`` (who may declare its own self-commitment)?"""
    return role_of(user) is Role.ENTERPRISE and user_organisation_id(user) == org.pk


def may_mark(user, org: Organisation, kind: str) -> bool:
    """May ``user`` mark or unmark ``org`` with ``kind``?

    Regulators of the region: any kind. The business itself: only its self-commitment — a
    commitment is its own promise, whereas naming a demonstration unit is the regulator's
    assessment.
    """
    if regulates(user, org):
        return True
    return kind == s.CreditMark.Kind.SELF_COMMITMENT and declares_for(user, org)


def mark(
    user,
    org: Organisation,
    *,
    kind: str,
    since: dt.date | None,
    text: str = "",
    reason: str = "",
) -> s.CreditMark:
    """List the organisation's self-commitment or name it a demonstration unit; audited.

    A business declaring its own commitment must give the text it accepts and date it today
    (no backdating: the commitment counts in the credit from that day).
    """
    if not may_mark(user, org, kind):
        raise PermissionError(
            "only a regulator of the organisation's region marks it; "
            "a business declares only its own self-commitment"
        )
    self_declared = not regulates(user, org)
    errors: dict[str, str] = {}
    text = (text or "").strip()
    if kind not in s.CreditMark.Kind.values:
        errors["kind"] = _("须为 %(kinds)s 之一") % {"kinds": ", ".join(s.CreditMark.Kind.values)}
    elif (
        standing := s.CreditMark.objects.filter(
            organisation=org, kind=kind, withdrawn_on__isnull=True
        ).first()
    ) is not None:
        errors["kind"] = _("自 %(day)s 起已列入") % {"day": standing.since.isoformat()}
    if since is None:
        errors["since"] = _("请填写起始日期")
    elif since > today():
        errors["since"] = _("起始日期不得晚于今天")
    elif self_declared and since != today():
        errors["since"] = _("自我承诺自声明之日起生效，起始日期须为今天")
    if self_declared and not text:
        errors["text"] = _("请填写承诺内容")
    elif len(text) > TEXT_MAX:
        errors["text"] = _("不得超过 %(n)s 个字符") % {"n": TEXT_MAX}
    if errors:
        raise CreditError(errors)
    with transaction.atomic(), acting_as(user, reason):
        return s.CreditMark.objects.create(organisation=org, kind=kind, since=since, text=text)


def unmark(user, m: s.CreditMark, on: dt.date | None, reason: str) -> s.CreditMark:
    """Withdraw a self-commitment or demonstration-unit mark from ``on``; audited.

    The business may withdraw its own self-commitment, whoever recorded it (it is its promise).
    """
    if not may_mark(user, m.organisation, m.kind):
        raise PermissionError(
            "only a regulator of the organisation's region unmarks it; "
            "a business withdraws only its own self-commitment"
        )
    errors: dict[str, str] = {}
    reason = (reason or "").strip()
    if m.withdrawn_on is not None:
        errors["on"] = _("已于 %(day)s 撤销") % {"day": m.withdrawn_on.isoformat()}
    elif on is None:
        errors["on"] = _("请填写撤销日期")
    elif on > today():
        errors["on"] = _("撤销日期不得晚于今天")
    elif on < m.since:
        errors["on"] = _("撤销日期不得早于起始日期 %(day)s") % {"day": m.since.isoformat()}
    _check_reason(reason, _("请填写撤销原因"), errors)
    if errors:
        raise CreditError(errors)
    m.withdrawn_on, m.withdrawal_reason = on, reason
    with transaction.atomic(), acting_as(user, reason):
        m.save(update_fields=["withdrawn_on", "withdrawal_reason"])
    return m
