"""Who may act as a supervisor (regulator/inspector) and where."""

from __future__ import annotations

from jiliang.platform.accounts.roles import Role, role_of
from jiliang.platform.registry.permissions import user_region_prefix


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
