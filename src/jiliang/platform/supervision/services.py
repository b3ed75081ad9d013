"""Supervision services: filings, schedule sweep, notifications, coverage, risk.

Every rule and number comes from :mod:`jiliang.core.legal`; this module loads records into plain
dataclasses / numpy arrays, calls the core and stores what it returns.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from jiliang.core.legal import Catalogue, FiledInstrument, schedule
from jiliang.core.legal import coverage as cov
from jiliang.core.legal.catalogue import Use
from jiliang.core.legal.risk import RiskSubject, rank
from jiliang.platform.accounts.roles import Role
from jiliang.platform.registry.models import CalibrationEvent, Instrument, Region, Scope

from .models import CoverageSnapshot, Filing, Notification
from .notices import message_fields, send_digest

#: filing parameters the catalogue conditions read, with their type
PARAMS = {"dn_mm": float, "g_size": float, "type": str}
#: filing column holding each parameter (a copy of ``Filing.params`` kept by ``Filing.save``)
PARAM_COLUMNS = {"dn_mm": "dn_mm", "g_size": "g_size", "type": "param_type"}
CHUNK = 5_000


@lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    """The catalogue in force (shipped rule tables; bureau overrides load through RuleBook)."""
    return Catalogue.from_rulebook()


def today() -> dt.date:
    return timezone.localdate()


def grace_days() -> int:
    return int(getattr(settings, "SUPERVISION_GRACE_DAYS", 30))


def clean_params(raw) -> tuple[dict, dict[str, str]]:
    """Typed filing parameters and errors ``{"params": msg}``."""
    if raw in (None, ""):
        return {}, {}
    if not isinstance(raw, dict):
        return {}, {"params": 'params must be an object such as {"dn_mm": 20}'}
    out, errors = {}, []
    for name, value in raw.items():
        if name not in PARAMS:
            errors.append(f"unknown parameter {name!r}; known {sorted(PARAMS)}")
            continue
        if value in (None, ""):
            continue
        try:
            out[name] = PARAMS[name](value)
        except (TypeError, ValueError):
            errors.append(f"parameter {name!r} must be a {PARAMS[name].__name__}")
    return out, ({"params": "; ".join(errors)} if errors else {})


def check_filing(item_code: str, use: str, params) -> dict[str, str]:
    """Field-named errors of a filing's item code, use and parameters (empty: fine)."""
    cat = catalogue()
    if item_code not in cat:
        return {"item_code": f"item_code {item_code!r} is not in catalogue {cat.table.edition}"}
    if use not in {u.value for u in Use}:
        return {"use": f"use {use!r} must be one of {[u.value for u in Use]}"}
    params, errors = clean_params(params)
    if errors:
        return errors
    try:
        cat.resolve(item_code, use, params)
    except ValueError as exc:
        return {"params": str(exc)}
    return {}


def filed(f: Filing) -> FiledInstrument:
    """The filing as the core's plain record."""
    return FiledInstrument(
        id=str(f.pk),
        item_code=f.item_code,
        use=f.use,
        params=f.params or {},
        first_verified=f.first_verified,
        last_verified=f.last_verified,
        last_result=f.last_result or None,
    )


SCHEDULE_FIELDS = ["status", "due_date", "replace_date", "status_reason", "status_as_of"]


def apply_schedule(f: Filing, as_of: dt.date) -> Filing:
    """Set the schedule cache fields of ``f`` from :func:`jiliang.core.legal.schedule`."""
    try:
        entry = schedule(filed(f), catalogue(), as_of)
    except (KeyError, ValueError) as exc:
        f.status, f.due_date, f.replace_date = Filing.Status.UNKNOWN, None, None
        f.status_reason = str(exc)[:300]
    else:
        f.status, f.due_date, f.replace_date = (
            entry.status.value,
            entry.due_date,
            entry.replace_date,
        )
        f.status_reason = f"{entry.reason} — {entry.rule}"[:300]
    f.status_as_of = as_of
    return f


def verification_state(instrument_id: int) -> dict:
    """First/last verification of an instrument from the registry's verification events."""
    events = CalibrationEvent.objects.filter(
        instrument_id=instrument_id,
        kind=CalibrationEvent.Kind.VERIFICATION,
        withdrawn=False,
        conformity__in=["pass", "fail"],
    ).order_by("performed_on", "id")
    first = events.first()
    last = events.last()
    if last is None:
        return {}
    return {
        "first_verified": first.performed_on,
        "last_verified": last.performed_on,
        "last_result": last.conformity,
        "last_certificate": last.certificate_no,
        "verified_by_id": last.performed_by_id,
    }


def sync_filing(f: Filing, as_of: dt.date | None = None) -> Filing:
    """Refresh verification state from the registry and the schedule; saves."""
    for name, value in verification_state(f.instrument_id).items():
        setattr(f, name, value)
    apply_schedule(f, as_of or today())
    f.save()
    return f


