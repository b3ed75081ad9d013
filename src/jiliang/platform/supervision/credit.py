"""Metrology credit (诚信计量) of organisations from their records, graded by the core.

Events: stored :class:`~.models.CreditEvent` rows (penalties, cheating devices, commitments…)
plus events derived from the registry and supervision records — verification failures of the
organisation's instruments, overdue filings, spot-check results and confirmed complaints.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from jiliang.core.legal.credit import CreditAssessment, CreditEvent, assess
from jiliang.platform.registry.models import CalibrationEvent

from . import models as s
from .services import today


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
    for pk, code, due, rep, lid in s.Filing.objects.filter(
        instrument__owner__code__in=org_codes, status="overdue"
    ).values_list(
        "pk", "instrument__owner__code", "due_date", "replace_date", "instrument__lifetime_id"
    ):
        day = (due or rep or today() - dt.timedelta(days=1)) + dt.timedelta(days=1)
        out[code].append(CreditEvent(f"O{pk}", code, "overdue_instrument", min(day, today()), lid))
    for pk, code, outcome, at in s.DrawResult.objects.filter(
        object_id__in=org_codes, outcome__in=["pass", "fail"]
    ).values_list("pk", "object_id", "outcome", "recorded_at"):
        kind = "spot_check_fail" if outcome == "fail" else "spot_check_pass"
        out[code].append(CreditEvent(f"D{pk}", code, kind, at.date(), f"draw result {pk}"))
    for pk, code, at in s.Complaint.objects.filter(
        instrument__owner__code__in=org_codes, status="confirmed"
    ).values_list("pk", "instrument__owner__code", "created_at"):
        out[code].append(CreditEvent(f"C{pk}", code, "complaint", at.date(), f"complaint {pk}"))
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
