"""Mid-term evaluation report (中期评估报告): PDF and XLSX built from a stored snapshot.

The figures are those of the ``world`` fixture (hand-counted in tests/platform/test_indicators.py:
one public standard, STD-HZ, in Zhejiang). A test plan for Zhejiang gives baselines and 2025/2035
targets so the RAG status is exercised: with baseline 0 (2020) and 2025 target 5, one standard
on 1 March 2026 is far below the path (red); with 2025 target 1 it is on it (green).
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from jiliang.platform.audit.models import AuditEntry
from jiliang.platform.indicators import report, services, tracing
from jiliang.platform.indicators.models import IndicatorSnapshot
from jiliang.platform.ledger import service as ledger
from jiliang.platform.registry.models import MeasurementStandard
from jiliang.platform.traceability import loader

MARCH = dt.date(2026, 3, 1)

PLAN = """
kind: indicator_plan
plan: zj-test
title_zh: 浙江测试方案
source: test plan for the report tests
edition: "2026"
region: "330000"
indicators:
  - {id: zj.public_standards, name_zh: 社会公用计量标准, name_en: Public measurement standards,
     unit: count, kind: expected, direction: higher, formula: public_standards, level: province,
     clause: §1, confirmed: false}
  - {id: zj.public_standards_low, name_zh: 社会公用计量标准（低目标）,
     name_en: Public standards (low),
     unit: count, kind: expected, direction: higher, formula: public_standards, level: province,
     clause: §2, confirmed: false}
values:
  - {indicator: zj.public_standards,
     region: "330000", year: 2020, role: baseline, value: 0, unit: count}
  - {indicator: zj.public_standards,
     region: "330000", year: 2025, role: target, value: 5, unit: count}
  - {indicator: zj.public_standards,
     region: "330000", year: 2035, role: target, value: 10, unit: count}
  - {indicator: zj.public_standards_low,
     region: "330000", year: 2020, role: baseline, value: 0, unit: count}
  - {indicator: zj.public_standards_low,
     region: "330000", year: 2025, role: target, value: 1, unit: count}
