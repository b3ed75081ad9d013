"""The indicators API and cockpit page: permissions, JSON/CSV values, snapshots, entered values
with evidence, bad input (a clear error naming the field, nothing half-written).

Counts are those of the ``world`` fixture, hand-counted in tests/platform/test_indicators.py.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jiliang.platform.audit.models import AuditEntry
from jiliang.platform.indicators import services, tracing
from jiliang.platform.indicators.models import IndicatorSnapshot, ManualValue
from jiliang.platform.traceability import loader

PDF = b"%PDF-1.4\n% evidence\n"
MARCH = "2026-03-01"


@pytest.fixture(autouse=True)
def _fresh(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.JILIANG_LEDGER_DIR = tmp_path / "ledger"
    loader.clear_cache()
    tracing.clear_cache()
    yield
    loader.clear_cache()
    tracing.clear_cache()


def _detail(response) -> dict[str, str]:
    return {d["loc"][-1]: d["msg"] for d in response.json()["detail"]}


def test_definitions_are_listed(client, world):
    response = client.get("/api/indicators/definitions?plan=jilin-2022")
    assert response.status_code == 200
    rows = response.json()
    assert len(rows) == 6  # Jilin's six 2025 targets
    first = rows[0]
    assert first["id"] == "jl.public_standards" and first["formula"] == "public_standards"
    assert first["query"].startswith("社会公用计量标准数")


def test_values_json_for_the_regulator(client, world):
    response = client.get(
        f"/api/indicators/values?region=330000&as_of={MARCH}&plan=jilin-2022",
        **world.auth("regulator"),
    )
    assert response.status_code == 200
    body = response.json()
    assert body["as_of"] == MARCH and body["count"] == 6
    by_id = {r["id"]: r for r in body["items"]}
    assert by_id["jl.public_standards"]["value"] == 1  # STD-HZ
    assert by_id["jl.reference_materials"]["value"] == 0
    assert by_id["jl.local_specifications"]["value"] == 0  # none in the registry
    cap = by_id["jl.compulsory_standard_coverage"]
    assert cap["value"] == pytest.approx(100 / 18) and len(cap["gaps"]) == 17
    assert "electronic_price_scale" not in cap["gaps"]


def test_values_csv_carries_the_definitions(client, world):
    """Jilin (220000, no records in the world) against its plan's 2025 targets, as the admin."""
    from jiliang.platform.registry.models import Region

    Region.objects.create(code="220000", name="吉林省", level="province")
    response = client.get(
        f"/api/indicators/values?region=220000&as_of={MARCH}&format=csv",
        **world.auth("admin"),
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "指标" and rows[0][-1] == "口径"
    public = next(r for r in rows if r[0] == "jl.public_standards")
    # 0 standards against 1 450 by 2025: the target date has passed, no baseline → no RAG
    assert public[7] == "0" and public[9] == "1450.0" and public[10] == "2025"
    assert public[-1].startswith("社会公用计量标准数")
    assert len(rows) == 1 + 6 + 4  # Jilin's six and the national plan's four


def test_reads_are_scoped_to_the_region(client, world):
    url = f"/api/indicators/values?region=330100&as_of={MARCH}"
    assert client.get(url, **world.auth("inspector")).status_code == 200  # Hangzhou's inspector
    ningbo = f"/api/indicators/values?region=330200&as_of={MARCH}"
    assert client.get(ningbo, **world.auth("inspector")).status_code == 404
    for role in ("lab", "enterprise", "anon"):
        assert client.get(url, **world.auth(role)).status_code == 404, role
    assert client.get(ningbo, **world.auth("regulator_nb")).status_code == 200


def test_values_bad_input_names_the_field(client, world):
    auth = world.auth("regulator")
    future = (services.today() + dt.timedelta(days=3)).isoformat()
    response = client.get(f"/api/indicators/values?region=330000&as_of={future}", **auth)
    assert response.status_code == 422 and "as_of" in _detail(response)
    response = client.get("/api/indicators/values?region=999999", **auth)
    assert response.status_code == 422 and "region" in _detail(response)
    response = client.get("/api/indicators/values?region=330000&plan=nope", **auth)
    assert response.status_code == 422 and "plan" in _detail(response)
    response = client.get("/api/indicators/values?region=330000&format=xml", **auth)
    assert response.status_code == 422 and "format" in _detail(response)


def _post_snapshot(client, world, role, **body):
    return client.post(
        "/api/indicators/snapshots",
        data=json.dumps({"region": "330000", **body}),
        content_type="application/json",
        **world.auth(role),
    )


def test_snapshot_api_same_date_same_digest(client, world):
    first = _post_snapshot(client, world, "regulator", as_of=MARCH)
    assert first.status_code == 201, first.content
    second = _post_snapshot(client, world, "admin", as_of=MARCH)
    assert second.status_code == 201
    assert first.json()["digest"] == second.json()["digest"]
    # the Hangzhou inspector's area (3301) does not contain the province
    listed = client.get("/api/indicators/snapshots?region=330000", **world.auth("inspector"))
    assert listed.status_code == 404
    listed = client.get("/api/indicators/snapshots?region=330000", **world.auth("regulator"))
    body = listed.json()
    assert body["count"] == 2 and body["limit"] == 50 and body["offset"] == 0
    detail = client.get(
        f"/api/indicators/snapshots/{first.json()['id']}", **world.auth("regulator")
    ).json()
    assert detail["payload"]["figures"]["public_standards"]["value"] == "1"
    assert detail["payload"]["schema"] == "jiliang/indicator-snapshot/v1"


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("regulator_nb", 403),
        ("inspector", 403),
        ("lab", 403),
        ("enterprise", 403),
        ("anon", 401),
    ],
)
def test_snapshot_writes_are_for_the_regions_regulator(client, world, role, status):
    response = _post_snapshot(client, world, role, as_of=MARCH)
    assert response.status_code == status
    if status == 403:
        assert "region" in _detail(response)
    assert IndicatorSnapshot.objects.count() == 0


