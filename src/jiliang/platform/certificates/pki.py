"""Operator PKI: the platform CA, laboratory enrolment (CSR or external CA), revocation.

Everything lives under ``settings.JILIANG_PKI_DIR`` (directories 0700, private keys 0600, every
file written to a temporary file in the same directory and moved into place with
``os.replace``, so a crash never leaves half a key)::

    ca/key.pem, ca/cert.pem          the platform's own CA (``jiliang pki init-ca``)
    trust/*.pem                      trust anchors: the platform CA and external roots
    <credit code>/key.pem, cert.pem  the laboratory's active signing key and certificate chain
    <credit code>/pending-key.pem    key of an open certificate signing request
    <credit code>/request.csr.pem    that request (PKCS #10, RFC 2986)
    enrolments.json                  every certificate ever enrolled (for ``pki list``, rotation)
    revoked.json                     revocations (serial, RFC 5280 reason, time)

Laboratory certificates are valid :data:`DEFAULT_DAYS` (two years) unless the operator says
otherwise; an expired or revoked certificate can neither sign nor verify.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tempfile
import threading
from dataclasses import asdict
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509 import verification as xv
from cryptography.x509.oid import NameOID
from django.conf import settings

from jiliang.core.dcc.sign import Revocation, TrustStore, chain_to_anchor, fingerprint

#: validity of a laboratory signing certificate (days) unless the operator asks otherwise
DEFAULT_DAYS = 730
#: validity of the platform CA (days)
CA_DAYS = 3650
#: RFC 5280 §5.3.1 CRLReason names accepted by ``revoke``
REASONS = (
    "unspecified",
    "keyCompromise",
    "caCompromise",
    "affiliationChanged",
    "superseded",
    "cessationOfOperation",
    "privilegeWithdrawn",
)
#: organisation of the throw-away CAs that demo/test auto-enrolment and ``make_test_pki`` create
TEST_ORGANISATION = "jiliang test"

_AUTO_ENROL_LOCK = threading.Lock()
_CODE = re.compile(r"^[0-9A-Z]{18}$")  # GB 32100 unified social credit code


class PkiError(ValueError):
    """An operator-facing PKI problem (missing CA, bad certificate, revoked, expired, ...)."""


# -- files -------------------------------------------------------------------------------------


def pki_dir() -> Path:
    return Path(settings.JILIANG_PKI_DIR)


def _private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) readable only by the service user (0700)."""
    root = pki_dir()
    # mkdir(parents=True) gives parents the umask's mode, so the PKI root is made explicitly;
    # the layout is at most one folder below it.
    for folder in (root, path) if path != root else (root,):
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        folder.chmod(0o700)  # the mode is masked by the umask and ignored for existing folders
    return path


