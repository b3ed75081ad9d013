"""Supervision records (法制计量监管): filings, notifications, complaints, draws, credit.

The schedule fields of a :class:`Filing` (``status``, ``due_date`` …) are a cache of
``jiliang.core.legal.schedule`` refreshed by :mod:`.services` (on save and by the daily sweep);
every rule lives in the core.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiliang.platform.registry.models import CalibrationEvent, Instrument, Organisation, Region


class FilingQuerySet(models.QuerySet):
    def active(self):
        """Filings in force: a withdrawn filing (撤销备案) stays on record but counts nowhere."""
        return self.filter(withdrawn_on__isnull=True)


class Filing(models.Model):
    """Filing (备案) of an instrument under compulsory management by its user.

    Filings are withdrawn (``withdrawn_on`` + ``withdrawal_reason``), never deleted, so the
    regulator sees every instrument that was once under compulsory verification and why it left.
    """

    objects = FilingQuerySet.as_manager()

    class Status(models.TextChoices):
        OK = "ok", _("有效")
        DUE_SOON = "due_soon", _("即将到期")
        OVERDUE = "overdue", _("超期未检")
        MUST_REPLACE = "must_replace", _("应轮换/报废")
        NOT_COMPULSORY = "not_compulsory", _("非强制检定")
        UNKNOWN = "unknown", _("未排期")

    class Result(models.TextChoices):
        NONE = "", _("无")
        PASS = "pass", _("合格")
        FAIL = "fail", _("不合格")

    instrument = models.OneToOneField(
        Instrument, verbose_name=_("计量器具"), on_delete=models.CASCADE, related_name="filing"
    )
    item_code = models.CharField(_("目录条目"), max_length=60, db_index=True)
    use = models.CharField(_("用途"), max_length=30, choices=Instrument.Use.choices)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    # copies of the parameters the catalogue conditions read, as columns for array loading
    dn_mm = models.FloatField(null=True, blank=True, editable=False)
    g_size = models.FloatField(null=True, blank=True, editable=False)
    param_type = models.CharField(max_length=20, blank=True, editable=False)
    first_verified = models.DateField(_("首次检定日期"), null=True, blank=True)
    last_verified = models.DateField(_("最近检定日期"), null=True, blank=True)
    last_result = models.CharField(
        _("最近检定结论"), max_length=4, choices=Result.choices, blank=True, default=""
    )
    last_certificate = models.CharField(_("证书/通知书编号"), max_length=60, blank=True)
    verified_by = models.ForeignKey(
        Organisation,
        verbose_name=_("检定机构"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    filed_at = models.DateTimeField(_("备案时间"), auto_now_add=True)
    # the authorised institution (检定机构) its compulsory verification is assigned to
    assigned_to = models.ForeignKey(
        Organisation,
        verbose_name=_("承检机构"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_filings",
    )
    assigned_on = models.DateField(_("指定日期"), null=True, blank=True)
    # schedule cache (from jiliang.core.legal.schedule)
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default="unknown", db_index=True
    )
    due_date = models.DateField(_("到期日"), null=True, blank=True, db_index=True)
    replace_date = models.DateField(_("轮换日期"), null=True, blank=True)
    status_reason = models.CharField(_("依据"), max_length=300, blank=True)
    status_as_of = models.DateField(_("状态日期"), null=True, blank=True)
    withdrawn_on = models.DateField(_("撤销日期"), null=True, blank=True, db_index=True)
    withdrawal_reason = models.CharField(_("撤销原因"), max_length=300, blank=True)

    class Meta:
        ordering = ["instrument__lifetime_id"]
        verbose_name = _("强检备案")
        verbose_name_plural = _("强检备案")
        constraints = [
            models.CheckConstraint(
                condition=Q(first_verified__isnull=True)
                | Q(last_verified__isnull=True)
                | Q(last_verified__gte=models.F("first_verified")),
                name="filing_verified_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument.lifetime_id} · {self.item_code}"

    def save(self, *args, **kwargs):
        self.sync_param_columns()
        super().save(*args, **kwargs)

    def sync_param_columns(self) -> None:
        p = self.params or {}
        self.dn_mm = p.get("dn_mm")
        self.g_size = p.get("g_size")
        self.param_type = str(p.get("type") or "")[:20]

    @property
    def deadline(self):
        return self.due_date or self.replace_date

    def clean(self) -> None:
        super().clean()
        from .services import check_filing

        errors = check_filing(self.item_code, self.use, self.params)
        if self.first_verified and self.last_verified and self.last_verified < self.first_verified:
            errors["last_verified"] = str(_("最近检定日期不得早于首次检定日期"))
        if errors:
            raise ValidationError(errors)


class Notification(models.Model):
    """In-app notification (站内通知), also e-mailed; unique per recipient, filing, kind, date."""

    class Kind(models.TextChoices):
        DUE_SOON = "due_soon", _("即将到期")
        OVERDUE = "overdue", _("超期未检")
        MUST_REPLACE = "must_replace", _("应轮换/报废")
        ESCALATION = "escalation", _("超期移送监管")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.CASCADE,
        related_name="supervision_notifications",
    )
    filing = models.ForeignKey(Filing, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    reference_date = models.DateField(_("到期日"))
    # rendered in the source language when created; shown only for rows without a message key
    message = models.CharField(_("内容"), max_length=400)
    # text key + parameters (see .notices): rendered in the reader's language at display time
    message_key = models.CharField(max_length=40, blank=True)
    params = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    emailed = models.BooleanField(_("已发邮件"), default=False)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "filing", "kind", "reference_date"],
                name="notification_once",
            )
        ]

    def __str__(self) -> str:
        return self.message

    @property
    def text(self) -> str:
        """The message in the active language (see :func:`.notices.render`)."""
        from .notices import render

        return render(self)


class NotificationSettings(models.Model):
    """A user's choices for supervision notifications: language of e-mails, e-mail or not."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="supervision_notification_settings",
    )
    # a code of settings.LANGUAGES (checked by the form: the list is configuration, not schema)
    language = models.CharField(_("通知语言"), max_length=10)
    email = models.BooleanField(_("通过电子邮件接收"), default=True)

    class Meta:
        verbose_name = _("通知设置")
        verbose_name_plural = _("通知设置")

    def __str__(self) -> str:
        return f"{self.user} · {self.language}"


