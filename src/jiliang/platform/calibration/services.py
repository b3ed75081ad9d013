"""Evaluating budgets for the platform, within limits that protect a shared server."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import timezone

from jiliang.core.uncertainty.budget import BudgetLimits, evaluate_budget
from jiliang.core.uncertainty.errors import UncertaintyError

from .models import UncertaintyBudget


def request_limits() -> BudgetLimits:
    """Caps for one evaluation requested over the web (settings override the defaults)."""
    return BudgetLimits(
        max_trials=settings.JILIANG_BUDGET_MAX_TRIALS,
        max_inputs=settings.JILIANG_BUDGET_MAX_INPUTS,
        max_seconds=settings.JILIANG_BUDGET_MAX_SECONDS,
    )


#: what the core raises on a specification of the wrong shape (not a server fault)
_MALFORMED_SPEC = (TypeError, ValueError, KeyError, AttributeError, ArithmeticError, RecursionError)


class BudgetInputError(ValueError):
    """The specification cannot be evaluated; the message names the input or limit.

    ``input`` and ``field``: the input quantity and the key of its specification the core
    blamed, when it named them (the budget form shows the message beside that cell).
    """

    def __init__(self, message: str, input: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.input = input
        self.field = field


def evaluate(
    spec: dict[str, Any],
    method: str = "both",
    seed: int = 1,
    trials: int | None = None,
    adaptive: bool | None = None,
) -> dict[str, Any]:
    """Evaluate ``spec`` with the core; returns the JSON-safe result."""
    if method not in ("lpu", "mcm", "both"):
        raise BudgetInputError(f"method: must be lpu, mcm or both, not {method!r}")
    try:
        result = evaluate_budget(
            spec,
            method=method,
            trials=trials,
            adaptive=adaptive,
            seed=seed,
            limits=request_limits(),
            workers=settings.JILIANG_BUDGET_WORKERS,
        )
    except UncertaintyError as exc:
        raise BudgetInputError(
            str(exc), getattr(exc, "input", None), getattr(exc, "field", None)
        ) from None
    except _MALFORMED_SPEC as exc:
        # a spec of the wrong shape (``"coverage": "abc"``, ``"mcm": []``, ``"model": 5``) makes
        # the core's float()/dict() calls fail: that is the client's input, so a 422, not a 500
        raise BudgetInputError(f"spec: cannot be evaluated ({type(exc).__name__}: {exc})") from None
    return result.to_dict()


def evaluate_and_store(budget: UncertaintyBudget) -> UncertaintyBudget:
    budget.result = evaluate(budget.spec, budget.method, budget.seed)
    budget.evaluated_at = timezone.now()
    return budget
