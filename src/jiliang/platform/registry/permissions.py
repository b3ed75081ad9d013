"""Object-level scoping: who may read and write which registry records.

One table (:data:`POLICIES`) says, per model, whether the public may read it, which lookups lead
to the organisation that owns a record and which lead to its region. Views and the API both ask
:func:`readable`, :func:`can_write`; nothing else decides access.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Q
from django.db.models.fields.related_descriptors import ReverseOneToOneDescriptor

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


#: Models deliberately without a :data:`POLICIES` entry, each with the rule that governs it
#: instead (issue 12: a new model's access rule is a decision, not an accident; the guard test
#: ``tests/platform/test_policy_coverage.py`` fails on a model in neither table). Apps add theirs
#: in ``AppConfig.ready`` with :func:`exempt_from_policy`.
POLICY_EXEMPT: dict[str, str] = {
    "admin.LogEntry": "Django admin internals; the admin site is for superusers only",
    "auth.Permission": "created by migrations; never served by an API or page",
    "auth.Group": "roles (accounts.roles); changed by admins through accounts.services",
    "auth.User": "a user reads their own account; admins manage users (accounts.services)",
    "contenttypes.ContentType": "Django internals; never served",
    "sessions.Session": "Django internals; read only by the session middleware",
    "axes.AccessFailureLog": "django-axes login throttling; admin only",
    "axes.AccessAttempt": "django-axes login throttling; admin only",
    "axes.AccessAttemptExpiration": "django-axes login throttling; admin only",
    "axes.AccessLog": "django-axes login throttling; admin only",
    "accounts.Profile": "read with its user (role, organisation, region); set by admins only",
    "accounts.ApiToken": "a user lists and revokes only their own tokens (accounts.api)",
    "audit.AuditEntry": "read through the audited record's own policy (registry history views)",
}


def exempt_from_policy(label: str, reason: str) -> None:
    """Leave the model ``label`` (``app_label.ModelName``) out of :data:`POLICIES`, naming the
    rule that decides its reads and writes instead (call from ``AppConfig.ready``)."""
    if not reason.strip():
        raise ValueError(f"exempt_from_policy({label!r}): a reason is required")
    POLICY_EXEMPT[label] = reason


#: Extra read grants per model, contributed by other apps (registry does not know them): each is
#: called as ``grant(user)`` and returns a ``Q`` over the model of further records that user may
#: read (never write), or ``None``. Supervision: a lab reads the instruments whose compulsory
#: verification is assigned to it. Register in ``AppConfig.ready`` with :func:`register_read_grant`.
READ_GRANTS: dict[type[models.Model], list[Callable[[object], Q | None]]] = {}


def register_read_grant(model: type[models.Model], grant: Callable[[object], Q | None]) -> None:
    """Let ``grant(user)`` widen what :func:`readable` returns for ``model`` (reads only)."""
    grants = READ_GRANTS.setdefault(model, [])
    if grant not in grants:
        grants.append(grant)


def _granted(user, model: type[models.Model]) -> Q | None:
    found = [q for grant in READ_GRANTS.get(model, ()) if (q := grant(user)) is not None]
    return reduce(or_, found) if found else None


def _profile(user):
    """``user.profile`` (None when signed out or without one), read once per user object with
    its region and organisation (and that organisation's region) in the same query: the read
    scope asks for the region of the profile or of its organisation on every page, which was
    two queries (profile, then region) on each request."""
    if user is None or not user.is_authenticated:
        return None
    descriptor = getattr(user.__class__, "profile", None)  # __class__: request.user is lazy
    if isinstance(descriptor, ReverseOneToOneDescriptor) and not descriptor.is_cached(user):
        related = descriptor.related
        profile = (
            related.related_model._default_manager.select_related("region", "organisation__region")
            .filter(**{related.field.name: user})
            .first()
        )
        related.set_cached_value(user, profile)
    return getattr(user, "profile", None)


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


@dataclass(frozen=True)
class _Scope:
    """What :func:`readable` selects: every row, none, or the rows ``where`` matches."""

    everything: bool = False
    where: Q | None = None
    distinct: bool = False


_ALL, _NONE = _Scope(everything=True), _Scope()


def _read_scope(user, model: type[models.Model]) -> _Scope:
    """The read decision itself, without building a queryset (menus ask it a dozen times a
    page: compiling a filter each time cost ~4 ms a request)."""
    policy = POLICIES[model]
    role = role_of(user)
    if role is Role.ADMIN or policy.public:
        return _ALL
    if role in (Role.REGULATOR, Role.INSPECTOR):
        prefix = user_region_prefix(user)
        if prefix is None or not policy.region_paths:
            return _NONE
        where = _any(policy.region_paths, "__startswith", prefix)
        return _Scope(where=where, distinct=_multi_valued(model, policy.region_paths))
    org_id = user_organisation_id(user)
    own = (
        _any(policy.org_paths, "", org_id)
        if role in (Role.LAB_STAFF, Role.ENTERPRISE) and org_id is not None and policy.org_paths
        else None
    )
    granted = _granted(user, model)
    allowed = [q for q in (own, granted) if q is not None]
    if not allowed:
        return _NONE
    # a grant's Q may follow a reverse relation (assigned tasks): only then can rows repeat
    repeats = granted is not None or _multi_valued(model, policy.org_paths)
    return _Scope(where=reduce(or_, allowed), distinct=repeats)


def readable(user, model: type[models.Model], queryset=None):
    """The records of ``model`` that ``user`` may read."""
    qs = model._default_manager.all() if queryset is None else queryset
    scope = _read_scope(user, model)
    if scope.everything:
        return qs
    if scope.where is None:
        return qs.none()
    scoped = qs.filter(scope.where)
    return scoped.distinct() if scope.distinct else scoped


def _multi_valued(model: type[models.Model], paths: tuple[str, ...]) -> bool:
    """Does any lookup path cross a to-many relation (reverse FK, many-to-many)?

    Only such a join can repeat a row. ``DISTINCT`` is kept for those and dropped for forward
    foreign keys: on a 10⁵-row list a ``COUNT(*) FROM (SELECT DISTINCT …)`` costs hundreds of
    ms (every column of every row de-duplicated) where the plain count reads an index.
    """
    for path in paths:
        current = model
        for part in path.split("__"):
            try:
                field = current._meta.get_field(part)
            except FieldDoesNotExist:
                break  # a lookup (startswith, …), not a relation: the path ends here
            if field.many_to_many or field.one_to_many:
                return True
            if not field.is_relation:
                break
            current = field.related_model
    return False


def can_read_any(user, model: type[models.Model]) -> bool:
    """Can ``user`` read records of ``model`` at all (menus, home cards)?

    Decided by :func:`readable`'s own scope, without a query: ``False`` exactly when the policy
    gives the user nothing, so a page whose every row would be hidden is not offered.
    """
    scope = _read_scope(user, model)
    return scope.everything or scope.where is not None


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
