"""The record queries behind the plan indicators (指标口径): one function per formula name.

Every function of :data:`QUERIES` takes ``(region_prefix, as_of)`` — a GB/T 2260 code prefix
("33" a province, "3302" a city, "330203" a county) and the reporting date — and returns an
:class:`IndicatorResult`, which unpacks as ``(value, record_count, description, records)``:

* ``value`` — the figure in the indicator's unit (:data:`UNITS`), None when there are no records
  to compute it from;
* ``record_count`` — how many records the figure rests on (standards counted, filings in the
  coverage, scopes considered …);
* ``description`` — the query in words (口径): the core's sentence
  (:data:`jiliang.core.indicators.definitions.FORMULAS`) and what the platform selects;
* ``records`` — the queryset of the records behind the figure, or the URL of the page that
  lists them (coverage pages), or None.

Counts are aggregated by the database (``COUNT``/``EXISTS``); no row is iterated in Python. The
two coverage figures reuse what already computes them: verification coverage is
:func:`jiliang.platform.supervision.services.coverage` (its rules from
:mod:`jiliang.core.legal.coverage`), capability coverage is
:func:`jiliang.core.legal.coverage.capability_coverage` over the region's authorised scopes, and
traceability coverage is :func:`jiliang.core.traceability.coverage.coverage` of the engine.
The platform computes no metrological number itself: it counts and divides.

Time: "in force on ``as_of``" uses the dates the records carry (certificate validity of a
standard, expiry of a reference material, validity of a scope, the dates of a credit mark); a
record's status (a standard retired today) is its current one — records keep no status history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_noop

from jiliang.core.indicators.definitions import FORMULAS
from jiliang.core.legal import coverage as cov
from jiliang.platform.registry import models as m
from jiliang.platform.supervision import services as supervision
from jiliang.platform.supervision.models import CreditMark

#: unit of each formula's figure (one of :data:`jiliang.core.indicators.definitions.UNITS`)
UNITS: dict[str, str] = {
    "public_standards": "count",
    "highest_standards": "count",
    "primary_standards": "count",
    "cmcs": "count",
    "reference_materials": "count",
    "honest_demonstration_units": "count",
    "verification_coverage": "%",
    "verification_capability_coverage": "%",
    "traceability_coverage": "%",
    "local_specifications": "count",
    "energy_metering_rate": "%",
    "comparison_participation": "count",
}

#: what the platform selects for each formula (appended to the core's sentence); Chinese is the
#: canonical text stored in snapshots, pages translate it (gettext_noop marks it for the catalogue)
DETAILS: dict[str, str] = {
    "public_standards": gettext_noop(
        "平台口径：建标单位在本区域内、等级为社会公用、状态在用，且考核证书在统计日有效"
        "（未登记证书日期的按有效计）"
    ),
    "highest_standards": gettext_noop(
        "平台口径：本区域在用的社会公用计量标准中，截至统计日未由本区域其他社会公用计量标准"
        "检定/校准的（本区域量值传递的顶端）"
    ),
    "primary_standards": gettext_noop(
        "平台口径：保存单位在本区域内、等级为计量基准、状态在用，且证书在统计日有效"
    ),
    "cmcs": gettext_noop("平台口径：提供机构在本区域内的 CMC 条目"),
    "reference_materials": gettext_noop(
        "平台口径：研制单位在本区域内、有效期至不早于统计日的有证标准物质"
    ),
    "honest_demonstration_units": gettext_noop(
        "平台口径：本区域内在统计日处于示范期（起始日不晚于统计日、未撤销或撤销日晚于统计日）"
        "的诚信计量示范单位数（按单位计）"
    ),
    "verification_coverage": gettext_noop(
        "平台口径：强检监管看板的按期检定率（在用备案的强检器具，规则见强制管理目录）"
    ),
    "verification_capability_coverage": gettext_noop(
        "平台口径：强制检定目录项目中，本区域内有效机构持有在统计日有效的计量授权或法定检定"
        "范围的项目所占比例；其余项目为能力空白"
    ),
    "traceability_coverage": gettext_noop(
        "平台口径：建标单位在本区域内的计量标准中，溯源引擎判定溯源链完整的比例（统计日）"
    ),
    "local_specifications": gettext_noop(
        "平台口径：计量技术规范登记中，发布区划在本区域内、类型为地方计量检定规程或地方计量技术"
        "规范、在统计日现行（已实施且未废止）的版本数"
    ),
    "energy_metering_rate": gettext_noop(
        "平台口径：所在区划在本区域内的重点用能单位，各取统计日前最近一次经监管部门核实的能源计量"
        "器具配备调查，主要用能设备级的实际配备数之和 / 理论需要量之和（单位自行填报未核实的不计）"
    ),
    "comparison_participation": gettext_noop(
        "平台口径：参加机构在本区域内、在统计日（含）前已提交结果的比对与能力验证参加次数"
        "（每项比对每家机构计一次）"
    ),
    "manual": gettext_noop("平台口径：统计日前最近一次人工填报的数值（附证明材料）"),
}


@dataclass(frozen=True)
class IndicatorResult:
    """A computed figure; iterates as ``(value, record_count, description, records)``."""

    value: float | int | None
    record_count: int
    description: str
    records: QuerySet | str | None
    #: the capability gap list (catalogue items nobody in the region may verify), item codes
    gaps: tuple[str, ...] = ()
    #: True when no record kind exists yet to compute the figure from
    no_records: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def __iter__(self):
        return iter((self.value, self.record_count, self.description, self.records))


def describe(formula: str) -> str:
    """The canonical 口径 of a formula: the core's sentence and the platform's selection."""
    return f"{FORMULAS[formula]}；{DETAILS[formula]}"


def region_code(prefix: str) -> str:
    """The region code a prefix stands for ("33" → "330000", "3302" → "330200")."""
    return prefix.ljust(6, "0")


def _check(prefix: str, as_of: dt.date) -> None:
    if not isinstance(prefix, str) or not prefix.isdigit() or len(prefix) not in (2, 4, 6):
        raise ValueError(f"region: {prefix!r} is not a GB/T 2260 code prefix (2, 4 or 6 digits)")
    if isinstance(as_of, dt.datetime) or not isinstance(as_of, dt.date):
        raise ValueError(f"as_of: {as_of!r} is not a date")


def _in_force(as_of: dt.date, start: str, end: str) -> Q:
    """Dates ``start``..``end`` contain ``as_of`` (a missing date does not exclude)."""
    return (Q(**{f"{start}__isnull": True}) | Q(**{f"{start}__lte": as_of})) & (
        Q(**{f"{end}__isnull": True}) | Q(**{f"{end}__gte": as_of})
    )


def _standards(prefix: str, as_of: dt.date, level: str) -> QuerySet:
    return m.MeasurementStandard.objects.filter(
        _in_force(as_of, "certificate_valid_from", "certificate_valid_to"),
        level=level,
        status=m.MeasurementStandard.Status.ACTIVE,
        owner__region__code__startswith=prefix,
    )


def _count(formula: str, qs: QuerySet) -> IndicatorResult:
    n = qs.count()
    return IndicatorResult(n, n, describe(formula), qs)


def public_standards(prefix: str, as_of: dt.date) -> IndicatorResult:
    """社会公用计量标准数 (count)."""
    _check(prefix, as_of)
    return _count("public_standards", _standards(prefix, as_of, "public"))


def highest_standards(prefix: str, as_of: dt.date) -> IndicatorResult:
    """地区最高计量标准数 (count): public standards of the region at the top of its transfer chain
    — none of their calibrations up to ``as_of`` used another public standard of the region."""
    _check(prefix, as_of)
    inside = m.CalibrationEvent.objects.filter(
        standard=OuterRef("pk"),
        withdrawn=False,
        performed_on__lte=as_of,
        standards_used__level=m.MeasurementStandard.Level.PUBLIC,
        standards_used__owner__region__code__startswith=prefix,
    )
    qs = _standards(prefix, as_of, "public").filter(~Exists(inside))
    return _count("highest_standards", qs)


def primary_standards(prefix: str, as_of: dt.date) -> IndicatorResult:
    """国家计量基准数 (count)."""
    _check(prefix, as_of)
    return _count("primary_standards", _standards(prefix, as_of, "primary"))


def cmcs(prefix: str, as_of: dt.date) -> IndicatorResult:
    """CMC entries of providers in the region (count)."""
    _check(prefix, as_of)
    return _count("cmcs", m.CMC.objects.filter(provider__region__code__startswith=prefix))


def reference_materials(prefix: str, as_of: dt.date) -> IndicatorResult:
    """有证标准物质数 (count): produced in the region, not expired on ``as_of``."""
    _check(prefix, as_of)
    qs = m.ReferenceMaterial.objects.filter(
        producer__region__code__startswith=prefix, expiry__gte=as_of
    )
    return _count("reference_materials", qs)


def honest_demonstration_units(prefix: str, as_of: dt.date) -> IndicatorResult:
    """诚信计量示范单位数 (count of organisations with a demonstration mark in force)."""
    _check(prefix, as_of)
    qs = CreditMark.objects.filter(
        Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gt=as_of),
        kind=CreditMark.Kind.DEMONSTRATION,
        since__lte=as_of,
        organisation__region__code__startswith=prefix,
    )
    n = qs.values("organisation_id").distinct().count()
    return IndicatorResult(n, n, describe("honest_demonstration_units"), qs)


def verification_coverage(prefix: str, as_of: dt.date) -> IndicatorResult:
    """强检计量器具检定覆盖率 (%): the supervision dashboard's on-time share."""
    _check(prefix, as_of)
    report = supervision.coverage(prefix, as_of)
    value = 100 * report.on_time / report.total if report.total else None
    return IndicatorResult(
        value,
        report.total,
        describe("verification_coverage"),
        reverse("supervision:dashboard"),
        extra={"on_time": report.on_time, "total": report.total},
    )


