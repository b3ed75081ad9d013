"""Exceptions of the uncertainty package (不确定度评定的异常).

Every exception names the offending field (input, correlation pair, distribution parameter) so an
API caller can show it beside the form field. All derive from :class:`UncertaintyError`, a
:class:`ValueError`, so callers that only want "bad input" can catch ``ValueError``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """`` (did you mean 'dof'?)`` for the closest known spelling of ``word``, else ``""``.

    A mistyped key (``dgo``, ``corelations``) is refused anyway; the hint saves the reader from
    scanning the whole list of allowed names for the one they meant.
    """
    close = difflib.get_close_matches(str(word), sorted(set(known)), n=1, cutoff=0.5)
    return f" (did you mean {close[0]!r}?)" if close else ""


class UncertaintyError(ValueError):
    """Base class of every error raised by :mod:`jiliang.core.uncertainty`."""


class InputError(UncertaintyError):
    """An input quantity is ill-specified (negative/NaN uncertainty, dof ≤ 0, missing value)."""

    def __init__(self, name: str, reason: str, field: str | None = None) -> None:
        self.input = name
        self.reason = reason
        #: the offending key of the input's specification when one is to blame (a form shows
        #: the message beside that field)
        self.field = field
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
