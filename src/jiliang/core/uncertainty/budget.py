"""Uncertainty budgets (不确定度预算): budget-file specification → table, LPU and MCM results.

The specification is the plain dict of a YAML budget file (format in ``docs/uncertainty.md``)::

    title: JCGM 100 H.1 end gauge
    model: "l_s + d - l_s*(d_alpha*theta + alpha_s*d_theta)"   # or {output: expression, ...}
    output: {name: l, unit: nm}
    constants: {m_nom: 100000}
    inputs:
      l_s: {value: 50000623, u: 25, dof: 18, unit: nm}
      alpha_s: {distribution: rectangular, value: 11.5e-6, half_width: 2e-6}
    correlations: [[a, b, 0.5]]
    coverage: 0.95
    mcm: {trials: 1000000, adaptive: false, n_dig: 2, interval: shortest, seed: 1}

:func:`evaluate_budget` is what the API endpoint, the budget page and the CLI call; its
:class:`BudgetLimits` stop one request from exhausting a shared server.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import LimitError, UncertaintyError
from .gum import LPUResult, MultiLPUResult, lpu
from .inputs import Correlations, InputSet, input_from_spec
from .mcm import MCMResult, Validation, mcm, validate
from .model import Model

__all__ = [
    "BudgetLimits",
    "BudgetResult",
    "budget_rows",
    "evaluate_budget",
    "load_budget",
]

METHODS = ("lpu", "mcm", "both")


@dataclass(frozen=True)
class BudgetLimits:
    """Caps applied to one evaluation (defaults suit an interactive API request)."""

    max_trials: int = 10**7
    max_inputs: int = 1000
    max_seconds: float = 30.0
    max_expression_length: int = 5000


@dataclass
class BudgetResult:
    """Everything a budget page shows: the LPU result(s), the MCM result and §8 validation."""

    title: str
    method: str
    lpu: LPUResult | MultiLPUResult | None = None
    mcm: MCMResult | None = None
    validation: Validation | None = None
    units: dict[str, str] = field(default_factory=dict)
    output_unit: str = ""

    @property
    def primary(self) -> LPUResult | None:
        """The (first) LPU output."""
        if isinstance(self.lpu, MultiLPUResult):
            return self.lpu.outputs[0]
        return self.lpu

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary: summary figures, contributions, MCM histogram, validation."""
        out: dict[str, Any] = {"title": self.title, "method": self.method, "unit": self.output_unit}
        lp = self.primary
        if lp is not None:
            lpd = lp.to_dict()
            out.update(
                {
                    "y": lp.y,
                    "u": lp.u,
                    "U": lp.U,
                    "k": lp.k,
                    "dof_eff": lpd["dof"],
                    "p": lp.p,
                    "interval": list(lp.interval),
                    "contributions": lpd["contributions"],
                }
            )
            out["lpu"] = self.lpu.to_dict()
        if self.mcm is not None:
            out["mcm"] = self.mcm.to_dict()
            if lp is None:
                out.update(
                    {
                        "y": self.mcm.y,
                        "u": self.mcm.u,
                        "p": self.mcm.p,
                        "interval": list(self.mcm.interval),
                    }
                )
        if self.validation is not None:
            out["validation"] = self.validation.to_dict()
        return out

    def to_json(self, **kw: Any) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, **kw)

    def to_csv(self) -> str:
        """The budget table as CSV (one row per input, then the result row)."""
        buf = io.StringIO()
        rows = budget_rows(self)
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]) if rows else ["name"])
        writer.writeheader()
        writer.writerows(rows)
        return buf.getvalue()


def budget_rows(result: BudgetResult) -> list[dict[str, Any]]:
    """Rows of the budget table: name, estimate, u, distribution, ν, c_i, u_i(y), share."""
    lp = result.primary
    if lp is None:
        return []
    rows = []
    for c in lp.to_dict()["contributions"]:
        rows.append(
            {
                "name": c["name"],
                "unit": result.units.get(c["name"], ""),
                "value": c["value"],
                "u": c["u"],
                "distribution": c["distribution"],
                "dof": c["dof"],
                "sensitivity": c["sensitivity"],
                "contribution": c["contribution"],
                "share": c["share"],
            }
        )
    rows.append(
        {
            "name": lp.name,
            "unit": result.output_unit,
            "value": lp.y,
            "u": lp.u,
            "distribution": f"k={lp.k:.3g}, U={lp.U:.6g}",
            "dof": "inf" if math.isinf(lp.dof) else lp.dof,
            "sensitivity": "",
            "contribution": lp.u,
            "share": 1.0 if lp.u > 0 else 0.0,
        }
    )
    return rows


