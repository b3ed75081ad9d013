"""Filings (备案): API and pages, scoping, validation, bulk import (atomic, row report)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import Workbook
from tests.platform.conftest import file_scales

from jiliang.platform.supervision.models import Filing

ROLES_LIST = {
    "admin": 2,
    "regulator": 2,
    "regulator_nb": 1,
    "inspector": 1,
    "lab": 0,
    "enterprise": 1,
    "anon": 0,
}


def post_filing(client, world, sv, body: dict):
    """``POST /api/supervision/filings`` with ``body`` as the enterprise user (ent_hz)."""
    return sv.api(client, world, "enterprise", "post", "filings", body)


@pytest.fixture
def filed(world):
    return file_scales(world)


def test_create_filing_takes_schedule_from_core(client, world, sv):
    r = post_filing(client, world, sv, {"lifetime_id": world.instruments["hz"].lifetime_id})
    assert r.status_code == 201, r.content
    body = r.json()
    # electronic price scale: periodic 12 months (JJG 539); verified 2026-01-10 (JD-HZ-1)
    assert body["item_code"] == "electronic_price_scale"
    assert body["last_verified"] == "2026-01-10"
    assert body["last_result"] == "pass"
    assert body["due_date"] == "2027-01-10"
    f = Filing.objects.get(pk=body["id"])
    assert f.verified_by == world.orgs["lab_hz"]


@pytest.mark.parametrize(
    "role,status", [("anon", 401), ("regulator", 403), ("lab", 422), ("inspector", 403)]
)
def test_create_filing_denied(client, world, sv, role, status):
    r = sv.api(
        client, world, role, "post", "filings", {"lifetime_id": world.instruments["hz"].lifetime_id}
    )
    assert r.status_code == status
    assert not Filing.objects.exists()


def test_out_of_scope_instrument_is_not_revealed(client, world, sv):
    r = post_filing(client, world, sv, {"lifetime_id": world.instruments["nb"].lifetime_id})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "lifetime_id"]


def test_bad_input_names_the_field(client, world, sv):
    inst = sv.add_instrument(world)
    r = post_filing(
        client, world, sv, {"lifetime_id": inst.lifetime_id, "item_code": "no_such_item"}
    )
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "item_code"]
    r = post_filing(client, world, sv, {"lifetime_id": inst.lifetime_id})
    assert r.status_code == 422  # water meter needs dn_mm
    assert r.json()["detail"][0]["loc"] == ["body", "params"]
    assert "dn_mm" in r.json()["detail"][0]["msg"]
    bogus_use = {"lifetime_id": inst.lifetime_id, "use": "bogus", "params": {"dn_mm": 20}}
    r = post_filing(client, world, sv, bogus_use)
    assert r.json()["detail"][0]["loc"] == ["body", "use"]
    r = post_filing(client, world, sv, {"lifetime_id": inst.lifetime_id, "params": {"dn_mm": 20}})
    assert r.status_code == 201
    assert r.json()["status"] == "overdue"  # never verified
    r = post_filing(client, world, sv, {"lifetime_id": inst.lifetime_id, "params": {"dn_mm": 20}})
    assert r.status_code == 409


@pytest.mark.parametrize("role", sorted(ROLES_LIST))
def test_list_is_scoped(client, world, sv, filed, role):
    r = sv.api(client, world, role, "get", "filings")
    assert r.status_code == 200
    assert r.json()["count"] == ROLES_LIST[role]


def test_out_of_scope_read_is_404(client, world, sv, filed):
    r = sv.api(client, world, "enterprise", "get", f"filings/{filed['nb'].pk}")
    assert r.status_code == 404
    r = sv.api(client, world, "regulator_nb", "get", f"filings/{filed['nb'].pk}")
    assert r.status_code == 200


def test_filing_is_withdrawn_with_a_reason_never_deleted(client, world, sv, filed):
    """Issue 11: an enterprise deleted its own compulsory filing (204). Filings are withdrawn,
    with a reason the regulator reads, and stay on record."""
    hz = filed["hz"].pk
    r = sv.api(client, world, "enterprise", "delete", f"filings/{hz}")
    assert r.status_code == 405
    r = sv.api(
        client,
        world,
        "enterprise",
        "post",
        f"filings/{filed['nb'].pk}/withdrawal",
        {"reason": "scrapped"},
    )
    assert r.status_code == 404  # not theirs
    r = sv.api(client, world, "enterprise", "post", f"filings/{hz}/withdrawal", {"reason": " "})
    assert r.status_code == 422 and "reason" in r.content.decode()
    r = sv.api(
        client,
        world,
        "enterprise",
        "post",
        f"filings/{hz}/withdrawal",
        {"reason": "scale scrapped after the shop closed"},
    )
    assert r.status_code == 200 and r.json()["withdrawn_on"]
    seen = sv.api(client, world, "regulator", "get", f"filings/{hz}").json()
    assert seen["withdrawal_reason"] == "scale scrapped after the shop closed"
    assert Filing.objects.filter(pk=hz).exists()
    assert not Filing.objects.active().filter(pk=hz).exists()
    r = sv.api(client, world, "enterprise", "post", f"filings/{hz}/withdrawal", {"reason": "x"})
    assert r.status_code == 422  # once only


def test_new_verification_updates_the_filing(world, sv, filed):
    sv.verify(world, world.instruments["hz"], dt.date(2026, 6, 1), result="fail")
    f = Filing.objects.get(pk=filed["hz"].pk)
    assert f.last_verified == dt.date(2026, 6, 1)
    assert f.last_result == "fail"
    assert f.first_verified == dt.date(2026, 1, 10)


def _csv(rows):
    return ("lifetime_id,item_code,use,dn_mm\n" + "\n".join(",".join(r) for r in rows)).encode()


def test_import_with_errors_imports_nothing_unless_accepted(client, world, sv):
    good = [sv.add_instrument(world, seq=200 + i) for i in range(3)]
    rows = [
        [good[0].lifetime_id, "water_meter", "trade_settlement", "20"],
        [good[1].lifetime_id, "water_meter", "trade_settlement", ""],  # missing DN
        [good[2].lifetime_id, "water_meter", "trade_settlement", "40"],
        ["330106-XXX-2024-0000001-0", "", "", ""],  # unknown
        [world.instruments["nb"].lifetime_id, "", "", ""],  # not ours
        [good[0].lifetime_id, "water_meter", "trade_settlement", "20"],  # duplicate
    ]
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("f.csv", _csv(rows), content_type="text/csv")
    r = client.post("/api/supervision/filings/import", {"file": upload}, **world.auth("enterprise"))
    assert r.status_code == 422
    report = r.json()
    assert report["committed"] is False and report["imported"] == 0
    assert {(e["row"], e["field"]) for e in report["errors"]} == {
        (3, "params"),
        (5, "lifetime_id"),
        (6, "lifetime_id"),
        (7, "lifetime_id"),
    }
    assert not Filing.objects.exists()
    upload = SimpleUploadedFile("f.csv", _csv(rows), content_type="text/csv")
    r = client.post(
        "/api/supervision/filings/import",
        {"file": upload, "accept_partial": "true"},
        **world.auth("enterprise"),
    )
    assert r.status_code == 200
    assert r.json()["imported"] == 2
    assert set(Filing.objects.values_list("instrument_id", flat=True)) == {good[0].pk, good[2].pk}
    assert Filing.objects.get(instrument=good[2]).params == {"dn_mm": 40.0}


def test_import_xlsx_page(client, world, sv):
    inst = sv.add_instrument(world, seq=300)
    wb = Workbook()
    ws = wb.active
    ws.append(["lifetime_id", "dn_mm"])
    ws.append([inst.lifetime_id, 15])
    ws.append([world.instruments["hz"].lifetime_id, None])
    buf = io.BytesIO()
    wb.save(buf)
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(world.users["enterprise"])
    r = client.post("/s/import/", {"file": SimpleUploadedFile("f.xlsx", buf.getvalue())})
    assert r.status_code == 200
    assert Filing.objects.count() == 2
    assert Filing.objects.get(instrument=inst).replace_date is None  # never verified
    r = client.post("/s/import/", {"file": SimpleUploadedFile("g.csv", b"serial\n1\n")})
    assert "lifetime_id" in r.content.decode()


def test_portal_pages(client, world, sv, filed):
    client.force_login(world.users["enterprise"])
    sv.add_instrument(world, seq=400)
    r = client.get("/s/")
    assert r.status_code == 200
    text = r.content.decode()
    assert world.instruments["hz"].lifetime_id in text
    assert world.instruments["nb"].lifetime_id not in text
    assert "unfiled" in text
    r = client.get(f"/s/filings/{filed['hz'].pk}/")
    assert r.status_code == 200 and "2027-01-10" in r.content.decode()
    assert client.get(f"/s/filings/{filed['nb'].pk}/").status_code == 404
    inst = sv.add_instrument(world, seq=401)
    r = client.post(
        "/s/filings/new/",
        {"instrument": inst.pk, "item_code": "water_meter", "use": "trade_settlement"},
    )
    assert r.status_code == 200 and "dn_mm" in r.content.decode()
    r = client.post(
        "/s/filings/new/",
        {
            "instrument": inst.pk,
            "item_code": "water_meter",
            "use": "trade_settlement",
            "dn_mm": "80",
        },
    )
    assert r.status_code == 302
    assert Filing.objects.get(instrument=inst).status == "overdue"
    assert client.get("/s/due/").status_code == 200


def test_filing_parameter_errors_are_in_the_users_language():
    """Issue 12/18: 'parameter 'dn_mm' must be a float' reached Chinese users in English."""
    from django.utils import translation

    from jiliang.platform.supervision.services import check_filing, clean_params

    with translation.override("zh-hans"):
        assert clean_params({"dn_mm": "wide"})[1]["params"] == "参数 'dn_mm' 须为数值"
        assert "不在目录" in check_filing("abacus", "other", {})["item_code"]
    with translation.override("en"):
        msg = clean_params({"dn_mm": "wide", "colour": 1})[1]["params"]
        assert "unknown parameter 'colour'" in msg and "parameter 'dn_mm' must be a number" in msg
        assert check_filing("abacus", "other", {})["item_code"].startswith(
            "item_code 'abacus' is not in catalogue"
        )
