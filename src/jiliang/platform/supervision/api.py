"""REST API of supervision (mounted at ``/api/supervision``).

Reads are scoped like the registry (out-of-scope → 404); writes are 403 out of scope and 401
anonymous (NinjaAPI auth); bad input is 422 naming the field.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.db import transaction
from django.shortcuts import get_object_or_404
from ninja import File, Form, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile
from pydantic import Field, FiniteFloat

from jiliang.core.legal.draw import DrawRefused
from jiliang.platform.audit.context import acting_as
from jiliang.platform.common.errors import FieldErrors
from jiliang.platform.common.requests import change_reason, current_user
from jiliang.platform.common.uploads import check_upload
from jiliang.platform.params import Limit, Offset, QueryDate, SaneDate
from jiliang.platform.registry.models import Instrument, Organisation, Region
from jiliang.platform.registry.permissions import can_write, readable

from . import credit as credit_svc
from . import draw_log
from . import draws as draw_svc
from . import verifications as portal_svc
from .access import reads_region, supervisor_prefix
from .credit import assess_org
from .imports import ImportFileError, import_filings
from .inspections import InspectionError, record_inspection
from .models import (
    CreditEvent,
    CreditMark,
    Draw,
    Filing,
    Notification,
    NotificationSettings,
    PrepackagedInspection,
)
from .notices import settings_of
from .public import public_status
from .services import check_filing, clean_params, coverage, risk_list, sync_filing, withdraw

router = Router(tags=["supervision"])


def _nan(x: float) -> float | None:
    return None if isinstance(x, float) and math.isnan(x) else x


# ------------------------------------------------------------------------- filings


class FilingIn(Schema):
    lifetime_id: str = Field(..., description="器具识别编码 of a registry instrument")
    item_code: str | None = Field(None, description="catalogue item (default: instrument category)")
    use: str | None = Field(None, description="Metrology Law art. 9 use (default: instrument use)")
    params: dict[str, Any] = Field(default_factory=dict, description="dn_mm, g_size, type")


class FilingOut(Schema):
    id: int
    lifetime_id: str
    uuid: str
    name: str
    owner: str
    region: str
    item_code: str
    use: str
    params: dict
    first_verified: dt.date | None
    last_verified: dt.date | None
    last_result: str
    status: str
    due_date: dt.date | None
    replace_date: dt.date | None
    status_reason: str
    assigned_to: str | None = Field(None, description="credit code of the assigned institution")
    assigned_on: dt.date | None = None
    withdrawn_on: dt.date | None = Field(None, description="撤销备案日期; null while in force")
    withdrawal_reason: str = ""


def filing_out(f: Filing) -> dict:
    i = f.instrument
    return {
        "id": f.pk,
        "lifetime_id": i.lifetime_id,
        "uuid": str(i.uuid),
        "name": i.name,
        "owner": i.owner.code,
        "region": i.region.code,
        "item_code": f.item_code,
        "use": f.use,
        "params": f.params,
        "first_verified": f.first_verified,
        "last_verified": f.last_verified,
        "last_result": f.last_result,
        "status": f.status,
        "due_date": f.due_date,
        "replace_date": f.replace_date,
        "status_reason": f.status_reason,
        "assigned_to": f.assigned_to.code if f.assigned_to_id else None,
        "assigned_on": f.assigned_on,
        "withdrawn_on": f.withdrawn_on,
        "withdrawal_reason": f.withdrawal_reason,
    }


class Page(Schema):
    count: int
    items: list[FilingOut]


def _filings(request):
    return readable(current_user(request), Filing).select_related(
        "instrument__owner", "instrument__region", "assigned_to"
    )


@router.get("/filings", response=Page)
def list_filings(
    request,
    status: str | None = None,
    item_code: str | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
):
    qs = _filings(request)
    if status:
        qs = qs.filter(status=status)
    if item_code:
        qs = qs.filter(item_code=item_code)
    limit = max(1, min(limit, 500))
    return {"count": qs.count(), "items": [filing_out(f) for f in qs[offset : offset + limit]]}


@router.get("/filings/{int:pk}", response=FilingOut)
def get_filing(request, pk: int):
    return filing_out(get_object_or_404(_filings(request), pk=pk))


def create_filing(user, data: FilingIn, reason: str = "") -> Filing:
    inst = Instrument.objects.filter(lifetime_id=data.lifetime_id).first()
    if inst is None or not readable(user, Instrument).filter(pk=inst.pk).exists():
        raise FieldErrors({"lifetime_id": [f"no instrument {data.lifetime_id!r}"]})
    params, perr = clean_params(data.params)
    f = Filing(
        instrument=inst,
        item_code=data.item_code or inst.category,
        use=data.use or inst.use,
        params=params,
    )
    if not can_write(user, f):
        raise HttpError(403, "you may not file this instrument")
    if Filing.objects.filter(instrument=inst).exists():
        raise HttpError(409, f"instrument {inst.lifetime_id} is already filed")
    errors = perr or check_filing(f.item_code, f.use, params)
    if errors:
        raise FieldErrors({k: [v] for k, v in errors.items()})
    with transaction.atomic(), acting_as(user, reason):
        return sync_filing(f)


@router.post("/filings", response={201: FilingOut})
def post_filing(request, payload: FilingIn):
    return Status(
        201, filing_out(create_filing(current_user(request), payload, change_reason(request)))
    )


class WithdrawalIn(Schema):
    reason: str = Field(..., description="why the instrument leaves compulsory verification")


@router.post("/filings/{int:pk}/withdrawal", response=FilingOut)
def withdraw_filing(request, pk: int, payload: WithdrawalIn):
    """Withdraw a filing (撤销备案) with a reason the regulator sees; filings are never deleted.

    The owner or the regulator of the instrument's region may withdraw; the filing then counts
    in no coverage, schedule, draw or credit figure but stays listed with its reason.
    """
    user = current_user(request)
    f = get_object_or_404(_filings(request), pk=pk)
    try:
        withdraw(user, f, payload.reason)
    except PermissionError as exc:
        raise HttpError(403, str(exc)) from None
    except ValueError as exc:
        raise FieldErrors({"reason": [str(exc)]}) from None
    return filing_out(f)


@router.post("/filings/import", response={200: dict, 422: dict})
def import_file(request, file: File[UploadedFile], accept_partial: Form[bool] = False):
    """Bulk import (CSV/XLSX); 422 with the row report if any row is bad and nothing imported."""
    user = current_user(request)
    check_upload(file)
    try:
        report = import_filings(user, file.name or "", file.read(), accept_partial)
    except ImportFileError as exc:
        raise FieldErrors({"file": [str(exc)]}) from None
    return Status(200 if report.committed else 422, report.as_dict())


# ------------------------------------------------------------------------- institution portal


@router.get("/assigned", response=Page)
def list_assigned(request, state: str | None = None, limit: Limit = 50, offset: Offset = 0):
    """Verifications assigned to my institution (regulators: in my region); state due, overdue
    or done."""
    user = current_user(request)
    if portal_svc.institution_of(user) is None and supervisor_prefix(user) is None:
        raise HttpError(403, "for the staff of verification institutions and regulators")
    try:
        qs = portal_svc.assigned_filings(user, state)
    except portal_svc.PortalError as exc:
        raise FieldErrors({k: [v] for k, v in exc.errors.items()}) from None
    limit = max(1, min(limit, 500))
    return {"count": qs.count(), "items": [filing_out(f) for f in qs[offset : offset + limit]]}


class AssignIn(Schema):
    institution: str | None = Field(
        ..., description="credit code of the institution; null to unassign"
    )


@router.post("/filings/{int:pk}/assignment", response=FilingOut)
def assign_filing(request, pk: int, payload: AssignIn):
    """Assign the filing's verification to an institution authorised for it (regulators)."""
    user = current_user(request)
    f = get_object_or_404(_filings(request), pk=pk)
    org = None
    if payload.institution:
        org = Organisation.objects.filter(code=payload.institution).first()
        if org is None:
            raise FieldErrors({"institution": [f"unknown organisation {payload.institution!r}"]})
    try:
        portal_svc.assign(user, f, org, change_reason(request))
    except PermissionError as exc:
        raise HttpError(403, str(exc)) from None
    except portal_svc.PortalError as exc:
        raise FieldErrors({k: [v] for k, v in exc.errors.items()}) from None
    return filing_out(f)


