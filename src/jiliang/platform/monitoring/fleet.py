"""The fleet dashboard's figures (智能计量器具监控总览): flags by region and category, the
replacement backlog and open alarms, over what the user may read.

Every figure is a count of stored records — the verdicts are the core's, stored per run
(:class:`~.models.MeterEstimate`); nothing is re-estimated here. A meter's current verdict is
the one of the latest finished run of its area (an older run's verdict is history, not a flag).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count, Max

from jiliang.platform.registry.permissions import readable

from .models import Alarm, EstimationRun, MeterEstimate, WorkOrder

#: the verdicts shown as columns, in order (the others are summed into "other")
VERDICTS = ("out_of_tolerance", "inconclusive", "conforming")


@dataclass
class Fleet:
    """Counts behind the dashboard; ``by_region``/``by_category``: key → verdict → meters."""

    runs: int = 0
    meters: int = 0
    by_region: dict[tuple[str, str], Counter] = field(default_factory=dict)
    by_category: dict[str, Counter] = field(default_factory=dict)
    backlog: dict[tuple[str, str], int] = field(default_factory=dict)  # (kind, state) → orders
    alarms: dict[str, dict[str, int]] = field(default_factory=dict)  # kind → open, tamper


def latest_runs(user):
    """The latest finished run of every area the user may read (ids)."""
    done = readable(user, EstimationRun).filter(status=EstimationRun.Status.DONE)
    return done.values("area_id").annotate(last=Max("pk")).values_list("last", flat=True)


def fleet(user) -> Fleet:
    """The dashboard's counts for ``user`` (a regulator: their region; an owner: their areas)."""
    out = Fleet()
    run_ids = list(latest_runs(user))
    out.runs = len(run_ids)
    rows = (
        readable(user, MeterEstimate)
        .filter(run_id__in=run_ids)
        .values(
            "run__area__region__code",
            "run__area__region__name",
            "instrument__category",
            "verdict",
        )
        .annotate(n=Count("pk"))
    )
    for r in rows:
        region = (r["run__area__region__code"], r["run__area__region__name"])
        verdict = r["verdict"] if r["verdict"] in VERDICTS else "other"
        out.by_region.setdefault(region, Counter())[verdict] += r["n"]
        out.by_category.setdefault(r["instrument__category"], Counter())[verdict] += r["n"]
        out.meters += r["n"]
    orders = (
        readable(user, WorkOrder)
        .filter(state__in=WorkOrder.OPEN_STATES)
        .values("kind", "state")
        .annotate(n=Count("pk"))
    )
    out.backlog = {(o["kind"], o["state"]): o["n"] for o in orders}
    alarms = (
        readable(user, Alarm)
        .filter(resolved_at__isnull=True)
        .values("kind", "tamper")
        .annotate(n=Count("pk"))
    )
    for a in alarms:
        slot = out.alarms.setdefault(a["kind"], {"open": 0, "tamper": 0})
        slot["open"] += a["n"]
        if a["tamper"]:
            slot["tamper"] += a["n"]
    return out