"""


@pytest.fixture(autouse=True)
def _fresh(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.JILIANG_LEDGER_DIR = tmp_path / "ledger"
    plan = tmp_path / "indicators-zj-test.yaml"
    plan.write_text(PLAN, encoding="utf-8")
    settings.JILIANG_INDICATOR_PLANS = [str(plan)]
    loader.clear_cache()
    tracing.clear_cache()
    yield
    loader.clear_cache()
    tracing.clear_cache()


def _get(client, world, fmt, role="regulator", lang="zh-hans", **params):
    query = "&".join(f"{k}={v}" for k, v in {"region": "330000", **params}.items())
    return client.get(
        f"/api/indicators/report?{query}&format={fmt}",
        HTTP_ACCEPT_LANGUAGE=lang,
        **world.auth(role),
    )


def _xlsx_rows(content: bytes) -> tuple[dict[str, object], dict[str, tuple]]:
    ws = load_workbook(io.BytesIO(content)).active
    rows = list(ws.iter_rows(values_only=True))
    facts = {r[0]: r[1] for r in rows[1:9]}
    table = {r[0]: r for r in rows[10:] if r[0]}
    return facts, table


def test_xlsx_figures_equal_the_snapshots(client, world):
    row = services.take_snapshot(world.regions["330000"], MARCH, world.users["regulator"])
    ledger.sync()  # what the commit hook does outside the test transaction
    snap = services.snapshot_of(row)
    response = _get(client, world, "xlsx", as_of="2026-03-01", plan="zj-test")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    facts, table = _xlsx_rows(response.content)
    assert facts["快照摘要 SHA-256"] == row.digest
    entry = AuditEntry.objects.get(model="indicators.indicatorsnapshot", object_id=str(row.pk))
    assert entry.ledger_index is not None
    assert facts["透明日志序号"] == str(entry.ledger_index)
    assert int(facts["检查点大小"]) > entry.ledger_index  # the leaf is inside the checkpoint
    high, low = table["zj.public_standards"], table["zj.public_standards_low"]
    assert high[6] == snap.figures["public_standards"].value == 1  # STD-HZ
    assert high[4] == 0 and high[5] == 2020  # baseline and its year
    assert high[8] == 5 and high[9] == 10  # 2025 and 2035 targets
    assert low[8] == 1 and low[9] is None  # no 2035 target given
    assert high[10] == "红" and low[10] == "绿"
    # the cockpit computes the same status and projected year for the same date
    rows, _ = services.rows_for(world.regions["330000"], MARCH, "zj-test")
    by_id = {r.definition.id: r for r in rows}
    assert by_id["zj.public_standards"].status == "red"
    assert high[11] == by_id["zj.public_standards"].projected_year


def test_pdf_prints_the_snapshots_figures_and_digest(client, world):
    row = services.take_snapshot(world.regions["330000"], MARCH, world.users["regulator"])
    ledger.sync()
    response = _get(client, world, "pdf", as_of="2026-03-01", plan="zj-test")
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF-")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    squashed = "".join(text.split())
    assert row.digest in squashed
    assert "规划指标中期评估报告" in squashed and "zj.public_standards" in squashed
    assert "2026-03-01" in squashed
    english = _get(client, world, "pdf", lang="en", as_of="2026-03-01", plan="zj-test")
    text_en = "".join(p.extract_text() for p in PdfReader(io.BytesIO(english.content)).pages)
    text_en = "".join(text_en.split())
    assert "Mid-termevaluationreport" in text_en and "Publicmeasurementstandards" in text_en
    assert row.digest in text_en


def test_same_date_gives_the_same_numbers(client, world):
    """A re-take after the records changed does not change the report of that date."""
    region = world.regions["330000"]
    first = services.take_snapshot(region, MARCH, world.users["regulator"])
    MeasurementStandard.objects.filter(code="STD-HZ").update(level="enterprise")
    second = services.take_snapshot(region, MARCH, world.users["regulator"])
    assert services.snapshot_of(second).figures["public_standards"].value == 0
    before = report.build(region, MARCH, english=False, plan="zj-test")
    again = report.build(region, MARCH, english=False, plan="zj-test")
    assert before.snapshot.pk == again.snapshot.pk == first.pk
    assert [r.value for r in before.rows] == [r.value for r in again.rows] == [1, 1]
    chosen = report.build(region, None, False, "zj-test", snapshot_id=second.pk)
    assert [r.value for r in chosen.rows] == [0, 0]


def test_report_refusals(client, world):
    # no snapshot of the date: 422 naming as_of
    response = _get(client, world, "pdf", as_of="2026-03-01")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "as_of"
    services.take_snapshot(world.regions["330000"], MARCH, world.users["regulator"])
    assert _get(client, world, "doc", as_of="2026-03-01").status_code == 422
    # the Hangzhou inspector's area does not contain the province: not revealed
    assert _get(client, world, "pdf", role="inspector", as_of="2026-03-01").status_code == 404
    other = IndicatorSnapshot.objects.create(
        region=world.regions["330200"], as_of=MARCH, payload="{}", digest="0" * 64
    )
    response = _get(client, world, "xlsx", snapshot=other.pk)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "snapshot"


def _value_cell(html: str, ident: str) -> str:
    row = html.split(f'id="row-{ident}"', 1)[1]
    return row.split('<td class="value">', 1)[1].split("</td>", 1)[0].strip()


def test_dashboard_renders_from_the_latest_snapshot(client, world):
    """Without a date the page shows the latest snapshot's figures (no record query), says when
    they were computed, links its reports; ?live=1 computes from the records."""
    region = world.regions["330000"]
    row = services.take_snapshot(region, MARCH, world.users["regulator"])
    MeasurementStandard.objects.filter(code="STD-HZ").update(level="enterprise")
    client.force_login(world.users["regulator"])
    html = client.get("/indicators/?plan=zj-test").content.decode()
    assert 'id="computed-as-of"' in html and "2026-03-01" in html
    assert _value_cell(html, "zj.public_standards") == "1"  # as stored, not the records' 0
    assert f"snapshot={row.pk}" in html and "format=pdf" in html and "format=xlsx" in html
    assert "snapshot-form" in html  # the regulator may take a new one
    live = client.get("/indicators/?plan=zj-test&live=1").content.decode()
    assert 'id="computed-live"' in live and _value_cell(live, "zj.public_standards") == "0"


def test_children_compared_from_records(client, world):
    """Hangzhou (330100) keeps STD-HZ, Ningbo (330200) no public standard: 1 then 0."""
    ranked = services.compare_children(world.regions["330000"], "public_standards", MARCH)
    assert [(x.code, x.value, x.rank) for x in ranked] == [("330100", 1, 1), ("330200", 0, 2)]
    client.force_login(world.users["regulator"])
    html = client.get(f"/indicators/?plan=zj-test&as_of={MARCH}").content.decode()
    assert 'id="rank-chart"' in html and 'id="rank-330100"' in html
    assert '"y": [1, 0]' in html  # the bar chart's data
    with pytest.raises(services.IndicatorInputError) as err:
        services.compare_children(world.regions["330000"], "manual", MARCH)
    assert "indicator" in err.value.errors
