"""Sets the audit actor for the duration of each request."""

from __future__ import annotations

from .context import acting_as

REASON_HEADER = "HTTP_X_CHANGE_REASON"


class AuditContextMiddleware:
    """Attributes every change made while serving a request to the request's user.

    The reason comes from the ``X-Change-Reason`` header (API clients) or a ``change_reason``
    form field (pages); the API layer refines the user after token authentication.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        reason = request.META.get(REASON_HEADER, "")
        if not reason and request.method == "POST":
            reason = request.POST.get("change_reason", "")
        with acting_as(getattr(request, "user", None), reason[:500]):
            return self.get_response(request)