class VerificationIn(Schema):
    performed_on: SaneDate
    result: str = Field(..., description="pass or fail")
    certificate_no: str = Field("", description="检定证书编号 (pass)")
    notice_no: str = Field("", description="不合格通知书编号 (fail)")
    seal_no: str = Field("", description="封印/标志号 (pass)")


def verification_out(r) -> dict:
    e = r.event
    return {
        "id": r.pk,
        "performed_on": e.performed_on,
        "result": e.conformity,
        "certificate_no": e.certificate_no if e.conformity == "pass" else None,
        "notice_no": e.certificate_no if e.conformity == "fail" else None,
        "seal_no": r.seal_no or None,
        "institution": e.performed_by.code,
        "valid_until": e.due_on,
    }


@router.get("/filings/{int:pk}/verifications")
def list_verifications(request, pk: int):
    f = get_object_or_404(_filings(request), pk=pk)
    return [verification_out(r) for r in portal_svc.records_of(f)]


@router.post("/filings/{int:pk}/verifications", response={201: dict})
def post_verification(request, pk: int, payload: VerificationIn):
    """Record the result of the assigned verification (assigned institution or regulator)."""
    user = current_user(request)
    f = get_object_or_404(_filings(request), pk=pk)
    try:
        r = portal_svc.record_verification(
            user,
            f,
            performed_on=payload.performed_on,
            result=payload.result,
            certificate_no=payload.certificate_no,
            notice_no=payload.notice_no,
            seal_no=payload.seal_no,
            reason=change_reason(request),
        )
    except PermissionError as exc:
        raise HttpError(403, str(exc)) from None
    except portal_svc.PortalError as exc:
        raise FieldErrors({k: [v] for k, v in exc.errors.items()}) from None
    return Status(201, {**verification_out(r), "filing": filing_out(f)})