def refresh_schedules(qs=None, as_of: dt.date | None = None) -> int:
    """Recompute the schedule cache of many filings (bulk update, no audit: a derived cache)."""
    as_of = as_of or today()
    qs = (qs if qs is not None else Filing.objects.all()).order_by("pk")
    n = 0
    batch = []
    for f in qs.iterator(chunk_size=CHUNK):
        batch.append(apply_schedule(f, as_of))
        if len(batch) >= CHUNK:
            Filing.objects.bulk_update(batch, SCHEDULE_FIELDS)
            n += len(batch)
            batch = []
    if batch:
        Filing.objects.bulk_update(batch, SCHEDULE_FIELDS)
        n += len(batch)
    return n


# ---------------------------------------------------------------- notifications and escalation


def _members(org_ids) -> dict[int, list]:
    User = get_user_model()
    out = defaultdict(list)
    for u in User.objects.filter(
        profile__organisation_id__in=org_ids, is_active=True
    ).select_related("profile"):
        out[u.profile.organisation_id].append(u)
    return out


def _regulators() -> list[tuple[str, object]]:
    User = get_user_model()
    users = User.objects.filter(groups__name=Role.REGULATOR.value, is_active=True).select_related(
        "profile__region", "profile__organisation__region"
    )
    out = []
    for u in users:
        p = getattr(u, "profile", None)
        region = p and (p.region or (p.organisation.region if p.organisation else None))
        if region is not None:
            out.append((region.prefix, u))
    return out


@dataclass
class SweepReport:
    refreshed: int
    notified: int
    escalated: int
    emails: int


@transaction.atomic
def sweep(as_of: dt.date | None = None, grace: int | None = None) -> SweepReport:
    """The daily supervision sweep; running it twice on one day changes nothing the second time.

    1. refresh every filing's schedule from the core;
    2. notify the owner's users of due-soon, overdue and must-replace filings (once per
       filing, kind and deadline), by in-app notification and e-mail;
    3. escalate filings still overdue ``grace`` days after their deadline to the regulators of
       their region;
    4. write today's coverage snapshot per county (trend chart).
    """
    as_of = as_of or today()
    grace = grace_days() if grace is None else grace
    refreshed = refresh_schedules(as_of=as_of)
    flagged = Filing.objects.filter(
        status__in=["due_soon", "overdue", "must_replace"]
    ).select_related("instrument__owner", "instrument__region")
    members = _members(flagged.values_list("instrument__owner_id", flat=True).distinct())
    regulators = _regulators()
    existing = set(
        Notification.objects.filter(filing__in=flagged).values_list(
            "recipient_id", "filing_id", "kind", "reference_date"
        )
    )
    new: list[Notification] = []
    escalated = 0
    for f in flagged.iterator(chunk_size=CHUNK):
        ref = f.deadline or timezone.localtime(f.filed_at).date()
        for user in members.get(f.instrument.owner_id, ()):
            key = (user.pk, f.pk, f.status, ref)
            if key not in existing:
                existing.add(key)
                new.append(
                    Notification(
                        recipient=user,
                        filing=f,
                        kind=f.status,
                        reference_date=ref,
                        **message_fields(f, f.status),
                    )
                )
        if f.status in ("overdue", "must_replace") and (as_of - ref).days > grace:
            code = f.instrument.region.code
            for prefix, user in regulators:
                key = (user.pk, f.pk, "escalation", ref)
                if code.startswith(prefix) and key not in existing:
                    existing.add(key)
                    escalated += 1
                    new.append(
                        Notification(
                            recipient=user,
                            filing=f,
                            kind="escalation",
                            reference_date=ref,
                            **message_fields(f, "escalation"),
                        )
                    )
    Notification.objects.bulk_create(new, batch_size=1000)
    emails = _email(new)
    snapshot(as_of)
    return SweepReport(refreshed, len(new), escalated, emails)


def _email(notes: list[Notification]) -> int:
    """One digest e-mail per recipient with an address; marks the notifications e-mailed."""
    by_user = defaultdict(list)
    for n in notes:
        if n.recipient.email:
            by_user[n.recipient].append(n)
    sent = 0
    for user, items in by_user.items():
        # each recipient reads the digest in their own notification language (.notices)
        if send_digest(user, items):
            sent += 1
            Notification.objects.filter(pk__in=[n.pk for n in items if n.pk]).update(emailed=True)
    return sent


# ---------------------------------------------------------------- coverage


DATE_COLUMNS = ("first_verified", "last_verified")


