"""Roles and errors (issue 18 item 6): each role's own menu and home, a lab reads the
instruments it is assigned to verify, styled and translated error pages, JSON errors under /api/.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from jiliang.platform import menu
from jiliang.platform.registry import models as m
from jiliang.platform.supervision import verifications as portal_svc
from jiliang.platform.supervision.models import Filing
from jiliang.platform.supervision.services import sync_filing

from .conftest import file_scales

ROLES = ["anon", "admin", "regulator", "regulator_nb", "inspector", "lab", "enterprise"]

#: what each role's menus hold (a subset check per role is in test_menu_shows_role_entries)
PUBLIC_MAIN = {"standards", "organisations", "reference-materials", "cmcs", "verify", "log"}
PUBLIC_MAIN |= {"commitments", "api"}
ALL_SUPERVISION = {
    "portal",
    "due",
    "notifications",
    "assigned",
    "dashboard",
    "draws",
    "inspections",
    "credit",
    "commitments",
}
EXPECTED_SUPERVISION = {
    "anon": set(),  # no portal entry, so no sub-menu either
    "admin": ALL_SUPERVISION,
    "regulator": ALL_SUPERVISION,
    "inspector": ALL_SUPERVISION - {"assigned"},
    "lab": ALL_SUPERVISION - {"dashboard", "credit"},
    "enterprise": ALL_SUPERVISION - {"assigned", "dashboard", "credit"},
}


def _client(world, role: str) -> Client:
    client = Client()
    if role != "anon":
        client.force_login(world.users[role])
    return client


def _menu(html: str, element_id: str) -> dict[str, str]:
    """``{key: url}`` of the links in the menu element ``element_id`` of a page."""
    found = re.search(rf'id="{element_id}".*?</(nav|p)>', html, re.S)
    if found is None:
        return {}
    return dict(
        (key, url)
        for url, key in re.findall(r'<a href="([^"]+)" data-menu="([^"]+)"', found.group(0))
    )


def _menus(client) -> tuple[dict, dict]:
    main = _menu(client.get("/").content.decode(), "main-menu")
    sub = {}
    if "supervision" in main:
        sub = _menu(client.get(main["supervision"]).content.decode(), "supervision-menu")
    return main, sub


@pytest.mark.parametrize("role", ROLES)
def test_every_menu_link_opens_for_every_role(world, role):
    """Crawl every link of the top menu and of the supervision sub-menu, and every home card:
    each answers 200 (no 403, no 404, no redirect to the login page)."""
    client = _client(world, role)
    main, sub = _menus(client)
    assert main, "the menu is empty"
    home = client.get("/").content.decode()
    cards = re.findall(r'<a class="card[^"]*" href="([^"]+)"', home)
    for url in {*main.values(), *sub.values(), *cards}:
        response = client.get(url)
        assert response.status_code == 200, (role, url, response.status_code)


@pytest.mark.parametrize("role", ["anon", "admin", "regulator", "inspector", "lab", "enterprise"])
def test_menu_shows_role_entries(world, role):
    main, sub = _menus(_client(world, role))
    assert set(main) >= PUBLIC_MAIN
    assert set(sub) == EXPECTED_SUPERVISION[role]
    private = {"instruments", "calibrations", "budgets", "supervision", "traceability"}
    if role == "anon":
        assert not private & set(main)  # instruments are not public: no entry, no empty list
    else:
        assert private <= set(main)


@pytest.mark.parametrize("role", ["anon", "inspector", "lab", "enterprise"])
def test_hidden_entries_are_really_closed(world, role):
    """What the menu leaves out the page itself refuses, or lists nothing by policy: the
    predicates are the views' own checks, not a second opinion."""
    client = _client(world, role)
    user = world.users[role] if role != "anon" else AnonymousUser()
    for entry in menu.entries():
        if entry.allowed(user):
            continue
        response = client.get(entry.url)
        if response.status_code == 200:
            ctx = response.context or {}
            # the registry lists' rows, the budget list's budgets: empty by the read policy
            rows = next((ctx[k] for k in ("rows", "budgets") if k in ctx), None)
            assert rows is not None and len(rows) == 0, (role, entry.key)
        else:
            redirect_to_login = response.status_code == 302 and "/login/" in response["Location"]
            assert response.status_code == 403 or redirect_to_login, (role, entry.key)


def test_menu_entries_each_have_a_working_url(db):
    keys = [(e.group, e.key) for e in menu.entries()]
    assert len(keys) == len(set(keys))
    for entry in menu.entries():
        assert entry.url.startswith("/")


# ------------------------------------------------------------------ a lab and its assignments


@pytest.fixture
def filed(world):
    """Both scales filed; hz's verification assigned to lab_hz by the provincial regulator."""
    filings = file_scales(world)
    portal_svc.assign(world.users["regulator"], filings["hz"], world.orgs["lab_hz"], "plan")
    return filings


