"""Plan indicators computed from records (规划指标): the queries, snapshots and their digests.

Expected counts are hand-counted from the ``world`` fixture (tests/platform/conftest.py):
province 330000 with Hangzhou (330100 → Xihu 330106) and Ningbo (330200 → Haishu 330203);
standards STD-P (primary, NMI in Xihu) and STD-HZ (public, lab_hz in Xihu, never calibrated);
the scales hz (ent_hz, Xihu; verified 2026-01-10, pass) and nb (ent_nb, Haishu; verified
2026-02-10, pass); one authorisation scope (lab_hz, electronic_price_scale, 2020–2030); no
reference materials, no CMCs, no credit marks.
"""

from __future__ import annotations

import datetime as dt

import pytest

from jiliang.core.indicators.definitions import FORMULAS
from jiliang.core.indicators.snapshot import Snapshot
from jiliang.core.legal.catalogue import default_catalogue
from jiliang.platform.audit.models import AuditEntry
from jiliang.platform.indicators import queries, services, tracing
from jiliang.platform.indicators.models import IndicatorSnapshot
from jiliang.platform.registry import models as m
from jiliang.platform.registry.authority import Denied
from jiliang.platform.supervision.models import CreditMark
from jiliang.platform.traceability import loader

from .conftest import file_scales, mass_standard_fields

MARCH = dt.date(2026, 3, 1)
FEB = dt.date(2026, 2, 1)


@pytest.fixture(autouse=True)
def _fresh_engine(settings, tmp_path):
    """The traceability engines are cached by data version; test databases reuse ids."""
    settings.JILIANG_LEDGER_DIR = tmp_path / "ledger"
    loader.clear_cache()
    tracing.clear_cache()
    yield
    loader.clear_cache()
    tracing.clear_cache()


def test_every_computed_formula_of_the_core_has_a_query():
    assert set(queries.QUERIES) == set(FORMULAS) - {"manual"}
    assert set(queries.UNITS) == set(queries.QUERIES)
    assert set(queries.DETAILS) == set(FORMULAS)


def test_standards_by_level_in_the_world(world):
    # STD-HZ is the only public standard, STD-P the only primary one; both owners in Xihu
    assert tuple(queries.public_standards("33", MARCH))[:2] == (1, 1)
    assert queries.public_standards("3301", MARCH).value == 1
    assert queries.public_standards("3302", MARCH).value == 0  # nothing in Ningbo
    assert queries.primary_standards("33", MARCH).value == 1
    value, count, description, records = queries.highest_standards("33", MARCH)
    assert (value, count) == (1, 1)  # STD-HZ was never calibrated by a regional standard
    assert list(records.values_list("code", flat=True)) == ["STD-HZ"]
    assert description.startswith(FORMULAS["highest_standards"])


def test_a_standard_calibrated_by_a_regional_public_standard_is_not_the_highest(world):
    lower = m.MeasurementStandard.objects.create(
        **mass_standard_fields("STD-HZ-2", "mass second", "public", 5e-3, world.orgs["lab_hz"])
    )
    event = m.CalibrationEvent.objects.create(
        certificate_no="JZ-STD-2",
        kind="calibration",
        standard=lower,
        performed_by=world.orgs["lab_hz"],
        performed_on=dt.date(2026, 1, 20),
        issued_on=dt.date(2026, 1, 20),
        unit=r"\kilogram",
    )
    event.standards_used.add(world.standards["lab_hz"])
    assert queries.public_standards("33", MARCH).value == 2
    # on 2026-01-19 the calibration by STD-HZ had not happened: both are at the top
    assert queries.highest_standards("33", dt.date(2026, 1, 19)).value == 2
    result = queries.highest_standards("33", MARCH)
    assert result.value == 1
    assert list(result.records.values_list("code", flat=True)) == ["STD-HZ"]


