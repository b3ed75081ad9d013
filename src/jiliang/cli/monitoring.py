"""``jiliang monitoring``: remote error estimation of smart meters from area energy balance.

    jiliang monitoring simulate FLEET_DIR --areas 20 --meters 100 --days 30
    jiliang monitoring estimate FLEET_DIR --out results.parquet [--scheduler tcp://host:8786]
    jiliang monitoring report results.parquet
    jiliang monitoring ingest readings.parquet --user USER   (into the platform: monitoring_ingest)

Exit codes: 0 done; 2 bad input (missing dataset, bad option); 1 some areas could not be
estimated (their rows say why).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from jiliang.cli.progress import progress_bar

app = typer.Typer(
    name="monitoring",
    help="Smart-meter remote error estimation (智能电能表远程误差估计): simulate, estimate, report",
    no_args_is_help=True,
    add_completion=False,
)
out = Console()
err = Console(stderr=True)

PERIODS = {"15min": 900, "hourly": 3600, "daily": 86400}
START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(code)


def _modules():
    try:
        from jiliang.core.monitoring import fleet, simulate
    except ImportError as exc:  # the optional extra is missing: say which
        raise _fail(f"{exc.name} is not installed: pip install 'jiliang[dask]'") from None
    return fleet, simulate


@app.command("simulate")
def simulate_cmd(
    fleet_dir: Annotated[Path, typer.Argument(help="Directory to write the Parquet dataset to.")],
    areas: Annotated[int, typer.Option(min=1, help="Number of areas (台区).")] = 10,
    meters: Annotated[int, typer.Option(min=1, help="User meters per area.")] = 100,
    days: Annotated[int, typer.Option(min=1, help="Days of readings.")] = 30,
    period: Annotated[str, typer.Option(help="15min, hourly or daily.")] = "hourly",
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same fleet).")] = 2026,
) -> None:
    """Write a synthetic fleet with known errors (and truth.json beside it)."""
    fleet, simulate = _modules()
    if period not in PERIODS:
        raise _fail(f"--period must be one of {', '.join(PERIODS)}, got {period!r}")
    period_s = PERIODS[period]
    n_periods = days * 86400 // period_s
    sc = simulate.Scenario(n_meters=meters, n_periods=n_periods, hours=period_s / 3600)
    fleet_dir.mkdir(parents=True, exist_ok=True)
    truth: dict[str, float] = {}
    with _progress() as bar:
        task = bar.add_task("areas", total=areas)
        for a in range(areas):
            area = f"A{a:05d}"
            sim = simulate.simulate_area(np.random.default_rng([seed, a]), sc, prefix=area)
            summary, series = simulate.registers(sim, start=START.timestamp())
            fleet.write_area(fleet_dir, area, summary, series, {m: "2" for m in series})
            truth.update(sim.true_errors)
            bar.advance(task)
    meta = {
        "start": START.timestamp(),
        "period_s": period_s,
        "n_periods": n_periods,
        "loss_fraction": sc.loss_fraction,
        "u_loss_fraction": sc.u_loss_fraction,
        "u_summary_error": sc.u_summary_error,
        "true_errors": truth,
    }
    (fleet_dir / "truth.json").write_text(json.dumps(meta), encoding="utf-8")
    out.print(f"{areas} areas × {meters} meters, {n_periods} {period} periods → {fleet_dir}")


@app.command("estimate")
def estimate_cmd(
    fleet_dir: Annotated[Path, typer.Argument(help="Parquet dataset (readings/area=…/date=…).")],
    output: Annotated[Path, typer.Option("--out", help="Results Parquet file.")],
    period: Annotated[str, typer.Option(help="15min, hourly or daily.")] = "hourly",
    start: Annotated[str, typer.Option(help="First boundary, ISO date/time (UTC).")] = "",
    days: Annotated[int, typer.Option(min=1, help="Days to estimate over.")] = 30,
    method: Annotated[str, typer.Option(help="ols or rls.")] = "ols",
    robust: Annotated[bool, typer.Option(help="Huber IRLS over periods.")] = False,
    loss: Annotated[float, typer.Option(help="Proportional loss β (fraction).")] = 0.03,
    u_loss: Annotated[float, typer.Option(help="Standard uncertainty of β.")] = 0.002,
    u_summary: Annotated[float, typer.Option(help="u of the summary meter's error.")] = 0.001,
    scheduler: Annotated[
        str | None, typer.Option(help="Dask scheduler address; default: a LocalCluster.")
    ] = None,
    workers: Annotated[int, typer.Option(min=1, help="LocalCluster workers.")] = 2,
) -> None:
    """Estimate every meter of every area on Dask; write one row per meter."""
    fleet, _ = _modules()

    if period not in PERIODS:
        raise _fail(f"--period must be one of {', '.join(PERIODS)}, got {period!r}")
    try:
        t0 = dt.datetime.fromisoformat(start).replace(tzinfo=dt.UTC) if start else START
        gain = fleet.GainPrior(
            loss_fraction=loss, u_loss_fraction=u_loss, u_summary_error=u_summary
        )
        ids = fleet.area_ids(fleet_dir)
    except ValueError as exc:  # MonitoringError is a ValueError
        raise _fail(str(exc)) from None
    config = fleet.FleetConfig(
        start=t0.timestamp(),
        period_s=PERIODS[period],
        n_periods=days * 86400 // PERIODS[period],
        method=method,
        robust=robust,
        gain=gain,
    )
    with _progress() as bar:
        task = bar.add_task("areas", total=len(ids))
        summary = fleet.run_fleet(
            fleet_dir,
            output,
            config,
            scheduler=scheduler,
            n_workers=workers,
            areas=ids,
            progress=lambda done, total: bar.update(task, completed=done),
        )
    out.print(
        f"{summary.areas} areas, {summary.meters} meters in {summary.seconds:.1f} s → "
        f"{summary.output}; verdicts {dict(sorted(summary.verdicts.items()))}"
    )
    if summary.area_errors:
        err.print(f"[yellow]{summary.area_errors} area(s) could not be estimated[/yellow]")
        raise typer.Exit(1)


@app.command("report")
def report_cmd(
    results: Annotated[Path, typer.Argument(help="Results Parquet from `estimate`.")],
    top: Annotated[int, typer.Option(help="Meters to list, largest |ê| first.")] = 10,
) -> None:
    """Verdict counts and the meters to replace or check first."""
    try:
        import pyarrow.parquet as pq

        rows = pq.read_table(results).to_pylist()
    except ImportError:
        raise _fail("pyarrow is not installed: pip install 'jiliang[dask]'") from None
    except OSError as exc:
        raise _fail(f"cannot read {results}: {exc}") from None
    counts = Counter(r["verdict"] for r in rows if r["meter"])
    table = Table(title="verdicts")
    table.add_column("verdict")
    table.add_column("meters", justify="right")
    for verdict, n in sorted(counts.items()):
        table.add_row(verdict, str(n))
    out.print(table)
    flagged = sorted(
        (r for r in rows if r["verdict"] in ("out_of_tolerance", "inconclusive") and r["error"]),
        key=lambda r: -abs(r["error"]),
    )[:top]
    detail = Table(title=f"first {len(flagged)} to act on")
    for col in ("area", "meter", "class", "ê", "U (k=2)", "verdict"):
        detail.add_column(col)
    for r in flagged:
        detail.add_row(
            r["area"],
            r["meter"],
            r["accuracy_class"],
            f"{r['error']:+.2%}",
            f"{2 * r['u']:.2%}",
            r["verdict"],
        )
    out.print(detail)


def _progress() -> Progress:
    return progress_bar(err)


from jiliang.cli.monitoring_ingest import ingest_cmd  # noqa: E402  (Django is imported lazily)

app.command("ingest")(ingest_cmd)
