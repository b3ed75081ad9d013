"""GUM uncertainty evaluation (测量不确定度评定): LPU (JCGM 100/102), MCM (JCGM 101), budgets.

Quick use::

    from jiliang.core.uncertainty import Input, lpu, mcm
    inputs = [Input.normal("a", 1.0, 0.1), Input.rectangular("b", 2.0, half_width=0.3)]
    res = lpu("a * b", inputs)          # res.y, res.u, res.dof, res.k, res.U
    mc = mcm("a * b", inputs, adaptive=True, seed=1)

For budget files (YAML) and the API use :func:`evaluate_budget`.
"""

from .budget import BudgetLimits, BudgetResult, budget_rows, evaluate_budget, load_budget
from .distributions import (
    Arcsine,
    CurvilinearTrapezoid,
    Distribution,
    Exponential,
    Gamma,
    Normal,
    Rectangular,
    StudentT,
    Trapezoidal,
    Triangular,
)
from .errors import (
    ConvergenceError,
    CorrelationError,
    DistributionError,
    ExpressionError,
    InputError,
    LimitError,
    ModelError,
    UncertaintyError,
)
from .expression import compile_expression
from .gum import LPUResult, MultiLPUResult, coverage_factor, lpu, welch_satterthwaite
from .inputs import (
    Correlations,
    Ensemble,
    Input,
    InputSet,
    input_from_spec,
    simultaneous_from_spec,
    type_a,
    type_a_multivariate,
)
from .mcm import MCMResult, Validation, mcm, numerical_tolerance, validate
from .mcm_multi import MultiMCMResult, mcm_multivariate
from .model import Model
from .regression import LineFit, fit_line

__all__ = [
    "Arcsine",
    "BudgetLimits",
    "BudgetResult",
    "ConvergenceError",
    "CorrelationError",
    "Correlations",
    "CurvilinearTrapezoid",
    "Distribution",
    "DistributionError",
    "Ensemble",
    "Exponential",
    "ExpressionError",
    "Gamma",
    "Input",
    "InputError",
    "InputSet",
    "LPUResult",
    "LimitError",
    "LineFit",
    "MCMResult",
    "Model",
    "ModelError",
    "MultiLPUResult",
    "MultiMCMResult",
    "Normal",
    "Rectangular",
    "StudentT",
    "Trapezoidal",
    "Triangular",
    "UncertaintyError",
    "Validation",
    "budget_rows",
    "compile_expression",
    "coverage_factor",
    "evaluate_budget",
    "fit_line",
    "input_from_spec",
    "load_budget",
    "lpu",
    "mcm",
    "mcm_multivariate",
    "numerical_tolerance",
    "simultaneous_from_spec",
    "type_a",
    "type_a_multivariate",
    "validate",
    "welch_satterthwaite",
]
