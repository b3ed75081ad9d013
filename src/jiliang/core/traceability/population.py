"""Population engine (全量溯源评价): every instrument's verdict at once.

Standards and reference materials (a few hundred, shared by millions of instruments) are
resolved once by the memoised scalar :class:`.chain.Resolver`. The instruments' own links are
checked with numpy over columns: event selection, dates, units, authorisation, the reference
standard's calibration at the event date, uncertainty order and capability ratio. The rules
are those of :mod:`.chain`; ``tests/core/test_traceability_population.py`` checks both paths
agree item by item.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from itertools import chain as concat

import numpy as np

from .chain import ChainResult, NodeResult, Overrides, Resolver
from .columns import (
    NO_DATE,
    EventColumns,
    InstrumentColumns,
    Interner,
    Lookup,
    UnitCodes,
    compatible_codes,
    lookup,
)
from .index import REL_TOL, Index, key_of
from .records import Records
from .rules import BREAK_MASK, UNKNOWN_MASK, Config, Issue, Reason, Verdict

#: verdict codes in the arrays
T, NT, UNK = 0, 1, 2
VERDICTS = (Verdict.TRACEABLE, Verdict.NOT_TRACEABLE, Verdict.UNKNOWN)
_BIG = 1 << 24  # > any date ordinal, for (standard, date) search keys


def _bit(reason: Reason) -> int:
    return 1 << int(reason)


@dataclass
class NodeTable:
    """Standards then reference materials as arrays, with their memoised verdicts at ``asof``."""

    keys: list[str]
    quantity: np.ndarray
    unit: np.ndarray
    U: np.ndarray
    is_standard: np.ndarray
    needs_calibration: np.ndarray
    results: list[NodeResult] = field(default_factory=list)
    verdict: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))
    length: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))

    def resolve(self, resolver: Resolver) -> None:
        self.results = [resolver.resolve(*k.split(":", 1)) for k in self.keys]
        self.verdict = np.array([VERDICTS.index(r.verdict) for r in self.results], dtype=np.int8)
        self.length = np.array([r.length for r in self.results], dtype=np.int32)


@dataclass
class OwnLinks:
    """Instrument-level results that do not depend on the upstream verdicts."""

    mask: np.ndarray  # int32 bit mask of Reasons on the instrument's own link
    event: np.ndarray  # chosen event row, -1 none
    link_U: np.ndarray
    pair_item: np.ndarray  # resolved references: instrument index …
    pair_node: np.ndarray  # … and node index (cited order preserved)


class TraceabilityEngine:
    """Validate all instruments (and standards) at ``asof``; see :meth:`coverage`, :meth:`chain`.

    ``overrides`` marks standards withdrawn/expired for what-if analysis (:mod:`.whatif`).
    """

    def __init__(
        self,
        records: Records,
        asof: date,
        config: Config | None = None,
        overrides: Overrides | None = None,
    ) -> None:
        self.records = records
        self.asof = asof
        self.config = config or Config()
        self.index = Index.build(records)
        self.quantities = Interner()
        self.units = UnitCodes()
        self.regions = Interner()
        self.categories = Interner()
        self.org_ids = [o.id for o in records.organisations]
        self.org_index = Lookup((o, n) for n, o in enumerate(self.org_ids))
        self.nodes = self._node_table()
        self.instruments = InstrumentColumns.build(
            records.instruments,
            self.quantities,
            self.units,
            self.org_index,
            self.regions,
            self.categories,
        )
        self.instrument_index = Lookup((iid, n) for n, iid in enumerate(self.instruments.ids))
        self._inst_events: list | None = None
        self.own = self._own_links()
        self.apply(overrides or Overrides())

    # -- evaluation ------------------------------------------------------------------------
    def apply(self, overrides: Overrides) -> None:
        """(Re)resolve the upper links under ``overrides`` and recombine every instrument."""
        self.overrides = overrides
        self.resolver = Resolver(self.index, self.asof, self.config, overrides)
        self.nodes.resolve(self.resolver)
        self.verdict, self.reason, self.issue_node, self.length, self.principal = self._combine()

    def _node_table(self) -> NodeTable:
        stds, rms = self.records.standards, self.records.reference_materials
        keys = [key_of("standard", s.id) for s in stds] + [key_of("rm", r.id) for r in rms]
        recs = list(stds) + list(rms)
        return NodeTable(
            keys=keys,
            quantity=self.quantities.codes_of(r.quantity for r in recs),
            unit=self.units.units_of([r.unit for r in recs]),
            U=np.array([r.U for r in recs], dtype=np.float64),
            is_standard=np.arange(len(recs)) < len(stds),
            needs_calibration=np.array(
                [self.index.terminal_standard(s) is None for s in stds] + [False] * len(rms),
                dtype=bool,
            ),
        )

    def _own_links(self) -> OwnLinks:
        inst, d = self.instruments, self.asof.toordinal()
        n = len(inst.ids)
        evs = self._instrument_events()
        ev = EventColumns.build(evs, self.instrument_index, self.units, self.org_index)
        mask = np.zeros(n, dtype=np.int64)

        # event selection: latest non-withdrawn with performed_on <= d
        dated = (ev.performed != NO_DATE) & (ev.performed <= d)
        cand = np.flatnonzero(dated & ~ev.withdrawn)
        order = cand[np.lexsort((ev.performed[cand], ev.item[cand]))]
        items = ev.item[order]
        last = order[np.r_[items[1:] != items[:-1], True]] if len(order) else order
        chosen = np.full(n, -1, dtype=np.int64)
        chosen[ev.item[last]] = last
        none = chosen < 0
        had_withdrawn = np.zeros(n, bool)
        had_withdrawn[ev.item[dated & ev.withdrawn]] = True
        had_undated = np.zeros(n, bool)
        had_undated[ev.item[ev.performed == NO_DATE]] = True
        mask[none & had_withdrawn] |= _bit(Reason.CERT_WITHDRAWN)
        mask[none & ~had_withdrawn & had_undated] |= _bit(Reason.MISSING_DATE)
        mask[none & ~had_withdrawn & ~had_undated] |= _bit(Reason.NO_CALIBRATION)

        sel = np.flatnonzero(~none)  # instruments with an event
        e = chosen[sel]
        t, due, U = ev.performed[e], ev.due[e], ev.U[e]
        org = ev.org[e]
        q, unit = inst.quantity[sel], inst.unit[sel]
        m = np.zeros(len(sel), dtype=np.int64)
        m[due == NO_DATE] |= _bit(Reason.MISSING_DATE)
        m[(due != NO_DATE) & (d > due)] |= _bit(Reason.CERT_EXPIRED)
        m[org < 0] |= _bit(Reason.DANGLING_REFERENCE)
        m[~compatible_codes(ev.unit[e], unit)] |= _bit(Reason.UNIT_MISMATCH)
        point = ev.point[e]
        lo = np.where(np.isnan(point), inst.low[sel], point)
        hi = np.where(np.isnan(point), inst.high[sel], point)

        p_row, p_node, n_refs = self._references([evs[k] for k in e.tolist()])
        nodes = self.nodes
        pm = np.zeros(len(p_row), dtype=np.int64)
        known = p_node >= 0
        pm[~known] |= _bit(Reason.DANGLING_REFERENCE)
        kn, kr = p_node[known], p_row[known]
        bad_unit = (nodes.quantity[kn] != q[kr]) | ~compatible_codes(nodes.unit[kn], unit[kr])
        pk = np.zeros(len(kn), dtype=np.int64)
        pk[bad_unit] |= _bit(Reason.UNIT_MISMATCH)
        good = ~bad_unit
        needs = good & nodes.needs_calibration[kn]
        in_cal = self._standards_calibrated_at(kn[needs], t[kr[needs]])
        tmp = np.zeros(int(needs.sum()), dtype=np.int64)
        tmp[~in_cal] = _bit(Reason.STANDARD_NOT_IN_CALIBRATION)
        pk[needs] |= tmp
        shrink = good & ~np.isnan(U[kr]) & (U[kr] < nodes.U[kn] * (1 - REL_TOL))
        pk[shrink] |= _bit(Reason.UNCERTAINTY_SHRINKS)
        pm[known] = pk
        np.bitwise_or.at(m, p_row, pm)

        # link U: the result's U, else the largest U among the cited known references
        fallback = np.full(len(sel), np.nan)
        np.fmax.at(fallback, kr, nodes.U[kn])
        link_U = np.where(np.isnan(U), fallback, U)

        auth, cmc_cover = self._authorisation(org, q, unit, lo, hi, t, U)
        m[(org >= 0) & ~auth] |= _bit(Reason.NOT_AUTHORISED)
        nmi = np.array([o.kind == "nmi" for o in self.records.organisations] + [False], dtype=bool)[
            org
        ]
        m[(n_refs == 0) & ~(nmi & cmc_cover)] |= _bit(Reason.DANGLING_REFERENCE)
        ratio, mpe = self.config.min_capability_ratio, inst.mpe[sel]
        if ratio > 0:
            weak = ~np.isnan(mpe) & ~np.isnan(link_U) & (mpe < ratio * link_U * (1 - REL_TOL))
            m[weak] |= _bit(Reason.CAPABILITY_RATIO)
        mask[sel] |= m

        full_U = np.full(n, np.nan)
        full_U[sel] = link_U
        return OwnLinks(mask, chosen, full_U, sel[kr], kn)

    def _instrument_events(self) -> list:
        """Events calibrating a known instrument, in record order (rows of EventColumns)."""
        if self._inst_events is None:
            idx = self.instrument_index
            self._inst_events = [
                e for e in self.records.events if e.item_kind == "instrument" and e.item_id in idx
            ]
        return self._inst_events

    def _references(self, events: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Cited references of each event as (row, node) pairs: standards then RMs, in cited
        order, grouped by row; unknown ids are node -1. Also the count per row."""
        std_pos = Lookup((s.id, n) for n, s in enumerate(self.records.standards))
        rm_pos = Lookup(
            (r.id, len(std_pos) + n) for n, r in enumerate(self.records.reference_materials)
        )
        rows, nodes, counts = [], [], np.zeros(len(events), dtype=np.int32)
        for attr, pos in (("standard_ids", std_pos), ("rm_ids", rm_pos)):
            cited = [getattr(ev, attr) for ev in events]
            n = np.fromiter(map(len, cited), dtype=np.int64, count=len(cited))
            counts += n.astype(np.int32)
            rows.append(np.repeat(np.arange(len(events), dtype=np.int64), n))
            nodes.append(lookup(concat.from_iterable(cited), pos))
        row, node = np.concatenate(rows), np.concatenate(nodes)
        order = np.argsort(row, kind="stable")  # keeps standards before RMs within an event
        return row[order], node[order], counts

    def _standards_calibrated_at(self, node: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Vectorised :meth:`Index.calibrated_at` for (standard node, date) pairs."""
        pos = {s.id: n for n, s in enumerate(self.records.standards)}
        rows = [
            (
                pos[e.item_id],
                e.performed_on.toordinal(),
                -1 if e.valid_until is None else e.valid_until.toordinal(),
            )
            for e in self.records.events
            if e.item_kind == "standard"
            and e.item_id in pos
            and e.performed_on is not None
            and not e.withdrawn
        ]
        if not rows or not len(node):
            return np.zeros(len(node), dtype=bool)
        arr = np.array(rows, dtype=np.int64)
        keys = arr[:, 0] * _BIG + arr[:, 1]
        order = np.argsort(keys, kind="stable")
        keys, arr = keys[order], arr[order]
        j = np.searchsorted(keys, node * _BIG + t, side="right") - 1
        jj = np.maximum(j, 0)
        return (j >= 0) & (arr[jj, 0] == node) & (arr[jj, 2] >= t)

    def _authorisation(self, org, q, unit, lo, hi, t, U):
        """Per event: a live scope/CMC of the performer covers it (and U not better); and
        separately whether a CMC covers it (an NMI calibrating under its CMC is a terminal)."""
        auth = np.zeros(len(org), dtype=bool)
        cmc_cover = np.zeros(len(org), dtype=bool)
        nq = len(self.quantities.values) + 1
        key = org.astype(np.int64) * nq + q
        order = np.argsort(key, kind="stable")
        skey = key[order]
        for org_pos, o in enumerate(self.records.organisations):
            for cap in self.index.capabilities(o.id):
                qc = self.quantities.codes.get(cap.quantity)
                if qc is None:
                    continue
                a, b = np.searchsorted(skey, [org_pos * nq + qc, org_pos * nq + qc + 1])
                rows = order[a:b]
                ok = compatible_codes(np.full(len(rows), self.units.unit(cap.unit)), unit[rows])
                ok &= np.isnan(lo[rows]) | (lo[rows] >= cap.low)
                ok &= np.isnan(hi[rows]) | (hi[rows] <= cap.high)
                if cap.is_cmc:
                    cmc_cover[rows] |= ok
                if cap.valid_from is not None:
                    ok &= t[rows] >= cap.valid_from.toordinal()
                if cap.valid_to is not None:
                    ok &= t[rows] <= cap.valid_to.toordinal()
                ok &= np.isnan(U[rows]) | (U[rows] >= cap.U * (1 - REL_TOL))
                auth[rows] |= ok
        return auth, cmc_cover

    def _combine(self):
        """Instrument verdicts from own-link masks and the nodes' verdicts (see chain rules)."""
        own, nodes = self.own, self.nodes
        n = len(own.mask)
        verdict = np.full(n, T, dtype=np.int8)
        reason = np.full(n, -1, dtype=np.int8)
        issue_node = np.full(n, -1, dtype=np.int64)  # -1: own link; else node index
        length = np.zeros(n, dtype=np.int32)
        has_event = own.event >= 0
        length[has_event] = 1
        if len(own.pair_item):
            np.maximum.at(length, own.pair_item, 1 + nodes.length[own.pair_node])
        principal = np.full(n, -1, dtype=np.int64)
        first_pair = _first_per_item(own.pair_item, np.ones(len(own.pair_item), bool))
        principal[own.pair_item[first_pair]] = own.pair_node[first_pair]

        brk = own.mask & BREAK_MASK
        unk = own.mask & UNKNOWN_MASK
        here = brk != 0
        verdict[here], reason[here] = NT, _lowest_bit(brk[here])
        up_broken = nodes.verdict[own.pair_node] == NT
        up_unknown = nodes.verdict[own.pair_node] == UNK
        fb = _first_per_item(own.pair_item, up_broken)
        items_b = own.pair_item[fb]
        principal[items_b] = own.pair_node[fb]
        sel = ~here[items_b]
        verdict[items_b[sel]] = NT
        issue_node[items_b[sel]] = own.pair_node[fb][sel]
        settled = verdict != T
        mine = ~settled & (unk != 0)
        verdict[mine], reason[mine] = UNK, _lowest_bit(unk[mine])
        settled |= mine
        fu = _first_per_item(own.pair_item, up_unknown)
        items_u = own.pair_item[fu]
        sel = ~settled[items_u]
        verdict[items_u[sel]] = UNK
        issue_node[items_u[sel]] = own.pair_node[fu][sel]
        return verdict, reason, issue_node, length, principal

    # -- results ---------------------------------------------------------------------------
    def result(self, instrument_id: str) -> NodeResult:
        """Verdict of one instrument from the population arrays (no re-resolution)."""
        i = self.instrument_index[instrument_id]
        if i < 0:  # not in the population: the scalar path reports DANGLING_REFERENCE
            return self.resolver.resolve("instrument", instrument_id)
        key = key_of("instrument", instrument_id)
        v = VERDICTS[self.verdict[i]]
        node = self.issue_node[i]
        ev = self.own.event[i]
        event_id = self.own_event_id(i)
        issue = None
        if node >= 0:
            issue = self.nodes.results[node].issue
        elif self.reason[i] >= 0:
            issue = Issue(Reason(int(self.reason[i])), key, event_id)
        ups: tuple[float | None, ...] = ()
        if self.principal[i] >= 0:
            ups = self.nodes.results[self.principal[i]].uncertainties
        link_U = None if ev < 0 or np.isnan(self.own.link_U[i]) else float(self.own.link_U[i])
        return NodeResult(v, issue, int(self.length[i]), (link_U, *ups))

    def own_event_id(self, i: int) -> str | None:
        ev = int(self.own.event[i])
        if ev < 0:
            return None
        return self._instrument_events()[ev].id

    def chain(self, kind: str, item_id: str) -> ChainResult:
        """Full chain of one item with every link (scalar resolver, memo shared)."""
        return self.resolver.chain(kind, item_id)

    def counts(self) -> dict[str, int]:
        c = np.bincount(self.verdict, minlength=3)
        return {VERDICTS[k].value: int(c[k]) for k in range(3)}

    def reason_counts(self) -> dict[str, int]:
        """Instruments per reported reason (own link or inherited from above)."""
        out: dict[str, int] = {}
        own = self.reason[(self.verdict != T) & (self.issue_node < 0)]
        for r, c in zip(*np.unique(own, return_counts=True), strict=True):
            out[Reason(int(r)).name] = out.get(Reason(int(r)).name, 0) + int(c)
        up = self.issue_node[self.issue_node >= 0]
        for nd, c in zip(*np.unique(up, return_counts=True), strict=True):
            name = self.nodes.results[nd].issue.reason.name
            out[name] = out.get(name, 0) + int(c)
        return out

    def to_dict(self) -> dict[str, object]:
        return {
            "asof": self.asof.isoformat(),
            "instruments": len(self.instruments.ids),
            "counts": self.counts(),
            "reasons": self.reason_counts(),
        }


def _first_per_item(items: np.ndarray, flag: np.ndarray) -> np.ndarray:
    """Positions of the first flagged pair of each item (pairs are grouped by item)."""
    pos = np.flatnonzero(flag)
    if not len(pos):
        return pos
    _, first = np.unique(items[pos], return_index=True)
    return pos[first]


def _lowest_bit(mask: np.ndarray) -> np.ndarray:
    low = mask & -mask
    return np.log2(low).astype(np.int8)
