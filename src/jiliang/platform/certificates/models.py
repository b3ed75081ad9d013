"""A digital calibration certificate and its life cycle."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiliang.platform.registry.models import CalibrationEvent


class Certificate(models.Model):
    """One version of a certificate for a calibration event (DCC XML, signed once issued)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        IN_REVIEW = "in_review", _("待核验")
        ISSUED = "issued", _("已签发")
        SUPERSEDED = "superseded", _("已被更正")
        WITHDRAWN = "withdrawn", _("已撤回")
        EXTERNAL = "external", _("外部证书")
        #: a third-party DCC without a valid signature of a trusted signer entitled for the
        #: issuer it names: kept (the lab registered it) but never shown as that issuer's
        UNVERIFIED = "unverified", _("未核实的外部证书")

    number = models.CharField(_("证书编号"), max_length=80, unique=True)
    event = models.ForeignKey(
        CalibrationEvent,
        verbose_name=_("检定/校准记录"),
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default="draft")
    replaces = models.OneToOneField(
        "self",
        verbose_name=_("更正的证书"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaced_by",
    )
    xml = models.TextField(_("DCC XML"))
    # indexed: an uploaded copy is looked up by its hash (a scan read every row's XML)
    canonical_hash = models.CharField(
        _("规范化哈希 SHA-256"), max_length=64, blank=True, db_index=True
    )
    validation = models.JSONField(_("校验报告"), null=True, blank=True)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("编制人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("核验人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created = models.DateTimeField(_("创建时间"), auto_now_add=True)
    issued_at = models.DateTimeField(_("签发时间"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)
    withdrawal_reason = models.CharField(_("撤回原因"), max_length=500, blank=True)
    ledger_index = models.BigIntegerField(_("透明日志序号"), null=True, blank=True)
    withdrawal_ledger_index = models.BigIntegerField(_("撤回日志序号"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("数字校准证书")
        verbose_name_plural = _("数字校准证书")
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="issued") | ~Q(canonical_hash=""),
                name="certificate_issued_has_hash",
            )
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_current(self) -> bool:
        return self.status in (self.Status.ISSUED, self.Status.EXTERNAL)
