"""Who is asking and why: the request's user (bearer token or session) and change reason."""

from __future__ import annotations

from django.http import HttpRequest

#: longest change reason kept from the ``X-Change-Reason`` header (characters)
REASON_MAX = 500


def current_user(request: HttpRequest):
    """The token's user for a bearer-token API call, else the session's (maybe anonymous)."""
    auth = getattr(request, "auth", None)
    return auth if getattr(auth, "is_authenticated", False) else request.user


def change_reason(request: HttpRequest) -> str:
    """The ``X-Change-Reason`` header (变更原因), cut to :data:`REASON_MAX` characters, for the
    audit trail."""
    return request.headers.get("X-Change-Reason", "")[:REASON_MAX]
