"""Production PKI: operator enrolment (CSR, external CA), expiry, revocation, key permissions.

Chains are checked as RFC 5280 §6 path validation does (issuer name *and* signature per link);
revocation reasons are RFC 5280 §5.3.1 CRLReason names; requests are PKCS #10 (RFC 2986).
"""

from __future__ import annotations

import datetime as dt
import json
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from typer.testing import CliRunner

from jiliang.cli import app
from jiliang.core.dcc.sign import fingerprint, make_test_pki, sign_dcc, verify_dcc
from jiliang.platform.certificates import pki, services
from jiliang.platform.certificates.models import Certificate

from .certs_helpers import isolate, try_issue


@pytest.fixture(autouse=True)
def production(settings, tmp_path, monkeypatch):
    """Production PKI settings: no auto-enrolment, an empty PKI directory."""
    settings.JILIANG_PKI_AUTO_ENROL = False
    isolate(settings, tmp_path, monkeypatch, schemas_required=True)


def jiliang(*args: str):
    result = CliRunner().invoke(app, ["pki", *args])
    return result


def enrol_via_csr(code: str, *extra: str) -> None:
    assert jiliang("init-ca").exit_code == 0
    made = jiliang("csr", code)
    assert made.exit_code == 0, made.output
    assert "BEGIN CERTIFICATE REQUEST" in made.output
    signed = jiliang("sign-csr", code, *extra)
    assert signed.exit_code == 0, signed.output


def issued_xml(client, world) -> bytes:
    pk, response = try_issue(client, world)
    assert response.status_code == 200, response.content
    return Certificate.objects.get(pk=pk).xml.encode()


def test_production_refuses_to_issue_for_unenrolled_lab_and_makes_no_anchor(
    client, world, reviewer, settings
):
    pk, response = try_issue(client, world)
    assert response.status_code == 409
    detail = response.json()["detail"]
    assert "no enrolled signing certificate" in detail and "jiliang pki csr" in detail
    assert Certificate.objects.get(pk=pk).status == "in_review"
    # Nothing self-made appeared: no key, no trust anchor.
    assert not list(Path(settings.JILIANG_PKI_DIR).rglob("*.pem"))
    assert services.trust_anchors() == []


def test_csr_enrolment_signs_and_verification_names_the_anchor(client, world, reviewer):
    code = world.orgs["lab_hz"].code
    enrol_via_csr(code)
    ca_cert = x509.load_pem_x509_certificate((Path(pki.pki_dir()) / "ca" / "cert.pem").read_bytes())
    xml = issued_xml(client, world)
    report = verify_dcc(xml, services.trust_anchors())
    assert report.valid, report.summary()
    assert report.anchor == "CN=jiliang platform CA,O=jiliang,C=CN"
    assert report.anchor_fingerprint == fingerprint(ca_cert)
    assert "trust anchor: CN=jiliang platform CA" in report.summary()
    # The signer certificate is a two-year end-entity certificate for this lab.
    leaf = x509.load_pem_x509_certificate((Path(pki.pki_dir()) / code / "cert.pem").read_bytes())
    days = (leaf.not_valid_after_utc - leaf.not_valid_before_utc).days
    assert days == pki.DEFAULT_DAYS
    assert leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    # The public verification output names the anchor too.
    number = Certificate.objects.get(xml=xml.decode()).number
    public = client.get(f"/api/certificates/verify/{number}").json()
    assert public["signature"]["valid"] is True
    assert public["signature"]["anchor"] == report.anchor


def test_revoked_signer_fails_verification_and_cannot_issue(client, world, reviewer):
    code = world.orgs["lab_hz"].code
    enrol_via_csr(code)
    xml = issued_xml(client, world)
    serial = verify_dcc(xml, services.trust_anchors()).serial
    bad = jiliang("revoke", serial, "--reason", "stolen")
    assert bad.exit_code == 2 and "reason" in bad.output
    revoked = jiliang("revoke", serial, "--reason", "keyCompromise")
    assert revoked.exit_code == 0, revoked.output
    report = verify_dcc(xml, services.trust_anchors())
    assert report.integrity_ok and not report.trusted and report.anchor is None
    assert any("revoked" in p and "keyCompromise" in p for p in report.trust_problems)
    with pytest.raises(services.SigningUnavailable, match="revoked"):
        services.signing_material(world.orgs["lab_hz"])
    listed = jiliang("list")
    assert "revoked" in listed.output


