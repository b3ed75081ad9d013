"""Supervision part of the demo region: filings, schedule, inspectors, records.

Called by :func:`jiliang.platform.demo.build_demo` after the registry is built::

    build_supervision_demo(orgs=None, instruments=None, as_of=None, seed=2035) -> dict[str, int]

Deterministic for a given ``seed``. Rows go in with ``bulk_create``; schedules come from
:func:`jiliang.core.legal.schedule`. The draw, budgets, certificates and notifications are the
demo logins' work, made through the platform's services: :mod:`jiliang.platform.demo_activity`.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.db import transaction

from jiliang.core.legal.credit import early_removal_months
from jiliang.core.legal.schedule import add_months
from jiliang.platform.accounts.models import Profile
from jiliang.platform.audit.context import acting_as
from jiliang.platform.audit.signals import bulk_create_audited
from jiliang.platform.demo_rules import demo_params, filing_use
from jiliang.platform.registry import models as m

from .inspections import record_inspection
from .models import Complaint, CreditEvent, CreditMark, Filing
from .services import apply_schedule, catalogue, institutions_for, snapshot, today
from .verifications import PortalError, store_verification

BATCH = 5_000


def _verification_state(instrument_ids: list[int]) -> dict[int, dict]:
    state: dict[int, dict] = {}
    rows = (
        m.CalibrationEvent.objects.filter(
            kind="verification", withdrawn=False, conformity__in=["pass", "fail"]
        )
        .order_by("performed_on", "id")
        .values_list(
            "instrument_id", "performed_on", "conformity", "certificate_no", "performed_by_id"
        )
    )
    wanted = set(instrument_ids)
    for iid, day, result, cert, by in rows.iterator(chunk_size=BATCH):
        if iid not in wanted:
            continue
        s = state.setdefault(iid, {"first_verified": day})
        s.update(last_verified=day, last_result=result, last_certificate=cert, verified_by_id=by)
    return state


@transaction.atomic
def build_supervision_demo(
    orgs=None, instruments=None, as_of=None, seed: int = 2035, audit: bool = True
) -> dict:
    """File the demo's compulsory instruments and add supervision records; returns counts.

    ``audit`` writes an audit entry per bulk-created row (as the registry demo does).
    """
    as_of = as_of or dt.date(2026, 11, 1)
    rng = np.random.default_rng(seed)
    cat = catalogue()
    qs = instruments if instruments is not None else m.Instrument.objects.all()
    insts = [
        i
        for i in qs.filter(compulsory=True, filing__isnull=True).order_by("pk")
        if i.category in cat
    ]
    state = _verification_state([i.pk for i in insts])
    filings = []
    for inst in insts:
        # the parameters the registry demo wrote this instrument's verification history for
        params = demo_params(inst.category, inst.lifetime_id)
        use = filing_use(inst.use)
        f = Filing(instrument=inst, item_code=inst.category, use=use, params=params)
        for k, v in state.get(inst.pk, {}).items():
            setattr(f, k, v)
        f.sync_param_columns()
        filings.append(apply_schedule(f, as_of))
    bulk_create_audited(Filing, filings, audit)
    counts = {"filings": len(filings)}

    # authorisation scopes by catalogue item (the registry demo's scopes carry no item), so
    # capability coverage has something to count: each institute covers about half the items
    from jiliang.platform.demo import CATEGORIES
    from jiliang.platform.registry.quantities import si_factor_and_offset

    by_slug = {c.slug: c for c in CATEGORIES}
    codes = cat.verification_codes()
    institutes = (orgs if orgs is not None else m.Organisation.objects.all()).filter(
        kind__in=["statutory", "authorised"]
    )
    scopes = []
    for org in institutes.order_by("pk"):
        for code in codes:
            if rng.random() >= 0.5:
                continue
            c = by_slug.get(code)
            quantity, unit, low, high = (
                (c.quantity, c.unit, c.low, c.high) if c else ("mass", r"\kilogram", 0.0, 1.0)
            )
            factor, offset, si_unit = si_factor_and_offset(unit)
            scopes.append(
                m.Scope(
                    organisation=org,
                    kind="statutory" if org.kind == "statutory" else "authorisation",
                    quantity=quantity,
                    instrument_category=code,
                    range_low=low,
                    range_high=high,
                    unit=unit,
                    si_unit=si_unit,
                    range_low_si=low * factor + offset,
                    range_high_si=high * factor + offset,
                    reference=f"授权-{org.pk}-{code}",
                    valid_from=as_of - dt.timedelta(days=700),
                    valid_to=as_of + dt.timedelta(days=1100),
                )
            )
    bulk_create_audited(m.Scope, scopes, audit)
    counts["authorisation_scopes"] = len(scopes)
    counts.update(_assign_and_verify(filings, as_of, rng))

    # inspector pool: three enforcement officers per regulator / statutory institute
    bodies = (orgs if orgs is not None else m.Organisation.objects.all()).filter(
        kind__in=["regulator", "statutory"]
    )
    people = [
        m.Person(name=f"执法人员 {b.pk}-{j}", organisation=b, title="执法检查人员")
        for b in bodies
        for j in range(3)
    ]
    bulk_create_audited(m.Person, people, audit)
    counts["inspectors"] = len(people)

    overdue = [f for f in filings if f.status == "overdue"][:20]
    complaints = [
        Complaint(
            instrument=f.instrument,
            category="inaccurate",
            text="示值疑似偏差，请核查",
            client_hash=f"demo-{f.instrument_id}",
            status="confirmed" if k % 3 == 0 else "open",
        )
        for k, f in enumerate(overdue)
    ]
    bulk_create_audited(Complaint, complaints, audit)
    counts["complaints"] = len(complaints)

    enterprises = list(
        (orgs if orgs is not None else m.Organisation.objects.all())
        .filter(kind="enterprise")
        .order_by("pk")[:6]
    )
    events = [
        CreditEvent(organisation=o, kind=k, on=as_of - dt.timedelta(days=90 * (j + 1)))
        for j, (o, k) in enumerate(
            zip(enterprises[1:3], ["penalty", "cheating_device"], strict=False)
        )
    ]
    if len(enterprises) > 3:  # a listing removed after the waiting time (信用修复)
        # listed the credit table's waiting time (+105 days) before the removal, a month ago
        removed_on = as_of - dt.timedelta(days=30)
        listed_on = add_months(removed_on, -early_removal_months(as_of=as_of))
        events.append(
            CreditEvent(
                organisation=enterprises[3],
                kind="cheating_device",
                on=listed_on - dt.timedelta(days=105),
                removed_on=removed_on,
                removal_reason="整改到位，准予信用修复",
            )
        )
    bulk_create_audited(CreditEvent, events, audit)
    counts["credit_events"] = len(events)
    marks = [
        CreditMark(
            organisation=o,
            kind="self_commitment",
            since=as_of - dt.timedelta(days=200 + 30 * j),
            text="诚信计量，明码标价，器具按期检定",
        )
        for j, o in enumerate(enterprises[:1] + enterprises[4:])
    ]
    marks += [
        CreditMark(organisation=o, kind="demonstration", since=as_of - dt.timedelta(days=120))
        for o in enterprises[:1]
    ]
    standing = set(
        CreditMark.objects.filter(withdrawn_on__isnull=True).values_list("organisation_id", "kind")
    )
    marks = [k for k in marks if (k.organisation.pk, k.kind) not in standing]  # re-run: no twins
    bulk_create_audited(CreditMark, marks, audit)
    counts["credit_marks"] = len(marks)

    if enterprises:
        net = [float(500 + d) for d in np.round(rng.normal(1.0, 2.0, 50), 1)]
        record_inspection(
            None,
            enterprises[0],
            product="大米 500 g",
            nominal=500.0,
            kind="mass",
            lot_size=100,
            units=net,
            inspected_on=as_of,
        )
        counts["inspections"] = 1

    # the double-random draw is the demo regulator's work: jiliang.platform.demo_activity
    snapshot(as_of)
    return counts


def _assign_and_verify(filings: list[Filing], as_of: dt.date, rng, n: int = 40) -> dict:
    """Assign up to ``n`` filings to an authorised institution and record a result for a few
    of them through the institution portal's service (seal numbers, one failure)."""
    assigned = []
    # work to do first (overdue, due soon), so the institution portal has a worklist; the demo
    # ``lab`` login's institution takes the filings it is authorised for, so it sees them
    order = sorted(
        rng.permutation(len(filings))[: 10 * n].tolist(),
        key=lambda k: filings[k].status not in ("overdue", "due_soon"),
    )
    demo_lab = (
        Profile.objects.filter(user__username="lab")
        .values_list("organisation_id", flat=True)
        .first()
    )
    for k in order:
        f = filings[int(k)]
        candidates = institutions_for(f, as_of)
        if candidates:
            own = [c for c in candidates if c.pk == demo_lab]
            f.assigned_to = own[0] if own else candidates[int(rng.integers(len(candidates)))]
            f.assigned_on = as_of - dt.timedelta(days=60)
            assigned.append(f)
        if len(assigned) >= n:
            break
    with acting_as(None, "demo: assignment of verifications"):
        for f in assigned:
            f.save(update_fields=["assigned_to", "assigned_on"])
    day = min(as_of, today()) - dt.timedelta(days=3)
    recorded = 0
    work = [f for f in assigned if f.status in ("overdue", "due_soon")]
    # the demo ``lab`` login keeps one open task on its worklist, whatever the random draws
    keep = next((f for f in work if f.assigned_to_id == demo_lab), None)
    for j, f in enumerate(f for f in work if f is not keep):
        if recorded >= 8:
            break
        passed = j % 4 != 3
        no = f"JD-DEMO-{f.pk}"
        try:
            store_verification(
                f,
                performed_on=day,
                result="pass" if passed else "fail",
                certificate_no=no if passed else "",
                notice_no="" if passed else f"BH-DEMO-{f.pk}",
                seal_no=f"FY-{f.pk:06d}" if passed else "",
                reason="demo",
            )
        except PortalError:  # e.g. a verification already dated after ``day``
            continue
        recorded += 1
    return {"assigned": len(assigned), "verifications_recorded": recorded}
