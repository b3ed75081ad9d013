"""The traceability engine over the standards only, for the traceability-coverage indicator.

The indicator counts measurement standards (溯源链完整的计量标准 / 计量标准). A standard's chain
runs through standards, reference materials, CMCs and the calibrations *of* them — never through an
instrument — so the core engine (:class:`jiliang.core.traceability.TraceabilityEngine`) gives
every standard the same verdict when it is built without the instruments and their calibrations
(tested against the full engine of :mod:`jiliang.platform.traceability.loader`). Leaving them out
keeps the figure fast at 10⁶ instruments: the full engine reads the whole registry (35–45 s).

The rows are read by the traceability app's own loader (``load_records(instruments=False)``).
"""

from __future__ import annotations

import threading
from datetime import date

from jiliang.core.traceability import Records, TraceabilityEngine
from jiliang.platform.traceability.loader import data_version, load_records

_LOCK = threading.Lock()
_CACHE: dict[tuple, TraceabilityEngine] = {}


def standards_records() -> Records:
    """Organisations (with scopes), CMCs, standards, reference materials and the calibrations of
    standards and reference materials — no instrument and no instrument calibration."""
    return load_records(instruments=False)


def standards_engine(as_of: date) -> TraceabilityEngine:
    """The engine over :func:`standards_records` on ``as_of``, rebuilt when the data changed
    (:func:`jiliang.platform.traceability.loader.data_version`)."""
    key = (as_of, data_version())
    with _LOCK:
        engine = _CACHE.get(key)
        if engine is None:
            engine = TraceabilityEngine(standards_records(), as_of)
            _CACHE.clear()
            _CACHE[key] = engine
        return engine


def clear_cache() -> None:
    with _LOCK:
        _CACHE.clear()
