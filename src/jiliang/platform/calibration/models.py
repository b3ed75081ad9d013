"""Uncertainty budget (不确定度预算) of a calibration event."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from jiliang.platform.registry.models import CalibrationEvent, Organisation


class UncertaintyBudget(models.Model):
    """A budget specification (model expression, inputs, correlations) and its last result."""

    class Method(models.TextChoices):
        LPU = "lpu", _("不确定度传播律 (GUM)")
        MCM = "mcm", _("蒙特卡洛法 (JCGM 101)")
        BOTH = "both", _("两者并验证")

    event = models.OneToOneField(
        CalibrationEvent,
        verbose_name=_("检定/校准记录"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="budget",
    )
    owner = models.ForeignKey(
        Organisation, verbose_name=_("编制单位"), on_delete=models.PROTECT, related_name="budgets"
    )
    title = models.CharField(_("标题"), max_length=200)
    spec = models.JSONField(_("预算定义"))
    method = models.CharField(_("评定方法"), max_length=10, choices=Method.choices, default="both")
    seed = models.PositiveIntegerField(_("随机种子"), default=1)
    result = models.JSONField(_("评定结果"), null=True, blank=True, editable=False)
    evaluated_at = models.DateTimeField(_("评定时间"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("不确定度预算")
        verbose_name_plural = _("不确定度预算")

    def __str__(self) -> str:
        return self.title
