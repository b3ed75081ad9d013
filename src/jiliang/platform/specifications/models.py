"""A registered specification edition (规程/规范) and the link from a verification to it.

What a specification governs is stored as three JSON lists of ids, not many-to-many tables:
catalogue items are codes of the compulsory-management catalogue (a rule table shipped with
the core, :mod:`jiliang.core.legal.catalogue`, not database rows), instrument categories are
the free text of ``Instrument.category`` (which equals the catalogue code for catalogue
instruments), and quantities are the registry's fixed ``QUANTITY_CHOICES``. None of them has a
table to point a foreign key at; the lists are validated against their source in
:func:`.services.validate` and the impact queries use them as ``IN (...)`` filters.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from jiliang.platform.registry.models import CalibrationEvent, Region


class Specification(models.Model):
    """One edition of a JJG/JJF document, national, local or departmental."""

    class Kind(models.TextChoices):
        NATIONAL_REGULATION = "national_regulation", _("国家计量检定规程")
        NATIONAL_SPECIFICATION = "national_specification", _("国家计量技术规范")
        LOCAL_REGULATION = "local_regulation", _("地方计量检定规程")
        LOCAL_SPECIFICATION = "local_specification", _("地方计量技术规范")
        DEPARTMENTAL = "departmental", _("部门计量检定规程/技术规范")

    class Status(models.TextChoices):
        DRAFT = "draft", _("制定中")
        IN_FORCE = "in_force", _("现行")
        WITHDRAWN = "withdrawn", _("废止")

    number = models.CharField(_("规范编号"), max_length=60, unique=True)
    title = models.CharField(_("名称"), max_length=200)
    title_en = models.CharField(_("英文名称"), max_length=300, blank=True)
    kind = models.CharField(_("类型"), max_length=30, choices=Kind.choices, db_index=True)
    region = models.ForeignKey(
        Region,
        verbose_name=_("发布区划"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="specifications",
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default="draft", db_index=True
    )
    effective_on = models.DateField(_("实施日期"), null=True, blank=True)
    withdrawn_on = models.DateField(_("废止日期"), null=True, blank=True)
    replaces = models.ForeignKey(
        "self",
        verbose_name=_("代替的版本"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaced_by",
    )
    catalogue_items = models.JSONField(_("强制管理目录条目"), default=list, blank=True)
    instrument_categories = models.JSONField(_("器具类别"), default=list, blank=True)
    quantities = models.JSONField(_("量"), default=list, blank=True)

    class Meta:
        ordering = ["number"]
        verbose_name = _("计量技术规范")
        verbose_name_plural = _("计量技术规范")
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="withdrawn") | Q(withdrawn_on__isnull=False),
                name="specification_withdrawn_has_date",
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_on__isnull=True)
                | Q(effective_on__isnull=True)
                | Q(withdrawn_on__gte=F("effective_on")),
                name="specification_withdrawn_after_effective",
            ),
            models.CheckConstraint(
                condition=~Q(status="in_force") | Q(effective_on__isnull=False),
                name="specification_in_force_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(replaces=F("id")), name="specification_not_replacing_itself"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_local(self) -> bool:
        return self.kind in (self.Kind.LOCAL_REGULATION, self.Kind.LOCAL_SPECIFICATION)

    def governed_categories(self) -> list[str]:
        """Instrument categories the document governs: catalogue items and further categories."""
        return sorted(set(self.catalogue_items) | set(self.instrument_categories))


class AppliedSpecification(models.Model):
    """The specification a verification or calibration was performed to (依据的规程/规范).

    Kept in this app rather than as a column of the registry's event: one row per event,
    written by the event's author; a certificate of the event names it through the event.
    """

    event = models.OneToOneField(
        CalibrationEvent,
        verbose_name=_("检定/校准记录"),
        on_delete=models.CASCADE,
        related_name="applied_specification",
    )
    specification = models.ForeignKey(
        Specification,
        verbose_name=_("依据的规范"),
        on_delete=models.PROTECT,
        related_name="applications",
    )

    class Meta:
        ordering = ["-id"]
        verbose_name = _("检定/校准依据")
        verbose_name_plural = _("检定/校准依据")

    def __str__(self) -> str:
        return f"{self.event} → {self.specification.number}"