def load_budget(path: str | Path) -> dict[str, Any]:
    """Read a YAML budget file into its specification dict (safe loader)."""
    try:
        spec = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise UncertaintyError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(spec, dict):
        raise UncertaintyError(f"{path}: a budget file must be a mapping")
    return spec


def _inputs(spec: Mapping[str, Any], limits: BudgetLimits) -> InputSet:
    raw = spec.get("inputs")
    if not raw:
        raise UncertaintyError("budget has no 'inputs'")
    if isinstance(raw, Mapping):
        items = list(raw.items())
    elif isinstance(raw, list):
        items = []
        for entry in raw:
            if not isinstance(entry, Mapping) or "name" not in entry:
                raise UncertaintyError("each entry of an 'inputs' list needs a 'name'")
            items.append((str(entry["name"]), entry))
    else:
        raise UncertaintyError("'inputs' must be a mapping or a list")
    if len(items) > limits.max_inputs:
        raise LimitError(f"{len(items)} inputs exceed the limit of {limits.max_inputs}")
    return InputSet.of([input_from_spec(str(name), entry or {}) for name, entry in items])


def evaluate_budget(
    spec: Mapping[str, Any],
    method: str = "lpu",
    trials: int | None = None,
    adaptive: bool | None = None,
    seed: int | None = None,
    limits: BudgetLimits | None = None,
    workers: int | None = None,
) -> BudgetResult:
    """Evaluate a budget specification (the dict of a YAML budget file).

    Args:
        spec: the specification (see module docstring and docs/uncertainty.md).
        method: ``lpu``, ``mcm`` or ``both`` (``both`` adds the JCGM 101 §8 validation).
        trials: fixed MCM trials (overrides ``spec['mcm']['trials']``).
        adaptive: adaptive MCM (§7.9); default from the spec, else adaptive when no trials given.
        seed: MCM seed (overrides the spec).
        limits: caps on trials, inputs, time and expression length.
    """
    limits = limits or BudgetLimits()
    if method not in METHODS:
        raise UncertaintyError(f"method must be one of {METHODS}, got {method!r}")
    if not isinstance(spec, Mapping):
        raise UncertaintyError("budget specification must be a mapping")
    inputs = _inputs(spec, limits)
    expr = spec.get("model")
    if expr is None:
        raise UncertaintyError("budget has no 'model' expression")
    texts = [expr] if isinstance(expr, str) else list(dict(expr).values())
    if sum(len(str(t)) for t in texts) > limits.max_expression_length:
        raise LimitError(f"model expression longer than {limits.max_expression_length} characters")
    output = spec.get("output") or {}
    out_name = str(output.get("name", "y")) if isinstance(output, Mapping) else str(output)
    model = Model.from_expressions(expr, inputs.names, spec.get("constants"), output_name=out_name)
    corr = Correlations.from_any(spec.get("correlations")).validated(inputs.names)
    p = float(spec.get("coverage", 0.95))
    result = BudgetResult(
        title=str(spec.get("title", "")),
        method=method,
        units={i.name: i.unit for i in inputs.items},
        output_unit=str(output.get("unit", "")) if isinstance(output, Mapping) else "",
    )
    if method in ("lpu", "both"):
        result.lpu = lpu(
            model, inputs, corr, p=p, second_order=bool(spec.get("second_order", False))
        )
    if method in ("mcm", "both"):
        opts = dict(spec.get("mcm") or {})
        n = trials if trials is not None else opts.get("trials")
        adapt = adaptive if adaptive is not None else bool(opts.get("adaptive", n is None))
        if adapt:
            n = None
        elif n is None:
            n = 10**6
        if n is not None and int(float(n)) > limits.max_trials:
            raise LimitError(f"trials = {int(float(n))} exceed the limit of {limits.max_trials}")
        result.mcm = mcm(
            model,
            inputs,
            corr,
            trials=None if n is None else int(float(n)),
            adaptive=adapt,
            p=p,
            interval=str(opts.get("interval", "shortest")),
            n_dig=int(opts.get("n_dig", 2)),
            seed=seed if seed is not None else opts.get("seed"),
            max_trials=limits.max_trials,
            max_seconds=limits.max_seconds,
            workers=workers,
        )
    if method == "both" and result.primary is not None and result.mcm is not None:
        result.validation = validate(
            result.primary, result.mcm, int((spec.get("mcm") or {}).get("n_dig", 2))
        )
    return result
