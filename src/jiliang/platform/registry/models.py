"""Registry models: the measurement system's source of truth (计量体系登记).

Quantities are stored twice: as entered (value + D-SI unit, so nothing is lost) and in coherent
SI (``*_si`` fields + ``si_unit``), so queries and the core's calculations compare like with like.
Constraints that can live in the database do (unique identifiers, date order, positive
uncertainties); :meth:`clean` repeats them with field-named messages for forms and the API.
"""

from __future__ import annotations

import uuid
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from jiliang.core.conformity import ConformityError, Decision, RuleKind, Tolerance, Verdict, decide
from jiliang.core.conformity import DecisionRule as CoreRule
from jiliang.core.identifiers import (
    IdentifierError,
    normalise_certificate_no,
    validate_credit_code,
    validate_lifetime_id,
)
from jiliang.core.legal.catalogue import default_catalogue

from .quantities import QUANTITY_CHOICES, SIQuantityModel, si_field

region_code_validator = RegexValidator(r"^\d{6}$", _("GB/T 2260 区划代码为 6 位数字"))


def credit_code_validator(value: str) -> None:
    """GB 32100 unified social credit code, check character included."""
    try:
        validate_credit_code(value)
    except IdentifierError as exc:
        raise ValidationError(str(exc)) from exc


gbw_validator = RegexValidator(
    r"^GBW(\(E\))?\d{5,6}$", _("标准物质编号形如 GBW08601 或 GBW(E)080123")
)


def validate_lifetime(value: str) -> None:
    try:
        validate_lifetime_id(value)
    except IdentifierError as exc:
        raise ValidationError(str(exc)) from exc


def localised_name(obj) -> str:
    """``obj.name_en`` on English pages when it is recorded, else the (Chinese) ``name``.

    The registered name stays the legal one (``name``); the English name is what an English
    page shows, as the issue of the two languages asks (``name_en`` was stored but never shown).
    """
    if obj.name_en and get_language() and get_language().startswith("en"):
        return obj.name_en
    return obj.name


class Region(models.Model):
    """Administrative region (行政区划) with its GB/T 2260 code: province → city → county."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("省级")
        CITY = "city", _("市级")
        COUNTY = "county", _("县级")

    code = models.CharField(
        _("区划代码"), max_length=6, unique=True, validators=[region_code_validator]
    )
    name = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=100, blank=True)
    level = models.CharField(_("级别"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级区划"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")

    def __str__(self) -> str:
        return f"{localised_name(self)} ({self.code})"

    @property
    def display_name(self) -> str:
        """The name in the page's language (:func:`localised_name`)."""
        return localised_name(self)

    @property
    def prefix(self) -> str:
        """Code prefix shared by this region and everything under it (GB/T 2260 structure)."""
        return {"province": self.code[:2], "city": self.code[:4]}.get(self.level, self.code)

    def clean(self) -> None:
        if self.parent_id and self.parent and not self.code.startswith(self.parent.prefix):
            raise ValidationError({"code": _("区划代码必须以上级区划代码前缀开头")})


