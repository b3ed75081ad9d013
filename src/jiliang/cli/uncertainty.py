"""``jiliang uncertainty``: evaluate GUM uncertainty budgets from YAML files.

Exit codes: 0 evaluated (and, with ``--method both``, the LPU passed the JCGM 101 §8 validation);
1 the §8 validation failed, the adaptive Monte Carlo did not converge, or an LPU-only result is
dominated by the higher-order terms it neglects (vanishing sensitivities, JCGM 101 §9.4); 2 bad
input (unreadable file, invalid budget, bad options). Warnings (non-linearity, extrapolated
calibration curves, failed χ² tests) are printed after the results and listed in ``--json``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

from jiliang.core.uncertainty import (
    ConvergenceError,
    UncertaintyError,
    budget_rows,
    evaluate_budget,
    load_budget,
)
from jiliang.core.uncertainty.budget import BudgetResult
from jiliang.core.uncertainty.gum import LPUResult, MultiLPUResult
from jiliang.core.uncertainty.rounding import decimal_place, format_at, format_with_uncertainty

app = typer.Typer(
    name="uncertainty",
    help="GUM uncertainty evaluation (测量不确定度评定): LPU and Monte Carlo.",
    no_args_is_help=True,
    add_completion=False,
)
out = Console()
err = Console(stderr=True)


@app.callback()
def _group() -> None:
    """GUM uncertainty evaluation (LPU, Monte Carlo) of YAML budget files."""


def _fmt(value: object) -> str:
    """Sensitivities, uncertainties and contributions: three significant digits."""
    if isinstance(value, float):
        return "∞" if math.isinf(value) else f"{value + 0.0:.3g}"  # + 0.0: no "-0"
    return str(value)


def _emit(console: Console, table: Table, fixed: bool = False) -> None:
    """Print a table without cutting it: as a grid when it fits, else one block per row.

    A piped console defaults to 80 columns; a budget table is wider, so it is printed at the
    width it needs (up to 400 columns) rather than squeezed or truncated. On a terminal (or at
    a ``--width`` the user chose, ``fixed``) too narrow for the grid, each row becomes a block
    of ``column: value`` lines — folding a number across lines would make ``0.00866`` read as
    ``0.0086`` over ``6``.
    """
    need = Measurement.get(console, console.options.update_width(400), table).maximum
    if need <= console.width:
        console.print(table)
    elif not console.is_terminal and not fixed:
        wide = Console(file=console.file, width=min(need, 400), highlight=False, color_system=None)
        wide.print(table)
    else:
        _emit_records(console, table)


def _emit_records(console: Console, table: Table) -> None:
    """``table`` as one two-column block per row (first cell as the block's heading)."""
    if table.title:
        console.print(table.title, style="bold", highlight=False)
    columns = table.columns
    cells = [list(c.cells) for c in columns]
    for i in range(table.row_count):
        block = Table(show_header=False, box=None, pad_edge=False, title=None)
        block.add_column(style="dim", no_wrap=True)
        block.add_column(overflow="fold")
        heading = f"{columns[0].header}: {cells[0][i]}" if columns[0].header else cells[0][i]
        console.print(heading, style="bold", highlight=False)
        for col, values in zip(columns[1:], cells[1:], strict=True):
            block.add_row(f"  {col.header}", values[i])
        console.print(block)


def _budget_table(result: BudgetResult, output: str | None, title: str) -> Table | None:
    rows = budget_rows(result, output)
    if not rows:
        return None
    table = Table(title=title)
    for col, justify in (
        ("input", "left"),
        ("unit", "left"),
        ("estimate", "right"),
        ("u(x)", "right"),
        ("distribution", "left"),
        ("ν", "right"),
        ("c", "right"),
        ("u_i(y)", "right"),
        ("share", "right"),
    ):
        # fold, never "…": every digit of an estimate must stay visible on a narrow terminal
        table.add_column(col, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for row in rows[:-1]:
        u = row["u"]
        # GUM 7.2.6: the estimate to the decimal place of its uncertainty (2 significant digits)
        if isinstance(u, float):
            value, _ = format_with_uncertainty(float(row["value"]), u)
        else:
            value = ""
        dof = row["dof"]
        table.add_row(
            row["name"],
            row["unit"],
            value,
            _fmt(u) if isinstance(u, float) else "",
            row["distribution"],
            "∞" if dof == "inf" else _fmt(dof),
            _fmt(row["sensitivity"]),
            _fmt(row["contribution"]),
            f"{100 * row['share']:.1f} %",
        )
    return table


def _lpu_line(result: BudgetResult, lp: LPUResult) -> str:
    unit = result.output_units.get(lp.name, result.output_unit)
    y, u, big = format_with_uncertainty(lp.y, lp.u, lp.U)
    dof = "∞" if math.isinf(lp.dof) else f"{lp.dof:.1f}"
    return (
        f"LPU: {lp.name} = {y} {unit}, u = {u} {unit}, ν_eff = {dof}, k = {lp.k:.3f}, "
        f"U = {big} {unit} "
        f"(p = {lp.p}) [{lp.method}]"
    )


def _correlation_table(multi: MultiLPUResult) -> Table:
    table = Table(title="Output correlations r(y_i, y_j) (JCGM 102 §6.2)")
    table.add_column("", justify="left", overflow="fold")
    for name in multi.names:
        table.add_column(name, justify="right", overflow="fold")
    r = multi.correlation
    for i, name in enumerate(multi.names):
        table.add_row(name, *(f"{r[i, j]:.3f}" for j in range(len(multi.names))))
    return table


def _print_table(
    result: BudgetResult, console: Console | None = None, width: int | None = None
) -> None:
    """Budget table(s), results, output correlations, MCM, validation and warnings.

    ``width``: print at this many columns (``--width``) instead of the terminal's.
    """
    console = console or out
    if width is not None:
        console = Console(file=console.file, width=width, highlight=False, color_system=None)
    multi = result.lpu if isinstance(result.lpu, MultiLPUResult) else None
    outputs: list[LPUResult] = (
        list(multi.outputs) if multi else ([result.lpu] if result.lpu is not None else [])
    )
    base = result.title or "Uncertainty budget (不确定度预算)"
    for lp in outputs:
        title = f"{base} — {lp.name}" if multi else base
        table = _budget_table(result, lp.name if multi else None, title)
        if table is not None:
            _emit(console, table, fixed=width is not None)
        # soft_wrap: a result line is never broken at 80 columns when piped
        console.print(_lpu_line(result, lp), highlight=False, soft_wrap=True)
    if multi is not None:
        _emit(console, _correlation_table(multi), fixed=width is not None)
    if result.mcm is not None:
        m = result.mcm
        y, u = format_with_uncertainty(m.y, m.u)
        q = decimal_place(m.u)
        low, high = format_at(m.low, q), format_at(m.high, q)
        console.print(
            f"MCM: y = {y}, u = {u}, {m.interval_kind} {100 * m.p:g} % interval "
            f"[{low}, {high}], M = {m.trials} trials, {m.seconds:.2f} s",
            highlight=False,
            soft_wrap=True,
        )
    if result.validation is not None:
        v = result.validation
        verdict = "[green]passed[/green]" if v.passed else "[red]failed[/red]"
        console.print(
            f"JCGM 101 §8 validation: d_low = {v.d_low:.3g}, d_high = {v.d_high:.3g}, "
            f"δ = {v.delta:.3g} → {verdict}",
            soft_wrap=True,
        )
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}", highlight=False, soft_wrap=True)


def _lpu_unreliable(result: BudgetResult) -> bool:
    """An LPU-only result whose neglected higher-order terms exceed its own u (JCGM 101 §9.4)."""
    if result.mcm is not None or result.lpu is None:
        return False
    outs = result.lpu.outputs if isinstance(result.lpu, MultiLPUResult) else [result.lpu]
    return any(o.warnings and o.nonlinearity > o.u for o in outs)


@app.command()
def evaluate(
    budget: Annotated[Path, typer.Argument(help="YAML budget file.")],
    method: Annotated[str, typer.Option("--method", help="lpu | mcm | both")] = "lpu",
    trials: Annotated[
        int | None, typer.Option("--trials", help="Fixed Monte Carlo trials.")
    ] = None,
    adaptive: Annotated[
        bool, typer.Option("--adaptive", help="Adaptive Monte Carlo (JCGM 101 §7.9).")
    ] = False,
    seed: Annotated[int | None, typer.Option("--seed", help="Monte Carlo seed.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    csv_path: Annotated[
        Path | None, typer.Option("--csv", help="Also write the budget table as CSV.")
    ] = None,
    width: Annotated[
        int | None,
        typer.Option(
            "--width",
            min=40,
            max=400,
            help="Table width in columns (default: the terminal's; as wide as needed when piped).",
        ),
    ] = None,
) -> None:
    """Evaluate BUDGET (model expression + inputs) and print the budget table."""
    if method not in ("lpu", "mcm", "both"):
        err.print("[red]error:[/red] --method must be lpu, mcm or both")
        raise typer.Exit(2)
    if adaptive and trials is not None:
        err.print("[red]error:[/red] give --trials or --adaptive, not both")
        raise typer.Exit(2)
    try:
        spec = load_budget(budget)
    except OSError as exc:
        err.print(f"[red]error:[/red] cannot read {budget}: {exc}")
        raise typer.Exit(2) from None
    except UncertaintyError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    try:
        result = evaluate_budget(
            spec, method=method, trials=trials, adaptive=True if adaptive else None, seed=seed
        )
    except ConvergenceError as exc:
        err.print(f"[red]not converged:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None
    except UncertaintyError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    if csv_path is not None:
        csv_path.write_text(result.to_csv(), encoding="utf-8")
    if as_json:
        data = result.to_dict()
        if "mcm" in data:
            data["mcm"].pop("histogram", None)  # keep the CLI output readable
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        _print_table(result, width=width)
    if result.validation is not None and not result.validation.passed:
        raise typer.Exit(1)
    if _lpu_unreliable(result):
        # u from the first-order terms alone is smaller than what they neglect (u = 0 for
        # JCGM 101 §9.4 at x = 0): not a result to use
        raise typer.Exit(1)
