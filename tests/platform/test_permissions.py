"""Permission matrix: every role against reads and writes, through the API and the pages.

Roles: admin (superuser), regulator (province 330000), regulator_nb (Ningbo 330200), inspector
(Hangzhou 330100), lab (lab in Hangzhou), enterprise (enterprise in Hangzhou), anon.
"""

from __future__ import annotations

import json

import pytest

from jiliang.core.identifiers import make_lifetime_id

from .conftest import credit

ROLES = ["admin", "regulator", "regulator_nb", "inspector", "lab", "enterprise", "anon"]

# Expected number of visible records per role (public standards: everyone sees both).
VISIBLE = {
    "instruments": {
        "admin": 2,
        "regulator": 2,
        "regulator_nb": 1,
        "inspector": 1,
        "lab": 0,
        "enterprise": 1,
        "anon": 0,
    },
    "calibrations": {
        "admin": 2,
        "regulator": 2,
        "regulator_nb": 1,
        "inspector": 1,
        "lab": 1,
        "enterprise": 1,
        "anon": 0,
    },
    "standards": {r: 2 for r in ROLES},
    "organisations": {r: 6 for r in ROLES},
}


def api(client, world, role, method, path, body=None):
    kwargs = world.auth(role)
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    return getattr(client, method)(f"/api/registry/{path}", **kwargs)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("slug", sorted(VISIBLE))
def test_list_is_scoped(client, world, role, slug):
    response = api(client, world, role, "get", slug)
    assert response.status_code == 200
    assert response.json()["count"] == VISIBLE[slug][role]


def new_instrument(world, owner: str, region: str, seq: int = 9) -> dict:
    return {
        "lifetime_id": make_lifetime_id(region, "EPS", 2026, seq),
        "category": "electronic_price_scale",
        "name": "new scale",
        "quantity": "mass",
        "unit": r"\kilogram",
        "range_low": 0,
        "range_high": 15,
        "mpe": 0.005,
        "owner": world.orgs[owner].code,
        "region": region,
    }


CREATE_OWN = {
    "admin": 201,
    "regulator": 403,
    "regulator_nb": 403,
    "inspector": 403,
    "lab": 403,
    "enterprise": 201,
    "anon": 401,
}


@pytest.mark.parametrize("role", ROLES)
def test_create_instrument_for_hangzhou_enterprise(client, world, role):
    response = api(
        client, world, role, "post", "instruments", new_instrument(world, "ent_hz", "330106")
    )
    assert response.status_code == CREATE_OWN[role], response.content


def test_enterprise_cannot_create_for_another_owner(client, world):
    body = new_instrument(world, "ent_nb", "330203")
    assert api(client, world, "enterprise", "post", "instruments", body).status_code == 403


PATCH_HZ = {
    "admin": 200,
    "regulator": 403,
    "regulator_nb": 404,
    "inspector": 403,
    "lab": 404,
    "enterprise": 200,
    "anon": 401,
}


@pytest.mark.parametrize("role", ROLES)
def test_patch_hangzhou_instrument(client, world, role):
    pk = world.instruments["hz"].pk
    response = api(client, world, role, "patch", f"instruments/{pk}", {"location": "stall 7"})
    assert response.status_code == PATCH_HZ[role], response.content


def test_enterprise_cannot_move_own_instrument_to_another_owner(client, world):
    pk = world.instruments["hz"].pk
    body = {"owner": world.orgs["ent_nb"].code}
    assert api(client, world, "enterprise", "patch", f"instruments/{pk}", body).status_code == 403
    world.instruments["hz"].refresh_from_db()
    assert world.instruments["hz"].owner == world.orgs["ent_hz"]


PATCH_EVENT = {
    "admin": 200,
    "regulator": 403,
    "regulator_nb": 404,
    "inspector": 403,
    "lab": 200,
    "enterprise": 403,
    "anon": 401,
}


@pytest.mark.parametrize("role", ROLES)
def test_patch_calibration_event(client, world, role):
    pk = world.events["hz"].pk
    response = api(client, world, role, "patch", f"calibrations/{pk}", {"conformity": "fail"})
    assert response.status_code == PATCH_EVENT[role], response.content


