"""Supervision services: filings, schedule sweep, notifications, coverage, risk.

Every rule and number comes from :mod:`jiliang.core.legal`; this module loads records into plain
dataclasses / numpy arrays, calls the core and stores what it returns.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from jiliang.core.legal import Catalogue, FiledInstrument, schedule
from jiliang.core.legal import coverage as cov
from jiliang.core.legal.catalogue import Use, default_catalogue
from jiliang.core.legal.risk import RiskSubject, failures_since, overdue_days, rank
from jiliang.core.legal.supervision import escalation_grace_days
from jiliang.platform.accounts.roles import Role
from jiliang.platform.audit.context import acting_as
from jiliang.platform.registry.models import CalibrationEvent, Instrument, Region, Scope

from .access import regulates_filing
from .models import CoverageSnapshot, Filing, Notification
from .notices import message_fields, send_digest

#: filing parameters the catalogue conditions read, with their type
PARAMS = {"dn_mm": float, "g_size": float, "type": str}
#: filing column holding each parameter (a copy of ``Filing.params`` kept by ``Filing.save``)
PARAM_COLUMNS = {"dn_mm": "dn_mm", "g_size": "g_size", "type": "param_type"}
CHUNK = 5_000


def catalogue() -> Catalogue:
    """The catalogue in force (shipped rule tables; bureau overrides load through RuleBook)."""
    return default_catalogue()


def today() -> dt.date:
    return timezone.localdate()


def grace_days(as_of: dt.date | None = None) -> int:
    """Escalation grace (days): the ``supervision`` rule table's ``escalation_grace_days`` in
    force on ``as_of``, unless the ``SUPERVISION_GRACE_DAYS`` setting overrides it (see the
    settings module's table)."""
    override = getattr(settings, "SUPERVISION_GRACE_DAYS", None)
    if override is not None:
        return int(override)
    return escalation_grace_days(as_of=as_of)


#: how a parameter's type is named in an error message
_PARAM_KINDS = {float: gettext_lazy("数值"), int: gettext_lazy("整数")}


def clean_params(raw) -> tuple[dict, dict[str, str]]:
    """Typed filing parameters and errors ``{"params": msg}``."""
    if raw in (None, ""):
        return {}, {}
    if not isinstance(raw, dict):
        return {}, {"params": gettext("params 须为参数名到取值的对象，例如 {dn_mm: 20}")}
    out, errors = {}, []
    for name, value in raw.items():
        if name not in PARAMS:
            errors.append(
                gettext("未知参数 %(name)s；可用参数：%(known)s")
                % {"name": repr(name), "known": ", ".join(sorted(PARAMS))}
            )
            continue
        if value in (None, ""):
            continue
        try:
            out[name] = PARAMS[name](value)
        except (TypeError, ValueError):
            errors.append(
                gettext("参数 %(name)s 须为%(kind)s")
                % {"name": repr(name), "kind": _PARAM_KINDS.get(PARAMS[name], gettext("文本"))}
            )
    return out, ({"params": "; ".join(errors)} if errors else {})


def check_filing(item_code: str, use: str, params) -> dict[str, str]:
    """Field-named errors of a filing's item code, use and parameters (empty: fine)."""
    cat = catalogue()
    if item_code not in cat:
        return {
            "item_code": gettext("item_code %(code)s 不在目录 %(edition)s 中")
            % {"code": repr(item_code), "edition": cat.table.edition}
        }
    if use not in {u.value for u in Use}:
        return {
            "use": gettext("use %(use)s 须为以下之一：%(uses)s")
            % {"use": repr(use), "uses": ", ".join(u.value for u in Use)}
        }
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
    events = (
        CalibrationEvent.objects.filter(
            instrument_id=instrument_id,
            kind=CalibrationEvent.Kind.VERIFICATION,
            withdrawn=False,
            conformity__in=["pass", "fail"],
        )
        # an owner never verifies its own instrument (authority model); should such a record
        # exist from an old import, it closes nothing
        .exclude(performed_by_id=F("instrument__owner_id"))
        .order_by("performed_on", "id")
    )
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


WITHDRAWAL_REASON_MAX = 300


def withdraw(user, f: Filing, reason: str, on: dt.date | None = None) -> Filing:
    """Withdraw filing ``f`` (撤销备案): by its owner or the regulator of its region, with a
    reason; audited, never a deletion. PermissionError / ValueError (reason) otherwise."""
    from jiliang.platform.registry.permissions import can_write

    if not (can_write(user, f) or regulates_filing(user, f)):
        raise PermissionError("only the owner or the regulator of the region withdraws a filing")
    if f.withdrawn_on is not None:
        raise ValueError(f"the filing was withdrawn on {f.withdrawn_on}")
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("a withdrawal needs a reason the regulator can read")
    if len(reason) > WITHDRAWAL_REASON_MAX:
        raise ValueError(f"at most {WITHDRAWAL_REASON_MAX} characters")
    f.withdrawn_on = on or today()
    f.withdrawal_reason = reason
    with transaction.atomic(), acting_as(user, reason):
        f.save(update_fields=["withdrawn_on", "withdrawal_reason"])
    return f


#: filing states that make an instrument overdue (超期未检): the core schedule's verdict
OVERDUE_STATUSES = (Filing.Status.OVERDUE, Filing.Status.MUST_REPLACE)

#: what :func:`overdue_instruments` / :func:`overdue_filings` count, shown next to every such count
OVERDUE_DEFINITION = gettext_lazy(
    "在用、备案有效的强检器具中，按检定排期已超期的：从未检定、超过检定周期、最近一次检定不合格，"
    "或已到轮换/报废期。"
)
#: what the "due soon" lists count (the schedule's due-soon window of the catalogue)
DUE_SOON_DEFINITION = gettext_lazy(
    "备案有效的强检器具中，检定有效期（或轮换期）将在目录规定的提前提醒天数内到期的。"
)
#: what the dashboard's coverage counts (:func:`coverage`): not the same set as "overdue"
NOT_ON_TIME_DEFINITION = gettext_lazy(
    "强检器具：备案有效、按目录属强制检定的器具（不论是否在用）；按期检定：评价日检定仍在有效期内；"
    "未按期 = 强检器具 − 按期检定。与“超期未检”不同，未按期也计入非在用的器具。"
)


def overdue_filings(filings):
    """Filings in force, of instruments in use, that the core schedule finds overdue or due for
    replacement (see :func:`overdue_instruments`: the same set, seen from the instruments)."""
    return filings.filter(
        withdrawn_on__isnull=True,
        instrument__status=Instrument.Status.IN_USE,
        status__in=OVERDUE_STATUSES,
    )


def overdue_instruments(instruments):
    """Instruments in use whose filing in force the core schedule finds overdue or due for
    replacement (a failed verification included): the one meaning of "overdue" for the home
    card, the registry filter (pages and API) and supervision."""
    return instruments.filter(
        status=Instrument.Status.IN_USE,
        filing__withdrawn_on__isnull=True,
        filing__status__in=OVERDUE_STATUSES,
    )


def is_filed(instrument) -> bool:
    """Is ``instrument`` under a filing in force? (locks its region, use and status)"""
    return Filing.objects.active().filter(instrument_id=instrument.pk).exists()


def refresh_schedules(qs=None, as_of: dt.date | None = None) -> int:
    """Recompute the schedule cache of many filings (bulk update, no audit: a derived cache)."""
    as_of = as_of or today()
    qs = (qs if qs is not None else Filing.objects.active()).order_by("pk")
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
def sweep(
    as_of: dt.date | None = None, grace: int | None = None, refresh: bool = True
) -> SweepReport:
    """The daily supervision sweep; running it twice on one day changes nothing the second time.

    1. refresh every filing's schedule from the core (``refresh=False``: the caller has just
       scheduled every filing as of ``as_of``, as the demo builder has);
    2. notify the owner's users of due-soon, overdue and must-replace filings (once per
       filing, kind and deadline), by in-app notification and e-mail;
    3. escalate filings still overdue ``grace`` days after their deadline to the regulators of
       their region;
    4. write today's coverage snapshot per county (trend chart).
    """
    as_of = as_of or today()
    grace = grace_days(as_of) if grace is None else grace
    refreshed = refresh_schedules(as_of=as_of) if refresh else 0
    flagged = (
        Filing.objects.active()
        .filter(status__in=["due_soon", "overdue", "must_replace"])
        .select_related("instrument__owner", "instrument__region")
    )
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


#: catalogue condition operator → Django lookup; a NULL parameter satisfies none of them, as a
#: NaN does in :func:`jiliang.core.legal.coverage.rules_for_arrays`
_LOOKUPS = {"lt": "lt", "le": "lte", "gt": "gt", "ge": "gte", "eq": "exact", "in": "in"}
#: per-filing state in the coverage query's code (``code % 3``)
NOT_COMPULSORY, LATE, ON_TIME = 0, 1, 2
FETCH = 100_000  # rows per fetchmany() of the coverage query
_USES = [u.value for u in Use]


@dataclass(frozen=True)
class _CodeBook:
    """How the coverage query packs (item, use, state) into one integer per filing.

    ``code = (item × len(uses) + use) × 3 + state``; ``key = region_id × size + code``. Item
    ``len(items)`` marks an item code the catalogue does not know (the query's ELSE).
    """

    items: list[str]  # verification item codes, index = item number

    @property
    def size(self) -> int:
        return (len(self.items) + 1) * len(_USES) * 3

    def code(self, item: int, use: int, state: int) -> int:
        return (item * len(_USES) + use) * 3 + state

    def decode(self, key: np.ndarray) -> tuple[np.ndarray, ...]:
        """``(region_id, item, use, state)`` arrays of packed keys."""
        region, code = np.divmod(key, self.size)
        rest, state = np.divmod(code, 3)
        item, use = np.divmod(rest, len(_USES))
        return region, item, use, state


def _branch_q(b: cov.RuleBranch) -> Q:
    """The parameter conditions of a rule branch as a Django Q on the filing's columns."""
    q = Q()
    for name, conds in b.when.items():
        if name not in PARAM_COLUMNS:
            raise ValueError(f"parameter column {name!r} is required for item {b.item_code!r}")
        for op, bound in conds.items():
            q &= Q(**{f"{PARAM_COLUMNS[name]}__{_LOOKUPS[op]}": bound})
    return q


def _on_time_q(b: cov.RuleBranch, as_of: dt.date) -> Q:
    """SQL form of :func:`jiliang.core.legal.coverage.on_time_mask` for one rule branch."""
    valid = Q(last_result="pass", last_verified__lte=as_of)  # NULL date: not valid
    if b.mode == cov.MODE_SCRAP:
        return valid  # no deadline
    since = cov.on_time_since(b.months, as_of)
    if b.mode == cov.MODE_PERIODIC:
        return valid & Q(last_verified__gte=since)
    # fixed life runs from the first verification, or the last one when the first is unknown
    started = Q(first_verified__gte=since) | Q(
        first_verified__isnull=True, last_verified__gte=since
    )
    return valid & started


def _coverage_code(book: _CodeBook, as_of: dt.date) -> Case:
    """CASE giving each filing its packed (item, use, state) code on ``as_of``.

    Outer branches test the item code once; inner ones the item's rule branches (first match,
    as in the core) for each compulsory use, then whether the verification is still valid.
    """
    cat = catalogue()
    by_item: dict[str, list[cov.RuleBranch]] = defaultdict(list)
    for b in cov.rule_branches(cat):
        by_item[b.item_code].append(b)
    outer = []
    for i, code in enumerate(book.items):
        inner = [
            When(
                Q(use=use) & _branch_q(b),
                then=Case(
                    When(_on_time_q(b, as_of), then=Value(book.code(i, u, ON_TIME))),
                    default=Value(book.code(i, u, LATE)),
                ),
            )
            for b in by_item[code]
            for u, use in enumerate(_USES)
            if use in b.uses
        ]
        if inner:
            then = Case(*inner, default=Value(NOT_COMPULSORY), output_field=IntegerField())
            outer.append(When(item_code=code, then=then))
    others = sorted(set(cat.items) - set(book.items))  # catalogue items not under verification
    if others:
        outer.append(When(item_code__in=others, then=Value(NOT_COMPULSORY)))
    unknown = Value(book.code(len(book.items), 0, NOT_COMPULSORY))
    return Case(*outer, default=unknown, output_field=IntegerField())


def _coverage_rows(
    book: _CodeBook, as_of: dt.date, region_ids: list[int] | None
) -> tuple[np.ndarray, np.ndarray]:
    """``(owner_id, key)`` of every filing (of ``region_ids``; None: all) — one SELECT of two
    integers per filing, the state worked out in SQL (no dates or strings cross to Python)."""
    if region_ids == []:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    qs = Filing.objects.active().order_by()  # no ORDER BY: rows are aggregated, not listed
    if region_ids is not None:
        qs = qs.filter(instrument__region_id__in=region_ids)
    key = ExpressionWrapper(
        F("instrument__region_id") * book.size + _coverage_code(book, as_of),
        output_field=BigIntegerField(),
    )
    sql, params = (
        qs.annotate(_key=key).values_list("instrument__owner_id", "_key").query.sql_with_params()
    )
    parts = []
    with connection.cursor() as cur:
        cur.execute(sql, params)
        # batches keep the Python tuples of at most FETCH rows alive at a time
        while rows := cur.fetchmany(FETCH):
            chain = itertools.chain.from_iterable(rows)
            parts.append(np.fromiter(chain, dtype=np.int64, count=2 * len(rows)))
    flat = np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)
    return flat[0::2], flat[1::2]