class Organisation(models.Model):
    """An organisation in the measurement system, by kind."""

    class Kind(models.TextChoices):
        NMI = "nmi", _("国家计量院")
        STATUTORY = "statutory", _("法定计量检定机构")
        AUTHORISED = "authorised", _("授权计量检定机构")
        CALIBRATION_LAB = "calibration_lab", _("校准实验室")
        ENTERPRISE = "enterprise", _("企业")
        REGULATOR = "regulator", _("市场监管部门")

    code = models.CharField(
        _("统一社会信用代码"), max_length=18, unique=True, validators=[credit_code_validator]
    )
    name = models.CharField(_("名称"), max_length=200)
    name_en = models.CharField(_("英文名称"), max_length=200, blank=True)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices, db_index=True)
    region = models.ForeignKey(Region, verbose_name=_("所在区划"), on_delete=models.PROTECT)
    address = models.CharField(_("地址"), max_length=300, blank=True)
    is_active = models.BooleanField(_("有效"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("机构")
        verbose_name_plural = _("机构")

    def __str__(self) -> str:
        return localised_name(self)

    @property
    def display_name(self) -> str:
        """The name in the page's language (:func:`localised_name`)."""
        return localised_name(self)


class Scope(SIQuantityModel):
    """Accreditation or authorisation scope (认可/授权范围) of an organisation."""

    QUANTITY_FIELDS = ("range_low", "range_high")
    DELTA_FIELDS = ("uncertainty",)
    range_low_si = si_field()
    range_high_si = si_field()
    uncertainty_si = si_field()

    class Kind(models.TextChoices):
        ACCREDITATION = "accreditation", _("认可 (CNAS)")
        AUTHORISATION = "authorisation", _("计量授权")
        STATUTORY = "statutory", _("法定检定")

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("机构"), on_delete=models.CASCADE, related_name="scopes"
    )
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    quantity = models.CharField(_("量"), max_length=40, choices=QUANTITY_CHOICES)
    instrument_category = models.CharField(_("器具类别"), max_length=60, blank=True)
    range_low = models.FloatField(_("下限"))
    range_high = models.FloatField(_("上限"))
    uncertainty = models.FloatField(_("最佳扩展不确定度 U"), null=True, blank=True)
    k = models.FloatField(_("包含因子 k"), default=2.0)
    reference = models.CharField(_("证书编号"), max_length=60, blank=True)
    valid_from = models.DateField(_("有效期起"))
    valid_to = models.DateField(_("有效期至"))

    class Meta:
        ordering = ["organisation_id", "quantity", "id"]
        verbose_name = _("能力范围")
        verbose_name_plural = _("能力范围")
        constraints = [
            models.CheckConstraint(
                condition=Q(range_low__lte=F("range_high")), name="scope_range_ordered"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__gte=F("valid_from")), name="scope_validity_ordered"
            ),
            models.CheckConstraint(
                condition=Q(uncertainty__isnull=True) | Q(uncertainty__gt=0),
                name="scope_uncertainty_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} · {self.get_quantity_display()}"

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            errors["valid_to"] = _("有效期至不得早于有效期起")
        if errors:
            raise ValidationError(errors)


class Person(models.Model):
    """A person working in the measurement system."""

    name = models.CharField(_("姓名"), max_length=100)
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("机构"), on_delete=models.PROTECT, related_name="people"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )
    title = models.CharField(_("职务"), max_length=100, blank=True)
    email = models.EmailField(_("电子邮件"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("人员")
        verbose_name_plural = _("人员")

    def __str__(self) -> str:
        return self.name


class Qualification(models.Model):
    """Qualification of a person, e.g. registered metrologist (注册计量师)."""

    class Kind(models.TextChoices):
        METROLOGIST_1 = "metrologist_1", _("一级注册计量师")
        METROLOGIST_2 = "metrologist_2", _("二级注册计量师")
        VERIFIER = "verifier", _("计量检定员")

    person = models.ForeignKey(
        Person, verbose_name=_("人员"), on_delete=models.CASCADE, related_name="qualifications"
    )
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    number = models.CharField(_("证书编号"), max_length=60, unique=True)
    specialty = models.CharField(_("专业"), max_length=100, blank=True)
    valid_from = models.DateField(_("有效期起"))
    valid_to = models.DateField(_("有效期至"))

    class Meta:
        ordering = ["person_id", "id"]
        verbose_name = _("资格")
        verbose_name_plural = _("资格")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__gte=F("valid_from")), name="qualification_validity_ordered"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.get_kind_display()}"

    def clean(self) -> None:
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": _("有效期至不得早于有效期起")})


class MeasurementStandard(SIQuantityModel):
    """Measurement standard (计量标准) with its level in the national hierarchy."""

    QUANTITY_FIELDS = ("range_low", "range_high")
    DELTA_FIELDS = ("uncertainty",)
    range_low_si = si_field()
    range_high_si = si_field()
    uncertainty_si = si_field()

    class Level(models.TextChoices):
        PRIMARY = "primary", _("计量基准")
        NATIONAL = "national", _("国家计量标准")
        PUBLIC = "public", _("社会公用计量标准")
        DEPARTMENT = "department", _("部门/行业计量标准")
        ENTERPRISE = "enterprise", _("企事业单位计量标准")

    class Status(models.TextChoices):
        ACTIVE = "active", _("在用")
        SUSPENDED = "suspended", _("暂停")
        RETIRED = "retired", _("撤销")

    code = models.CharField(_("标准编号"), max_length=60, unique=True)
    name = models.CharField(_("名称"), max_length=200)
    level = models.CharField(_("等级"), max_length=20, choices=Level.choices, db_index=True)
    quantity = models.CharField(_("量"), max_length=40, choices=QUANTITY_CHOICES, db_index=True)
    range_low = models.FloatField(_("测量范围下限"))
    range_high = models.FloatField(_("测量范围上限"))
    uncertainty = models.FloatField(_("扩展不确定度 U"))
    k = models.FloatField(_("包含因子 k"), default=2.0)
    owner = models.ForeignKey(
        Organisation, verbose_name=_("建标单位"), on_delete=models.PROTECT, related_name="standards"
    )
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default="active")
    certificate_no = models.CharField(
        _("计量标准考核证书号"), max_length=60, unique=True, null=True, blank=True
    )
    certificate_valid_from = models.DateField(_("证书有效期起"), null=True, blank=True)
    certificate_valid_to = models.DateField(_("证书有效期至"), null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("计量标准")
        verbose_name_plural = _("计量标准")
        constraints = [
            models.CheckConstraint(
                condition=Q(range_low__lte=F("range_high")), name="standard_range_ordered"
            ),
            models.CheckConstraint(
                condition=Q(uncertainty__gt=0), name="standard_uncertainty_positive"
            ),
            models.CheckConstraint(condition=Q(k__gte=1), name="standard_k_at_least_one"),
            models.CheckConstraint(
                condition=Q(certificate_valid_to__isnull=True)
                | Q(certificate_valid_from__isnull=True)
                | Q(certificate_valid_to__gte=F("certificate_valid_from")),
                name="standard_certificate_validity_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.uncertainty is not None and not self.uncertainty > 0:
            errors["uncertainty"] = _("不确定度必须为正数")
        if self.k is not None and self.k < 1:
            errors["k"] = _("包含因子 k 不得小于 1")
        if (
            self.certificate_valid_from
            and self.certificate_valid_to
            and self.certificate_valid_to < self.certificate_valid_from
        ):
            errors["certificate_valid_to"] = _("有效期至不得早于有效期起")
        if errors:
            raise ValidationError(errors)


class Instrument(SIQuantityModel):
    """Measuring instrument (计量器具) with a lifetime identifier (计量器具识别编码) and a UUID."""

    QUANTITY_FIELDS = ("range_low", "range_high")
    DELTA_FIELDS = ("mpe",)
    range_low_si = si_field()
    range_high_si = si_field()
    mpe_si = si_field()

    class Status(models.TextChoices):
        IN_USE = "in_use", _("在用")
        SUSPENDED = "suspended", _("停用")
        RETIRED = "retired", _("报废")

    class Use(models.TextChoices):
        TRADE = "trade_settlement", _("贸易结算")
        SAFETY = "safety_protection", _("安全防护")
        MEDICAL = "medical_care", _("医疗卫生")
        ENVIRONMENT = "environmental_monitoring", _("环境监测")
        OTHER = "other", _("其他")

    lifetime_id = models.CharField(
        _("器具识别编码"), max_length=32, unique=True, validators=[validate_lifetime]
    )
    uuid = models.UUIDField(_("UUID"), default=uuid.uuid4, unique=True, editable=False)
    category = models.CharField(_("类别"), max_length=60, db_index=True)
    name = models.CharField(_("名称"), max_length=200)
    model_name = models.CharField(_("型号"), max_length=100, blank=True)
    serial = models.CharField(_("出厂编号"), max_length=100, blank=True)
    manufacturer = models.CharField(_("制造商"), max_length=200, blank=True)
    quantity = models.CharField(_("量"), max_length=40, choices=QUANTITY_CHOICES, db_index=True)
    range_low = models.FloatField(_("测量范围下限"), null=True, blank=True)
    range_high = models.FloatField(_("测量范围上限"), null=True, blank=True)
    accuracy_class = models.CharField(_("准确度等级"), max_length=40, blank=True)
    mpe = models.FloatField(_("最大允许误差 MPE"), null=True, blank=True)
    owner = models.ForeignKey(
        Organisation,
        verbose_name=_("使用单位"),
        on_delete=models.PROTECT,
        related_name="instruments",
    )
    location = models.CharField(_("使用地点"), max_length=200, blank=True)
    region = models.ForeignKey(Region, verbose_name=_("所在区划"), on_delete=models.PROTECT)
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default="in_use", db_index=True
    )
    #: derived from the catalogue and the declared use on every save, never entered
    compulsory = models.BooleanField(
        _("列入强制管理目录"), default=False, db_index=True, editable=False
    )
    use = models.CharField(_("用途"), max_length=30, choices=Use.choices, default="other")
    installed_on = models.DateField(_("启用日期"), null=True, blank=True)

    class Meta:
        ordering = ["lifetime_id"]
        verbose_name = _("计量器具")
        verbose_name_plural = _("计量器具")
        constraints = [
            models.CheckConstraint(
                condition=Q(range_low__isnull=True)
                | Q(range_high__isnull=True)
                | Q(range_low__lte=F("range_high")),
                name="instrument_range_ordered",
            ),
            models.CheckConstraint(
                condition=Q(mpe__isnull=True) | Q(mpe__gt=0), name="instrument_mpe_positive"
            ),
        ]
        indexes = [models.Index(fields=["region", "category"])]

    def __str__(self) -> str:
        return f"{self.lifetime_id} {self.name}"

    def derive_compulsory(self) -> None:
        """Set ``compulsory`` from the catalogue (SAMR 2020 No. 42) and the declared use.

        Verification is compulsory when the category is a catalogue item under verification and
        the use is one of its compulsory uses (Metrology Law art. 9); nobody asserts it by hand.
        """
        self.compulsory = default_catalogue().is_compulsory(self.category, self.use)

    def save(self, *args, **kwargs):
        self.derive_compulsory()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.mpe is not None and not self.mpe > 0:
            errors["mpe"] = _("最大允许误差必须为正数")
        if errors:
            raise ValidationError(errors)


class ReferenceMaterial(SIQuantityModel):
    """Certified reference material (有证标准物质) with its GBW / GBW(E) number."""

    QUANTITY_FIELDS = ("certified_value",)
    DELTA_FIELDS = ("uncertainty",)
    certified_value_si = si_field()
    uncertainty_si = si_field()

    gbw_number = models.CharField(
        _("标准物质编号"), max_length=20, unique=True, validators=[gbw_validator]
    )
    name = models.CharField(_("名称"), max_length=200)
    quantity = models.CharField(_("量"), max_length=40, choices=QUANTITY_CHOICES)
    certified_value = models.FloatField(_("认定值"))
    uncertainty = models.FloatField(_("扩展不确定度 U"))
    k = models.FloatField(_("包含因子 k"), default=2.0)
    producer = models.ForeignKey(
        Organisation,
        verbose_name=_("研制单位"),
        on_delete=models.PROTECT,
        related_name="reference_materials",
    )
    expiry = models.DateField(_("有效期至"))

    class Meta:
        ordering = ["gbw_number"]
        verbose_name = _("标准物质")
        verbose_name_plural = _("标准物质")
        constraints = [
            models.CheckConstraint(condition=Q(uncertainty__gt=0), name="rm_uncertainty_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.gbw_number} {self.name}"

    def clean(self) -> None:
        super().clean()
        if self.uncertainty is not None and not self.uncertainty > 0:
            raise ValidationError({"uncertainty": _("不确定度必须为正数")})


class CMC(SIQuantityModel):
    """Calibration and measurement capability in the shape of a BIPM KCDB record."""

    QUANTITY_FIELDS = ("range_low", "range_high")
    DELTA_FIELDS = ("uncertainty",)
    range_low_si = si_field()
    range_high_si = si_field()
    uncertainty_si = si_field()

    kcdb_id = models.CharField(_("KCDB 编号"), max_length=60, unique=True, null=True, blank=True)
    provider = models.ForeignKey(
        Organisation, verbose_name=_("提供机构"), on_delete=models.PROTECT, related_name="cmcs"
    )
    metrology_area = models.CharField(_("计量领域"), max_length=100, blank=True)
    quantity = models.CharField(_("量"), max_length=40, choices=QUANTITY_CHOICES, db_index=True)
    service = models.CharField(_("服务/仪器"), max_length=200, blank=True)
    range_low = models.FloatField(_("范围下限"))
    range_high = models.FloatField(_("范围上限"))
    uncertainty = models.FloatField(_("扩展不确定度 U"), null=True, blank=True)
    uncertainty_equation = models.CharField(_("不确定度公式"), max_length=200, blank=True)
    k = models.FloatField(_("包含因子 k"), default=2.0)
    confidence_level = models.FloatField(_("包含概率"), default=0.95)

    class Meta:
        ordering = ["provider_id", "quantity", "id"]
        verbose_name = _("校准测量能力 CMC")
        verbose_name_plural = _("校准测量能力 CMC")
        constraints = [
            models.CheckConstraint(
                condition=Q(range_low__lte=F("range_high")), name="cmc_range_ordered"
            ),
            models.CheckConstraint(
                condition=(Q(uncertainty__gt=0) | ~Q(uncertainty_equation="")),
                name="cmc_uncertainty_given",
            ),
            models.CheckConstraint(
                condition=Q(confidence_level__gt=0) & Q(confidence_level__lt=1),
                name="cmc_confidence_level_open_unit",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} · {self.get_quantity_display()} {self.service}"

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.uncertainty is None and not self.uncertainty_equation:
            errors["uncertainty"] = _("需给出扩展不确定度或不确定度公式")
        elif self.uncertainty is not None and not self.uncertainty > 0:
            errors["uncertainty"] = _("不确定度必须为正数")
        if errors:
            raise ValidationError(errors)


#: the registry's decision-rule codes → the core's rule kinds
RULE_KINDS = {
    "simple_acceptance": RuleKind.SIMPLE_ACCEPTANCE,
    "shared_risk": RuleKind.SHARED_RISK,
    "guarded_acceptance": RuleKind.GUARDED_ACCEPTANCE,
    "guarded_rejection": RuleKind.GUARDED_REJECTION,
    "non_binary": RuleKind.NON_BINARY,
}


class CalibrationEvent(SIQuantityModel):
    """A calibration or verification (校准/检定) of an instrument, standard or reference
    material."""

    QUANTITY_FIELDS = ("result_value", "nominal_value")
    DELTA_FIELDS = ("result_uncertainty",)
    result_value_si = si_field()
    result_uncertainty_si = si_field()
    nominal_value_si = si_field()

    class Kind(models.TextChoices):
        CALIBRATION = "calibration", _("校准")
        VERIFICATION = "verification", _("检定")

    class Conformity(models.TextChoices):
        PASS = "pass", _("合格")
        FAIL = "fail", _("不合格")
        INCONCLUSIVE = "inconclusive", _("无法判定")
        NONE = "none", _("未作判定")

    class DecisionRule(models.TextChoices):
        """Decision rules of ILAC-G8:09/2019 §4.2 (:class:`jiliang.core.conformity.RuleKind`)."""

        SIMPLE_ACCEPTANCE = "simple_acceptance", _("简单接受")
        SHARED_RISK = "shared_risk", _("风险共担")
        GUARDED_ACCEPTANCE = "guarded_acceptance", _("保护带接受")
        GUARDED_REJECTION = "guarded_rejection", _("保护带拒绝")
        NON_BINARY = "non_binary", _("非二元判定")

    certificate_no = models.CharField(_("证书编号"), max_length=60, unique=True)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    instrument = models.ForeignKey(
        Instrument,
        verbose_name=_("被校器具"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="calibrations",
    )
    standard = models.ForeignKey(
        MeasurementStandard,
        verbose_name=_("被校标准"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="calibrations",
    )
    reference_material = models.ForeignKey(
        ReferenceMaterial,
        verbose_name=_("被测标准物质"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="calibrations",
    )
    standards_used = models.ManyToManyField(
        MeasurementStandard, verbose_name=_("所用计量标准"), blank=True, related_name="used_in"
    )
    reference_materials_used = models.ManyToManyField(
        ReferenceMaterial, verbose_name=_("所用标准物质"), blank=True, related_name="used_in"
    )
    performed_by = models.ForeignKey(
        Organisation,
        verbose_name=_("执行机构"),
        on_delete=models.PROTECT,
        related_name="calibrations_performed",
    )
    performed_by_person = models.ForeignKey(
        Person, verbose_name=_("检定/校准人员"), null=True, blank=True, on_delete=models.SET_NULL
    )
    performed_on = models.DateField(_("检定/校准日期"), db_index=True)
    issued_on = models.DateField(_("发证日期"))
    due_on = models.DateField(_("有效期至/下次到期"), null=True, blank=True, db_index=True)
    result_value = models.FloatField(_("结果值"), null=True, blank=True)
    result_uncertainty = models.FloatField(_("扩展不确定度 U"), null=True, blank=True)
    k = models.FloatField(_("包含因子 k"), default=2.0)
    conformity = models.CharField(
        _("符合性结论"), max_length=20, choices=Conformity.choices, default="none"
    )
    nominal_value = models.FloatField(_("标称值/参考值"), null=True, blank=True)
    decision_rule = models.CharField(
        _("判定规则"), max_length=30, choices=DecisionRule.choices, blank=True, default=""
    )
    guard_band = models.FloatField(_("保护带系数 r（w = r·U）"), default=0.0)
    withdrawn = models.BooleanField(_("已撤回"), default=False)

    class Meta:
        ordering = ["-performed_on", "certificate_no"]
        verbose_name = _("检定/校准记录")
        verbose_name_plural = _("检定/校准记录")
        constraints = [
            models.CheckConstraint(
                condition=Q(issued_on__gte=F("performed_on")), name="event_issued_after_performed"
            ),
            models.CheckConstraint(
                condition=Q(due_on__isnull=True) | Q(due_on__gt=F("performed_on")),
                name="event_due_after_performed",
            ),
            models.CheckConstraint(
                condition=Q(result_uncertainty__isnull=True) | Q(result_uncertainty__gt=0),
                name="event_uncertainty_positive",
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        instrument__isnull=False,
                        standard__isnull=True,
                        reference_material__isnull=True,
                    )
                    | Q(
                        instrument__isnull=True,
                        standard__isnull=False,
                        reference_material__isnull=True,
                    )
                    | Q(
                        instrument__isnull=True,
                        standard__isnull=True,
                        reference_material__isnull=False,
                    )
                ),
                name="event_exactly_one_item",
            ),
        ]

    def __str__(self) -> str:
        return self.certificate_no

    def decision(self) -> Decision | None:
        """The statement of conformity the core derives (ILAC-G8:09/2019 via
        :func:`jiliang.core.conformity.decide`) from the result, its U and k, the tolerance
        nominal ± MPE of the instrument (in SI) and the recorded decision rule; ``None`` when one
        of them is missing. ``ConformityError`` names the field at fault."""
        inst = self.instrument if self.instrument_id else None
        needed = (self.result_value_si, self.result_uncertainty_si, self.nominal_value_si)
        if not self.decision_rule or inst is None or inst.mpe_si is None or None in needed:
            return None
        rule = CoreRule(RULE_KINDS[self.decision_rule], self.guard_band or 0.0)
        tolerance = Tolerance.symmetric(self.nominal_value_si, inst.mpe_si)
        return decide(
            self.result_value_si, self.result_uncertainty_si, tolerance, rule, k=self.k or 2.0
        )

    def derived_conformity(self) -> str | None:
        """pass / fail / inconclusive (a conditional verdict) from :meth:`decision`, if any."""
        decision = self.decision()
        if decision is None:
            return None
        return {
            Verdict.PASS: self.Conformity.PASS,
            Verdict.FAIL: self.Conformity.FAIL,
        }.get(decision.verdict, self.Conformity.INCONCLUSIVE)

    @property
    def is_internal(self) -> bool:
        """An internal calibration (内部校准): the owner calibrated its own instrument. It is never
        a verification and counts in no compulsory-verification figure."""
        return bool(
            self.instrument_id
            and self.instrument.owner_id == self.performed_by_id
            and self.kind == self.Kind.CALIBRATION
        )

    @property
    def item(self) -> Instrument | MeasurementStandard | ReferenceMaterial | None:
        return self.instrument or self.standard or self.reference_material

    def is_valid_on(self, day: date) -> bool:
        return (
            not self.withdrawn
            and self.performed_on <= day
            and (self.due_on is None or day <= self.due_on)
        )

    def clean(self) -> None:
        super().clean()
        errors = {}
        items = [self.instrument_id, self.standard_id, self.reference_material_id]
        if sum(i is not None for i in items) != 1:
            errors["instrument"] = _("须且只能指定一个被校对象（器具、标准或标准物质）")
        if self.performed_on and self.issued_on and self.issued_on < self.performed_on:
            errors["issued_on"] = _("发证日期不得早于检定/校准日期")
        if self.performed_on and self.due_on and self.due_on <= self.performed_on:
            errors["due_on"] = _("有效期至必须晚于检定/校准日期")
        if self.result_uncertainty is not None and not self.result_uncertainty > 0:
            errors["result_uncertainty"] = _("不确定度必须为正数")
        if not errors:
            errors.update(self._conformity_errors())
        if errors:
            raise ValidationError(errors)

    def _conformity_errors(self) -> dict:
        """A recorded decision rule makes the verdict the core's: a contradicting one typed in
        is refused (never silently replaced), a missing one is filled in by :meth:`save`."""
        self.compute_si()
        try:
            derived = self.derived_conformity()
        except ConformityError as exc:
            where = {"rule.r": "guard_band", "mpe": "instrument"}
            field = where.get(exc.field, "decision_rule")
            return {field: str(exc)}
        if derived is not None and self.conformity not in (derived, self.Conformity.NONE):
            return {
                "conformity": _("按记录的判定规则，结论应为“%(d)s”")
                % {"d": self.Conformity(derived).label}
            }
        return {}

    def clean_fields(self, exclude=None):
        # NFKC and no invisible/confusable characters before the field validators see it
        if self.certificate_no:
            try:
                self.certificate_no = normalise_certificate_no(self.certificate_no)
            except IdentifierError as exc:
                raise ValidationError({"certificate_no": str(exc)}) from None
        super().clean_fields(exclude)

    def save(self, *args, **kwargs):
        try:
            self.certificate_no = normalise_certificate_no(self.certificate_no)
        except IdentifierError as exc:
            raise ValidationError({"certificate_no": str(exc)}) from None
        self.compute_si()
        try:
            derived = self.derived_conformity()
        except ConformityError:
            derived = None  # clean() names the field; saves outside forms keep what was given
        if derived is not None:
            self.conformity = derived
        super().save(*args, **kwargs)