def _column_query(region_ids: list[int] | None):
    """One SELECT of the coverage columns: dates as day numbers, region as id, no ORDER BY."""
    from django.db.models import F, Func, IntegerField

    def days(name: str):
        """Days since 1970-01-01 as an integer (NO_DATE when empty): no date parsing per row."""
        if connection.vendor == "sqlite":
            template = "COALESCE(CAST(julianday(%(expressions)s) - 2440587.5 AS INTEGER), {n})"
        else:
            template = "COALESCE((%(expressions)s - DATE '1970-01-01'), {n})"
        return Func(F(name), template=template.format(n=NO_DATE), output_field=IntegerField())

    qs = Filing.objects.order_by()  # no ORDER BY: rows are aggregated, not listed
    if region_ids is not None:
        qs = qs.filter(instrument__region_id__in=region_ids)
    return qs.annotate(
        **{f"_{d}": days(d) for d in DATE_COLUMNS},
    ).values_list(
        "item_code",
        "use",
        "last_result",
        "instrument__region_id",
        "instrument__owner_id",
        *(f"_{d}" for d in DATE_COLUMNS),
        *PARAM_COLUMNS.values(),
    )


NO_DATE = -(10**6)


def _regions(prefix: str | None) -> dict[int, str]:
    """Region id → GB/T 2260 code under ``prefix`` (all when None)."""
    qs = Region.objects.all()
    if prefix:
        qs = qs.filter(code__startswith=prefix)
    return dict(qs.values_list("id", "code"))


def _text(values) -> np.ndarray:
    return np.array(values, dtype=str) if len(values) else np.array([], dtype="U1")


def _param(values, kind) -> np.ndarray:
    if kind is str:
        return _text(values)
    out = np.full(len(values), np.nan)
    col = np.array(values, dtype=object)
    have = col != None  # noqa: E711 — element-wise comparison
    out[have] = col[have].astype(float)
    return out


def load_columns(prefix: str | None = None) -> dict[str, np.ndarray]:
    """Filing columns of a region as numpy arrays, in one SQL query (raw rows, no ORM objects)."""
    # A large area is read whole and masked in numpy: filtering it in SQL makes SQLite walk the
    # region index and fetch filings one by one (≈ 2× slower for a province of 10⁶).
    everywhere = _regions(None)
    wanted = _regions(prefix) if prefix else everywhere
    in_sql = len(wanted) < len(everywhere) / 2
    sql, params = _column_query(list(wanted) if in_sql else None).query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    width = 5 + len(DATE_COLUMNS) + len(PARAMS)
    cols = list(zip(*rows, strict=True)) if rows else [() for _ in range(width)]
    if not in_sql and len(wanted) < len(everywhere):
        keep = np.isin(np.array(cols[3], dtype=np.int64), list(wanted))
        cols = [np.asarray(c, dtype=object)[keep] if len(c) else c for c in cols]
    dates = {}
    for k, d in enumerate(DATE_COLUMNS):
        n = np.array(cols[5 + k], dtype=np.int64)
        dates[d] = n.astype("datetime64[D]")
        dates[d][n == NO_DATE] = np.datetime64("NaT")
    base = 5 + len(DATE_COLUMNS)
    return {
        "item_code": _text(cols[0]),
        "use": _text(cols[1]),
        "last_passed": _text(cols[2]) == "pass",
        "region": np.array(cols[3], dtype=np.int64),  # region ids; codes mapped after grouping
        "owner": np.array(cols[4], dtype=np.int64),
        **dates,
        **{name: _param(cols[base + k], t) for k, (name, t) in enumerate(PARAMS.items())},
    }


@dataclass
class Coverage:
    as_of: dt.date
    total: int
    on_time: int
    overdue: int
    groups: dict  # grouping name → [GroupShare]
    capability: list  # [CapabilityShare]

    @property
    def share(self) -> float:
        return self.on_time / self.total if self.total else float("nan")


def coverage(prefix: str | None = None, as_of: dt.date | None = None) -> Coverage:
    """Verified-on-time coverage by region, item, use and owner + capability coverage."""
    as_of = as_of or today()
    c = load_columns(prefix)
    cat = catalogue()
    mode, months = cov.rules_for_arrays(cat, c["item_code"], c["use"], {k: c[k] for k in PARAMS})
    deadline = cov.deadlines(mode, months, c["first_verified"], c["last_verified"])
    ok = cov.on_time_mask(mode, deadline, c["last_verified"], c["last_passed"], as_of)
    report = cov.coverage_report(
        {"region": c["region"], "item_code": c["item_code"], "use": c["use"], "owner": c["owner"]},
        mode,
        ok,
    )
    codes = _regions(None)
    report["region"] = [
        cov.GroupShare(codes[int(g.key)], g.total, g.on_time) for g in report["region"]
    ]
    report["region"].sort(key=lambda g: g.key)
    compulsory = mode != cov.MODE_NONE
    total, on_time = int(compulsory.sum()), int(ok.sum())
    return Coverage(as_of, total, on_time, total - on_time, report, capability(prefix, as_of))


