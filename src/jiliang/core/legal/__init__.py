"""Legal metrology (法制计量): rules as versioned data and the computations on them.

* :mod:`~jiliang.core.legal.rules` — versioned rule tables (:class:`RuleBook`);
* :mod:`~jiliang.core.legal.catalogue` — instruments under compulsory management (强制管理目录);
* :mod:`~jiliang.core.legal.schedule` — compulsory-verification due/replacement dates;
* :mod:`~jiliang.core.legal.coverage` — on-time and capability coverage indicators (numpy);
* :mod:`~jiliang.core.legal.prepackaged` — prepackaged goods net content (定量包装商品, JJF 1070);
* :mod:`~jiliang.core.legal.draw` — verifiable double-random draws (双随机、一公开);
* :mod:`~jiliang.core.legal.credit` — metrology credit (诚信计量);
* :mod:`~jiliang.core.legal.risk` — risk warning list (风险预警).
* :mod:`~jiliang.core.legal.supervision` — supervision deadlines (escalation, publication).

Pure Python + numpy/scipy; never imports Django.
"""

from jiliang.core.legal.catalogue import Catalogue, CatalogueItem, Mode, Regime, ResolvedRule, Use
from jiliang.core.legal.rules import RuleBook, RuleError, RuleTable
from jiliang.core.legal.schedule import FiledInstrument, Result, ScheduleEntry, Status, schedule

__all__ = [
    "Catalogue",
    "CatalogueItem",
    "FiledInstrument",
    "Mode",
    "Regime",
    "ResolvedRule",
    "Result",
    "RuleBook",
    "RuleError",
    "RuleTable",
    "ScheduleEntry",
    "Status",
    "Use",
    "schedule",
]
