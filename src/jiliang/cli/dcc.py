"""``jiliang dcc``: build, validate, sign, verify, render, import and hash PTB DCC XML.

Exit codes: 0 valid / done; 1 the document (or record) is invalid, or the signature does not
verify; 2 usage errors (unreadable files, bad options, unusable key or certificate); 3 cannot
validate: the XSD of the document's own schemaVersion is not installed and nothing else is wrong
(``jiliang dcc schemas fetch VERSION`` installs it).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console

from jiliang.core.dcc.build import build_dcc
from jiliang.core.dcc.errors import DccError, RecordError, UnsafeXmlError
from jiliang.core.dcc.hashing import canonical_hash
from jiliang.core.dcc.parse import parse_dcc
from jiliang.core.dcc.records import record_from_mapping
from jiliang.core.dcc.validate import validate as validate_dcc

#: ``jiliang dcc validate``: the schema of the document's version is missing, nothing else wrong.
EXIT_CANNOT_VALIDATE = 3
_VALIDATE_EXIT = {"valid": 0, "invalid": 1, "cannot-validate": EXIT_CANNOT_VALIDATE}

app = typer.Typer(
    name="dcc",
    help="Digital calibration certificates (PTB DCC XML): build, validate, sign, verify, render.",
    no_args_is_help=True,
    add_completion=False,
)
out = Console(soft_wrap=True)
err = Console(stderr=True)

FileArg = Annotated[Path, typer.Argument(help="DCC XML file.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout.")]
OutOpt = Annotated[Path, typer.Option("-o", "--output", help="Output file.")]


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(code)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise _fail(f"cannot read {path}: {exc.strerror or exc}") from None


def _write(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise _fail(f"cannot write {path}: {exc.strerror or exc}") from None


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def _dump(data: Any) -> None:
    out.print(
        json.dumps(data, ensure_ascii=False, indent=2, default=_json_default), highlight=False
    )


@app.command("build")
def build_cmd(
    record: Annotated[Path, typer.Argument(help="Calibration record (.json, .yaml or .yml).")],
    output: OutOpt,
) -> None:
    """Build a DCC 3.1.2 XML from a calibration record."""
    text = _read(record).decode("utf-8", "replace")
    try:
        data = yaml.safe_load(text) if record.suffix in (".yaml", ".yml") else json.loads(text)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise _fail(
            f"{record}: not valid {record.suffix.lstrip('.').upper() or 'JSON'}: {exc}"
        ) from None
    try:
        xml = build_dcc(record_from_mapping(data))
    except RecordError as exc:
        raise _fail(f"{record}: {exc}", 1) from None
    _write(output, xml)
    out.print(f"wrote {output}  sha256(c14n) {canonical_hash(xml)}", highlight=False)


@app.command("example-record")
def example_record_cmd(output: OutOpt) -> None:
    """Write a sample calibration record (JSON) to start from."""
    from jiliang.core.dcc.example import example_record

    data = dataclasses.asdict(example_record())
    text = json.dumps(data, ensure_ascii=False, indent=2, default=_json_default)
    _write(output, text.encode("utf-8"))


@app.command("validate")
def validate_cmd(
    file: FileArg,
    schema_dir: Annotated[
        list[Path] | None,
        typer.Option(
            "--schema-dir", help="XSD directory (default $JILIANG_DCC_SCHEMA_DIR, then data dir)."
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """XSD + D-SI units + semantic checks.

    Exit 0 valid; 1 invalid; 3 cannot validate (only the XSD of the document's schemaVersion
    is missing: install it with `jiliang dcc schemas fetch VERSION` or --schema-dir).
    """
    data = _read(file)
    report = validate_dcc(data, schema_dirs=schema_dir or None)
    if as_json:
        _dump(report.to_dict())
    else:
        out.print(report.summary(), highlight=False, markup=False)
    raise typer.Exit(_VALIDATE_EXIT[report.verdict])


schemas_app = typer.Typer(
    help="The DCC / D-SI XSDs (PTB's, not shipped): list installed, fetch from ptb.de.",
    no_args_is_help=True,
)
app.add_typer(schemas_app, name="schemas")


@schemas_app.command("list")
def schemas_list_cmd(
    schema_dir: Annotated[
        list[Path] | None,
        typer.Option("--schema-dir", help="XSD directory (default: the validation search path)."),
    ] = None,
) -> None:
    """Installed DCC schema versions, and which versions in use are missing."""
    from jiliang.core.dcc.schemas import (
        DCC_VERSIONS_IN_USE,
        default_schema_dirs,
        installed_versions,
    )

    dirs = schema_dir or default_schema_dirs()
    found = installed_versions(dirs)
    for version, path in found.items():
        out.print(f"{version}  {path}", highlight=False, markup=False)
    missing = [v for v in DCC_VERSIONS_IN_USE if v not in found]
    if missing:
        out.print(
            f"not installed: {', '.join(missing)} (jiliang dcc schemas fetch {' '.join(missing)})",
            highlight=False,
            markup=False,
        )
    out.print(f"searched: {', '.join(str(d) for d in dirs)}", highlight=False, markup=False)


@schemas_app.command("fetch")
def schemas_fetch_cmd(
    versions: Annotated[
        list[str] | None,
        typer.Argument(help="DCC versions, e.g. 3.1.2 3.3.0 (default: every version in use)."),
    ] = None,
    target: Annotated[
        Path | None,
        typer.Option("--dir", help="Directory to write to (default: data dir's schemas/)."),
    ] = None,
) -> None:
    """Download dcc_vX.Y.Z.xsd and the ptb.de XSDs it imports from their canonical URLs.

    Needs network access once; validation is offline afterwards. Exit 1 if a download failed.
    """
    from jiliang.core.dcc.errors import SchemaUnavailable
    from jiliang.core.dcc.schemas import DCC_VERSIONS_IN_USE, download_schema

    failed = False
    for version in versions or DCC_VERSIONS_IN_USE:
        try:
            where = download_schema(version, target)
        except SchemaUnavailable as exc:
            err.print(f"[red]error:[/red] {exc}", highlight=False)
            failed = True
            continue
        out.print(f"DCC {version}: installed in {where}", highlight=False, markup=False)
    if failed:
        raise typer.Exit(1)


@app.command("sign")
def sign_cmd(
    file: FileArg,
    key: Annotated[Path, typer.Option("--key", help="Lab private key (PEM).")],
    cert: Annotated[
        Path, typer.Option("--cert", help="Lab certificate, then intermediates (PEM).")
    ],
    output: OutOpt,
    password_env: Annotated[
        str | None,
        typer.Option("--password-env", help="Environment variable holding the key password."),
    ] = None,
) -> None:
    """Add an enveloped XAdES-BES signature."""
    import os

    from jiliang.core.dcc.sign import sign_dcc

    password = os.environ.get(password_env, "").encode() if password_env else None
    try:
        signed = sign_dcc(_read(file), _read(key), _read(cert), password)
    except DccError as exc:
        raise _fail(str(exc)) from None
    _write(output, signed)
    out.print(f"signed {output}", highlight=False)


@app.command("verify")
def verify_cmd(
    file: FileArg,
    trust: Annotated[
        list[Path] | None,
        typer.Option("--trust", help="Trust anchor certificate (PEM); repeatable."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Verify signature, digests and certificate chain; exit 0 when valid, 1 when not."""
    from cryptography import x509

    from jiliang.core.dcc.sign import verify_dcc

    anchors = []
    for path in trust or []:
        try:
            anchors += x509.load_pem_x509_certificates(_read(path))
        except ValueError as exc:
            raise _fail(f"{path}: not a PEM certificate ({exc})") from None
    try:
        report = verify_dcc(_read(file), anchors)
    except DccError as exc:
        raise _fail(f"{file}: {exc}", 1) from None
    if as_json:
        _dump(report.to_dict())
    else:
        out.print(report.summary(), highlight=False, markup=False)
    raise typer.Exit(0 if report.valid else 1)


