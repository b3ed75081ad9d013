"""Chain resolution and link validation for one item (单项溯源链解析).

At the evaluation date ``d`` an item's link is its latest non-withdrawn calibration performed on
or before ``d``; the standards and reference materials it cites are resolved the same way, at
the same ``d`` and memoised, until a terminal: a national primary standard (计量基准), a
standard of an NMI backed by its CMC, a calibration by an NMI under its CMC, or a certified
reference material (GBW) in date. Checks tied to the act of calibrating (authorisation, the
reference standard's own calibration) use the event's date.

The verdict of a node: a breaking issue on its own link wins (the first broken link is the
nearest one); else the first cited node that is NOT_TRACEABLE; else UNKNOWN if any missing data
on its link or above; else TRACEABLE.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from .dimensions import compatible
from .index import REL_TOL, Index, key_of
from .records import CalibrationEvent, Instrument, Standard
from .rules import Config, Issue, Reason, Verdict


@dataclass(frozen=True, slots=True)
class Link:
    """One node of a chain: the item, its calibration (if any), its issues and what it cites."""

    node: str
    level: str
    U: float | None
    event_id: str | None = None
    performed_by: str | None = None
    performed_on: date | None = None
    valid_until: date | None = None
    link_U: float | None = None
    terminal: str | None = None
    issues: tuple[Issue, ...] = ()
    upstream: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {
            "node": self.node,
            "level": self.level,
            "U": self.U,
            "event_id": self.event_id,
            "performed_by": self.performed_by,
            "performed_on": _iso(self.performed_on),
            "valid_until": _iso(self.valid_until),
            "link_U": self.link_U,
            "terminal": self.terminal,
            "issues": [i.to_dict() for i in self.issues],
            "upstream": list(self.upstream),
        }


@dataclass(frozen=True, slots=True)
class NodeResult:
    """Verdict of one node: the first reason (if any), chain length and U at each level."""

    verdict: Verdict
    issue: Issue | None
    length: int
    uncertainties: tuple[float | None, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "verdict": self.verdict.value,
            "issue": self.issue.to_dict() if self.issue else None,
            "length": self.length,
            "uncertainties": list(self.uncertainties),
        }


@dataclass(frozen=True, slots=True)
class ChainResult:
    """An item's verdict plus every link reachable from it (for the chain graph)."""

    item: str
    result: NodeResult
    links: tuple[Link, ...]

    @property
    def verdict(self) -> Verdict:
        return self.result.verdict

    def to_dict(self) -> dict[str, object]:
        return {
            "item": self.item,
            **self.result.to_dict(),
            "links": [lk.to_dict() for lk in self.links],
        }


@dataclass(frozen=True, slots=True)
class Overrides:
    """What-if changes: standards treated as withdrawn (inactive) or expired at ``d``."""

    withdrawn: frozenset[str] = frozenset()
    expired: frozenset[str] = frozenset()


