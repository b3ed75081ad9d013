"""Remote error estimation of smart meters (智能电能表远程误差估计) from the area energy balance.

A low-voltage transformer area (台区) has one summary meter (总表) and the users' meters. Energy is
conserved: the summary meter's true energy equals the users' true energies plus the area's loss.
With enough periods each user meter's relative error is identifiable from the balance alone, up
to one common factor (see :mod:`jiliang.core.monitoring.balance` for the model and its
identifiability, and ``docs/monitoring.md``).

Modules:

- :mod:`.balance` — the balance model, the gain prior that resolves the common factor, and the
  batch estimators (OLS/WLS, empirical-Bayes shrinkage, ridge with GCV, Huber IRLS);
- :mod:`.rls` — recursive least squares with forgetting factor and its windowed variant (online);
- :mod:`.decision` — per-meter verdict (conforming / out of tolerance / inconclusive / not
  identifiable) with :mod:`jiliang.core.conformity` against the accuracy class's MPE;
- :mod:`.simulate` — synthetic areas with known errors, for tests and benchmarks.

Units: energies in kW·h per period; errors are relative (dimensionless, 0.01 = 1 %).
"""

from . import rls as _rls  # noqa: F401  (registers the "rls" estimator)
