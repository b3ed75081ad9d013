"""Writes of the specification registry and the impact of a revision.

Every write goes through :func:`save_specification`, :func:`withdraw` or :func:`apply_to_event`:
validated first (:func:`validate`, errors by field → 422), permitted by :func:`check_write`
(:class:`~jiliang.platform.registry.authority.Denied` → 403), then saved inside one
``transaction.atomic()`` under :func:`~jiliang.platform.audit.context.acting_as`, so the audit
trail attributes each row change. A replacement withdraws the edition it replaces on the new
edition's effective date in the same transaction.

Who may write (谁有权发布): national and departmental documents are issued by the national
regulator (SAMR, the platform operator: admin) and drafted at NMI level (staff of the national
metrology institute, organisation kind ``nmi``); a local document by the regulator of its issuing
province (a regulator whose area contains the province — a city bureau does not issue provincial
regulations). Laboratories, enterprises and inspectors only read.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from jiliang.core.legal.catalogue import default_catalogue
from jiliang.core.legal.specifications import SpecificationNumberError, parse_spec_number
from jiliang.platform.accounts.roles import Role, role_of
from jiliang.platform.audit.context import acting_as
from jiliang.platform.common.errors import FieldErrors
from jiliang.platform.registry import models as m
from jiliang.platform.registry.authority import Denied, authors
from jiliang.platform.registry.permissions import readable, user_region_prefix
from jiliang.platform.registry.quantities import QUANTITY_CHOICES

from .models import AppliedSpecification, Specification

K = Specification.Kind
S = Specification.Status
LOCAL_KINDS = (K.LOCAL_REGULATION, K.LOCAL_SPECIFICATION)
NATIONAL_KINDS = (K.NATIONAL_REGULATION, K.NATIONAL_SPECIFICATION, K.DEPARTMENTAL)
#: longest chain of replaced editions followed (a cycle check must end)
MAX_CHAIN = 200
_QUANTITIES = frozenset(code for code, _label in QUANTITY_CHOICES)


# --------------------------------------------------------------------------- validation


def _id_list(value: Any, field: str, allowed: frozenset[str] | None, errors: dict) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors.setdefault(field, []).append(f"{field}: give a list of text ids")
        return []
    cleaned = sorted({v.strip() for v in value if v.strip()})
    if any(len(v) > 60 for v in cleaned):
        errors.setdefault(field, []).append(f"{field}: an id is longer than 60 characters")
    if allowed is not None:
        unknown = [v for v in cleaned if v not in allowed]
        if unknown:
            errors.setdefault(field, []).append(f"{field}: unknown ids {unknown}")
    return cleaned


def _chain_errors(spec: Specification) -> list[str]:
    """Cycle and self-reference of ``replaces`` (following stored editions)."""
    if spec.replaces_id is None:
        return []
    if spec.pk is not None and spec.replaces_id == spec.pk:
        return ["replaces: a specification cannot replace itself"]
    seen = {spec.pk}
    current = spec.replaces_id
    for _step in range(MAX_CHAIN):
        if current is None:
            return []
        if current in seen:
            return [f"replaces: {spec.replaces.number} leads back to {spec.number} (a cycle)"]
        seen.add(current)
        current = (
            Specification.objects.filter(pk=current).values_list("replaces_id", flat=True).first()
        )
    return [f"replaces: chain of editions longer than {MAX_CHAIN}"]


def validate(spec: Specification) -> None:
    """Normalise ``spec.number`` and the id lists in place; :class:`FieldErrors` naming each
    field that breaks a rule (number form against kind and region, dates, replacement)."""
    errors: dict[str, list[str]] = {}

    def err(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    parsed = None
    try:
        parsed = parse_spec_number(spec.number)
        spec.number = str(parsed)
    except SpecificationNumberError as exc:
        err("number", str(exc))
    if not (spec.title or "").strip():
        err("title", "title: give the document's Chinese title")
    if spec.kind not in K.values:
        err("kind", f"kind: must be one of {list(K.values)}")
    if spec.status not in S.values:
        err("status", f"status: must be one of {list(S.values)}")
    if parsed is not None and spec.kind in K.values:
        jjg = spec.kind in (K.NATIONAL_REGULATION, K.LOCAL_REGULATION)
        if spec.kind != K.DEPARTMENTAL and parsed.is_regulation != jjg:
            want = "JJG" if jjg else "JJF"
            err("number", f"number: a {spec.kind} is numbered {want}, not {parsed.prefix}")
        if spec.kind in LOCAL_KINDS and parsed.province_prefix is None:
            err(
                "number",
                "number: a local document carries its province's abbreviation, e.g. JJF(吉)",
            )
        if spec.kind in (K.NATIONAL_REGULATION, K.NATIONAL_SPECIFICATION) and parsed.tag:
            err("number", f"number: a national document has no ({parsed.tag}) tag")
        if spec.kind == K.DEPARTMENTAL and (not parsed.tag or parsed.province_prefix):
            err("number", "number: a departmental document carries its department, e.g. JJG(铁道)")
    if spec.kind in LOCAL_KINDS:
        region = spec.region
        if region is None:
            err("region", "region: a local document needs its issuing province")
        elif region.level != m.Region.Level.PROVINCE:
            err(
                "region",
                f"region: {region.code} is not a province (local documents are provincial)",
            )
        elif parsed is not None and parsed.province_prefix not in (None, region.prefix):
            err("region", f"region: {region.code} does not match the ({parsed.tag}) of the number")
    elif spec.region_id is not None:
        err("region", "region: only a local document has an issuing region")
    if spec.status == S.IN_FORCE and spec.effective_on is None:
        err("effective_on", "effective_on: a specification in force needs its effective date")
    if spec.status == S.WITHDRAWN and spec.withdrawn_on is None:
        err("withdrawn_on", "withdrawn_on: a withdrawn specification needs its withdrawal date")
    if spec.withdrawn_on is not None and spec.status != S.WITHDRAWN:
        err("withdrawn_on", "withdrawn_on: only a withdrawn specification has a withdrawal date")
    if spec.withdrawn_on and spec.effective_on and spec.withdrawn_on < spec.effective_on:
        err(
            "withdrawn_on",
            f"withdrawn_on: {spec.withdrawn_on} is before the effective date {spec.effective_on}",
        )
    spec.catalogue_items = _id_list(
        spec.catalogue_items, "catalogue_items", frozenset(default_catalogue().items), errors
    )
    spec.instrument_categories = _id_list(
        spec.instrument_categories, "instrument_categories", None, errors
    )
    spec.quantities = _id_list(spec.quantities, "quantities", _QUANTITIES, errors)
    for message in _chain_errors(spec):
        err("replaces", message)
    old = spec.replaces if spec.replaces_id else None
    if old is not None and "replaces" not in errors:
        if spec.status != S.DRAFT and spec.effective_on is None:
            err("effective_on", "effective_on: a replacement needs its effective date")
        elif spec.effective_on and old.effective_on and spec.effective_on < old.effective_on:
            err(
                "replaces",
                f"replaces: {old.number} took effect on {old.effective_on}, after this "
                f"edition's effective date {spec.effective_on}",
            )
    if errors:
        raise FieldErrors(errors)


# --------------------------------------------------------------------------- authority


def may_write(user, spec: Specification) -> bool:
    """May ``user`` create, change or withdraw ``spec`` (see the module's table)?"""
    role = role_of(user)
    if role is Role.ADMIN:
        return True
    if spec.kind in LOCAL_KINDS:
        if role is not Role.REGULATOR or spec.region is None:
            return False
        area = user_region_prefix(user)
        return bool(area) and spec.region.prefix.startswith(area)
    if role is Role.LAB_STAFF:
        org = getattr(getattr(user, "profile", None), "organisation", None)
        return org is not None and org.kind == m.Organisation.Kind.NMI
    return False


def may_write_any(user) -> bool:
    """Could ``user`` write some specification (offer the create form/link)?"""
    role = role_of(user)
    if role in (Role.ADMIN, Role.REGULATOR):
        return role is Role.ADMIN or bool(user_region_prefix(user))
    org = getattr(getattr(user, "profile", None), "organisation", None)
    return role is Role.LAB_STAFF and org is not None and org.kind == m.Organisation.Kind.NMI


def check_write(user, spec: Specification) -> None:
    """:class:`Denied` naming ``kind`` when ``user`` may not write ``spec``."""
    if not may_write(user, spec):
        who = (
            _("发布区划的省级市场监管部门")
            if spec.kind in LOCAL_KINDS
            else _("国家市场监管总局或国家计量院")
        )
        raise Denied({"kind": _("只有%(who)s可以登记此规范") % {"who": who}})


# --------------------------------------------------------------------------- writes


def _withdraw_replaced(user, spec: Specification) -> Specification | None:
    """Withdraw the edition ``spec`` replaces on ``spec``'s effective date (inside the caller's
    transaction); None when nothing changes (a draft, or already withdrawn no later)."""
    if spec.replaces_id is None or spec.status == S.DRAFT or spec.effective_on is None:
        return None
    old = Specification.objects.select_for_update().get(pk=spec.replaces_id)
    if old.status == S.WITHDRAWN and old.withdrawn_on and old.withdrawn_on <= spec.effective_on:
        return None
    check_write(user, old)
    if old.effective_on and spec.effective_on < old.effective_on:
        raise FieldErrors({"replaces": [f"replaces: {old.number} is not yet in force then"]})
    old.status = S.WITHDRAWN
    old.withdrawn_on = spec.effective_on
    old.save()
    return old


def save_specification(user, spec: Specification, reason: str = "") -> Specification:
    """Validate, authorise and save ``spec`` (new or changed) and, when it replaces an edition,
    withdraw that edition on ``spec.effective_on`` — all in one transaction."""
    validate(spec)
    check_write(user, spec)
    if spec.pk is not None:
        stored = Specification.objects.select_related("region").filter(pk=spec.pk).first()
        if stored is not None:
            check_write(user, stored)  # moving a record out of one's authority is a write too
    duplicate = Specification.objects.filter(number=spec.number).exclude(pk=spec.pk)
    if duplicate.exists():
        raise FieldErrors({"number": [f"number: {spec.number} is already registered"]})
    with transaction.atomic(), acting_as(user, reason):
        spec.save()
        _withdraw_replaced(user, spec)
    return spec


def withdraw(user, spec: Specification, on: dt.date, reason: str = "") -> Specification:
    """Mark ``spec`` withdrawn (废止) from ``on``; 422 on ``withdrawn_on`` before it took effect."""
    spec.status = S.WITHDRAWN
    spec.withdrawn_on = on
    return save_specification(user, spec, reason)


def apply_to_event(
    user, event: m.CalibrationEvent, spec: Specification, reason: str = ""
) -> AppliedSpecification:
    """Record that ``event`` was performed to ``spec`` (by the event's author). A specification
    not in force on the event's date is a 422 on ``specification``."""
    if not authors(user, event):
        raise Denied({"event": _("只有出具该记录的机构可以登记其依据的规范")})
    day = event.performed_on
    if not in_force_on(day).filter(pk=spec.pk).exists():
        raise FieldErrors(
            {"specification": [f"specification: {spec.number} was not in force on {day}"]}
        )
    with transaction.atomic(), acting_as(user, reason):
        link = AppliedSpecification.objects.filter(event=event).first()
        if link is None:
            link = AppliedSpecification(event=event, specification=spec)
        link.specification = spec
        link.save()
    return link


# --------------------------------------------------------------------------- queries


def in_force_on(as_of: dt.date, queryset: QuerySet | None = None) -> QuerySet:
    """Specifications in force on ``as_of``: not drafts, effective on or before it, and not
    withdrawn by then (a withdrawal date is the first day out of force)."""
    qs = Specification.objects.all() if queryset is None else queryset
    return qs.exclude(status=S.DRAFT).filter(
        Q(effective_on__lte=as_of), Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gt=as_of)
    )


