"""Authentication backends: the failed-login lockout in front of the password check."""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off, get_failure_limit
from django.http import HttpResponse
from django.shortcuts import render


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check (first in ``AUTHENTICATION_BACKENDS``).

    Every web login (``/login/``, ``/admin/login/``) authenticates with its request, so axes
    counts the failure and refuses a locked-out username+IP before any password is hashed.
    A call without a request comes from code on the server — a management command, the test
    client's ``login()`` — not from a remote guesser; there is no client address to lock, so
    it is passed on to the password backend instead of raising axes'
    ``AxesBackendRequestParameterRequired``.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """The lockout page (HTTP 429), in the user's language, with the cool-off in minutes."""
    cooloff = get_cool_off(request)
    context = {
        "failure_limit": get_failure_limit(request, credentials),
        "cooloff_minutes": round(cooloff.total_seconds() / 60) if cooloff else None,
    }
    return render(request, "accounts/locked_out.html", context, status=429)