def write_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` with permission ``mode``: temp file, fsync, ``os.replace``.

    The temporary file is created 0600 by :func:`tempfile.mkstemp`, so a private key is never
    readable by others, not even for a moment.
    """
    _private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_private_key(path: Path, key_pem: bytes) -> None:
    """A private key: mode 0600 in a 0700 directory, written atomically."""
    write_atomic(path, key_pem, mode=0o600)


def _read_json(name: str) -> list[dict]:
    path = pki_dir() / name
    if not path.exists():
        return []
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PkiError(f"{path}: unreadable ({exc})") from exc


def _write_json(name: str, rows: list[dict]) -> None:
    text = json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    write_atomic(pki_dir() / name, text.encode("utf-8"))


def _lab_dir(code: str) -> Path:
    if not _CODE.match(code or ""):
        raise PkiError(f"organisation: {code!r} is not an 18-character unified social credit code")
    return pki_dir() / code


# -- keys and certificates ---------------------------------------------------------------------


def _new_key(algorithm: str):
    if algorithm == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    if algorithm == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=3072)
    raise PkiError(f"algorithm: {algorithm!r} is not 'ec' (P-256) or 'rsa' (3072 bit)")


def _key_pem(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _load_certs(data: bytes, what: str) -> list[x509.Certificate]:
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise PkiError(f"{what}: not a PEM certificate ({exc})") from exc
    if not certs:
        raise PkiError(f"{what}: no PEM certificate found")
    return certs


def _load_key(data: bytes, what: str):
    try:
        return serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise PkiError(f"{what}: cannot load an unencrypted PEM private key ({exc})") from exc


def _same_key(key, cert: x509.Certificate) -> bool:
    return key.public_key().public_numbers() == cert.public_key().public_numbers()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _serial(cert: x509.Certificate) -> str:
    return format(cert.serial_number, "x")


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


# -- trust anchors and revocation --------------------------------------------------------------


def trust_anchors(include_test: bool | None = None) -> list[x509.Certificate]:
    """The CA certificates in ``trust/``.

    Self-made test CAs (:func:`is_test_anchor`: from auto-enrolment or ``make_test_pki``) only
    count where auto-enrolment is on (``include_test`` defaults to ``JILIANG_PKI_AUTO_ENROL``),
    so a data directory that once ran as a demo trusts nothing self-made in production.
    """
    if include_test is None:
        include_test = settings.JILIANG_PKI_AUTO_ENROL
    anchors: list[x509.Certificate] = []
    for path in sorted((pki_dir() / "trust").glob("*.pem")):
        anchors.extend(_load_certs(path.read_bytes(), str(path)))
    return [a for a in anchors if include_test or not is_test_anchor(a)]


def revocations() -> list[Revocation]:
    return [Revocation(**row) for row in _read_json("revoked.json")]


def trust_store() -> TrustStore:
    """The configured anchors with the recorded revocations (what verification uses)."""
    return TrustStore(trust_anchors(), revocations())


def add_trust(pem: bytes, name: str | None = None) -> list[x509.Certificate]:
    """Add CA certificate(s) (an external root, e.g.) as trust anchors; returns them."""
    certs = _load_certs(pem, "trust anchor")
    for cert in certs:
        if not _is_ca(cert):
            raise PkiError(
                f"trust anchor: {cert.subject.rfc4514_string()} is not a CA certificate "
                "(basicConstraints cA is not set)"
            )
        if cert.not_valid_after_utc < _now():
            raise PkiError(f"trust anchor: {cert.subject.rfc4514_string()} has expired")
    stem = name or f"anchor-{fingerprint(certs[0])[:16]}"
    if not re.fullmatch(r"[A-Za-z0-9._-]{1,80}", stem):
        raise PkiError(f"name: {stem!r} may only hold letters, digits, '.', '_' and '-'")
    target = pki_dir() / "trust" / f"{stem}.pem"
    if target.exists():
        raise PkiError(f"name: trust anchor {target.name} exists already")
    write_atomic(target, b"".join(_pem(c) for c in certs))
    return certs


def _find_enrolment(serial: str) -> dict | None:
    return next((e for e in _read_json("enrolments.json") if e["serial"] == serial), None)


def revoke(serial: str, reason: str, issuer: str | None = None) -> Revocation:
    """Record that certificate ``serial`` (hex; colons and ``0x`` allowed) must not be trusted.

    The issuer is taken from the enrolment record when the platform knows the certificate.
    """
    clean = serial.lower().replace(":", "").removeprefix("0x").lstrip("0") or "0"
    if not re.fullmatch(r"[0-9a-f]{1,40}", clean):
        raise PkiError(f"serial: {serial!r} is not a hexadecimal certificate serial number")
    if reason not in REASONS:
        raise PkiError(f"reason: {reason!r} is not one of {', '.join(REASONS)} (RFC 5280)")
    enrolment = _find_enrolment(clean)
    issuer = issuer or (enrolment["issuer"] if enrolment else None)
    rows = _read_json("revoked.json")
    if any(r["serial"] == clean and r.get("issuer") in (None, issuer) for r in rows):
        raise PkiError(f"serial: certificate {clean} is already revoked")
    entry = Revocation(clean, reason, _now().isoformat(timespec="seconds"), issuer)
    _write_json("revoked.json", [*rows, asdict(entry)])
    return entry


# -- the platform CA ---------------------------------------------------------------------------


def _ca_paths() -> tuple[Path, Path]:
    return pki_dir() / "ca" / "key.pem", pki_dir() / "ca" / "cert.pem"


def init_ca(
    name: str = "jiliang platform CA",
    organisation: str = "jiliang",
    days: int = CA_DAYS,
    algorithm: str = "ec",
) -> x509.Certificate:
    """Create the platform CA (once) and add its certificate to the trust anchors."""
    key_path, cert_path = _ca_paths()
    if key_path.exists():
        raise PkiError(f"a platform CA exists already at {key_path.parent}")
    if not 1 <= days <= 36500:
        raise PkiError(f"days: {days} is not between 1 and 36500")
    key = _new_key(algorithm)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, name),
        ]
    )
    start = _now() - dt.timedelta(minutes=5)  # tolerate small clock skew between hosts
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )
    write_private_key(key_path, _key_pem(key))
    write_atomic(cert_path, _pem(cert))
    write_atomic(pki_dir() / "trust" / f"platform-ca-{fingerprint(cert)[:16]}.pem", _pem(cert))
    return cert


def platform_ca() -> tuple[object, x509.Certificate]:
    key_path, cert_path = _ca_paths()
    if not key_path.exists():
        raise PkiError("no platform CA: an operator must run `jiliang pki init-ca` first")
    key = _load_key(key_path.read_bytes(), str(key_path))
    return key, _load_certs(cert_path.read_bytes(), str(cert_path))[0]


# -- laboratory enrolment ----------------------------------------------------------------------


def make_csr(code: str, name: str, algorithm: str = "ec") -> bytes:
    """Generate the laboratory's key (kept, 0600) and its certificate signing request (PEM).

    The request names the laboratory (O, CN) and carries its credit code as
    organizationIdentifier (X.520 2.5.4.97), which ``sign_csr`` checks.
    """
    folder = _lab_dir(code)
    key = _new_key(algorithm)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, name[:64]),
            x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, code),
            x509.NameAttribute(NameOID.COMMON_NAME, name[:64]),
        ]
    )
    csr = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())
    pem = csr.public_bytes(serialization.Encoding.PEM)
    write_private_key(folder / "pending-key.pem", _key_pem(key))
    write_atomic(folder / "request.csr.pem", pem)
    return pem


def pending_csr(code: str) -> bytes:
    path = _lab_dir(code) / "request.csr.pem"
    if not path.exists():
        raise PkiError(f"no open signing request for {code}: run `jiliang pki csr {code}` first")
    return path.read_bytes()


def pending_csr_or_none(code: str) -> bytes | None:
    path = _lab_dir(code) / "request.csr.pem"
    return path.read_bytes() if path.exists() else None


def sign_csr(csr_pem: bytes, code: str, days: int = DEFAULT_DAYS) -> bytes:
    """Issue a laboratory signing certificate for ``csr_pem`` with the platform CA (PEM chain)."""
    try:
        csr = x509.load_pem_x509_csr(csr_pem)
    except ValueError as exc:
        raise PkiError(f"csr: not a PEM certificate signing request ({exc})") from exc
    if not csr.is_signature_valid:
        raise PkiError("csr: the request's self-signature does not verify")
    ids = csr.subject.get_attributes_for_oid(NameOID.ORGANIZATION_IDENTIFIER)
    if ids and ids[0].value != code:
        raise PkiError(f"csr: the request names organisation {ids[0].value}, not {code}")
    if not 1 <= days <= 3650:
        raise PkiError(f"days: {days} is not between 1 and 3650")
    ca_key, ca_cert = platform_ca()
    start = _now() - dt.timedelta(minutes=5)
    # A certificate never outlives the CA that vouches for it.
    end = min(start + dt.timedelta(days=days), ca_cert.not_valid_after_utc)
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    cert = (
        x509.CertificateBuilder()
        .subject_name(csr.subject)
        .issuer_name(ca_cert.subject)
        .public_key(csr.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            # digitalSignature + contentCommitment (non-repudiation): signing certificates only
            x509.KeyUsage(True, True, False, False, False, False, False, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(csr.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return _pem(cert)


def _require_digital_signature(_policy, _cert, key_usage: x509.KeyUsage | None) -> None:
    if key_usage is None or not key_usage.digital_signature:
        raise ValueError("certificate KeyUsage does not allow digitalSignature")


def _validate_path(
    leaf: x509.Certificate,
    intermediates: list[x509.Certificate],
    anchors: list[x509.Certificate],
    now: dt.datetime,
) -> x509.Certificate:
    """RFC 5280 path validation with the policy signxml applies when verifying; the anchor.

    End entity: keyUsage with digitalSignature present; CAs: the Web PKI CA profile. So a
    certificate that enrols here also verifies once it has signed.
    """
    hint = "; if an external CA issued it, add that CA's root with `jiliang pki trust add root.pem`"
    if not anchors:
        raise PkiError("certificate: no trust anchors configured" + hint)
    ee_policy = xv.ExtensionPolicy.permit_all().require_present(
        x509.KeyUsage, xv.Criticality.AGNOSTIC, _require_digital_signature
    )
    verifier = (
        xv.PolicyBuilder()
        .store(xv.Store(anchors))
        .time(now)
        .extension_policies(ee_policy=ee_policy, ca_policy=xv.ExtensionPolicy.webpki_defaults_ca())
        .build_client_verifier()
    )
    try:
        return verifier.verify(leaf, intermediates).chain[-1]
    except xv.VerificationError as exc:
        raise PkiError(
            f"certificate: {leaf.subject.rfc4514_string()} (issuer "
            f"{leaf.issuer.rfc4514_string()}) does not validate against the configured trust "
            f"anchors ({exc})" + hint
        ) from None


def _names_lab(cert: x509.Certificate, code: str, names: tuple[str, ...]) -> bool:
    """The certificate names this lab: its credit code, else (no code at all) its name as O.

    The same rule the platform applies to every signature it issues or imports.
    """
    subject = cert.subject
    ids = [a.value for a in subject.get_attributes_for_oid(NameOID.ORGANIZATION_IDENTIFIER)]
    serials = [a.value for a in subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)]
    if any(v == code or str(v).endswith(f"-{code}") for v in ids + serials):
        return True
    orgs = {a.value for a in subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)}
    known = {n for n in names if n} | {n[:64] for n in names if n}  # enrolment cuts O at 64
    return not ids and bool(orgs & known)


def install(
    code: str,
    chain_pem: bytes,
    key_pem: bytes | None = None,
    source: str = "",
    names: tuple[str, ...] = (),
) -> dict:
    """Make ``chain_pem`` (lab certificate first) the laboratory's active signing certificate.

    ``key_pem`` defaults to the key of the laboratory's open signing request. The certificate
    must match the key, be a valid end-entity certificate now, not be revoked, and chain to a
    configured trust anchor. The previous certificate stays in ``enrolments.json`` (signatures
    made with it keep verifying until it expires); its private key is deleted.
    """
    folder = _lab_dir(code)
    certs = _load_certs(chain_pem, "certificate")
    leaf = certs[0]
    pending = folder / "pending-key.pem"
    from_pending = key_pem is None
    if key_pem is None:
        if not pending.exists():
            raise PkiError(
                f"key: no --key given and no open signing request for {code} "
                f"(run `jiliang pki csr {code}`)"
            )
        key_pem = pending.read_bytes()
    key = _load_key(key_pem, "key")
    if not _same_key(key, leaf):
        raise PkiError("certificate: the certificate does not match the laboratory's private key")
    if _is_ca(leaf):
        raise PkiError("certificate: a CA certificate cannot be a laboratory signing certificate")
    if not _names_lab(leaf, code, names):
        raise PkiError(
            f"certificate: {leaf.subject.rfc4514_string()} names neither credit code {code} "
            "(as organizationIdentifier) nor the laboratory's name (as O)"
        )
    now = _now()
    if not leaf.not_valid_before_utc <= now <= leaf.not_valid_after_utc:
        raise PkiError(
            f"certificate: not valid now (valid {leaf.not_valid_before_utc.isoformat()} .. "
            f"{leaf.not_valid_after_utc.isoformat()})"
        )
    store = trust_store()
    anchor = _validate_path(leaf, certs[1:], store, now)
    if (revocation := store.revocation_of(leaf)) is not None:
        raise PkiError(f"certificate: serial {revocation.serial} is revoked ({revocation.reason})")
    old_cert = folder / "cert.pem"
    old_serial = (
        _serial(_load_certs(old_cert.read_bytes(), "cert")[0]) if old_cert.exists() else None
    )
    write_private_key(folder / "key.pem", key_pem)
    write_atomic(old_cert, chain_pem)
    if from_pending:  # the request is answered: its key now lives in key.pem
        pending.unlink()
        (folder / "request.csr.pem").unlink(missing_ok=True)
    entry = {
        "organisation": code,
        "serial": _serial(leaf),
        "subject": leaf.subject.rfc4514_string(),
        "issuer": leaf.issuer.rfc4514_string(),
        "not_before": leaf.not_valid_before_utc.isoformat(),
        "not_after": leaf.not_valid_after_utc.isoformat(),
        "fingerprint": fingerprint(leaf),
        "anchor": anchor.subject.rfc4514_string(),
        "enrolled_at": now.isoformat(timespec="seconds"),
        "source": source,
        "replaces": old_serial,
    }
    rows = [r for r in _read_json("enrolments.json") if r["serial"] != entry["serial"]]
    _write_json("enrolments.json", [*rows, entry])
    return entry


def enrolments(now: dt.datetime | None = None) -> list[dict]:
    """Every enrolled laboratory certificate with its status now.

    Status: ``active`` (the laboratory signs with it), ``superseded`` (replaced, still valid for
    verifying what it signed), ``expired`` or ``revoked``.
    """
    now = now or _now()
    revoked = {(r.serial, r.issuer) for r in revocations()}
    active = {}
    for folder in pki_dir().glob("*/cert.pem"):
        try:
            active[folder.parent.name] = _serial(_load_certs(folder.read_bytes(), "cert")[0])
        except PkiError:
            continue
    rows = []
    for row in _read_json("enrolments.json"):
        if (row["serial"], row["issuer"]) in revoked or (row["serial"], None) in revoked:
            status = "revoked"
        elif dt.datetime.fromisoformat(row["not_after"]) < now:
            status = "expired"
        elif active.get(row["organisation"]) == row["serial"]:
            status = "active"
        else:
            status = "superseded"
        rows.append({**row, "status": status})
    return rows


def is_enrolled(code: str) -> bool:
    folder = _lab_dir(code)
    return (folder / "key.pem").exists() and (folder / "cert.pem").exists()


def signing_material(code: str) -> tuple[bytes, bytes]:
    """The laboratory's active key and certificate chain (PEM), refused if unusable now."""
    folder = _lab_dir(code)
    if not is_enrolled(code):
        raise PkiError(
            f"laboratory {code} has no enrolled signing certificate: an operator must enrol one "
            f"(`jiliang pki csr {code}` then `jiliang pki sign-csr {code}`, or "
            f"`jiliang pki import {code} cert.pem --key key.pem`)"
        )
    key_pem, chain_pem = (folder / "key.pem").read_bytes(), (folder / "cert.pem").read_bytes()
    leaf = _load_certs(chain_pem, f"{folder}/cert.pem")[0]
    if not _same_key(_load_key(key_pem, f"{folder}/key.pem"), leaf):
        raise PkiError(f"laboratory {code}: key.pem does not match cert.pem; re-enrol")
    now = _now()
    if now > leaf.not_valid_after_utc:
        raise PkiError(
            f"laboratory {code}: signing certificate {_serial(leaf)} expired on "
            f"{leaf.not_valid_after_utc.isoformat()}; an operator must enrol a new one"
        )
    store = trust_store()
    if (revocation := store.revocation_of(leaf)) is not None:
        raise PkiError(
            f"laboratory {code}: signing certificate {revocation.serial} is revoked "
            f"({revocation.reason}); an operator must enrol a new one"
        )
    chain = _load_certs(chain_pem, f"{folder}/cert.pem")[1:]
    if chain_to_anchor(leaf, chain, store)[1] is None:
        raise PkiError(
            f"laboratory {code}: signing certificate {_serial(leaf)} (issuer "
            f"{leaf.issuer.rfc4514_string()}) does not chain to a trusted anchor (a self-made "
            "test CA, or a removed root); an operator must enrol a new one"
        )
    return key_pem, chain_pem


def auto_enrol(code: str, name: str) -> dict:
    """Demo and test only (``JILIANG_PKI_AUTO_ENROL``): a throw-away CA signs the lab's CSR.

    The CA is created once per PKI directory and named as a test CA, so ``pki list`` can point
    it out should it ever reach a production data directory.
    """
    with _AUTO_ENROL_LOCK:  # concurrent first signatures (server threads) enrol once
        if is_enrolled(code):
            return {}  # another thread enrolled it meanwhile
        if not _ca_paths()[0].exists():
            init_ca(name="jiliang test CA (auto-enrolment)", organisation=TEST_ORGANISATION)
        make_csr(code, name)
        cert = sign_csr(pending_csr(code), code)
        return install(code, cert, source="auto-enrolment (demo/test)", names=(name,))


def is_test_anchor(cert: x509.Certificate) -> bool:
    """A self-made CA from auto-enrolment or ``make_test_pki`` (never for production)."""
    orgs = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    return bool(orgs) and orgs[0].value == TEST_ORGANISATION