class VerificationRecord(models.Model):
    """What the assigned institution recorded with a compulsory verification beyond the
    registry's verification event (which holds date, result and certificate / notice number):
    the seal or label number (封印/标志号) and who entered it."""

    event = models.OneToOneField(
        CalibrationEvent,
        verbose_name=_("检定记录"),
        on_delete=models.CASCADE,
        related_name="supervision_record",
    )
    seal_no = models.CharField(_("封印/标志号"), max_length=60, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name = _("强制检定结果")
        verbose_name_plural = _("强制检定结果")

    def __str__(self) -> str:
        return f"{self.event.certificate_no} {self.seal_no}"


class Complaint(models.Model):
    """A public report (投诉举报) about an instrument, filed from its scan page."""

    class Category(models.TextChoices):
        INACCURATE = "inaccurate", _("计量不准")
        SEAL = "seal", _("封印/标志缺失")
        CHEATING = "cheating", _("疑似作弊")
        OTHER = "other", _("其他")

    class Status(models.TextChoices):
        OPEN = "open", _("待处理")
        CONFIRMED = "confirmed", _("属实")
        DISMISSED = "dismissed", _("不属实")

    instrument = models.ForeignKey(
        Instrument, verbose_name=_("计量器具"), on_delete=models.CASCADE, related_name="complaints"
    )
    category = models.CharField(_("类别"), max_length=20, choices=Category.choices)
    text = models.TextField(_("情况说明"), max_length=2000)
    contact = models.CharField(_("联系方式"), max_length=100, blank=True)
    client_hash = models.CharField(max_length=64, db_index=True, editable=False)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default="open")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("投诉举报")
        verbose_name_plural = _("投诉举报")

    def __str__(self) -> str:
        return f"{self.instrument.lifetime_id} · {self.get_category_display()}"


