"""What a certificate states, read from its DCC (core.dcc.summary): the results to GUM 7.2.6
reporting precision, the decision rule, and the form (校准证书 / 检定证书 / 检定结果通知书)."""

from __future__ import annotations

import dataclasses

import pytest

from jiliang.core.dcc.build import build_dcc
from jiliang.core.dcc.example import example_record
from jiliang.core.dcc.parse import parse_dcc
from jiliang.core.dcc.records import Quantity, Result, Statement
from jiliang.core.dcc.summary import (
    CALIBRATION_CERTIFICATE,
    VERIFICATION_CERTIFICATE,
    VERIFICATION_NOTICE,
    VERIFICATION_REF_TYPE,
    certificate_form,
    certificate_kind,
    decision_rules,
    pick,
    result_lines,
)


def _dcc(**changes):
    return parse_dcc(build_dcc(dataclasses.replace(example_record(), **changes)))


def _verification(conformity: str | None) -> Statement:
    return Statement(
        VERIFICATION_REF_TYPE, {"zh": "检定", "en": "verification"}, conformity=conformity
    )


def _result(value: float, u: float, conformity: str | None) -> list[Result]:
    mass = Quantity(
        {"zh": "示值误差", "en": "Error of indication"},
        value,
        r"\gram",
        expanded_uncertainty=u,
        conformity=conformity,
    )
    return [Result({"zh": "检定结果", "en": "Verification results"}, [mass])]


def test_results_are_rounded_per_gum_7_2_6_with_unit_symbols() -> None:
    lines = result_lines(_dcc(results=_result(10000.00537, 0.05912, "pass")))
    (line,) = lines
    # U to two significant digits, the value to the same decimal place (not 10000)
    assert (line.value, line.uncertainty) == ("10000.005", "0.059")
    assert line.unit == "g" and line.coverage_factor == "2" and line.coverage_probability == "95 %"
    assert line.conformity == "pass" and not line.failed
    assert pick(line.name, "en") == "Error of indication" and pick(line.name) == "示值误差"


def test_example_lines_keep_the_uncertainty_digits() -> None:
    lines = result_lines(_dcc())
    errors = [(x.value, x.uncertainty) for x in lines if x.name["en"] == "Error of indication"]
    assert errors == [("0.012", "0.020"), ("-0.018", "0.020"), ("0.025", "0.030")]
    resistance = [x for x in lines if x.name["en"] == "Resistance"]
    assert [x.value for x in resistance] == ["100.0000", "119.4000"]
    assert {x.unit for x in resistance} == {"Ω"}


def test_decision_rule_is_the_certificates_own_statement() -> None:
    (rule,) = decision_rules(_dcc())
    assert "ILAC-G8" in rule["zh"] and "simple acceptance" in rule["en"]
    assert decision_rules(_dcc(decision_rule=None)) == []


def test_a_calibration_is_a_calibration_certificate() -> None:
    form = certificate_form(_dcc())
    assert form.kind == "calibration" and form.form == CALIBRATION_CERTIFICATE
    assert form.title == "校准证书 Calibration Certificate"


@pytest.mark.parametrize(
    ("statement", "result", "form", "conforming"),
    [
        ("pass", "pass", VERIFICATION_CERTIFICATE, True),
        ("fail", "fail", VERIFICATION_NOTICE, False),
        # the statement says pass but one result failed: the item does not conform
        ("pass", "fail", VERIFICATION_NOTICE, False),
        # no verdict at all: never a 检定证书 (it certifies conformity)
        (None, None, VERIFICATION_NOTICE, None),
        # a conditional pass is not an unconditional one
        (None, "conditionalPass", VERIFICATION_NOTICE, None),
    ],
)
def test_a_verification_form_follows_its_verdict(statement, result, form, conforming) -> None:
    dcc = _dcc(
        statements=[_verification(statement)],
        results=_result(1.0, 0.2, result),
    )
    got = certificate_form(dcc)
    assert (got.kind, got.form, got.conforming) == ("verification", form, conforming)
    assert [x.value for x in got.failed] == (["1.00"] if result == "fail" else [])


def test_notice_titles_and_kind_fallback() -> None:
    dcc = _dcc(statements=[_verification("fail")], results=_result(1.0, 0.2, "fail"))
    assert certificate_form(dcc).title == "检定结果通知书 Verification Result Notice"
    passed = _dcc(statements=[_verification("pass")], results=_result(1.0, 0.2, "pass"))
    assert certificate_form(passed).title == "检定证书 Verification Certificate"
    # a DCC without the statement: the caller's kind decides (older certificates); one with it
    # is a verification whatever the caller says
    plain = _dcc(statements=[], results=_result(1.0, 0.2, "pass"))
    assert certificate_kind(plain) == "calibration"
    assert certificate_form(plain, "verification").form == VERIFICATION_CERTIFICATE
    assert certificate_kind(passed, "calibration") == "verification"
    assert certificate_kind(plain, "bogus") == "calibration"
