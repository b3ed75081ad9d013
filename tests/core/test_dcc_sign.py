"""Canonical hash, XAdES signing/verification, tamper detection, PTB's signed example."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path

import pytest
from lxml import etree

from jiliang.core.dcc.build import build_dcc
from jiliang.core.dcc.errors import SignatureError
from jiliang.core.dcc.example import example_record
from jiliang.core.dcc.hashing import canonical_bytes, canonical_hash
from jiliang.core.dcc.sign import make_test_pki, sign_dcc, verify_dcc

SHARED = Path(
    os.environ.get("JILIANG_SHARED_DIR", Path(__file__).resolve().parents[2].parent / "shared")
)
PTB_SIGNED = (
    SHARED / "dcc" / "examples" / "dcc_gp_temperature_typical_v12_dcc3.2.0_signed_xades.xml"
)


@pytest.fixture(scope="module")
def pki():
    return make_test_pki("ec")


@pytest.fixture(scope="module")
def unsigned() -> bytes:
    return build_dcc(example_record())


@pytest.fixture(scope="module")
def signed(pki, unsigned) -> bytes:
    return sign_dcc(unsigned, pki.lab_key, pki.lab_cert)


def test_canonical_hash_is_sha256_of_exclusive_c14n(unsigned) -> None:
    root = etree.fromstring(unsigned)
    expected = hashlib.sha256(etree.tostring(root, method="c14n", exclusive=True)).hexdigest()
    assert canonical_hash(unsigned) == expected
    # Formatting and comments do not change the identity; content does.
    reformatted = etree.tostring(etree.fromstring(unsigned), pretty_print=False)
    assert canonical_hash(reformatted) == expected
    commented = unsigned.replace(b"<dcc:administrativeData>", b"<!-- c --><dcc:administrativeData>")
    assert canonical_hash(commented) == expected
    assert canonical_hash(unsigned.replace(b"JL-2026-000123", b"JL-2026-000124")) != expected


def test_hash_unchanged_by_signing(unsigned, signed) -> None:
    assert b"Signature" in signed
    assert canonical_hash(signed) == canonical_hash(unsigned)
    assert b"Signature" not in canonical_bytes(signed)


def test_sign_and_verify_ec(pki, signed) -> None:
    report = verify_dcc(signed, pki.ca_cert)
    assert report.valid, report.summary()
    assert report.algorithm == "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
    assert report.signer == "CN=jiliang test lab,O=jiliang test,C=CN"
    signing_time = dt.datetime.fromisoformat(report.signing_time)
    assert abs(signing_time - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
    root = etree.fromstring(signed)
    assert (
        root.find(".//{http://uri.etsi.org/01903/v1.3.2#}SigningCertificateV2") is not None
        or root.find(".//{http://uri.etsi.org/01903/v1.3.2#}SigningCertificate") is not None
    )


def test_sign_and_verify_rsa(unsigned) -> None:
    rsa_pki = make_test_pki("rsa")
    report = verify_dcc(sign_dcc(unsigned, rsa_pki.lab_key, rsa_pki.lab_cert), rsa_pki.ca_cert)
    assert report.valid, report.summary()
    assert report.algorithm.endswith("rsa-sha256")


@pytest.mark.parametrize(
    ("old", "new"),
    [(b"0.012", b"0.013"), (b"JL-2026-000123", b"JL-2026-000999"), (b"\\kelvin<", b"\\celsius<")],
)
def test_tamper_after_signing_fails(pki, signed, old, new) -> None:
    assert old in signed
    report = verify_dcc(signed.replace(old, new, 1), pki.ca_cert)
    assert not report.valid and not report.integrity_ok
    assert any("Digest mismatch" in p for p in report.integrity_problems)


def test_untrusted_and_missing_anchors(signed) -> None:
    other = make_test_pki("ec")
    report = verify_dcc(signed, other.ca_cert)
    assert report.integrity_ok and not report.trusted
    assert report.trust_problems and report.trust_problems[0].startswith("certificate chain:")
    no_anchor = verify_dcc(signed)
    assert no_anchor.integrity_ok and not no_anchor.valid
    assert no_anchor.trust_problems == ["no trust anchors configured (pass --trust CERT)"]


def test_unsigned_document(pki, unsigned) -> None:
    report = verify_dcc(unsigned, pki.ca_cert)
    assert not report.signed and not report.valid
    assert report.integrity_problems == ["expected one enveloped ds:Signature, found 0"]


def test_sign_rejects_mismatched_key(pki, unsigned) -> None:
    other = make_test_pki("ec")
    with pytest.raises(SignatureError, match="does not match the private key"):
        sign_dcc(unsigned, other.lab_key, pki.lab_cert)
    with pytest.raises(SignatureError, match="already signed"):
        sign_dcc(sign_dcc(unsigned, pki.lab_key, pki.lab_cert), pki.lab_key, pki.lab_cert)


@pytest.mark.skipif(not PTB_SIGNED.is_file(), reason=f"{PTB_SIGNED} not found (JILIANG_SHARED_DIR)")
@pytest.mark.filterwarnings("ignore::cryptography.utils.CryptographyDeprecationWarning")
def test_ptb_signed_example_integrity_ok_trust_failure_precise(pki) -> None:
    report = verify_dcc(PTB_SIGNED.read_bytes(), pki.ca_cert)
    assert report.integrity_ok, report.integrity_problems
    assert not report.trusted and not report.valid
    assert report.signer == "CN=Calibration Lab A1,O=Calibration A GmbH,C=DE"
    assert report.signing_time == "2023-03-27T15:14:30+00:00"
    assert report.not_after == "2024-12-02T12:40:00+00:00"
    assert report.trust_problems[0].startswith(
        "signing certificate CN=Calibration Lab A1,O=Calibration A GmbH,C=DE expired on "
        "2024-12-02T12:40:00+00:00"
    )
    assert report.trust_problems[1] == (
        "issuer CN=Calibration Community Sub CA 01,O=Calibration Community,C=DE is not a "
        "configured trust anchor and its certificate is not embedded in the signature"
    )
    tampered = PTB_SIGNED.read_bytes().replace(b"Kalibrierfirma", b"Kalibrierfirmx")
    assert not verify_dcc(tampered).integrity_ok