class Draw(models.Model):
    """A double-random draw (双随机抽查): commit → run → reveal, with the algorithm its frozen pools
    commit to (``jiliang-draw-v2`` by default; older draws keep ``v1``)."""

    class Stage(models.TextChoices):
        COMMITTED = "committed", _("已承诺")
        DRAWN = "drawn", _("已抽取")
        REVEALED = "revealed", _("已公开")

    title = models.CharField(_("名称"), max_length=200)
    region = models.ForeignKey(Region, verbose_name=_("区划"), on_delete=models.PROTECT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("承诺时间"), auto_now_add=True)
    stage = models.CharField(_("阶段"), max_length=20, choices=Stage.choices, default="committed")
    commitment = models.CharField(_("种子承诺 SHA-256"), max_length=64)
    pools_sha256 = models.CharField(_("名录库 SHA-256"), max_length=64)
    n_objects = models.PositiveIntegerField(_("检查对象数"), default=0)
    seed_hex = models.CharField(_("种子"), max_length=128, blank=True)  # empty until revealed
    selections_sha256 = models.CharField(max_length=64, blank=True)
    n_selected = models.PositiveIntegerField(_("抽中数"), default=0)
    drawn_at = models.DateTimeField(_("抽取时间"), null=True, blank=True)
    revealed_at = models.DateTimeField(_("公开时间"), null=True, blank=True)
    publish_by = models.DateField(_("结果公开期限"), null=True, blank=True)
    # transparency-log leaves of the commitment and of the reveal (see .draw_log)
    commitment_leaf = models.BigIntegerField(_("承诺日志序号"), null=True, blank=True)
    reveal_leaf = models.BigIntegerField(_("公开日志序号"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("双随机抽查")
        verbose_name_plural = _("双随机抽查")

    def __str__(self) -> str:
        return self.title


class DrawData(models.Model):
    """Bulk payload of a draw and its seed, kept out of the audit trail: the seed must stay
    secret until revealed, and the audited :class:`Draw` carries the payload's SHA-256 hashes
    (``pools_sha256``, ``selections_sha256``), so tampering is still evident."""

    draw = models.OneToOneField(Draw, on_delete=models.CASCADE, related_name="data")
    seed_hex = models.CharField(max_length=128)
    pools = models.JSONField()
    selections = models.JSONField(null=True, blank=True)

    def __str__(self) -> str:
        return f"data of draw {self.draw_id}"


class DrawResult(models.Model):
    """The published result of inspecting one drawn object (检查结果)."""

    class Outcome(models.TextChoices):
        PASS = "pass", _("合格")
        FAIL = "fail", _("不合格")
        NOT_FOUND = "not_found", _("未发现问题线索")

    draw = models.ForeignKey(Draw, on_delete=models.CASCADE, related_name="results")
    item_id = models.CharField(_("检查事项"), max_length=60)
    object_id = models.CharField(_("检查对象"), max_length=60)
    outcome = models.CharField(_("结果"), max_length=20, choices=Outcome.choices)
    notes = models.CharField(_("说明"), max_length=500, blank=True)
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        ordering = ["draw_id", "item_id", "object_id"]
        verbose_name = _("抽查结果")
        verbose_name_plural = _("抽查结果")
        constraints = [
            models.UniqueConstraint(
                fields=["draw", "item_id", "object_id"], name="draw_result_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.draw_id} {self.item_id}/{self.object_id}: {self.outcome}"


class PrepackagedInspection(models.Model):
    """Net-content inspection of a lot of prepackaged goods (定量包装商品净含量检验)."""

    class Kind(models.TextChoices):
        MASS = "mass", _("质量 (g)")
        VOLUME = "volume", _("体积 (mL)")
        LENGTH = "length", _("长度 (m)")
        AREA = "area", _("面积")
        COUNT = "count", _("计数 (件)")

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("受检单位"), on_delete=models.PROTECT, related_name="+"
    )
    product = models.CharField(_("商品名称"), max_length=200)
    nominal = models.FloatField(_("标注净含量 Qn"))
    kind = models.CharField(_("标注方式"), max_length=10, choices=Kind.choices)
    lot_size = models.PositiveIntegerField(_("批量 N"))
    gross = models.BooleanField(_("测得值为毛重"), default=False)
    tare = models.FloatField(_("皮重"), null=True, blank=True)
    units = models.JSONField(_("单位测得值"))
    inspected_on = models.DateField(_("检验日期"))
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # verdict from jiliang.core.legal.prepackaged.inspect_lot
    passed = models.BooleanField(_("合格"))
    sample_n = models.PositiveIntegerField(_("样本量 n"))
    t = models.FloatField(_("允许短缺量 T"))
    mean = models.FloatField(_("平均实际含量"))
    s = models.FloatField(_("样本标准偏差 s"))
    mean_limit = models.FloatField(_("Qn − λs"), null=True, blank=True)
    correction = models.FloatField(_("修正因子 λ"), null=True, blank=True)
    n_short_t = models.PositiveIntegerField(_("短缺量大于 T 的件数"))
    n_short_2t = models.PositiveIntegerField(_("短缺量大于 2T 的件数"))
    reasons = models.JSONField(_("不合格原因"), default=list, blank=True)
    edition = models.CharField(_("抽样方案版本"), max_length=60)

    class Meta:
        ordering = ["-inspected_on", "-id"]
        verbose_name = _("定量包装商品检验")
        verbose_name_plural = _("定量包装商品检验")

    def __str__(self) -> str:
        return f"{self.product} {self.inspected_on}"


class CreditEvent(models.Model):
    """An event in an entity's metrology credit record (信用记录); kinds from the credit table."""

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("单位"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("事件类型"), max_length=40)
    on = models.DateField(_("日期"))
    detail = models.CharField(_("说明"), max_length=300, blank=True)
    removed_on = models.DateField(_("移出名单日期"), null=True, blank=True)
    removal_reason = models.CharField(_("移出原因"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-on", "-id"]
        verbose_name = _("信用事件")
        verbose_name_plural = _("信用事件")

    def __str__(self) -> str:
        return f"{self.organisation} {self.kind} {self.on}"


class CreditMark(models.Model):
    """A public credit mark of a business: its self-commitment (诚信计量自我承诺) or its naming as
    a demonstration unit (诚信计量示范单位). Marked and unmarked by regulators; an unmarked row
    keeps its dates (withdrawn_on) so the public history stays."""

    class Kind(models.TextChoices):
        SELF_COMMITMENT = "self_commitment", _("诚信计量自我承诺")
        DEMONSTRATION = "demonstration", _("诚信计量示范单位")

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("单位"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    since = models.DateField(_("起始日期"))
    text = models.CharField(_("承诺内容"), max_length=1000, blank=True)
    withdrawn_on = models.DateField(_("撤销日期"), null=True, blank=True)
    withdrawal_reason = models.CharField(_("撤销原因"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-since", "-id"]
        verbose_name = _("诚信计量承诺与示范")
        verbose_name_plural = _("诚信计量承诺与示范")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "kind"],
                condition=Q(withdrawn_on__isnull=True),
                name="credit_mark_one_standing",
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gte=models.F("since")),
                name="credit_mark_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} {self.kind} {self.since}"


class CoverageSnapshot(models.Model):
    """Verified-on-time counts of one region on one day, written by the sweep (trend charts)."""

    day = models.DateField(_("日期"))
    region_code = models.CharField(_("区划代码"), max_length=6)
    total = models.PositiveIntegerField(_("强检器具数"))
    on_time = models.PositiveIntegerField(_("按期检定数"))
    overdue = models.PositiveIntegerField(_("超期数"))

    class Meta:
        ordering = ["day", "region_code"]
        constraints = [models.UniqueConstraint(fields=["day", "region_code"], name="snapshot_once")]
