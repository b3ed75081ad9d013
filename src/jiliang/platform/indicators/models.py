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


class PlanTask(models.Model):
    """A task of a plan's breakdown (任务分解、责任落实): a paragraph of the plan, the unit
    responsible for it, the deadline, its progress and evidence, and the indicators it serves.

    ``overdue`` (逾期) is derived, never stored: not done and the deadline has passed (UTC).
    """

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", _("未开始")
        IN_PROGRESS = "in_progress", _("进行中")
        DONE = "done", _("已完成")

    plan = models.CharField(_("规划"), max_length=80, db_index=True)
    paragraph = models.CharField(_("条款"), max_length=40)
    title_zh = models.CharField(_("任务（中文）"), max_length=300)
    title_en = models.CharField(_("任务（英文）"), max_length=300, blank=True)
    responsible = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("责任单位"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    region = models.ForeignKey(Region, verbose_name=_("区划"), on_delete=models.PROTECT)
    deadline = models.DateField(_("完成期限"))
    status = models.CharField(
        _("进度"), max_length=20, choices=Status.choices, default=Status.NOT_STARTED
    )
    evidence_url = models.URLField(_("佐证链接"), max_length=500, blank=True)
    evidence_name = models.CharField(_("佐证材料"), max_length=200, blank=True)
    evidence_sha256 = models.CharField(_("佐证材料 SHA-256"), max_length=64, blank=True)
    evidence_type = models.CharField(_("文件类型"), max_length=100, blank=True)
    indicators = models.JSONField(_("关联指标"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["region_id", "deadline", "id"]
        verbose_name = _("规划任务")
        verbose_name_plural = _("规划任务")

    def __str__(self) -> str:
        return f"{self.plan} {self.paragraph} {self.title_zh[:40]}"

    def is_overdue(self, today) -> bool:
        """Not done and past the deadline on ``today`` (a date, UTC)."""
        return self.status != self.Status.DONE and self.deadline < today
