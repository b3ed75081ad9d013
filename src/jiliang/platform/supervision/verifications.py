"""Institution portal (检定机构): assignment of compulsory verifications and their results.

A filing's verification is assigned (指定) by a regulator of its region to an institution whose
valid authorisation scope covers the item and the instrument's area
(:func:`.services.institutions_for`). Staff of that institution — or a regulator of the region —
record the result: date, pass/fail, certificate number (合格) or notice-of-failure number
(不合格通知书), seal/label number (封印/标志号). The result is stored as the registry's
verification event (so the filing's schedule, the certificate register and the credit record —
a failure counts as ``verification_failure`` — all follow from one record) plus a
:class:`~.models.VerificationRecord` with the seal number.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from jiliang.platform.accounts.roles import Role, role_of
from jiliang.platform.audit.context import acting_as
from jiliang.platform.registry.authority import Denied, check_facts
from jiliang.platform.registry.models import CalibrationEvent, Organisation, Person
from jiliang.platform.registry.permissions import user_organisation_id

from .access import regulates_filing, supervisor_prefix
from .models import Filing, VerificationRecord
from .services import apply_schedule, institutions_for, overdue_filings, today

#: portal filter → schedule statuses
STATES = {
    "due": ("due_soon",),
    "overdue": ("overdue", "must_replace"),
    "done": ("ok",),
}
NUMBER_MAX = 60


class PortalError(ValueError):
    """Refused request; ``errors`` maps each offending field to its message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def _regulates(user, f: Filing) -> bool:
    return regulates_filing(user, f)


def institution_of(user) -> int | None:
    """Id of the institution a lab-staff user works for (None for other roles)."""
    return user_organisation_id(user) if role_of(user) is Role.LAB_STAFF else None


def works_assignments(user) -> bool:
    """May ``user`` open the institution portal (承检任务): institution staff with an
    organisation, regulators and admins (the portal view's check, and its menu entry's)."""
    return institution_of(user) is not None or supervisor_prefix(user) is not None


def assigned_filings(user, state: str | None = None):
    """Filings with an assigned verification the user may work on, optionally by ``state``.

    Institution staff: those assigned to their institution; regulators: those in their region;
    admins: all; anyone else: none.
    """
    qs = (
        Filing.objects.active()
        .filter(assigned_to__isnull=False)
        .select_related("instrument__owner", "instrument__region", "assigned_to")
    )
    org = institution_of(user)
    prefix = supervisor_prefix(user)
    if org is not None:
        qs = qs.filter(assigned_to_id=org)
    elif prefix is not None:
        qs = qs.filter(instrument__region__code__startswith=prefix)
    else:
        qs = qs.none()
    if state:
        if state not in STATES:
            raise PortalError({"state": _("须为 %(states)s 之一") % {"states": ", ".join(STATES)}})
        # "overdue" as everywhere (overdue_filings: of instruments in use), the rest by status
        qs = overdue_filings(qs) if state == "overdue" else qs.filter(status__in=STATES[state])
    return qs.order_by("due_date", "replace_date", "pk")


def can_assign(user, f: Filing) -> bool:
    """Regulators of the instrument's region (and admins) assign its verification."""
    return _regulates(user, f)


def can_record(user, f: Filing) -> bool:
    """Only staff of the assigned institution record results: a verification (检定) is asserted
    by the authorised institution through its qualified verifier, never on its behalf (the
    regulator assigns and supervises; the authority model, issue 11)."""
    org = institution_of(user)
    return org is not None and org == f.assigned_to_id


def assign(user, f: Filing, institution: Organisation | None, reason: str = "") -> Filing:
    """Assign (or, with ``None``, unassign) the filing's verification; audited."""
    if not can_assign(user, f):
        raise PermissionError("only a regulator of the instrument's region assigns")
    if institution is not None and institution.pk not in {o.pk for o in institutions_for(f)}:
        raise PortalError(
            {
                "institution": _("%(org)s 无覆盖此器具（%(item)s）及其所在区划的有效授权")
                % {"org": institution.name, "item": f.item_code}
            }
        )
    f.assigned_to = institution
    f.assigned_on = today() if institution is not None else None
    with transaction.atomic(), acting_as(user, reason):
        f.save(update_fields=["assigned_to", "assigned_on"])
    return f


