"""Per-meter verdict from the remote estimate (远程误差判定): conforming, out of tolerance, or not.

The estimate ê ± U (k = 2) is judged with :func:`jiliang.core.conformity.decide` against the
MPE of the meter's accuracy class, from the rule table ``data/meter-classes.yaml`` (its
decision rule too: ILAC-G8 non-binary with guard band w = r·U by default). Conditional pass and
conditional fail mean the estimate cannot decide: the meter goes to an on-site check
(现场核查). A meter the balance could not identify is never judged.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import yaml

from jiliang.core.conformity import DecisionRule, RuleKind, Tolerance, Verdict, decide
from jiliang.core.legal.rules import RuleTable, parse_table

from .balance import MeterEstimate, MonitoringError

TABLE = Path(__file__).with_name("data") / "meter-classes.yaml"


class MeterVerdict(StrEnum):
    CONFORMING = "conforming"  # 合格
    OUT_OF_TOLERANCE = "out_of_tolerance"  # 失准 → replacement order
    INCONCLUSIVE = "inconclusive"  # → on-site check
    NOT_IDENTIFIABLE = "not_identifiable"  # the balance cannot see it


@dataclass(frozen=True)
class MeterDecision:
    meter_id: str
    verdict: MeterVerdict
    accuracy_class: str
    mpe: float
    error: float | None
    expanded_uncertainty: float | None
    explanation: str


@functools.cache
def classes(path: Path = TABLE) -> RuleTable:
    """The accuracy-class table (cached; pass another path for a bureau's own table)."""
    with open(path, encoding="utf-8") as fh:
        table = parse_table(yaml.safe_load(fh), str(path))
    if table.kind != "meter_classes":
        raise MonitoringError("table", f"{path} is a {table.kind!r} table, not meter_classes")
    return table


def rule_of(table: RuleTable) -> tuple[DecisionRule, float]:
    spec = table.meta.get("decision") or {}
    return DecisionRule(spec.get("kind", "non-binary"), float(spec.get("r", 1.0))), float(
        spec.get("k", 2.0)
    )


def judge(
    estimate: MeterEstimate, accuracy_class: str, table: RuleTable | None = None
) -> MeterDecision:
    """The verdict on one meter's estimate against its class's MPE."""
    table = table or classes()
    try:
        mpe = float(table.entry(accuracy_class)["mpe"])
    except KeyError:
        known = ", ".join(str(e["code"]) for e in table.entries)
        raise MonitoringError(
            "accuracy_class", f"unknown accuracy class {accuracy_class!r}; known: {known}"
        ) from None
    if not estimate.identifiable:
        return MeterDecision(
            estimate.meter_id,
            MeterVerdict.NOT_IDENTIFIABLE,
            accuracy_class,
            mpe,
            None,
            None,
            f"not judged: {estimate.status.value} — {estimate.reason}",
        )
    rule, k = rule_of(table)
    big_u = k * estimate.u
    tol = Tolerance.symmetric(0.0, mpe)
    try:
        d = decide(estimate.error, big_u, tol, rule, k=k)
    except ValueError:
        # U too wide for any acceptance inside the tolerance: conformity cannot be shown, but
        # non-conformity still can — judge by guarded rejection (fail only beyond MPE + U)
        d = decide(estimate.error, big_u, tol, DecisionRule.guarded_rejection(rule.r or 1.0), k=k)
        if d.verdict is Verdict.PASS:
            return MeterDecision(
                estimate.meter_id,
                MeterVerdict.INCONCLUSIVE,
                accuracy_class,
                mpe,
                estimate.error,
                big_u,
                f"inconclusive: U = {big_u:.3g} is too wide to show conformity to ±{mpe:g}",
            )
    verdict = {
        Verdict.PASS: MeterVerdict.CONFORMING,
        Verdict.FAIL: MeterVerdict.OUT_OF_TOLERANCE,
    }.get(d.verdict, MeterVerdict.INCONCLUSIVE)
    return MeterDecision(
        estimate.meter_id, verdict, accuracy_class, mpe, estimate.error, big_u, d.explanation
    )


def verdict(
    estimate: MeterEstimate, accuracy_class: str, table: RuleTable | None = None
) -> MeterVerdict:
    """``judge(estimate, accuracy_class, table).verdict`` without the explanation.

    The fleet needs only the verdict of each of 10⁶ meters; :func:`judge` also computes the
    probability of conformity (a normal CDF) and an explanation for each. For the table's
    non-binary rule this applies the same acceptance limits and comparisons as
    :func:`jiliang.core.conformity.decide` (ILAC-G8 §4.2.3, the guarded-rejection fallback of
    :func:`judge` included); any other rule, or a non-finite estimate, goes through
    :func:`judge` itself.
    """
    table = table or classes()
    try:
        mpe = float(table.entry(accuracy_class)["mpe"])
    except KeyError:
        return judge(estimate, accuracy_class, table).verdict  # raises, naming the field
    if not estimate.identifiable:
        return MeterVerdict.NOT_IDENTIFIABLE
    rule, k = rule_of(table)
    y = estimate.error
    big_u = k * estimate.u if estimate.u is not None else math.nan
    if (
        rule.kind is not RuleKind.NON_BINARY
        or y is None
        or not (math.isfinite(y) and math.isfinite(big_u) and big_u >= 0)
        or not (math.isfinite(k) and k > 0 and mpe > 0)
    ):
        return judge(estimate, accuracy_class, table).verdict
    tol = Tolerance.symmetric(0.0, mpe)
    lower, upper = tol.lower, tol.upper
    w = rule.r * big_u
    if w > 0 and 2 * w >= tol.span:
        # judge's fallback: guarded rejection, w = r·U (r or 1), acceptance [T_L − w, T_U + w]
        wr = (rule.r or 1.0) * big_u
        accepted = lower - wr <= y <= upper + wr
        return MeterVerdict.INCONCLUSIVE if accepted else MeterVerdict.OUT_OF_TOLERANCE
    if lower + w <= y <= upper - w:
        return MeterVerdict.CONFORMING
    if lower <= y <= upper or lower - w <= y <= upper + w:
        return MeterVerdict.INCONCLUSIVE  # conditional pass / conditional fail
    return MeterVerdict.OUT_OF_TOLERANCE
