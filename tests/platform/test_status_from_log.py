"""A certificate's public status and signature come from its log leaves (issue 17).

An insider with write access to the database (and the lab key in ``DATA_DIR/pki``) once made
``/verify/`` say ✔ by flipping a withdrawn certificate's ``status`` column back to ``issued``, or
by re-signing the stored DCC. The status is now derived from the certificate's leaves (issue,
withdrawal, superseded: RFC 9162 §2.1.3 inclusion in a signed checkpoint) and the signer
certificate and signature value logged at issue are compared with the stored signature.

Helpers are shared with the other certificate tests (tests/platform/certs_helpers.py); DCC
schema files come from ../shared/dcc/xsd, and without them the tests that issue are skipped.
"""

from __future__ import annotations

import base64
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jiliang.core.dcc import canonical_hash
from jiliang.core.dcc.sign import sign_dcc
from jiliang.platform.certificates import services
from jiliang.platform.certificates.models import Certificate
from jiliang.platform.ledger import service as ledger

from .certs_helpers import call, isolate, issue_pk, issued, needs_xsd


@pytest.fixture(autouse=True)
def isolated(settings, tmp_path, monkeypatch):
    isolate(settings, tmp_path, monkeypatch)


def verdicts(client, number: str) -> tuple[dict, str, str]:
    """The API body, the /dcc/<no> page and the /verify/ page for ``number``."""
    body = client.get(f"/api/certificates/verify/{number}").json()
    dcc = client.get(f"/dcc/{number}").content.decode()
    page = client.post("/verify/", {"number": number}).content.decode()
    return body, dcc, page


def unsigned(xml: str) -> bytes:
    """The DCC without its enveloped ds:Signature (what an insider re-signs)."""
    stripped = re.sub(r"<(\w+:)?Signature\b.*?</\1Signature>", "", xml, count=1, flags=re.S)
    assert stripped != xml
    return stripped.encode()


# -- 1: status from the log, not the column ---------------------------------------------------


@needs_xsd
def test_withdrawn_certificate_flipped_back_to_issued_in_sql_is_not_valid(client, world, reviewer):
    cert = issued(client, world)
    r = call(client, world, "lab", "post", f"/{cert.pk}/withdraw", {"reason": "wrong load"})
    assert r.status_code == 200, r.content
    # the insider's tamper: the column only (the withdrawal leaf stays in the log)
    Certificate.objects.filter(pk=cert.pk).update(
        status=Certificate.Status.ISSUED, withdrawal_ledger_index=None
    )
    body, dcc, page = verdicts(client, cert.number)
    assert body["valid"] is False and body["current"] is False
    assert body["status"] == "withdrawn" and body["recorded_status"] == "issued"
    # statuses are named by their labels, in the reader's language (issue 18 item 3)
    assert any(
        r.startswith("状态：状态栏记载为“已签发”") and "“已撤回”" in r for r in body["reasons"]
    )
    assert "状态：不是现行版本（已撤回，依据透明日志）" in body["reasons"]
    english = client.get(
        f"/api/certificates/verify/{cert.number}", HTTP_ACCEPT_LANGUAGE="en"
    ).json()["reasons"]
    assert "status: not the current version (Withdrawn, per the log)" in english
    assert any(
        r.startswith(
            "status: the status column says Issued but the certificate's leaves say Withdrawn"
        )
        for r in english
    )
    for html in (dcc, page):
        assert 'class="verdict bad"' in html and 'class="verdict ok"' not in html
        cell = re.search(r'id="status">(.*?)</td>', html).group(1)
        assert ("已撤回" in cell or "Withdrawn" in cell) and "已签发" not in cell
    # and `jiliang ledger audit --records` fails on it
    problems = services.audit_certificates().problems
    assert [p["kind"] for p in problems] == ["STATUS_MISMATCH"]
    assert "withdrawn" in problems[0]["detail"]


@needs_xsd
def test_superseded_certificate_flipped_back_to_issued_in_sql_is_not_valid(client, world, reviewer):
    cert = issued(client, world)
    amendment = call(client, world, "lab", "post", f"/{cert.pk}/amend")
    assert amendment.status_code == 201, amendment.content
    new = issue_pk(client, world, amendment.json()["id"])
    assert client.get(f"/api/certificates/verify/{new.number}").json()["valid"] is True
    Certificate.objects.filter(pk=cert.pk).update(status=Certificate.Status.ISSUED)
    body, dcc, _page = verdicts(client, cert.number)
    assert body["valid"] is False and body["status"] == "superseded"
    assert any("状态栏记载为“已签发”" in r and "“已被更正”" in r for r in body["reasons"])
    assert 'class="verdict bad"' in dcc


@needs_xsd
def test_untampered_withdrawn_certificate_reports_the_log_status_without_disagreement(
    client, world, reviewer
):
    cert = issued(client, world)
    call(client, world, "lab", "post", f"/{cert.pk}/withdraw", {"reason": "wrong load"})
    body = client.get(f"/api/certificates/verify/{cert.number}").json()
    assert body["status"] == body["recorded_status"] == "withdrawn" and body["valid"] is False
    assert not any("状态栏" in r for r in body["reasons"])