def test_expired_signer_fails_verification_and_cannot_issue(client, world, reviewer, monkeypatch):
    code = world.orgs["lab_hz"].code
    enrol_via_csr(code, "--days", "30")
    xml = issued_xml(client, world)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=31)
    report = verify_dcc(xml, services.trust_anchors(), now=later)
    assert report.integrity_ok and not report.trusted
    assert any("expired on" in p for p in report.trust_problems)
    monkeypatch.setattr(pki, "_now", lambda: later)
    with pytest.raises(services.SigningUnavailable, match="expired"):
        services.signing_material(world.orgs["lab_hz"])


def _pem_key(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def ca_and_lab(
    ca_name: str, *lab_names: str
) -> tuple[bytes, bytes, bytes, list[tuple[bytes, bytes]]]:
    """A CA named ``ca_name`` and 30-day lab certificates it issued, all PEM.

    Returns the CA certificate, the first lab's certificate and key, and (certificate, key) of
    every lab in ``lab_names`` (default: one lab "CN=Hangzhou lab,C=CN").
    """
    ca_key = ec.generate_private_key(ec.SECP256R1())
    lab_names = lab_names or ("CN=Hangzhou lab,C=CN",)
    name = x509.Name.from_rfc4514_string(ca_name)
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)

    def build(subject, key, ca: bool):
        usage = [not ca, not ca, False, False, False, ca, ca, False, False]
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(*usage), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
            )
            .sign(ca_key, hashes.SHA256())
            .public_bytes(serialization.Encoding.PEM)
        )

    labs = []
    for lab_name in lab_names:
        lab_key = ec.generate_private_key(ec.SECP256R1())
        labs.append(
            (build(x509.Name.from_rfc4514_string(lab_name), lab_key, False), _pem_key(lab_key))
        )
    ca = build(name, ca_key, True)
    return ca, labs[0][0], labs[0][1], labs


def test_self_made_ca_not_enrolled_is_not_trusted(client, world, reviewer):
    enrol_via_csr(world.orgs["lab_hz"].code)
    unsigned = services.create_draft(world.events["hz"], world.users["lab"]).xml.encode()
    # A stranger's CA, and one forged with exactly the platform CA's name, both embedded.
    stranger = ca_and_lab("CN=Stranger CA,O=Stranger,C=CN")
    forged = ca_and_lab("CN=jiliang platform CA,O=jiliang,C=CN")
    for ca, lab, key, _ in (stranger, forged):
        report = verify_dcc(sign_dcc(unsigned, key, lab + ca), services.trust_anchors())
        assert report.integrity_ok and not report.trusted and report.anchor is None
        assert any(p.startswith("certificate chain:") for p in report.trust_problems)


def test_legacy_self_made_test_ca_is_ignored_in_production(client, world, reviewer, settings):
    """What the old auto-creation left in a data directory: a lab key and its own test CA."""
    code = world.orgs["lab_hz"].code
    legacy = make_test_pki("ec", lab_name="Hangzhou lab")
    root = Path(settings.JILIANG_PKI_DIR)
    (root / code).mkdir(parents=True)
    (root / code / "key.pem").write_bytes(legacy.lab_key)
    (root / code / "cert.pem").write_bytes(legacy.lab_cert)
    (root / "trust").mkdir()
    (root / "trust" / f"{code}-ca.pem").write_bytes(legacy.ca_cert)
    assert services.trust_anchors() == []
    with pytest.raises(services.SigningUnavailable, match="does not chain to a trusted anchor"):
        services.signing_material(world.orgs["lab_hz"])
    unsigned = services.create_draft(world.events["hz"], world.users["lab"]).xml.encode()
    signed = sign_dcc(unsigned, legacy.lab_key, legacy.lab_cert)
    assert not verify_dcc(signed, services.trust_anchors()).trusted
    listed = jiliang("list")
    assert "self-made test CA" in listed.output and "ignored" in listed.output


