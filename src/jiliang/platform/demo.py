"""A deterministic synthetic demo region (示范区域): one province, three cities, ten counties.

Everything is drawn from one seeded ``numpy.random.Generator`` in a fixed order, so the same
``seed`` and ``size`` build the same region, row for row. Rows go in with ``bulk_create`` (no
per-row signals); the build itself is recorded as one audit entry.

What is in it (default ``size=20_000``): the national institute with primary and national
standards, a provincial institute, city and county institutes, ~20 calibration labs, ~100
enterprises, ~300 standards across all levels, instruments over real catalogue categories, and two
years of calibrations and verifications — some overdue, some failed, some with broken links
(a standard used after its own calibration expired, or no standard recorded at all).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

import numpy as np
from django.db import connection, transaction
from django.db.models import Count
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from jiliang.core.identifiers import credit_code_check, make_lifetime_id
from jiliang.core.legal.catalogue import default_catalogue
from jiliang.core.legal.schedule import add_months
from jiliang.platform.accounts.services import create_user
from jiliang.platform.audit.context import acting_as
from jiliang.platform.audit.signals import bulk_create_audited, record

from .demo_rules import demo_params, demo_rule
from .registry import models as m

DEMO_PASSWORD = "jiliang-demo-2035"
#: the demo's logins, one per role (printed by ``jiliang demo``); ``reviewer`` is the lab's second
#: person, who reviews and signs the certificates ``lab`` prepares
DEMO_LOGINS = ("admin", "regulator", "lab", "reviewer", "enterprise", "inspector")
TODAY = dt.date(2026, 11, 1)
BATCH = 5_000
CHUNK = 50_000

REGIONS = [
    # code, name, name_en, level, parent
    ("110000", "北京市", "Beijing", "province", None),
    ("110105", "朝阳区", "Chaoyang District", "county", "110000"),
    ("330000", "浙江省", "Zhejiang Province", "province", None),
    ("330100", "杭州市", "Hangzhou", "city", "330000"),
    ("330200", "宁波市", "Ningbo", "city", "330000"),
    ("330300", "温州市", "Wenzhou", "city", "330000"),
    ("330102", "上城区", "Shangcheng District", "county", "330100"),
    ("330105", "拱墅区", "Gongshu District", "county", "330100"),
    ("330106", "西湖区", "Xihu District", "county", "330100"),
    ("330109", "萧山区", "Xiaoshan District", "county", "330100"),
    ("330203", "海曙区", "Haishu District", "county", "330200"),
    ("330205", "江北区", "Jiangbei District", "county", "330200"),
    ("330206", "北仑区", "Beilun District", "county", "330200"),
    ("330302", "鹿城区", "Lucheng District", "county", "330300"),
    ("330303", "龙湾区", "Longwan District", "county", "330300"),
    ("330304", "瓯海区", "Ouhai District", "county", "330300"),
]
COUNTIES = [r[0] for r in REGIONS if r[0].startswith("33") and r[3] == "county"]
CITIES = {"330100": "杭州市", "330200": "宁波市", "330300": "温州市"}


@dataclass(frozen=True)
class Category:
    """An instrument category of the demo: catalogue slug, code, quantity, unit, range, MPE.

    No verification period here: periods and service lives come from the catalogue
    (:mod:`jiliang.platform.demo_rules`), per instrument and its parameters.
    """

    slug: str
    code: str
    name: str
    quantity: str
    unit: str
    low: float
    high: float
    mpe: float  # in ``unit``, at the top of the range
    accuracy: str
    use: str
    weight: float
    owner_kinds: tuple[str, ...]


CATEGORIES = [
    Category(
        "fuel_dispenser",
        "FDP",
        "燃油加油机",
        "volume",
        r"\litre",
        0,
        100,
        0.3,
        "0.3 级",
        "trade_settlement",
        0.08,
        ("station",),
    ),
    Category(
        "taximeter",
        "TXM",
        "出租汽车计价器",
        "distance",
        r"\kilo\metre",
        0,
        1000,
        4.0,
        "±4 %",
        "trade_settlement",
        0.05,
        ("taxi",),
    ),
    Category(
        "electronic_price_scale",
        "EPS",
        "电子计价秤",
        "mass",
        r"\kilogram",
        0,
        30,
        0.01,
        "III 级",
        "trade_settlement",
        0.25,
        ("market",),
    ),
    Category(
        "electricity_meter",
        "ELM",
        "电能表",
        "electrical_energy",
        r"\kilo\watt\hour",
        0,
        100_000,
        200.0,
        "2 级",
        "trade_settlement",
        0.22,
        ("utility",),
    ),
    Category(
        "water_meter",
        "WTM",
        "水表",
        "volume",
        r"\metre\tothe{3}",
        0,
        10_000,
        20.0,
        "2 级",
        "trade_settlement",
        0.14,
        ("utility",),
    ),
    Category(
        "gas_meter",
        "GSM",
        "膜式燃气表",
        "volume",
        r"\metre\tothe{3}",
        0,
        10_000,
        15.0,
        "1.5 级",
        "trade_settlement",
        0.08,
        ("utility",),
    ),
    Category(
        "sphygmomanometer",
        "SPM",
        "血压计",
        "pressure",
        r"\kilo\pascal",
        0,
        40,
        0.4,
        "±0.4 kPa",
        "medical_care",
        0.07,
        ("hospital",),
    ),
    Category(
        "breath_alcohol_analyser",
        "BAA",
        "呼出气体酒精含量检测仪",
        "concentration",
        r"\milli\gram\per\litre",
        0,
        2,
        0.02,
        "±0.020 mg/L",
        "safety_protection",
        0.02,
        ("police",),
    ),
    Category(
        "sound_level_meter",
        "SLM",
        "声级计",
        "sound_pressure_level",
        r"\decibel",
        30,
        130,
        0.7,
        "1 级",
        "environmental_monitoring",
        0.02,
        ("environment",),
    ),
    Category(
        "pressure_gauge",
        "PGA",
        "压力表",
        "pressure",
        r"\mega\pascal",
        0,
        2.5,
        0.04,
        "1.6 级",
        "safety_protection",
        0.07,
        ("factory",),
    ),
]

# Expanded uncertainty of the primary standard for each quantity, relative to range top.
PRIMARY_REL_U = {
    "volume": 2e-6,
    "distance": 1e-5,
    "mass": 5e-8,
    "electrical_energy": 2e-6,
    "pressure": 2e-5,
    "concentration": 5e-5,
    "sound_pressure_level": 2e-5,
}
# Each level's U is at least 1.5× the U of the calibration that links it to the level above
# (that link's U is 1.5× the reference standard's), so uncertainty never shrinks down a chain.
LEVEL_FACTOR = {
    "primary": 1.0,
    "national": 3.0,
    "public": 20.0,
    "department": 60.0,
    "enterprise": 80.0,
}
ENTERPRISE_KINDS = {
    "station": ("加油站", 0.22),
    "taxi": ("出租汽车有限公司", 0.08),
    "market": ("农贸市场", 0.3),
    "utility": ("公用事业公司", 0.1),
    "hospital": ("医院", 0.12),
    "police": ("交警大队", 0.06),
    "environment": ("环境监测站", 0.05),
    "factory": ("制造有限公司", 0.07),
}


class DemoExists(RuntimeError):
    """The data directory already holds a demo region."""


@dataclass
class DemoReport:
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    #: what the build could not make, and why (e.g. no DCC XSD: certificates left unsigned)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = ", ".join(f"{n:,} {name}" for name, n in self.counts.items())
        return f"demo region built in {self.seconds:.1f} s: {parts}"


def _credit_code(rng: np.random.Generator, region: str, kind_digit: str) -> str:
    body = (
        kind_digit
        + "1"
        + region
        + "".join("0123456789ABCDEFGHJKLMNPQRTUWXY"[i] for i in rng.integers(0, 31, 9))
    )
    return body + credit_code_check(body)


class _Builder:
    def __init__(self, size: int, seed: int, progress: Progress | None, audit: bool = True):
        self.audit = audit
        self.rng = np.random.default_rng(seed)
        self.size = size
        self.progress = progress
        self.counts: dict[str, int] = {}
        self.event_seq = 0
        self.seq_by_key: dict[tuple[str, str], int] = {}

    def _bulk(self, model, rows: list) -> None:
        bulk_create_audited(model, rows, self.audit, BATCH)

    def _task(self, label: str, total: int):
        if self.progress is None:
            return None
        return self.progress.add_task(label, total=total)

    def _advance(self, task, n: int) -> None:
        if self.progress is not None and task is not None:
            self.progress.advance(task, n)

    def _cert_no(self, prefix: str, year: int) -> str:
        self.event_seq += 1
        return f"{prefix}{year}-{self.event_seq:08d}"

    # -- structure -------------------------------------------------------------------------------
    def regions(self) -> dict[str, m.Region]:
        by_code: dict[str, m.Region] = {}
        for code, name, name_en, level, parent in REGIONS:
            by_code[code] = m.Region.objects.create(
                code=code,
                name=name,
                name_en=name_en,
                level=level,
                parent=by_code.get(parent) if parent else None,
            )
        self.counts["regions"] = len(by_code)
        return by_code

    def organisations(self, regions) -> dict[str, list[m.Organisation]]:
        rng = self.rng
        orgs: dict[str, list[m.Organisation]] = {}

        def add(kind_key: str, kind: str, name: str, name_en: str, region: str, digit: str):
            org = m.Organisation(
                code=_credit_code(rng, region, digit),
                name=name,
                name_en=name_en,
                kind=kind,
                region=regions[region],
            )
            orgs.setdefault(kind_key, []).append(org)
            return org

        add(
            "nmi",
            "nmi",
            "中国计量科学研究院",
            "National Institute of Metrology, China",
            "110105",
            "1",
        )
        add(
            "provincial",
            "statutory",
            "浙江省计量科学研究院",
            "Zhejiang Institute of Metrology",
            "330106",
            "1",
        )
        add("regulator", "regulator", "浙江省市场监督管理局", "Zhejiang AMR", "330106", "1")
        for city, name in CITIES.items():
            county = next(c for c in COUNTIES if c.startswith(city[:4]))
            add(
                "city_institute",
                "statutory",
                f"{name}计量检定测试院",
                f"{regions[city].name_en} Institute of Metrology",
                county,
                "1",
            )
            add(
                "regulator",
                "regulator",
                f"{name}市场监督管理局",
                f"{regions[city].name_en} AMR",
                county,
                "1",
            )
        for county in COUNTIES:
            add(
                "county_institute",
                "authorised",
                f"{regions[county].name}计量检定所",
                f"{regions[county].name_en} Verification Station",
                county,
                "1",
            )
        lab_names = [
            "精测",
            "华准",
            "正源",
            "衡信",
            "标达",
            "中测",
            "科量",
            "信诚",
            "海准",
            "东方计量",
        ]
        for i in range(20):
            county = COUNTIES[i % len(COUNTIES)]
            add(
                "lab",
                "calibration_lab",
                f"{regions[county[:4] + '00'].name}{lab_names[i % 10]}"
                f"校准检测有限公司{i // 10 + 1}号",
                f"Calibration Lab {i + 1}",
                county,
                "9",
            )
        kinds = list(ENTERPRISE_KINDS)
        weights = np.array([ENTERPRISE_KINDS[k][1] for k in kinds])
        drawn = rng.choice(len(kinds), size=100, p=weights / weights.sum())
        for i, k in enumerate(drawn):
            kind_key = kinds[int(k)]
            county = COUNTIES[int(rng.integers(0, len(COUNTIES)))]
            suffix = ENTERPRISE_KINDS[kind_key][0]
            add(
                f"ent:{kind_key}",
                "enterprise",
                f"{regions[county].name}第{i + 1}{suffix}",
                f"Enterprise {i + 1}",
                county,
                "9",
            )
        all_orgs = [o for group in orgs.values() for o in group]
        self._bulk(m.Organisation, all_orgs)
        self.counts["organisations"] = len(all_orgs)
        return orgs

    def scopes(self, orgs) -> None:
        """Authorisation/accreditation scopes: institutes cover every demo quantity."""
        scopes = []
        quantities = sorted({(c.quantity, c.unit, c.low, c.high) for c in CATEGORIES})
        for key in ("nmi", "provincial", "city_institute", "county_institute", "lab"):
            for org in orgs[key]:
                for quantity, unit, low, high in quantities:
                    if key == "lab" and self.rng.random() < 0.5:
                        continue
                    # best U no better than the calibrations each performs (NMI: its primary's)
                    rel = PRIMARY_REL_U[quantity] * (1 if key == "nmi" else 20)
                    scope = m.Scope(
                        organisation=org,
                        kind="statutory"
                        if key in ("provincial", "city_institute")
                        else ("authorisation" if key == "county_institute" else "accreditation"),
                        quantity=quantity,
                        unit=unit,
                        range_low=low,
                        range_high=high,
                        uncertainty=rel * (high or 1),
                        k=2.0,
                        reference=f"SC-{org.pk}-{quantity}",
                        valid_from=dt.date(2022, 1, 1),
                        valid_to=dt.date(2027, 12, 31),
                    )
                    scope.compute_si()
                    scopes.append(scope)
        self._bulk(m.Scope, scopes)
        self.counts["scopes"] = len(scopes)

    def standards(self, orgs) -> dict[str, dict[str, list[m.MeasurementStandard]]]:
        """~270 standards, per instrument category (so range and unit fit what they serve):
        a primary and a national standard at the NMI, public ones at the institutes, department
        and enterprise ones at labs and large enterprises. About 5 % of public standards have an
        expired certificate — the demo's deliberately broken links."""
        rng = self.rng
        by_level: dict[str, dict[str, list[m.MeasurementStandard]]] = {}
        rows = []
        holders = {
            "primary": orgs["nmi"],
            "national": orgs["nmi"],
            "public": orgs["provincial"] + orgs["city_institute"] + orgs["county_institute"],
            "department": orgs["lab"],
            "enterprise": orgs["ent:utility"] + orgs["ent:factory"] + orgs["lab"][:5],
        }
        quantity_names = dict(m.QUANTITY_CHOICES)
        level_names = {"primary": "基准", "national": "国家标准"}
        per_level = {"primary": 1, "national": 1, "public": 15, "department": 5, "enterprise": 5}
        seq = 0
        for cat in CATEGORIES:
            for level, n in per_level.items():
                national = level in ("primary", "national")
                for i in range(n):
                    owner = holders[level][i % len(holders[level])]
                    rel = (
                        PRIMARY_REL_U[cat.quantity] * LEVEL_FACTOR[level] * (1 + 0.3 * rng.random())
                    )
                    seq += 1
                    valid_from = TODAY - dt.timedelta(days=3 * 365 + int(rng.integers(0, 365)))
                    valid_to = valid_from + dt.timedelta(days=5 * 365)
                    if level == "public" and rng.random() < 0.05:
                        valid_to = TODAY - dt.timedelta(days=int(rng.integers(10, 200)))
                    std = m.MeasurementStandard(
                        code=f"[{2022 + seq % 4}]{'国' if national else '浙'}"
                        f"量标{cat.code}{level[:3].upper()}证字第{seq:04d}号",
                        name=f"{quantity_names[cat.quantity]}{level_names[level]}（{cat.name}）"
                        if national
                        else f"{cat.name}检定装置",
                        level=level,
                        quantity=cat.quantity,
                        unit=cat.unit,
                        range_low=cat.low,
                        range_high=cat.high,
                        uncertainty=float(f"{rel * (cat.high or 1):.2g}"),
                        k=2.0,
                        owner=owner,
                        status="active" if national or rng.random() > 0.03 else "suspended",
                        certificate_no=f"CS-{seq:05d}",
                        certificate_valid_from=valid_from,
                        certificate_valid_to=valid_to,
                    )
                    std.compute_si()
                    rows.append(std)
                    by_level.setdefault(level, {}).setdefault(cat.slug, []).append(std)
        self._bulk(m.MeasurementStandard, rows)
        self.counts["standards"] = len(rows)
        return by_level

    def standard_calibrations(self, orgs, standards) -> None:
        """Each non-primary standard calibrated yearly for three years against a standard one
        level up, each certificate valid 395 days, so consecutive certificates overlap and the
        standard is in calibration on every day an instrument may have been verified."""
        rng = self.rng
        upper = {
            "national": "primary",
            "public": "national",
            "department": "public",
            "enterprise": "public",
        }
        events, links = [], []
        for level, parent_level in upper.items():
            for slug, stds in standards.get(level, {}).items():
                parents = [p for p in standards[parent_level][slug] if p.status == "active"]
                parents = parents or standards[parent_level][slug]
                for std in stds:
                    parent = parents[int(rng.integers(0, len(parents)))]
                    offset = int(rng.integers(20, 300))
                    for year_back in (2, 1, 0):
                        performed = TODAY - dt.timedelta(days=365 * year_back + offset)
                        ev = m.CalibrationEvent(
                            certificate_no=self._cert_no("JZ", performed.year),
                            kind="calibration",
                            standard=std,
                            performed_by=parent.owner,
                            performed_on=performed,
                            issued_on=performed + dt.timedelta(days=3),
                            due_on=performed + dt.timedelta(days=395),
                            result_value=std.range_high,
                            unit=std.unit,
                            result_uncertainty=float(f"{parent.uncertainty * 1.5:.2g}"),
                            k=2.0,
                            conformity="none",
                        )
                        ev.compute_si()
                        events.append(ev)
                        links.append(parent)
        self._bulk(m.CalibrationEvent, events)
        through = m.CalibrationEvent.standards_used.through
        through.objects.bulk_create(
            [
                through(calibrationevent_id=e.pk, measurementstandard_id=s.pk)
                for e, s in zip(events, links, strict=True)
            ],
            batch_size=BATCH,
        )
        self.counts["standard calibrations"] = len(events)

    def instruments(self, orgs, n: int, task) -> list[m.Instrument]:
        """Create the next ``n`` instruments (one chunk) and return them."""
        rng = self.rng
        weights = np.array([c.weight for c in CATEGORIES])
        cat_idx = rng.choice(len(CATEGORIES), size=n, p=weights / weights.sum())
        status_draw = rng.random(n)
        install_days = rng.integers(30, 8 * 365, n)
        owner_pick = rng.integers(0, 1 << 30, n)
        rows = []
        seq_by_key = self.seq_by_key
        for i in range(n):
            cat = CATEGORIES[int(cat_idx[i])]
            owners = [o for k in cat.owner_kinds for o in orgs.get(f"ent:{k}", [])] or orgs[
                "ent:market"
            ]
            owner = owners[int(owner_pick[i]) % len(owners)]
            region_code = owner.region.code
            installed = TODAY - dt.timedelta(days=int(install_days[i]))
            key = (region_code, cat.code)
            seq_by_key[key] = seq_by_key.get(key, 0) + 1
            inst = m.Instrument(
                lifetime_id=make_lifetime_id(
                    region_code, cat.code, installed.year, seq_by_key[key]
                ),
                category=cat.slug,
                name=cat.name,
                model_name=f"{cat.code}-{100 + i % 7 * 10}",
                serial=f"SN{i:08d}",
                manufacturer=["杭州", "宁波", "上海", "深圳"][i % 4] + "仪器有限公司",
                quantity=cat.quantity,
                unit=cat.unit,
                range_low=cat.low,
                range_high=cat.high,
                accuracy_class=cat.accuracy,
                mpe=cat.mpe,
                owner=owner,
                location=f"{owner.region.name}{i % 97 + 1}号",
                region=owner.region,
                status="in_use"
                if status_draw[i] > 0.05
                else ("suspended" if status_draw[i] > 0.02 else "retired"),
                use=cat.use,
                installed_on=installed,
            )
            inst.compute_si()
            inst.derive_compulsory()  # bulk_create skips save(), which derives it
            rows.append(inst)
            if len(rows) % BATCH == 0:
                self._advance(task, BATCH)
        with transaction.atomic():
            self._bulk(m.Instrument, rows)
        self._advance(task, n % BATCH)
        self.counts["instruments"] = self.counts.get("instruments", 0) + n
        return rows

    def instrument_events(self, instruments, orgs, standards, task) -> None:
        """Two years of verifications; ~6 % overdue, ~3 % failed, ~2 % with a broken link."""
        rng = self.rng
        verifiers_by_city: dict[str, list[m.Organisation]] = {}
        for key in ("provincial", "city_institute", "county_institute"):
            for org in orgs[key]:
                verifiers_by_city.setdefault(org.region.code[:4], []).append(org)
        expired_standards = [
            s
            for q in standards["public"].values()
            for s in q
            if s.certificate_valid_to and s.certificate_valid_to < TODAY
        ]
        usable = {
            slug: [s for s in stds if s.status == "active" and s not in expired_standards]
            for slug, stds in standards["public"].items()
        }
        public_by_owner_q: dict[tuple[int, str], list[m.MeasurementStandard]] = {}
        for slug, stds in usable.items():
            for std in stds:
                public_by_owner_q.setdefault((std.owner_id, slug), []).append(std)
        provincial = orgs["provincial"][0]
        catalogue = default_catalogue()  # the one the supervision demo schedules filings by
        n = len(instruments)
        draws = rng.random((n, 4))
        offsets = rng.integers(0, 330, (n, 2))
        events, links = [], []
        through = m.CalibrationEvent.standards_used.through
        for i, inst in enumerate(instruments):
            # period or service life of this instrument (its parameters) from the catalogue
            rule = demo_rule(
                inst.category, inst.use, demo_params(inst.category, inst.lifetime_id), catalogue
            )
            months = rule.months
            # one period / life back from today, as a timedelta (a year when there is no due date)
            period = TODAY - add_months(TODAY, -(months or 12))
            candidates = verifiers_by_city.get(inst.region.code[:4]) or [provincial]
            verifier = candidates[i % len(candidates)]
            stds = (
                public_by_owner_q.get((verifier.pk, inst.category))
                or public_by_owner_q.get((provincial.pk, inst.category))
                or usable[inst.category]
            )
            overdue = draws[i, 0] < 0.06
            # in date unless drawn overdue: the last verification lies within one period
            performed = TODAY - dt.timedelta(days=int(offsets[i, 0]) % max(1, period.days - 5))
            if overdue:
                performed = TODAY - period - dt.timedelta(days=int(offsets[i, 1] % 120) + 1)
            history = [performed]
            # a periodic instrument was verified the period before too (within the two years);
            # a fixed-life one has its initial verification only
            earlier = add_months(performed, -months) if rule.periodic and months else None
            if (
                earlier is not None
                and earlier > inst.installed_on
                and earlier > TODAY - dt.timedelta(days=730)
            ):
                history.insert(0, earlier)
            for j, day in enumerate(history):
                last = j == len(history) - 1
                failed = last and draws[i, 1] < 0.03
                ev = m.CalibrationEvent(
                    certificate_no=self._cert_no("JD", day.year),
                    kind="verification",
                    instrument=inst,
                    performed_by=verifier,
                    performed_on=day,
                    issued_on=day,
                    due_on=add_months(day, months) if months else None,
                    unit=inst.unit,
                    result_value=inst.range_high * 0.5,
                    result_uncertainty=float(f"{inst.mpe / (3.5 + draws[i, 3]):.2g}"),
                    k=2.0,
                    conformity="fail" if failed else "pass",
                )
                ev.compute_si()
                events.append(ev)
                broken = last and draws[i, 2] < 0.02
                if broken and draws[i, 3] < 0.5:
                    links.append(None)  # no standard recorded
                elif broken and expired_standards:
                    links.append(expired_standards[i % len(expired_standards)])
                else:
                    links.append(stds[i % len(stds)] if stds else None)
            if len(events) >= BATCH:
                self._flush_events(events, links, through)
                events, links = [], []
            if (i + 1) % 1000 == 0:
                self._advance(task, 1000)
        self._flush_events(events, links, through)
        self._advance(task, n % 1000)

    def _flush_events(self, events, links, through) -> None:
        if not events:
            return
        self._bulk(m.CalibrationEvent, events)
        through.objects.bulk_create(
            [
                through(calibrationevent_id=e.pk, measurementstandard_id=s.pk)
                for e, s in zip(events, links, strict=True)
                if s is not None
            ],
            batch_size=BATCH,
        )

    def reference_materials(self, orgs) -> None:
        rows = []
        for i, (name, value, u, unit) in enumerate(
            [
                ("乙醇水溶液标准物质 (呼气酒精)", 0.2, 0.004, r"\milli\gram\per\litre"),
                ("乙醇水溶液标准物质 (呼气酒精)", 0.8, 0.012, r"\milli\gram\per\litre"),
                ("砝码用不锈钢密度标准物质", 7950.0, 4.0, r"\kilogram\per\metre\tothe{3}"),
                ("空气中甲烷标准物质", 0.01, 0.0002, r"\one"),
            ]
        ):
            rm = m.ReferenceMaterial(
                gbw_number=f"GBW(E){130300 + i}",
                name=name,
                quantity="concentration",
                certified_value=value,
                uncertainty=u,
                k=2.0,
                unit=unit,
                producer=orgs["nmi"][0],
                expiry=dt.date(2027 + i % 2, 6, 30),
            )
            rm.compute_si()
            rows.append(rm)
        self._bulk(m.ReferenceMaterial, rows)
        self.counts["reference materials"] = len(rows)

    def cmcs(self, orgs) -> None:
        rows = []
        for i, c in enumerate(sorted({(c.quantity, c.unit, c.low, c.high) for c in CATEGORIES})):
            quantity, unit, low, high = c
            cmc = m.CMC(
                kcdb_id=f"APMP-CN-{quantity.upper()[:4]}-{i + 1:03d}",
                provider=orgs["nmi"][0],
                metrology_area=quantity,
                quantity=quantity,
                service=f"{quantity} calibration",
                range_low=low,
                range_high=high,
                unit=unit,
                uncertainty=PRIMARY_REL_U[quantity] * (high or 1),
                k=2.0,
            )
            cmc.compute_si()
            rows.append(cmc)
        self._bulk(m.CMC, rows)
        self.counts["CMCs"] = len(rows)

    def people(self, orgs) -> None:
        people, quals = [], []
        surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
        given = ["伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇", "艳", "杰"]
        i = 0
        for key in ("nmi", "provincial", "city_institute", "county_institute", "lab"):
            for org in orgs[key]:
                for _j in range(3):
                    i += 1
                    people.append(
                        m.Person(
                            name=surnames[i % len(surnames)] + given[(i * 7) % len(given)],
                            organisation=org,
                            title="检定员",
                        )
                    )
        self._bulk(m.Person, people)
        for k, person in enumerate(people):
            quals.append(
                m.Qualification(
                    person=person,
                    kind="metrologist_1" if k % 4 == 0 else "metrologist_2",
                    number=f"ZJ{2020 + k % 5}{k:06d}",
                    specialty="力学、热学、电磁学"[k % 3 * 3 : k % 3 * 3 + 2],
                    valid_from=dt.date(2021, 1, 1),
                    valid_to=dt.date(2026 + k % 3, 12, 31),
                )
            )
        self._bulk(m.Qualification, quals)
        self.counts["people"] = len(people)

    def users(self, orgs, regions) -> None:
        create_user("admin", DEMO_PASSWORD, "admin")
        create_user(
            "regulator",
            DEMO_PASSWORD,
            "regulator",
            region="330000",
            organisation=orgs["regulator"][0].code,
        )
        create_user("lab", DEMO_PASSWORD, "lab_staff", organisation=orgs["provincial"][0].code)
        create_user("reviewer", DEMO_PASSWORD, "lab_staff", organisation=orgs["provincial"][0].code)
        create_user("inspector", DEMO_PASSWORD, "inspector", region="330100")

    def enterprise_user(self, orgs) -> None:
        """The ``enterprise`` login: the filling station with the most instruments due soon or
        overdue (so its notifications and due lists have something to show), first by id on a
        tie. Made once the supervision demo has filed and scheduled the instruments."""
        from jiliang.platform.supervision.models import Filing

        stations = orgs["ent:station"]
        busiest = (
            Filing.objects.filter(
                instrument__owner__in=stations, status__in=["due_soon", "overdue"]
            )
            .order_by()
            .values("instrument__owner")
            .annotate(n=Count("pk"))
            .order_by("-n", "instrument__owner")
            .first()
        )
        ent = next((o for o in stations if busiest and o.pk == busiest["instrument__owner"]), None)
        ent = ent or stations[0]
        create_user("enterprise", DEMO_PASSWORD, "enterprise", organisation=ent.code)