# ------------------------------------------------------------------------- notifications


class NotificationOut(Schema):
    id: int
    kind: str
    message: str = Field(..., description="in the request's language (Accept-Language)")
    message_key: str
    params: dict
    reference_date: dt.date
    created_at: dt.datetime
    read: bool
    filing: int


@router.get("/notifications", response=list[NotificationOut])
def notifications(request, unread: bool = False):
    user = current_user(request)
    if not user.is_authenticated:
        return []
    qs = Notification.objects.filter(recipient=user)
    if unread:
        qs = qs.filter(read_at__isnull=True)
    return [
        {
            "id": n.pk,
            "kind": n.kind,
            "message": n.text,
            "message_key": n.message_key,
            "params": n.params,
            "reference_date": n.reference_date,
            "created_at": n.created_at,
            "read": n.read_at is not None,
            "filing": n.filing_id,
        }
        for n in qs[:200]
    ]


@router.post("/notifications/{int:pk}/read", response={204: None})
def mark_read(request, pk: int):
    from django.utils import timezone

    n = get_object_or_404(Notification, pk=pk, recipient=current_user(request))
    Notification.objects.filter(pk=n.pk, read_at__isnull=True).update(read_at=timezone.now())
    return Status(204, None)


class NotificationSettingsIn(Schema):
    language: str = Field(..., description="a code of the platform's languages: zh-hans, en")
    email: bool = True


@router.get("/notification-settings")
def get_notification_settings(request):
    user = current_user(request)
    if not user.is_authenticated:
        raise HttpError(401, "log in to read your settings")
    prefs = settings_of(user)
    return {"language": prefs.language, "email": prefs.email}


@router.put("/notification-settings")
def put_notification_settings(request, payload: NotificationSettingsIn):
    from django.conf import settings

    user = current_user(request)
    codes = [code for code, _name in settings.LANGUAGES]
    if payload.language not in codes:
        raise FieldErrors({"language": [f"must be one of {codes}"]})
    with transaction.atomic(), acting_as(user, change_reason(request)):
        NotificationSettings.objects.update_or_create(
            user=user, defaults={"language": payload.language, "email": payload.email}
        )
    return {"language": payload.language, "email": payload.email}


# ------------------------------------------------------------------------- indicators


def _region_prefix(request, region: str | None) -> str:
    prefix = reads_region(current_user(request))
    if prefix is None:
        raise HttpError(403, "coverage indicators are for regulators and inspectors")
    if region:
        r = Region.objects.filter(code=region).first()
        if r is None:
            raise FieldErrors({"region": [f"unknown region {region!r}"]})
        if not r.prefix.startswith(prefix) and not prefix.startswith(r.prefix):
            raise HttpError(404, "region not found")
        return r.prefix if r.prefix.startswith(prefix) else prefix
    return prefix


def _shares(groups) -> list[dict]:
    return [
        {"key": g.key, "total": g.total, "on_time": g.on_time, "share": _nan(g.share)}
        for g in groups
    ]


