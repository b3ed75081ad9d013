"""Trust decisions of ``verify_dcc``: the anchor a signature chains to, revocation, forged CAs.

Each link of a chain is checked by issuer name *and* signature (RFC 5280 §6.1.3 (a)(1));
revocation reasons are RFC 5280 §5.3.1 CRLReason names.
"""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from jiliang.core.dcc.build import build_dcc
from jiliang.core.dcc.example import example_record
from jiliang.core.dcc.sign import (
    Revocation,
    TrustStore,
    fingerprint,
    make_test_pki,
    sign_dcc,
    verify_dcc,
)

PEM = serialization.Encoding.PEM


@pytest.fixture(scope="module")
def unsigned() -> bytes:
    return build_dcc(example_record())


def _cert(subject: str, issuer: str, key, signer, ca: bool) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    usage = [not ca, not ca, False, False, False, ca, ca, False, False]
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name.from_rfc4514_string(subject))
        .issuer_name(x509.Name.from_rfc4514_string(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(*usage), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), False
        )
        .sign(signer, hashes.SHA256())
    )


def _key_pem(key) -> bytes:
    return key.private_bytes(PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


@pytest.fixture(scope="module")
def three_level():
    """Root → intermediate → lab; returns (root, intermediate, signed DCC)."""
    keys = [ec.generate_private_key(ec.SECP256R1()) for _ in range(3)]
    root = _cert("CN=Root CA,C=CN", "CN=Root CA,C=CN", keys[0], keys[0], True)
    inter = _cert("CN=Sub CA,C=CN", "CN=Root CA,C=CN", keys[1], keys[0], True)
    lab = _cert("CN=Lab,C=CN", "CN=Sub CA,C=CN", keys[2], keys[1], False)
    signed = sign_dcc(
        build_dcc(example_record()),
        _key_pem(keys[2]),
        lab.public_bytes(PEM) + inter.public_bytes(PEM),
    )
    return root, inter, signed


def test_report_names_the_anchor_the_chain_ends_at(three_level) -> None:
    root, _inter, signed = three_level
    other = x509.load_pem_x509_certificate(make_test_pki("ec").ca_cert)
    report = verify_dcc(signed, [other, root])
    assert report.valid, report.summary()
    assert report.anchor == "CN=Root CA,C=CN"
    assert report.anchor_fingerprint == fingerprint(root) and len(report.anchor_fingerprint) == 64
    assert f"trust anchor: CN=Root CA,C=CN  sha256 {fingerprint(root)}" in report.summary()
    assert report.to_dict()["anchor"] == "CN=Root CA,C=CN"


def test_revoked_signer_is_not_trusted_and_reason_named(unsigned) -> None:
    pki = make_test_pki("ec")
    signed = sign_dcc(unsigned, pki.lab_key, pki.lab_cert)
    lab = x509.load_pem_x509_certificate(pki.lab_cert)
    anchors = x509.load_pem_x509_certificates(pki.ca_cert)
    serial = format(lab.serial_number, "x")
    when = "2026-01-02T03:04:05+00:00"
    revoked = TrustStore(anchors, [Revocation(serial, "keyCompromise", when)])
    report = verify_dcc(signed, revoked)
    assert report.integrity_ok and not report.trusted and report.anchor is None
    assert report.trust_problems == [
        f"certificate {lab.subject.rfc4514_string()} (serial {serial}) was revoked on "
        f"{when}: keyCompromise"
    ]
    # The same serial under another issuer is a different certificate.
    elsewhere = TrustStore(anchors, [Revocation(serial, "keyCompromise", when, "CN=Other CA")])
    assert verify_dcc(signed, elsewhere).valid
    assert verify_dcc(signed, TrustStore(anchors)).valid


def test_revoked_intermediate_voids_the_lab_signature(three_level) -> None:
    root, inter, signed = three_level
    store = TrustStore(
        [root], [Revocation(format(inter.serial_number, "x"), "caCompromise", "2026-01-01")]
    )
    report = verify_dcc(signed, store)
    assert not report.trusted
    assert any("CN=Sub CA" in p and "caCompromise" in p for p in report.trust_problems)


def test_forged_ca_with_the_anchors_name_is_not_trusted(three_level) -> None:
    """An attacker embeds a self-made 'Root CA' (same name as the anchor, own key)."""
    root, _inter, _signed = three_level
    fake_root_key, lab_key = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    fake_root = _cert("CN=Root CA,C=CN", "CN=Root CA,C=CN", fake_root_key, fake_root_key, True)
    lab = _cert("CN=Lab,C=CN", "CN=Root CA,C=CN", lab_key, fake_root_key, False)
    signed = sign_dcc(
        build_dcc(example_record()),
        _key_pem(lab_key),
        lab.public_bytes(PEM) + fake_root.public_bytes(PEM),
    )
    report = verify_dcc(signed, [root])
    assert report.integrity_ok and not report.trusted and report.anchor is None
    assert report.trust_problems[0].startswith("certificate chain:")
