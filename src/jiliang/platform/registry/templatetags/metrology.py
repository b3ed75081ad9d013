r"""Quantities on pages: ``{% load metrology %}``.

Every number with a unit that a page shows goes through here, and from here through
:mod:`jiliang.core.presentation` (unit symbol, prefix suited to the magnitude, GUM 7.2.6
digits): the platform never rounds or converts a quantity on its own.

* ``{% quantity value unit %}`` — ``5.4e-6 \kilogram`` → ``5.4 mg`` (``adapt=False`` keeps the
  unit; ``uncertainty=True`` writes the number with two significant digits, as a U).
* ``{% measured value U unit k=2 %}`` — ``0.00200 MPa，U = 0.00052 MPa（k = 2）``.
* ``{% quantity_range low high unit %}`` — ``0 – 50 kg``, both ends in one unit.
* ``{{ unit|unit_symbol }}`` — ``kg``; ``{{ unit|unit_label }}`` — ``kg（千克）`` on a Chinese
  page (the legal name, GB 3100), ``kg`` in English. Tables use the symbol; the Chinese name is
  in the ``title`` of each quantity.
* ``{{ code|category_name }}`` — a catalogue item code (``electronic_price_scale``) as its name
  (电子计价秤 / Electronic price-computing scale).

The same functions are importable for views that build cells in Python (``format_quantity`` …).
A unit the core cannot parse is shown as stored, never as a 500: the page must still render.
"""

from __future__ import annotations

import math

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from jiliang.core.presentation import Written, unit_name_zh, unit_symbol, write, write_range
from jiliang.core.uncertainty.rounding import format_at, format_uncertainty
from jiliang.core.units import UnitError

register = template.Library()

EMPTY = "—"


def _lang() -> str:
    return "en" if (get_language() or "zh").startswith("en") else "zh"


def _number(x: object) -> float | None:
    """A finite float, or None for a missing value (None, "", NaN)."""
    if x is None or x == "":
        return None
    try:
        value = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _with_unit(number: str, written: Written) -> str:
    # GB 3101 §3.4 / SI Brochure 5.4.3: a space between number and symbol, none before "%"
    # (the percent sign is a symbol too, but Chinese practice and GB 3101 print "5%")
    if not written.symbol:
        return number
    if written.symbol in ("%", "°", "′", "″"):
        return f"{number}{written.symbol}"
    return f"{number} {written.symbol}"


def _span(text: str, written: Written) -> SafeString:
    """The quantity text, with the unit's Chinese legal name as a tooltip on Chinese pages."""
    if _lang() == "zh" and written.name_zh:
        return format_html('<span class="qty" title="{}">{}</span>', written.name_zh, text)
    return format_html('<span class="qty">{}</span>', text)


def _write(value: float | None, unit: str, **options) -> Written:
    """:func:`write`, or for a unit the core cannot read (a budget's free-text ``Ω``, a legacy
    row) the same GUM 7.2.6 digits with the unit text as given, no tooltip."""
    try:
        return write(value, unit, lang=_lang(), **options)
    except UnitError:
        options.pop("into", None)
        digits = write(value, r"\one", adapt=False, uncertainty=options.get("uncertainty"))
        return Written(digits.value, digits.uncertainty, unit, unit, "")


def unit_text(unit: str | None, *, with_name: bool | None = None) -> str:
    r"""``\kilogram`` → ``kg``; with ``with_name`` (default: on Chinese pages) ``kg（千克）``."""
    if not unit:
        return ""
    try:
        symbol = unit_symbol(unit, _lang())
        name = unit_name_zh(unit)
    except UnitError:
        return unit
    if with_name is None:
        with_name = _lang() == "zh"
    if with_name and name and name != symbol:
        return f"{symbol}（{name}）" if symbol else name
    return symbol


def _quantity(
    value: object,
    unit: str | None,
    adapt: bool,
    uncertainty: bool,
    into: str | None = None,
    of: object = None,
) -> tuple[str, Written | None]:
    number = _number(value)
    if number is None:
        return EMPTY, None
    unit = unit or r"\one"  # a ratio, k, a unitless budget: digits all the same, no symbol
    if _number(of) is not None:  # a value to the decimal place of its U (GUM 7.2.6)
        written = _write(number, unit, uncertainty=_number(of), adapt=adapt)
        text = written.value or ""
    elif uncertainty:
        written = _write(None, unit, uncertainty=number, adapt=adapt, into=into)
        text = written.uncertainty or ""
    else:
        written = _write(number, unit, adapt=adapt, into=into)
        text = written.value or ""
    return _with_unit(text, written), (written if written.name_zh else None)


