r"""Conformity decisions (符合性判定) with measurement uncertainty.

Decision rules follow ILAC-G8:09/2019 §4.2 and probabilities follow JCGM 106:2012:

* :func:`decide` — verdict for one measured value y with expanded uncertainty U against tolerance
  limits T_L, T_U (two-sided or one-sided), by a :class:`DecisionRule`:
  simple acceptance / shared risk (w = 0), guarded acceptance (w = r·U, acceptance interval
  narrowed), guarded rejection (w = −r·U) and the non-binary rule of ILAC-G8 §4.2.3
  (pass / conditional pass / conditional fail / fail).
* :func:`conformance_probability` — p_c = Φ((T_U − y)/u) − Φ((T_L − y)/u) (JCGM 106 §7.3), and
  :func:`specific_risks` — the false-accept / false-reject probability of that one decision.
* :func:`acceptance_limits` — the acceptance interval a rule sets for a given U.
* :func:`global_risks` — consumer's and producer's risk R_C, R_P for a normal process prior
  N(y₀, u₀²) and normal measurement N(η, u_m²), JCGM 106 §9.5, by numerical integration.
* :func:`measurement_capability` — by a selectable :class:`CapabilityRule`: U95 ≤ MPE/3
  (JJF 1094-2002 §5.3.1, the default for Chinese legal metrology), or the test uncertainty
  ratio TUR = (T_U − T_L)/(2·U95) ≥ a minimum (4: ANSI/NCSL Z540.3 style), or both; the
  result records which rule gave the verdict.

All values share one unit (the caller converts with :mod:`jiliang.core.units` first).
"""

from __future__ import annotations

import itertools
import math
import numbers
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from scipy import integrate, stats


class ConformityError(ValueError):
    """Invalid input to a conformity calculation; the message names the field."""

    def __init__(self, field_name: str, message: str):
        super().__init__(f"{field_name}: {message}")
        self.field = field_name


def _finite(name: str, x: float) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real) or not math.isfinite(x):
        raise ConformityError(name, f"must be a finite number, got {x!r}")
    return float(x)


def _positive(name: str, x: float) -> float:
    x = _finite(name, x)
    if x <= 0:
        raise ConformityError(name, f"must be > 0, got {x}")
    return x


# --------------------------------------------------------------------------------------------
# Tolerance and rules
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Tolerance:
    """Tolerance interval (容许区间) [T_L, T_U]; ``None`` on one side makes it one-sided."""

    lower: float | None = None
    upper: float | None = None

    def __post_init__(self) -> None:
        if self.lower is None and self.upper is None:
            raise ConformityError("tolerance", "give a lower limit, an upper limit, or both")
        if self.lower is not None:
            object.__setattr__(self, "lower", _finite("tolerance.lower", self.lower))
        if self.upper is not None:
            object.__setattr__(self, "upper", _finite("tolerance.upper", self.upper))
        if self.lower is not None and self.upper is not None and self.lower >= self.upper:
            raise ConformityError(
                "tolerance", f"lower limit {self.lower} must be below upper limit {self.upper}"
            )

    @classmethod
    def symmetric(cls, nominal: float, mpe: float) -> Tolerance:
        """nominal ± MPE (最大允许误差), e.g. an instrument error limit around 0."""
        mpe = _positive("mpe", mpe)
        return cls(_finite("nominal", nominal) - mpe, nominal + mpe)

    @property
    def sides(self) -> str:
        """``"two-sided"``, ``"upper-only"`` or ``"lower-only"``."""
        if self.lower is not None and self.upper is not None:
            return "two-sided"
        return "upper-only" if self.upper is not None else "lower-only"

    @property
    def span(self) -> float:
        """T_U − T_L (infinite for a one-sided interval)."""
        if self.lower is None or self.upper is None:
            return math.inf
        return self.upper - self.lower

    def contains(self, x: float) -> bool:
        """True if x lies in the closed tolerance interval."""
        return _within(x, self.lower, self.upper)


