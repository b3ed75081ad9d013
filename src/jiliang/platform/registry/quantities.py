"""Quantity kinds and the SI-storage mixin shared by registry models.

Values are kept as entered (with their D-SI unit) and in coherent SI. Conversion goes through
:mod:`jiliang.core.units`; the platform never converts units on its own.
"""

from __future__ import annotations

from functools import lru_cache

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

QUANTITY_CHOICES = [
    ("length", _("长度")),
    ("mass", _("质量")),
    ("force", _("力")),
    ("pressure", _("压力")),
    ("temperature", _("温度")),
    ("volume", _("容量/体积")),
    ("flow", _("流量")),
    ("electrical_energy", _("电能")),
    ("voltage", _("电压")),
    ("current", _("电流")),
    ("resistance", _("电阻")),
    ("time", _("时间")),
    ("frequency", _("频率")),
    ("sound_pressure_level", _("声压级")),
    ("concentration", _("浓度/含量")),
    ("speed", _("速度")),
    ("distance", _("里程/距离")),
]


@lru_cache(maxsize=1024)
def si_factor_and_offset(unit: str) -> tuple[float, float, str]:
    """Return ``(factor, offset, si_unit)`` so that ``si = factor·value + offset``.

    Units in metrology are affine in SI (°C is the only common offset), so two evaluations of
    :func:`jiliang.core.units.to_si` fix the map. Differences (uncertainties, MPEs) use only the
    factor: an uncertainty of 0.1 °C is 0.1 K, not 273.25 K.
    """
    from jiliang.core.units import parse_dsi, to_si

    parse_dsi(unit)  # the registry stores D-SI only: a pint string is refused here
    zero, si_unit = to_si(0.0, unit)
    one, _si = to_si(1.0, unit)
    return one - zero, zero, si_unit


def si_field() -> models.FloatField:
    """The SI copy of a quantity field, computed, never edited."""
    return models.FloatField(_("SI 值"), null=True, blank=True, editable=False)


class SIQuantityModel(models.Model):
    """Abstract model: a D-SI ``unit`` as entered plus ``*_si`` copies of the quantity fields.

    Subclasses list absolute values in ``QUANTITY_FIELDS`` and differences (uncertainties,
    errors) in ``DELTA_FIELDS`` and declare a ``<field>_si = si_field()`` column for each; the
    columns are filled on :meth:`clean` and :meth:`save`.
    """

    QUANTITY_FIELDS: tuple[str, ...] = ()
    DELTA_FIELDS: tuple[str, ...] = ()

    unit = models.CharField(
        _("单位 (D-SI)"), max_length=80, help_text=_(r"例如 \metre、\kilo\pascal")
    )
    si_unit = models.CharField(_("SI 单位"), max_length=80, editable=False, blank=True)

    class Meta:
        abstract = True

    def compute_si(self) -> None:
        """Fill ``si_unit`` and ``*_si``; raises ``ValidationError`` on ``unit`` if unknown."""
        from jiliang.core.units import UnitError

        try:
            factor, offset, si_unit = si_factor_and_offset(self.unit)
        except UnitError as exc:
            raise ValidationError({"unit": str(exc)}) from exc
        self.si_unit = si_unit
        for name in self.QUANTITY_FIELDS:
            value = getattr(self, name)
            setattr(self, f"{name}_si", None if value is None else factor * value + offset)
        for name in self.DELTA_FIELDS:
            value = getattr(self, name)
            setattr(self, f"{name}_si", None if value is None else abs(factor) * value)

    def clean(self) -> None:
        self.compute_si()
        low, high = getattr(self, "range_low", None), getattr(self, "range_high", None)
        if low is not None and high is not None and low > high:
            raise ValidationError({"range_high": _("上限不得小于下限")})

    def save(self, *args, **kwargs):
        self.compute_si()
        super().save(*args, **kwargs)