def _measured(
    value: object, U: object, unit: str | None, k: object, adapt: bool
) -> tuple[str, Written | None]:
    number, expanded = _number(value), _number(U)
    if expanded is None:
        return _quantity(number, unit, adapt, False)
    written = _write(number, unit or r"\one", uncertainty=expanded, adapt=adapt)
    u_text = _with_unit(written.uncertainty or "", written)
    if number is None:
        text = _("U = %(u)s") % {"u": u_text}
    else:
        value_text = _with_unit(written.value or "", written)
        text = _("%(value)s，U = %(u)s") % {"value": value_text, "u": u_text}
    factor = _number(k)
    if factor is not None:
        text = _("%(text)s（k = %(k)s）") % {"text": text, "k": format_at(factor, None)}
    return text, written


def _range(low: object, high: object, unit: str | None, adapt: bool) -> tuple[str, Written | None]:
    lo, hi = _number(low), _number(high)
    if lo is None and hi is None:
        return EMPTY, None
    if not unit:
        ends = (EMPTY if x is None else format_at(x, None) for x in (lo, hi))
        return " – ".join(ends), None
    try:
        lo_text, hi_text, written = write_range(lo, hi, unit, adapt=adapt, lang=_lang())
    except UnitError:
        return f"{low} – {high} {unit}", None
    return _with_unit(f"{lo_text or EMPTY} – {hi_text or EMPTY}", written), written


def format_quantity(
    value: object,
    unit: str | None,
    *,
    adapt: bool = True,
    uncertainty: bool = False,
    into: str | None = None,
) -> str:
    """Plain text of one quantity (``5.4 mg``), ``—`` when there is no value.

    ``uncertainty=True``: the number is an uncertainty (U) and gets two significant digits
    (GUM 7.2.6) instead of the value's twelve. ``into``: write it in that unit (e.g. the unit
    :func:`range_unit` chose for the row).
    """
    return _quantity(value, unit, adapt, uncertainty, into)[0]


def measured_parts(value: object, U: object, unit: str | None) -> tuple[str, str]:
    """``("10.0000 kg", "0.0020 kg")``: a value and its U as two cells, in one unit, the value
    to the decimal place of U (GUM 7.2.6); ``—`` for a missing one."""
    number, expanded = _number(value), _number(U)
    if number is None or expanded is None or not unit:
        return (
            format_quantity(number, unit),
            format_quantity(expanded, unit, uncertainty=True),
        )
    written = _write(number, unit, uncertainty=expanded)
    return _with_unit(written.value or "", written), _with_unit(written.uncertainty or "", written)


def range_unit(low: object, high: object, unit: str | None) -> str | None:
    """The D-SI unit a range (and its row's other absolute values) is written in, chosen from
    the larger end; None without a usable unit."""
    ends = [x for x in (_number(low), _number(high)) if x is not None]
    if not unit or not ends:
        return None
    try:
        return write_range(_number(low), _number(high), unit)[2].unit
    except UnitError:
        return None


def format_measured(
    value: object, U: object, unit: str | None, k: object = None, *, adapt: bool = True
) -> str:
    """``0.00200 MPa，U = 0.00052 MPa（k = 2）``: the value to the decimal place of U; ``U = …``
    alone without a value, the value alone (twelve digits) without U, ``—`` without either."""
    return _measured(value, U, unit, k, adapt)[0]


def format_range(low: object, high: object, unit: str | None, *, adapt: bool = True) -> str:
    """``0 – 50 kg``: both ends in the unit suited to the larger one."""
    return _range(low, high, unit, adapt)[0]


def _html(result: tuple[str, Written | None]) -> SafeString:
    text, written = result
    return _span(text, written) if written else format_html("{}", text)


@register.simple_tag
def quantity(value, unit, adapt: bool = True, uncertainty: bool = False, of=None) -> SafeString:
    """``{% quantity value unit %}`` → ``<span class="qty" title="毫克">5.4 mg</span>``;
    ``of=U`` writes the value to the decimal place of U (its unit chosen from the value)."""
    return _html(_quantity(value, unit, adapt, uncertainty, of=of))


@register.simple_tag
def measured(value, U, unit, k=None, adapt: bool = True) -> SafeString:
    """``{% measured value U unit k=2 %}`` → ``0.00200 MPa，U = 0.00052 MPa（k = 2）``."""
    return _html(_measured(value, U, unit, k, adapt))


@register.simple_tag
def quantity_range(low, high, unit, adapt: bool = True) -> SafeString:
    """``{% quantity_range low high unit %}`` → ``0 – 50 kg``."""
    return _html(_range(low, high, unit, adapt))


@register.filter(name="unit_symbol")
def unit_symbol_filter(unit: str | None) -> str:
    r"""``{{ "\kilogram"|unit_symbol }}`` → ``kg`` (°C on English pages, ℃ on Chinese ones)."""
    return unit_text(unit, with_name=False)


