"""Labels of a chain for people: levels, terminals and uncertainties as a metrologist reads them.

The core's chain (:meth:`jiliang.core.traceability.TraceabilityEngine.chain`) speaks in codes
(``public``, ``crm``, ``cmc``) and in SI floats without a unit (the engine holds the registry's
``*_si`` values); this module adds the translated label of each code and the U written by
:mod:`jiliang.core.presentation` (5.4e-6 kg → ``5.4 mg``), for the table and the graph alike.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from jiliang.platform.registry import models as m
from jiliang.platform.registry.templatetags.metrology import format_quantity


def _level_labels() -> dict[str, str]:
    labels = {str(v): str(label) for v, label in m.MeasurementStandard.Level.choices}
    labels["instrument"] = _("器具")
    labels["crm"] = _("有证标准物质")
    return labels


def _terminal_labels() -> dict[str, str]:
    return {
        "primary": _("计量基准"),
        "cmc": _("国家计量院校准测量能力"),
        "crm": _("有证标准物质"),
    }


def label_chain(data: dict, lang: str) -> dict:
    """Add ``level_label``, ``terminal_label``, ``U_text`` (the link's U, else the item's own)
    and each issue's ``text`` in ``lang`` to the links of ``data`` (a chain dict); returns it."""
    levels, terminals = _level_labels(), _terminal_labels()
    for link in data["links"]:
        link["level_label"] = levels.get(link["level"], link["level"])
        terminal = link.get("terminal")
        link["terminal_label"] = terminals.get(terminal, terminal) if terminal else ""
        U = link["link_U"] if link.get("link_U") is not None else link.get("U")
        unit = link.get("unit")
        link["U_text"] = format_quantity(U, unit, uncertainty=True) if U is not None else ""
        link["link_U_text"] = (
            format_quantity(link["link_U"], unit, uncertainty=True)
            if link.get("link_U") is not None
            else ""
        )
        for issue in link["issues"]:
            issue["text"] = issue["message_zh"] if lang == "zh" else issue["message"]
    return data


def _gap_reasons() -> dict[str, str]:
    return {
        "NO_STANDARD": _("没有覆盖该范围的计量标准或 CMC"),
        "INSUFFICIENT_CAPABILITY": _("有覆盖但能力不足（U 大于 MPE 的允许比例）"),
    }


def quantity_label(code: str) -> str:
    """A registry quantity code (``mass``) as its translated name (质量)."""
    from jiliang.platform.registry.quantities import QUANTITY_CHOICES

    return str(dict(QUANTITY_CHOICES).get(code, code))


def gap_reason_label(code: str) -> str:
    """A gap reason of the core (``NO_STANDARD``) as a sentence."""
    return _gap_reasons().get(code, code)


def label_dashboard(by_category: list, by_level: list, gaps: list, rows: list) -> None:
    """Labels of the dashboard's codes, in place: coverage groups (catalogue item names,
    standard levels), gap quantities and reasons, the broken list's categories."""
    from jiliang.platform.registry.templatetags.metrology import category_label

    levels = _level_labels()
    for group in by_category:
        group["label"] = category_label(str(group["group"]))
    for group in by_level:
        group["label"] = levels.get(str(group["group"]), str(group["group"]))
    for gap in gaps:
        gap["quantity_label"] = quantity_label(gap["quantity"])
        gap["reason_label"] = gap_reason_label(gap["reason"])
    for row in rows:
        row["category_label"] = category_label(row.get("category") or "")
