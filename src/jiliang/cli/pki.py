"""``jiliang pki``: laboratory signing certificates and trust anchors (operators).

Works on ``$JILIANG_PKI_DIR`` (default ``$JILIANG_DATA_DIR/pki``) and looks laboratories up in
the platform database. Private keys are encrypted with the passphrase from
``$JILIANG_KEY_PASSPHRASE_FILE`` (or ``$JILIANG_KEY_PASSPHRASE``); ``encrypt-keys`` migrates
unencrypted ones. Exit codes: 0 done, 2 refused (message names the problem).
See docs/security.md, "PKI and signing keys".
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(
    name="pki",
    help="Platform CA, laboratory enrolment (CSR / external CA), trust anchors, revocation.",
    no_args_is_help=True,
    add_completion=False,
)
trust_app = typer.Typer(help="Trust anchors (roots of external CAs).", no_args_is_help=True)
app.add_typer(trust_app, name="trust")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help="Data directory (default: $JILIANG_DATA_DIR or ./jiliang-data)."
    ),
]
Days = Annotated[int, typer.Option(help="Validity of the certificate in days.", min=1)]


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}", markup=True)
    return typer.Exit(2)


def _pki(data_dir: Path | None):
    from jiliang.cli import setup_django

    setup_django(data_dir)
    from jiliang.platform.certificates import pki

    return pki


def _lab(code: str):
    """The laboratory with credit code ``code`` (any kind that issues certificates)."""
    from jiliang.platform.registry.models import Organisation

    org = Organisation.objects.filter(code=code).first()
    if org is None:
        raise _fail(f"organisation: no organisation with credit code {code!r}")
    if org.kind in (Organisation.Kind.ENTERPRISE, Organisation.Kind.REGULATOR):
        raise _fail(f"organisation: {code} is a {org.kind}, not a laboratory")
    return org


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise _fail(f"cannot read {what} {path}: {exc.strerror or exc}") from None


def _enrolled(entry: dict) -> None:
    out.print(
        f"enrolled {entry['organisation']}: serial {entry['serial']}\n"
        f"  subject {entry['subject']}\n  issuer {entry['issuer']}\n"
        f"  valid {entry['not_before']} .. {entry['not_after']}\n  trust anchor {entry['anchor']}"
    )


@app.command("init-ca")
def init_ca(
    name: Annotated[str, typer.Option(help="Common name of the CA.")] = "jiliang platform CA",
    organisation: Annotated[str, typer.Option(help="Organisation (O) of the CA.")] = "jiliang",
    days: Days = 3650,
    algorithm: Annotated[str, typer.Option(help="ec (P-256) or rsa (3072 bit).")] = "ec",
    data_dir: DataDir = None,
) -> None:
    """Create the platform's own CA (once) and trust it."""
    pki = _pki(data_dir)
    try:
        cert = pki.init_ca(name, organisation, days, algorithm)
    except pki.PkiError as exc:
        raise _fail(str(exc)) from None
    out.print(
        f"platform CA {cert.subject.rfc4514_string()} valid until "
        f"{cert.not_valid_after_utc.date()}\n  sha256 {pki.fingerprint(cert)}\n"
        f"  key {pki.pki_dir() / 'ca' / 'key.pem'} (0600, "
        f"{'encrypted' if pki.passphrase() else 'unencrypted'}; keep a backup offline)"
    )


@app.command()
def csr(
    code: Annotated[str, typer.Argument(help="Credit code of the laboratory.")],
    out_file: Annotated[
        Path | None, typer.Option("--out", "-o", help="Also write the request here.")
    ] = None,
    algorithm: Annotated[str, typer.Option(help="ec (P-256) or rsa (3072 bit).")] = "ec",
    data_dir: DataDir = None,
) -> None:
    """Generate the lab's signing key (kept here, 0600) and a certificate signing request."""
    pki = _pki(data_dir)
    org = _lab(code)
    try:
        pem = pki.make_csr(org.code, org.name_en or org.name, algorithm)
    except pki.PkiError as exc:
        raise _fail(str(exc)) from None
    if out_file is not None:
        out_file.write_bytes(pem)
    typer.echo(pem.decode(), nl=False)
    err.print(
        f"next: `jiliang pki sign-csr {org.code}` (platform CA), or send the request to an "
        f"external CA and `jiliang pki import {org.code} cert.pem`"
    )


