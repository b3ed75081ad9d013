"""Transformer areas (台区), their meters, readings, ingest batches and estimation runs.

Energies in kW·h (cumulative registers), errors relative (0.01 = 1 %), times UTC and aware.
Meters are registry :class:`~jiliang.platform.registry.models.Instrument` rows.

Audit: areas, assignments, batches, runs and estimates are audited row by row. Readings are
not: at 10⁶ meters × 24 readings a day one ``AuditEntry`` per reading would dwarf the data, so
each accepted batch is audited once as an :class:`IngestBatch` row carrying the SHA-256 of the
canonical batch and of the rows it stored (``accepted_digest``), and that entry's hash goes to
the transparency log; :func:`.services.batch_intact` recomputes the digest from the stored
readings, so a reading edited behind the platform's back is detectable per batch.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from jiliang.platform.registry.models import Instrument, Organisation, Region


class Area(models.Model):
    """A low-voltage transformer area (台区): one summary meter (总表) and the users' meters."""

    code = models.CharField(_("台区编号"), max_length=64, unique=True)
    name = models.CharField(_("台区名称"), max_length=200)
    region = models.ForeignKey(Region, verbose_name=_("所在区划"), on_delete=models.PROTECT)
    summary_meter = models.OneToOneField(
        Instrument,
        verbose_name=_("台区总表"),
        on_delete=models.PROTECT,
        related_name="summary_of_area",
    )
    owner = models.ForeignKey(
        Organisation,
        verbose_name=_("供电企业"),
        on_delete=models.PROTECT,
        related_name="monitoring_areas",
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("台区")
        verbose_name_plural = _("台区")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class AreaMeter(models.Model):
    """A user meter's membership of an area (户变关系) from ``valid_from`` until ``valid_to``.

    A meter belongs to one area at a time: at most one open membership per instrument.
    """

    area = models.ForeignKey(
        Area, verbose_name=_("台区"), on_delete=models.PROTECT, related_name="memberships"
    )
    instrument = models.ForeignKey(
        Instrument,
        verbose_name=_("电能表"),
        on_delete=models.PROTECT,
        related_name="area_memberships",
    )
    valid_from = models.DateTimeField(_("起始时间"))
    valid_to = models.DateTimeField(_("终止时间"), null=True, blank=True)

    class Meta:
        ordering = ["area", "instrument", "valid_from"]
        verbose_name = _("台区电能表")
        verbose_name_plural = _("台区电能表")
        constraints = [
            models.UniqueConstraint(
                fields=["instrument"],
                condition=Q(valid_to__isnull=True),
                name="areameter_one_open_membership",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=F("valid_from")),
                name="areameter_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.area.code} ← {self.instrument.lifetime_id}"


class IngestBatch(models.Model):
    """One accepted ingest batch (readings or events), audited once instead of every row."""

    class Kind(models.TextChoices):
        READINGS = "readings", _("读数")
        EVENTS = "events", _("设备事件")

    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, default="readings")
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("报送单位"), on_delete=models.PROTECT
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("报送账号"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    digest = models.CharField(_("批次 SHA-256"), max_length=64)
    accepted_digest = models.CharField(_("入库记录 SHA-256"), max_length=64)
    count = models.PositiveIntegerField(_("新入库条数"))
    rows = models.PositiveIntegerField(_("批次条数"))
    result = models.JSONField(_("处理结果"))
    received_at = models.DateTimeField(_("接收时间"))

    class Meta:
        ordering = ["-id"]
        verbose_name = _("报送批次")
        verbose_name_plural = _("报送批次")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "kind", "digest"], name="ingestbatch_once_per_org"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.digest[:12]} ({self.count}/{self.rows})"


