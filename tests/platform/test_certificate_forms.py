"""Certificates show what they state (issue 18 item 7): the results on the certificate page and
the public verification page come from the DCC (not the event's row), rounded per GUM 7.2.6;
the PDF takes the form of its kind and verdict (校准证书 / 检定证书 / 检定结果通知书); drafts
are watermarked; a tampered copy of an existing certificate is reported as differing from it.
DCC schema files come from ../shared/dcc/xsd (skipped without them, like test_certificates)."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader

from jiliang.core.dcc.errors import RenderError
from jiliang.core.dcc.render import DRAFT_WATERMARK, register_cjk_font
from jiliang.platform.certificates.models import Certificate
from jiliang.platform.registry.models import CalibrationEvent

from .certs_helpers import call, drafted_pk, isolate, issued


@pytest.fixture(autouse=True)
def isolated(settings, tmp_path, monkeypatch):
    isolate(settings, tmp_path, monkeypatch, schemas_required=True)


@pytest.fixture
def font():
    try:
        register_cjk_font()
    except RenderError as exc:
        pytest.skip(str(exc))


def drafted(client, world) -> Certificate:
    return Certificate.objects.get(pk=drafted_pk(client, world))


def event_is(**fields) -> None:
    """Change JD-HZ-1 in the row (as a lab's edit before drafting would)."""
    CalibrationEvent.objects.filter(certificate_no="JD-HZ-1").update(**fields)


def results_section(response) -> str:
    html = response.content.decode()
    match = re.search(r'<section class="panel" id="certificate-results">.*?</section>', html, re.S)
    assert match, "no results section on the page"
    return match.group(0)


def pdf_text(client, cert: Certificate) -> list[str]:
    response = client.get(f"/certificates/{cert.pk}/pdf/")
    assert response.status_code == 200, response.content[:300]
    return [p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages]


# -- results on the pages ---------------------------------------------------------------------


def test_certificate_page_shows_the_dccs_results_not_the_rows(client, world):
    cert = drafted(client, world)  # JD-HZ-1: 10.0 kg, U = 0.002 kg, pass, no decision rule
    event_is(result_value=99.5, result_uncertainty=0.7)  # the row changes after drafting
    client.force_login(world.users["lab"])
    section = results_section(client.get(f"/certificates/{cert.pk}/"))
    # GUM 7.2.6: U to two significant digits (0.0020), the value to the same place (10.0000)
    assert '<td class="num">10.0000</td>' in section
    assert '<td class="num">0.0020</td>' in section
    assert "<td>kg</td>" in section and "合格" in section and "测得值" in section
    assert "99.5" not in section and "0.70" not in section
    assert "检定证书所载结果" in section
    assert "未记录判定规则" in section  # the decision-rule statement of the DCC
    assert 'id="conclusion"' in section and "该计量器具合格" in section


def test_certificate_page_results_in_english(client, world):
    cert = drafted(client, world)
    client.force_login(world.users["lab"])
    page = client.get(f"/certificates/{cert.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    section = results_section(page)
    assert "Results stated in the Verification certificate" in section
    assert "measured value" in section and "Measurand" in section and "Pass" in section
    assert "no decision rule was recorded" in section
    assert "10.0000" in section and "0.0020" in section


def test_public_page_shows_the_issued_results(client, world, reviewer):
    cert = issued(client, world)
    page = client.get(f"/dcc/{cert.number}")
    assert page.status_code == 200 and page.context["result"].valid
    section = results_section(page)
    assert "10.0000" in section and "0.0020" in section and "<td>kg</td>" in section
    assert 'id="results-warning"' not in section and 'id="decision-rule"' in section


def test_calibration_page_has_no_verification_conclusion(client, world):
    event_is(kind="calibration", conformity="none")
    cert = drafted(client, world)
    client.force_login(world.users["lab"])
    section = results_section(client.get(f"/certificates/{cert.pk}/"))
    assert "校准证书所载结果" in section and 'id="conclusion"' not in section
    assert "证书未说明判定规则" in section  # no verdict: the DCC carries no decision rule


# -- PDF form per kind and verdict, watermark on drafts -----------------------------------------


def test_conforming_verification_pdf_is_a_verification_certificate(client, world, reviewer, font):
    cert = drafted(client, world)
    client.force_login(world.users["lab"])
    draft = pdf_text(client, cert)
    assert "检定证书 Verification Certificate" in draft[0]
    assert "Calibration Certificate" not in "".join(draft)
    assert all(DRAFT_WATERMARK in page for page in draft)
    cert = issued_from(client, world, cert)
    final = pdf_text(client, cert)
    assert "检定证书 Verification Certificate" in final[0]
    assert DRAFT_WATERMARK not in "".join(final) and "草稿" not in "".join(final)


def issued_from(client, world, cert: Certificate) -> Certificate:
    assert call(client, world, "lab", "post", f"/{cert.pk}/submit").status_code == 200
    assert Certificate.objects.get(pk=cert.pk).status == "in_review"
    response = call(client, world, "lab2", "post", f"/{cert.pk}/issue")
    assert response.status_code == 200, response.content
    cert.refresh_from_db()
    return cert


def test_in_review_pdf_is_still_watermarked(client, world, reviewer, font):
    cert = drafted(client, world)
    assert call(client, world, "lab", "post", f"/{cert.pk}/submit").status_code == 200
    client.force_login(world.users["lab"])
    assert all(DRAFT_WATERMARK in page for page in pdf_text(client, cert))


def test_non_conforming_verification_pdf_is_a_notice(client, world, font):
    event_is(conformity="fail", result_value=10.03)
    cert = drafted(client, world)
    client.force_login(world.users["lab"])
    text = "".join(pdf_text(client, cert))
    assert "检定结果通知书 Verification Result Notice" in text
    assert "检定证书 Verification Certificate" not in text
    assert "不合格项目 Non-conforming items" in text
    assert "测得值 / measured value: 10.0300 kg (U = 0.0020 kg, k = 2)" in text
    section = results_section(client.get(f"/certificates/{cert.pk}/"))
    assert "检定结果通知书所载结果" in section and 'id="failed-items"' in section


def test_calibration_pdf_is_a_calibration_certificate(client, world, font):
    event_is(kind="calibration", conformity="none")
    cert = drafted(client, world)
    client.force_login(world.users["lab"])
    text = "".join(pdf_text(client, cert))
    assert "校准证书 Calibration Certificate" in text
    assert "检定证书" not in text and "通知书" not in text


# -- a tampered copy of an existing certificate -------------------------------------------------


def _tampered(xml: str) -> bytes:
    results = xml.index("<dcc:results>")
    head, tail = xml[:results], xml[results:]
    changed = re.sub(r"<si:value>[^<]+</si:value>", "<si:value>10.5</si:value>", tail, count=1)
    assert changed != tail
    return (head + changed).encode()


def _upload(data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("copy.xml", data, content_type="application/xml")


def test_tampered_copy_is_reported_as_differing_not_unknown(client, world, reviewer):
    cert = issued(client, world)
    page = client.post("/verify/", {"file": _upload(_tampered(cert.xml))})
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="copy-differs"' in html
    assert "编号为 JD-HZ-1 的证书确实存在，但此副本与签发的版本不一致" in html
    assert "没有编号为" not in html
    assert 'id="verdict" class="verdict bad"' in html
    # the results shown are the presented copy's, flagged as not to be relied on
    section = results_section(page)
    assert 'id="results-warning"' in section and "10.5000" in section
    english = client.post(
        "/verify/", {"file": _upload(_tampered(cert.xml))}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "A certificate numbered JD-HZ-1 exists, but this copy differs from the issued" in english
    # the genuine copy is not flagged
    genuine = client.post("/verify/", {"file": _upload(cert.xml.encode())}).content.decode()
    assert 'id="copy-differs"' not in genuine and 'class="verdict ok"' in genuine


def test_tampered_copy_of_a_draft_reveals_no_draft(client, world):
    cert = drafted(client, world)
    page = client.post("/verify/", {"file": _upload(_tampered(cert.xml))})
    html = page.content.decode()
    assert page.context["result"].certificate is None
    assert 'id="copy-differs"' not in html and 'id="certificate-results"' not in html
    assert "没有编号为 JD-HZ-1 的证书" in html
    assert "本平台未签发过具有此内容的证书" in html
    # the same verdict reasons for an English-speaking visitor (issue 18 item 3)
    english = client.post(
        "/verify/", {"file": _upload(_tampered(cert.xml))}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "no certificate numbered JD-HZ-1" in english
    assert "no certificate with this content was issued here" in english
    assert "没有编号为" not in english