def test_snapshot_in_the_future_is_a_422_naming_as_of(client, world):
    future = (services.today() + dt.timedelta(days=1)).isoformat()
    response = _post_snapshot(client, world, "regulator", as_of=future)
    assert response.status_code == 422 and "as_of" in _detail(response)
    assert IndicatorSnapshot.objects.count() == 0


def _enter(client, world, role="regulator", name="evidence.pdf", content=PDF, **fields):
    data = {
        "region": "330000",
        "indicator": "jl.industrial_test_centres",
        "as_of": "2026-02-01",
        "value": "3",
        "unit": "count",
        "note": "省局公告",
        **fields,
        "evidence": SimpleUploadedFile(name, content),
    }
    return client.post("/api/indicators/manual", data=data, **world.auth(role))


def test_manual_value_with_evidence_is_audited_and_counted(client, world, settings):
    response = _enter(client, world)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["entered_by"] == "regulator" and body["evidence_size"] == len(PDF)
    row = ManualValue.objects.get()
    entry = AuditEntry.objects.get(model="indicators.manualvalue", object_id=str(row.pk))
    assert entry.username == "regulator" and entry.after["evidence_sha256"] == row.evidence_sha256
    assert services.evidence_path(row).read_bytes() == PDF
    values = client.get(
        f"/api/indicators/values?region=330000&as_of={MARCH}&plan=jilin-2022",
        **world.auth("regulator"),
    ).json()
    centres = next(r for r in values["items"] if r["id"] == "jl.industrial_test_centres")
    assert centres["value"] == 3 and centres["record_count"] == 1
    # before the value's date it is not yet known
    earlier = client.get(
        "/api/indicators/values?region=330000&as_of=2026-01-31&plan=jilin-2022",
        **world.auth("regulator"),
    ).json()
    centres = next(r for r in earlier["items"] if r["id"] == "jl.industrial_test_centres")
    assert centres["value"] is None
    # a snapshot carries the entered value under manual:<id>
    snap = services.snapshot_of(
        services.take_snapshot(world.regions["330000"], dt.date(2026, 3, 1), world.users["admin"])
    )
    assert snap.figures["manual:jl.industrial_test_centres"].value == 3


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": "evidence.exe", "content": b"MZ\x90\x00"}, "evidence"),
        ({"name": "evidence.pdf", "content": b"\x89PNG\r\n\x1a\nnot a pdf"}, "evidence"),
        ({"unit": "%"}, "unit"),
        ({"value": "2.5"}, "value"),
        ({"value": "-1"}, "value"),
        ({"indicator": "jl.public_standards"}, "indicator"),  # computed from records
        ({"indicator": "xx.unknown"}, "indicator"),
        ({"region": "999999"}, "region"),
        ({"note": "x" * 501}, "note"),
    ],
)
def test_manual_value_bad_input_names_the_field(client, world, kwargs, field):
    response = _enter(client, world, **kwargs)
    assert response.status_code == 422, response.content
    assert field in _detail(response)
    assert ManualValue.objects.count() == 0


