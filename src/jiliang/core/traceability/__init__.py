"""Traceability engine (量值传递溯源): plain records in, verdicts out.

* :mod:`.records` — the frozen dataclasses the platform fills from its registry;
* :mod:`.rules` — reason codes (with sentences), verdicts and :class:`Config`;
* :mod:`.chain` — one item's chain, every link validated (scalar, memoised);
* :mod:`.population` — :class:`TraceabilityEngine`, every instrument at once (numpy);
* :mod:`.coverage`, :mod:`.gaps`, :mod:`.whatif` — coverage rates, 量值传递空白, what-if;
* :mod:`.kcdb` — BIPM KCDB API v3 search results → :class:`CMC` records.
"""

from .chain import ChainResult, Link, NodeResult, Overrides, Resolver
from .coverage import coverage
from .gaps import Gap, find_gaps
from .index import Index
from .kcdb import KCDBFormatError, parse_kcdb
from .population import TraceabilityEngine
from .records import (
    CMC,
    CalibrationEvent,
    Instrument,
    Organisation,
    Records,
    ReferenceMaterial,
    Scope,
    Standard,
)
from .rules import Config, Issue, Reason, Verdict
from .whatif import WhatIfResult, what_if

__all__ = [
    "CMC",
    "CalibrationEvent",
    "ChainResult",
    "Config",
    "Gap",
    "Index",
    "Instrument",
    "Issue",
    "KCDBFormatError",
    "Link",
    "NodeResult",
    "Organisation",
    "Overrides",
    "Reason",
    "Records",
    "ReferenceMaterial",
    "Resolver",
    "Scope",
    "Standard",
    "TraceabilityEngine",
    "Verdict",
    "WhatIfResult",
    "coverage",
    "find_gaps",
    "parse_kcdb",
    "what_if",
]