@dataclass
class Resolver:
    """Resolves nodes at ``asof`` with a memo shared by every item (upper links are shared)."""

    index: Index
    asof: date
    config: Config = field(default_factory=Config)
    overrides: Overrides = field(default_factory=Overrides)
    memo: dict[str, NodeResult] = field(default_factory=dict)
    links: dict[str, Link] = field(default_factory=dict)

    # -- public ----------------------------------------------------------------------------
    def chain(self, kind: str, item_id: str) -> ChainResult:
        """Resolve one item (``kind`` instrument|standard|rm) and collect its links."""
        key = key_of(kind, item_id)
        result = self.resolve(kind, item_id)
        seen: list[str] = []
        todo = [key]
        while todo:
            k = todo.pop(0)
            if k in seen or k not in self.links:
                continue
            seen.append(k)
            todo.extend(self.links[k].upstream)
        return ChainResult(key, result, tuple(self.links[k] for k in seen))

    def resolve(self, kind: str, item_id: str, stack: tuple[str, ...] = ()) -> NodeResult:
        """Verdict of a node; never raises on bad data and never recurses past ``max_depth``."""
        key = key_of(kind, item_id)
        if key in self.memo:
            return self.memo[key]
        if len(stack) >= self.config.max_depth:
            return NodeResult(Verdict.UNKNOWN, Issue(Reason.DEPTH_EXCEEDED, key), 0, ())
        if kind == "rm":
            result = self._resolve_rm(item_id)
        elif kind == "standard" and item_id in self.index.standards:
            result = self._resolve_item(kind, self.index.standards[item_id], (*stack, key))
        elif kind == "instrument" and self.index.instrument(item_id) is not None:
            result = self._resolve_item(kind, self.index.instrument(item_id), (*stack, key))
        else:
            issue = Issue(Reason.DANGLING_REFERENCE, key, detail="unknown item")
            self.links[key] = Link(key, kind, None, issues=(issue,))
            result = NodeResult(Verdict.UNKNOWN, issue, 0, ())
        if kind != "instrument":
            self.memo[key] = result
        return result

    # -- nodes -----------------------------------------------------------------------------
    def _resolve_rm(self, rm_id: str) -> NodeResult:
        key = key_of("rm", rm_id)
        rm = self.index.rms.get(rm_id)
        if rm is None:
            issue = Issue(Reason.DANGLING_REFERENCE, key, detail="unknown reference material")
            self.links[key] = Link(key, "rm", None, issues=(issue,))
            return NodeResult(Verdict.UNKNOWN, issue, 0, ())
        issues = []
        if not rm.gbw.upper().startswith("GBW"):
            issues.append(Issue(Reason.NOT_AUTHORISED, key, detail="not a certified (GBW) CRM"))
        if rm.expiry is None:
            issues.append(Issue(Reason.MISSING_DATE, key, detail="expiry"))
        elif self.asof > rm.expiry:
            issues.append(Issue(Reason.CERT_EXPIRED, key, detail=f"CRM expired {rm.expiry}"))
        self.links[key] = Link(key, "crm", rm.U, terminal="crm", issues=tuple(issues))
        return _combine(issues, [], 0, (rm.U,))

    def _node_issues(self, key: str, std: Standard) -> list[Issue]:
        """Issues of a standard itself at ``asof`` (status, certificate of the standard)."""
        issues = []
        if std.status != "active" or std.id in self.overrides.withdrawn:
            issues.append(Issue(Reason.STANDARD_INACTIVE, key, detail=std.status))
        if std.id in self.overrides.expired or (
            std.valid_to is not None and self.asof > std.valid_to
        ):
            issues.append(Issue(Reason.CERT_EXPIRED, key, detail="certificate of the standard"))
        return issues

    def _resolve_item(
        self, kind: str, item: Standard | Instrument, stack: tuple[str, ...]
    ) -> NodeResult:
        key = stack[-1]
        is_std = isinstance(item, Standard)
        own_U = item.U if is_std else None
        level = item.level if is_std else "instrument"
        issues = self._node_issues(key, item) if is_std else []
        terminal = self.index.terminal_standard(item) if is_std else None
        if terminal is not None:
            self.links[key] = Link(key, level, own_U, terminal=terminal, issues=tuple(issues))
            return _combine(issues, [], 0, (own_U,))
        event, missing = self.index.select_event(kind, item.id, self.asof)
        if event is None:
            issues.append(Issue(Reason(missing), key))
            self.links[key] = Link(key, level, own_U, issues=tuple(issues))
            return _combine(issues, [], 0, (own_U,))
        link_issues, link_U, terminal = self._check_link(key, item, event)
        issues.extend(link_issues)
        upstream: list[tuple[str, NodeResult]] = []
        for ref_kind, ref_id in _refs(event):
            ref_key = key_of(ref_kind, ref_id)
            if ref_key in stack:
                issues.append(Issue(Reason.CYCLE, key, event.id, detail=f"cites {ref_key}"))
                continue
            known = self.index.standards if ref_kind == "standard" else self.index.rms
            if ref_id not in known:
                continue  # reported as DANGLING_REFERENCE by _check_link
            upstream.append((ref_key, self.resolve(ref_kind, ref_id, stack)))
        self.links[key] = Link(
            key,
            level,
            own_U,
            event.id,
            event.performed_by,
            event.performed_on,
            event.valid_until,
            link_U,
            terminal,
            tuple(issues),
            tuple(k for k, _ in upstream),
        )
        first_U = own_U if is_std else link_U
        return _combine(issues, [r for _, r in upstream], 1, (first_U,))

    def _check_link(self, key: str, item, event: CalibrationEvent):
        """Link-level issues of ``event`` calibrating ``item``; returns (issues, U, terminal)."""
        idx, cfg, on = self.index, self.config, event.performed_on
        bad: list[tuple[Reason, str]] = []
        if event.valid_until is None:
            bad.append((Reason.MISSING_DATE, "valid_until"))
        elif self.asof > event.valid_until:
            bad.append((Reason.CERT_EXPIRED, f"due {event.valid_until}"))
        org = idx.orgs.get(event.performed_by)
        if org is None:
            bad.append((Reason.DANGLING_REFERENCE, f"organisation {event.performed_by}"))
        if not compatible(event.unit, item.unit):
            bad.append((Reason.UNIT_MISMATCH, f"result unit {event.unit}"))
        lo, hi = _span(event, item)
        refs = _ref_records(idx, event)
        known_U = [r.U for _k, _i, r in refs if r is not None]
        link_U = event.U if event.U is not None else (max(known_U) if known_U else None)
        terminal = None
        if not refs:
            if (
                org is not None
                and org.kind == "nmi"
                and idx.cmc_covers(org.id, item.quantity, item.unit, lo, hi)
            ):
                terminal = "cmc"
            else:
                bad.append((Reason.DANGLING_REFERENCE, "cites no standard"))
        for kind, ref_id, rec in refs:
            if rec is None:
                bad.append((Reason.DANGLING_REFERENCE, f"{kind} {ref_id}"))
                continue
            if rec.quantity != item.quantity or not compatible(rec.unit, item.unit):
                bad.append((Reason.UNIT_MISMATCH, f"{kind} {ref_id}"))
                continue
            if (
                kind == "standard"
                and idx.terminal_standard(rec) is None
                and not idx.calibrated_at(ref_id, on)
            ):
                bad.append((Reason.STANDARD_NOT_IN_CALIBRATION, f"standard {ref_id} on {on}"))
            if event.U is not None and event.U < rec.U * (1 - REL_TOL):
                bad.append(
                    (Reason.UNCERTAINTY_SHRINKS, f"U {event.U:g} < {kind} {ref_id} U {rec.U:g}")
                )
        if org is not None and not idx.authorised(
            org.id, item.quantity, item.unit, lo, hi, on, event.U
        ):
            bad.append((Reason.NOT_AUTHORISED, f"organisation {org.id}"))
        mpe = getattr(item, "mpe", None)
        ratio = cfg.min_capability_ratio
        if (
            mpe is not None
            and link_U is not None
            and ratio > 0
            and mpe < ratio * link_U * (1 - REL_TOL)
        ):
            bad.append(
                (
                    Reason.CAPABILITY_RATIO,
                    f"MPE/U = {mpe / link_U:.3g} < {ratio:g}" if link_U else "",
                )
            )
        issues = [Issue(r, key, event.id, d) for r, d in sorted(bad, key=lambda b: b[0])]
        return issues, link_U, terminal