def has_demo() -> bool:
    return m.Region.objects.filter(code="330000").exists()


def _reset_sqlite() -> None:
    """Rebuild: drop the SQLite file and re-migrate (audit rows cannot be deleted row by row)."""
    from django.core.management import call_command

    if connection.vendor != "sqlite":
        raise DemoExists(
            "the database already has data; rebuild a PostgreSQL demo by recreating the database"
        )
    path = connection.settings_dict["NAME"]
    connection.close()
    import pathlib

    for suffix in ("", "-wal", "-shm"):
        pathlib.Path(f"{path}{suffix}").unlink(missing_ok=True)
    call_command("migrate", interactive=False, verbosity=0)


def build_demo(
    size: int = 20_000,
    seed: int = 2035,
    force: bool = False,
    console: Console | None = None,
    audit: bool = True,
) -> DemoReport:
    """Build the demo region into the configured database and return what was made.

    ``audit=False`` skips the per-row audit entries (and so their transparency-log leaves) for
    benchmark-sized regions; `jiliang ledger audit` then reports those rows as unlogged.
    """
    if has_demo():
        if not force:
            raise DemoExists("the data directory already holds a demo region")
        _reset_sqlite()
    start = time.perf_counter()
    progress = (
        Progress(
            TextColumn("{task.description:>24}"),
            BarColumn(),
            TextColumn("{task.completed:,}/{task.total:,}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        if console is not None
        else None
    )
    builder = _Builder(size, seed, progress, audit)
    notes: list[str] = []
    ctx = progress if progress is not None else _NullContext()
    with ctx, acting_as(None, f"demo region seed={seed} size={size}"):
        step = progress.add_task("structure", total=7) if progress else None
        with transaction.atomic():
            regions = builder.regions()
            builder._advance(step, 1)
            orgs = builder.organisations(regions)
            builder._advance(step, 1)
            builder.scopes(orgs)
            builder.people(orgs)
            builder._advance(step, 1)
            standards = builder.standards(orgs)
            builder._advance(step, 1)
            builder.standard_calibrations(orgs, standards)
            builder.reference_materials(orgs)
            builder.cmcs(orgs)
            builder._advance(step, 1)
            builder.users(orgs, regions)
            builder._advance(step, 1)
        # Chunks keep memory bounded at any --size (10⁶ instruments hold ~50 000 rows at a time).
        made_task = builder._task("instruments", size)
        event_task = builder._task("calibrations", size)
        for offset in range(0, size, CHUNK):
            with transaction.atomic():
                chunk = builder.instruments(orgs, min(CHUNK, size - offset), made_task)
                builder.instrument_events(chunk, orgs, standards, event_task)
        builder.counts["instrument calibrations"] = builder.event_seq - builder.counts.get(
            "standard calibrations", 0
        )
        from jiliang.platform.supervision.demo import build_supervision_demo

        with transaction.atomic():
            builder.counts.update(build_supervision_demo(as_of=TODAY, seed=seed, audit=audit))
            builder.enterprise_user(orgs)
        # the logins' own work, through the platform's services (each step its own transaction:
        # a signed certificate's log leaf must not outlive a rolled-back row)
        from jiliang.platform.demo_activity import build_activity

        builder.counts.update(build_activity(as_of=TODAY, seed=seed, notes=notes))
        builder._advance(step, 1)
        record(regions["330000"], "create", None, {"demo": {"seed": seed, "size": size}}, ["demo"])
    return DemoReport(builder.counts, time.perf_counter() - start, notes)


class _NullContext:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
