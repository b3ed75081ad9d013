"""The results a certificate states, for the certificate page and the public verification page.

Read from the certificate's DCC XML (the signed content a verifier checks), never from the
calibration event's row, which can change after issue; the reading and the GUM 7.2.6 rounding
are the core's (:mod:`jiliang.core.dcc.summary`). Texts in the DCC are shown in the UI language
when the certificate has it, else in Chinese.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from jiliang.core.dcc import DccError, parse_dcc
from jiliang.core.dcc.summary import (
    VERIFICATION_CERTIFICATE,
    VERIFICATION_NOTICE,
    CertificateForm,
    certificate_form,
    decision_rules,
    pick,
    result_lines,
)


def _conformity_label(status: str | None) -> str:
    """The DCC conformity status (dcc:stringConformityStatementStatusType) in the UI language."""
    labels = {
        "pass": _("合格"),
        "fail": _("不合格"),
        "conditionalPass": _("有条件合格"),
        "conditionalFail": _("有条件不合格"),
        "noPass": _("未通过"),
        "noFail": _("未判定不合格"),
    }
    return labels.get(status, status) if status else ""


def _title(form: CertificateForm) -> str:
    if form.form == VERIFICATION_CERTIFICATE:
        return _("检定证书")
    if form.form == VERIFICATION_NOTICE:
        return _("检定结果通知书")
    return _("校准证书")


def _conclusion(form: CertificateForm) -> str | None:
    """The verification's conclusion (a calibration states none of its own)."""
    if form.kind != "verification":
        return None
    if form.conforming:
        return _("经检定，该计量器具合格。")
    if form.conforming is False:
        return _("经检定，该计量器具不合格，不符合检定规程的要求。")
    return _("经检定，该计量器具未被判定为合格。")


@dataclass(frozen=True)
class Line:
    """One reported value as shown: texts in the UI language, numbers already rounded."""

    name: str
    value: str
    unit: str
    uncertainty: str | None
    coverage_factor: str | None
    conformity: str
    failed: bool


@dataclass(frozen=True)
class Results:
    """What the results section of a page shows."""

    title: str
    form: str
    lines: list[Line]
    decision_rules: list[str]
    conclusion: str | None
    failed: list[Line]


def certificate_results(xml: bytes | str, default_kind: str = "calibration") -> Results | None:
    """The results stated in DCC ``xml``, or None when it cannot be read as a DCC (the
    verification report says why; the page then shows no results rather than guessing)."""
    data = xml.encode() if isinstance(xml, str) else xml
    try:
        dcc = parse_dcc(data)
    except DccError:
        return None
    lang = "en" if (get_language() or "").startswith("en") else "zh"
    form = certificate_form(dcc, default_kind)
    lines = [
        Line(
            name=pick(line.name, lang),
            value=pick(line.text, lang) if line.text else line.value,
            unit=line.unit,
            uncertainty=line.uncertainty,
            coverage_factor=line.coverage_factor,
            conformity=_conformity_label(line.conformity),
            failed=line.failed,
        )
        for line in result_lines(dcc)
    ]
    return Results(
        title=_title(form),
        form=form.form,
        lines=lines,
        decision_rules=[pick(d, lang) for d in decision_rules(dcc)],
        conclusion=_conclusion(form),
        failed=[line for line in lines if line.failed],
    )