@app.command("sign-csr")
def sign_csr(
    code: Annotated[str, typer.Argument(help="Credit code of the laboratory.")],
    csr_file: Annotated[
        Path | None,
        typer.Option("--csr", help="Request to sign (default: the lab's open request)."),
    ] = None,
    days: Days = 730,
    out_file: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the certificate here.")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Sign a lab's request with the platform CA; the lab's own open request is enrolled."""
    pki = _pki(data_dir)
    org = _lab(code)
    try:
        request = _read(csr_file, "request") if csr_file else pki.pending_csr(org.code)
        cert = pki.sign_csr(request, org.code, days)
        if out_file is not None:
            out_file.write_bytes(cert)
        if csr_file is None or request == pki.pending_csr_or_none(org.code):
            names = (org.name, org.name_en)
            _enrolled(pki.install(org.code, cert, source="platform CA (CSR)", names=names))
        elif out_file is None:
            typer.echo(cert.decode(), nl=False)  # a request from elsewhere: hand it back
    except pki.PkiError as exc:
        raise _fail(str(exc)) from None


@app.command("import")
def import_cert(
    code: Annotated[str, typer.Argument(help="Credit code of the laboratory.")],
    cert_file: Annotated[Path, typer.Argument(help="Certificate (PEM; chain: lab first).")],
    key_file: Annotated[
        Path | None,
        typer.Option("--key", help="Its private key (PEM; default: the lab's open request)."),
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Enrol a certificate issued by an external CA (its root must be a trust anchor)."""
    pki = _pki(data_dir)
    org = _lab(code)
    chain = _read(cert_file, "certificate")
    key = _read(key_file, "key") if key_file else None
    try:
        source, names = f"external CA ({cert_file.name})", (org.name, org.name_en)
        _enrolled(pki.install(org.code, chain, key, source=source, names=names))
    except pki.PkiError as exc:
        raise _fail(str(exc)) from None


@app.command()
def revoke(
    serial: Annotated[str, typer.Argument(help="Certificate serial number (hex).")],
    reason: Annotated[str, typer.Option(help="RFC 5280 reason: keyCompromise, superseded, ...")],
    issuer: Annotated[
        str | None, typer.Option(help="Issuer (RFC 4514) if the certificate is not enrolled.")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Revoke a certificate: signatures made with it no longer verify."""
    pki = _pki(data_dir)
    try:
        entry = pki.revoke(serial, reason, issuer)
    except pki.PkiError as exc:
        raise _fail(str(exc)) from None
    out.print(f"revoked {entry.serial} ({entry.reason}) at {entry.revoked_at}")


@app.command("list")
def list_cmd(data_dir: DataDir = None) -> None:
    """Trust anchors and every enrolled laboratory certificate with its status."""
    pki = _pki(data_dir)
    try:
        anchors, rows = pki.trust_anchors(include_test=True), pki.enrolments()
    except pki.PkiError as exc:
        raise _fail(str(exc)) from None
    table = Table("trust anchor", "valid until", "sha256", title="trust anchors")
    for cert in anchors:
        table.add_row(
            cert.subject.rfc4514_string(),
            str(cert.not_valid_after_utc.date()),
            pki.fingerprint(cert)[:16],
        )
    out.print(table)
    for cert in filter(pki.is_test_anchor, anchors):
        err.print(
            f"warning: {cert.subject.rfc4514_string()} is a self-made test CA "
            "(demo/test auto-enrolment), ignored unless JILIANG_PKI_AUTO_ENROL is on; "
            "remove it from trust/ in production"
        )
    table = Table(title="lab certificates")
    for column in ("lab", "serial", "status", "valid until", "issuer"):
        table.add_column(column, overflow="fold")  # serials are copied into `pki revoke`
    for row in rows:
        table.add_row(
            row["organisation"], row["serial"], row["status"], row["not_after"][:10], row["issuer"]
        )
    out.print(table)


@app.command("encrypt-keys")
def encrypt_keys(
    old_passphrase_file: Annotated[
        Path | None,
        typer.Option(
            "--old-passphrase-file",
            help="File with the previous passphrase, to re-encrypt keys with the current one.",
        ),
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Encrypt the PKI's private keys with $JILIANG_KEY_PASSPHRASE_FILE (idempotent).

    Every key is opened first; if one cannot be, nothing is written. Each is then replaced
    atomically (0600). With --old-passphrase-file keys under the old passphrase get the new one.
    """
    pki = _pki(data_dir)
    old = None
    if old_passphrase_file is not None:
        old = _read(old_passphrase_file, "old passphrase file").rstrip(b"\r\n")
        if not old:
            raise _fail(f"old passphrase file: {old_passphrase_file} is empty")
    try:
        done = pki.encrypt_keys(old)
    except pki.PkiError as exc:
        raise _fail(str(exc)) from None
    if not done:
        out.print(f"no private keys in {pki.pki_dir()}")
    for path, status in done:
        out.print(f"{status}: {path}")


@trust_app.command("add")
def trust_add(
    cert_file: Annotated[Path, typer.Argument(help="CA certificate(s), PEM.")],
    name: Annotated[str | None, typer.Option(help="File name in trust/ (no extension).")] = None,
    data_dir: DataDir = None,
) -> None:
    """Trust an external CA (root) so certificates it issued can be imported and verified."""
    pki = _pki(data_dir)
    try:
        certs = pki.add_trust(_read(cert_file, "certificate"), name)
    except pki.PkiError as exc:
        raise _fail(str(exc)) from None
    for cert in certs:
        out.print(f"trusted {cert.subject.rfc4514_string()}  sha256 {pki.fingerprint(cert)}")