def test_standard_certificate_validity_counts_on_the_date(world):
    std = world.standards["lab_hz"]
    std.certificate_no = "GZ-1"
    std.certificate_valid_from = dt.date(2022, 1, 1)
    std.certificate_valid_to = dt.date(2026, 2, 15)
    std.save()
    assert queries.public_standards("33", FEB).value == 1
    assert queries.public_standards("33", MARCH).value == 0  # certificate expired on 02-15


def test_reference_materials_and_cmcs(world):
    nmi = world.orgs["nmi"]
    for gbw, expiry in (("GBW08601", dt.date(2027, 1, 1)), ("GBW08602", dt.date(2026, 2, 20))):
        m.ReferenceMaterial.objects.create(
            gbw_number=gbw,
            name=gbw,
            quantity="mass",
            unit=r"\kilogram",
            certified_value=1.0,
            uncertainty=1e-4,
            producer=nmi,
            expiry=expiry,
        )
    m.CMC.objects.create(
        provider=nmi,
        quantity="mass",
        unit=r"\kilogram",
        range_low=0,
        range_high=1,
        uncertainty=1e-7,
    )
    assert queries.reference_materials("33", FEB).value == 2
    assert queries.reference_materials("33", MARCH).value == 1  # GBW08602 expired 02-20
    assert queries.reference_materials("3302", FEB).value == 0
    assert queries.cmcs("33", MARCH).value == 1
    assert queries.cmcs("3302", MARCH).value == 0


def test_demonstration_units_in_force_on_the_date(world):
    ent = world.orgs["ent_hz"]
    CreditMark.objects.create(
        organisation=ent,
        kind="demonstration",
        since=dt.date(2026, 1, 1),
        withdrawn_on=dt.date(2026, 5, 1),
    )
    CreditMark.objects.create(  # a self-commitment is not a demonstration unit
        organisation=world.orgs["ent_nb"], kind="self_commitment", since=dt.date(2026, 1, 1)
    )
    assert queries.honest_demonstration_units("33", dt.date(2025, 12, 31)).value == 0
    assert queries.honest_demonstration_units("33", dt.date(2026, 4, 30)).value == 1
    assert queries.honest_demonstration_units("33", dt.date(2026, 5, 2)).value == 0
    assert queries.honest_demonstration_units("3302", dt.date(2026, 4, 30)).value == 0


def test_verification_coverage_reuses_supervision(world):
    file_scales(world)
    # 2026-03-01: both scales verified (01-10 and 02-10) → 2 of 2 on time
    value, count, _d, url = queries.verification_coverage("33", MARCH)
    assert (value, count, url) == (100.0, 2, "/s/dashboard/")
    # 2026-02-01: nb's last verification (02-10) lies after the date → 1 of 2
    assert tuple(queries.verification_coverage("33", FEB))[:2] == (50.0, 2)
    assert tuple(queries.verification_coverage("3302", FEB))[:2] == (0.0, 1)


def test_capability_coverage_and_gap_list(world):
    items = default_catalogue().verification_codes()
    assert len(items) == 18  # the shipped catalogue's items under compulsory verification
    result = queries.verification_capability_coverage("33", MARCH)
    # lab_hz's authorisation covers electronic_price_scale: 1 of 18 items
    assert result.value == pytest.approx(100 / 18)
    assert result.record_count == 1
    assert result.gaps == tuple(c for c in items if c != "electronic_price_scale")
    ningbo = queries.verification_capability_coverage("3302", MARCH)
    assert ningbo.value == 0.0 and len(ningbo.gaps) == 18
    # before the authorisation was valid nobody could verify anything
    assert queries.verification_capability_coverage("33", dt.date(2019, 12, 31)).value == 0.0


def test_traceability_coverage_of_standards(world):
    # STD-P is a primary standard (the top of the chain); STD-HZ has no calibration → 1 of 2
    value, count, _d, url = queries.traceability_coverage("33", MARCH)
    assert (value, count) == (50.0, 2)
    assert url.endswith("?region=330000")
    assert queries.traceability_coverage("3302", MARCH).value is None  # no standards there