class Reading(models.Model):
    """A cumulative energy register (kW·h) of a meter at an instant (UTC, aware)."""

    instrument = models.ForeignKey(
        Instrument, verbose_name=_("电能表"), on_delete=models.PROTECT, related_name="readings"
    )
    timestamp = models.DateTimeField(_("时间"))
    register = models.FloatField(_("示值 (kW·h)"))
    batch = models.ForeignKey(
        IngestBatch,
        verbose_name=_("报送批次"),
        null=True,
        on_delete=models.PROTECT,
        related_name="readings",
    )

    class Meta:
        ordering = ["instrument", "timestamp"]
        verbose_name = _("读数")
        verbose_name_plural = _("读数")
        constraints = [
            models.UniqueConstraint(
                fields=["instrument", "timestamp"], name="reading_once_per_instant"
            ),
            models.CheckConstraint(condition=Q(register__gte=0), name="reading_register_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id}@{self.timestamp.isoformat()} {self.register:g} kWh"


class EstimationRun(models.Model):
    """One estimation of an area over [period_start, period_end) with its parameters."""

    class Status(models.TextChoices):
        RUNNING = "running", _("计算中")
        DONE = "done", _("完成")
        NOT_USABLE = "not_usable", _("数据不可用")
        FAILED = "failed", _("失败")

    area = models.ForeignKey(
        Area, verbose_name=_("台区"), on_delete=models.PROTECT, related_name="runs"
    )
    parameters = models.JSONField(_("参数"))
    code_version = models.CharField(_("程序版本"), max_length=40)
    period_start = models.DateTimeField(_("起始时间"))
    period_end = models.DateTimeField(_("终止时间"))
    started_at = models.DateTimeField(_("开始计算"))
    finished_at = models.DateTimeField(_("完成计算"), null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default="running", db_index=True
    )
    message = models.TextField(_("说明"), blank=True)
    summary = models.JSONField(_("结果摘要"), default=dict)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("误差估计运行")
        verbose_name_plural = _("误差估计运行")
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gt=F("period_start")), name="run_period_ordered"
            )
        ]

    def __str__(self) -> str:
        return f"{self.area.code} {self.period_start:%Y-%m-%d}–{self.period_end:%Y-%m-%d}"


class MeterEstimate(models.Model):
    """One meter's ê ± U and verdict in a run (error and u relative; U = k·u)."""

    class Verdict(models.TextChoices):
        CONFORMING = "conforming", _("合格")
        OUT_OF_TOLERANCE = "out_of_tolerance", _("失准")
        INCONCLUSIVE = "inconclusive", _("需现场核查")
        NOT_IDENTIFIABLE = "not_identifiable", _("不可辨识")
        NO_CLASS = "no_class", _("准确度等级未登记")

    run = models.ForeignKey(
        EstimationRun, verbose_name=_("运行"), on_delete=models.CASCADE, related_name="estimates"
    )
    instrument = models.ForeignKey(
        Instrument, verbose_name=_("电能表"), on_delete=models.PROTECT, related_name="+"
    )
    error = models.FloatField(_("误差估计 ê"), null=True, blank=True)
    u = models.FloatField(_("标准不确定度 u(ê)"), null=True, blank=True)
    expanded_uncertainty = models.FloatField(_("扩展不确定度 U"), null=True, blank=True)
    share = models.FloatField(_("电量占比"), null=True, blank=True)
    accuracy_class = models.CharField(_("准确度等级"), max_length=40, blank=True)
    mpe = models.FloatField(_("最大允许误差 MPE"), null=True, blank=True)
    status = models.CharField(_("估计状态"), max_length=20)
    verdict = models.CharField(_("判定"), max_length=20, choices=Verdict.choices)
    reason = models.TextField(_("原因"), blank=True)

    class Meta:
        ordering = ["run", "instrument__lifetime_id"]
        verbose_name = _("电能表误差估计")
        verbose_name_plural = _("电能表误差估计")
        constraints = [
            models.UniqueConstraint(fields=["run", "instrument"], name="estimate_once_per_run")
        ]

    def __str__(self) -> str:
        return f"run {self.run_id}: {self.instrument_id} {self.verdict}"


class TypeSoftware(models.Model):
    """The legally relevant software of an approved meter type (型式批准), WELMEC 7.2 / OIML D 31:
    the permitted versions and their checksums; meters of ``model_name`` are checked against it.
    """

    approval = models.CharField(_("型式批准证书编号"), max_length=64, unique=True)
    model_name = models.CharField(_("型号"), max_length=100, unique=True)
    algorithm = models.CharField(_("校验算法"), max_length=20)
    versions = models.JSONField(_("批准的软件版本与校验值"))

    class Meta:
        ordering = ["approval"]
        verbose_name = _("批准型式软件")
        verbose_name_plural = _("批准型式软件")

    def __str__(self) -> str:
        return f"{self.approval} {self.model_name}"


class DeviceEvent(models.Model):
    """A device event (设备事件) of a meter: tamper, parameter change, power, clock, software ID.

    Like readings, events are audited per accepted batch (:class:`IngestBatch`), not per row.
    """

    instrument = models.ForeignKey(
        Instrument, verbose_name=_("电能表"), on_delete=models.PROTECT, related_name="events"
    )
    timestamp = models.DateTimeField(_("时间"))
    kind = models.CharField(_("事件类型"), max_length=30)
    payload = models.JSONField(_("事件内容"), default=dict)
    batch = models.ForeignKey(
        IngestBatch,
        verbose_name=_("报送批次"),
        null=True,
        on_delete=models.PROTECT,
        related_name="events",
    )

    class Meta:
        ordering = ["instrument", "timestamp", "kind"]
        verbose_name = _("设备事件")
        verbose_name_plural = _("设备事件")
        constraints = [
            models.UniqueConstraint(
                fields=["instrument", "timestamp", "kind"], name="event_once_per_instant"
            )
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id}@{self.timestamp.isoformat()} {self.kind}"


