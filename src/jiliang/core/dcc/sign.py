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
import hashlib
import os
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from cryptography import x509
from cryptography.exceptions import InvalidSignature as InvalidSignatureError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml import SignatureMethod
from signxml.exceptions import InvalidInput, InvalidSignature
from signxml.xades import XAdESSignatureConfiguration, XAdESSigner, XAdESVerifier

from jiliang.core.dcc.errors import DccError, MalformedXmlError, SignatureError, UnsafeXmlError
from jiliang.core.dcc.hashing import canonical_bytes, signature_problems
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
    #: the trust anchor the signer's chain ends at (RFC 4514 subject, SHA-256 of its DER in hex)
    anchor: str | None = None
    anchor_fingerprint: str | None = None
    #: the signer certificate's subject by attribute (O, CN, organizationIdentifier,
    #: serialNumber): what a platform checks to see whom the signer may sign for
    signer_attributes: dict[str, list[str]] = field(default_factory=dict)
    #: SHA-256 (hex) of the exclusive C14N of the signed DCC content; equals the canonical hash
    #: of the document whenever integrity is ok (what was signed is what is read and hashed)
    signed_hash: str | None = None
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
            f"  trust anchor: {self.anchor}  sha256 {self.anchor_fingerprint}",
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


_SUBJECT_ATTRIBUTES = {
    "O": NameOID.ORGANIZATION_NAME,
    "CN": NameOID.COMMON_NAME,
    "organizationIdentifier": NameOID.ORGANIZATION_IDENTIFIER,
    "serialNumber": NameOID.SERIAL_NUMBER,
}


def _subject_attributes(cert: x509.Certificate) -> dict[str, list[str]]:
    out = {}
    for name, oid in _SUBJECT_ATTRIBUTES.items():
        values = [str(a.value) for a in cert.subject.get_attributes_for_oid(oid)]
        if values:
            out[name] = values
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
    data: bytes,
    leaf: x509.Certificate,
    when: dt.datetime,
    report: SignatureReport,
    content: bytes,
):
    """Signature value and digests at ``when``; ``content``: canonical bytes of the document."""
    config = XAdESSignatureConfiguration(expect_references=True, verification_time=when)
    try:
        results = XAdESVerifier().verify(data, x509_cert=leaf, expect_config=config)
    except Exception as exc:  # hostile input: every failure must become a reason
        # signxml raises its own errors but also lxml's DocumentInvalid, KeyError, ... for a
        # malformed ds:Signature; a verification reports them, it never crashes the caller.
        report.integrity_problems.append(f"{type(exc).__name__}: {exc}")
        return
    # Guard against signature wrapping: one reference must cover the whole certificate, and
    # what it covers must be exactly the document that is read and hashed.
    covering = [
        r.signed_xml
        for r in results
        if r.signed_xml is not None
        and r.signed_xml.tag == f"{{{DCC_NS}}}digitalCalibrationCertificate"
    ]
    if not covering:
        report.integrity_problems.append(
            "no reference covers the whole dcc:digitalCalibrationCertificate"
        )
        return
    signed = etree.tostring(covering[0], method="c14n", exclusive=True, with_comments=False)
    report.signed_hash = hashlib.sha256(signed).hexdigest()
    if signed != content:
        report.integrity_problems.append(
            "the signed content differs from the document as read (signature wrapping refused)"
        )
        return
    report.integrity_ok = True


@dataclass(frozen=True)
class Revocation:
    """One revoked certificate: ``serial`` in lower-case hex, RFC 5280 reason, ISO 8601 time.

    ``issuer`` (RFC 4514) narrows the match to one CA's serial; ``None`` matches any issuer.
    """

    serial: str
    reason: str
    revoked_at: str
    issuer: str | None = None

    def matches(self, cert: x509.Certificate) -> bool:
        return format(cert.serial_number, "x") == self.serial.lower() and (
            self.issuer is None or self.issuer == cert.issuer.rfc4514_string()
        )


