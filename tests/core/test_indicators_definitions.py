"""Plan indicator definitions: the shipped tables and the loader's errors (issue 16)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from jiliang.core.indicators import (
    FORMULAS,
    NATIONAL,
    IndicatorBook,
    IndicatorError,
    Kind,
    Role,
)
from jiliang.core.indicators.definitions import DATA_DIR

GOOD = """\
kind: indicator_plan
plan: test-province
source: test plan
edition: "2024"
region: "110000"
indicators:
  - {id: t.coverage, name_zh: 检定覆盖率, name_en: Verification coverage, unit: "%",
     kind: binding, direction: higher, formula: verification_coverage, level: province}
values:
  - {indicator: t.coverage, region: "110000", year: 2020, role: baseline, value: 92, unit: "%"}
  - {indicator: t.coverage, region: "110000", year: 2025, role: target, value: 98, unit: "%"}
"""


def _write(tmp_path: Path, text: str, name: str = "indicators-test.yaml") -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


# --- shipped tables ------------------------------------------------------------------------


def test_jilin_six_targets_for_2025():
    # 吉林省贯彻计量发展规划（2021—2035年）实施方案（吉林省人民政府 2022-11-18）一（二）发展目标,
    # as listed in issue 16: 1 450 / 70 / 80 / 5 / 90 % / 1 000.
    book = IndicatorBook.default()
    targets = {
        v.indicator: (v.value, v.unit) for v in book.values(region="220000", role=Role.TARGET)
    }
    assert targets == {
        "jl.public_standards": (1450.0, "count"),
        "jl.local_specifications": (70.0, "count"),
        "jl.reference_materials": (80.0, "count"),
        "jl.industrial_test_centres": (5.0, "count"),
        "jl.compulsory_standard_coverage": (90.0, "%"),
        "jl.honest_demonstration_units": (1000.0, "count"),
    }
    assert all(v.year == 2025 for v in book.values(region="220000"))
    assert book.baseline("jl.public_standards", "220000") is None  # the plan gives none


def test_national_baselines_from_the_plan_background():
    # 国发〔2021〕37号 一、编制背景: 185 项国家计量基准, 6.2 万余项社会公用计量标准, CMC 1779 项.
    book = IndicatorBook.default()
    got = {
        i: book.baseline(i, NATIONAL).value
        for i in ("cn.primary_standards", "cn.public_standards", "cn.cmcs")
    }
    assert got == {"cn.primary_standards": 185, "cn.public_standards": 62000, "cn.cmcs": 1779}
    # No numeric 2025 target in the plan: the row is absent-with-reason, not a number.
    t = book.target("cn.public_standards", NATIONAL, 2025)
    assert t.value is None and "qualitative" in t.source_note


def test_chongqing_indicators_without_invented_numbers():
    book = IndicatorBook.default()
    cq = [d for d in book.definitions if d.plan == "chongqing-14th-fyp"]
    assert len(cq) == 13  # of the plan's 15; the other two are not identified (see the file)
    binding = [d.id for d in cq if d.kind is Kind.BINDING]
    assert binding == ["cq.verification_coverage"]
    rows = book.values(region="500000")
    assert len(rows) == 26 and all(v.value is None and v.source_note for v in rows)
    assert book.definition("cq.energy_metering_rate").formula == "energy_metering_rate"
    assert book.definition("cq.instrument_industry_output").unit == "亿元"


def test_every_shipped_formula_is_known_and_described():
    for d in IndicatorBook.default().definitions:
        assert d.formula in FORMULAS and d.query == FORMULAS[d.formula]
        assert d.computed == (d.formula != "manual")


def test_shipped_data_is_package_data():
    # setuptools package-data "*" includes "*.yaml" in every package dir (pyproject.toml), which
    # covers jiliang/core/indicators/data like jiliang/core/legal/data.
    names = sorted(p.name for p in DATA_DIR.glob("*.yaml"))
    assert names == [
        "energy-gb17167-2006.yaml",
        "indicators-chongqing-14fyp.yaml",
        "indicators-jilin-2022.yaml",
        "indicators-national-2021.yaml",
    ]
    text = (Path(__file__).parents[2] / "pyproject.toml").read_text(encoding="utf-8")
    assert '"*" = [' in text and '"*.yaml"' in text


def test_extended_book_adds_a_province(tmp_path):
    book = IndicatorBook.default().extended(_write(tmp_path, GOOD))
    assert book.target("t.coverage", "110000").value == 98
    assert book.baseline("t.coverage", "110000").value == 92
    assert len(book.plans) == 4


# --- loader errors name the file, the indicator and the field -------------------------------


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("formula: verification_coverage", "formula: coverage_magic", "formula"),
        ('unit: "%",\n     kind', "unit: percent,\n     kind", "unit"),
        ("kind: binding", "kind: mandatory", "kind"),
        ("direction: higher", "direction: up", "direction"),
        ("level: province", "level: county", "level"),
    ],
)
def test_bad_definition_field_is_named(tmp_path, old, new, field):
    assert old in GOOD
    path = _write(tmp_path, GOOD.replace(old, new))
    with pytest.raises(IndicatorError) as exc:
        IndicatorBook.load(path)
    msg = str(exc.value)
    assert str(path) in msg and "'t.coverage'" in msg and f"field {field!r}" in msg


def test_target_in_the_wrong_unit(tmp_path):
    bad = GOOD.replace('value: 98, unit: "%"', "value: 98, unit: count")
    path = _write(tmp_path, bad)
    with pytest.raises(IndicatorError, match=r"'t.coverage'.*field 'unit'.*target 2025") as exc:
        IndicatorBook.load(path)
    assert str(path) in str(exc.value)


def test_duplicate_id_within_and_across_files(tmp_path):
    dup = GOOD.replace(
        "values:",
        "  - {id: t.coverage, name_zh: x, name_en: x, unit: count, kind: expected,\n"
        "     direction: higher, formula: manual, level: city}\nvalues:",
    )
    with pytest.raises(IndicatorError, match=r"'t.coverage'.*field 'id'.*duplicate"):
        IndicatorBook.load(_write(tmp_path, dup))
    a = _write(tmp_path, GOOD, "indicators-a.yaml")
    b = _write(tmp_path, GOOD.replace("plan: test-province", "plan: other"), "indicators-b.yaml")
    with pytest.raises(IndicatorError, match=r"indicators-b.yaml.*'t.coverage'.*already defined"):
        IndicatorBook.load(a, b)


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("value: 98,", "value: 101,", "value"),  # a percentage above 100 %
        ("value: 98,", "value: null,", "source_note"),  # absent without saying why
        ("year: 2025", "year: 25", "year"),
        ('region: "110000", year: 2025', 'region: "11", year: 2025', "region"),
        ("role: target", "role: goal", "role"),
    ],
)
def test_bad_value_row_is_named(tmp_path, old, new, field):
    assert old in GOOD
    with pytest.raises(IndicatorError, match=rf"'t.coverage'.*field '{field}'"):
        IndicatorBook.load(_write(tmp_path, GOOD.replace(old, new)))


def test_value_for_an_undefined_indicator(tmp_path):
    bad = GOOD.replace(
        '{indicator: t.coverage, region: "110000", year: 2025',
        '{indicator: t.other, region: "110000", year: 2025',
    )
    with pytest.raises(IndicatorError, match=r"'t.other'.*field 'indicator'"):
        IndicatorBook.load(_write(tmp_path, bad))


def test_whole_count_required(tmp_path):
    text = GOOD.replace('unit: "%"', "unit: count").replace("value: 98", "value: 98.5")
    with pytest.raises(IndicatorError, match=r"field 'value'.*whole count"):
        IndicatorBook.load(_write(tmp_path, text))