class Alarm(models.Model):
    """An alarm raised by :func:`jiliang.core.monitoring.events.evaluate` (audited)."""

    key = models.CharField(_("告警标识"), max_length=300, unique=True)
    instrument = models.ForeignKey(
        Instrument, verbose_name=_("电能表"), on_delete=models.PROTECT, related_name="alarms"
    )
    kind = models.CharField(_("告警类型"), max_length=40, db_index=True)
    severity = models.CharField(_("严重程度"), max_length=10)
    action = models.CharField(_("建议处置"), max_length=20)
    reason_zh = models.TextField(_("原因"))
    reason_en = models.TextField(_("原因（英文）"))
    first = models.DateTimeField(_("首次"))
    last = models.DateTimeField(_("最近"))
    evidence = models.JSONField(_("依据事件"))
    tamper = models.BooleanField(_("涉及篡改"), default=False)
    #: set when a verified replacement supersedes the alarm (its work order closed it)
    resolved_at = models.DateTimeField(_("解除时间"), null=True, blank=True)

    class Meta:
        ordering = ["-last", "key"]
        verbose_name = _("告警")
        verbose_name_plural = _("告警")

    def __str__(self) -> str:
        return self.key


class WorkOrder(models.Model):
    """A work order (工单) raised from an :class:`Alarm` or a :class:`MeterEstimate` verdict.

    The state machine is :mod:`jiliang.core.monitoring.workorders` (open → assigned → done →
    verified, rework, cancel): ``history`` holds the core's transition records (canonical
    dicts, each with the SHA-256 of the previous one), ``state`` and the other columns are their
    projection. Every change is one audited save, so every transition reaches the transparency
    log. Who may do which transition is :mod:`.workorders` (authority, not ownership).
    """

    class Kind(models.TextChoices):
        ON_SITE_CHECK = "on_site_check", _("现场核查")
        REPLACEMENT = "replacement", _("更换")

    class State(models.TextChoices):
        OPEN = "open", _("待派工")
        ASSIGNED = "assigned", _("已派工")
        DONE = "done", _("已完成")
        VERIFIED = "verified", _("已复核")
        CANCELLED = "cancelled", _("已撤销")

    #: states in which an order is still open (not verified, not cancelled)
    OPEN_STATES = ("open", "assigned", "done")

    number = models.CharField(_("工单编号"), max_length=40, unique=True)
    kind = models.CharField(_("工单类型"), max_length=20, choices=Kind.choices)
    instrument = models.ForeignKey(
        Instrument, verbose_name=_("电能表"), on_delete=models.PROTECT, related_name="work_orders"
    )
    alarm = models.ForeignKey(
        Alarm,
        verbose_name=_("告警"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="work_orders",
    )
    estimate = models.ForeignKey(
        MeterEstimate,
        verbose_name=_("误差估计"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="work_orders",
    )
    reason = models.TextField(_("原因"))
    state = models.CharField(
        _("状态"), max_length=12, choices=State.choices, default="open", db_index=True
    )
    assignee = models.ForeignKey(
        Organisation,
        verbose_name=_("承办单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="monitoring_work_orders",
    )
    new_meter = models.ForeignKey(
        Instrument,
        verbose_name=_("新装电能表"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    notes = models.TextField(_("处理结果"), blank=True)
    post_check = models.JSONField(_("换表后核查"), null=True, blank=True)
    completed_by = models.CharField(_("完成人"), max_length=150, blank=True)
    history = models.JSONField(_("流转记录"), default=list)
    opened_at = models.DateTimeField(_("创建时间"))
    updated_at = models.DateTimeField(_("更新时间"))

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("工单")
        verbose_name_plural = _("工单")
        constraints = [
            models.UniqueConstraint(
                fields=["alarm"],
                condition=Q(state__in=["open", "assigned", "done"]),
                name="workorder_one_open_per_alarm",
            ),
            models.UniqueConstraint(
                fields=["estimate"],
                condition=Q(state__in=["open", "assigned", "done"]),
                name="workorder_one_open_per_estimate",
            ),
            models.CheckConstraint(
                condition=Q(alarm__isnull=False) | Q(estimate__isnull=False),
                name="workorder_has_ground",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.kind} {self.state}"
