"""jiliang (计量) — an open smart-metrology platform.

Two layers: :mod:`jiliang.core` (pure-Python metrology: units, GUM uncertainty, conformity,
traceability, digital calibration certificates, transparency log, legal-metrology rules) and
:mod:`jiliang.platform` (the Django project that stores, permits, displays and schedules).
"""

__version__ = "0.1.0"