@app.command("render")
def render_cmd(
    file: FileArg,
    output: OutOpt,
    url_base: Annotated[
        str, typer.Option("--url-base", help="Public base URL for the QR code.")
    ] = "https://jiliang.example",
) -> None:
    """Render a bilingual PDF with QR code and the XML attached."""
    from jiliang.core.dcc.render import render_pdf

    try:
        pdf = render_pdf(_read(file), url_base=url_base)
    except DccError as exc:
        raise _fail(f"{file}: {exc}", 1) from None
    _write(output, pdf)
    out.print(f"wrote {output}", highlight=False)


@app.command("import")
def import_cmd(file: FileArg, as_json: JsonOpt = False) -> None:
    """Read a DCC into plain records (items, results, uncertainties, units)."""
    try:
        dcc = parse_dcc(_read(file))
    except DccError as exc:
        raise _fail(f"{file}: {exc}", 1) from None
    if as_json:
        _dump(dataclasses.asdict(dcc))
        return
    out.print(
        f"{dcc.certificate_id}  (DCC {dcc.schema_version}, {dcc.begin_date} – {dcc.end_date})",
        highlight=False,
        markup=False,
    )
    for q in dcc.quantities():
        unc = (
            f" U={q.uncertainty.expanded} k={q.uncertainty.coverage_factor}"
            if q.uncertainty
            else ""
        )
        name = q.name.get("en") or next(iter(q.name.values()), "")
        out.print(f"  {name}: {q.values} {q.unit or ''}{unc}", highlight=False, markup=False)


@app.command("hash")
def hash_cmd(file: FileArg) -> None:
    """SHA-256 over exclusive C14N without signatures (the certificate's identity)."""
    try:
        out.print(canonical_hash(_read(file)), highlight=False)
    except UnsafeXmlError as exc:
        raise _fail(f"{file}: {exc}", 1) from None
    except DccError as exc:
        raise _fail(f"{file}: {exc}", 1) from None