def test_lab_reads_only_the_instruments_assigned_to_it(world, filed):
    client = _client(world, "lab")
    hz, nb = world.instruments["hz"], world.instruments["nb"]
    page = client.get(f"/r/instruments/{hz.pk}/")
    assert page.status_code == 200
    assert hz.lifetime_id in page.content.decode()
    assert client.get(f"/r/instruments/{nb.pk}/").status_code == 404  # not assigned to it
    chain = client.get(f"/api/traceability/chain/instrument/{hz.lifetime_id}")
    assert chain.status_code == 200 and chain.json()["links"]
    assert client.get(f"/api/traceability/chain/instrument/{nb.lifetime_id}").status_code == 404
    listed = client.get("/r/instruments/").context["rows"]
    assert [obj.pk for obj, _cells in listed] == [hz.pk]
    # from the assigned-verifications page to the instrument, without a 404 on the way
    assigned = client.get("/s/assigned/").content.decode()
    assert f"/s/filings/{filed['hz'].pk}/" in assigned
    filing = client.get(f"/s/filings/{filed['hz'].pk}/").content.decode()
    assert f"/r/instruments/{hz.pk}/" in filing


def test_read_grant_is_read_only_and_ends_with_the_assignment(world, filed):
    from jiliang.platform.registry.permissions import can_write

    lab = world.users["lab"]
    hz = world.instruments["hz"]
    assert not can_write(lab, hz)  # reading what it verifies does not make it the owner
    client = _client(world, "lab")
    assert client.get(f"/r/instruments/{hz.pk}/edit/").status_code == 403
    portal_svc.assign(world.users["regulator"], filed["hz"], None, "plan changed")
    assert client.get(f"/r/instruments/{hz.pk}/").status_code == 404
    portal_svc.assign(world.users["regulator"], filed["hz"], world.orgs["lab_hz"], "again")
    assert client.get(f"/r/instruments/{hz.pk}/").status_code == 200
    Filing.objects.filter(pk=filed["hz"].pk).update(withdrawn_on="2026-06-01")
    assert client.get(f"/r/instruments/{hz.pk}/").status_code == 404  # withdrawn: no grant


def test_other_roles_gain_nothing_from_an_assignment(world, filed):
    """The enterprise that does not own it and the other city's regulator still get 404."""
    hz = world.instruments["hz"]
    assert _client(world, "regulator_nb").get(f"/r/instruments/{hz.pk}/").status_code == 404
    other = m.Organisation.objects.get(pk=world.orgs["ent_nb"].pk)
    from jiliang.platform.accounts.services import create_user

    user = create_user(
        "ent_nb_user", "a-long-test-password-1", "enterprise", organisation=other.code
    )
    client = Client()
    client.force_login(user)
    assert client.get(f"/r/instruments/{hz.pk}/").status_code == 404


# ------------------------------------------------------------------ home per role


def test_anonymous_home_offers_public_search_and_no_private_cards(client, world):
    html = client.get("/").content.decode()
    assert 'id="home-public"' in html and 'id="home-verify"' in html
    assert 'data-card="instruments"' not in html  # no "0 计量器具"
    assert 'data-card="calibrations"' not in html
    assert 'id="overdue-card"' not in html
    assert 'data-card="organisations"' in html  # public registers stay browsable
    assert client.get("/").context["overdue"] is None


def test_regulator_home_shows_region_figures(world, filed):
    html = _client(world, "regulator").get("/").content.decode()
    assert 'id="home-region"' in html
    assert 'data-card="instruments"' in html and 'id="overdue-card"' in html
    assert 'id="home-public"' not in html
    # the Ningbo regulator counts Ningbo's filing only
    nb = _client(world, "regulator_nb").get("/")
    assert 'id="home-region"' in nb.content.decode()
    assert re.search(r'<span class="n">1</span><span>辖区强检备案</span>', nb.content.decode())


def test_inspector_home_shows_region_figures(world, filed):
    html = _client(world, "inspector").get("/").content.decode()
    assert 'id="home-region"' in html and 'id="home-assigned"' not in html


def test_lab_home_shows_scopes_assignments_and_certificates(world, filed):
    from jiliang.platform.certificates import services as cert_services

    cert_services.create_draft(world.events["hz"], world.users["lab"])
    html = _client(world, "lab").get("/").content.decode()
    assert 'id="home-scopes"' in html
    assert 'id="home-assigned"' in html
    assert 'id="home-certificates"' in html and 'id="home-pending-certificates"' in html
    assert 'id="home-region"' not in html and 'id="home-deadlines"' not in html


def test_lab_without_assignments_or_certificates_gets_no_empty_sections(world):
    html = _client(world, "lab").get("/").content.decode()
    assert 'id="home-assigned"' not in html and 'id="home-certificates"' not in html
    assert 'id="home-scopes"' in html  # its authorisation is its own data