def capability(prefix: str | None, as_of: dt.date) -> list:
    """Capability coverage per region from authorisation scopes valid on ``as_of``."""
    cat = catalogue()
    scopes = Scope.objects.filter(
        kind__in=[Scope.Kind.AUTHORISATION, Scope.Kind.STATUTORY],
        valid_from__lte=as_of,
        valid_to__gte=as_of,
        organisation__is_active=True,
        instrument_category__in=cat.verification_codes(),
    )
    regions = Region.objects.all()
    if prefix:
        scopes = scopes.filter(organisation__region__code__startswith=prefix)
        regions = regions.filter(code__startswith=prefix)
    pairs = scopes.values_list("organisation__region__code", "instrument_category").distinct()
    return cov.capability_coverage(cat, list(pairs), regions.values_list("code", flat=True))


def snapshot(as_of: dt.date) -> int:
    """Store today's per-region (instrument region) on-time counts for the trend chart."""
    report = coverage(None, as_of)
    rows = [
        CoverageSnapshot(
            day=as_of,
            region_code=g.key,
            total=g.total,
            on_time=g.on_time,
            overdue=g.total - g.on_time,
        )
        for g in report.groups.get("region", [])
    ]
    CoverageSnapshot.objects.filter(day=as_of).delete()
    CoverageSnapshot.objects.bulk_create(rows)
    return len(rows)


def trend(prefix: str | None, days: int = 365) -> list[dict]:
    """Daily totals of the snapshots under ``prefix`` (oldest first)."""
    qs = CoverageSnapshot.objects.filter(day__gte=today() - dt.timedelta(days=days))
    if prefix:
        qs = qs.filter(region_code__startswith=prefix)
    out: dict[dt.date, dict] = {}
    for day, total, on_time, overdue in qs.values_list("day", "total", "on_time", "overdue"):
        row = out.setdefault(day, {"day": day.isoformat(), "total": 0, "on_time": 0, "overdue": 0})
        row["total"] += total
        row["on_time"] += on_time
        row["overdue"] += overdue
    return [out[d] for d in sorted(out)]


# ---------------------------------------------------------------- risk


def risk_list(prefix: str | None, as_of: dt.date | None = None, limit: int = 50) -> list[dict]:
    """Instruments ranked by :func:`jiliang.core.legal.risk.rank` (overdue, failures…)."""
    as_of = as_of or today()
    since = as_of - dt.timedelta(days=3 * 365)
    qs = Filing.objects.select_related("instrument__owner")
    if prefix:
        qs = qs.filter(instrument__region__code__startswith=prefix)
    qs = qs.annotate(
        n_fail=Count(
            "instrument__calibrations",
            filter=Q(
                instrument__calibrations__conformity="fail",
                instrument__calibrations__performed_on__gte=since,
            ),
            distinct=True,
        ),
        n_complaints=Count("instrument__complaints", distinct=True),
    ).filter(Q(status__in=["overdue", "must_replace"]) | Q(n_fail__gt=0) | Q(n_complaints__gt=0))
    by_id = {}
    subjects = []
    for f in qs[:5000]:
        dl = f.deadline
        overdue = max((as_of - dl).days, 0) if dl and f.status == "overdue" else 0
        if f.status == "overdue" and dl is None:
            overdue = 365  # never verified
        by_id[str(f.pk)] = f
        subjects.append(
            RiskSubject(
                str(f.pk),
                "instrument",
                {"overdue_days": overdue, "failures": f.n_fail, "complaints": f.n_complaints},
            )
        )
    ranked = rank(subjects, as_of=as_of)[:limit]
    return [
        {"filing": by_id[r.id], "score": r.score, "level": r.level, "reasons": r.reasons}
        for r in ranked
    ]


def institutions_for(f: Filing, as_of: dt.date | None = None) -> list:
    """Authorised institutions whose valid scope covers the filing's item and whose area (region
    prefix) contains the instrument — the candidates to assign its verification to."""
    from jiliang.platform.registry.models import Organisation

    as_of = as_of or today()
    orgs = (
        Organisation.objects.filter(
            is_active=True,
            scopes__kind__in=[Scope.Kind.AUTHORISATION, Scope.Kind.STATUTORY],
            scopes__instrument_category=f.item_code,
            scopes__valid_from__lte=as_of,
            scopes__valid_to__gte=as_of,
        )
        .select_related("region")
        .distinct()
    )
    code = f.instrument.region.code
    return [o for o in orgs.order_by("name") if code.startswith(o.region.prefix)]


def instruments_of(user):
    """Instruments a user may file: their organisation's (admin: all)."""
    from jiliang.platform.registry.permissions import readable

    return readable(user, Instrument)