@router.get("/coverage")
def get_coverage(request, region: str | None = None, as_of: QueryDate | None = None):
    """Verified-on-time share by region, item, use and owner; capability coverage by region."""
    report = coverage(_region_prefix(request, region), as_of)
    return {
        "as_of": report.as_of,
        "total": report.total,
        "on_time": report.on_time,
        "share": _nan(report.share),
        "by": {name: _shares(groups) for name, groups in report.groups.items()},
        "capability": [
            {"region": c.region, "share": _nan(c.share), "covered": c.covered, "missing": c.missing}
            for c in report.capability
        ],
    }


@router.get("/risk")
def get_risk(request, region: str | None = None, limit: Limit = 50):
    rows = risk_list(_region_prefix(request, region), limit=max(1, min(limit, 500)))
    return [
        {
            "filing": r["filing"].pk,
            "lifetime_id": r["filing"].instrument.lifetime_id,
            "owner": r["filing"].instrument.owner.code,
            "score": r["score"],
            "level": r["level"],
            "reasons": r["reasons"],
        }
        for r in rows
    ]


@router.get("/credit/{code}")
def get_credit(request, code: str):
    org = get_object_or_404(Organisation, code=code)
    user = current_user(request)
    prefix = reads_region(user)
    own = getattr(getattr(user, "profile", None), "organisation_id", None) == org.pk
    if not own and (prefix is None or not org.region.code.startswith(prefix)):
        raise HttpError(404, "not found")
    a = assess_org(code)
    return {
        "organisation": code,
        "as_of": a.as_of,
        "score": a.score,
        "grade": a.grade,
        "edition": a.edition,
        "explanation": a.explain(),
        "listings": credit_svc.listings_for(code),
        "marks": [mark_out(m) for m in CreditMark.objects.filter(organisation=org)],
    }


class CreditEventIn(Schema):
    organisation: str
    kind: str
    on: SaneDate
    detail: str = ""


@router.post("/credit-events", response={201: dict})
def post_credit_event(request, payload: CreditEventIn):
    from jiliang.core.legal.rules import RuleBook

    user = current_user(request)
    org = Organisation.objects.filter(code=payload.organisation).first()
    if org is None:
        raise FieldErrors({"organisation": [f"unknown organisation {payload.organisation!r}"]})
    prefix = supervisor_prefix(user)
    if prefix is None or not org.region.code.startswith(prefix):
        raise HttpError(403, "only the region's regulator records credit events")
    kinds = [e["event"] for e in RuleBook.default().table("credit").entries]
    if payload.kind not in kinds:
        raise FieldErrors({"kind": [f"must be one of {kinds}"]})
    if payload.kind == CreditMark.Kind.SELF_COMMITMENT:
        # one source for commitments: the public, withdrawable list (else counted twice)
        raise FieldErrors({"kind": ["record a self-commitment with POST /commitments"]})
    with transaction.atomic(), acting_as(user, change_reason(request)):
        ev = CreditEvent.objects.create(
            organisation=org, kind=payload.kind, on=payload.on, detail=payload.detail
        )
    return Status(201, {"id": ev.pk})


class RemovalIn(Schema):
    removed_on: SaneDate
    reason: str


def _credit_errors(exc: credit_svc.CreditError) -> FieldErrors:
    return FieldErrors({k: [v] for k, v in exc.errors.items()})


@router.post("/credit-events/{int:pk}/removal")
def remove_listing(request, pk: int, payload: RemovalIn):
    """Remove the entity from the serious-violation list (region's regulator; audited)."""
    user = current_user(request)
    event = get_object_or_404(
        readable(user, CreditEvent).select_related("organisation__region"), pk=pk
    )
    try:
        credit_svc.remove_listing(user, event, payload.removed_on, payload.reason)
    except PermissionError as exc:
        raise HttpError(403, str(exc)) from None
    except credit_svc.CreditError as exc:
        raise _credit_errors(exc) from None
    return {"id": event.pk, "removed_on": event.removed_on, "removal_reason": event.removal_reason}


def mark_out(m: CreditMark) -> dict:
    return {
        "id": m.pk,
        "organisation": m.organisation.code,
        "name": m.organisation.name,
        "region": m.organisation.region.code,
        "kind": m.kind,
        "since": m.since,
        "text": m.text,
        "withdrawn_on": m.withdrawn_on,
    }


