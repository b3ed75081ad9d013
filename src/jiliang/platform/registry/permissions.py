"""Object-level scoping: who may read and write which registry records.

One table (:data:`POLICIES`) says, per model, whether the public may read it, which lookups lead
to the organisation that owns a record and which lead to its region. Views and the API both ask
:func:`readable`, :func:`can_write`; nothing else decides access.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db import models
from django.db.models import Q

from jiliang.platform.accounts.roles import Role, role_of

from . import models as m


@dataclass(frozen=True)
class Policy:
    """Access rule of one model.

    ``org_paths``: lookups to an ``Organisation`` id; a lab or enterprise user reads a record if
    any path leads to their organisation and writes it if the first one does.
    ``region_paths``: lookups to a GB/T 2260 region code; regulators and inspectors read records
    where any path falls inside their region.
    """

    public: bool
    org_paths: tuple[str, ...]
    region_paths: tuple[str, ...]
    regulator_writes: bool = False


POLICIES: dict[type[models.Model], Policy] = {
    m.Region: Policy(True, (), ("code",)),
    m.Organisation: Policy(True, ("id",), ("region__code",), regulator_writes=True),
    m.Scope: Policy(True, ("organisation_id",), ("organisation__region__code",)),
    m.Person: Policy(False, ("organisation_id",), ("organisation__region__code",)),
    m.Qualification: Policy(
        False, ("person__organisation_id",), ("person__organisation__region__code",)
    ),
    m.MeasurementStandard: Policy(True, ("owner_id",), ("owner__region__code",)),
    m.Instrument: Policy(False, ("owner_id",), ("region__code",)),
    m.ReferenceMaterial: Policy(True, ("producer_id",), ("producer__region__code",)),
    m.CMC: Policy(True, ("provider_id",), ("provider__region__code",)),
    m.CalibrationEvent: Policy(
        False,
        ("performed_by_id", "instrument__owner_id", "standard__owner_id"),
        ("instrument__region__code", "performed_by__region__code", "standard__owner__region__code"),
    ),
}


def _profile(user):
    return getattr(user, "profile", None) if user is not None and user.is_authenticated else None


def user_organisation_id(user) -> int | None:
    profile = _profile(user)
    return profile.organisation_id if profile else None


def user_region_prefix(user) -> str | None:
    """Region-code prefix of a regulator's or inspector's area (None: no area, sees nothing)."""
    profile = _profile(user)
    region = None
    if profile is not None:
        region = profile.region or (profile.organisation.region if profile.organisation else None)
    return region.prefix if region is not None else None


def _any(paths: tuple[str, ...], suffix: str, value) -> Q:
    return reduce(or_, (Q(**{f"{p}{suffix}": value}) for p in paths), Q(pk__in=[]))


def readable(user, model: type[models.Model], queryset=None):
    """The records of ``model`` that ``user`` may read."""
    policy = POLICIES[model]
    qs = model._default_manager.all() if queryset is None else queryset
    role = role_of(user)
    if role is Role.ADMIN:
        return qs
    if role in (Role.REGULATOR, Role.INSPECTOR):
        prefix = user_region_prefix(user)
        if policy.public:
            return qs
        if prefix is None or not policy.region_paths:
            return qs.none()
        return qs.filter(_any(policy.region_paths, "__startswith", prefix)).distinct()
    visible = Q() if policy.public else Q(pk__in=[])
    org_id = user_organisation_id(user)
    if role in (Role.LAB_STAFF, Role.ENTERPRISE) and org_id is not None and policy.org_paths:
        if policy.public:
            return qs
        return qs.filter(visible | _any(policy.org_paths, "", org_id)).distinct()
    return qs if policy.public else qs.none()


def _resolve(obj: models.Model, path: str):
    value = obj
    for part in path.split("__"):
        if value is None:
            return None
        value = getattr(value, part, None)
    return value


def can_write(user, obj: models.Model) -> bool:
    """May ``user`` create ``obj`` (unsaved) or change it (saved), in its current field values?

    Registry models answer from the authority model (:mod:`.authority`); the others from their
    ownership :class:`Policy`.
    """
    from .authority import RULES, may

    if type(obj) in RULES:
        return may(user, obj, "update" if obj.pk else "create")
    role = role_of(user)
    if role is Role.ADMIN:
        return True
    policy = POLICIES[type(obj)]
    if role is Role.REGULATOR:
        prefix = user_region_prefix(user)
        region_code = _resolve(obj, policy.region_paths[0]) if policy.region_paths else None
        return bool(
            policy.regulator_writes
            and prefix
            and region_code
            and str(region_code).startswith(prefix)
        )
    if role in (Role.LAB_STAFF, Role.ENTERPRISE) and policy.org_paths:
        org_id = user_organisation_id(user)
        return org_id is not None and _resolve(obj, policy.org_paths[0]) == org_id
    return False