def capability_scopes(prefix: str, as_of: dt.date) -> QuerySet:
    """Authorisation/statutory scopes valid on ``as_of`` of active institutions in the region
    covering a catalogue item under compulsory verification."""
    return m.Scope.objects.filter(
        kind__in=[m.Scope.Kind.AUTHORISATION, m.Scope.Kind.STATUTORY],
        valid_from__lte=as_of,
        valid_to__gte=as_of,
        organisation__is_active=True,
        organisation__region__code__startswith=prefix,
        instrument_category__in=supervision.catalogue().verification_codes(),
    )


def verification_capability_coverage(prefix: str, as_of: dt.date) -> IndicatorResult:
    """强检计量器具检定能力覆盖率 (%) and the gap list (items nobody in the region may verify)."""
    _check(prefix, as_of)
    qs = capability_scopes(prefix, as_of)
    items = qs.order_by().values_list("instrument_category", flat=True).distinct()
    code = region_code(prefix)
    (share,) = cov.capability_coverage(
        supervision.catalogue(), [(code, item) for item in items], [code]
    )
    total = len(share.covered) + len(share.missing)
    value = 100 * len(share.covered) / total if total else None
    return IndicatorResult(
        value,
        qs.count(),
        describe("verification_capability_coverage"),
        qs,
        gaps=share.missing,
        extra={"covered": list(share.covered), "items": total},
    )


