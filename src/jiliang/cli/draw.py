"""``jiliang draw``: verifiable double-random draws (双随机、一公开).

Exit codes: 0 done / the draw reproduces; 1 the draw does NOT reproduce (or is not the draw of the
pinned ``--commitment``); 2 bad input (unreadable file, invalid pools, bad seed, or a draw refused
because too few inspectors remain after recusal); 3 cannot verify (the seed is not revealed).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from jiliang.core.legal import draw as core

app = typer.Typer(
    name="draw",
    help="Verifiable double-random draws (双随机、一公开): commit, run, verify.",
    no_args_is_help=True,
    add_completion=False,
)
out = Console()
err = Console(stderr=True, soft_wrap=True)  # hex digests must not be broken across lines

SeedHex = Annotated[
    str,
    typer.Option(
        "--seed-hex",
        envvar="JILIANG_DRAW_SEED_HEX",
        help="Seed as hex (≥ 16 bytes); also read from $JILIANG_DRAW_SEED_HEX.",
    ),
]


#: ``jiliang draw verify``: the record withholds its seed, so nothing can be recomputed.
EXIT_CANNOT_VERIFY = 3


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(code)


def _seed(seed_hex: str) -> bytes:
    try:
        seed = bytes.fromhex(seed_hex)
    except ValueError:
        raise _fail("--seed-hex is not hexadecimal") from None
    if len(seed) < core.MIN_SEED_BYTES:
        raise _fail(f"--seed-hex must encode at least {core.MIN_SEED_BYTES} bytes")
    return seed


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise _fail(f"cannot read {path}: {exc}") from None


@app.command()
def seed() -> None:
    """Make a fresh random seed; print it and the commitment SHA-256(seed) to publish first."""
    s = core.new_seed()
    out.print_json(data={"seed_hex": s.hex(), "commitment": core.commitment(s)})


@app.command()
def commit(seed_hex: SeedHex) -> None:
    """Print the commitment SHA-256(seed) for a seed."""
    out.print(core.commitment(_seed(seed_hex)), highlight=False)


@app.command()
def run(
    pools: Annotated[Path, typer.Argument(help="POOLS.json: items, objects, inspectors, params.")],
    seed_hex: SeedHex,
    output: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the draw record here.")
    ] = None,
    reveal: Annotated[bool, typer.Option(help="Include the seed in the record.")] = True,
) -> None:
    """Draw objects and inspectors from POOLS.json and write the draw record (DRAW.json)."""
    data = _read_json(pools)
    try:
        record = core.run_draw(data, _seed(seed_hex), reveal=reveal)
    except ValueError as exc:  # includes DrawRefused
        raise _fail(str(exc)) from None
    text = json.dumps(record.to_dict(), ensure_ascii=False, indent=1)
    if output is None:
        typer.echo(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")
        err.print(
            f"{len(record.selections)} draw(s) written to {output}; commitment {record.commitment}",
            highlight=False,
        )


@app.command()
def verify(
    record: Annotated[Path, typer.Argument(help="DRAW.json written by `jiliang draw run`.")],
    commitment: Annotated[
        str | None,
        typer.Option(
            "--commitment",
            help="SHA-256(seed) as published BEFORE the draw (hex); the record must carry it. "
            "Without it only self-consistency is checked.",
        ),
    ] = None,
) -> None:
    """Recompute a revealed draw: exit 0 if it reproduces, 1 if not, 3 if the seed is withheld.

    Pin --commitment to the value published before the draw: otherwise a fresh, self-consistent
    record drawn under another seed would also reproduce.
    """
    data = _read_json(record)
    if not isinstance(data, dict):
        raise _fail("a draw record must be a JSON object")
    try:
        report = core.verify(data, expected_commitment=commitment)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    if report.ok:
        pinned = " under the published commitment" if commitment else ""
        out.print(
            f"[green]OK[/green] draw reproduces{pinned} ({len(data['selections'])} selection(s))"
        )
        if not commitment:
            err.print(
                "note: no --commitment given; pin the commitment published before the draw",
                highlight=False,
            )
        return
    if not report.verifiable:
        err.print("[yellow]cannot verify (seed not revealed)[/yellow]", highlight=False)
        raise typer.Exit(EXIT_CANNOT_VERIFY)
    for problem in report.problems:
        err.print(f"[red]MISMATCH[/red] {problem}", highlight=False)
    raise typer.Exit(1)
