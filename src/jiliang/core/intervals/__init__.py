"""Calibration intervals from history (校准间隔) and drift of standards (漂移).

Methods of OIML D 10:2022 (= ILAC-G24:2022, "Guidelines for the determination of recalibration
intervals of measuring equipment") and NCSLI RP-1:

- :mod:`.reactive` — staircase / automatic adjustment (D 10 method 1, RP-1 A1) and the interval
  test A3; data (interval, in tolerance);
- :mod:`.reliability` — binomial / maximum-likelihood method S2 with exponential, Weibull,
  mixed-exponential and random-walk models, chosen by AIC among the models that RP-1's F-test
  does not reject; data (interval, in tolerance);
- :mod:`.variables` — drift regression of as-found deviations, prediction band vs tolerance;
  data (time since calibration, deviation);
- :mod:`.control` — control charts of check-standard values (D 10 method 3): Shewhart, EWMA and
  the drift towards the tolerance; data (time, check value);
- :mod:`.drift` — drift of a standard from its certificates: weighted fit, prediction, warning
  date; data (date, value, U).
- :mod:`.batch` — A3 and S2 for many instrument classes at once, vectorised with numpy
  (:func:`.batch.interval_test_many`, :func:`.batch.binomial_interval_many`,
  :func:`.batch.fit_many`); same results as the per-class functions.

Every method returns a frozen dataclass derived from :class:`IntervalAdvice`: the recommended
interval in days, the reliability and confidence it carries, the method name, and
``insufficient`` — the reason, when the data cannot support advice, instead of a number. Bad
input raises :class:`IntervalError` (a ``ValueError``) naming the field.
"""

from ._base import IntervalAdvice, IntervalError
from .control import ControlChartResult, control_chart_interval, ewma, shewhart
from .drift import DriftFit, DriftWarning, drift_warning, fit_drift
from .reactive import (
    IntervalTestResult,
    StaircaseResult,
    interval_test,
    interval_test_counts,
    staircase,
)
from .reliability import MODELS, ModelFit, ReliabilityResult, binomial_interval, fit_model
from .variables import VariablesResult, uncertainty_target_interval, variables_interval

__all__ = [
    "MODELS",
    "ControlChartResult",
    "DriftFit",
    "DriftWarning",
    "IntervalAdvice",
    "IntervalError",
    "IntervalTestResult",
    "ModelFit",
    "ReliabilityResult",
    "StaircaseResult",
    "VariablesResult",
    "binomial_interval",
    "control_chart_interval",
    "drift_warning",
    "ewma",
    "fit_drift",
    "fit_model",
    "interval_test",
    "interval_test_counts",
    "shewhart",
    "staircase",
    "uncertainty_target_interval",
    "variables_interval",
]
