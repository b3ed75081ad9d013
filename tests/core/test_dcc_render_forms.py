"""PDF form per certificate kind and verdict, and the draft watermark (core.dcc.render)."""

from __future__ import annotations

import dataclasses
import io

import pytest
from pypdf import PdfReader

from jiliang.core.dcc.build import build_dcc
from jiliang.core.dcc.errors import RenderError
from jiliang.core.dcc.example import example_record
from jiliang.core.dcc.records import Quantity, Result, Statement
from jiliang.core.dcc.render import DRAFT_WATERMARK, register_cjk_font, render_pdf
from jiliang.core.dcc.summary import VERIFICATION_REF_TYPE


@pytest.fixture(autouse=True, scope="module")
def font() -> None:
    try:
        register_cjk_font()
    except RenderError as exc:
        pytest.skip(str(exc))


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _verification(conformity: str) -> bytes:
    verdict = Statement(
        VERIFICATION_REF_TYPE, {"zh": "检定", "en": "verification"}, conformity=conformity
    )
    results = [
        Result(
            {"zh": "检定结果", "en": "Verification results"},
            [
                Quantity(
                    {"zh": "零点", "en": "Zero"}, 0.0004, r"\kilogram", 0.0021, conformity="pass"
                ),
                Quantity(
                    {"zh": "示值误差", "en": "Error of indication"},
                    0.01537,
                    r"\kilogram",
                    expanded_uncertainty=0.00213,
                    conformity=conformity,
                ),
            ],
        )
    ]
    record = dataclasses.replace(example_record(), statements=[verdict], results=results)
    return build_dcc(record)


def test_calibration_is_titled_calibration_certificate() -> None:
    text = _text(render_pdf(build_dcc(example_record())))
    assert "校准证书 Calibration Certificate" in text
    assert "检定" not in text and DRAFT_WATERMARK not in text


def test_conforming_verification_is_a_verification_certificate() -> None:
    text = _text(render_pdf(_verification("pass")))
    assert "检定证书 Verification Certificate" in text
    assert "Calibration Certificate" not in text and "通知书" not in text
    assert "检定日期 Verification date" in text and "检定结论 Conclusion" in text
    assert "该计量器具合格" in text
    # GUM 7.2.6: U = 0.0021 kg, the value to the same place
    assert "0.0154" in text and "0.0021" in text and "0.01537" not in text


def test_non_conforming_verification_is_a_notice_naming_the_failed_items() -> None:
    text = _text(render_pdf(_verification("fail")))
    assert "检定结果通知书 Verification Result Notice" in text
    assert "检定证书 Verification Certificate" not in text
    assert "不合格项目 Non-conforming items" in text
    failed = text[text.index("不合格项目 Non-conforming items") :]
    assert "示值误差 / Error of indication: 0.0154 kg (U = 0.0021 kg, k = 2)" in failed
    assert "零点" not in failed  # the conforming item is not listed as failed
    assert "该计量器具不合格" in text


def test_default_kind_only_decides_for_a_dcc_that_does_not_say() -> None:
    plain = build_dcc(dataclasses.replace(example_record(), statements=[]))
    assert "检定证书 Verification Certificate" in _text(
        render_pdf(plain, default_kind="verification")
    )
    assert "检定证书" in _text(render_pdf(_verification("pass"), default_kind="calibration"))


def test_only_drafts_are_watermarked_on_every_page() -> None:
    many = Quantity({"zh": "示值", "en": "Indication"}, [float(i) for i in range(90)], r"\gram")
    record = example_record()
    record.results[0].quantities.append(many)  # long enough for a second page
    xml = build_dcc(record)
    draft = PdfReader(io.BytesIO(render_pdf(xml, draft=True)))
    assert len(draft.pages) >= 2
    assert all(DRAFT_WATERMARK in page.extract_text() for page in draft.pages)
    assert DRAFT_WATERMARK not in _text(render_pdf(xml))