def regions_under(prefix: str | None) -> dict[int, str]:
    """Region id → GB/T 2260 code under ``prefix`` (all when None)."""
    qs = Region.objects.all()
    if prefix:
        qs = qs.filter(code__startswith=prefix)
    return dict(qs.values_list("id", "code"))


def area(prefix: str | None) -> tuple[list[int] | None, set[int] | None]:
    """How a query over filings keeps to the regions under ``prefix``: ``(in_sql, after)`` —
    region ids to filter on in SQL, or region ids to keep once the rows are read (None: none).

    A large area is read whole and masked afterwards: filtering it in SQL makes SQLite walk the
    region index and fetch filings one by one (≈ 2× slower for a province of 10⁶).
    """
    if not prefix:
        return None, None
    everywhere, wanted = regions_under(None), regions_under(prefix)
    if len(wanted) == len(everywhere):
        return None, None
    if len(wanted) < len(everywhere) / 2:
        return list(wanted), None
    return None, set(wanted)


def _named(shares: list, names) -> list:
    """Group shares keyed by an integer (``share_by`` on numbers) relabelled and sorted by name."""
    out = [cov.GroupShare(names[int(g.key)], g.total, g.on_time) for g in shares]
    return sorted(out, key=lambda g: g.key)


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
    """Verified-on-time coverage by region, item, use and owner + capability coverage.

    The on-time state of each filing is computed by the database from the core's rules
    (:func:`~jiliang.core.legal.coverage.rule_branches`,
    :func:`~jiliang.core.legal.coverage.on_time_since`); grouping is done in numpy.
    """
    as_of = as_of or today()
    cat = catalogue()
    book = _CodeBook(cat.verification_codes())
    in_sql, after = area(prefix)
    owner, key = _coverage_rows(book, as_of, in_sql)
    region, item, use, state = book.decode(key)
    if after is not None:
        keep = np.isin(region, list(after))
        owner, region, item, use, state = (a[keep] for a in (owner, region, item, use, state))
    if (item == len(book.items)).any():
        _raise_unknown_item(cat)
    compulsory = state != NOT_COMPULSORY
    ok = state == ON_TIME
    groups = {"region": region, "item_code": item, "use": use, "owner": owner}
    report = {name: cov.share_by(keys, ok, compulsory) for name, keys in groups.items()}
    report["region"] = _named(report["region"], regions_under(None))
    report["item_code"] = _named(report["item_code"], book.items)
    report["use"] = _named(report["use"], _USES)
    total, on_time = int(compulsory.sum()), int(ok.sum())
    return Coverage(as_of, total, on_time, total - on_time, report, capability(prefix, as_of))


def _raise_unknown_item(cat: Catalogue) -> None:
    """KeyError naming a filed item code the catalogue does not know (as the core raises)."""
    code = Filing.objects.exclude(item_code__in=list(cat.items)).values_list("item_code")[:1]
    cat.item(code[0][0])


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
    since = failures_since(as_of)  # look-back of the risk table's ``failures`` factor
    qs = Filing.objects.active().select_related("instrument__owner")
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
        # never verified (no deadline) counts the risk table's ``never_verified_days``
        overdue = overdue_days(as_of, f.deadline, f.status == "overdue")
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