class RuleKind(StrEnum):
    """Kinds of decision rule (ILAC-G8:09/2019 §4.2)."""

    SIMPLE_ACCEPTANCE = "simple acceptance"  # §4.2.1, w = 0
    # same acceptance as simple acceptance (the names are used as synonyms, e.g. IEC Guide 115);
    # a separate label so a report can state the wording agreed with the customer
    SHARED_RISK = "shared risk"
    GUARDED_ACCEPTANCE = "guarded acceptance"  # §4.2.2, w = r·U, acceptance interval narrowed
    GUARDED_REJECTION = "guarded rejection"  # w = r·U, acceptance interval widened
    NON_BINARY = "non-binary"  # §4.2.3, pass / conditional pass / conditional fail / fail


class Verdict(StrEnum):
    """Statement of conformity (符合性声明) as ILAC-G8:09/2019 names it."""

    PASS = "pass"
    CONDITIONAL_PASS = "conditional pass"
    CONDITIONAL_FAIL = "conditional fail"
    FAIL = "fail"

    @property
    def zh(self) -> str:
        """Chinese wording: 合格 / 有条件合格 / 有条件不合格 / 不合格."""
        return {
            "pass": "合格",
            "conditional pass": "有条件合格",
            "conditional fail": "有条件不合格",
            "fail": "不合格",
        }[self.value]


@dataclass(frozen=True, slots=True)
class DecisionRule:
    """A decision rule: its kind and guard-band multiplier r (w = r·U)."""

    kind: RuleKind
    r: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", RuleKind(self.kind))
        r = _finite("rule.r", self.r)
        if r < 0:
            raise ConformityError("rule.r", f"guard-band multiplier must be ≥ 0, got {r}")
        if self.kind in (RuleKind.SIMPLE_ACCEPTANCE, RuleKind.SHARED_RISK) and r != 0:
            raise ConformityError("rule.r", f"{self.kind} has no guard band (r must be 0)")
        if self.kind not in (RuleKind.SIMPLE_ACCEPTANCE, RuleKind.SHARED_RISK) and r == 0:
            raise ConformityError("rule.r", f"{self.kind} needs a guard band r > 0")

    @classmethod
    def simple_acceptance(cls) -> DecisionRule:
        """Accept iff y is within the tolerance (w = 0); ILAC-G8 §4.2.1."""
        return cls(RuleKind.SIMPLE_ACCEPTANCE)

    @classmethod
    def shared_risk(cls) -> DecisionRule:
        """w = 0, stated as sharing the risk at the limits (up to 50 % specific risk)."""
        return cls(RuleKind.SHARED_RISK)

    @classmethod
    def guarded_acceptance(cls, r: float = 1.0) -> DecisionRule:
        """Acceptance interval [T_L + w, T_U − w] with w = r·U; ILAC-G8 §4.2.2."""
        return cls(RuleKind.GUARDED_ACCEPTANCE, r)

    @classmethod
    def guarded_rejection(cls, r: float = 1.0) -> DecisionRule:
        """Acceptance interval [T_L − w, T_U + w]: reject only when non-conformity is clear."""
        return cls(RuleKind.GUARDED_REJECTION, r)

    @classmethod
    def non_binary(cls, r: float = 1.0) -> DecisionRule:
        """Four-way statement with guard band w = r·U; ILAC-G8 §4.2.3."""
        return cls(RuleKind.NON_BINARY, r)

    @property
    def description(self) -> str:
        """Human-readable statement of the rule."""
        if self.kind in (RuleKind.SIMPLE_ACCEPTANCE, RuleKind.SHARED_RISK):
            return f"{self.kind} (w = 0)"
        return f"{self.kind} (w = {self.r:g}·U)"


# --------------------------------------------------------------------------------------------
# Specific decision
# --------------------------------------------------------------------------------------------
def conformance_probability(
    value: float, u: float, tolerance: Tolerance, dof: float = math.inf
) -> float:
    """p_c for a measured value y with standard uncertainty u (JCGM 106 §7.3, normal PDF).

    p_c = Φ((T_U − y)/u) − Φ((T_L − y)/u); a missing limit contributes Φ = 1 or 0. With finite
    ``dof`` a scaled-and-shifted t distribution (JCGM 101 §6.4.9) replaces the normal.
    """
    y, u = _finite("value", value), _positive("u", u)
    if not dof > 0:
        raise ConformityError("dof", f"degrees of freedom must be > 0, got {dof}")
    dist = stats.norm if math.isinf(dof) else stats.t(dof)
    upper = 1.0 if tolerance.upper is None else float(dist.cdf((tolerance.upper - y) / u))
    lower = 0.0 if tolerance.lower is None else float(dist.cdf((tolerance.lower - y) / u))
    return upper - lower