def _refs(event: CalibrationEvent) -> list[tuple[str, str]]:
    return [("standard", s) for s in event.standard_ids] + [("rm", r) for r in event.rm_ids]


def _ref_records(idx: Index, event: CalibrationEvent):
    out = [("standard", s, idx.standards.get(s)) for s in event.standard_ids]
    return out + [("rm", r, idx.rms.get(r)) for r in event.rm_ids]


def _span(event: CalibrationEvent, item) -> tuple[float | None, float | None]:
    """The point (or the item's range) the authorisation must cover."""
    if event.point is not None:
        return event.point, event.point
    return getattr(item, "range_low", None), getattr(item, "range_high", None)


def _combine(
    issues: list[Issue],
    upstream: list[NodeResult],
    own_length: int,
    own_U: tuple[float | None, ...],
) -> NodeResult:
    """Verdict of a node from its own issues and its cited nodes (see module docstring)."""
    ordered = sorted(issues, key=lambda i: i.reason)
    broken_here = next((i for i in ordered if i.reason.breaks), None)
    broken_up = next((r for r in upstream if r.verdict is Verdict.NOT_TRACEABLE), None)
    principal = broken_up or (upstream[0] if upstream else None)
    length = own_length + max((r.length for r in upstream), default=0)
    uncertainties = own_U + (principal.uncertainties if principal else ())
    if broken_here is not None:
        return NodeResult(Verdict.NOT_TRACEABLE, broken_here, length, uncertainties)
    if broken_up is not None:
        return NodeResult(Verdict.NOT_TRACEABLE, broken_up.issue, length, uncertainties)
    unknown = (
        ordered[0]
        if ordered
        else next((r.issue for r in upstream if r.verdict is Verdict.UNKNOWN), None)
    )
    if unknown is not None:
        return NodeResult(Verdict.UNKNOWN, unknown, length, uncertainties)
    return NodeResult(Verdict.TRACEABLE, None, length, uncertainties)


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None