def traceability_coverage(prefix: str, as_of: dt.date) -> IndicatorResult:
    """量值溯源覆盖率 (%): traceable standards of owners in the region (the core traceability
    engine over the standards, :mod:`.tracing`)."""
    from jiliang.core.traceability.coverage import coverage

    from .tracing import standards_engine

    _check(prefix, as_of)
    report = coverage(standards_engine(as_of), "region", "standards", "county")
    groups = [g for g in report["groups"] if str(g["group"]).startswith(prefix)]
    total = sum(g["total"] for g in groups)
    traceable = sum(g["traceable"] for g in groups)
    value = 100 * traceable / total if total else None
    url = reverse("traceability:dashboard") + f"?region={region_code(prefix)}"
    return IndicatorResult(
        value,
        total,
        describe("traceability_coverage"),
        url,
        extra={"traceable": traceable, "total": total},
    )


def local_specifications(prefix: str, as_of: dt.date) -> IndicatorResult:
    """地方计量技术规范数 (count): local JJG/JJF editions of the region in force on ``as_of``."""
    from jiliang.platform.specifications.services import local_in_force

    _check(prefix, as_of)
    return _count("local_specifications", local_in_force(prefix, as_of))


def energy_metering_rate(prefix: str, as_of: dt.date) -> IndicatorResult:
    """主要用能设备能源计量器具配备率 (%): Σ configured / Σ required at the main-equipment level
    over each key energy-using unit's latest checked survey on ``as_of``
    (:func:`jiliang.platform.energy.services.region_rate`, the core's ``metering_rate``)."""
    from jiliang.platform.energy.services import region_rate

    _check(prefix, as_of)
    rate = region_rate(prefix, as_of)
    return IndicatorResult(
        rate["value"],
        rate["units"],
        describe("energy_metering_rate"),
        rate["surveys"],
        extra={k: rate[k] for k in ("required", "configured", "by_energy")},
        no_records=rate["units"] == 0,
    )


def comparison_participation(prefix: str, as_of: dt.date) -> IndicatorResult:
    """计量比对和能力验证参加数 (count): participations (campaign × organisation) of
    organisations in the region that submitted a result by the end of ``as_of`` (UTC), in
    comparisons-app campaigns of any kind (proficiency testing 能力验证, key, regional)."""
    from jiliang.platform.comparisons.models import Participant

    _check(prefix, as_of)
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    qs = Participant.objects.filter(
        organisation__region__code__startswith=prefix, submission__submitted_at__lt=end
    ).select_related("campaign", "organisation")
    return _count("comparison_participation", qs)


def manual(prefix: str, as_of: dt.date, indicator: str) -> IndicatorResult:
    """The latest entered value of ``indicator`` for the region dated on or before ``as_of``."""
    from .models import ManualValue

    _check(prefix, as_of)
    qs = ManualValue.objects.filter(
        indicator=indicator, region__code=region_code(prefix), as_of__lte=as_of
    ).order_by("-as_of", "-id")
    latest = qs.first()
    value = None if latest is None else latest.value
    return IndicatorResult(
        value, 0 if latest is None else 1, describe("manual"), qs, no_records=latest is None
    )


#: formula name → query (every computed formula of the core's closed set)
QUERIES: dict[str, Callable[[str, dt.date], IndicatorResult]] = {
    "public_standards": public_standards,
    "highest_standards": highest_standards,
    "primary_standards": primary_standards,
    "cmcs": cmcs,
    "reference_materials": reference_materials,
    "honest_demonstration_units": honest_demonstration_units,
    "verification_coverage": verification_coverage,
    "verification_capability_coverage": verification_capability_coverage,
    "traceability_coverage": traceability_coverage,
    "local_specifications": local_specifications,
    "energy_metering_rate": energy_metering_rate,
    "comparison_participation": comparison_participation,
}
