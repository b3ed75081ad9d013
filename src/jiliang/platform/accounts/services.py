"""Creating users with a role, organisation and region (CLI, demo and tests share this)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from .models import Profile
from .roles import GROUP_ROLES, Role


class UserSetupError(ValueError):
    """A user could not be created; the message names the bad field."""


def ensure_groups() -> None:
    for role in GROUP_ROLES:
        Group.objects.get_or_create(name=role.value)


@transaction.atomic
def create_user(
    username: str,
    password: str,
    role: str,
    *,
    organisation: str | None = None,
    region: str | None = None,
    email: str = "",
):
    """Create a user with ``role``; ``organisation``/``region`` are a credit code / GB/T code."""
    from jiliang.platform.registry.models import Organisation, Region

    try:
        role_enum = Role(role)
    except ValueError:
        raise UserSetupError(
            f"role: unknown role {role!r}; choose one of "
            + ", ".join(r.value for r in Role if r is not Role.PUBLIC)
        ) from None
    User = get_user_model()
    if User.objects.filter(username=username).exists():
        raise UserSetupError(f"username: {username!r} already exists")
    org = None
    if organisation:
        org = Organisation.objects.filter(code=organisation).first()
        if org is None:
            raise UserSetupError(f"organisation: unknown organisation code {organisation!r}")
    reg = None
    if region:
        reg = Region.objects.filter(code=region).first()
        if reg is None:
            raise UserSetupError(f"region: unknown region code {region!r}")
    if role_enum in (Role.LAB_STAFF, Role.ENTERPRISE) and org is None:
        raise UserSetupError(f"organisation: required for role {role_enum.value}")
    if role_enum in (Role.REGULATOR, Role.INSPECTOR) and reg is None and org is None:
        raise UserSetupError(f"region: required for role {role_enum.value}")
    try:
        # AUTH_PASSWORD_VALIDATORS (length, common, numeric, similarity to the user's names):
        # the same rules as the admin and password-change forms, for the CLI and the demo too
        validate_password(password, user=User(username=username, email=email))
    except ValidationError as exc:
        raise UserSetupError("password: " + " ".join(exc.messages)) from None
    is_admin = role_enum is Role.ADMIN
    user = User.objects.create_user(
        username, email=email, password=password, is_staff=is_admin, is_superuser=is_admin
    )
    if not is_admin:
        ensure_groups()
        user.groups.add(Group.objects.get(name=role_enum.value))
    Profile.objects.create(user=user, organisation=org, region=reg)
    return user
