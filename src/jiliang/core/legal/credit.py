"""Metrology credit (诚信计量): explainable A/B/C/D classification and the serious-violation list.

A credit score starts at ``base_score`` and adds the points of each event of the entity
(negative for failures, complaints, penalties, cheating devices; positive for passed spot checks
and a standing self-commitment 诚信计量自我承诺). An event's points decay by half every
``half_life_months`` (``decay: false`` keeps them whole) and stop counting after
``max_age_months``. The grade is the first whose ``min_score`` the clamped score reaches; an
entity on the serious-violation list (严重违法失信名单) is graded D while listed. All numbers
come from the ``credit`` rule table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from jiliang.core.legal.rules import RuleBook, RuleTable
from jiliang.core.legal.schedule import add_months

_DAYS_PER_MONTH = 365.2425 / 12


@dataclass(frozen=True)
class CreditEvent:
    """One event in an entity's credit record (信用记录)."""

    id: str
    entity_id: str
    kind: str  # key of the credit table: verification_failure, cheating_device, …
    on: dt.date
    detail: str = ""


@dataclass(frozen=True)
class Contribution:
    """How much one event moved the score, and why."""

    event: CreditEvent
    points: float  # table points
    factor: float  # decay factor in (0, 1]
    effective: float  # points × factor


@dataclass(frozen=True)
class SeriousListing:
    """An entry of the serious-violation list (严重违法失信名单)."""

    entity_id: str
    event_id: str
    listed_on: dt.date
    removal_due: dt.date  # end of the listing period
    early_removal_from: dt.date  # first day the entity may apply for removal
    removed_on: dt.date | None  # actual removal, when it happened

    def active(self, on: dt.date) -> bool:
        end = self.removed_on or self.removal_due
        return self.listed_on <= on < end


@dataclass(frozen=True)
class CreditAssessment:
    """Grade of one entity on a date with the events that produced it."""

    entity_id: str
    as_of: dt.date
    score: float
    grade: str
    contributions: tuple[Contribution, ...]  # largest |effective| first
    listings: tuple[SeriousListing, ...]
    edition: str

    def explain(self) -> list[str]:
        """Human-readable lines: grade, then each contributing event."""
        lines = [f"{self.entity_id}: grade {self.grade}, score {self.score:.1f} ({self.edition})"]
        lines += [
            f"serious-violation list since {s.listed_on} ({s.event_id})" for s in self.listings
        ]
        lines += [
            f"{c.event.on} {c.event.kind} {c.effective:+.1f} ({c.points:+g} × {c.factor:.2f})"
            for c in self.contributions
        ]
        return lines


def _rules(book: RuleBook | None, as_of: dt.date) -> tuple[RuleTable, dict[str, dict]]:
    table = (book or RuleBook.default()).table("credit", as_of)
    return table, {e["event"]: e for e in table.entries}


def early_removal_months(book: RuleBook | None = None, as_of: dt.date | None = None) -> int:
    """Months a serious-violation listing stands before the regulator may remove it early
    (``serious_listing.early_removal_after_months`` of the credit table in force on ``as_of``)."""
    table = (book or RuleBook.default()).table("credit", as_of)
    return int(table.meta.get("serious_listing", {}).get("early_removal_after_months", 12))


def serious_listings(
    events: Iterable[CreditEvent],
    *,
    removals: Mapping[str, dt.date] | None = None,
    book: RuleBook | None = None,
    as_of: dt.date,
) -> list[SeriousListing]:
    """Serious-violation listings from events of a ``serious`` kind, with removal dates.

    ``removals`` maps event id → date the regulator removed the listing early; a removal before
    the early-removal waiting time has passed raises ValueError naming the event.
    """
    table, by_kind = _rules(book, as_of)
    conf = table.meta.get("serious_listing", {})
    months = int(conf.get("listing_months", 36))
    wait = int(conf.get("early_removal_after_months", 12))
    removals = removals or {}
    out = []
    for ev in events:
        rule = by_kind.get(ev.kind)
        if rule is None:
            raise ValueError(f"event {ev.id!r}: kind {ev.kind!r} is not in {table.edition}")
        if not rule.get("serious") or ev.on > as_of:
            continue
        early = add_months(ev.on, wait)
        removed = removals.get(ev.id)
        if removed is not None and removed < early:
            raise ValueError(
                f"removals[{ev.id!r}] = {removed} is before the earliest removal date {early}"
            )
        out.append(
            SeriousListing(ev.entity_id, ev.id, ev.on, add_months(ev.on, months), early, removed)
        )
    return sorted(out, key=lambda s: (s.listed_on, s.entity_id))


def assess(
    entity_id: str,
    events: Iterable[CreditEvent],
    as_of: dt.date,
    *,
    removals: Mapping[str, dt.date] | None = None,
    book: RuleBook | None = None,
) -> CreditAssessment:
    """Score and grade ``entity_id`` from its events up to ``as_of``."""
    table, by_kind = _rules(book, as_of)
    half_life = float(table.meta.get("half_life_months", 24)) * _DAYS_PER_MONTH
    max_age = float(table.meta.get("max_age_months", 60)) * _DAYS_PER_MONTH
    own = [e for e in events if e.entity_id == entity_id and e.on <= as_of]
    contributions = []
    for ev in own:
        rule = by_kind.get(ev.kind)
        if rule is None:
            raise ValueError(f"event {ev.id!r}: kind {ev.kind!r} is not in {table.edition}")
        age = (as_of - ev.on).days
        decays = rule.get("decay", True)
        # non-decaying events (a standing self-commitment) count until withdrawn, not until old
        if decays and age > max_age:
            continue
        factor = 0.5 ** (age / half_life) if decays else 1.0
        pts = float(rule["points"])
        contributions.append(Contribution(ev, pts, factor, pts * factor))
    lo, hi = table.meta.get("score_range", [0, 100])
    raw = float(table.meta.get("base_score", 100)) + sum(c.effective for c in contributions)
    score = min(max(raw, lo), hi)
    listings = [
        s
        for s in serious_listings(own, removals=removals, book=book, as_of=as_of)
        if s.active(as_of)
    ]
    grades = table.meta["grades"]
    grade = next(g["grade"] for g in grades if g["min_score"] is None or score >= g["min_score"])
    if listings:
        grade = grades[-1]["grade"]  # listed entities take the lowest grade while listed
    contributions.sort(key=lambda c: (-abs(c.effective), c.event.on, c.event.id))
    return CreditAssessment(
        entity_id, as_of, score, grade, tuple(contributions), tuple(listings), table.label
    )
