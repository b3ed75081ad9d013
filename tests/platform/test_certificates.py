"""Certificates: draft → second-person review → issued (signed, logged) → amend / withdraw, and
public verification by number, QR link and upload. DCC schema files come from ../shared/dcc/xsd."""

from __future__ import annotations

import re

import pytest

from jiliang.core.dcc.render import attached_xml
from jiliang.core.dcc.sign import verify_dcc
from jiliang.platform.certificates import services
from jiliang.platform.certificates.models import Certificate

from .certs_helpers import call, isolate, try_issue


@pytest.fixture(autouse=True)
def isolated(settings, tmp_path, monkeypatch):
    isolate(settings, tmp_path, monkeypatch, schemas_required=True)


def issued(client, world) -> dict:
    """JD-HZ-1 drafted, reviewed and issued; the issue response's body."""
    _pk, response = try_issue(client, world)
    assert response.status_code == 200, response.content
    return response.json()


def test_draft_validates_against_the_dcc_schema(client, world):
    response = call(client, world, "lab", "post", "/drafts", {"event": "JD-HZ-1"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft" and body["valid_schema"] is True
    assert call(client, world, "lab", "post", "/drafts", {"event": "JD-HZ-1"}).status_code == 409


@pytest.mark.parametrize(
    ("role", "status"), [("enterprise", 403), ("anon", 401), ("regulator", 403)]
)
def test_only_the_lab_drafts(client, world, role, status):
    assert call(client, world, role, "post", "/drafts", {"event": "JD-HZ-1"}).status_code == status


def test_review_needs_a_second_person(client, world, reviewer):
    pk = call(client, world, "lab", "post", "/drafts", {"event": "JD-HZ-1"}).json()["id"]
    call(client, world, "lab", "post", f"/{pk}/submit")
    response = call(client, world, "lab", "post", f"/{pk}/issue")
    assert response.status_code == 409
    assert response.json()["detail"] == "核验人必须是编制人以外的另一人"
    assert Certificate.objects.get(pk=pk).status == "in_review"
    # the same refusal in English for an English-speaking client (issue 18 item 3)
    english = client.post(
        f"/api/certificates/{pk}/issue", HTTP_ACCEPT_LANGUAGE="en", **world.auth("lab")
    )
    assert english.status_code == 409
    assert english.json()["detail"] == (
        "the reviewer must be a second person, not the one who prepared it"
    )


def test_issue_signs_logs_and_verifies_publicly(client, world, reviewer):
    body = issued(client, world)
    cert = Certificate.objects.get(pk=body["id"])
    assert body["status"] == "issued" and len(body["canonical_hash"]) == 64
    assert body["ledger_index"] is not None
    report = verify_dcc(cert.xml.encode(), services.trust_anchors())
    assert report.valid, report.summary()
    public = client.get(f"/api/certificates/verify/{cert.number}").json()
    assert public["current"] is True and public["signature"]["valid"] is True
    assert public["inclusion"]["verified"] is True
    upload = client.post(
        "/api/certificates/verify", {"file": _file(cert.xml.encode(), "c.xml")}
    ).json()
    assert upload["found"] and upload["number"] == cert.number and not upload["problems"]


def _file(data: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="application/xml")


def test_tampered_upload_fails(client, world, reviewer):
    cert = Certificate.objects.get(pk=issued(client, world)["id"])
    tampered = re.sub(r"<si:value>[^<]+</si:value>", "<si:value>11.5</si:value>", cert.xml, count=1)
    assert tampered != cert.xml
    result = client.post("/api/certificates/verify", {"file": _file(tampered.encode(), "t.xml")})
    body = result.json()
    assert body["signature"]["valid"] is False
    # the certificate exists: the copy is reported as differing from it, not as unknown
    assert any(
        p.startswith(f"编号为 {cert.number} 的证书确实存在，但此副本与签发的版本不一致")
        for p in body["problems"]
    ), body["problems"]


def test_amend_and_withdraw(client, world, reviewer):
    first = issued(client, world)
    amended = call(client, world, "lab", "post", f"/{first['id']}/amend")
    assert amended.status_code == 201
    new = amended.json()
    assert new["number"] == "JD-HZ-1-A1" and new["replaces"] == "JD-HZ-1"
    call(client, world, "lab", "post", f"/{new['id']}/submit")
    assert call(client, world, "lab2", "post", f"/{new['id']}/issue").status_code == 200
    old = client.get("/api/certificates/verify/JD-HZ-1").json()
    assert old["status"] == "superseded" and old["current"] is False
    assert old["replaced_by"] == "JD-HZ-1-A1"
    bad = call(client, world, "lab", "post", f"/{new['id']}/withdraw", {"reason": " "})
    assert bad.status_code == 409 and bad.json()["detail"] == "reason：请填写撤回原因"
    done = call(client, world, "lab", "post", f"/{new['id']}/withdraw", {"reason": "wrong item"})
    assert done.status_code == 200 and done.json()["status"] == "withdrawn"
    assert Certificate.objects.get(pk=new["id"]).withdrawal_ledger_index is not None
    assert client.get("/api/certificates/verify/JD-HZ-1-A1").json()["current"] is False


def test_certificate_audit_detects_an_edited_xml(client, world, reviewer):
    cert = Certificate.objects.get(pk=issued(client, world)["id"])
    assert services.audit_certificates().ok
    Certificate.objects.filter(pk=cert.pk).update(xml=cert.xml.replace("JD-HZ-1", "JD-HZ-9"))
    problems = services.audit_certificates().problems
    assert [p["kind"] for p in problems] == ["CONTENT_CHANGED"]


def test_pdf_and_pages(client, world, reviewer):
    cert = Certificate.objects.get(pk=issued(client, world)["id"])
    client.force_login(world.users["lab"])
    pdf = client.get(f"/certificates/{cert.pk}/pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert attached_xml(pdf.content) == cert.xml.encode()
    assert client.get(f"/certificates/{cert.pk}/").status_code == 200
    event_page = client.get(f"/r/calibrations/{cert.event.pk}/").content.decode()
    assert f"/certificates/{cert.pk}/" in event_page
    client.logout()
    page = client.get(f"/dcc/{cert.number}")
    assert page.status_code == 200
    assert page.context["result"].current is True
    assert client.get(f"/certificates/{cert.pk}/xml/").status_code == 404  # private to the lab


def test_import_a_third_party_dcc_for_a_standard(client, world, reviewer):
    from jiliang.core.dcc import build_dcc
    from jiliang.core.dcc.example import example_record
    from jiliang.platform.registry.models import CalibrationEvent

    xml = build_dcc(example_record("PTB-EXT-1"))
    form = {
        "file": _file(xml, "ext.xml"),
        "standard": world.standards["lab_hz"].code,
        "laboratory": world.orgs["nmi"].code,
    }
    response = client.post("/api/certificates/import", form, **world.auth("lab"))
    assert response.status_code == 201, response.content
    # unsigned: registered, but "unverified" (tests/platform/test_verify_not_fooled.py)
    assert response.json()["status"] == "unverified"
    event = CalibrationEvent.objects.get(certificate_no="PTB-EXT-1")
    assert event.standard == world.standards["lab_hz"] and event.performed_by == world.orgs["nmi"]
    assert event.result_value is not None and event.result_uncertainty > 0
    public = client.get("/api/certificates/verify/PTB-EXT-1").json()
    assert public["inclusion"]["verified"] is True
    again = client.post(
        "/api/certificates/import", {**form, "file": _file(xml, "ext.xml")}, **world.auth("lab")
    )
    assert again.status_code == 409
    assert services.audit_certificates().ok


@pytest.mark.parametrize(
    ("data", "role", "status"),
    [
        (b"<not-xml", "lab", 409),
        (b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>', "lab", 409),
        (None, "enterprise", 403),
    ],
)
def test_import_refuses_bad_files_and_strangers(client, world, data, role, status):
    from jiliang.core.dcc import build_dcc
    from jiliang.core.dcc.example import example_record
    from jiliang.platform.registry.models import CalibrationEvent

    before = CalibrationEvent.objects.count()
    payload = data if data is not None else build_dcc(example_record("PTB-EXT-2"))
    form = {
        "file": _file(payload, "x.xml"),
        "standard": world.standards["lab_hz"].code,
        "laboratory": world.orgs["nmi"].code,
    }
    response = client.post("/api/certificates/import", form, **world.auth(role))
    assert response.status_code in (status, 404) if role == "enterprise" else status
    assert CalibrationEvent.objects.count() == before