@dataclass(frozen=True, slots=True)
class SpecificRisks:
    """Risks of one decision: p_c, and the false-accept / false-reject probability it carries."""

    probability_of_conformity: float
    accepted: bool
    false_accept: float  # 1 − p_c if accepted, else 0
    false_reject: float  # p_c if rejected, else 0

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON."""
        return asdict(self)


def specific_risks(
    value: float, u: float, tolerance: Tolerance, *, accepted: bool, dof: float = math.inf
) -> SpecificRisks:
    """Specific consumer's / producer's risk of accepting or rejecting this item (JCGM 106 §9)."""
    pc = conformance_probability(value, u, tolerance, dof)
    return SpecificRisks(
        pc,
        accepted,
        false_accept=(1.0 - pc) if accepted else 0.0,
        false_reject=0.0 if accepted else pc,
    )


@dataclass(frozen=True, slots=True)
class Decision:
    """Outcome of :func:`decide`: verdict, the rule that produced it, limits used, p_c."""

    verdict: Verdict
    rule: DecisionRule
    value: float
    expanded_uncertainty: float
    k: float
    tolerance: Tolerance
    guard_band: float
    acceptance_lower: float | None
    acceptance_upper: float | None
    probability_of_conformity: float
    explanation: str
    notes: tuple[str, ...] = field(default=())

    @property
    def accepted(self) -> bool:
        """True for pass and conditional pass."""
        return self.verdict in (Verdict.PASS, Verdict.CONDITIONAL_PASS)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON (enums as their strings)."""
        data = asdict(self)
        data["verdict"] = self.verdict.value
        data["verdict_zh"] = self.verdict.zh
        data["rule"] = {
            "kind": self.rule.kind.value,
            "r": self.rule.r,
            "description": self.rule.description,
        }
        data["notes"] = list(self.notes)
        return data


def _shift(limit: float | None, by: float) -> float | None:
    return None if limit is None else limit + by


def acceptance_limits(
    tolerance: Tolerance, rule: DecisionRule, expanded_uncertainty: float
) -> tuple[float | None, float | None]:
    """Acceptance limits (A_L, A_U) a rule sets for expanded uncertainty U; None = unbounded.

    Guarded acceptance and the non-binary rule narrow the tolerance by w = r·U on each bounded
    side, guarded rejection widens it, w = 0 rules keep it. Feed them to :func:`global_risks`.
    """
    w = rule.r * _finite("expanded_uncertainty", expanded_uncertainty)
    if rule.kind in (RuleKind.GUARDED_ACCEPTANCE, RuleKind.NON_BINARY):
        return _shift(tolerance.lower, w), _shift(tolerance.upper, -w)
    if rule.kind is RuleKind.GUARDED_REJECTION:
        return _shift(tolerance.lower, -w), _shift(tolerance.upper, w)
    return tolerance.lower, tolerance.upper


