"""``jiliang uncertainty``: evaluate GUM uncertainty budgets from YAML files.

Exit codes: 0 evaluated (and, with ``--method both``, the LPU passed the JCGM 101 §8 validation);
1 the §8 validation failed or the adaptive Monte Carlo did not converge; 2 bad input (unreadable
file, invalid budget, bad options).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from jiliang.core.uncertainty import (
    ConvergenceError,
    UncertaintyError,
    budget_rows,
    evaluate_budget,
    load_budget,
)
from jiliang.core.uncertainty.budget import BudgetResult

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
    if isinstance(value, float):
        return "∞" if math.isinf(value) else f"{value:.6g}"
    return str(value)


def _print_table(result: BudgetResult) -> None:
    rows = budget_rows(result)
    if rows:
        table = Table(title=result.title or "Uncertainty budget (不确定度预算)")
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
            # names and distributions must stay readable; numbers may wrap
            keep = col in ("input", "distribution")
            table.add_column(col, justify=justify, no_wrap=keep)  # type: ignore[arg-type]
        for row in rows[:-1]:
            table.add_row(
                row["name"],
                row["unit"],
                _fmt(row["value"]),
                _fmt(row["u"]),
                row["distribution"],
                "∞" if row["dof"] == "inf" else _fmt(row["dof"]),
                _fmt(row["sensitivity"]),
                _fmt(row["contribution"]),
                f"{100 * row['share']:.1f} %",
            )
        out.print(table)
        lp = result.primary
        assert lp is not None
        dof = "∞" if math.isinf(lp.dof) else f"{lp.dof:.1f}"
        out.print(
            f"LPU: {lp.name} = {lp.y:.10g} {result.output_unit}, u = {lp.u:.4g}, ν_eff = {dof}, "
            f"k = {lp.k:.3f}, U = {lp.U:.4g} (p = {lp.p}) [{lp.method}]",
            highlight=False,
        )
    if result.mcm is not None:
        m = result.mcm
        out.print(
            f"MCM: y = {m.y:.10g}, u = {m.u:.4g}, {m.interval_kind} {100 * m.p:g} % interval "
            f"[{m.low:.8g}, {m.high:.8g}], M = {m.trials} trials, {m.seconds:.2f} s",
            highlight=False,
        )
    if result.validation is not None:
        v = result.validation
        verdict = "[green]passed[/green]" if v.passed else "[red]failed[/red]"
        out.print(
            f"JCGM 101 §8 validation: d_low = {v.d_low:.3g}, d_high = {v.d_high:.3g}, "
            f"δ = {v.delta:.3g} → {verdict}"
        )


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
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None
    try:
        result = evaluate_budget(
            spec, method=method, trials=trials, adaptive=True if adaptive else None, seed=seed
        )
    except ConvergenceError as exc:
        err.print(f"[red]not converged:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None
    except UncertaintyError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None
    if csv_path is not None:
        csv_path.write_text(result.to_csv(), encoding="utf-8")
    if as_json:
        data = result.to_dict()
        if "mcm" in data:
            data["mcm"].pop("histogram", None)  # keep the CLI output readable
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        _print_table(result)
    if result.validation is not None and not result.validation.passed:
        raise typer.Exit(1)
