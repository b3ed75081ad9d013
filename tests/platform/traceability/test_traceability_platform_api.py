"""Traceability API on the ``world`` fixture: scoping, verdicts equal to the core's, what-if."""

from __future__ import annotations

import datetime as dt

import pytest

from jiliang.core.traceability import TraceabilityEngine, coverage
from jiliang.platform.registry import models as m
from jiliang.platform.traceability import loader
from jiliang.platform.traceability.services import instrument_mask, scoped_coverage

ASOF = "2026-06-01"


@pytest.fixture(autouse=True)
def _fresh_cache():
    loader.clear_cache()
    yield
    loader.clear_cache()


@pytest.fixture
def traced(world):
    """Make the Hangzhou scale traceable: primary → STD-HZ (calibrated) → scale, lab in scope."""
    nmi, lab = world.orgs["nmi"], world.orgs["lab_hz"]
    ev = m.CalibrationEvent.objects.create(
        certificate_no="NIM-1",
        kind="calibration",
        standard=world.standards["lab_hz"],
        performed_by=nmi,
        performed_on=dt.date(2025, 12, 1),
        issued_on=dt.date(2025, 12, 1),
        due_on=dt.date(2026, 11, 30),
        unit=r"\kilogram",
        result_value=10.0,
        result_uncertainty=1e-3,
    )
    ev.standards_used.add(world.standards["primary"])
    for org, best in ((nmi, 1e-6), (lab, 1e-3)):
        m.Scope.objects.create(
            organisation=org,
            kind="accreditation",
            quantity="mass",
            unit=r"\kilogram",
            range_low=0,
            range_high=50,
            uncertainty=best,
            valid_from=dt.date(2024, 1, 1),
            valid_to=dt.date(2029, 12, 31),
        )
    return world


def chain(client, world, role, kind, key, **params):
    return client.get(
        f"/api/traceability/chain/{kind}/{key}", {"asof": ASOF, **params}, **world.auth(role)
    )


def test_chain_scoped_by_role(client, traced):
    w = traced
    hz, nb = w.instruments["hz"], w.instruments["nb"]
    for role, key, status in [
        ("admin", hz.lifetime_id, 200),
        ("regulator", hz.pk, 200),
        ("inspector", hz.lifetime_id, 200),
        ("inspector", nb.lifetime_id, 404),
        ("regulator_nb", hz.lifetime_id, 404),
        ("regulator_nb", nb.pk, 200),
        ("enterprise", hz.lifetime_id, 200),
        ("enterprise", nb.lifetime_id, 404),
        ("lab", hz.lifetime_id, 404),
        ("anon", hz.lifetime_id, 404),
    ]:
        r = chain(client, w, role, "instrument", key)
        assert r.status_code == status, (role, key, r.content)
    # public standards' chains are public
    r = chain(client, w, "anon", "standard", "STD-HZ")
    assert r.status_code == 200
    assert r.json()["item"] == f"standard:{w.standards['lab_hz'].pk}"
    assert chain(client, w, "admin", "gadget", "1").status_code == 422


def test_chain_content_traceable(client, traced):
    w = traced
    data = chain(client, w, "enterprise", "instrument", w.instruments["hz"].lifetime_id).json()
    assert data["verdict"] == "TRACEABLE", data
    labels = [lk["label"] for lk in data["links"]]
    assert labels[0] == w.instruments["hz"].lifetime_id
    assert any(lbl.startswith("STD-HZ") for lbl in labels)
    assert any(lbl.startswith("STD-P") for lbl in labels)
    first = data["links"][0]
    assert first["certificate_no"] == "JD-HZ-1"
    assert first["performed_by_name"] == "lab_hz"
    assert data["length"] == 2


def test_verdicts_match_core(client, world):
    """Without scopes and standard calibrations the world's chains break; same as the core."""
    records = loader.load_records()
    engine = TraceabilityEngine(records, dt.date.fromisoformat(ASOF))
    r = client.get("/api/traceability/verdicts", {"asof": ASOF}, **world.auth("admin"))
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == len(records.instruments) == 2
    for row in body["results"]:
        core = engine.result(str(row["id"]))
        assert row["verdict"] == core.verdict.value
        assert row["reason"] == (core.issue.reason.name if core.issue else None)
        assert row["length"] == core.length
    assert {row["verdict"] for row in body["results"]} <= {"NOT_TRACEABLE", "UNKNOWN"}
    # scoped: the Ningbo regulator sees Ningbo only, the public nothing
    r = client.get("/api/traceability/verdicts", {"asof": ASOF}, **world.auth("regulator_nb"))
    assert [row["lifetime_id"] for row in r.json()["results"]] == [
        world.instruments["nb"].lifetime_id
    ]
    assert client.get("/api/traceability/verdicts").json()["count"] == 0


