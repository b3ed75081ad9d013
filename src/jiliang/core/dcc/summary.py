"""What a certificate states, read from its DCC: the results as reported and the certificate's form.

Everything here comes from the parsed DCC (the signed, hashed content), never from a database
row, so the pages and the PDF show what a verifier checks. Results are given to reporting
precision (JCGM 100 7.2.6 via :mod:`jiliang.core.uncertainty.rounding`): U with two significant
digits and the value to the same decimal place.

The form follows JJF 1069 and the JJG verification regulations:

- a calibration (校准) → 校准证书 / Calibration Certificate;
- a verification (检定) whose result conforms → 检定证书 / Verification Certificate;
- a verification whose result does not conform → 检定结果通知书 / Verification Result Notice,
  which states the non-conformity and the items that failed.

A DCC says it records a verification with a statement of refType :data:`VERIFICATION_REF_TYPE`
(jiliang writes it for a 检定 record, with the verdict as its ``dcc:conformity``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jiliang.core.dcc.parse import ParsedDcc, ParsedQuantity
from jiliang.core.uncertainty.rounding import format_at, format_with_uncertainty
from jiliang.core.units import UnitError, to_utf8

__all__ = [
    "CALIBRATION_CERTIFICATE",
    "VERIFICATION_CERTIFICATE",
    "VERIFICATION_NOTICE",
    "VERIFICATION_REF_TYPE",
    "CertificateForm",
    "ResultLine",
    "certificate_form",
    "certificate_kind",
    "decision_rules",
    "pick",
    "quantity_lines",
    "result_lines",
    "unit_symbol",
]

#: refType of the statement that marks a DCC as the record of a verification (检定)
VERIFICATION_REF_TYPE = "jiliang_verification"
DECISION_RULE_REF_TYPE = "basic_decisionRule"

CALIBRATION_CERTIFICATE = "calibration_certificate"
VERIFICATION_CERTIFICATE = "verification_certificate"
VERIFICATION_NOTICE = "verification_notice"

#: (Chinese, English) title of each form
TITLES = {
    CALIBRATION_CERTIFICATE: ("校准证书", "Calibration Certificate"),
    VERIFICATION_CERTIFICATE: ("检定证书", "Verification Certificate"),
    VERIFICATION_NOTICE: ("检定结果通知书", "Verification Result Notice"),
}

#: DCC conformity statuses (dcc:stringConformityStatementStatusType) that mean "does not conform"
FAILING = frozenset({"fail", "conditionalFail", "noPass"})
#: the only status that lets a verification conclude "conforms" (合格): a 检定证书 certifies
#: conformity, so anything short of an unconditional pass is not enough
CONFORMING = frozenset({"pass"})


def pick(text: dict[str, str], lang: str = "zh") -> str:
    """The text in ``lang`` ("zh" or "en"), else Chinese, else language-neutral, else any."""
    for key in (lang, "zh", "", "en"):
        if text.get(key):
            return text[key]
    return next((v for v in text.values() if v), "")


def unit_symbol(dsi: str | None) -> str:
    """Printed symbol of a D-SI unit (``\\kilogram`` → ``kg``); an unparsable unit as written."""
    if not dsi:
        return ""
    try:
        return to_utf8(dsi)
    except UnitError:
        return dsi


@dataclass(frozen=True)
class ResultLine:
    """One reported value: measurand, value and U rounded per GUM 7.2.6 (text), k, p, unit.

    ``uncertainty`` is the expanded uncertainty U (same unit as the value) or None when the
    certificate states none; ``conformity`` is the DCC status (pass, fail, …) or None.
    """

    name: dict[str, str]
    value: str
    unit: str
    uncertainty: str | None = None
    coverage_factor: str | None = None
    coverage_probability: str | None = None
    conformity: str | None = None
    text: dict[str, str] = field(default_factory=dict)  # a dcc:noQuantity statement

    @property
    def failed(self) -> bool:
        return self.conformity in FAILING


def _nth(seq: list, i: int):
    """Per-value entry of a list holding one entry per value or one for all (None if empty)."""
    if not seq:
        return None
    return seq[i] if len(seq) > i else seq[0]


def quantity_lines(q: ParsedQuantity) -> list[ResultLine]:
    """The reported lines of one quantity: one per value (one for a dcc:noQuantity)."""
    if q.kind == "noQuantity":
        return [ResultLine(q.name, "", "", conformity=_nth(q.conformity, 0), text=q.text)]
    unc = q.uncertainty
    lines = []
    for i, value in enumerate(q.values):
        expanded = _nth(unc.expanded, i) if unc else None
        k = _nth(unc.coverage_factor, i) if unc else None
        p = _nth(unc.coverage_probability, i) if unc else None
        if expanded is not None and expanded > 0:
            value_text, u_text = format_with_uncertainty(value, expanded)
        else:
            value_text, u_text = format_at(value, None), None
        unit = q.units[i] if len(q.units) > i and q.units[i] else q.unit
        lines.append(
            ResultLine(
                name=q.name,
                value=value_text,
                unit=unit_symbol(unit),
                uncertainty=u_text,
                coverage_factor=f"{k:g}" if k is not None else None,
                coverage_probability=f"{p * 100:g} %" if p is not None else None,
                conformity=_nth(q.conformity, i),
            )
        )
    return lines


def result_lines(dcc: ParsedDcc) -> list[ResultLine]:
    """Every reported value of every result quantity, in document order."""
    return [line for q in dcc.quantities() for line in quantity_lines(q)]


def _has_ref_type(ref_type: str | None, wanted: str) -> bool:
    return bool(ref_type) and wanted in ref_type.split()


def decision_rules(dcc: ParsedDcc) -> list[dict[str, str]]:
    """The declarations of the certificate's decision-rule statements ({lang: text} each)."""
    return [
        s.declaration
        for s in dcc.statements
        if _has_ref_type(s.ref_type, DECISION_RULE_REF_TYPE) and s.declaration
    ]


