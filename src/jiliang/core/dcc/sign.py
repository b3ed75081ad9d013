"""Enveloped XML-DSig with XAdES-BES signed properties (signxml), and its verification.

Signing: the lab's X.509 key (ECDSA P-256 → ecdsa-sha256, RSA → rsa-sha256) signs the whole
document (Reference URI=""), the KeyInfo and xades:SignedProperties (signing time, signing
certificate digest). signxml provides XAdES-BES only (no timestamp), which is what we need.

Verification separates two questions so a report can say precisely what failed:

* **integrity** — signature value, every reference digest and the XAdES signing-certificate digest,
  checked with the embedded certificate at the signing time (so an expired certificate does not
  hide tampering);
* **trust** — the embedded chain leads to a configured trust anchor and is valid now.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml import SignatureMethod
from signxml.exceptions import InvalidInput, InvalidSignature
from signxml.xades import XAdESSignatureConfiguration, XAdESSigner, XAdESVerifier

from jiliang.core.dcc.errors import SignatureError
from jiliang.core.dcc.safexml import XmlSource, parse_xml
from jiliang.core.dcc.schemas import DCC_NS

DS = "http://www.w3.org/2000/09/xmldsig#"
XADES = "http://uri.etsi.org/01903/v1.3.2#"
_NS = {"ds": DS, "xades": XADES}


def _load_key(key_pem: bytes, password: bytes | None):
    try:
        return serialization.load_pem_private_key(key_pem, password=password)
    except (ValueError, TypeError) as exc:
        raise SignatureError(f"private key: cannot load PEM ({exc})") from exc


def _load_certs(cert_pem: bytes) -> list[x509.Certificate]:
    try:
        certs = x509.load_pem_x509_certificates(cert_pem)
    except ValueError as exc:
        raise SignatureError(f"certificate: cannot load PEM ({exc})") from exc
    if not certs:
        raise SignatureError("certificate: no PEM certificate found")
    return certs


def sign_dcc(
    source: XmlSource, key_pem: bytes, cert_pem: bytes, password: bytes | None = None
) -> bytes:
    """Return the DCC with an enveloped XAdES-BES ``ds:Signature`` appended to the root.

    ``cert_pem`` holds the lab certificate first, then any intermediates (all are embedded).
    """
    root = parse_xml(source).getroot()
    if root.find(f"{{{DS}}}Signature") is not None:
        raise SignatureError("document is already signed (ds:Signature present)")
    key = _load_key(key_pem, password)
    certs = _load_certs(cert_pem)
    if certs[0].public_key().public_numbers() != key.public_key().public_numbers():
        raise SignatureError("certificate: the first certificate does not match the private key")
    if isinstance(key, ec.EllipticCurvePrivateKey):
        method = SignatureMethod.ECDSA_SHA256
    elif isinstance(key, rsa.RSAPrivateKey):
        method = SignatureMethod.RSA_SHA256
    else:
        raise SignatureError(f"private key: {type(key).__name__} is not supported (ECDSA or RSA)")
    signer = XAdESSigner(signature_algorithm=method, digest_algorithm="sha256")
    chain = [c.public_bytes(serialization.Encoding.PEM) for c in certs]
    signed = signer.sign(root, key=key, cert=chain)
    return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")


@dataclass
class SignatureReport:
    """Outcome of :func:`verify_dcc`; ``valid`` needs both integrity and trust."""

    signed: bool = False
    integrity_ok: bool = False
    trusted: bool = False
    signer: str | None = None
    issuer: str | None = None
    serial: str | None = None
    not_before: str | None = None
    not_after: str | None = None
    signing_time: str | None = None
    algorithm: str | None = None
    integrity_problems: list[str] = field(default_factory=list)
    trust_problems: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return self.signed and self.integrity_ok and self.trusted

    def to_dict(self) -> dict:
        return {"valid": self.valid, **asdict(self)}

    def summary(self) -> str:
        lines = [
            f"{'VALID' if self.valid else 'INVALID'} signature",
            f"  integrity: {'ok' if self.integrity_ok else 'FAILED'}",
            f"  trust: {'ok' if self.trusted else 'FAILED'}",
            f"  signer: {self.signer}  issuer: {self.issuer}",
            f"  signing time: {self.signing_time}  valid {self.not_before} .. {self.not_after}",
        ]
        lines += [f"  integrity problem: {p}" for p in self.integrity_problems]
        lines += [f"  trust problem: {p}" for p in self.trust_problems]
        return "\n".join(lines)


def _embedded_certs(sig: etree._Element) -> list[x509.Certificate]:
    out = []
    for el in sig.iterfind("ds:KeyInfo/ds:X509Data/ds:X509Certificate", _NS):
        out.append(
            x509.load_der_x509_certificate(base64.b64decode("".join((el.text or "").split())))
        )
    return out


def _signing_time(sig: etree._Element) -> dt.datetime | None:
    el = sig.find(".//xades:SigningTime", _NS)
    if el is None or not el.text:
        return None
    try:
        value = dt.datetime.fromisoformat(el.text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _leaf(certs: list[x509.Certificate]) -> x509.Certificate:
    """The end-entity certificate: the one that issued no other embedded certificate."""
    issuers = {c.issuer for c in certs}
    leaves = [c for c in certs if c.subject not in issuers or c.subject == c.issuer]
    return leaves[0] if leaves else certs[0]


def _check_integrity(
    data: bytes, leaf: x509.Certificate, when: dt.datetime, report: SignatureReport
):
    config = XAdESSignatureConfiguration(expect_references=True, verification_time=when)
    try:
        results = XAdESVerifier().verify(data, x509_cert=leaf, expect_config=config)
    except (InvalidSignature, InvalidInput, ValueError) as exc:
        report.integrity_problems.append(f"{type(exc).__name__}: {exc}")
        return
    # Guard against signature wrapping: one reference must cover the whole certificate.
    if not any(
        r.signed_xml is not None
        and r.signed_xml.tag == f"{{{DCC_NS}}}digitalCalibrationCertificate"
        for r in results
    ):
        report.integrity_problems.append(
            "no reference covers the whole dcc:digitalCalibrationCertificate"
        )
        return
    report.integrity_ok = True


def _check_trust(data: bytes, certs, leaf, anchors: Sequence[x509.Certificate], report, now):
    if now > leaf.not_valid_after_utc:
        report.trust_problems.append(
            f"signing certificate {leaf.subject.rfc4514_string()} expired on "
            f"{leaf.not_valid_after_utc.isoformat()} "
            f"(checked at {now.isoformat(timespec='seconds')})"
        )
    if now < leaf.not_valid_before_utc:
        report.trust_problems.append(
            f"signing certificate is not valid before {leaf.not_valid_before_utc.isoformat()}"
        )
    if not anchors:
        report.trust_problems.append("no trust anchors configured (pass --trust CERT)")
        return
    known = {a.subject for a in anchors} | {c.subject for c in certs}
    if leaf.issuer not in known:
        report.trust_problems.append(
            f"issuer {leaf.issuer.rfc4514_string()} is not a configured trust anchor and its "
            "certificate is not embedded in the signature"
        )
    if report.trust_problems:
        return
    with tempfile.NamedTemporaryFile("wb", suffix=".pem", delete=False) as fh:
        fh.write(b"".join(a.public_bytes(serialization.Encoding.PEM) for a in anchors))
    try:
        XAdESVerifier().verify(
            data,
            ca_pem_file=fh.name,
            expect_config=XAdESSignatureConfiguration(expect_references=True),
        )
        report.trusted = True
    except (InvalidSignature, InvalidInput, ValueError) as exc:
        report.trust_problems.append(f"certificate chain: {exc}")
    finally:
        os.unlink(fh.name)


def verify_dcc(
    source: XmlSource,
    trust_anchors: Sequence[x509.Certificate] | bytes = (),
    *,
    now: dt.datetime | None = None,
) -> SignatureReport:
    """Verify the enveloped XAdES signature of a DCC; never raises for a bad signature."""
    if isinstance(trust_anchors, bytes):
        trust_anchors = x509.load_pem_x509_certificates(trust_anchors) if trust_anchors else []
    now = now or dt.datetime.now(dt.UTC)
    report = SignatureReport()
    tree = parse_xml(source)
    sigs = tree.getroot().findall(f"{{{DS}}}Signature")
    if len(sigs) != 1:
        report.integrity_problems.append(f"expected one enveloped ds:Signature, found {len(sigs)}")
        return report
    report.signed = True
    sig = sigs[0]
    method = sig.find("ds:SignedInfo/ds:SignatureMethod", _NS)
    report.algorithm = method.get("Algorithm") if method is not None else None
    try:
        certs = _embedded_certs(sig)
    except ValueError as exc:
        report.integrity_problems.append(f"ds:X509Certificate is not a DER certificate: {exc}")
        return report
    if not certs:
        report.integrity_problems.append("no ds:X509Certificate in ds:KeyInfo/ds:X509Data")
        return report
    leaf = _leaf(certs)
    report.signer = leaf.subject.rfc4514_string()
    report.issuer = leaf.issuer.rfc4514_string()
    report.serial = format(leaf.serial_number, "x")
    report.not_before = leaf.not_valid_before_utc.isoformat()
    report.not_after = leaf.not_valid_after_utc.isoformat()
    signing_time = _signing_time(sig)
    report.signing_time = signing_time.isoformat() if signing_time else None
    data = etree.tostring(tree)
    # Integrity is judged at the claimed signing time (within the certificate's validity).
    when = (
        signing_time
        if signing_time and leaf.not_valid_before_utc <= signing_time <= leaf.not_valid_after_utc
        else leaf.not_valid_before_utc
    )
    _check_integrity(data, leaf, when, report)
    if report.integrity_ok:
        _check_trust(data, certs, leaf, list(trust_anchors), report, now)
    else:
        report.trust_problems.append("not evaluated: integrity check failed")
    return report


@dataclass
class TestPki:
    """PEM material of a throw-away CA and lab certificate (tests, demos)."""

    ca_cert: bytes
    ca_key: bytes
    lab_cert: bytes
    lab_key: bytes


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "jiliang test"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def _pem_key(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def make_test_pki(
    algorithm: str = "ec", lab_name: str = "jiliang test lab", days: int = 365
) -> TestPki:
    """Generate a CA and a lab signing certificate (``algorithm``: ``ec`` P-256 or ``rsa`` 2048)."""

    def new_key():
        if algorithm == "ec":
            return ec.generate_private_key(ec.SECP256R1())
        if algorithm == "rsa":
            return rsa.generate_private_key(public_exponent=65537, key_size=2048)
        raise SignatureError(f"algorithm: {algorithm!r} is not 'ec' or 'rsa'")

    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    ca_key, lab_key = new_key(), new_key()
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("jiliang test CA"))
        .issuer_name(_name("jiliang test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    lab = (
        x509.CertificateBuilder()
        .subject_name(_name(lab_name))
        .issuer_name(ca.subject)
        .public_key(lab_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(lab_key.public_key()), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    return TestPki(ca.public_bytes(pem), _pem_key(ca_key), lab.public_bytes(pem), _pem_key(lab_key))
