"""Lookup tables over :class:`Records` and the small predicates every link check shares.

Built once per record set; the scalar resolver (:mod:`.chain`) and the vectorised population
engine (:mod:`.population`) both read it, so both apply the same rules.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from .dimensions import compatible
from .records import (
    CMC,
    CalibrationEvent,
    Instrument,
    Organisation,
    Records,
    ReferenceMaterial,
    Standard,
)
from .rules import Reason

#: tolerance when comparing uncertainties (a claim equal to the CMC is not "better")
REL_TOL = 1e-9


def key_of(kind: str, item_id: str) -> str:
    """Node key ``"kind:id"`` used in links, issues and JSON."""
    return f"{kind}:{item_id}"


@dataclass
class Index:
    """Dictionaries over a :class:`Records` (ids → records; events per item sorted by date)."""

    records: Records
    orgs: dict[str, Organisation] = field(default_factory=dict)
    standards: dict[str, Standard] = field(default_factory=dict)
    rms: dict[str, ReferenceMaterial] = field(default_factory=dict)
    instruments: dict[str, Instrument] = field(default_factory=dict)
    cmcs_by_provider: dict[str, list[CMC]] = field(default_factory=dict)
    #: (kind, id) → dated events sorted by performed_on
    dated_events: dict[tuple[str, str], list[CalibrationEvent]] = field(default_factory=dict)
    #: (kind, id) → number of events without a performed_on date
    undated_events: dict[tuple[str, str], int] = field(default_factory=dict)
    _instruments_indexed: bool = False

    @classmethod
    def build(cls, records: Records) -> Index:
        index = cls(records)
        index.orgs = {o.id: o for o in records.organisations}
        index.standards = {s.id: s for s in records.standards}
        index.rms = {r.id: r for r in records.reference_materials}
        cmcs: dict[str, list[CMC]] = defaultdict(list)
        for cmc in records.cmcs:
            cmcs[cmc.provider].append(cmc)
        index.cmcs_by_provider = dict(cmcs)
        # instruments (millions) are indexed only if a single instrument's chain is asked for
        index._index_events(e for e in records.events if e.item_kind != "instrument")
        return index

    def _index_events(self, events) -> None:
        dated: dict[tuple[str, str], list[CalibrationEvent]] = defaultdict(list)
        for ev in events:
            if ev.performed_on is None:
                self.undated_events[(ev.item_kind, ev.item_id)] = (
                    self.undated_events.get((ev.item_kind, ev.item_id), 0) + 1
                )
            else:
                dated[(ev.item_kind, ev.item_id)].append(ev)
        for key, evs in dated.items():
            evs.sort(key=lambda e: e.performed_on)
            self.dated_events[key] = evs

    def instrument(self, item_id: str):
        """The instrument record (indexing instruments and their events on first use)."""
        if not self._instruments_indexed:
            self.instruments = {i.id: i for i in self.records.instruments}
            self._index_events(e for e in self.records.events if e.item_kind == "instrument")
            self._instruments_indexed = True
        return self.instruments.get(item_id)

    # -- event selection -------------------------------------------------------------------
    def select_event(
        self, kind: str, item_id: str, on: date
    ) -> tuple[CalibrationEvent | None, Reason | None]:
        """Latest non-withdrawn event performed on or before ``on`` — or why there is none."""
        evs = self.dated_events.get((kind, item_id), [])
        stop = bisect_right(evs, on, key=lambda e: e.performed_on)
        withdrawn_seen = False
        for ev in reversed(evs[:stop]):
            if not ev.withdrawn:
                return ev, None
            withdrawn_seen = True
        if withdrawn_seen:
            return None, Reason.CERT_WITHDRAWN
        if self.undated_events.get((kind, item_id)):
            return None, Reason.MISSING_DATE
        return None, Reason.NO_CALIBRATION

    def calibrated_at(self, standard_id: str, on: date) -> bool:
        """Was the standard's own calibration valid on ``on`` (latest non-withdrawn ≤ on)?"""
        ev, _reason = self.select_event("standard", standard_id, on)
        return ev is not None and ev.valid_until is not None and ev.valid_until >= on

    # -- capabilities ----------------------------------------------------------------------
    def capabilities(self, org_id: str) -> list[Capability]:
        """Scope lines then CMCs of an organisation, in one shape."""
        org = self.orgs.get(org_id)
        scopes = org.scopes if org is not None else ()
        caps = [
            Capability(
                s.quantity, s.unit, s.range_low, s.range_high, s.best_U, s.valid_from, s.valid_to
            )
            for s in scopes
        ]
        cmcs = self.cmcs_by_provider.get(org_id, ())
        return caps + [
            Capability(c.quantity, c.unit, c.low, c.high, c.U, is_cmc=True) for c in cmcs
        ]

    def cmc_covers(
        self, org_id: str, quantity: str, unit: str, lo: float | None, hi: float | None
    ) -> bool:
        """Does a CMC of ``org_id`` for the quantity cover ``[lo, hi]`` (if given)?"""
        caps = self.capabilities(org_id)
        return any(c.is_cmc and c.covers(quantity, unit, lo, hi) for c in caps)

    def authorised(
        self,
        org_id: str,
        quantity: str,
        unit: str,
        lo: float | None,
        hi: float | None,
        on: date,
        claimed_U: float | None,
    ) -> bool:
        """Does a scope line or CMC of the organisation cover quantity and range on ``on``,
        with ``claimed_U`` not better than the capability's best U?"""
        return any(
            c.live(on)
            and c.covers(quantity, unit, lo, hi)
            and (claimed_U is None or claimed_U >= c.U * (1 - REL_TOL))
            for c in self.capabilities(org_id)
        )

    def terminal_standard(self, std: Standard) -> str | None:
        """ "primary" for a 计量基准, "cmc" for an NMI standard backed by its CMC, else None."""
        if std.level == "primary":
            return "primary"
        owner = self.orgs.get(std.owner)
        if owner is not None and owner.kind == "nmi":
            for cmc in self.cmcs_by_provider.get(owner.id, ()):
                # overlap is enough: the CMC states the NMI realises the quantity in that region
                if (
                    cmc.quantity == std.quantity
                    and compatible(cmc.unit, std.unit)
                    and cmc.low <= std.range_high
                    and std.range_low <= cmc.high
                ):
                    return "cmc"
        return None


class Capability(NamedTuple):
    """A scope line (授权/认可范围) or a CMC: quantity, range and best U, SI; dates open if None."""

    quantity: str
    unit: str
    low: float
    high: float
    U: float
    valid_from: date | None = None
    valid_to: date | None = None
    is_cmc: bool = False

    def live(self, on: date) -> bool:
        return (self.valid_from is None or self.valid_from <= on) and (
            self.valid_to is None or on <= self.valid_to
        )

    def covers(self, quantity: str, unit: str, lo: float | None, hi: float | None) -> bool:
        if self.quantity != quantity or not compatible(self.unit, unit):
            return False
        return (lo is None or lo >= self.low) and (hi is None or hi <= self.high)
