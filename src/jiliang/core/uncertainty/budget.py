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
    simultaneous:                 # sets of simultaneous observations (GUM H.2)
      - {inputs: [V, I], units: [V, mA], rows: [[5.007, 19.663], [4.994, 19.639]]}
    jointly_estimated: [[y1, y2]] # inputs estimated together (one ν, Willink 2007)
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

from .curves import curve_fits
from .dimensions import UnitPlan, plan_units, scale_outputs, split_constants
from .errors import CorrelationError, InputError, LimitError, UncertaintyError, did_you_mean
from .gum import LPUResult, MultiLPUResult, lpu
from .inputs import (
    Correlations,
    Ensemble,
    Input,
    InputSet,
    input_from_spec,
    simultaneous_from_spec,
)
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
    #: fitted calibration curves of ``calibration:`` inputs (coefficients, u, r, ν, χ²)
    curves: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: unit of every output (several outputs, JCGM 102)
    output_units: dict[str, str] = field(default_factory=dict)
    #: inputs and constants converted to the unit shown (see :mod:`.dimensions`)
    unit_conversions: list[dict[str, Any]] = field(default_factory=list)
    #: False when no input had a unit, so nothing was dimensionally checked
    units_checked: bool = False
    #: things the user must know about the result (never a silent assumption)
    warnings: list[str] = field(default_factory=list)

    @property
    def primary(self) -> LPUResult | None:
        """The (first) LPU output."""
        if isinstance(self.lpu, MultiLPUResult):
            return self.lpu.outputs[0]
        return self.lpu

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary: summary figures, contributions, MCM histogram, validation."""
        out: dict[str, Any] = {
            "title": self.title,
            "method": self.method,
            "unit": self.output_unit,
            "units": dict(self.units),
            "output_units": dict(self.output_units),
            "units_checked": self.units_checked,
            "unit_conversions": list(self.unit_conversions),
            "warnings": list(self.warnings),
        }
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
        if self.curves:
            out["curves"] = self.curves
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


def budget_rows(result: BudgetResult, output: str | None = None) -> list[dict[str, Any]]:
    """Rows of the budget table: name, estimate, u, distribution, ν, c_i, u_i(y), share.

    ``output`` selects one output of a multi-output model (default: the first). With correlated
    inputs a row ``(correlations)`` carries 2 Σ c_i c_j u_i u_j r_ij (GUM eq. 16), and with the
    GUM 5.1.2 note a row ``(second order)`` the higher-order terms, so the shares sum to 100 %
    (a negative share is a correlation that reduces u²).
    """
    lp = result.primary
    if output is not None and isinstance(result.lpu, MultiLPUResult):
        lp = result.lpu[output]
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
    var = lp.u**2
    extra = [("(correlations)", lp.correlation_variance, "GUM eq. (16) cross terms")]
    if lp.second_order and lp.u_first_order is not None:
        extra.append(("(second order)", var - lp.u_first_order**2, "GUM 5.1.2 note terms"))
    for label, term, what in extra:
        if term == 0.0:
            continue
        rows.append(
            {
                "name": label,
                "unit": "",
                "value": "",
                "u": "",
                "distribution": what,
                "dof": "",
                "sensitivity": "",
                # signed: a negative variance term is shown as −√|term|
                "contribution": math.copysign(math.sqrt(abs(term)), term),
                "share": term / var if var > 0 else 0.0,
            }
        )
    rows.append(
        {
            "name": lp.name,
            "unit": result.output_units.get(lp.name, result.output_unit),
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
    text = Path(path).read_text(encoding="utf-8")
    try:
        spec = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        hint = ""
        if "\\" in text and "{" in text:
            # D-SI braces inside a flow mapping {…} end it early; "\\v" in double quotes is a
            # YAML escape
            hint = (
                " — a D-SI unit such as \\micro\\metre\\tothe{2} inside {…} must be quoted "
                "with single quotes (unit: '\\micro\\metre\\tothe{2}'); or give the input in "
                "block style, one field a line, where it needs no quotes"
            )
        raise UncertaintyError(f"{path}: not valid YAML: {exc}{hint}") from None
    if not isinstance(spec, dict):
        raise UncertaintyError(f"{path}: a budget file must be a mapping")
    return spec


def _inputs(spec: Mapping[str, Any], limits: BudgetLimits) -> tuple[list[Input], Correlations]:
    """Inputs of the budget (``inputs:`` then ``simultaneous:``) and the estimated correlations."""
    raw = spec.get("inputs") or {}
    joint: list[Input] = []
    joint_corr = Correlations()
    if spec.get("simultaneous") is not None:
        joint, joint_corr = simultaneous_from_spec(spec["simultaneous"])
    if not raw and not joint:
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
    if len(items) + len(joint) > limits.max_inputs:
        raise LimitError(
            f"{len(items) + len(joint)} inputs exceed the limit of {limits.max_inputs}"
        )
    listed = {str(name) for name, _ in items}
    for inp in joint:
        if inp.name in listed:
            raise InputError(
                inp.name, "given both in 'inputs' and in a 'simultaneous' block; give it once"
            )
    return [input_from_spec(str(name), entry or {}) for name, entry in items] + joint, joint_corr


def _correlations(
    spec: Mapping[str, Any], inputs: list[Input], joint: Correlations
) -> Correlations:
    """``correlations:`` plus those estimated from simultaneous observations, and ensembles."""
    user = Correlations.from_any(spec.get("correlations"))
    joint_names = {n for ens in joint.ensembles for n in ens.names}
    for a, b in user.pairs:
        if a in joint_names and b in joint_names:
            raise CorrelationError(
                f"correlation ({a}, {b}): both inputs come from simultaneous observations, whose "
                "correlation is estimated from the rows (GUM C.3.6); do not give it as well"
            )
    ensembles = list(joint.ensembles)
    raw = spec.get("jointly_estimated") or []
    if not isinstance(raw, list):
        raise CorrelationError("'jointly_estimated' must be a list of lists of input names")
    dof = {i.name: i.dof for i in inputs}
    for group in raw:
        if not isinstance(group, list) or not group or not all(isinstance(n, str) for n in group):
            raise CorrelationError("each 'jointly_estimated' entry must be a list of input names")
        for n in group:
            if n not in dof:
                raise CorrelationError(f"jointly_estimated: unknown input {n!r}")
        nus = {dof[n] for n in group}
        if len(nus) != 1:
            raise CorrelationError(
                "jointly_estimated "
                + ", ".join(group)
                + ": inputs estimated together share one dof, got "
                + ", ".join(f"{n}: {dof[n]:g}" for n in group)
            )
        ensembles.append(Ensemble(tuple(group), nus.pop()))
    return Correlations({**user.pairs, **joint.pairs}, ensembles)


def _observation_warnings(spec: Mapping[str, Any]) -> list[str]:
    """Per-input observations of equal length may have been taken together (GUM H.2)."""
    raw = spec.get("inputs")
    entries = raw.items() if isinstance(raw, Mapping) else []
    by_n: dict[int, list[str]] = {}
    for name, entry in entries:
        obs = entry.get("observations") if isinstance(entry, Mapping) else None
        if isinstance(obs, list) and len(obs) >= 2:
            by_n.setdefault(len(obs), []).append(str(name))
    return [
        f"inputs {', '.join(names)} each have {n} observations and are treated as independent; "
        "if they were observed together (the same sets), give them in a 'simultaneous:' block "
        "so that their correlations and ν = n − 1 are used (GUM H.2, C.3.6)"
        for n, names in by_n.items()
        if len(names) > 1
    ]


def _apply_units(inputs: list[Input], plan: UnitPlan) -> list[Input]:
    """Inputs in the units of the plan: c·X for each converted input (its PDF scaled)."""
    if not plan.input_factors:
        return inputs
    out = []
    for inp in inputs:
        factor = plan.input_factors.get(inp.name)
        if factor is None:
            out.append(inp)
            continue
        out.append(
            Input(
                inp.name,
                inp.distribution.scaled(factor),
                inp.dof,
                unit=plan.input_units[inp.name],
                description=inp.description,
            )
        )
    return out


def _output_units(output: Any, names: list[str]) -> dict[str, str]:
    """Declared unit of each output: ``output: {unit: Ω}`` (all) or ``{units: {R: Ω, …}}``."""
    if not isinstance(output, Mapping):
        return {}
    per = output.get("units") or {}
    if not isinstance(per, Mapping):
        raise UncertaintyError("output 'units' must be a mapping of output name → unit")
    for k in per:
        if str(k) not in names:
            raise UncertaintyError(f"output units: the model has no output {k!r}")
    common = str(output.get("unit", "") or "")
    return {n: str(per.get(n, common) or "") for n in names}


#: top-level keys of a budget file, and of its ``output:`` and ``mcm:`` mappings
BUDGET_KEYS = frozenset(
    {
        "title",
        "description",
        "model",
        "output",
        "constants",
        "coverage",
        "second_order",
        "inputs",
        "correlations",
        "simultaneous",
        "jointly_estimated",
        "mcm",
    }
)
OUTPUT_KEYS = frozenset({"name", "unit", "units"})
MCM_KEYS = frozenset({"trials", "adaptive", "n_dig", "interval", "seed"})


def check_budget_keys(spec: Mapping[str, Any]) -> None:
    """Refuse unknown keys (a typo such as ``corelations`` must not be ignored silently)."""
    for where, mapping, known in (
        ("budget", spec, BUDGET_KEYS),
        ("output", spec.get("output"), OUTPUT_KEYS),
        ("mcm", spec.get("mcm"), MCM_KEYS),
    ):
        if not isinstance(mapping, Mapping):
            continue
        unknown = sorted(str(k) for k in mapping if k not in known)
        if unknown:
            raise UncertaintyError(
                f"{where}: unknown key {unknown[0]!r}{did_you_mean(unknown[0], known)}; known: "
                + ", ".join(sorted(known))
            )


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
    check_budget_keys(spec)
    items, joint = _inputs(spec, limits)
    expr = spec.get("model")
    if expr is None:
        raise UncertaintyError("budget has no 'model' expression")
    texts = [expr] if isinstance(expr, str) else list(dict(expr).values())
    if sum(len(str(t)) for t in texts) > limits.max_expression_length:
        raise LimitError(f"model expression longer than {limits.max_expression_length} characters")
    output = spec.get("output") or {}
    out_name = str(output.get("name", "y")) if isinstance(output, Mapping) else str(output)
    exprs = (
        {out_name: expr} if isinstance(expr, str) else {str(k): v for k, v in dict(expr).items()}
    )
    constants, constant_units = split_constants(spec.get("constants"))
    names = [i.name for i in items]
    # compiled first: syntax errors and unknown names get the compiler's messages
    model = Model.from_expressions(expr, names, constants, output_name=out_name)
    plan = plan_units(
        exprs,
        {i.name: i.unit for i in items},
        constants,
        constant_units,
        _output_units(output, list(exprs)),
        validate=False,
    )
    inputs = InputSet.of(_apply_units(items, plan))
    if plan.constants != constants:  # a constant was converted to the unit of its kind
        model = Model.from_expressions(expr, names, plan.constants, output_name=out_name)
    if any(v != 1.0 for v in plan.output_scales.values()):
        model.func = scale_outputs(model.func, plan.output_scales, list(exprs))
    corr = _correlations(spec, items, joint).validated(inputs.names)
    p = float(spec.get("coverage", 0.95))
    result = BudgetResult(
        title=str(spec.get("title", "")),
        method=method,
        units=dict(plan.input_units),
        output_unit=plan.output_units.get(out_name, plan.output_units.get(next(iter(exprs)), "")),
        output_units=dict(plan.output_units),
        unit_conversions=plan.conversions,
        units_checked=plan.checked,
        warnings=_observation_warnings(spec),
    )
    declared = sorted({u for u in _output_units(output, list(exprs)).values() if u})
    if not plan.checked and declared:
        result.warnings.append(
            f"no input has a unit, so the output unit {', '.join(declared)} is only a label and "
            "the model was not dimensionally checked; give every input its unit"
        )
    if method in ("lpu", "both"):
        result.lpu = lpu(
            model, inputs, corr, p=p, second_order=bool(spec.get("second_order", False))
        )
    if result.lpu is not None:
        outs = result.lpu.outputs if isinstance(result.lpu, MultiLPUResult) else [result.lpu]
        result.warnings.extend(w for o in outs for w in o.warnings)
    result.curves, curve_warnings = curve_fits(spec)
    result.warnings.extend(curve_warnings)
    if method in ("mcm", "both"):
        for ens in corr.ensembles:
            if ens.mcm_dof is None and math.isfinite(ens.dof) and ens.dof > 0:
                result.warnings.append(
                    f"the Monte Carlo method draws {', '.join(ens.names)} from a multivariate "
                    "normal PDF (JCGM 101 §6.4.8), which takes their estimated covariance as "
                    f"exact, while the LPU's k uses ν = {ens.dof:g}: the coverage intervals "
                    "differ for that reason (a multivariate t, pdf: t, needs n − N > 2)"
                )
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
