"""``jiliang ledger``: the RFC 9162 transparency log from the command line.

Works on a log directory (``--log DIR``, default ``$JILIANG_DATA_DIR/ledger``) without the
platform. Exit codes: 0 valid / done, 1 invalid (verification or audit failed), 2 usage or
unreadable input.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from jiliang.core.ledger import (
    CosignatureVerifier,
    Ed25519Signer,
    Ed25519Verifier,
    InclusionProof,
    LedgerError,
    Log,
    audit_log,
    export_tiles,
    open_checkpoint,
    verify_entry,
)
from jiliang.core.ledger.note import b64encode

app = typer.Typer(
    name="ledger",
    help="RFC 9162 transparency log: append, checkpoint, prove, verify, verify-consistency, audit.",
    no_args_is_help=True,
    add_completion=False,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

SKEY_FILE = "keys/log.skey"
VKEY_FILE = "keys/log.vkey"


def _default_log() -> Path:
    from jiliang.config import data_dir

    return data_dir() / "ledger"


LogDir = Annotated[
    Path | None,
    typer.Option("--log", help="Log directory (default: $JILIANG_DATA_DIR/ledger)."),
]
# the checkpoint-verification options shared by `verify` and `verify-consistency`
VerifierKey = Annotated[
    str | None, typer.Option("--key", help="Log verifier key (vkey string or file).")
]
Witnesses = Annotated[
    list[str] | None,
    typer.Option("--witness", help="Witness cosigner vkey (type 0x04); repeatable."),
]
Quorum = Annotated[
    int | None,
    typer.Option("--quorum", min=0, help="Cosignatures required (default: all witnesses)."),
]
OutFile = Annotated[
    Path | None, typer.Option("--out", "-o", help="Write to this file instead of stdout.")
]


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


def _open(log_dir: Path | None) -> Log:
    path = log_dir if log_dir is not None else _default_log()
    try:
        return Log(path)
    except LedgerError as exc:
        raise _fail(str(exc)) from None


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise _fail(f"cannot read {what} {path}: {exc.strerror or exc}") from None


def _emit(text: str, out_file: Path | None) -> None:
    if out_file is None:
        typer.echo(text, nl=False)
    else:
        out_file.write_text(text, encoding="utf-8")
        err.print(f"wrote {out_file}")


def _signer(log: Log, key_file: Path | None) -> Ed25519Signer:
    path = key_file or log.path / SKEY_FILE
    try:
        return Ed25519Signer.from_skey(_read(path, "signer key").decode())
    except (LedgerError, UnicodeDecodeError) as exc:
        raise _fail(f"signer key {path}: {exc}") from None


def _verifier(key: str | None, log_dir: Path | None) -> Ed25519Verifier:
    """``--key`` is a vkey string or a file holding one; default: the log's own vkey."""
    if key is None:
        path = (log_dir if log_dir is not None else _default_log()) / VKEY_FILE
        if not path.exists():
            raise _fail(f"no --key given and no log key at {path}")
        key = _read(path, "verifier key").decode()
    elif os.path.exists(key):
        key = _read(Path(key), "verifier key").decode()
    try:
        return Ed25519Verifier.from_vkey(key.strip())
    except LedgerError as exc:
        raise _fail(f"verifier key: {exc}") from None