@router.get("/commitments")
def list_commitments(request, kind: str | None = None, region: str | None = None):
    """Public list of standing self-commitments and demonstration units."""
    if kind and kind not in CreditMark.Kind.values:
        raise FieldErrors({"kind": [f"must be one of {CreditMark.Kind.values}"]})
    prefix = None
    if region:
        r = Region.objects.filter(code=region).first()
        if r is None:
            raise FieldErrors({"region": [f"unknown region {region!r}"]})
        prefix = r.prefix
    return [mark_out(m) for m in credit_svc.standing_marks(kind, prefix)[:2000]]


class MarkIn(Schema):
    organisation: str
    kind: str = Field(..., description="self_commitment or demonstration")
    since: SaneDate
    text: str = ""


@router.post("/commitments", response={201: dict})
def post_commitment(request, payload: MarkIn):
    user = current_user(request)
    org = Organisation.objects.filter(code=payload.organisation).select_related("region").first()
    if org is None:
        raise FieldErrors({"organisation": [f"unknown organisation {payload.organisation!r}"]})
    try:
        m = credit_svc.mark(
            user,
            org,
            kind=payload.kind,
            since=payload.since,
            text=payload.text,
            reason=change_reason(request),
        )
    except PermissionError as exc:
        raise HttpError(403, str(exc)) from None
    except credit_svc.CreditError as exc:
        raise _credit_errors(exc) from None
    return Status(201, mark_out(m))


class WithdrawIn(Schema):
    on: SaneDate
    reason: str


@router.post("/commitments/{int:pk}/withdraw")
def withdraw_commitment(request, pk: int, payload: WithdrawIn):
    m = get_object_or_404(CreditMark.objects.select_related("organisation__region"), pk=pk)
    try:
        credit_svc.unmark(current_user(request), m, payload.on, payload.reason)
    except PermissionError as exc:
        raise HttpError(403, str(exc)) from None
    except credit_svc.CreditError as exc:
        raise _credit_errors(exc) from None
    return mark_out(m)


# ------------------------------------------------------------------------- public


@router.get("/public/{uuid}")
def get_public(request, uuid: str):
    """Public scan result of an instrument (no private data)."""
    return public_status(uuid)


# ------------------------------------------------------------------------- draws


class DrawItemIn(Schema):
    id: str
    ratio: FiniteFloat = 0.0


class DrawIn(Schema):
    title: str
    region: str
    items: list[DrawItemIn]
    inspectors_per_object: int = 2
    weight_by_risk: bool = False
    conflicts: dict[str, list[str]] = Field(default_factory=dict)


def _writable_draw(request, pk: int) -> Draw:
    user = current_user(request)
    d = get_object_or_404(Draw.objects.select_related("region"), pk=pk)
    if not draw_svc.may_operate(user, d):
        raise HttpError(403, "only the regulator who committed this draw runs it")
    return d


def _draw_summary(d: Draw) -> dict:
    return {
        "id": d.pk,
        "title": d.title,
        "region": d.region.code,
        "stage": d.stage,
        "commitment": d.commitment,
        "pools_sha256": d.pools_sha256,
        "created_at": d.created_at,
        "publish_by": d.publish_by,
        "commitment_leaf": d.commitment_leaf,
        "reveal_leaf": d.reveal_leaf,
    }


@router.get("/draws")
def list_draws(request):
    return [_draw_summary(d) for d in Draw.objects.select_related("region")[:200]]


@router.get("/draws/{int:pk}")
def get_draw(request, pk: int):
    """The published draw record (``jiliang draw verify`` input once revealed) with its
    transparency-log leaves and inclusion proofs under ``ledger``, and under ``publication``
    whether every inspection result was public by the deadline."""
    d = get_object_or_404(Draw.objects.select_related("region"), pk=pk)
    # before the reveal only the draw's operator sees the selections (draws.may_see_selections)
    return {
        **draw_svc.published(d, current_user(request)),
        "ledger": draw_log.leaves(d),
        "publication": draw_svc.publication(d),
    }


