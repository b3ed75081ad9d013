"""Who may act as a supervisor (regulator/inspector) and where."""

from __future__ import annotations

from django.db.models import Q

from jiliang.platform.accounts.roles import Role, role_of
from jiliang.platform.registry.permissions import user_organisation_id, user_region_prefix


def supervisor_prefix(user, roles=(Role.REGULATOR,)) -> str | None:
    """Region-code prefix the user supervises ('' = everywhere for admins; None = not allowed)."""
    role = role_of(user)
    if role is Role.ADMIN:
        return ""
    if role in roles:
        return user_region_prefix(user)
    return None


def reads_region(user) -> str | None:
    """Prefix of the area whose supervision data the user may read (regulators, inspectors)."""
    return supervisor_prefix(user, (Role.REGULATOR, Role.INSPECTOR))


def regulates_filing(user, filing) -> bool:
    """Is ``user`` a regulator (or admin) of the filed instrument's region?"""
    prefix = supervisor_prefix(user)
    return prefix is not None and filing.instrument.region.code.startswith(prefix)


def assigned_instruments(user) -> Q | None:
    """Read grant (registry ``Instrument``): the instruments whose compulsory verification is
    assigned to the lab-staff user's institution, so it can open what it is to verify (detail
    page, traceability chain). Only active filings count; reassigning or withdrawing a filing
    ends the grant. Other roles: ``None`` (nothing added)."""
    if role_of(user) is not Role.LAB_STAFF:
        return None
    org = user_organisation_id(user)
    if org is None:
        return None
    return Q(filing__assigned_to_id=org, filing__withdrawn_on__isnull=True)