# Records are withdrawn, not deleted: only the operator deletes (issue 11's authority model).
DELETE_EVENT = {
    "admin": 204,
    "regulator": 403,
    "regulator_nb": 404,
    "inspector": 403,
    "lab": 403,
    "enterprise": 403,
    "anon": 401,
}


@pytest.mark.parametrize("role", ROLES)
def test_delete_calibration_event(client, world, role):
    pk = world.events["hz"].pk
    response = api(client, world, role, "delete", f"calibrations/{pk}")
    assert response.status_code == DELETE_EVENT[role], response.content


ORG_IN_NINGBO = {
    "admin": 201,
    "regulator": 201,
    "regulator_nb": 201,
    "inspector": 403,
    "lab": 403,
    "enterprise": 403,
    "anon": 401,
}


@pytest.mark.parametrize("role", ROLES)
def test_create_organisation_in_ningbo(client, world, role):
    body = {
        "code": credit("330203", 77),
        "name": "新企业",
        "kind": "enterprise",
        "region": "330203",
    }
    response = api(client, world, role, "post", "organisations", body)
    assert response.status_code == ORG_IN_NINGBO[role], response.content


def test_ningbo_regulator_cannot_create_in_hangzhou(client, world):
    body = {"code": credit("330106", 78), "name": "x", "kind": "enterprise", "region": "330106"}
    assert api(client, world, "regulator_nb", "post", "organisations", body).status_code == 403


REGION_CREATE = {
    "admin": 201,
    "regulator": 403,
    "regulator_nb": 403,
    "inspector": 403,
    "lab": 403,
    "enterprise": 403,
    "anon": 401,
}


@pytest.mark.parametrize("role", ROLES)
def test_create_region(client, world, role):
    body = {"code": "330108", "name": "滨江区", "level": "county", "parent": "330100"}
    assert api(client, world, role, "post", "regions", body).status_code == REGION_CREATE[role]


DETAIL_PAGE_NB = {
    "admin": 200,
    "regulator": 200,
    "regulator_nb": 200,
    "inspector": 404,
    "lab": 404,
    "enterprise": 404,
    "anon": 404,
}


@pytest.mark.parametrize("role", ROLES)
def test_instrument_page_scoped(client, world, role):
    if role != "anon":
        client.force_login(world.users[role])
    response = client.get(f"/r/instruments/{world.instruments['nb'].pk}/")
    assert response.status_code == DETAIL_PAGE_NB[role]


def test_page_edit_out_of_scope_is_forbidden(client, world):
    client.force_login(world.users["regulator"])
    response = client.post(
        f"/r/instruments/{world.instruments['hz'].pk}/edit/", {"name": "renamed"}
    )
    assert response.status_code == 403
    world.instruments["hz"].refresh_from_db()
    assert world.instruments["hz"].name == "scale hz"


def test_anonymous_edit_page_redirects_to_login(client, world):
    response = client.get(f"/r/instruments/{world.instruments['hz'].pk}/edit/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_session_write_requires_csrf(world):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["enterprise"])
    response = client.patch(
        f"/api/registry/instruments/{world.instruments['hz'].pk}",
        data=json.dumps({"location": "x"}),
        content_type="application/json",
    )
    assert response.status_code in (401, 403)
    world.instruments["hz"].refresh_from_db()
    assert world.instruments["hz"].location == ""


def test_token_use_is_noted_at_most_once_a_minute(client, world):
    from jiliang.platform.accounts.models import ApiToken

    api(client, world, "lab", "get", "instruments")
    token = ApiToken.objects.get(user=world.users["lab"])
    first = token.last_used
    assert first is not None
    api(client, world, "lab", "get", "instruments")
    token.refresh_from_db()
    assert token.last_used == first
    assert api(client, world, "lab", "get", "instruments").status_code == 200
    bad = client.get("/api/registry/instruments", HTTP_AUTHORIZATION="Bearer jl_wrong")
    assert bad.status_code == 401  # never silently anonymous
