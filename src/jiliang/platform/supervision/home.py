"""The supervision sections of the home page, one per role (registered on the registry home).

- regulators, inspectors (and admins): the filings of their region by schedule status, the
  verifications assigned and still to do, the unread notifications, links to the dashboard;
- lab staff: the verifications assigned to their institution, by state (承检任务);
- enterprises: their filed instruments with the nearest deadlines first (到期日).

Every figure is counted over what the user can read (``readable``/``assigned_filings``), and a
section with nothing to show is left out rather than shown as zeros.
"""

from __future__ import annotations

from django.db.models import Count
from django.http import HttpRequest
from django.template.loader import render_to_string

from jiliang.platform.accounts.roles import Role, role_of
from jiliang.platform.registry.permissions import readable

from . import verifications as portal_svc
from .access import reads_region
from .models import Filing, Notification

#: how many of an enterprise's nearest deadlines the home page lists
DUE_ROWS = 10


def _region_figures(user) -> dict | None:
    """Filings in force in the supervisor's region, by status (None: not a supervisor)."""
    if reads_region(user) is None:
        return None
    filings = readable(user, Filing, Filing.objects.active())
    by_status = dict(filings.values_list("status").annotate(n=Count("id")).order_by())
    total = sum(by_status.values())
    labels = dict(Filing.Status.choices)
    return {
        "total": total,
        "statuses": [
            {"key": key, "label": labels[key], "n": by_status[key]}
            for key in ("overdue", "must_replace", "due_soon", "ok", "unknown")
            if by_status.get(key)
        ],
        "unassigned": filings.filter(assigned_to__isnull=True)
        .exclude(status=Filing.Status.NOT_COMPULSORY)
        .count(),
    }


def _assigned(user) -> dict | None:
    """The lab's assigned verifications per portal state (None: not institution staff)."""
    if portal_svc.institution_of(user) is None:
        return None
    base = portal_svc.assigned_filings(user)
    counts = {k: base.filter(status__in=v).count() for k, v in portal_svc.STATES.items()}
    return {"total": base.count(), **counts}


def _own_deadlines(user) -> list | None:
    """An enterprise's filed instruments, nearest deadline first (None: not an enterprise)."""
    if role_of(user) is not Role.ENTERPRISE:
        return None
    filings = readable(user, Filing, Filing.objects.active()).select_related("instrument")
    return list(filings.filter(due_date__isnull=False).order_by("due_date", "pk")[:DUE_ROWS])


def home_panel(request: HttpRequest) -> str | None:
    """The user's supervision section of the home page, or None (anonymous, nothing to show)."""
    user = request.user
    if not user.is_authenticated:
        return None
    region = _region_figures(user)
    assigned = _assigned(user)
    deadlines = _own_deadlines(user)
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
    if not (
        (region and region["total"]) or (assigned and assigned["total"]) or deadlines or unread
    ):
        return None
    return render_to_string(
        "supervision/_home.html",
        {
            "region": region if region and region["total"] else None,
            "assigned": assigned if assigned and assigned["total"] else None,
            "deadlines": deadlines,
            "unread": unread,
        },
        request=request,
    )