class TrustStore(list):
    """Trust anchors (a list of certificates) plus the revocations an operator recorded.

    A plain list of anchors still works everywhere a ``TrustStore`` is accepted; it means
    "nothing revoked".
    """

    def __init__(
        self, anchors: Sequence[x509.Certificate] = (), revocations: Sequence[Revocation] = ()
    ) -> None:
        super().__init__(anchors)
        self.revocations = list(revocations)

    def revocation_of(self, cert: x509.Certificate) -> Revocation | None:
        return next((r for r in self.revocations if r.matches(cert)), None)


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 of the certificate's DER encoding, lower-case hex (64 characters)."""
    return cert.fingerprint(hashes.SHA256()).hex()


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    if cert.issuer != issuer.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignatureError):
        return False
    return True


def chain_to_anchor(
    leaf: x509.Certificate, certs: Sequence[x509.Certificate], anchors: Sequence[x509.Certificate]
) -> tuple[list[x509.Certificate], x509.Certificate | None]:
    """The path leaf → embedded intermediates → anchor (signatures checked), and the anchor."""
    anchor_prints = {fingerprint(a) for a in anchors}
    path, current = [leaf], leaf
    for _ in range(len(certs) + 1):
        if fingerprint(current) in anchor_prints:
            return path, current
        anchor = next((a for a in anchors if _issued_by(current, a)), None)
        if anchor is not None:
            return path, anchor
        parent = next(
            (c for c in certs if c not in path and _issued_by(current, c)),
            None,
        )
        if parent is None:
            break
        path.append(parent)
        current = parent
    return path, None


def _check_trust(data: bytes, certs, leaf, anchors: Sequence[x509.Certificate], report, now):
    """Validity now, revocation, and a chain to a configured anchor (named in the report)."""
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
    path, anchor = chain_to_anchor(leaf, certs, anchors)
    if isinstance(anchors, TrustStore):
        # A revoked signer (or intermediate) voids every signature it made: the signing time
        # is the signer's own claim, so it cannot prove the signature predates a compromise.
        for cert in path:
            revocation = anchors.revocation_of(cert)
            if revocation is not None:
                report.trust_problems.append(
                    f"certificate {cert.subject.rfc4514_string()} (serial {revocation.serial}) "
                    f"was revoked on {revocation.revoked_at}: {revocation.reason}"
                )
    if anchor is None and not report.trust_problems:
        report.trust_problems.append(
            f"certificate chain: {leaf.subject.rfc4514_string()} does not chain to a "
            "configured trust anchor (signatures checked)"
        )
    if report.trust_problems:
        return
    report.anchor = anchor.subject.rfc4514_string()
    report.anchor_fingerprint = fingerprint(anchor)
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
        report.anchor = report.anchor_fingerprint = None
    finally:
        os.unlink(fh.name)


def verify_dcc(
    source: XmlSource,
    trust_anchors: Sequence[x509.Certificate] | bytes = (),
    *,
    now: dt.datetime | None = None,
) -> SignatureReport:
    """Verify the enveloped XAdES signature of a DCC; never raises for a bad or hostile file.

    A file the safe parser refuses, more than one ``ds:Signature``, a signature outside the root's
    children, or signed content that differs from the document as read all fail integrity.
    """
    if isinstance(trust_anchors, bytes):
        trust_anchors = x509.load_pem_x509_certificates(trust_anchors) if trust_anchors else []
    now = now or dt.datetime.now(dt.UTC)
    report = SignatureReport()
    try:
        tree = parse_xml(source)
    except (UnsafeXmlError, MalformedXmlError) as exc:
        report.integrity_problems.append(f"document refused: {exc}")
        return report
    root = tree.getroot()
    sigs = list(root.iter(f"{{{DS}}}Signature"))
    if not sigs:
        report.integrity_problems.append("expected one enveloped ds:Signature, found 0")
        return report
    report.signed = True
    wrapping = signature_problems(root)
    if wrapping:
        report.integrity_problems.extend(wrapping)
        return report
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
    report.signer_attributes = _subject_attributes(leaf)
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
    try:
        content = canonical_bytes(root)
    except DccError as exc:
        report.integrity_problems.append(f"document refused: {exc}")
        return report
    _check_integrity(data, leaf, when, report, content)
    if report.integrity_ok:
        anchors = trust_anchors if isinstance(trust_anchors, TrustStore) else list(trust_anchors)
        _check_trust(data, certs, leaf, anchors, report, now)
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
