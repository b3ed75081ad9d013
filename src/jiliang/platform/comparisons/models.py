"""Measurement comparisons (计量比对) and proficiency testing (能力验证): campaigns and results.

Every number (assigned value, σ_pt, z/z′/ζ/Eₙ, KCRV, degrees of equivalence) comes from
:mod:`jiliang.core.comparisons`; these models store what the core returned.

Sealing (结果密封): a :class:`Submission` keeps the participant's value, U, k and unit together
with a random salt and the commitment ``digest`` = SHA-256(salt ‖ canonical JSON of the result).
The audit trail (and so the transparency log) records only the digest: the value fields and the
salt are left out of the submission's snapshot (``AuditOptions.ignore``). At close the
:class:`Reveal` rows, fully audited, publish value, U, k, unit and salt, so anyone holding the
logged commitment can check that the revealed result is the one committed before the deadline.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiliang.platform.registry.models import Organisation

#: fields of a submission that stay out of the audit snapshot (sealed until close)
SEALED_FIELDS = (
    "value",
    "expanded_uncertainty",
    "k",
    "unit",
    "value_m",
    "expanded_uncertainty_m",
    "salt",
)


class Campaign(models.Model):
    """A comparison or proficiency-testing round run by a pilot (主导实验室) institution.

    ``unit`` is the D-SI unit of the measurand; every result is converted to it (by
    :mod:`jiliang.core.units`) before the analysis. ``assigned_value``, ``assigned_uncertainty``
    (standard uncertainty) and ``sigma_pt`` are in ``unit``.
    """

    class Kind(models.TextChoices):
        PT = "pt", _("能力验证")
        KEY = "key", _("关键比对")
        REGIONAL = "regional", _("区域比对")

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        OPEN = "open", _("接收结果")
        CLOSED = "closed", _("已截止")
        ANALYSED = "analysed", _("已分析")
        REPORTED = "reported", _("已报告")

    class AssignedSource(models.TextChoices):
        CONSENSUS = "consensus", _("参加者公议值 (算法 A)")
        REFERENCE_LAB = "reference_lab", _("参考实验室")
        CRM = "crm", _("有证标准物质")
        FORMULATION = "formulation", _("配制值")

    class SigmaSource(models.TextChoices):
        FITNESS = "fitness_for_purpose", _("适用性 (规定值)")
        PREVIOUS = "previous_round", _("以往轮次")
        ROBUST = "robust_sd", _("本轮稳健标准差 s*")

    class Score(models.TextChoices):
        Z = "z", "z"
        Z_PRIME = "z_prime", "z′"
        ZETA = "zeta", "ζ"
        EN = "en", "Eₙ"

    class Fallback(models.TextChoices):
        LCS = "lcs", _("最大一致子集")
        MEDIAN = "median", _("中位数")
        DL = "dersimonian_laird", "DerSimonian–Laird"
        PM = "paule_mandel", "Paule–Mandel"
        NONE = "none", _("不替换")

    code = models.CharField(_("编号"), max_length=40, unique=True)
    title = models.CharField(_("名称"), max_length=200)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, default="pt")
    pilot = models.ForeignKey(
        Organisation,
        verbose_name=_("主导机构"),
        on_delete=models.PROTECT,
        related_name="piloted_campaigns",
    )
    measurand = models.CharField(_("被测量"), max_length=200)
    unit = models.CharField(_("单位 (D-SI)"), max_length=80)
    artefact = models.TextField(_("传递标准/样品"), blank=True)
    protocol_document = models.CharField(_("比对方案文件"), max_length=300, blank=True)
    deadline = models.DateTimeField(_("结果提交截止时间"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default="draft")
    # analysis settings
    assigned_source = models.CharField(
        _("指定值来源"), max_length=20, choices=AssignedSource.choices, default="consensus"
    )
    assigned_value = models.FloatField(_("指定值"), null=True, blank=True)
    assigned_uncertainty = models.FloatField(_("指定值标准不确定度"), null=True, blank=True)
    sigma_source = models.CharField(
        _("能力评定标准差来源"), max_length=20, choices=SigmaSource.choices, default="robust_sd"
    )
    sigma_pt = models.FloatField(_("能力评定标准差 σ_pt"), null=True, blank=True)
    score = models.CharField(_("评价统计量"), max_length=10, choices=Score.choices, default="z")
    fallback = models.CharField(
        _("不一致时的参考值"), max_length=20, choices=Fallback.choices, default="lcs"
    )
    # results of the analysis (from the core)
    reference_value = models.FloatField(_("参考值"), null=True, blank=True, editable=False)
    reference_uncertainty = models.FloatField(
        _("参考值标准不确定度"), null=True, blank=True, editable=False
    )
    analysis = models.JSONField(_("分析结果"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    closed_at = models.DateTimeField(_("截止时间"), null=True, blank=True, editable=False)
    analysed_at = models.DateTimeField(_("分析时间"), null=True, blank=True, editable=False)
    reported_at = models.DateTimeField(_("报告时间"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("比对/能力验证")
        verbose_name_plural = _("比对/能力验证")
        constraints = [
            models.CheckConstraint(
                condition=Q(sigma_pt__isnull=True) | Q(sigma_pt__gt=0),
                name="campaign_sigma_pt_positive",
            ),
            models.CheckConstraint(
                condition=Q(assigned_uncertainty__isnull=True) | Q(assigned_uncertainty__gte=0),
                name="campaign_assigned_u_nonnegative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def sealed(self) -> bool:
        """Results are sealed while the campaign is a draft or open (before close)."""
        return self.status in (self.Status.DRAFT, self.Status.OPEN)


class Participant(models.Model):
    """An organisation invited to a campaign (参加实验室)."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("比对"), on_delete=models.CASCADE, related_name="participants"
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("参加机构"),
        on_delete=models.PROTECT,
        related_name="comparison_participations",
    )
    invited_at = models.DateTimeField(_("邀请时间"), auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("参加机构")
        verbose_name_plural = _("参加机构")
        unique_together = [("campaign", "organisation")]

    def __str__(self) -> str:
        return f"{self.campaign.code} · {self.organisation}"


class Submission(models.Model):
    """A participant's result: value, expanded uncertainty U (coverage factor k) and unit.

    ``value_m`` and ``expanded_uncertainty_m`` are the same result in the campaign's unit (the
    analysis reads them). :data:`SEALED_FIELDS` never enter the audit trail; ``digest`` does.
    """

    participant = models.OneToOneField(
        Participant,
        verbose_name=_("参加机构"),
        on_delete=models.CASCADE,
        related_name="submission",
    )
    value = models.FloatField(_("测量结果"))
    expanded_uncertainty = models.FloatField(_("扩展不确定度 U"))
    k = models.FloatField(_("包含因子 k"), default=2.0)
    unit = models.CharField(_("单位 (D-SI)"), max_length=80)
    value_m = models.FloatField(_("测量结果（比对单位）"), editable=False)
    expanded_uncertainty_m = models.FloatField(_("扩展不确定度（比对单位）"), editable=False)
    salt = models.CharField(_("盐值"), max_length=64, editable=False)
    digest = models.CharField(_("承诺摘要 SHA-256"), max_length=64, editable=False)
    submitted_at = models.DateTimeField(_("提交时间"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("比对结果")
        verbose_name_plural = _("比对结果")
        constraints = [
            models.CheckConstraint(
                condition=Q(expanded_uncertainty__gt=0), name="submission_u_positive"
            ),
            models.CheckConstraint(condition=Q(k__gt=0), name="submission_k_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.participant} · {self.digest[:12]}"


class Reveal(models.Model):
    """The opening of a sealed submission at close (揭封): the committed result and its salt."""

    submission = models.OneToOneField(
        Submission, verbose_name=_("比对结果"), on_delete=models.CASCADE, related_name="reveal"
    )
    value = models.FloatField(_("测量结果"))
    expanded_uncertainty = models.FloatField(_("扩展不确定度 U"))
    k = models.FloatField(_("包含因子 k"))
    unit = models.CharField(_("单位 (D-SI)"), max_length=80)
    salt = models.CharField(_("盐值"), max_length=64)
    digest = models.CharField(_("承诺摘要 SHA-256"), max_length=64)
    revealed_at = models.DateTimeField(_("揭封时间"))

    class Meta:
        verbose_name = _("结果揭封")
        verbose_name_plural = _("结果揭封")

    def __str__(self) -> str:
        return f"{self.submission.participant} · {self.digest[:12]}"


class Score(models.Model):
    """One participant's scores in a campaign's analysis, as the core computed them.

    ``x`` and ``expanded_uncertainty`` in the campaign's unit; scores are dimensionless;
    ``*_class`` are the core's :class:`~jiliang.core.comparisons.pt.Performance` names.
    Key comparisons: ``d`` = xᵢ − x_ref and ``U_d`` = U(dᵢ) (campaign unit), ``en`` = |dᵢ|/U(dᵢ).
    """

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("比对"), on_delete=models.CASCADE, related_name="scores"
    )
    participant = models.OneToOneField(
        Participant, verbose_name=_("参加机构"), on_delete=models.CASCADE, related_name="score"
    )
    x = models.FloatField(_("测量结果"))
    expanded_uncertainty = models.FloatField(_("扩展不确定度 U"))
    z = models.FloatField("z", null=True, blank=True)
    z_class = models.CharField(_("z 评价"), max_length=16, blank=True)
    z_prime = models.FloatField("z′", null=True, blank=True)
    z_prime_class = models.CharField(_("z′ 评价"), max_length=16, blank=True)
    zeta = models.FloatField("ζ", null=True, blank=True)
    zeta_class = models.CharField(_("ζ 评价"), max_length=16, blank=True)
    en = models.FloatField("Eₙ", null=True, blank=True)
    en_class = models.CharField(_("Eₙ 评价"), max_length=16, blank=True)
    d = models.FloatField(_("等效度 d"), null=True, blank=True)
    U_d = models.FloatField(_("等效度扩展不确定度 U(d)"), null=True, blank=True)
    included = models.BooleanField(_("参与参考值计算"), default=True)
    performance = models.CharField(_("评价结论"), max_length=16)

    class Meta:
        ordering = ["id"]
        verbose_name = _("比对评价")
        verbose_name_plural = _("比对评价")

    def __str__(self) -> str:
        return f"{self.participant} · {self.performance}"


class Flag(models.Model):
    """An unsatisfactory result (不满意结果) raised for the regulator of the lab's region."""

    score = models.OneToOneField(
        Score, verbose_name=_("比对评价"), on_delete=models.CASCADE, related_name="flag"
    )
    campaign = models.ForeignKey(
        Campaign, verbose_name=_("比对"), on_delete=models.CASCADE, related_name="flags"
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("机构"),
        on_delete=models.PROTECT,
        related_name="comparison_flags",
    )
    reason = models.CharField(_("原因"), max_length=300)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("比对不满意结果")
        verbose_name_plural = _("比对不满意结果")

    def __str__(self) -> str:
        return f"{self.organisation} · {self.campaign.code}"


class Circulation(models.Model):
    """Where the artefact was (传递标准流转): held by an organisation, received and shipped on."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("比对"), on_delete=models.CASCADE, related_name="circulation"
    )
    holder = models.ForeignKey(
        Organisation, verbose_name=_("持有机构"), on_delete=models.PROTECT, related_name="+"
    )
    received_on = models.DateField(_("接收日期"))
    shipped_on = models.DateField(_("发出日期"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=300, blank=True)

    class Meta:
        ordering = ["received_on", "id"]
        verbose_name = _("传递标准流转")
        verbose_name_plural = _("传递标准流转")
        constraints = [
            models.CheckConstraint(
                condition=Q(shipped_on__isnull=True) | Q(shipped_on__gte=models.F("received_on")),
                name="circulation_dates_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"{self.campaign.code} · {self.holder}"
