"""Indicator records: entered values of ``manual`` indicators and snapshots of the figures.

Both are audited (:func:`jiliang.platform.audit.signals.audit_models`), so every entered value
and every snapshot's digest reaches the transparency log through its audit entry.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiliang.platform.registry.models import Region


class ManualValue(models.Model):
    """An entered figure of a ``manual`` indicator (人工填报) with its evidence file.

    The evidence is stored content-addressed (``MEDIA_ROOT/indicators/<sha256><ext>``): the row
    keeps its SHA-256, so the audit trail proves which file was attached.
    """

    indicator = models.CharField(_("指标"), max_length=80, db_index=True)
    region = models.ForeignKey(Region, verbose_name=_("区划"), on_delete=models.PROTECT)
    as_of = models.DateField(_("统计日期"))
    value = models.FloatField(_("数值"))
    unit = models.CharField(_("单位"), max_length=10)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    evidence_name = models.CharField(_("证明材料"), max_length=200)
    evidence_sha256 = models.CharField(_("证明材料 SHA-256"), max_length=64)
    evidence_size = models.PositiveIntegerField(_("文件大小（字节）"))
    evidence_type = models.CharField(_("文件类型"), max_length=100)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("填报人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    entered_at = models.DateTimeField(_("填报时间"), auto_now_add=True)

    class Meta:
        ordering = ["indicator", "-as_of", "-id"]
        verbose_name = _("人工填报指标值")
        verbose_name_plural = _("人工填报指标值")
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="manual_value_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.indicator} {self.region.code} {self.as_of}"


class IndicatorSnapshot(models.Model):
    """The figures of one region as of a date (``jiliang/indicator-snapshot/v1`` canonical JSON)
    and their SHA-256 digest."""

    region = models.ForeignKey(Region, verbose_name=_("区划"), on_delete=models.PROTECT)
    as_of = models.DateField(_("统计日期"), db_index=True)
    payload = models.TextField(_("规范化 JSON"))
    digest = models.CharField(_("摘要 SHA-256"), max_length=64, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["region_id", "as_of", "id"]
        verbose_name = _("指标快照")
        verbose_name_plural = _("指标快照")

    def __str__(self) -> str:
        return f"{self.region.code} {self.as_of} {self.digest[:12]}"
