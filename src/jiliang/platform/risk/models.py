"""Risk early warning (计量风险预警) and measurement emergencies (计量突发事件), audited."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiliang.platform.registry.models import Organisation, Region


class EarlyWarning(models.Model):
    """An early-warning notice (预警通知) of a region on a day, stored only above green.

    One row per region and day: a later evaluation the same day raises its level (amber → red)
    but never adds a second notice. ``factors`` holds the core's factor levels as plain dicts.
    """

    class Level(models.TextChoices):
        AMBER = "amber", _("黄色预警")
        RED = "red", _("红色预警")

    region = models.ForeignKey(
        Region, verbose_name=_("区划"), on_delete=models.PROTECT, related_name="+"
    )
    as_of = models.DateField(_("预警日期"))
    level = models.CharField(_("预警等级"), max_length=10, choices=Level.choices)
    factors = models.JSONField(_("风险因素"), default=list)
    reasons = models.JSONField(_("预警原因"), default=list)
    edition = models.CharField(_("阈值表版本"), max_length=100)
    notified_org = models.ForeignKey(
        Organisation,
        verbose_name=_("通知监管部门"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    notified_users = models.PositiveIntegerField(_("通知人数"), default=0)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("签收人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    acknowledged_at = models.DateTimeField(_("签收时间"), null=True, blank=True)

    class Meta:
        ordering = ["-as_of", "-id"]
        verbose_name = _("预警通知")
        verbose_name_plural = _("预警通知")
        constraints = [
            models.UniqueConstraint(fields=["region", "as_of"], name="early_warning_once_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.region.code} {self.as_of} {self.level}"


class Emergency(models.Model):
    """A measurement emergency (计量突发事件): reported, responded to, closed."""

    class Kind(models.TextChoices):
        INSTRUMENT = "instrument", _("计量器具失准")
        TAMPER = "tamper", _("计量作弊")
        STANDARD = "standard", _("计量标准失效")
        SUPPLY = "supply", _("民生计量纠纷")
        OTHER = "other", _("其他")

    class Severity(models.TextChoices):
        GENERAL = "general", _("一般")
        MAJOR = "major", _("较大")
        SERIOUS = "serious", _("重大")

    class Status(models.TextChoices):
        REPORTED = "reported", _("已报告")
        RESPONDING = "responding", _("处置中")
        CLOSED = "closed", _("已结案")

    region = models.ForeignKey(
        Region, verbose_name=_("区划"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("事件名称"), max_length=200)
    kind = models.CharField(_("事件类型"), max_length=20, choices=Kind.choices)
    severity = models.CharField(_("事件级别"), max_length=10, choices=Severity.choices)
    description = models.TextField(_("事件情况"), max_length=4000)
    occurred_at = models.DateTimeField(_("发生时间"))
    warning = models.ForeignKey(
        EarlyWarning,
        verbose_name=_("预警通知"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="emergencies",
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.REPORTED
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("报告人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reported_at = models.DateTimeField(_("报告时间"), auto_now_add=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("结案人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    closure = models.TextField(_("结案报告"), max_length=4000, blank=True)

    class Meta:
        ordering = ["-reported_at", "-id"]
        verbose_name = _("计量突发事件")
        verbose_name_plural = _("计量突发事件")
        constraints = [
            models.CheckConstraint(
                condition=Q(status="closed", closed_at__isnull=False)
                | (~Q(status="closed") & Q(closed_at__isnull=True)),
                name="emergency_closed_has_time",
            )
        ]

    def __str__(self) -> str:
        return f"{self.region.code} {self.title}"


class EmergencyAction(models.Model):
    """A response action (处置措施) taken on an emergency; appended, never edited."""

    emergency = models.ForeignKey(
        Emergency, verbose_name=_("计量突发事件"), on_delete=models.CASCADE, related_name="actions"
    )
    text = models.TextField(_("处置措施"), max_length=2000)
    taken_at = models.DateTimeField(_("处置时间"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处置人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        ordering = ["taken_at", "id"]
        verbose_name = _("处置措施")
        verbose_name_plural = _("处置措施")

    def __str__(self) -> str:
        return f"{self.emergency_id} {self.taken_at:%Y-%m-%d}"