def local_in_force(prefix: str, as_of: dt.date) -> QuerySet:
    """Local specifications (regulations and technical specifications) issued by a province
    whose code starts with ``prefix`` and in force on ``as_of``."""
    return in_force_on(as_of).filter(kind__in=LOCAL_KINDS, region__code__startswith=prefix)


def chain(spec: Specification) -> list[Specification]:
    """Editions from ``spec`` back through what it replaces (newest first)."""
    out = [spec]
    while out[-1].replaces_id is not None and len(out) < MAX_CHAIN:
        out.append(Specification.objects.get(pk=out[-1].replaces_id))
    return out


def _counts(qs: QuerySet, field: str) -> list[dict[str, Any]]:
    rows = qs.values(field).annotate(n=Count("pk")).order_by("-n", field)
    return [{"key": r[field], "count": r["n"]} for r in rows]


def impact(spec: Specification, as_of: dt.date | None = None, user=None) -> dict[str, Any]:
    """Who and what a specification (and its revision) touches, by aggregate queries.

    * instruments in use whose category the document governs (a local document: in its
      province), counted by category; compulsory filings by catalogue item;
    * measurement standards that served the verifications of those instruments, by level;
    * institutions whose authorisation or accreditation scopes (valid on ``as_of``) cover a
      governed category (or, for a scope with no category, a governed quantity);
    * verifications recorded as performed to this edition, and to the edition it replaces;
    * for a revision, what the new edition adds to and drops from the old one's coverage.

    Counted over what ``user`` may read (:func:`readable`): instruments and filings are not
    public, so the public sees standards and institutions only; a regulator their region.
    """
    from jiliang.platform.supervision.models import Filing

    as_of = as_of or dt.date.today()
    categories = spec.governed_categories()
    area = spec.region.prefix if spec.is_local and spec.region_id else ""
    instruments = readable(user, m.Instrument).filter(
        category__in=categories,
        status=m.Instrument.Status.IN_USE,
        region__code__startswith=area,
    )
    filings = readable(user, Filing, Filing.objects.active()).filter(
        item_code__in=spec.catalogue_items, instrument__region__code__startswith=area
    )
    standards = (
        readable(user, m.MeasurementStandard)
        .filter(used_in__instrument__in=instruments.values("pk"))
        .distinct()
    )
    scope_match = Q(instrument_category__in=categories)
    if spec.quantities:
        scope_match |= Q(instrument_category="", quantity__in=spec.quantities)
    scopes = readable(user, m.Scope).filter(
        scope_match,
        valid_from__lte=as_of,
        valid_to__gte=as_of,
        organisation__is_active=True,
        organisation__region__code__startswith=area,
    )
    institutions = (
        scopes.values("organisation__code", "organisation__name")
        .annotate(scopes=Count("pk"))
        .order_by("-scopes", "organisation__code")
    )
    old = spec.replaces
    revision = None
    if old is not None:
        old_cats = set(old.governed_categories())
        revision = {
            "replaces": old.number,
            "withdrawn_on": old.withdrawn_on,
            "categories_added": sorted(set(categories) - old_cats),
            "categories_dropped": sorted(old_cats - set(categories)),
            "quantities_added": sorted(set(spec.quantities) - set(old.quantities)),
            "quantities_dropped": sorted(set(old.quantities) - set(spec.quantities)),
            "verifications_to_replaced_edition": old.applications.count(),
        }
    return {
        "specification": spec.number,
        "as_of": as_of,
        "instruments": instruments.count(),
        "instruments_by_category": _counts(instruments, "category"),
        "filings": filings.count(),
        "filings_by_item": _counts(filings, "item_code"),
        "standards": standards.count(),
        "standards_by_level": _counts(
            m.MeasurementStandard.objects.filter(pk__in=standards.values("pk")), "level"
        ),
        "institutions": [
            {
                "code": r["organisation__code"],
                "name": r["organisation__name"],
                "scopes": r["scopes"],
            }
            for r in institutions
        ],
        "verifications": spec.applications.count(),
        "revision": revision,
    }