@router.post("/draws", response={201: dict})
def post_draw(request, payload: DrawIn):
    user = current_user(request)
    region = Region.objects.filter(code=payload.region).first()
    if region is None:
        raise FieldErrors({"region": [f"unknown region {payload.region!r}"]})
    prefix = supervisor_prefix(user)
    if prefix is None or not region.code.startswith(prefix):
        raise HttpError(403, "only the region's regulator commits a draw")
    if not payload.title.strip():
        raise FieldErrors({"title": ["required"]})
    try:
        pools = draw_svc.build_pools(
            region,
            [i.dict() for i in payload.items],
            payload.inspectors_per_object,
            payload.weight_by_risk,
            payload.conflicts,
        )
    except draw_svc.DrawError as exc:
        raise FieldErrors({exc.field: [str(exc)]}) from None
    with acting_as(user, change_reason(request)):
        d = draw_svc.commit(user, payload.title.strip(), region, pools)
    return Status(201, _draw_summary(d))


@router.post("/draws/{int:pk}/run")
def run_draw(request, pk: int):
    d = _writable_draw(request, pk)
    try:
        with acting_as(current_user(request), change_reason(request)):
            draw_svc.run(d)
    except DrawRefused as exc:
        raise HttpError(409, str(exc)) from None
    except draw_svc.DrawError as exc:
        raise HttpError(409, str(exc)) from None
    return draw_svc.published(d, operator=True)


@router.post("/draws/{int:pk}/reveal")
def reveal_draw(request, pk: int):
    d = _writable_draw(request, pk)
    try:
        with acting_as(current_user(request), change_reason(request)):
            draw_svc.reveal(d)
    except draw_svc.DrawError as exc:
        raise HttpError(409, str(exc)) from None
    return draw_svc.published(d, operator=True)


class ResultIn(Schema):
    item_id: str
    object_id: str
    outcome: str
    notes: str = ""


@router.post("/draws/{int:pk}/results", response={201: dict})
def post_result(request, pk: int, payload: ResultIn):
    d = _writable_draw(request, pk)
    try:
        r = draw_svc.record_result(
            current_user(request),
            d,
            payload.item_id,
            payload.object_id,
            payload.outcome,
            payload.notes,
            change_reason(request),
        )
    except draw_svc.DrawError as exc:
        raise FieldErrors({exc.field: [str(exc)]}) from None
    return Status(201, {"id": r.pk})


# ------------------------------------------------------------------------- prepackaged


class InspectionIn(Schema):
    organisation: str
    product: str
    nominal: FiniteFloat
    kind: str
    lot_size: int = Field(..., le=10**9)
    units: list[FiniteFloat] = Field(..., max_length=100_000)
    inspected_on: SaneDate
    gross: bool = False
    tare: FiniteFloat | None = None
    edition: str | None = None


def inspection_out(p: PrepackagedInspection) -> dict:
    return {
        "id": p.pk,
        "organisation": p.organisation.code,
        "product": p.product,
        "nominal": p.nominal,
        "kind": p.kind,
        "lot_size": p.lot_size,
        "sample_n": p.sample_n,
        "t": p.t,
        "mean": p.mean,
        "s": p.s,
        "mean_limit": p.mean_limit,
        "n_short_t": p.n_short_t,
        "n_short_2t": p.n_short_2t,
        "passed": p.passed,
        "reasons": p.reasons,
        "edition": p.edition,
        "inspected_on": p.inspected_on,
    }


@router.post("/prepackaged", response={201: dict})
def post_inspection(request, payload: InspectionIn):
    from jiliang.platform.accounts.roles import Role

    user = current_user(request)
    org = Organisation.objects.filter(code=payload.organisation).first()
    if org is None:
        raise FieldErrors({"organisation": [f"unknown organisation {payload.organisation!r}"]})
    prefix = supervisor_prefix(user, (Role.REGULATOR, Role.INSPECTOR))
    if prefix is None or not org.region.code.startswith(prefix):
        raise HttpError(403, "only the region's regulators and inspectors record inspections")
    try:
        p = record_inspection(
            user,
            org,
            product=payload.product,
            nominal=payload.nominal,
            kind=payload.kind,
            lot_size=payload.lot_size,
            units=payload.units,
            inspected_on=payload.inspected_on,
            gross=payload.gross,
            tare=payload.tare,
            edition=payload.edition,
        )
    except InspectionError as exc:
        raise FieldErrors({k: [v] for k, v in exc.errors.items()}) from None
    return Status(201, inspection_out(p))


@router.get("/prepackaged/{int:pk}")
def get_inspection(request, pk: int):
    qs = readable(current_user(request), PrepackagedInspection).select_related("organisation")
    return inspection_out(get_object_or_404(qs, pk=pk))