def test_manual_value_in_the_future_or_too_large(client, world, settings):
    future = (services.today() + dt.timedelta(days=2)).isoformat()
    response = _enter(client, world, as_of=future)
    assert response.status_code == 422 and "as_of" in _detail(response)
    settings.JILIANG_INDICATOR_EVIDENCE_MAX = 1024
    response = _enter(client, world, content=PDF + b"0" * 2048)
    assert response.status_code == 422
    assert "evidence" in _detail(response) and "MiB" in _detail(response)["evidence"]
    assert ManualValue.objects.count() == 0


def test_manual_value_needs_the_regions_regulator(client, world):
    assert _enter(client, world, role="regulator_nb").status_code == 403
    assert _enter(client, world, role="inspector").status_code == 403
    assert ManualValue.objects.count() == 0


def test_cockpit_page_for_the_regulator(client, world):
    services.take_snapshot(world.regions["330000"], dt.date(2026, 1, 5), world.users["regulator"])
    client.force_login(world.users["regulator"])
    response = client.get(f"/indicators/?as_of={MARCH}&plan=jilin-2022")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="row-jl.public_standards"' in html
    assert "echarts.min.js" in html and "chart-0" in html  # the snapshot's series is drawn
    assert f'nonce="{response.wsgi_request.csp_nonce}"' in html
    assert "snapshot-form" in html  # the regulator may take snapshots
    records = client.get(f"/indicators/records/public_standards/?region=330000&as_of={MARCH}")
    assert records.status_code == 200 and "STD-HZ" in records.content.decode()
    gaps = client.get(
        f"/indicators/records/verification_capability_coverage/?region=330000&as_of={MARCH}"
    )
    assert gaps.status_code == 200 and 'id="gaps"' in gaps.content.decode()
    coverage = client.get(f"/indicators/records/verification_coverage/?region=330000&as_of={MARCH}")
    assert coverage.status_code == 302 and coverage["Location"] == "/s/dashboard/"


def test_cockpit_page_in_english(client, world):
    client.force_login(world.users["inspector"])
    response = client.get(
        f"/indicators/?region=330100&as_of={MARCH}&plan=jilin-2022", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Public measurement standards" in html
    assert "snapshot-form" not in html  # an inspector reads only


def test_cockpit_page_refused_outside_the_area(client, world):
    client.force_login(world.users["enterprise"])
    assert client.get("/indicators/").status_code == 403
    client.force_login(world.users["inspector"])
    assert client.get("/indicators/?region=330200").status_code == 404


def test_page_snapshot_form(client, world):
    client.force_login(world.users["regulator"])
    response = client.post("/indicators/snapshot/", {"region": "330000", "as_of": MARCH})
    assert response.status_code == 302
    assert IndicatorSnapshot.objects.get().as_of == dt.date(2026, 3, 1)
    client.force_login(world.users["inspector"])
    response = client.post("/indicators/snapshot/", {"region": "330100", "as_of": MARCH})
    assert response.status_code == 403
