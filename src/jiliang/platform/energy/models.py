"""Key energy-using units (重点用能单位) and their energy-metering surveys (能源计量器具配备调查).

The configured instruments are **counts** per level and energy type, as the unit's survey (and
GB 17167-2006 §3.2) states them — "实际的安装配备数量" over "理论需要量" — because that is what
the core's :class:`jiliang.core.indicators.energy.MeterLine` takes; energy meters are mostly not
compulsorily verified instruments in the registry, so links to registry rows would leave most
of them out. The required *rates* are not stored: they come from the core's GB 17167 table.

A survey is dated (``surveyed_on``); the indicator takes each unit's latest *checked* survey on
the reporting date, so an enterprise's own figures count only once a regulator confirmed them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from jiliang.core.indicators.energy import Level
from jiliang.platform.registry.models import Organisation, Region

#: GB 17167-2006 Table 3's levels (values are the core's :class:`Level`)
LEVEL_CHOICES = [
    (Level.UNIT.value, _("进出用能单位")),
    (Level.SUB_UNIT.value, _("进出主要次级用能单位")),
    (Level.EQUIPMENT.value, _("主要用能设备")),
]


class EnergyUnit(models.Model):
    """A key energy-using unit (重点用能单位): an organisation of the registry and its region."""

    organisation = models.OneToOneField(
        Organisation,
        verbose_name=_("用能单位"),
        on_delete=models.PROTECT,
        related_name="energy_unit",
    )
    region = models.ForeignKey(
        Region, verbose_name=_("所在区划"), on_delete=models.PROTECT, related_name="+"
    )
    #: annual total energy consumption in tonnes of standard coal equivalent (tce); informative
    energy_consumption_tce = models.FloatField(_("年综合能源消费量（tce）"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["region__code", "organisation__code"]
        verbose_name = _("重点用能单位")
        verbose_name_plural = _("重点用能单位")
        constraints = [
            models.CheckConstraint(
                condition=Q(energy_consumption_tce__isnull=True) | Q(energy_consumption_tce__gte=0),
                name="energy_unit_consumption_not_negative",
            )
        ]

    def __str__(self) -> str:
        return self.organisation.name


class Survey(models.Model):
    """The unit's energy-metering survey on a date: its level data and one line per level and
    energy type. ``checked`` once a regulator of the region (or an admin) asserted it."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("单位填报")
        CHECKED = "checked", _("监管核实")

    unit = models.ForeignKey(
        EnergyUnit, verbose_name=_("重点用能单位"), on_delete=models.PROTECT, related_name="surveys"
    )
    surveyed_on = models.DateField(_("调查日期"))
    sub_units = models.PositiveIntegerField(_("主要次级用能单位数"))
    main_equipment = models.PositiveIntegerField(_("主要用能设备台数"))
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.SUBMITTED
    )
    note = models.TextField(_("备注"), max_length=2000, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("填报人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("核实人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    checked_on = models.DateField(_("核实日期"), null=True, blank=True)

    class Meta:
        ordering = ["-surveyed_on", "-id"]
        verbose_name = _("能源计量器具配备调查")
        verbose_name_plural = _("能源计量器具配备调查")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "surveyed_on"], name="energy_survey_once_a_day"
            ),
            models.CheckConstraint(
                condition=Q(status="checked", checked_on__isnull=False)
                | (~Q(status="checked") & Q(checked_on__isnull=True)),
                name="energy_survey_checked_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.surveyed_on}"

    @property
    def checked(self) -> bool:
        return self.status == self.Status.CHECKED


class SurveyLine(models.Model):
    """Instruments of one energy type at one level (GB 17167-2006 Table 3 row × column)."""

    survey = models.ForeignKey(
        Survey,
        verbose_name=_("能源计量器具配备调查"),
        on_delete=models.CASCADE,
        related_name="lines",
    )
    level = models.CharField(_("计量级别"), max_length=12, choices=LEVEL_CHOICES)
    #: an energy key of the core's rate table (validated against it, not a fixed choice list)
    energy = models.CharField(_("能源种类"), max_length=30)
    required = models.PositiveIntegerField(_("理论需要量"))
    configured = models.PositiveIntegerField(_("实际配备数"))

    class Meta:
        ordering = ["survey", "level", "energy"]
        verbose_name = _("配备明细")
        verbose_name_plural = _("配备明细")
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "level", "energy"], name="energy_line_once_per_level"
            ),
            models.CheckConstraint(condition=Q(required__gte=1), name="energy_line_required"),
            models.CheckConstraint(
                condition=Q(configured__lte=F("required")), name="energy_line_within_required"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.survey_id} {self.level} {self.energy}"