@register.filter
def unit_label(unit: str | None) -> str:
    """``kg（千克）`` on a Chinese page, ``kg`` on an English one."""
    return unit_text(unit)


def category_label(code: str | None) -> str:
    """Name of a catalogue item code in the page's language; other codes are returned as given
    (a category outside the compulsory catalogue is free text the owner typed)."""
    if not code:
        return ""
    from jiliang.core.legal.catalogue import default_catalogue

    catalogue = default_catalogue()
    key = (id(catalogue), code, _lang())
    name = _CATALOGUE_NAMES.get(key)
    if name is None:
        name = code if code not in catalogue else _item_name(catalogue.item(code), key[2])
        if len(_CATALOGUE_NAMES) > 4096:
            _CATALOGUE_NAMES.clear()
        _CATALOGUE_NAMES[key] = name
    return name


#: (id of the catalogue, code, language) → name: a list page names the same codes 50 times.
#: Keyed by identity, not by the catalogue itself, whose hash would cover every item.
_CATALOGUE_NAMES: dict[tuple[int, str, str], str] = {}


def _item_name(item, lang: str) -> str:
    return item.name_en if lang == "en" else item.name_zh


@register.filter
def category_name(code: str | None) -> str:
    """``{{ instrument.category|category_name }}`` → 电子计价秤."""
    return category_label(code)


@register.filter
def significant(value, digits: int = 2) -> str:
    """A number without unit to ``digits`` significant digits (core rounding): u(xᵢ), cᵢ."""
    x = _number(value)
    if x is None:
        return EMPTY
    text = format_uncertainty(abs(x), int(digits)) if x else "0"
    return f"-{text}" if x < 0 else text


@register.filter
def number(value) -> str:
    """A plain number (k, a ratio) without binary noise: 2.0 → ``2``, 0.1+0.2 → ``0.3``."""
    x = _number(value)
    return EMPTY if x is None else format_at(x, None)


# -- codes of the supervision tables (use, risk) ---------------------------------------------
def _risk_names() -> dict[str, str]:
    """Risk levels and factors of the core's risk table (``risk-rules.yaml``), translated."""
    return {
        "high": _("高风险"),
        "medium_high": _("较高风险"),
        "medium": _("一般风险"),
        "low": _("低风险"),
        "overdue_days": _("超期天数"),
        "failures": _("近三年检定不合格次数"),
        "tamper_alarms": _("防作弊报警"),
        "complaints": _("投诉举报"),
        "credit_grade": _("信用等级"),
    }


@register.filter
def use_label(code: str | None) -> str:
    """An instrument's declared use (``trade_settlement``) as its label (贸易结算)."""
    from jiliang.platform.registry.models import Instrument

    return str(dict(Instrument.Use.choices).get(code or "", code or ""))


@register.filter
def risk_level(code: str | None) -> str:
    """A risk level of the core's ranking (``medium_high``) as its name (较高风险)."""
    return _risk_names().get(code or "", code or "")


@register.filter
def risk_reason(text: str | None) -> str:
    """A reason of the core's ranking, ``"overdue_days 365 (+36.5)"``, with the factor named
    (超期天数 365 (+36.5)); the numbers are the core's, unchanged."""
    factor, sep, rest = (text or "").partition(" ")
    return f"{_risk_names().get(factor, factor)}{sep}{rest}"


@register.filter
def distribution_name(code: str | None) -> str:
    """A budget input's distribution (``rectangular``) as its name (矩形（均匀）)."""
    from jiliang.platform.calibration.forms import DISTRIBUTIONS

    names = {value: str(label) for value, label in DISTRIBUTIONS}
    names.setdefault("t", _("t 分布"))
    return names.get(code or "", code or "")


def _credit_events() -> dict[str, str]:
    """Credit event kinds of the core's credit table (``credit-rules.yaml``), translated."""
    return {
        "verification_failure": _("检定不合格"),
        "overdue_instrument": _("超期未检"),
        "spot_check_fail": _("监督抽查不合格"),
        "spot_check_pass": _("监督抽查合格"),
        "complaint": _("投诉举报属实"),
        "penalty": _("行政处罚"),
        "cheating_device": _("使用作弊装置"),
        "self_commitment": _("诚信计量自我承诺"),
    }


@register.filter
def credit_event(code: str | None) -> str:
    """A credit event kind (``verification_failure``) as its name (检定不合格)."""
    return _credit_events().get(code or "", code or "")


@register.filter
def field_labels(names, obj) -> str:
    """``{{ entry.changed_fields|field_labels:obj }}``: the fields by their labels, not columns."""
    from jiliang.platform.registry.display import changed_labels

    return changed_labels(type(obj), list(names or []))