def decide(
    value: float,
    expanded_uncertainty: float,
    tolerance: Tolerance,
    rule: DecisionRule | None = None,
    *,
    k: float = 2.0,
) -> Decision:
    """Statement of conformity for measured value y with expanded uncertainty U (coverage k).

    Acceptance limits: simple acceptance / shared risk A = T; guarded acceptance
    A_L = T_L + w, A_U = T_U − w; guarded rejection A_L = T_L − w, A_U = T_U + w; non-binary:
    pass inside [T_L + w, T_U − w], conditional pass elsewhere inside T, conditional fail
    within w outside T, fail beyond (ILAC-G8:09/2019 §4.2.3).
    ``U = 0`` is allowed for w = 0 rules.
    """
    rule = rule or DecisionRule.simple_acceptance()
    y = _finite("value", value)
    big_u = _finite("expanded_uncertainty", expanded_uncertainty)
    k = _positive("k", k)
    if big_u < 0:
        raise ConformityError("expanded_uncertainty", f"must be ≥ 0, got {big_u}")
    w = rule.r * big_u
    if (
        w > 0
        and 2 * w >= tolerance.span
        and rule.kind in (RuleKind.GUARDED_ACCEPTANCE, RuleKind.NON_BINARY)
    ):
        raise ConformityError(
            "expanded_uncertainty",
            f"guard band w = {w:g} leaves no acceptance interval inside tolerance span "
            f"{tolerance.span:g}: the measurement is not capable of this decision",
        )
    inside = tolerance.contains(y)
    a_lo, a_hi = acceptance_limits(tolerance, rule, big_u)
    accepted = _within(y, a_lo, a_hi)
    if rule.kind is RuleKind.NON_BINARY:
        within_outer = _within(y, _shift(tolerance.lower, -w), _shift(tolerance.upper, w))
        if accepted:
            verdict = Verdict.PASS
        elif inside:
            verdict = Verdict.CONDITIONAL_PASS
        else:
            verdict = Verdict.CONDITIONAL_FAIL if within_outer else Verdict.FAIL
    else:
        verdict = Verdict.PASS if accepted else Verdict.FAIL
    pc = conformance_probability(y, big_u / k, tolerance) if big_u > 0 else float(inside)
    limits = f"[{_fmt(a_lo, '−∞')}, {_fmt(a_hi, '+∞')}]"
    explanation = (
        f"y = {y:g}, U = {big_u:g} (k = {k:g}); {rule.description}; acceptance interval "
        f"{limits} within tolerance [{_fmt(tolerance.lower, '−∞')}, {_fmt(tolerance.upper, '+∞')}] "
        f"({tolerance.sides}); verdict: {verdict.value}; probability of conformity {pc:.4f}"
    )
    notes = []
    if rule.kind in (RuleKind.SIMPLE_ACCEPTANCE, RuleKind.SHARED_RISK) and accepted:
        notes.append(f"specific false-accept risk of this acceptance: {1 - pc:.4f} (up to 0.5)")
    return Decision(
        verdict, rule, y, big_u, k, tolerance, w, a_lo, a_hi, pc, explanation, tuple(notes)
    )


def _within(x: float, lower: float | None, upper: float | None) -> bool:
    return (lower is None or x >= lower) and (upper is None or x <= upper)


def _fmt(x: float | None, infinity: str) -> str:
    return infinity if x is None else f"{x:g}"


# --------------------------------------------------------------------------------------------
# Global risks (JCGM 106 §9.5)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class GlobalRisks:
    """Global consumer's risk R_C and producer's risk R_P for a process and a measuring system."""

    consumer_risk: float
    producer_risk: float
    prior_conformance: float  # Pr(η ∈ C) before measurement
    acceptance_lower: float | None
    acceptance_upper: float | None
    measurement_capability_index: float | None  # C_m = (T_U − T_L)/(4 u_m) (JCGM 106)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON."""
        return asdict(self)


def _phi(x: float) -> float:
    """Standard normal CDF Φ(x), via erfc so the far tails keep their relative accuracy."""
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def _prob_accept(eta: float, a_lo: float | None, a_hi: float | None, u_m: float) -> float:
    """Pr(measured value in acceptance interval | true value η) for normal measurement error."""
    hi = 1.0 if a_hi is None else _phi((a_hi - eta) / u_m)
    lo = 0.0 if a_lo is None else _phi((a_lo - eta) / u_m)
    return hi - lo