def test_verdict_filters_and_bad_input(client, traced):
    w = traced
    api = "/api/traceability/verdicts"
    ok = client.get(api, {"asof": ASOF, "verdict": "TRACEABLE"}, **w.auth("admin")).json()
    assert [row["lifetime_id"] for row in ok["results"]] == [w.instruments["hz"].lifetime_id]
    bad = client.get(api, {"asof": ASOF, "verdict": "NOT_TRACEABLE"}, **w.auth("admin")).json()
    assert bad["count"] == 1 and bad["results"][0]["reason"]
    reason = bad["results"][0]["reason"]
    same = client.get(api, {"asof": ASOF, "reason": reason}, **w.auth("admin")).json()
    assert same["count"] == 1
    assert client.get(api, {"region": "3302"}, **w.auth("admin")).json()["count"] == 1
    assert client.get(api, {"category": "nope"}, **w.auth("admin")).json()["count"] == 0
    for params, field in [
        ({"verdict": "MAYBE"}, "verdict"),
        ({"reason": "BAD"}, "reason"),
        ({"limit": 0}, "limit"),
        ({"region": "zj"}, "region"),
    ]:
        r = client.get(api, params, **w.auth("admin"))
        assert r.status_code == 422 and field in r.content.decode(), (params, r.content)


def test_coverage_matches_core_and_scopes(client, traced):
    w = traced
    r = client.get(
        "/api/traceability/coverage", {"by": "category", "asof": ASOF}, **w.auth("admin")
    )
    assert r.status_code == 200
    engine = loader.get_engine(dt.date.fromisoformat(ASOF))
    assert r.json()["groups"] == coverage(engine, by="category")["groups"]
    full = instrument_mask(engine, w.users["admin"])
    for by in ("level", "region", "quantity", "owner_kind"):
        assert scoped_coverage(engine, full, by)["groups"] == coverage(engine, by=by)["groups"]
    nb = client.get(
        "/api/traceability/coverage", {"by": "region", "asof": ASOF}, **w.auth("regulator_nb")
    ).json()
    assert [g["group"] for g in nb["groups"]] == ["330203"]
    assert client.get("/api/traceability/coverage", {"by": "colour"}).status_code == 422


def test_gaps_and_whatif(client, traced):
    w = traced
    r = client.get("/api/traceability/gaps", {"asof": ASOF}, **w.auth("regulator"))
    assert r.status_code == 200
    assert all(g["region_code"].startswith("33") for g in r.json()["gaps"])
    r = client.get(
        "/api/traceability/whatif", {"standard": "STD-HZ", "asof": ASOF}, **w.auth("regulator")
    )
    assert r.status_code == 200, r.content
    data = r.json()
    assert data["lost_instruments_count"] == 1
    assert data["lost_instruments"][0]["lifetime_id"] == w.instruments["hz"].lifetime_id
    assert data["by_category"] == {"electronic_price_scale": 1}
    # the primary standard takes STD-HZ with it
    r = client.get(
        "/api/traceability/whatif", {"standard": "STD-P", "asof": ASOF}, **w.auth("admin")
    ).json()
    assert r["lost_instruments_count"] == 1
    assert {s["code"] for s in r["lost_standards"]} == {"STD-P", "STD-HZ"}
    # out of the Ningbo regulator's scope: nothing is revealed
    r = client.get(
        "/api/traceability/whatif", {"standard": "STD-HZ", "asof": ASOF}, **w.auth("regulator_nb")
    ).json()
    assert r["lost_instruments_count"] == 0
    # the engine is left as it was
    after = chain(client, w, "admin", "instrument", w.instruments["hz"].pk).json()
    assert after["verdict"] == "TRACEABLE"
    bad = client.get("/api/traceability/whatif", {"standard": "NOPE"}, **w.auth("admin"))
    assert bad.status_code == 422 and "standard" in bad.content.decode()


def test_cache_invalidated_by_changes(client, traced):
    w = traced
    before = chain(client, w, "admin", "instrument", w.instruments["hz"].pk).json()
    assert before["verdict"] == "TRACEABLE"
    e1 = loader.get_engine(dt.date.fromisoformat(ASOF))
    assert loader.get_engine(dt.date.fromisoformat(ASOF)) is e1
    ev = w.events["hz"]
    ev.withdrawn = True
    ev.save()
    after = chain(client, w, "admin", "instrument", w.instruments["hz"].pk).json()
    assert after["verdict"] == "NOT_TRACEABLE"
    assert after["issue"]["reason"] in {"CERT_WITHDRAWN", "NO_CALIBRATION"}


def test_anonymous_write_is_401(client):
    assert client.post("/api/traceability/verdicts").status_code in (401, 405)
