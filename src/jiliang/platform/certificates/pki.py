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

Private keys at rest are PKCS #8 encrypted (``BestAvailableEncryption``: PBES2, PBKDF2-SHA256,
AES-256-CBC) with the passphrase the service receives at start (``JILIANG_KEY_PASSPHRASE_FILE``
or ``JILIANG_KEY_PASSPHRASE``), so someone who can read the data directory and the database
cannot re-sign with a laboratory's key. Unencrypted keys are written and used only where
:func:`plaintext_keys_allowed` (demo and tests, debug, or a PKI directory outside the data
directory); ``jiliang pki encrypt-keys`` (:func:`encrypt_keys`) migrates existing ones.
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


#: what an operator sets to give the service its key passphrase (named in every message)
PASSPHRASE_VARS = "JILIANG_KEY_PASSPHRASE_FILE (or JILIANG_KEY_PASSPHRASE)"


def passphrase() -> bytes | None:
    """The key passphrase the service received at start (settings), or ``None``."""
    value = getattr(settings, "JILIANG_KEY_PASSPHRASE", None)
    return value.encode("utf-8") if value else None


def inside_data_dir(path: Path) -> bool:
    """``path`` lies in the data directory (where a disk-and-database insider reads)."""
    return Path(path).resolve().is_relative_to(Path(settings.DATA_DIR).resolve())


def plaintext_keys_allowed() -> bool:
    """Unencrypted private keys may be written and used.

    Only in the demo and tests (``JILIANG_PKI_AUTO_ENROL``: throw-away keys under a test CA),
    in debug mode, or when ``JILIANG_PKI_DIR`` lies outside the data directory (keys kept
    apart from the data, as the operator chose). Everywhere else a key at rest is encrypted.
    """
    return bool(settings.JILIANG_PKI_AUTO_ENROL or settings.DEBUG or not inside_data_dir(pki_dir()))


def _refuse_plaintext(what: str) -> PkiError:
    return PkiError(
        f"{what}: private keys inside the data directory {settings.DATA_DIR} must be "
        f"encrypted: give the service a passphrase with {PASSPHRASE_VARS} (then run "
        "`jiliang pki encrypt-keys` for existing keys), or set JILIANG_PKI_DIR outside the "
        "data directory"
    )


def is_encrypted(key_pem: bytes) -> bool:
    """The PEM is an encrypted private key (PKCS #8, or OpenSSL's traditional form)."""
    markers = (b"-----BEGIN ENCRYPTED PRIVATE KEY-----", b"Proc-Type: 4,ENCRYPTED")
    return any(marker in key_pem for marker in markers)


def _plain_pem(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _encrypted_pem(key, secret: bytes) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(secret),
    )


def _key_pem(key, what: str = "key") -> bytes:
    """``key`` as it is stored: encrypted with the passphrase, or refused where it must be."""
    secret = passphrase()
    if secret is not None:
        return _encrypted_pem(key, secret)
    if not plaintext_keys_allowed():
        raise _refuse_plaintext(what)
    return _plain_pem(key)


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


def _load_key(data: bytes, what: str, stored: bool = True):
    """Load a private key; ``stored``: one of the PKI's own files (plaintext refused there).

    An encrypted key needs the service's passphrase; a wrong one is named as such. A key
    handed in for import (``stored=False``) may be unencrypted: it is encrypted when stored.
    """
    if is_encrypted(data):
        secret = passphrase()
        if secret is None:
            raise PkiError(
                f"{what}: the private key is encrypted but the service has no passphrase: "
                f"set {PASSPHRASE_VARS}"
            )
        try:
            return serialization.load_pem_private_key(data, password=secret)
        except (ValueError, TypeError):
            hint = (
                "wrong passphrase, or the key was encrypted with another one"
                if stored
                else "decrypt a key encrypted elsewhere first, e.g. `openssl pkcs8 -in key.pem`"
            )
            raise PkiError(
                f"{what}: the passphrase from {PASSPHRASE_VARS} does not decrypt this private "
                f"key ({hint})"
            ) from None
    if stored and not plaintext_keys_allowed():
        raise _refuse_plaintext(what)
    try:
        return serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise PkiError(f"{what}: cannot load a PEM private key ({exc})") from exc


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


