"""Data hygiene (数据清洗): cumulative registers → period energies for one area, with reasons.

Meters report cumulative energy registers (kW·h) at their own instants; the balance needs the
energy each meter and the summary meter recorded over *common* periods. Registers are read at
each period boundary (a reading within ``snap_s`` of it, else linear interpolation between the
readings either side when they are at most ``max_gap_s`` apart). Because registers are
cumulative, a boundary that some meter misses is simply dropped and the two periods around it
merge — the merged period's energy is still exact.

What is detected, and what becomes of it (every case is an :class:`Issue` naming the meter):

- duplicate timestamps: identical ones are dropped; conflicting ones drop both readings;
- a register that decreases (replacement, rollover, tampering) or is negative: the span across
  it has no energy for that meter (its boundaries there are dropped, periods merge);
- clock skew: the median offset of a meter's readings from the boundary grid; above
  ``max_skew_s`` the meter is excluded;
- a meter missing more than ``max_missing`` of the boundaries is excluded rather than forcing
  every period to merge.

An excluded meter's energy still flows through the summary meter, so the balance would read it
as loss: if the excluded meters carried more than ``max_excluded_share`` of the area's metered
energy the result says the area is **not usable** (with the reason) instead of producing a
biased estimate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .balance import AreaData, MonitoringError

SUMMARY = "(summary)"


@dataclass(frozen=True)
class Issue:
    meter_id: str
    kind: str  # duplicate | conflicting_duplicate | decreasing | negative | clock_skew | missing
    detail: str


@dataclass(frozen=True)
class Series:
    """One meter's readings: times in s (any epoch, int or float) and cumulative kW·h."""

    t: np.ndarray
    register: np.ndarray

    @classmethod
    def of(cls, t, register) -> Series:
        t = np.asarray(t, dtype=float)
        r = np.asarray(register, dtype=float)
        if t.shape != r.shape or t.ndim != 1:
            raise MonitoringError(
                "register", "times and registers must be 1-D arrays of one length"
            )
        if not (np.all(np.isfinite(t)) and np.all(np.isfinite(r))):
            raise MonitoringError("register", "contains NaN or infinity")
        return cls(t, r)


@dataclass(frozen=True)
class CleanArea:
    area: AreaData | None  # None when not usable
    issues: tuple[Issue, ...]
    excluded: dict[str, str]
    boundaries_kept: int
    boundaries_total: int
    usable: bool
    reason: str = ""


def _dedupe(mid: str, t: np.ndarray, r: np.ndarray, issues: list[Issue]):
    order = np.argsort(t, kind="stable")
    t, r = t[order], r[order]
    keep = np.ones(t.size, bool)
    same_t = np.flatnonzero(np.diff(t) == 0)
    for i in same_t:
        if r[i] == r[i + 1]:
            keep[i + 1] = False
            issues.append(Issue(mid, "duplicate", f"duplicate reading at t={t[i]:g}"))
        else:
            keep[i] = keep[i + 1] = False
            issues.append(
                Issue(
                    mid,
                    "conflicting_duplicate",
                    f"two registers at t={t[i]:g} ({r[i]:g}, {r[i + 1]:g} kW·h): both dropped",
                )
            )
    return t[keep], r[keep]


