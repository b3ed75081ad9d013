"""``python -m jiliang.platform.manage supervise``: the daily supervision sweep (idempotent)."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from jiliang.platform.audit.context import acting_as
from jiliang.platform.supervision.services import sweep


class Command(BaseCommand):
    help = "Refresh schedules, notify owners, escalate overdue filings, snapshot coverage."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help="reporting date YYYY-MM-DD (default: today)")
        parser.add_argument("--grace-days", type=int, help="days overdue before escalation")

    def handle(self, *args, as_of=None, grace_days=None, **options):
        day = None
        if as_of:
            try:
                day = dt.date.fromisoformat(as_of)
            except ValueError:
                raise CommandError(f"--as-of: not a date: {as_of!r}") from None
        if grace_days is not None and grace_days < 0:
            raise CommandError("--grace-days must be ≥ 0")
        with acting_as(None, "supervision sweep"):
            report = sweep(day, grace_days)
        self.stdout.write(
            f"refreshed {report.refreshed} filings; {report.notified} notifications "
            f"({report.escalated} escalations); {report.emails} e-mails"
        )