def global_risks(
    process_mean: float,
    process_u: float,
    measurement_u: float,
    tolerance: Tolerance,
    *,
    acceptance_lower: float | None = None,
    acceptance_upper: float | None = None,
) -> GlobalRisks:
    """R_C and R_P (JCGM 106 §9.5) by adaptive quadrature (scipy ``quad``).

    Prior of the true value η: N(y₀ = ``process_mean``, u₀² = ``process_u``²); measured value
    η_m | η ~ N(η, u_m²). Acceptance limits default to the tolerance limits (simple acceptance);
    pass guard-banded limits to evaluate guarded acceptance.
    R_C = ∫_{η∉C} g₀(η) Pr(η_m ∈ A | η) dη,  R_P = ∫_{η∈C} g₀(η) Pr(η_m ∉ A | η) dη.
    """
    y0, u0 = _finite("process_mean", process_mean), _positive("process_u", process_u)
    u_m = _positive("measurement_u", measurement_u)
    a_lo = (
        tolerance.lower
        if acceptance_lower is None
        else _finite("acceptance_lower", acceptance_lower)
    )
    a_hi = (
        tolerance.upper
        if acceptance_upper is None
        else _finite("acceptance_upper", acceptance_upper)
    )
    if (a_lo is None) != (tolerance.lower is None) or (a_hi is None) != (tolerance.upper is None):
        raise ConformityError("acceptance limits", "must be one-sided exactly as the tolerance is")
    if a_lo is not None and a_hi is not None and a_lo >= a_hi:
        raise ConformityError("acceptance limits", f"lower {a_lo} must be below upper {a_hi}")
    norm = 1.0 / (u0 * math.sqrt(2.0 * math.pi))

    def prior_pdf(eta: float) -> float:
        return norm * math.exp(-0.5 * ((eta - y0) / u0) ** 2)

    lo = -math.inf if tolerance.lower is None else tolerance.lower
    hi = math.inf if tolerance.upper is None else tolerance.upper

    def accept(eta: float) -> float:
        return prior_pdf(eta) * _prob_accept(eta, a_lo, a_hi, u_m)

    def reject(eta: float) -> float:
        return prior_pdf(eta) * (1.0 - _prob_accept(eta, a_lo, a_hi, u_m))

    def quad(f: Any, a: float, b: float) -> float:
        if a >= b:
            return 0.0
        # split at the prior mean so quad sees the peak, even for a narrow prior
        points = [p for p in (y0,) if a < p < b]
        pieces = [a, *points, b]
        return sum(
            integrate.quad(f, x0, x1, epsabs=1e-13, epsrel=1e-10, limit=200)[0]
            for x0, x1 in itertools.pairwise(pieces)
        )

    consumer = quad(accept, -math.inf, lo) + quad(accept, hi, math.inf)
    producer = quad(reject, lo, hi)
    prior_pc = _phi((hi - y0) / u0) - _phi((lo - y0) / u0)
    cm = None if math.isinf(tolerance.span) else tolerance.span / (4.0 * u_m)
    return GlobalRisks(consumer, producer, prior_pc, a_lo, a_hi, cm)


# --------------------------------------------------------------------------------------------
# Measurement capability for verification (JJF 1094)
# --------------------------------------------------------------------------------------------
class CapabilityRule(StrEnum):
    """Which criterion decides :func:`measurement_capability`.

    For a symmetric ±MPE, TUR = MPE/U95, so the one-third rule is TUR ≥ 3: adding TUR ≥ 4 is a
    stricter, different rule and must be chosen, not applied silently.
    """

    #: JJF 1094-2002 §5.3.1: U95 ≤ MPEV/3 — the error alone may then be compared with the MPE.
    JJF1094_ONE_THIRD = "jjf1094-one-third"
    #: TUR = (T_U − T_L)/(2·U95) ≥ ``min_tur`` (4): ANSI/NCSL Z540.3-2006 §5.3 b) fallback.
    TUR = "tur"
    #: both of the above (the library's default before the rule became explicit).
    BOTH = "both"

    @property
    def basis(self) -> str:
        """The published criterion, for reports."""
        return {
            CapabilityRule.JJF1094_ONE_THIRD: "JJF 1094-2002 §5.3.1: U95 ≤ MPE/3",
            CapabilityRule.TUR: "TUR ≥ minimum (ANSI/NCSL Z540.3-2006 §5.3 b) style, 4:1)",
            CapabilityRule.BOTH: "JJF 1094-2002 §5.3.1 U95 ≤ MPE/3 and TUR ≥ minimum",
        }[self]