def trust_state() -> str:
    """SHA-256 (hex) of everything :func:`trust_store` is made of: the PKI directory, whether
    test anchors count, each anchor file's name and bytes, and the revocation list.

    A cached signature verification is only reused under the same trust state, so adding or
    removing an anchor or recording a revocation takes effect on the next request. Reading the
    few small files costs microseconds; parsing them (what a verification needs) costs more.
    """
    import hashlib

    digest = hashlib.sha256()
    root = pki_dir()
    digest.update(f"{root}\0{bool(settings.JILIANG_PKI_AUTO_ENROL)}\0".encode())
    for path in sorted((root / "trust").glob("*.pem")):
        data = path.read_bytes()
        digest.update(f"{path.name}\0{len(data)}\0".encode() + data)
    revoked = root / "revoked.json"
    digest.update(b"revoked\0" + (revoked.read_bytes() if revoked.exists() else b""))
    return digest.hexdigest()


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
    key_pem = _key_pem(key, str(key_path))  # refused (nothing written) where it must be encrypted
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
    write_private_key(key_path, key_pem)
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
    write_private_key(folder / "pending-key.pem", _key_pem(key, f"{folder}/pending-key.pem"))
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
    key = _load_key(key_pem, f"{folder}/pending-key.pem" if from_pending else "key", from_pending)
    # as stored: encrypted with the service's passphrase (an imported key may come unencrypted)
    stored_pem = _key_pem(key, f"{folder}/key.pem")
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
    write_private_key(folder / "key.pem", stored_pem)
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
    """The laboratory's active key and certificate chain (PEM), refused if unusable now.

    The key comes back decrypted, in memory only (for ``sign_dcc``); on disk it stays encrypted.
    """
    folder = _lab_dir(code)
    if not is_enrolled(code):
        raise PkiError(
            f"laboratory {code} has no enrolled signing certificate: an operator must enrol one "
            f"(`jiliang pki csr {code}` then `jiliang pki sign-csr {code}`, or "
            f"`jiliang pki import {code} cert.pem --key key.pem`)"
        )
    key_pem, chain_pem = (folder / "key.pem").read_bytes(), (folder / "cert.pem").read_bytes()
    leaf = _load_certs(chain_pem, f"{folder}/cert.pem")[0]
    key = _load_key(key_pem, f"{folder}/key.pem")
    if not _same_key(key, leaf):
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
    return _plain_pem(key), chain_pem


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


# -- private keys at rest ----------------------------------------------------------------------


def private_key_files() -> list[Path]:
    """Every private key of the PKI: the platform CA's, each lab's active and pending key."""
    root = pki_dir()
    found = {*root.glob("*/key.pem"), *root.glob("*/pending-key.pem")}
    return sorted(p for p in found if p.is_file())


def _open_with(data: bytes, secret: bytes | None):
    """The key in ``data`` opened with ``secret`` (``None`` for an unencrypted key), or None."""
    try:
        return serialization.load_pem_private_key(data, password=secret)
    except (ValueError, TypeError):
        return None