def test_external_ca_import_needs_its_root_trusted(client, world, reviewer, tmp_path):
    code = world.orgs["lab_hz"].code
    # A Hangzhou lab certificate naming the credit code (organizationIdentifier 2.5.4.97), and
    # one from the same CA naming nobody in particular.
    ca, lab, key, labs = ca_and_lab(
        "CN=Zhejiang Metrology CA,O=ZJCA,C=CN",
        f"CN=Hangzhou lab,2.5.4.97={code},C=CN",
        "CN=Some lab,O=Some lab,C=CN",
    )
    (tmp_path / "cert.pem").write_bytes(lab)
    (tmp_path / "key.pem").write_bytes(key)
    (tmp_path / "root.pem").write_bytes(ca)
    (tmp_path / "nobody.pem").write_bytes(labs[1][0])
    (tmp_path / "nobody-key.pem").write_bytes(labs[1][1])
    args = ("import", code, str(tmp_path / "cert.pem"), "--key", str(tmp_path / "key.pem"))
    refused = jiliang(*args)
    assert refused.exit_code == 2 and "pki trust add" in refused.output
    not_a_ca = jiliang("trust", "add", str(tmp_path / "cert.pem"))
    assert not_a_ca.exit_code == 2 and "not a CA certificate" in not_a_ca.output
    assert jiliang("trust", "add", str(tmp_path / "root.pem")).exit_code == 0
    nobody = jiliang(
        "import", code, str(tmp_path / "nobody.pem"), "--key", str(tmp_path / "nobody-key.pem")
    )
    assert nobody.exit_code == 2 and f"names neither credit code {code}" in nobody.output
    done = jiliang(*args)
    assert done.exit_code == 0, done.output
    report = verify_dcc(issued_xml(client, world), services.trust_anchors())
    assert report.valid and report.anchor == "CN=Zhejiang Metrology CA,O=ZJCA,C=CN"
    assert "external CA" in json.dumps(pki.enrolments())


def test_wrong_key_or_other_labs_request_is_refused(world, tmp_path):
    hz, nb = world.orgs["lab_hz"].code, world.orgs["lab_nb"].code
    assert jiliang("init-ca").exit_code == 0
    assert jiliang("csr", nb, "--out", str(tmp_path / "nb.csr")).exit_code == 0
    other = jiliang("sign-csr", hz, "--csr", str(tmp_path / "nb.csr"))
    assert other.exit_code == 2 and f"names organisation {nb}" in other.output
    unknown = jiliang("csr", "91330000000000000X")
    assert unknown.exit_code == 2 and "organisation" in unknown.output
    stranger = make_test_pki("ec")
    (tmp_path / "k.pem").write_bytes(stranger.lab_key)
    (tmp_path / "c.pem").write_bytes(stranger.lab_cert)
    mismatch = jiliang("import", hz, str(tmp_path / "c.pem"))
    assert mismatch.exit_code == 2 and "no open signing request" in mismatch.output
    assert not (pki.pki_dir() / hz / "key.pem").exists()


def test_private_keys_are_0600_in_0700_directories_written_atomically(world):
    code = world.orgs["lab_hz"].code
    enrol_via_csr(code)
    root = pki.pki_dir()
    for key in (root / "ca" / "key.pem", root / code / "key.pem"):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600, key
    for folder in (root, root / "ca", root / code, root / "trust"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    assert not list(root.rglob("*.tmp")), "temporary files left behind"
    assert not (root / code / "pending-key.pem").exists()


def test_rotation_keeps_old_signatures_valid_until_revoked(client, world, reviewer):
    code = world.orgs["lab_hz"].code
    enrol_via_csr(code)
    old_xml = issued_xml(client, world)
    old_serial = verify_dcc(old_xml, services.trust_anchors()).serial
    assert jiliang("csr", code).exit_code == 0
    assert jiliang("sign-csr", code).exit_code == 0
    new_serial = next(r["serial"] for r in pki.enrolments() if r["status"] == "active")
    assert new_serial != old_serial
    statuses = {r["serial"]: r["status"] for r in pki.enrolments()}
    assert statuses[old_serial] == "superseded"
    assert verify_dcc(old_xml, services.trust_anchors()).valid
    assert jiliang("revoke", old_serial, "--reason", "keyCompromise").exit_code == 0
    assert not verify_dcc(old_xml, services.trust_anchors()).valid


def test_auto_enrolment_in_test_settings_uses_a_flagged_test_ca(client, world, reviewer, settings):
    settings.JILIANG_PKI_AUTO_ENROL = True
    report = verify_dcc(issued_xml(client, world), services.trust_anchors())
    assert report.valid and "jiliang test" in report.anchor
    assert all(pki.is_test_anchor(a) for a in services.trust_anchors())
