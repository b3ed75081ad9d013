"""Risk warning (风险预警): rank instruments and entities by risk, with reasons.

Score = Σ weight × min(value, cap) over numeric factors (days overdue, failures, tamper alarms,
complaints) plus table points for categorical factors (an entity's credit grade). The level is
the first whose ``min_score`` the score reaches; levels are named like the credit-risk classes
of double-random draws (high / medium_high / medium / low) so a ranking can feed a draw.
Weights, caps and thresholds come from the ``risk`` rule table, and so do the two inputs a
caller derives from records: the failure look-back (``failures.window_days``, see
:func:`failures_since`) and the overdue days of a never-verified instrument
(``overdue_days.never_verified_days``, see :func:`overdue_days`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from jiliang.core.legal.rules import RuleBook


@dataclass(frozen=True)
class RiskSubject:
    """An instrument or entity with its risk factors (names as in the risk table)."""

    id: str
    kind: str  # "instrument" or "entity"
    factors: Mapping[str, float | str] = field(default_factory=dict)


@dataclass(frozen=True)
class RiskRank:
    """One row of the ranked risk list."""

    id: str
    kind: str
    score: float
    level: str
    reasons: tuple[str, ...]  # largest contribution first


def _factor(name: str, field_name: str, book: RuleBook | None, as_of: dt.date | None) -> int:
    """Integer field ``field_name`` of factor ``name`` in the risk table in force on ``as_of``."""
    table = (book or RuleBook.default()).table("risk", as_of)
    rule = table.entry(name)
    value = rule.get(field_name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(
            f"risk table {table.edition!r}: factor {name!r} needs an integer {field_name!r} ≥ 0, "
            f"got {value!r}"
        )
    return value


def failures_since(as_of: dt.date, book: RuleBook | None = None) -> dt.date:
    """First day of the failure look-back: failed verifications performed on or after it count
    for the ``failures`` factor (``window_days`` of the risk table in force on ``as_of``)."""
    return as_of - dt.timedelta(days=_factor("failures", "window_days", book, as_of))


def overdue_days(
    as_of: dt.date,
    deadline: dt.date | None,
    overdue: bool,
    book: RuleBook | None = None,
) -> int:
    """The ``overdue_days`` factor (days) of one instrument on ``as_of``.

    Days past ``deadline`` when ``overdue`` (never negative); an overdue instrument with no
    deadline was never verified and counts ``never_verified_days`` of the risk table.
    """
    if not overdue:
        return 0
    if deadline is None:
        return _factor("overdue_days", "never_verified_days", book, as_of)
    return max((as_of - deadline).days, 0)


def rank(
    subjects: Iterable[RiskSubject],
    *,
    book: RuleBook | None = None,
    as_of: dt.date | None = None,
    min_level: str | None = None,
) -> list[RiskRank]:
    """Score, level and rank subjects (highest score first; ties by id).

    ``min_level`` keeps only subjects at that level or above (the warning list). Unknown factor
    names and negative or non-finite values raise ValueError naming the subject and factor.
    """
    table = (book or RuleBook.default()).table("risk", as_of)
    rules = {e["factor"]: e for e in table.entries}
    levels = table.meta["levels"]
    names = [lv["level"] for lv in levels]
    if min_level is not None and min_level not in names:
        raise ValueError(f"min_level {min_level!r} must be one of {names}")
    out = []
    for subj in subjects:
        parts: list[tuple[float, str]] = []
        for name, value in subj.factors.items():
            rule = rules.get(name)
            if rule is None:
                raise ValueError(f"{subj.id}: unknown risk factor {name!r}; known {sorted(rules)}")
            if "points" in rule:
                if value not in rule["points"]:
                    raise ValueError(
                        f"{subj.id}: factor {name!r} must be one of {list(rule['points'])}"
                    )
                pts = float(rule["points"][value])
                text = f"{name} {value}"
            else:
                if not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
                    raise ValueError(
                        f"{subj.id}: factor {name!r} must be a number ≥ 0, got {value!r}"
                    )
                pts = float(rule["weight"]) * min(float(value), float(rule["cap"]))
                text = f"{name} {value:g}"
            if pts:
                parts.append((pts, f"{text} (+{pts:.1f})"))
        parts.sort(key=lambda p: -p[0])
        score = sum(p for p, _ in parts)
        level = next(lv["level"] for lv in levels if score >= lv["min_score"])
        out.append(RiskRank(subj.id, subj.kind, score, level, tuple(t for _, t in parts)))
    if min_level is not None:
        keep = set(names[: names.index(min_level) + 1])
        out = [r for r in out if r.level in keep]
    return sorted(out, key=lambda r: (-r.score, r.id))