def test_energy_rate_without_checked_surveys_says_so(world):
    # no key energy-using unit has a checked survey (test_energy covers the computed rate)
    result = queries.energy_metering_rate("33", MARCH)
    assert result.value is None and result.record_count == 0 and result.no_records
    assert "平台口径" in result.description


@pytest.mark.parametrize("prefix", ["3", "abc", "3300000"])
def test_bad_region_prefix_is_named(world, prefix):
    with pytest.raises(ValueError, match="region"):
        queries.public_standards(prefix, MARCH)


def test_snapshot_digest_is_stable_and_changes_with_a_record(world):
    region = world.regions["330000"]
    regulator = world.users["regulator"]
    first = services.take_snapshot(region, MARCH, regulator)
    again = services.take_snapshot(region, MARCH, regulator)
    assert first.digest == again.digest and len(first.digest) == 64
    snap = services.snapshot_of(first)
    assert snap.digest == first.digest
    assert snap.figures["public_standards"].value == 1
    assert snap.figures["traceability_coverage"].value == 50
    assert snap.figures["local_specifications"].value == 0  # none registered (test_specifications)
    # a new reference material in the region changes the figures, hence the digest
    m.ReferenceMaterial.objects.create(
        gbw_number="GBW08603",
        name="rm",
        quantity="mass",
        unit=r"\kilogram",
        certified_value=1.0,
        uncertainty=1e-4,
        producer=world.orgs["lab_hz"],
        expiry=dt.date(2027, 1, 1),
    )
    changed = services.take_snapshot(region, MARCH, regulator)
    assert changed.digest != first.digest
    assert services.snapshot_of(changed).figures["reference_materials"].value == 1


def test_snapshot_is_audited_with_its_digest(world):
    row = services.take_snapshot(world.regions["330000"], MARCH, world.users["regulator"])
    entry = AuditEntry.objects.get(model="indicators.indicatorsnapshot", object_id=str(row.pk))
    assert entry.action == "create" and entry.username == "regulator"
    assert entry.after["digest"] == row.digest
    # the payload is the core's canonical JSON: its SHA-256 is the stored digest
    assert Snapshot.from_canonical(entry.after["payload"]).digest == row.digest


def test_snapshot_in_the_future_is_refused_naming_as_of(world):
    tomorrow = services.today() + dt.timedelta(days=1)
    with pytest.raises(services.IndicatorInputError) as err:
        services.take_snapshot(world.regions["330000"], tomorrow, world.users["regulator"])
    assert set(err.value.errors) == {"as_of"}
    assert IndicatorSnapshot.objects.count() == 0


@pytest.mark.parametrize("who", ["regulator_nb", "inspector", "lab", "enterprise"])
def test_snapshot_needs_the_regions_regulator(world, who):
    with pytest.raises(Denied) as err:
        services.take_snapshot(world.regions["330000"], MARCH, world.users[who])
    assert "region" in err.value.errors
    assert IndicatorSnapshot.objects.count() == 0


ZJ_PLAN = """
kind: indicator_plan
plan: zj-test
source: test plan for the world
edition: "2026-01-01"
region: "330000"
indicators:
  - {id: zj.public_standards, name_zh: 社会公用计量标准, name_en: Public measurement standards,
     unit: count, kind: expected, direction: higher, formula: public_standards, level: province}
  - {id: zj.test_centres, name_zh: 产业计量测试中心, name_en: Industrial test centres,
     unit: count, kind: expected, direction: higher, formula: manual, level: province}
values:
  - {indicator: zj.public_standards, region: "330000", year: 2020, role: baseline, value: 0,
     unit: count}
  - {indicator: zj.public_standards, region: "330000", year: 2030, role: target, value: %s,
     unit: count}
"""