@app.command()
def init(
    origin: Annotated[str, typer.Option("--origin", help="Log origin, e.g. example.org/log.")],
    log_dir: LogDir = None,
) -> None:
    """Create an empty log directory and its Ed25519 checkpoint key (named after the origin)."""
    path = log_dir if log_dir is not None else _default_log()
    try:
        log = Log.create(path, origin)
    except LedgerError as exc:
        raise _fail(str(exc)) from None
    signer = Ed25519Signer.generate(origin)
    keys = path / "keys"
    keys.mkdir(exist_ok=True)
    skey = keys / "log.skey"
    fd = os.open(skey, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(signer.skey + "\n")
    (keys / "log.vkey").write_text(signer.verifier().vkey + "\n")
    log.close()
    out.print(f"created log {origin} in {path}")
    out.print(f"verifier key: {signer.verifier().vkey}")


@app.command()
def append(
    files: Annotated[list[Path], typer.Argument(help="Files whose bytes become log entries.")],
    log_dir: LogDir = None,
) -> None:
    """Append files as entries (one atomic batch); prints index and leaf hash of each."""
    entries = [_read(f, "entry") for f in files]
    with _open(log_dir) as log:
        first = log.append_many(entries)
        for offset, path in enumerate(files):
            index = first + offset
            typer.echo(f"{index}\t{log.leaf_hash(index).hex()}\t{path}")


@app.command()
def checkpoint(
    log_dir: LogDir = None,
    key_file: Annotated[
        Path | None, typer.Option("--key", help="Signer key file (default: the log's).")
    ] = None,
    out_file: OutFile = None,
) -> None:
    """Sign a checkpoint of the current tree, save it as the latest, and print it."""
    with _open(log_dir) as log:
        signer = _signer(log, key_file)
        try:
            note = log.sign_checkpoint(signer)
        except LedgerError as exc:
            raise _fail(str(exc)) from None
    _emit(note.decode(), out_file)


@app.command()
def prove(
    index: Annotated[int, typer.Option("--index", min=0, help="Leaf index.")],
    size: Annotated[
        int | None,
        typer.Option("--size", min=1, help="Tree size (default: latest checkpoint, else current)."),
    ] = None,
    log_dir: LogDir = None,
    out_file: OutFile = None,
) -> None:
    """Print the inclusion proof of leaf INDEX as a JSON proof file."""
    with _open(log_dir) as log:
        if size is None:
            size = _checkpoint_size(log)
        try:
            proof = log.inclusion_proof_file(index, size)
        except LedgerError as exc:
            raise _fail(str(exc)) from None
    _emit(proof.to_json(), out_file)


def _checkpoint_size(log: Log) -> int:
    note = log.latest_checkpoint()
    if note is None:
        return log.size
    try:
        return int(note.decode().split("\n")[1])
    except (ValueError, IndexError, UnicodeDecodeError):
        raise _fail(f"latest checkpoint in {log.path} is malformed") from None


@app.command()
def consistency(
    old_size: Annotated[int, typer.Argument(min=0, help="Older tree size M.")],
    new_size: Annotated[int, typer.Argument(min=0, help="Newer tree size N.")],
    log_dir: LogDir = None,
    out_file: OutFile = None,
) -> None:
    """Print the consistency proof between tree sizes M and N as a JSON proof file."""
    with _open(log_dir) as log:
        try:
            proof = log.consistency_proof_file(old_size, new_size)
        except LedgerError as exc:
            raise _fail(str(exc)) from None
    _emit(proof.to_json(), out_file)


@app.command()
def verify(
    entry: Annotated[Path, typer.Argument(help="The entry file (e.g. a DCC XML).")],
    proof: Annotated[Path, typer.Option("--proof", help="Inclusion proof JSON file.")],
    checkpoint_file: Annotated[Path, typer.Option("--checkpoint", help="Signed checkpoint.")],
    key: VerifierKey = None,
    witness: Witnesses = None,
    quorum: Quorum = None,
    log_dir: LogDir = None,
) -> None:
    """Verify offline that ENTRY is in the log: exit 0 valid, 1 invalid (with reason), 2 usage."""
    entry_bytes = _read(entry, "entry")
    proof_bytes = _read(proof, "proof")
    note = _read(checkpoint_file, "checkpoint")
    verifier = _verifier(key, log_dir)
    try:
        witnesses = [CosignatureVerifier.from_vkey(w) for w in witness or []]
    except LedgerError as exc:
        raise _fail(f"witness key: {exc}") from None
    needed = len(witnesses) if quorum is None else quorum
    try:
        parsed = InclusionProof.from_json(proof_bytes)
        signed = verify_entry(entry_bytes, parsed, note, verifier, witnesses, needed)
    except LedgerError as exc:
        out.print(f"INVALID ({type(exc).__name__}): {exc}")
        raise typer.Exit(1) from None
    head = signed.checkpoint
    out.print(
        f"VALID: entry is leaf {parsed.index} of {head.origin} at tree size {head.size}, "
        f"root {b64encode(head.root)}"
    )


def _root_arg(value: str, option: str) -> bytes:
    """A tree-head root given on the command line: 64 hex digits or base64 of 32 bytes."""
    import base64
    import binascii

    text = value.strip()
    try:
        raw = bytes.fromhex(text) if len(text) == 64 else base64.b64decode(text, validate=True)
    except (ValueError, binascii.Error):
        raw = b""
    if len(raw) != 32:
        raise _fail(f"{option}: expected a SHA-256 root as 64 hex digits or base64 of 32 bytes")
    return raw


@app.command("verify-consistency")
def verify_consistency_cmd(
    proof: Annotated[
        Path, typer.Argument(help="Consistency proof JSON (`jiliang ledger consistency`).")
    ],
    old_checkpoint: Annotated[
        Path | None, typer.Option("--old", help="Signed checkpoint of the older tree (size M).")
    ] = None,
    new_checkpoint: Annotated[
        Path | None, typer.Option("--new", help="Signed checkpoint of the newer tree (size N).")
    ] = None,
    old_root: Annotated[
        str | None,
        typer.Option("--old-root", help="Instead of --old: root of size M (hex/base64)."),
    ] = None,
    new_root: Annotated[
        str | None,
        typer.Option("--new-root", help="Instead of --new: root of size N (hex/base64)."),
    ] = None,
    key: VerifierKey = None,
    witness: Witnesses = None,
    quorum: Quorum = None,
    log_dir: LogDir = None,
) -> None:
    """Verify offline that tree M is a prefix of tree N (RFC 9162 §2.1.4.2): exit 0 consistent,
    1 not (with reason), 2 usage.

    Give the two signed checkpoints (--old, --new; their signatures are checked with --key) or,
    for bare tree heads, --old-root and --new-root; the sizes come from the proof file.
    """
    from jiliang.core.ledger.checkpoint import check_extends
    from jiliang.core.ledger.prooffile import ConsistencyProof
    from jiliang.core.ledger.proofs import verify_consistency

    by_checkpoint = old_checkpoint is not None or new_checkpoint is not None
    by_root = old_root is not None or new_root is not None
    if by_checkpoint == by_root or (by_checkpoint and None in (old_checkpoint, new_checkpoint)):
        raise _fail("give either --old and --new (checkpoints) or --old-root and --new-root")
    if by_root and None in (old_root, new_root):
        raise _fail("give both --old-root and --new-root")
    proof_bytes = _read(proof, "proof")
    if by_checkpoint:
        notes = (_read(old_checkpoint, "checkpoint"), _read(new_checkpoint, "checkpoint"))
        verifier = _verifier(key, log_dir)
        try:
            witnesses = [CosignatureVerifier.from_vkey(w) for w in witness or []]
        except LedgerError as exc:
            raise _fail(f"witness key: {exc}") from None
        needed = len(witnesses) if quorum is None else quorum
    else:
        roots = (_root_arg(old_root, "--old-root"), _root_arg(new_root, "--new-root"))
    try:
        parsed = ConsistencyProof.from_json(proof_bytes)
        if by_checkpoint:
            old, new = (
                open_checkpoint(n, verifier, witnesses=witnesses, quorum=needed).checkpoint
                for n in notes
            )
            if (old.size, new.size) != (parsed.old_size, parsed.new_size):
                raise LedgerError(
                    f"proof is for sizes {parsed.old_size} -> {parsed.new_size}, the checkpoints "
                    f"are for sizes {old.size} -> {new.size}"
                )
            if parsed.origin is not None and parsed.origin != old.origin:
                raise LedgerError(f"proof is for log {parsed.origin!r}, not {old.origin!r}")
            check_extends(old, new, parsed.hashes)
            heads = (old.root, new.root)
        else:
            verify_consistency(parsed.old_size, parsed.new_size, parsed.hashes, *roots)
            heads = roots
    except LedgerError as exc:
        out.print(f"INVALID ({type(exc).__name__}): {exc}")
        raise typer.Exit(1) from None
    out.print(
        f"CONSISTENT: tree size {parsed.old_size} (root {b64encode(heads[0])}) is a prefix of "
        f"tree size {parsed.new_size} (root {b64encode(heads[1])})"
    )


@app.command()
def audit(
    log_dir: LogDir = None,
    key: Annotated[
        str | None, typer.Option("--key", help="Log verifier key (default: the log's).")
    ] = None,
    records: Annotated[
        bool,
        typer.Option(
            "--records/--no-records",
            help="Also check the platform's stored records (needs the platform's data dir).",
        ),
    ] = False,
) -> None:
    """Recompute the tree from stored entries; compare with tiles, state and latest checkpoint.

    With ``--records``: also recompute the hash of every stored audit entry, walk each record's
    entry chain, check that every audit entry the log holds is still in the database (a database
    restored behind its log shows here), and compare each registry and account row with its last
    logged state (changed, unlogged and missing rows), reporting every record that no longer
    matches.
    """
    with _open(log_dir) as log:
        has_key = key is not None or (log.path / VKEY_FILE).exists()
        verifier = _verifier(key, log.path) if has_key else None
        report = audit_log(log, verifier)
    failed = not report.ok
    if report.ok:
        out.print(f"OK: {report.size} entries, {report.checked_hashes} hashes recomputed")
    for problem in report.problems:
        out.print(f"PROBLEM: {problem}")
    if records:
        failed |= _audit_platform_records()
    if failed:
        raise typer.Exit(1)


def _audit_platform_records() -> bool:
    """The platform's stored records against their logged hashes; True if anything is wrong."""
    from jiliang.cli import setup_django

    setup_django()
    from jiliang.platform.ledger import service

    failed = False
    for name, report in service.audit_platform():
        for note in getattr(report, "notes", []):
            out.print(f"NOTE ({name}): {note}")
        if report.ok:
            out.print(f"OK: {report.checked} {name} match their logged hashes")
            continue
        failed = True
        for problem in report.problems:
            out.print(
                f"PROBLEM ({name}): {problem['kind']} {problem.get('object', '')} "
                f"entry={problem['entry']}: {problem['detail']}"
            )
    return failed


@app.command("acknowledge-restore")
def acknowledge_restore(
    reason: Annotated[
        str, typer.Option("--reason", help="Why the lost entries cannot be recovered.")
    ],
) -> None:
    """Platform: log, for good, that a database restored behind its log lost these entries.

    Only when no newer copy of the database exists (docs/operations.md, restore behind the
    log). Appends a restore-ack leaf; the audit then lists the lost entries as notes.
    """
    from jiliang.cli import setup_django

    setup_django()
    from jiliang.platform.ledger import service

    try:
        ack = service.acknowledge_restore(reason)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    out.print(
        f"acknowledged {len(ack.lost_entries)} lost audit entries at leaf {ack.index}; "
        f"statement {ack.statement}"
    )


@app.command()
def sync() -> None:
    """Platform: append unlogged audit entries to the platform's log and sign a checkpoint."""
    from jiliang.cli import setup_django

    setup_django()
    from jiliang.platform.ledger import service

    try:
        result = service.sync()
    except service.BehindLogError as exc:
        raise _fail(str(exc), 1) from None
    out.print(f"appended {result.appended}, matched {result.matched}, tree size {result.size}")


@app.command()
def export(
    dest: Annotated[Path, typer.Argument(help="Directory for the static C2SP tiles.")],
    log_dir: LogDir = None,
) -> None:
    """Write checkpoint, tile/<L>/<N>[.p/<W>] and entry bundles for static serving/mirrors."""
    with _open(log_dir) as log:
        try:
            count = export_tiles(log, dest)
        except LedgerError as exc:
            raise _fail(str(exc)) from None
    out.print(f"wrote {count} files to {dest}")


@app.command("show-checkpoint")
def show_checkpoint(
    checkpoint_file: Annotated[Path, typer.Argument(help="Signed checkpoint file.")],
    key: Annotated[str | None, typer.Option("--key", help="Log verifier key.")] = None,
    log_dir: LogDir = None,
) -> None:
    """Verify a signed checkpoint and print origin, size and root."""
    note = _read(checkpoint_file, "checkpoint")
    try:
        head = open_checkpoint(note, _verifier(key, log_dir)).checkpoint
    except LedgerError as exc:
        out.print(f"INVALID ({type(exc).__name__}): {exc}")
        raise typer.Exit(1) from None
    out.print(f"VALID: {head.origin} size {head.size} root {b64encode(head.root)}")
