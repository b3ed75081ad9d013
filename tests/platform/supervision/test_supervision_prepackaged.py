"""Prepackaged-goods inspections (verdict from core.legal.prepackaged), credit pages."""

from __future__ import annotations

import pytest
from django.utils.html import escape

from jiliang.core.legal.prepackaged import inspect_lot
from jiliang.platform.supervision.models import CreditEvent, PrepackagedInspection

# JJF 1070-2023: lot 100 → n = 50, λ = 0.379, 3 units short by > T allowed; Qn 500 g → T = 15 g
NET = [501.0, 499.0] * 25


def body(world, **kw):
    return {
        "organisation": world.orgs["ent_hz"].code,
        "product": "大米 500 g",
        "nominal": 500,
        "kind": "mass",
        "lot_size": 100,
        "units": NET,
        "inspected_on": "2026-11-01",
        **kw,
    }


def test_inspection_verdict_from_core(client, world, sv):
    r = sv.api(client, world, "inspector", "post", "prepackaged", body(world))
    assert r.status_code == 201, r.content
    out = r.json()
    expected = inspect_lot(500, "mass", 100, net=NET)
    assert out["passed"] is expected.passed is True
    assert out["sample_n"] == 50 and out["t"] == 15.0
    assert out["mean_limit"] == pytest.approx(expected.mean_limit)


def test_gross_with_tare_and_failure(client, world, sv):
    units = [x + 20 for x in NET]
    units[:4] = [500.0, 500.0, 500.0, 500.0]  # net 480 g: short by 20 g > T (4 > 3 allowed)
    r = sv.api(
        client,
        world,
        "regulator",
        "post",
        "prepackaged",
        body(world, units=units, gross=True, tare=20),
    )
    assert r.status_code == 201
    assert r.json()["passed"] is False and r.json()["n_short_t"] == 4
    r = sv.api(client, world, "regulator", "post", "prepackaged", body(world, gross=True))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "tare"]


def test_too_few_units_names_required_n(client, world, sv):
    r = sv.api(client, world, "inspector", "post", "prepackaged", body(world, units=NET[:20]))
    assert r.status_code == 422
    detail = r.json()["detail"][0]
    assert detail["loc"] == ["body", "units"] and "n = 50" in detail["msg"]
    assert not PrepackagedInspection.objects.exists()


@pytest.mark.parametrize(
    "role,status", [("anon", 401), ("enterprise", 403), ("lab", 403), ("regulator_nb", 403)]
)
def test_inspection_denied(client, world, sv, role, status):
    assert sv.api(client, world, role, "post", "prepackaged", body(world)).status_code == status


def test_inspection_pages_and_scoping(client, world, sv):
    pk = sv.api(client, world, "inspector", "post", "prepackaged", body(world)).json()["id"]
    client.force_login(world.users["enterprise"])
    r = client.get(f"/s/prepackaged/{pk}/")
    assert r.status_code == 200 and "0.379" in r.content.decode()
    client.force_login(world.users["regulator_nb"])
    assert client.get(f"/s/prepackaged/{pk}/").status_code == 404
    client.force_login(world.users["inspector"])
    r = client.post(
        "/s/prepackaged/",
        {
            "organisation_code": world.orgs["ent_hz"].code,
            "product": "油",
            "nominal": 500,
            "kind": "volume",
            "lot_size": 100,
            "inspected_on": "2026-11-01",
            "units_text": " ".join(["500"] * 10),
        },
    )
    assert r.status_code == 200 and "n = 50" in r.content.decode()
    assert PrepackagedInspection.objects.count() == 1


def test_failure_reasons_on_the_report_page_in_chinese_and_english(client, world, sv):
    """Issue 18 item 3: the page rebuilds the reasons from the stored fields in the user's
    language; the API keeps the core's English sentences."""
    units = list(NET)
    units[:4] = [480.0] * 4  # short by 20 g > T = 15 g: 4 units where 3 are allowed
    expected = inspect_lot(500, "mass", 100, net=units)
    assert expected.reasons  # the lot fails
    r = sv.api(client, world, "inspector", "post", "prepackaged", body(world, units=units))
    assert r.status_code == 201 and r.json()["reasons"] == list(expected.reasons)
    client.force_login(world.users["inspector"])
    zh = client.get(f"/s/prepackaged/{r.json()['id']}/").content.decode()
    assert "4 件短缺量大于 T = 15（允许 3 件）" in zh
    assert "short by" not in zh
    en = client.get(f"/s/prepackaged/{r.json()['id']}/", HTTP_ACCEPT_LANGUAGE="en")
    # the English sentences are the core's own, built from the same fields
    for reason in expected.reasons:
        assert escape(reason) in en.content.decode()
    assert "件短缺量" not in en.content.decode()


def test_credit_grade_and_pages(client, world, sv):
    code = world.orgs["ent_hz"].code

    def record(kind: str):
        body = {"organisation": code, "kind": kind, "on": "2026-10-01"}
        return sv.api(client, world, "regulator", "post", "credit-events", body)

    r = record("cheating_device")
    assert r.status_code == 201
    r = record("bogus")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "kind"]
    assert (
        sv.api(
            client,
            world,
            "enterprise",
            "post",
            "credit-events",
            {"organisation": code, "kind": "penalty", "on": "2026-10-01"},
        ).status_code
        == 403
    )
    assert CreditEvent.objects.count() == 1
    r = sv.api(client, world, "regulator", "get", f"credit/{code}")
    assert r.json()["grade"] == "D"  # serious violation: listed
    assert sv.api(client, world, "enterprise", "get", f"credit/{code}").status_code == 200
    nb = world.orgs["ent_nb"].code
    assert sv.api(client, world, "enterprise", "get", f"credit/{nb}").status_code == 404
    client.force_login(world.users["regulator"])
    page = client.get(f"/s/credit/{code}/").content.decode()
    assert (
        "使用作弊装置" in page and "cheating_device" not in page
    )  # the event's name, not its code
    assert client.get("/s/credit/").status_code == 200