@needs_xsd
def test_verify_names_the_checkpoint_it_checked_against(client, world, reviewer):
    cert = issued(client, world)
    body, dcc, page = verdicts(client, cert.number)
    assert body["valid"] is True, body["reasons"]
    log, _signer = ledger.ensure_log()
    try:
        size, root = log.size, log.root()
    finally:
        log.close()
    checkpoint = body["checkpoint"]
    assert checkpoint["size"] == body["inclusion"]["size"] == size
    assert checkpoint["root_hash"] == root.hex()
    assert checkpoint["root_base64"] == base64.b64encode(root).decode()
    assert checkpoint["root_base64"] in body["inclusion"]["checkpoint"]
    assert checkpoint["timestamp"] is None  # this log's checkpoints carry none
    for html in (dcc, page):
        assert 'id="checkpoint"' in html and root.hex() in html


# -- 2: re-signing is a signature the log does not hold ---------------------------------------


@needs_xsd
def test_dcc_resigned_with_the_lab_key_is_not_the_logged_signature(client, world, reviewer):
    cert = issued(client, world)
    logged = services.signer_identity(cert.xml.encode())
    assert logged is not None
    # insider: the lab key from DATA_DIR/pki, the same content, a fresh signature
    key, chain = services.signing_material(world.orgs["lab_hz"])
    resigned = sign_dcc(unsigned(cert.xml), key, chain)
    assert canonical_hash(resigned) == cert.canonical_hash
    Certificate.objects.filter(pk=cert.pk).update(xml=resigned.decode())
    body, dcc, page = verdicts(client, cert.number)
    assert body["signature"]["valid"] is True  # a perfectly good signature …
    assert body["logged_signer"] == logged
    assert body["valid"] is False  # … but not the one logged at issue
    assert any(r.startswith("签名：此签名不是透明日志记录的签名") for r in body["reasons"])
    for html in (dcc, page):
        assert 'class="verdict bad"' in html
    assert any(p["kind"] == "SIGNATURE_CHANGED" for p in services.audit_certificates().problems)


@needs_xsd
def test_dcc_edited_and_resigned_with_the_lab_key_is_not_valid(client, world, reviewer):
    cert = issued(client, world)
    edited = re.sub(r"<si:value>[^<]+</si:value>", "<si:value>11.5</si:value>", cert.xml, count=1)
    key, chain = services.signing_material(world.orgs["lab_hz"])
    resigned = sign_dcc(unsigned(edited), key, chain)
    Certificate.objects.filter(pk=cert.pk).update(
        xml=resigned.decode(), canonical_hash=canonical_hash(resigned)
    )
    body = client.get(f"/api/certificates/verify/{cert.number}").json()
    assert body["signature"]["valid"] is True and body["valid"] is False
    assert any("内容的规范化哈希与透明日志中记录的不一致" in r for r in body["reasons"])


@needs_xsd
def test_certificate_logged_before_signer_leaves_still_verifies(client, world, reviewer):
    """Backwards compatibility: a v1 leaf (number and hash only) is still a valid issue leaf."""
    cert = issued(client, world)
    v1 = ledger.leaf_payload("certificate", cert.number, cert.canonical_hash)
    index = ledger.append_payload(v1)
    Certificate.objects.filter(pk=cert.pk).update(ledger_index=index)
    body = client.get(f"/api/certificates/verify/{cert.number}").json()
    assert body["valid"] is True, body["reasons"]
    assert body["logged_signer"] is None and body["status"] == "issued"


@needs_xsd
def test_signed_import_logs_its_signer_and_a_resigned_copy_is_not_valid(client, world):
    from jiliang.core.dcc import build_dcc
    from jiliang.core.dcc.example import example_record

    lab = world.orgs["lab_hz"]
    key, chain = services.signing_material(lab)
    signed = sign_dcc(build_dcc(example_record("EXT-LOG-1")), key, chain)
    form = {
        "file": SimpleUploadedFile("ext.xml", signed, content_type="application/xml"),
        "standard": world.standards["lab_hz"].code,
        "laboratory": lab.code,
    }
    assert client.post("/api/certificates/import", form, **world.auth("lab")).status_code == 201
    body = client.get("/api/certificates/verify/EXT-LOG-1").json()
    assert body["logged_signer"] == services.signer_identity(signed)
    assert body["status"] == "external" and body["current"] is True, body["reasons"]
    resigned = sign_dcc(build_dcc(example_record("EXT-LOG-1")), key, chain)
    Certificate.objects.filter(number="EXT-LOG-1").update(xml=resigned.decode())
    body = client.get("/api/certificates/verify/EXT-LOG-1").json()
    assert body["signature"]["valid"] is True and body["valid"] is False
    assert any("不是透明日志记录的签名" in r for r in body["reasons"])


def test_signed_leaf_payload_without_extras_is_the_v1_payload_and_parses_back():
    v1 = ledger.leaf_payload("certificate", "JD-1", "ab" * 32)
    assert ledger.signed_leaf_payload("certificate", "JD-1", "ab" * 32, None) == v1
    extras = {"signer-serial": "1f", "signer-sha256": "cd" * 32}
    v2 = ledger.signed_leaf_payload("certificate", "JD-1", "ab" * 32, extras)
    parsed = ledger.parse_leaf(v2)
    assert parsed.version == 2 and parsed.extras == extras and parsed.record_id == "JD-1"
    assert ledger.parse_leaf(v1).extras == {} and ledger.parse_leaf(b"junk") is None
    with pytest.raises(ValueError):  # a value with a space could parse two ways
        ledger.signed_leaf_payload("certificate", "JD-1", "ab" * 32, {"k": "a b"})
