r"""What a registry record's fields look like on a page: list cells and detail rows.

Choices show their (translated) label, catalogue codes their item's name, quantities their
unit symbol with a prefix suited to the magnitude and GUM 7.2.6 digits — all written by
:mod:`jiliang.core.presentation` through the ``metrology`` template tags, so a list cell, a
detail row and a template's ``{% quantity %}`` agree. The stored D-SI unit (``\kilogram``) and
the raw float (``0.0020000000000000018``) never reach the page.
"""

from __future__ import annotations

from functools import lru_cache

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from jiliang.core.units import UnitError, normalise_dsi

from .quantities import SIQuantityModel
from .templatetags.metrology import (
    EMPTY,
    category_label,
    format_quantity,
    measured_parts,
    range_unit,
    unit_text,
)

#: value field → the field holding its expanded uncertainty U (same unit): the value is
#: written to the decimal place of U (GUM 7.2.6)
PAIRS = {"result_value": "result_uncertainty", "certified_value": "uncertainty"}
#: fields holding an item code of the compulsory-verification catalogue
CATEGORY_FIELDS = frozenset({"category", "instrument_category"})
#: differences that are limits, not uncertainties: written with ± and all their digits
LIMIT_FIELDS = frozenset({"mpe"})


def _quantity_cell(obj: SIQuantityModel, name: str, value: float) -> str:
    unit = obj.unit
    if name in PAIRS and getattr(obj, PAIRS[name]) is not None:
        return measured_parts(value, getattr(obj, PAIRS[name]), unit)[0]
    paired = {u: v for v, u in PAIRS.items()}
    if name in paired and hasattr(obj, paired[name]) and getattr(obj, paired[name]) is not None:
        return measured_parts(getattr(obj, paired[name]), value, unit)[1]
    if name in ("range_low", "range_high"):
        into = range_unit(getattr(obj, "range_low", None), getattr(obj, "range_high", None), unit)
        return format_quantity(value, unit, into=into)
    if name in LIMIT_FIELDS:
        return "±" + format_quantity(value, unit)
    if name in obj.DELTA_FIELDS:
        return format_quantity(value, unit, uncertainty=True)
    return format_quantity(value, unit)


@lru_cache(maxsize=512)
def _choice_labels(field: models.Field, language: str | None) -> dict:
    """``value → label`` of a choices field in ``language``: ``get_FOO_display()`` resolves a
    lazy translation per call, which was the slowest cell of a 50-row list."""
    return {value: str(label) for value, label in field.flatchoices}


def cell(obj: models.Model, name: str) -> object:
    """The displayed value of field ``name`` of ``obj`` ("" when empty)."""
    field = obj._meta.get_field(name)
    value = getattr(obj, name)
    if field.choices:
        return _choice_labels(field, get_language()).get(value, value)
    if isinstance(field, models.BooleanField):
        return "✔" if value else EMPTY
    if value is None or value == "":
        return ""
    if isinstance(obj, SIQuantityModel):
        if name in ("unit", "si_unit"):
            return unit_text(value, with_name=False)
        if name in obj.QUANTITY_FIELDS or name in obj.DELTA_FIELDS:
            return _quantity_cell(obj, name, value)
    if name in CATEGORY_FIELDS and isinstance(value, str):
        return category_label(value)
    if isinstance(field, models.FloatField):  # k, coverage probability, guard-band factor
        return format_quantity(value, None)
    return value


def _same_unit(a: str, b: str) -> bool:
    try:
        return normalise_dsi(a) == normalise_dsi(b)
    except UnitError:
        return a == b


def detail_rows(obj: models.Model) -> list[tuple[str, object]]:
    """Label/value rows of a detail page. A quantity record gets one row for its unit
    (``kg（千克）``), placed before its first quantity, and one for the SI unit its ``*_si``
    columns use when that differs (``℃`` is stored in ``K``)."""
    quantities = set(getattr(obj, "QUANTITY_FIELDS", ())) | set(getattr(obj, "DELTA_FIELDS", ()))
    rows: list[tuple[str, object]] = []
    unit_shown = not isinstance(obj, SIQuantityModel)
    for f in obj._meta.concrete_fields:
        if f.name in ("id", "unit", "si_unit") or f.name.endswith("_si"):
            continue
        if not unit_shown and f.name in quantities:
            rows.append((_("计量单位"), unit_text(obj.unit)))
            if obj.si_unit and not _same_unit(obj.unit, obj.si_unit):
                rows.append((obj._meta.get_field("si_unit").verbose_name, unit_text(obj.si_unit)))
            unit_shown = True
        rows.append((f.verbose_name, cell(obj, f.name)))
    return rows


def header(model: type[models.Model], name: str) -> str:
    """A list column's header: the field's verbose name, except the unit column, which shows a
    symbol (kg) there and not the D-SI string its verbose name ("单位 (D-SI)") announces."""
    if name == "unit" and issubclass(model, SIQuantityModel):
        return _("计量单位")
    return str(model._meta.get_field(name).verbose_name)


def changed_labels(model: type[models.Model], names: list[str]) -> str:
    """An audit entry's changed fields by their labels (名称, 最大允许误差 MPE), not column
    names; the computed SI copies and ids are left out (they change with the field itself)."""
    labels = []
    for name in names or []:
        field_name = name[:-3] if name.endswith("_id") else name
        if field_name in ("id", "si_unit") or field_name.endswith("_si"):
            continue
        try:
            labels.append(str(model._meta.get_field(field_name).verbose_name))
        except Exception:  # a field since removed: its stored name is all there is
            labels.append(name)
    return "、".join(labels) if labels else ""
