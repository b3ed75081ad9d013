"""Plan indicators and implementation tracking (规划指标与实施监测).

* :mod:`~jiliang.core.indicators.definitions` — indicator definitions, baselines and targets as
  data (national plan 国发〔2021〕37号, Chongqing, Jilin shipped in ``data/``);
* :mod:`~jiliang.core.indicators.tracking` — target path, red/amber/green, trend projection,
  ranking of regions;
* :mod:`~jiliang.core.indicators.snapshot` — reproducible snapshots with a SHA-256 digest;
* :mod:`~jiliang.core.indicators.energy` — GB 17167-2006 energy-metering configuration rates.

Pure Python + numpy; never imports Django.
"""

from jiliang.core.indicators.definitions import (
    FORMULAS,
    NATIONAL,
    UNITS,
    Direction,
    IndicatorBook,
    IndicatorDefinition,
    IndicatorError,
    IndicatorPlan,
    IndicatorValue,
    Kind,
    Level,
    Role,
)
from jiliang.core.indicators.snapshot import Figure, Snapshot, make_snapshot
from jiliang.core.indicators.tracking import Status, path_value, progress_ratio, project, rag

__all__ = [
    "FORMULAS",
    "NATIONAL",
    "UNITS",
    "Direction",
    "Figure",
    "IndicatorBook",
    "IndicatorDefinition",
    "IndicatorError",
    "IndicatorPlan",
    "IndicatorValue",
    "Kind",
    "Level",
    "Role",
    "Snapshot",
    "Status",
    "make_snapshot",
    "path_value",
    "progress_ratio",
    "project",
    "rag",
]
