"""The certificates section of a lab's home page: its certificates by workflow status and the
ones still to finish (draft, in review), newest first. Other roles: nothing (None)."""

from __future__ import annotations

from django.db.models import Count
from django.http import HttpRequest
from django.template.loader import render_to_string

from jiliang.platform.accounts.roles import Role, role_of
from jiliang.platform.registry.permissions import readable, user_organisation_id

from .models import Certificate

#: how many unfinished certificates the home page lists
PENDING_ROWS = 10
PENDING = (Certificate.Status.DRAFT, Certificate.Status.IN_REVIEW)


def home_panel(request: HttpRequest) -> str | None:
    user = request.user
    org = user_organisation_id(user)
    if role_of(user) is not Role.LAB_STAFF or org is None:
        return None
    own = readable(user, Certificate).filter(event__performed_by_id=org)
    by_status = dict(own.values_list("status").annotate(n=Count("id")).order_by())
    if not by_status:
        return None
    labels = dict(Certificate.Status.choices)
    pending = own.filter(status__in=PENDING).select_related("event").order_by("-created")
    return render_to_string(
        "certificates/_home.html",
        {
            "statuses": [
                {"key": k, "label": labels[k], "n": n} for k, n in sorted(by_status.items())
            ],
            "pending": list(pending[:PENDING_ROWS]),
        },
        request=request,
    )
