"""Calibration (校准): uncertainty budgets attached to calibration events, evaluated by the core.

Budgets are stored as the same specification a budget YAML file holds (docs/uncertainty.md) and
evaluated by :func:`jiliang.core.uncertainty.budget.evaluate_budget`; the stored result is what
the budget page shows.
"""