def _validate(
    f: Filing,
    performed_on: dt.date | None,
    result: str,
    certificate_no: str,
    notice_no: str,
    seal_no: str,
) -> tuple[dict[str, str], str, str]:
    """Field errors, and the document number and field it goes in."""
    errors: dict[str, str] = {}
    if f.assigned_to_id is None:
        errors["assigned_to"] = _("此器具的检定尚未指定检定机构")
    if result not in ("pass", "fail"):
        errors["result"] = _("须为 pass（合格）或 fail（不合格）")
    if performed_on is None:
        errors["performed_on"] = _("请填写检定日期")
    elif performed_on > today():
        errors["performed_on"] = _("检定日期不得晚于今天")
    elif f.last_verified and performed_on < f.last_verified:
        errors["performed_on"] = _("检定日期不得早于最近一次检定 %(day)s") % {
            "day": f.last_verified.isoformat()
        }
    elif f.assigned_to_id and f.assigned_to_id not in {
        o.pk for o in institutions_for(f, performed_on)
    }:
        errors["performed_on"] = _("%(org)s 在 %(day)s 无覆盖此器具的有效授权") % {
            "org": f.assigned_to.name,
            "day": performed_on.isoformat(),
        }
    passed = result == "pass"
    field, other = ("certificate_no", "notice_no") if passed else ("notice_no", "certificate_no")
    number = (certificate_no if passed else notice_no).strip()
    if (notice_no if passed else certificate_no).strip():
        errors[other] = (
            _("合格的器具出具检定证书，不出具不合格通知书")
            if passed
            else _("不合格的器具出具不合格通知书，不出具检定证书")
        )
    if not number:
        errors[field] = _("合格须填写检定证书编号") if passed else _("不合格须填写不合格通知书编号")
    elif len(number) > NUMBER_MAX:
        errors[field] = _("不得超过 %(n)s 个字符") % {"n": NUMBER_MAX}
    elif CalibrationEvent.objects.filter(certificate_no=number).exists():
        errors[field] = _("编号 %(no)s 已被使用") % {"no": number}
    seal_no = seal_no.strip()
    if passed and not seal_no:
        errors["seal_no"] = _("合格须填写封印/标志号")
    elif not passed and seal_no:
        errors["seal_no"] = _("不合格的器具不加封印/标志")
    elif len(seal_no) > NUMBER_MAX:
        errors["seal_no"] = _("不得超过 %(n)s 个字符") % {"n": NUMBER_MAX}
    return errors, number, field


def _valid_until(f: Filing, performed_on: dt.date, result: str) -> dt.date | None:
    """Deadline the new result gives (next verification or replacement), from the core."""
    if result != "pass":
        return None
    probe = Filing(
        item_code=f.item_code,
        use=f.use,
        params=f.params,
        first_verified=f.first_verified or performed_on,
        last_verified=performed_on,
        last_result=result,
    )
    day = apply_schedule(probe, performed_on).deadline
    return day if day is not None and day > performed_on else None


def record_verification(
    user,
    f: Filing,
    *,
    performed_on: dt.date | None,
    result: str,
    certificate_no: str = "",
    notice_no: str = "",
    seal_no: str = "",
    reason: str = "",
) -> VerificationRecord:
    """Record the result of the filing's assigned verification; all or nothing, audited.

    Raises :class:`PermissionError` if the user may not record it, :class:`PortalError` naming
    the field for bad input. The registry event's ``post_save`` signal refreshes the filing's
    schedule (next due date, fixed-life replacement, or must-replace after a failure).
    """
    if not can_record(user, f):
        raise PermissionError("only the assigned institution's staff record a verification")
    return store_verification(
        f,
        performed_on=performed_on,
        result=result,
        certificate_no=certificate_no,
        notice_no=notice_no,
        seal_no=seal_no,
        user=user,
        reason=reason,
    )


def store_verification(
    f: Filing,
    *,
    performed_on: dt.date | None,
    result: str,
    certificate_no: str = "",
    notice_no: str = "",
    seal_no: str = "",
    user=None,
    reason: str = "",
) -> VerificationRecord:
    """Validate and store a result without the permission check (callers: the checked
    :func:`record_verification`, and the demo acting as the system)."""
    errors, number, field = _validate(f, performed_on, result, certificate_no, notice_no, seal_no)
    if errors:
        raise PortalError(errors)
    inst = f.instrument
    authenticated = user is not None and user.is_authenticated
    person = Person.objects.filter(user=user).first() if authenticated else None
    event = CalibrationEvent(
        certificate_no=number,
        kind=CalibrationEvent.Kind.VERIFICATION,
        instrument=inst,
        performed_by=f.assigned_to,
        performed_by_person=person,
        performed_on=performed_on,
        issued_on=performed_on,
        due_on=_valid_until(f, performed_on, result),
        unit=inst.unit,
        conformity=result,
    )
    if authenticated:  # the demo, acting as the system, builds its history without people
        try:
            check_facts(event)  # authorised on that date, by a qualified verifier of its own
        except Denied as exc:
            raise PermissionError("; ".join(exc.errors.values())) from None
    try:
        with transaction.atomic(), acting_as(user, reason):
            event.save()
            record = VerificationRecord.objects.create(
                event=event, seal_no=seal_no.strip(), recorded_by=user if authenticated else None
            )
    except IntegrityError:  # the number was taken between the check and the insert
        raise PortalError({field: _("编号 %(no)s 已被使用") % {"no": number}}) from None
    f.refresh_from_db()
    return record


def records_of(f: Filing):
    """The verification results recorded through the portal for the filing's instrument."""
    return (
        VerificationRecord.objects.filter(event__instrument_id=f.instrument_id)
        .select_related("event__performed_by")
        .order_by("-event__performed_on", "-pk")
    )


def seal_of(f: Filing) -> str | None:
    """Seal/label number of the filing's latest verification, if it passed and has one."""
    if f.last_result != "pass" or not f.last_certificate:
        return None
    return (
        VerificationRecord.objects.filter(
            event__instrument_id=f.instrument_id, event__certificate_no=f.last_certificate
        )
        .exclude(seal_no="")
        .values_list("seal_no", flat=True)
        .first()
    )