def certificate_kind(dcc: ParsedDcc, default: str = "calibration") -> str:
    """ "verification" when the DCC carries the verification statement, else ``default``.

    ``default`` is for certificates issued before the statement existed (the platform passes
    the record's kind); a DCC that declares itself a verification is one whatever is passed.
    """
    if any(_has_ref_type(s.ref_type, VERIFICATION_REF_TYPE) for s in dcc.statements):
        return "verification"
    return default if default in ("calibration", "verification") else "calibration"


@dataclass(frozen=True)
class CertificateForm:
    """The form a certificate takes: which document (``form``), its titles, and the verdict.

    ``conforming`` is True/False for a verification with a verdict, None when none is stated
    (a calibration normally; a verification without one gets the notice: it was not found
    conforming). ``failed`` holds the result lines that did not conform.
    """

    kind: str
    form: str
    conforming: bool | None
    failed: tuple[ResultLine, ...] = ()

    @property
    def title_zh(self) -> str:
        return TITLES[self.form][0]

    @property
    def title_en(self) -> str:
        return TITLES[self.form][1]

    @property
    def title(self) -> str:
        return f"{self.title_zh} {self.title_en}"


def certificate_form(dcc: ParsedDcc, default_kind: str = "calibration") -> CertificateForm:
    """The form of ``dcc`` (see the module docstring) from its statements and result verdicts."""
    kind = certificate_kind(dcc, default_kind)
    lines = result_lines(dcc)
    verdicts = [line.conformity for line in lines if line.conformity]
    # every stated verdict counts: the results' and the statements' (the verification one, a
    # basic_conformity one): a single failure makes the item non-conforming
    verdicts += [s.conformity for s in dcc.statements if s.conformity]
    failed = tuple(line for line in lines if line.failed)
    if any(v in FAILING for v in verdicts):
        conforming: bool | None = False
    elif verdicts and all(v in CONFORMING for v in verdicts):
        conforming = True
    else:
        conforming = None
    if kind != "verification":
        return CertificateForm(kind, CALIBRATION_CERTIFICATE, conforming, failed)
    form = VERIFICATION_CERTIFICATE if conforming else VERIFICATION_NOTICE
    return CertificateForm(kind, form, conforming, failed)
