"""Regional measurement-risk early warning (计量风险预警): green/amber/red (绿/黄/红) levels.

A region's factors are counts taken from records (overdue and failed verifications, complaints,
credit, unsatisfactory comparison results, monitoring alarms). The ``early_warning`` rule table
turns them into values (``numerator / denominator × per`` for a rate, the count itself
otherwise) and each value into a level: ``red`` when it reaches the factor's ``red`` threshold,
``amber`` when it reaches ``amber``, else ``green``. The overall level is the worst factor
level, raised to red when ``amber_factors_to_red`` factors are amber at once. A rate whose
denominator is below ``min_denominator`` is not judged (green, with that reason).

Every threshold of the shipped table is jiliang's own choice (``confirmed: false``).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass

from jiliang.core.legal.rules import RuleBook, RuleTable

LEVELS = ("green", "amber", "red")
ZH = {"green": "绿", "amber": "黄", "red": "红"}


@dataclass(frozen=True)
class FactorLevel:
    """One factor's value (unit as in the table), level and reason."""

    factor: str
    zh: str
    value: float | None  # None: not judged (denominator too small)
    unit: str
    level: str
    amber: float
    red: float
    reason: str


@dataclass(frozen=True)
class Warning:
    """The overall level of a region and its factors (worst first), with the table edition."""

    level: str
    factors: tuple[FactorLevel, ...]
    reasons: tuple[str, ...]  # one per factor above green, worst first (+ the escalation)
    edition: str


def table(book: RuleBook | None = None, as_of: dt.date | None = None) -> RuleTable:
    """The ``early_warning`` rule table in force on ``as_of``."""
    return (book or RuleBook.default()).table("early_warning", as_of)


def window_start(factor: str, as_of: dt.date, book: RuleBook | None = None) -> dt.date | None:
    """First day counted for ``factor`` (``as_of − window_days``); None when it has no window."""
    days = table(book, as_of).entry(factor).get("window_days")
    if days is None:
        return None
    if not isinstance(days, int) or isinstance(days, bool) or days < 0:
        raise ValueError(f"early_warning factor {factor!r}: window_days must be an integer ≥ 0")
    return as_of - dt.timedelta(days=days)


def _number(name: str, value: object) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < 0
    ):
        raise ValueError(f"count {name!r} must be a finite number ≥ 0, got {value!r}")
    return float(value)


def _threshold(rule: Mapping, key: str) -> float:
    value = rule.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"early_warning factor {rule['factor']!r}: {key!r} must be a number")
    return float(value)


def assess(
    counts: Mapping[str, float],
    *,
    book: RuleBook | None = None,
    as_of: dt.date | None = None,
) -> Warning:
    """Levels per factor and overall for one region's ``counts``.

    ``counts`` maps the table's numerator/denominator names (``overdue``, ``filed``, ``failed``,
    ``verified``, ``complaints``, ``serious_credit``, …) to counts ≥ 0; a factor whose counts are
    absent is left out (e.g. a platform without complaints). Negative, non-finite or non-numeric
    counts raise ValueError naming the count.
    """
    t = table(book, as_of)
    checked = {k: _number(k, v) for k, v in counts.items()}
    out: list[FactorLevel] = []
    for rule in t.entries:
        num_name, den_name = rule["numerator"], rule.get("denominator")
        if num_name not in checked or (den_name is not None and den_name not in checked):
            continue
        amber, red = _threshold(rule, "amber"), _threshold(rule, "red")
        if red < amber:
            raise ValueError(f"early_warning factor {rule['factor']!r}: red < amber")
        unit = str(rule.get("unit", ""))
        value: float | None
        if den_name is None:
            value = checked[num_name]
            text = f"{rule['zh']} {value:g}"
        else:
            den = checked[den_name]
            if den < float(rule.get("min_denominator", 1)) or den == 0:
                out.append(
                    FactorLevel(
                        rule["factor"],
                        rule["zh"],
                        None,
                        unit,
                        "green",
                        amber,
                        red,
                        f"{rule['zh']}: {den_name} {den:g} < {rule.get('min_denominator', 1)}",
                    )
                )
                continue
            value = checked[num_name] / den * float(rule.get("per", 1))
            text = f"{rule['zh']} {value:.2f} {unit} ({checked[num_name]:g}/{den:g})"
        level = "red" if value >= red else "amber" if value >= amber else "green"
        limit = {"red": f" ≥ {red:g}", "amber": f" ≥ {amber:g}", "green": ""}[level]
        out.append(
            FactorLevel(rule["factor"], rule["zh"], value, unit, level, amber, red, text + limit)
        )
    out.sort(key=lambda f: -LEVELS.index(f.level))
    worst = out[0].level if out else "green"
    reasons = [f"{ZH[f.level]} {f.reason}" for f in out if f.level != "green"]
    n_amber = sum(f.level == "amber" for f in out)
    to_red = t.meta.get("amber_factors_to_red")
    if worst == "amber" and isinstance(to_red, int) and to_red > 0 and n_amber >= to_red:
        worst = "red"
        reasons.append(f"{ZH['red']} {n_amber} 项黄色因素 ≥ {to_red}")
    return Warning(worst, tuple(out), tuple(reasons), t.edition)


def rises(new: str, old: str | None) -> bool:
    """Is level ``new`` above ``old`` (None: green)? ValueError naming an unknown level."""
    for name, lv in (("new", new), ("old", old or "green")):
        if lv not in LEVELS:
            raise ValueError(f"{name} level {lv!r} must be one of {LEVELS}")
    return LEVELS.index(new) > LEVELS.index(old or "green")
