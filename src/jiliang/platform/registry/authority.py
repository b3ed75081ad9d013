"""Authority model (谁有权认定什么): who may assert which fact of the measurement system.

Ownership of a record is not authority over the facts in it. An enterprise owns its
instruments, but whether one of them passed its compulsory verification (强制检定) is asserted by
an institution the regulator authorised, through its qualified staff; an organisation's kind,
region and name are asserted by the regulator of its region; a CMC by the NMI that offers it or
the KCDB import; a registered metrologist's qualification by the registering authority.

:data:`RULES` holds that description, per model and per field, as *relations* between the user
and the record (:class:`Rel`). :func:`authorise` is the only write decision for pages, API, admin,
imports and the verification portal; :func:`settable` tells forms which fields to show; the
permission-matrix test is generated from :data:`RULES`; ``docs/security.md`` prints it with
:func:`authority_table`.

Value-dependent facts (a verification needs an authorisation covering the item on that date, a
primary standard needs an NMI, the performer must work for the performing organisation) are
*checks*: they hold for everyone, administrators included, because they describe the measurement
system rather than a user's rights.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from django.db import models
from django.db.models import Q

from jiliang.platform.accounts.roles import Role, role_of

from . import models as m
from .resources import BY_MODEL

Action = Literal["create", "update", "delete"]


class Rel(StrEnum):
    """How a user stands to a record."""

    ADMIN = "admin"  # platform operator (superuser)
    REGULATOR = "regulator"  # market-supervision bureau whose area holds the record's region
    OWNER = "owner"  # staff of the organisation the record belongs to
    LAB = "lab"  # OWNER, and that organisation is a metrology institution or calibration lab
    NMI = "nmi"  # OWNER, and that organisation is the national metrology institute (国家计量院)


#: organisation kinds that perform calibrations and verifications for others
INSTITUTION_KINDS = frozenset(
    {
        m.Organisation.Kind.NMI,
        m.Organisation.Kind.STATUTORY,
        m.Organisation.Kind.AUTHORISED,
        m.Organisation.Kind.CALIBRATION_LAB,
    }
)
#: qualifications that entitle a person to perform a verification (检定)
VERIFIER_QUALIFICATIONS = frozenset(
    {
        m.Qualification.Kind.VERIFIER,
        m.Qualification.Kind.METROLOGIST_1,
        m.Qualification.Kind.METROLOGIST_2,
    }
)

A = frozenset({Rel.ADMIN})
RA = frozenset({Rel.REGULATOR, Rel.ADMIN})
OA = frozenset({Rel.OWNER, Rel.ADMIN})
ORA = frozenset({Rel.OWNER, Rel.REGULATOR, Rel.ADMIN})
LA = frozenset({Rel.LAB, Rel.ADMIN})
NA = frozenset({Rel.NMI, Rel.ADMIN})
NOBODY: frozenset[Rel] = frozenset()

Check = Callable[[models.Model], dict[str, str]]


@dataclass(frozen=True)
class Lock:
    """While ``applies(obj)`` holds, relations in ``holders`` lose the right to set ``fields``
    (and to delete, if ``delete``); ``reason`` is shown to them."""

    fields: frozenset[str]
    applies: Callable[[models.Model], bool]
    holders: frozenset[Rel]
    reason: str
    delete: bool = True


@dataclass(frozen=True)
class Rule:
    """Who may assert the facts of one model.

    ``owner_path``: lookup from the record to the owning organisation's id (relation OWNER);
    ``region_path``: lookup to the region code whose regulator has authority (REGULATOR);
    ``fields``: per writable field, the relations that may set it; ``why``: one line per field
    group for the documentation.
    """

    create: frozenset[Rel]
    delete: frozenset[Rel]
    fields: Mapping[str, frozenset[Rel]]
    owner_path: str | None
    region_path: str | None
    checks: tuple[Check, ...] = ()
    locks: list[Lock] = field(default_factory=list)
    why: str = ""


class Denied(Exception):
    """A write refused by the authority model: ``{field: message}`` (``__all__`` for the record)."""

    def __init__(self, errors: Mapping[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)


# --------------------------------------------------------------------------- relations


def _resolve(obj: models.Model, path: str | None):
    if path is None:
        return None
    value = obj
    for part in path.split("__"):
        if value is None:
            return None
        value = getattr(value, part, None)
    return value


def _profile(user):
    if user is None or not user.is_authenticated:
        return None
    return getattr(user, "profile", None)


def _user_org(user) -> m.Organisation | None:
    profile = _profile(user)
    return profile.organisation if profile is not None else None


def _user_area(user) -> str | None:
    profile = _profile(user)
    if profile is None:
        return None
    region = profile.region or (profile.organisation.region if profile.organisation else None)
    return region.prefix if region is not None else None


def relations(user, obj: models.Model) -> frozenset[Rel]:
    """The relations ``user`` has to ``obj`` in its current field values."""
    role = role_of(user)
    if role is Role.ADMIN:
        return frozenset({Rel.ADMIN})
    rule = RULES.get(type(obj))
    if rule is None:
        return NOBODY
    if role is Role.REGULATOR:
        area = _user_area(user)
        code = _resolve(obj, rule.region_path)
        if area and code and str(code).startswith(area):
            return frozenset({Rel.REGULATOR})
        return NOBODY
    if role in (Role.LAB_STAFF, Role.ENTERPRISE):
        org = _user_org(user)
        if org is None or rule.owner_path is None or _resolve(obj, rule.owner_path) != org.pk:
            return NOBODY
        rels = {Rel.OWNER}
        if org.kind in INSTITUTION_KINDS and role is Role.LAB_STAFF:
            rels.add(Rel.LAB)
        if org.kind == m.Organisation.Kind.NMI and role is Role.LAB_STAFF:
            rels.add(Rel.NMI)
        return frozenset(rels)
    return NOBODY


def potential_relations(user) -> frozenset[Rel]:
    """Relations ``user`` could have to a record not yet written (for forms and create links)."""
    role = role_of(user)
    if role is Role.ADMIN:
        return frozenset({Rel.ADMIN})
    if role is Role.REGULATOR:
        return frozenset({Rel.REGULATOR}) if _user_area(user) else NOBODY
    if role in (Role.LAB_STAFF, Role.ENTERPRISE):
        org = _user_org(user)
        if org is None:
            return NOBODY
        rels = {Rel.OWNER}
        if org.kind in INSTITUTION_KINDS and role is Role.LAB_STAFF:
            rels.add(Rel.LAB)
            if org.kind == m.Organisation.Kind.NMI:
                rels.add(Rel.NMI)
        return frozenset(rels)
    return NOBODY


# --------------------------------------------------------------------------- decisions


def _value(obj: models.Model, name: str):
    f = obj._meta.get_field(name)
    if isinstance(f, models.ManyToManyField):
        return None  # compared by the caller, which knows the submitted set
    return getattr(obj, f.attname)


def snapshot(obj: models.Model) -> models.Model:
    """A copy of ``obj`` as it is now, to compare against after input is applied."""
    return copy.copy(obj)


def changed_fields(before: models.Model, after: models.Model, names: Iterable[str]) -> set[str]:
    return {n for n in names if _value(before, n) != _value(after, n)}


def _locked(rule: Rule, obj: models.Model, rel: Rel, name: str | None) -> str | None:
    for lock in rule.locks:
        hit = (name is None and lock.delete) or name in lock.fields
        if rel in lock.holders and hit and lock.applies(obj):
            return lock.reason
    return None


def _may_set(rule: Rule, obj: models.Model, rels: frozenset[Rel], name: str) -> str | None:
    """None if one of ``rels`` may set field ``name`` of ``obj``; else the reason."""
    allowed = rule.fields.get(name, NOBODY)
    reasons = []
    for rel in rels & allowed:
        reason = _locked(rule, obj, rel, name)
        if reason is None:
            return None
        reasons.append(reason)
    if reasons:
        return reasons[0]
    if not allowed:
        return "derived or read-only; nobody sets it directly"
    return "only " + ", ".join(sorted(r.value for r in allowed)) + " may set this field"


def authorise(
    user,
    obj: models.Model,
    action: Action,
    *,
    before: models.Model | None = None,
    fields: Iterable[str] | None = None,
    facts: bool = True,
) -> None:
    """Raise :class:`Denied` unless ``user`` may perform ``action`` on ``obj``.

    ``obj`` carries the values to be written; ``before`` (updates) the stored values;
    ``fields`` the fields the request sets (create: those given; update: default the changed
    ones). The user must stand in a permitting relation both before and after an update, so a
    change cannot move a record out of the user's reach. ``facts=False`` leaves
    :func:`check_facts` to the caller (the API runs it after field validation, so bad input is a
    422 before a fact is judged).
    """
    rule = RULES.get(type(obj))
    if rule is None:
        raise Denied({"__all__": f"no authority rule for {type(obj).__name__}"})
    rels = relations(user, obj)
    name = obj._meta.verbose_name
    if action == "delete":
        if not rels & rule.delete:
            raise Denied({"__all__": f"you may not delete this {name}"})
        for rel in rels & rule.delete:
            if _locked(rule, obj, rel, None) is None:
                return
        raise Denied({"__all__": _locked(rule, obj, next(iter(rels & rule.delete)), None) or ""})
    if action == "create" and not rels & rule.create:
        allowed = ", ".join(sorted(r.value for r in rule.create)) or "nobody"
        raise Denied({"__all__": f"you may not create this {name} (only {allowed})"})
    if action == "update":
        if before is None:
            raise ValueError("authorise(update) needs the stored record as `before`")
        rels = rels & relations(user, before)
        if not rels:
            raise Denied({"__all__": f"you may not change this {name}"})
        if fields is None:
            fields = changed_fields(before, obj, rule.fields)
    errors = {}
    for f in fields or ():
        reason = _may_set(rule, before if before is not None else obj, rels, f)
        if reason is not None:
            errors[f] = reason
    if errors:
        raise Denied(errors)
    if facts:
        check_facts(obj)


def check_facts(obj: models.Model) -> None:
    """Raise :class:`Denied` if ``obj`` states something the measurement system does not allow,
    whoever writes it (e.g. a verification by an institution without authorisation)."""
    rule = RULES.get(type(obj))
    errors: dict[str, str] = {}
    for check in rule.checks if rule else ():
        for k, v in check(obj).items():
            errors.setdefault(k, v)
    if errors:
        raise Denied(errors)


def may(user, obj: models.Model, action: Action) -> bool:
    """May ``user`` create/delete ``obj``, or change at least one of its fields (update)?"""
    rule = RULES.get(type(obj))
    if rule is None:
        return False
    rels = relations(user, obj)
    if action == "create":
        return bool(rels & rule.create)
    if action == "delete":
        return any(_locked(rule, obj, r, None) is None for r in rels & rule.delete)
    return any(_may_set(rule, obj, rels, f) is None for f in rule.fields)


def authors(user, obj: models.Model) -> bool:
    """Does ``user`` speak for the record's author (the performing laboratory of an event, the
    holder of a standard)? Certificates, budgets and imports attached to a record need this;
    a regulator who may withdraw a record does not thereby author its certificate."""
    return bool(relations(user, obj) & {Rel.OWNER, Rel.ADMIN})


def settable(user, model: type[models.Model], obj: models.Model | None = None) -> list[str]:
    """Fields of ``model`` that ``user`` may set: on ``obj`` (edit) or on a new record."""
    rule = RULES[model]
    if obj is None:
        rels = potential_relations(user) if potential_relations(user) & rule.create else NOBODY
        return [f for f in rule.fields if rels & rule.fields[f]]
    rels = relations(user, obj)
    return [f for f in rule.fields if _may_set(rule, obj, rels, f) is None]


def register_lock(model: type[models.Model], lock: Lock) -> None:
    """Let another app lock fields of a registry model (e.g. supervision: a filed instrument)."""
    if lock not in RULES[model].locks:
        RULES[model].locks.append(lock)


# --------------------------------------------------------------------------- fact checks


def _standard_level(obj: m.MeasurementStandard) -> dict[str, str]:
    owner = obj.owner if obj.owner_id else None
    if owner is None:
        return {}
    top = {m.MeasurementStandard.Level.PRIMARY, m.MeasurementStandard.Level.NATIONAL}
    if obj.level in top and owner.kind != m.Organisation.Kind.NMI:
        return {"level": "primary and national standards (计量基准/国家计量标准) are an NMI's"}
    # Metrology Law art. 20: statutory institutions, or units the regulator authorised, hold them
    public_kinds = {
        m.Organisation.Kind.NMI,
        m.Organisation.Kind.STATUTORY,
        m.Organisation.Kind.AUTHORISED,
    }
    if obj.level == m.MeasurementStandard.Level.PUBLIC and owner.kind not in public_kinds:
        return {
            "level": "public standards (社会公用计量标准) are held by statutory/authorised bodies"
        }
    return {}


def _cmc_provider(obj: m.CMC) -> dict[str, str]:
    if obj.provider_id and obj.provider.kind != m.Organisation.Kind.NMI:
        return {"provider": "CMCs (KCDB) are published for national metrology institutes"}
    return {}


def _person_works_there(obj: m.CalibrationEvent) -> dict[str, str]:
    person = obj.performed_by_person if obj.performed_by_person_id else None
    if person is not None and person.organisation_id != obj.performed_by_id:
        return {"performed_by_person": "the person does not work for the performing organisation"}
    return {}


def authorising_scopes(org: m.Organisation, instrument: m.Instrument, on: dt.date):
    """Valid authorisation/statutory scopes of ``org`` covering ``instrument`` on ``on``: the
    item's category, the instrument's region inside the organisation's area, and (where both are
    given in the same quantity) its measuring range."""
    if not str(instrument.region.code).startswith(org.region.prefix):
        return m.Scope.objects.none()
    scopes = m.Scope.objects.filter(
        organisation=org,
        kind__in=[m.Scope.Kind.AUTHORISATION, m.Scope.Kind.STATUTORY],
        instrument_category=instrument.category,
        valid_from__lte=on,
        valid_to__gte=on,
    )
    if instrument.range_low_si is not None and instrument.range_high_si is not None:
        scopes = scopes.filter(
            ~Q(quantity=instrument.quantity)
            | Q(
                range_low_si__lte=instrument.range_low_si,
                range_high_si__gte=instrument.range_high_si,
            )
        )
    return scopes


def qualified_on(person: m.Person, on: dt.date) -> bool:
    """Does ``person`` hold a verifier qualification valid on ``on``?"""
    return person.qualifications.filter(
        kind__in=VERIFIER_QUALIFICATIONS, valid_from__lte=on, valid_to__gte=on
    ).exists()


def _who_performs(obj: m.CalibrationEvent) -> dict[str, str]:
    """Verification (检定) of a compulsory instrument: an authorised institution by its own
    qualified staff, never the owner; an organisation that is no institution records only
    internal calibrations of its own non-compulsory instruments."""
    if not obj.performed_by_id:
        return {}
    org = obj.performed_by
    inst = obj.instrument if obj.instrument_id else None
    if org.kind not in INSTITUTION_KINDS:
        if obj.kind != m.CalibrationEvent.Kind.CALIBRATION:
            return {"kind": "only metrology institutions verify; record an internal calibration"}
        if inst is None or inst.owner_id != org.pk:
            return {"performed_by": "an organisation calibrates only its own instruments"}
        if inst.compulsory:
            return {
                "instrument": "instruments under compulsory verification are verified by an "
                "authorised institution, not calibrated internally"
            }
        return {}
    if obj.kind != m.CalibrationEvent.Kind.VERIFICATION or inst is None:
        return {}
    if inst.owner_id == org.pk:
        return {"performed_by": "the owner never verifies its own instrument"}
    if not inst.compulsory:
        return {}
    on = obj.performed_on or dt.date.today()
    if not authorising_scopes(org, inst, on).exists():
        return {
            "performed_by": f"{org.name} holds no authorisation covering {inst.category} "
            f"in region {inst.region.code} on {on}"
        }
    person = obj.performed_by_person if obj.performed_by_person_id else None
    if person is None:
        return {"performed_by_person": "a compulsory verification names the qualified verifier"}
    if not qualified_on(person, on):
        return {
            "performed_by_person": f"{person.name} holds no valid verifier qualification on {on}"
        }
    return {}


# --------------------------------------------------------------------------- the table


def _rights(
    model: type[models.Model],
    default: frozenset[Rel],
    **groups: tuple[Iterable[str], frozenset[Rel]],
) -> dict[str, frozenset[Rel]]:
    """Who may set each writable field of ``model``: ``default`` for every field its
    :class:`~.resources.Resource` writes, except the named groups ``(fields, relations)``.

    The field list is the resource's, so a field added there gets the model's default right
    rather than none; a group naming a field the resource does not write is an error.
    """
    fields = BY_MODEL[model].fields
    rights = dict.fromkeys(fields, default)
    for group, (names, rels) in groups.items():
        unknown = set(names) - set(fields)
        if unknown:
            raise ValueError(f"{model.__name__} rule {group!r}: not writable fields {unknown}")
        rights.update(dict.fromkeys(names, rels))
    return rights


RULES: dict[type[models.Model], Rule] = {
    m.Region: Rule(
        create=A,
        delete=A,
        fields=_rights(m.Region, A),
        owner_path=None,
        region_path="code",
        why="administrative divisions (GB/T 2260) are reference data of the platform operator",
    ),
    m.Organisation: Rule(
        create=RA,
        delete=A,
        fields=_rights(m.Organisation, RA, contact=(("name_en", "address"), ORA)),
        owner_path="id",
        region_path="region__code",
        why="identity, kind and region are registered by the regulator of the region; the "
        "organisation edits its contact data only",
    ),
    m.Scope: Rule(
        create=RA,
        delete=RA,
        fields=_rights(m.Scope, RA),
        owner_path="organisation_id",
        region_path="organisation__region__code",
        why="authorisations (计量授权) are granted by the regulator; accreditation scopes are "
        "recorded by the regulator or admin from the accreditation body's record",
    ),
    m.Person: Rule(
        create=OA,
        delete=OA,
        fields=_rights(m.Person, OA),
        owner_path="organisation_id",
        region_path="organisation__region__code",
        why="an organisation registers its own staff",
    ),
    m.Qualification: Rule(
        create=RA,
        delete=RA,
        fields=_rights(m.Qualification, RA),
        owner_path="person__organisation_id",
        region_path="person__organisation__region__code",
        why="qualifications (注册计量师, 检定员) are registered by the registering authority",
    ),
    m.MeasurementStandard: Rule(
        create=OA,
        delete=OA,
        fields=_rights(
            m.MeasurementStandard,
            OA,
            status=(("status",), ORA),
            assessment=(("certificate_no", "certificate_valid_from", "certificate_valid_to"), RA),
        ),
        owner_path="owner_id",
        region_path="owner__region__code",
        checks=(_standard_level,),
        why="the holder describes its standard; the assessment certificate (计量标准考核证书) is "
        "recorded by the regulator; primary/national standards only at an NMI",
    ),
    m.Instrument: Rule(
        create=OA,
        delete=OA,
        fields=_rights(m.Instrument, OA, supervised=(("region", "status", "use"), ORA)),
        owner_path="owner_id",
        region_path="region__code",
        why="the owner describes its instrument; `compulsory` is derived from the catalogue and "
        "the use; once filed, region, use and status change only through the regulator",
    ),
    m.ReferenceMaterial: Rule(
        create=RA,
        delete=A,
        fields=_rights(m.ReferenceMaterial, RA, name=(("name",), ORA)),
        owner_path="producer_id",
        region_path="producer__region__code",
        why="a CRM's number and certified value are the approval's (定级鉴定) facts, recorded by "
        "the regulator; the producer may rename it",
    ),
    m.CMC: Rule(
        create=NA,
        delete=NA,
        fields=_rights(m.CMC, NA, kcdb=(("kcdb_id",), A)),
        owner_path="provider_id",
        region_path="provider__region__code",
        checks=(_cmc_provider,),
        why="CMCs come from the KCDB import (operator) or the NMI's own staff",
    ),
    m.CalibrationEvent: Rule(
        create=OA,
        delete=A,
        fields=_rights(m.CalibrationEvent, OA, withdrawal=(("withdrawn",), ORA)),
        owner_path="performed_by_id",
        region_path="instrument__region__code",
        checks=(_person_works_there, _who_performs),
        why="the performing organisation records its work; a compulsory verification only by an "
        "institution whose authorisation covers the item, by its qualified staff; the owner "
        "records internal calibrations of non-compulsory instruments only; the regulator may "
        "withdraw a record; records are withdrawn, not deleted",
    ),
}


def authority_table() -> list[tuple[str, str, str]]:
    """(model, fields, who may set them) rows: the table ``docs/security.md`` prints."""
    rows = []
    for model, rule in RULES.items():
        label = model.__name__
        rows.append((label, "(create / delete)", f"{_names(rule.create)} / {_names(rule.delete)}"))
        groups: dict[frozenset[Rel], list[str]] = {}
        for f, rels in rule.fields.items():
            groups.setdefault(rels, []).append(f)
        for rels, names in groups.items():
            rows.append((label, ", ".join(names), _names(rels)))
    return rows


def authority_markdown() -> str:
    """The authority table as Markdown, with each model's reason and where the fact is shown."""
    from .resources import BY_MODEL

    lines = [
        "| record | fields | who may assert them | shown in |",
        "|---|---|---|---|",
    ]
    for model, fields, who in authority_table():
        slug = BY_MODEL[model_named(model)].slug
        lines.append(f"| {model} | {fields} | {who} | `/r/{slug}/<id>/` + its history |")
    lines.append("")
    for model, rule in RULES.items():
        checks = ", ".join(c.__name__.strip("_").replace("_", " ") for c in rule.checks)
        extra = f" Fact checks for everyone: {checks}." if checks else ""
        lines.append(f"- **{model.__name__}**: {rule.why}.{extra}")
    return "\n".join(lines) + "\n"


def model_named(name: str) -> type[models.Model]:
    return next(mdl for mdl in RULES if mdl.__name__ == name)


def _names(rels: frozenset[Rel]) -> str:
    order = [Rel.ADMIN, Rel.REGULATOR, Rel.NMI, Rel.LAB, Rel.OWNER]
    return ", ".join(r.value for r in order if r in rels) or "nobody (derived)"
