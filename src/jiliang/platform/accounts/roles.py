"""The platform's roles, each a Django group.

| role | reads | writes |
|---|---|---|
| regulator (市场监管部门) | everything in their region | organisations in their region |
| lab_staff (检定/校准机构人员) | public records + own organisation's | own organisation's records |
| enterprise (企业用户) | public records + own organisation's | own organisation's records |
| inspector (监督检查人员) | everything in their region | nothing in the registry |
| public (anonymous) | public records only | nothing |
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    REGULATOR = "regulator"
    LAB_STAFF = "lab_staff"
    ENTERPRISE = "enterprise"
    INSPECTOR = "inspector"
    PUBLIC = "public"
    ADMIN = "admin"


GROUP_ROLES = (Role.REGULATOR, Role.LAB_STAFF, Role.ENTERPRISE, Role.INSPECTOR)


def role_of(user) -> Role:
    """The single role that governs ``user``'s access (superusers are ``admin``)."""
    if user is None or not user.is_authenticated:
        return Role.PUBLIC
    if user.is_superuser:
        return Role.ADMIN
    cached = getattr(user, "_jiliang_role", None)
    if cached is not None:
        return cached
    names = set(user.groups.values_list("name", flat=True))
    role = next((r for r in GROUP_ROLES if r.value in names), Role.PUBLIC)
    user._jiliang_role = role
    return role