@dataclass(frozen=True, slots=True)
class CapabilityCheck:
    """Is the measurement good enough to verify against this MPE / tolerance?

    Both criteria are always computed; ``capable`` is the verdict of ``rule`` alone.
    """

    expanded_uncertainty: float  # U95
    mpe: float  # maximum permissible error (half the tolerance span if not given)
    ratio: float  # U95 / MPE
    tur: float  # (T_U − T_L) / (2 U95)
    min_tur: float
    meets_one_third: bool  # U95 ≤ MPE/3 (JJF 1094-2002)
    meets_tur: bool  # TUR ≥ min_tur
    capable: bool
    explanation: str
    rule: str = CapabilityRule.JJF1094_ONE_THIRD.value  # the rule that gave ``capable``
    basis: str = CapabilityRule.JJF1094_ONE_THIRD.basis  # its published source

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON."""
        return asdict(self)


def measurement_capability(
    expanded_uncertainty: float,
    *,
    mpe: float | None = None,
    tolerance: Tolerance | None = None,
    min_tur: float = 4.0,
    max_fraction: float = 1.0 / 3.0,
    rule: CapabilityRule | str = CapabilityRule.JJF1094_ONE_THIRD,
) -> CapabilityCheck:
    """Judge U95 ≤ ``max_fraction``·MPE (JJF 1094: 1/3) and/or TUR = span/(2·U95) ≥ ``min_tur``.

    Give ``mpe`` (symmetric ±MPE, span 2·MPE) or a two-sided ``tolerance`` (MPE = span/2).
    ``rule`` (:class:`CapabilityRule`) picks the criterion that decides: JJF 1094-2002 §5.3.1's
    one-third rule by default (Chinese legal metrology), ``"tur"`` for TUR ≥ ``min_tur`` alone, or
    ``"both"``. When capable, the verification may judge conformity by |error| ≤ MPE alone;
    otherwise the uncertainty must enter the decision (use :func:`decide`).
    """
    try:
        chosen = CapabilityRule(rule)
    except ValueError:
        choices = ", ".join(r.value for r in CapabilityRule)
        message = f"unknown capability rule {rule!r}; use one of {choices}"
        raise ConformityError("rule", message) from None
    big_u = _positive("expanded_uncertainty", expanded_uncertainty)
    min_tur = _positive("min_tur", min_tur)
    max_fraction = _positive("max_fraction", max_fraction)
    if mpe is None and tolerance is None:
        raise ConformityError("mpe", "give the maximum permissible error or a tolerance")
    if tolerance is not None and math.isinf(tolerance.span):
        raise ConformityError("tolerance", "a capability ratio needs a two-sided tolerance")
    span = tolerance.span if tolerance is not None else 2.0 * _positive("mpe", mpe)
    mpe_value = _positive("mpe", mpe) if mpe is not None else span / 2.0
    ratio = big_u / mpe_value
    tur = span / (2.0 * big_u)
    meets_third = ratio <= max_fraction * (1 + 1e-12)
    meets_tur = tur >= min_tur * (1 - 1e-12)
    uses_third = chosen in (CapabilityRule.JJF1094_ONE_THIRD, CapabilityRule.BOTH)
    uses_tur = chosen in (CapabilityRule.TUR, CapabilityRule.BOTH)
    capable = (meets_third or not uses_third) and (meets_tur or not uses_tur)
    failed = [
        *([] if meets_third or not uses_third else [f"U95/MPE = {ratio:.3g} > {max_fraction:.3g}"]),
        *([] if meets_tur or not uses_tur else [f"TUR = {tur:.3g} < {min_tur:g}"]),
    ]
    third = f"U95/MPE = {ratio:.3g} (limit {max_fraction:.3g})"
    tur_text = f"TUR = {tur:.3g} (minimum {min_tur:g})"
    explanation = (
        f"rule {chosen.value} ({chosen.basis}): U95 = {big_u:g}, MPE = {mpe_value:g}: "
        f"{third}{'' if uses_third else ' [not part of the rule]'}, "
        f"{tur_text}{'' if uses_tur else ' [not part of the rule]'}; "
        + ("capable" if capable else "not capable: " + "; ".join(failed))
    )
    return CapabilityCheck(
        big_u,
        mpe_value,
        ratio,
        tur,
        min_tur,
        meets_third,
        meets_tur,
        capable,
        explanation,
        chosen.value,
        chosen.basis,
    )