def test_enterprise_home_shows_its_instruments_and_due_dates(world, filed):
    response = _client(world, "enterprise").get("/")
    html = response.content.decode()
    assert 'id="home-deadlines"' in html
    assert world.instruments["hz"].lifetime_id in html
    assert world.instruments["nb"].lifetime_id not in html  # another enterprise's
    counts = {r.slug: n for r, n in response.context["counts"]}
    assert counts["instruments"] == 1
    assert 'id="home-region"' not in html and 'id="home-scopes"' not in html


# ------------------------------------------------------------------ error pages


def _styled(html: str) -> None:
    assert 'id="error-page"' in html
    assert "/static/jiliang/site.css" in html  # extends base.html
    assert 'id="error-home"' in html and 'href="/"' in html


@pytest.mark.parametrize(
    "lang, text", [("zh-hans", "页面不存在"), ("en", "Page not found")], ids=["zh", "en"]
)
def test_404_is_styled_translated_and_reveals_nothing(client, world, lang, text):
    client.force_login(world.users["enterprise"])
    nb = world.instruments["nb"]
    response = client.get(f"/r/instruments/{nb.pk}/", HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 404
    html = response.content.decode()
    _styled(html)
    assert text in html
    assert "matches the given query" not in html and "Instrument" not in html.split("<main>")[1]
    assert 'id="main-menu"' in html  # the reader's own menu, to carry on


@pytest.mark.parametrize(
    "lang, text", [("zh-hans", "无权访问"), ("en", "Access denied")], ids=["zh", "en"]
)
def test_403_is_styled_translated_with_the_reason(client, world, lang, text):
    client.force_login(world.users["enterprise"])
    response = client.get("/s/dashboard/", HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 403
    _styled(response.content.decode())
    assert text in response.content.decode()
    edit = client.get(f"/r/organisations/{world.orgs['nmi'].pk}/edit/", HTTP_ACCEPT_LANGUAGE=lang)
    assert edit.status_code == 403
    reason = "您无权修改此记录" if lang == "zh-hans" else "You may not change this record"
    assert reason in edit.content.decode()


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_csrf_failure_is_styled(world, lang):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "x", "password": "y"}, HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 403
    html = response.content.decode()
    _styled(html)
    assert ("安全校验未通过" if lang == "zh-hans" else "Security check failed") in html
    assert "CSRF cookie not set" not in html  # Django's internal reason stays out


@pytest.mark.parametrize(
    "lang, text", [("zh-hans", "服务器错误"), ("en", "Server error")], ids=["zh", "en"]
)
def test_500_is_styled_and_shows_no_internals(world, monkeypatch, lang, text):
    def boom(*args, **kwargs):
        raise RuntimeError("secret-internal-detail")

    monkeypatch.setattr("jiliang.platform.registry.views.readable", boom)
    client = Client(raise_request_exception=False)
    client.force_login(world.users["admin"])
    response = client.get("/", HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 500
    html = response.content.decode()
    _styled(html)
    assert text in html
    assert "secret-internal-detail" not in html and "Traceback" not in html


def test_400_is_styled(db):
    response = Client().get("/", HTTP_HOST="evil.example")  # DisallowedHost → 400
    assert response.status_code == 400
    _styled(response.content.decode())


def test_api_errors_stay_json(client, world):
    missing = client.get("/api/no-such-endpoint")
    assert missing.status_code == 404
    assert missing["Content-Type"].startswith("application/json")
    assert missing.json() == {"detail": "Not Found"}
    hidden = client.get(
        f"/api/registry/instruments/{world.instruments['nb'].pk}", **world.auth("enterprise")
    )
    assert hidden.status_code == 404 and "detail" in hidden.json()
    csrf = Client(enforce_csrf_checks=True)
    csrf.force_login(world.users["regulator"])
    refused = csrf.post("/api/registry/regions", {}, content_type="application/json")
    assert refused.status_code in (401, 403)
    assert refused["Content-Type"].startswith("application/json")


# ------------------------------------------------------------------ charts only with data


@pytest.fixture
def fresh_engine():
    from jiliang.platform.traceability import loader

    loader.clear_cache()
    yield
    loader.clear_cache()


def test_traceability_chart_only_with_instruments(world, fresh_engine):
    lab = _client(world, "lab").get("/traceability/")  # the lab owns no instruments
    assert lab.status_code == 200 and 'id="chart-category"' not in lab.content.decode()
    regulator = _client(world, "regulator").get("/traceability/")
    assert 'id="chart-category"' in regulator.content.decode()


def test_supervision_charts_only_with_data(world):
    empty = _client(world, "regulator_nb").get("/s/dashboard/").content.decode()
    assert 'id="chart-region"' not in empty and 'id="chart-item"' not in empty
    inst = world.instruments["nb"]
    sync_filing(Filing(instrument=inst, item_code=inst.category, use=inst.use))
    filled = _client(world, "regulator_nb").get("/s/dashboard/").content.decode()
    assert 'id="chart-region"' in filled and 'id="chart-item"' in filled