@pytest.mark.parametrize(
    ("target", "status", "year"),
    [
        # path on 2026-03-01 (decimal year 2025 + 60/365 = 2025.1644, end-of-year axis of
        # jiliang.core.indicators.tracking): 0 + target × 5.1644 / 10; band 10 % of target
        (2, "amber", 2031),  # path 1.0329, actual 1: behind by 0.033 ≤ 0.2
        (1, "green", 2026),  # path 0.5164 ≤ 1: already reached, in 2026 (the latest point)
        (6, "red", 2051),  # path 3.099, behind by 2.1 > 0.6
    ],
)
def test_tracking_rows_rag_and_projection(world, settings, tmp_path, target, status, year):
    plan = tmp_path / "indicators-zj.yaml"
    plan.write_text(ZJ_PLAN % target, encoding="utf-8")
    settings.JILIANG_INDICATOR_PLANS = [str(plan)]
    rows, _ = services.rows_for(world.regions["330000"], MARCH)
    by_id = {r.definition.id: r for r in rows}
    assert set(by_id) == {
        "zj.public_standards",
        "zj.test_centres",
        "cn.primary_standards",
        "cn.public_standards",
        "cn.cmcs",
        "cn.comparison_participation",
    }
    row = by_id["zj.public_standards"]
    assert row.result.value == 1
    assert row.status == status
    assert row.expected == pytest.approx(target * (2025 + 60 / 365 - 2020) / 10)
    # the trend through (2020.0, 0) and (2025.1644, 1) meets the target at 2020 + 5.1644 × target
    assert row.projected_year == year
    manual = by_id["zj.test_centres"]
    assert manual.result.value is None and manual.result.no_records


def test_definitions_for_a_region_without_its_own_plan(world):
    region = world.regions["330000"]
    assert {d.plan for d in services.definitions_for(region)} == {"national-2021-2035"}
    jilin = services.definitions_for(region, "jilin-2022")
    assert [d.id for d in jilin][:3] == [
        "jl.public_standards",
        "jl.local_specifications",
        "jl.reference_materials",
    ]
    with pytest.raises(services.IndicatorInputError) as err:
        services.definitions_for(region, "no-such-plan")
    assert set(err.value.errors) == {"plan"}


def test_standards_only_engine_gives_the_full_engines_verdicts(world):
    """The traceability figure is computed without instruments (fast at 10⁶); every standard's
    verdict must equal the full engine's (jiliang.platform.traceability.loader)."""
    from jiliang.core.traceability.coverage import coverage

    lower = m.MeasurementStandard.objects.create(
        **mass_standard_fields("STD-HZ-3", "mass third", "public", 5e-3, world.orgs["lab_hz"])
    )
    event = m.CalibrationEvent.objects.create(
        certificate_no="JZ-STD-3",
        kind="calibration",
        standard=lower,
        performed_by=world.orgs["nmi"],
        performed_on=dt.date(2026, 1, 20),
        issued_on=dt.date(2026, 1, 20),
        due_on=dt.date(2027, 1, 19),
        unit=r"\kilogram",
    )
    event.standards_used.add(world.standards["primary"])
    # the NMI's accreditation for mass: without it the engine reports NOT_AUTHORISED
    m.Scope.objects.create(
        organisation=world.orgs["nmi"],
        kind="accreditation",
        quantity="mass",
        unit=r"\kilogram",
        range_low=0,
        range_high=50,
        uncertainty=1e-3,
        valid_from=dt.date(2020, 1, 1),
        valid_to=dt.date(2030, 12, 31),
    )
    full = loader.get_engine(MARCH)
    light = tracing.standards_engine(MARCH)
    assert len(light.records.instruments) == 0 and len(full.records.instruments) == 2
    n = len(full.records.standards)
    assert list(light.nodes.verdict[:n]) == list(full.nodes.verdict[:n])
    assert coverage(light, "region", "standards") == coverage(full, "region", "standards")
    result = queries.traceability_coverage("33", MARCH)
    # STD-HZ-3 calibrated by the NMI against the primary standard: 2 of 3 (STD-HZ still has none)
    assert (result.value, result.record_count) == (pytest.approx(200 / 3), 3)
