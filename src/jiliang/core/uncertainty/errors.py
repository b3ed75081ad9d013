"""Exceptions of the uncertainty package (不确定度评定的异常).

Every exception names the offending field (input, correlation pair, distribution parameter) so an
API caller can show it beside the form field. All derive from :class:`UncertaintyError`, a
:class:`ValueError`, so callers that only want "bad input" can catch ``ValueError``.
"""

from __future__ import annotations


class UncertaintyError(ValueError):
    """Base class of every error raised by :mod:`jiliang.core.uncertainty`."""


class InputError(UncertaintyError):
    """An input quantity is ill-specified (negative/NaN uncertainty, dof ≤ 0, missing value)."""

    def __init__(self, name: str, reason: str) -> None:
        self.input = name
        self.reason = reason
        super().__init__(f"input {name!r}: {reason}")


class DistributionError(UncertaintyError):
    """Unknown distribution name or invalid distribution parameter."""


class CorrelationError(UncertaintyError):
    """Correlation r outside [-1, 1], unknown input, or matrix not positive semi-definite."""


class ExpressionError(UncertaintyError):
    """A model expression string uses a construct outside the allowed arithmetic subset."""


class ModelError(UncertaintyError):
    """The measurement model raised or returned a non-finite value."""


class ConvergenceError(UncertaintyError):
    """The adaptive Monte Carlo procedure did not stabilise within the trial cap (JCGM 101 §7.9)."""


class LimitError(UncertaintyError):
    """A request exceeds a configured limit (trials, inputs, time) — protects a shared server."""
