"""``jiliang monitoring ingest``: bulk drop of a Parquet or CSV file of readings into the platform.

    jiliang monitoring ingest readings.parquet --user gridco [--batch-size 5000]
    jiliang monitoring ingest readings.csv --user gridco

Columns ``meter`` (lifetime ID), ``timestamp`` (ISO 8601 with a UTC offset, or a Parquet
timestamp with a time zone) and ``register`` (cumulative kW·h). The file is read in batches
(bounded memory: Parquet row batches, CSV streamed) and each batch goes through
:func:`jiliang.platform.monitoring.services.ingest_readings` — the same service, checks, audit
and idempotence as ``POST /api/monitoring/readings``, as the named user of the submitting
organisation. Re-running the same file writes nothing: a batch already accepted is answered from
its first answer and counted here as *identical*.

A batch with a bad row is rejected whole (nothing of it written) and the command stops, naming
each bad row (1-based data row of the file, the header not counted) and field; batches before it
stay stored, so fixing the row and re-running continues where it stopped.

Exit codes: 0 all rows stored or identical; 1 a batch was rejected or had conflicting rows;
2 bad input (no such file, missing column, unknown user, bad option).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress

from jiliang.cli.progress import progress_bar

COLUMNS = ("meter", "timestamp", "register")

out = Console()
err = Console(stderr=True)


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _cell(value: Any, name: str) -> Any:
    """A file cell as the API row's JSON value (the service judges it and names the field)."""
    if name == "timestamp" and isinstance(value, dt.datetime):
        return value.isoformat()
    if name == "register" and isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def count_rows(path: Path) -> int:
    """Data rows of the file (Parquet: from its metadata; CSV: lines after the header)."""
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        return pq.ParquetFile(path).metadata.num_rows
    with path.open("rb") as fh:
        return max(0, sum(1 for _ in fh) - 1)


def read_batches(path: Path, size: int) -> Iterator[list[dict[str, Any]]]:
    """The file's rows as API rows, ``size`` at a time; ValueError naming a missing column."""
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(path)
        missing = [c for c in COLUMNS if c not in pf.schema_arrow.names]
        if missing:
            raise ValueError(f"column {', '.join(missing)} missing (need {', '.join(COLUMNS)})")
        for rb in pf.iter_batches(batch_size=size, columns=list(COLUMNS)):
            cols = {c: rb.column(c).to_pylist() for c in COLUMNS}
            yield [{c: _cell(cols[c][i], c) for c in COLUMNS} for i in range(rb.num_rows)]
        return
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"column {', '.join(missing)} missing (need {', '.join(COLUMNS)})")
        batch: list[dict[str, Any]] = []
        for row in reader:
            batch.append({c: _cell(row[c], c) for c in COLUMNS})
            if len(batch) == size:
                yield batch
                batch = []
        if batch:
            yield batch


def ingest_file(
    path: Path, user, size: int, reason: str = "", progress: Progress | None = None
) -> dict[str, Any]:
    """Ingest ``path`` batch by batch as ``user``; the totals and the first rejection.

    Returns ``rows``, ``accepted``, ``identical``, ``conflicting``, ``batches``, ``replayed``,
    ``conflicts`` (first 20, file rows) and ``errors`` (the rejected batch's rows, file rows
    1-based, empty if none). Stops at the first rejected batch.
    """
    from jiliang.platform.monitoring import services

    totals: dict[str, Any] = dict.fromkeys(
        ("rows", "accepted", "identical", "conflicting", "batches", "replayed"), 0
    )
    totals["conflicts"], totals["errors"] = [], []
    task = progress.add_task("ingest", total=count_rows(path)) if progress else None
    first = 1  # file row (1-based, header not counted) of the batch's first row
    for rows in read_batches(path, size):
        try:
            answer = services.ingest_readings(user, rows, reason)
        except services.BatchRejected as exc:
            totals["errors"] = [
                {**e, "row": first + e["row"] if e["row"] >= 0 else None} for e in exc.errors
            ]
            return totals
        totals["rows"] += answer["rows"]
        totals["batches"] += 1
        totals["conflicting"] += answer["conflicting"]
        if answer["replay"]:  # stored before (a re-run): every non-conflicting row is identical
            totals["replayed"] += 1
            totals["identical"] += answer["rows"] - answer["conflicting"]
        else:
            totals["accepted"] += answer["accepted"]
            totals["identical"] += answer["identical"]
        for c in answer["conflicts"]:
            if len(totals["conflicts"]) < 20:
                totals["conflicts"].append({**c, "row": first + c["row"]})
        first += len(rows)
        if progress is not None:
            progress.advance(task, len(rows))
    return totals


def ingest_cmd(
    path: Annotated[Path, typer.Argument(help="Parquet or CSV file: meter, timestamp, register.")],
    user: Annotated[str, typer.Option("--user", help="Submitting user (of the organisation).")],
    batch_size: Annotated[int, typer.Option(min=1, help="Rows per batch (≤ API limit).")] = 5000,
    reason: Annotated[str, typer.Option(help="Change reason recorded in the audit trail.")] = "",
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Data directory (default: $JILIANG_DATA_DIR).")
    ] = None,
) -> None:
    """Bulk-ingest readings through the platform's ingest service (idempotent, audited)."""
    if not path.is_file():
        raise _fail(f"path: no such file {path}")
    if path.suffix.lower() not in (".parquet", ".csv"):
        raise _fail(f"path: {path.name} is neither .parquet nor .csv")
    from jiliang.cli import setup_django

    setup_django(data_dir)
    from django.contrib.auth import get_user_model

    from jiliang.platform.monitoring import services

    if batch_size > services.max_batch():
        raise _fail(f"batch-size: at most {services.max_batch()} rows per batch")
    account = get_user_model().objects.filter(username=user, is_active=True).first()
    if account is None:
        raise _fail(f"user: no active user {user!r}")
    if services.user_organisation(account) is None:
        raise _fail(f"user: {user} belongs to no organisation and may not submit readings")
    progress = progress_bar(err)
    try:
        with progress:
            totals = ingest_file(path, account, batch_size, reason, progress)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    except services.IngestConflict as exc:
        raise _fail(f"{exc} (re-run: stored batches are skipped)", 1) from None
    out.print(
        f"rows {totals['rows']} · accepted {totals['accepted']} · identical "
        f"{totals['identical']} · conflicting {totals['conflicting']} · batches "
        f"{totals['batches']} ({totals['replayed']} already stored)",
        highlight=False,
        soft_wrap=True,
    )
    for c in totals["conflicts"]:
        err.print(
            f"conflict: row {c['row']} {c['meter']} at {c['timestamp']}: sent {c['sent']:g} "
            f"kW·h, stored {c['stored']:g} kW·h (kept)",
            highlight=False,
            soft_wrap=True,
        )
    if totals["errors"]:
        for e in totals["errors"][:50]:
            where = f"row {e['row']}" if e["row"] is not None else "file"
            err.print(
                f"[red]rejected[/red] {where}, field {e['field']}: {e['message']}",
                highlight=False,
                soft_wrap=True,
            )
        err.print(
            f"batch starting after row {totals['rows']} rejected: nothing of it was stored; "
            "fix the rows and run again (stored batches are skipped)",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(1)
    if totals["conflicting"]:
        raise typer.Exit(1)