def _at_boundaries(
    mid: str,
    s: Series,
    grid: np.ndarray,
    period_s: float,
    snap_s: float,
    max_gap_s: float,
    max_skew_s: float,
    issues: list[Issue],
) -> tuple[np.ndarray, np.ndarray, str | None]:
    """Register at each boundary (NaN where unknown), its segment number (a decrease starts a
    new segment) and an exclusion reason, if any."""
    t, r = _dedupe(mid, s.t, s.register, issues)
    if t.size == 0:
        return np.full(grid.size, np.nan), np.zeros(grid.size, int), "no readings"
    broken = np.zeros(t.size, bool)  # reading i starts a new segment (drop span i-1 → i)
    neg = r < 0
    for i in np.flatnonzero(neg):
        issues.append(Issue(mid, "negative", f"negative register {r[i]:g} kW·h at t={t[i]:g}"))
    dec = np.flatnonzero(np.diff(r) < 0) + 1
    for i in dec:
        issues.append(
            Issue(mid, "decreasing", f"register fell {r[i - 1]:g} → {r[i]:g} kW·h at t={t[i]:g}")
        )
    broken[dec] = True
    offsets = (t - grid[0] + period_s / 2) % period_s - period_s / 2
    skew = float(np.median(offsets))
    if abs(skew) > max_skew_s:
        issues.append(Issue(mid, "clock_skew", f"readings {skew:+.0f} s off the period grid"))
        nan = np.full(grid.size, np.nan)
        return nan, np.zeros(grid.size, int), f"clock skew {skew:+.0f} s > {max_skew_s:g} s"
    # vectorised over boundaries: the nearest reading within snap_s, else interpolation
    # between the readings either side (not across a gap, a decrease or a negative register)
    pos = np.searchsorted(t, grid)
    last = t.size - 1
    lo, hi = np.clip(pos - 1, 0, last), np.clip(pos, 0, last)
    d_lo, d_hi = np.abs(t[lo] - grid), np.abs(t[hi] - grid)
    k = np.where(d_hi <= d_lo, hi, lo)
    snapped = np.minimum(d_lo, d_hi) <= snap_s
    out = np.where(snapped & ~neg[k], r[k], np.nan)
    if t.size > 1:
        right = np.clip(pos, 1, last)
        left = right - 1
        gap = t[right] - t[left]
        ok = (
            ~snapped
            & (pos > 0)
            & (pos <= last)
            & (gap > 0)
            & (gap <= max_gap_s)
            & ~broken[right]
            & ~neg[right]
            & ~neg[left]
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            w = (grid - t[left]) / gap
            out = np.where(ok, r[left] + w * (r[right] - r[left]), out)
    seg = np.searchsorted(t[dec], grid, side="right") if dec.size else np.zeros(grid.size, int)
    return out, seg, None


def _clean_boundaries(
    meters: Mapping[str, Series],
    grid: np.ndarray,
    period_s: float,
    snap_s: float,
    max_gap_s: float,
    max_skew_s: float,
) -> dict[str, tuple[np.ndarray, float]]:
    """Registers at the boundaries of every *defect-free* meter at once: {id: (reg, missing)}.

    The common case — readings strictly increasing in time, registers non-negative and
    non-decreasing, clock within ``max_skew_s`` — gives no :class:`Issue` and a single segment,
    so meters with the same number of readings are stacked into one 2-D array and snapped or
    interpolated together, element for element the arithmetic of :func:`_at_boundaries`
    (whose per-meter numpy calls dominated an area of 200 meters). Any other meter is left
    out and goes through :func:`_at_boundaries`, which names its defects.
    """
    by_len: dict[int, list[str]] = {}
    for mid, s in meters.items():
        if s.t.size > 1:
            by_len.setdefault(s.t.size, []).append(mid)
    out: dict[str, tuple[np.ndarray, float]] = {}
    for size, mids in by_len.items():
        t = np.stack([meters[m].t for m in mids])
        r = np.stack([meters[m].register for m in mids])
        ok = (
            np.all(np.diff(t, axis=1) > 0, axis=1)
            & np.all(r >= 0, axis=1)
            & np.all(np.diff(r, axis=1) >= 0, axis=1)
        )
        offsets = (t - grid[0] + period_s / 2) % period_s - period_s / 2
        skew = np.median(offsets, axis=1)
        ok &= ~(np.abs(skew) > max_skew_s)
        if not ok.any():
            continue
        if size == grid.size and snap_s >= 0:
            # registers frozen exactly at the boundaries (smart meters' hourly/daily freeze):
            # each boundary snaps to its own reading — _at_boundaries gives r itself
            exact = ok & np.all(t == grid, axis=1)
            for i in np.flatnonzero(exact):
                out[mids[i]] = (r[i], 0.0)
            ok &= ~exact
            if not ok.any():
                continue
        t, r = t[ok], r[ok]
        mids = [m for m, good in zip(mids, ok, strict=True) if good]
        rows = np.arange(len(mids))[:, None]
        pos = np.stack([np.searchsorted(ti, grid) for ti in t])
        last = size - 1
        lo, hi = np.clip(pos - 1, 0, last), np.clip(pos, 0, last)
        d_lo, d_hi = np.abs(t[rows, lo] - grid), np.abs(t[rows, hi] - grid)
        k = np.where(d_hi <= d_lo, hi, lo)
        snapped = np.minimum(d_lo, d_hi) <= snap_s
        reg = np.where(snapped, r[rows, k], np.nan)
        right = np.clip(pos, 1, last)
        left = right - 1
        t_l, t_r = t[rows, left], t[rows, right]
        gap = t_r - t_l
        good = ~snapped & (pos > 0) & (pos <= last) & (gap > 0) & (gap <= max_gap_s)
        with np.errstate(invalid="ignore", divide="ignore"):
            w = (grid - t_l) / gap
            r_l = r[rows, left]
            reg = np.where(good, r_l + w * (r[rows, right] - r_l), reg)
        missing = np.mean(np.isnan(reg), axis=1)
        for i, m in enumerate(mids):
            out[m] = (reg[i], float(missing[i]))
    return out


def period_energies(
    summary: Series,
    meters: Mapping[str, Series],
    *,
    start: float,
    period_s: float,
    n_periods: int,
    snap_s: float | None = None,
    max_gap_s: float | None = None,
    max_skew_s: float | None = None,
    max_missing: float = 0.2,
    max_excluded_share: float = 0.005,
) -> CleanArea:
    """Common-period energies of an area from raw register readings (see the module docstring).

    Defaults scale with the period: snap within 1 % of it, interpolate across gaps up to
    2 periods, tolerate clock skew up to 10 % of it.
    """
    if period_s <= 0 or n_periods < 1:
        raise MonitoringError("period_s", "period must be > 0 s and n_periods ≥ 1")
    if not meters:
        raise MonitoringError("meters", "an area needs at least one user meter")
    snap_s = 0.01 * period_s if snap_s is None else snap_s
    max_gap_s = 2.0 * period_s if max_gap_s is None else max_gap_s
    max_skew_s = 0.1 * period_s if max_skew_s is None else max_skew_s
    grid = start + period_s * np.arange(n_periods + 1)
    issues: list[Issue] = []
    regs: dict[str, np.ndarray] = {}
    segs: dict[str, np.ndarray] = {}
    excluded: dict[str, str] = {}
    args = (grid, period_s, snap_s, max_gap_s, max_skew_s, issues)
    ys, yseg, why = _at_boundaries(SUMMARY, summary, *args)
    if why:
        return CleanArea(None, tuple(issues), {}, 0, grid.size, False, f"summary meter: {why}")
    fast = _clean_boundaries(meters, grid, period_s, snap_s, max_gap_s, max_skew_s)
    zeros = np.zeros(grid.size, int)
    for mid, s in meters.items():
        if mid in fast:
            reg, missing = fast[mid]
            seg, why = zeros, None
        else:  # a defect to name (or an unusual series): the per-meter path says what
            reg, seg, why = _at_boundaries(mid, s, *args)
            missing = float(np.mean(np.isnan(reg)))
        if why is None and missing > max_missing:
            why = f"{missing:.0%} of the boundaries missing (> {max_missing:.0%})"
            issues.append(Issue(mid, "missing", why))
        if why:
            excluded[mid] = why
        else:
            regs[mid] = reg
            segs[mid] = seg
    share = _excluded_share(meters, excluded)
    if share > max_excluded_share:
        reason = (
            f"excluded meters carried ≈{share:.2%} of the metered energy (> "
            f"{max_excluded_share:.2%}): the balance would read it as loss"
        )
        return CleanArea(None, tuple(issues), excluded, 0, grid.size, False, reason)
    if not regs:
        return CleanArea(None, tuple(issues), excluded, 0, grid.size, False, "no usable meter")
    ids = tuple(regs)
    mat = np.column_stack([regs[m] for m in ids])
    seg = np.column_stack([yseg, *(segs[m] for m in ids)])
    known = ~np.isnan(ys) & ~np.isnan(mat).any(axis=1)
    # a period is emitted between consecutive known boundaries; one spanning a register
    # decrease of any meter is not (its energy is unknown), and the next period restarts
    kidx = np.flatnonzero(known)
    same = np.all(seg[kidx[1:]] == seg[kidx[:-1]], axis=1)
    starts, ends = kidx[:-1][same], kidx[1:][same]
    if not starts.size:
        return CleanArea(
            None,
            tuple(issues),
            excluded,
            int(known.sum()),
            grid.size,
            False,
            "no period where every meter has a register at both ends",
        )
    starts_a, ends_a = starts, ends
    x = mat[ends_a] - mat[starts_a]
    y = ys[ends_a] - ys[starts_a]
    hours = (grid[ends_a] - grid[starts_a]) / 3600.0
    live = y > 0
    area = AreaData(ids, x[live], y[live], hours[live])
    return CleanArea(area, tuple(issues), excluded, int(known.sum()), grid.size, True)


def _excluded_share(meters: Mapping[str, Series], excluded: Mapping[str, str]) -> float:
    """Energy share of excluded meters, from each series' register span (best effort)."""

    def span(s: Series) -> float:
        r = s.register[np.isfinite(s.register) & (s.register >= 0)]
        return float(r.max() - r.min()) if r.size > 1 else 0.0

    if not excluded:
        return 0.0
    total = sum(span(s) for s in meters.values())
    if total <= 0:
        return 1.0
    return sum(span(meters[m]) for m in excluded) / total