def encrypt_keys(old_passphrase: bytes | None = None) -> list[tuple[Path, str]]:
    """Encrypt every unencrypted private key with the service's passphrase (``encrypt-keys``).

    Keys encrypted with ``old_passphrase`` are re-encrypted with the current one (changing the
    passphrase). All keys are read and opened first; if any cannot be opened nothing is
    written. Each key is then replaced atomically (temporary file 0600, ``os.replace``) after
    checking that the new file decrypts to the same key. Running it again changes nothing.

    Returns ``(path, status)`` per key; status ``encrypted``, ``re-encrypted`` or
    ``already encrypted``.
    """
    secret = passphrase()
    if secret is None:
        raise PkiError(
            f"no key passphrase: set {PASSPHRASE_VARS} for this command and for the service"
        )
    plan: list[tuple[Path, object | None, str]] = []
    for path in private_key_files():
        data = path.read_bytes()
        if not is_encrypted(data):
            key, status = _open_with(data, None), "encrypted"
            if key is None:
                raise PkiError(f"{path}: not a PEM private key; nothing was written")
        elif _open_with(data, secret) is not None:
            key, status = None, "already encrypted"
        elif old_passphrase is not None and (key := _open_with(data, old_passphrase)):
            status = "re-encrypted"
        else:
            tried = "neither the new nor the old passphrase" if old_passphrase else "the passphrase"
            raise PkiError(
                f"{path}: {tried} from {PASSPHRASE_VARS} does not decrypt this key (wrong "
                "passphrase? to change the passphrase, give the old one with "
                "--old-passphrase-file); nothing was written"
            )
        plan.append((path, key, status))
    for path, key, _status in plan:
        if key is None:
            continue
        pem = _encrypted_pem(key, secret)
        reopened = _open_with(pem, secret)
        if reopened is None or not _same_public(reopened, key):  # never replace a key blindly
            raise PkiError(f"{path}: the encrypted key did not decrypt back; left unchanged")
        write_private_key(path, pem)
    return [(path, status) for path, _key, status in plan]


def _same_public(a, b) -> bool:
    raw = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    return a.public_key().public_bytes(*raw) == b.public_key().public_bytes(*raw)


def key_problems() -> list[tuple[str, str]]:
    """What stops (``error``) or weakens (``warning``) signing with the keys at rest now.

    Used by the system check and the first-request log: unencrypted keys where they must be
    encrypted, encrypted keys without (or with the wrong) passphrase, a passphrase file kept in
    the data directory, a short passphrase.
    """
    problems: list[tuple[str, str]] = []
    secret = passphrase()
    file = getattr(settings, "JILIANG_KEY_PASSPHRASE_FILE", None)
    if file is not None and inside_data_dir(file):
        problems.append(
            (
                "warning",
                f"the key passphrase file {file} is inside the data directory "
                f"{settings.DATA_DIR}: whoever reads the keys reads the passphrase too; keep it "
                "outside (e.g. /etc/jiliang/key-passphrase, or a systemd credential)",
            )
        )
    if secret is not None and len(secret) < 16:
        problems.append(
            (
                "warning",
                "the key passphrase is shorter than 16 characters: PKCS #8 encryption derives "
                "its key with only 2 048 PBKDF2 rounds, so use a random one "
                "(`openssl rand -base64 32`)",
            )
        )
    plaintext, locked, wrong = [], [], []
    for path in private_key_files():
        data = path.read_bytes()
        if not is_encrypted(data):
            plaintext.append(path)
        elif secret is None:
            locked.append(path)
        elif _open_with(data, secret) is None:
            wrong.append(path)
    if plaintext and not plaintext_keys_allowed():
        problems.append(
            (
                "error",
                f"{len(plaintext)} unencrypted private key(s) inside the data directory "
                f"({', '.join(map(str, plaintext[:3]))}{' …' if len(plaintext) > 3 else ''}): "
                f"signing with them is refused; set {PASSPHRASE_VARS} and run "
                "`jiliang pki encrypt-keys`, or set JILIANG_PKI_DIR outside the data directory",
            )
        )
    if locked:
        problems.append(
            (
                "error",
                f"{len(locked)} private key(s) are encrypted but the service has no passphrase "
                f"({locked[0]}): signing fails until {PASSPHRASE_VARS} is set",
            )
        )
    if wrong:
        problems.append(
            (
                "error",
                f"the key passphrase does not decrypt {len(wrong)} private key(s) ({wrong[0]}): "
                "wrong passphrase, or keys encrypted with an older one (`jiliang pki "
                "encrypt-keys --old-passphrase-file OLD` re-encrypts them)",
            )
        )
    return problems
