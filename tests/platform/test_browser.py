"""End to end in headless Chromium (Debian's, driven by Playwright): log in, list instruments,
open one, switch language.

Skipped when no Chromium is installed, unless ``JILIANG_REQUIRE_BROWSER=1`` (CI sets it), in
which case a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [pytest.mark.browser]

if CHROMIUM is None and os.environ.get("JILIANG_REQUIRE_BROWSER") != "1":
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)


@pytest.fixture
def page(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the ORM calls made by the test
    # itself are synchronous and safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    assert CHROMIUM, "JILIANG_REQUIRE_BROWSER=1 but Chromium is not installed"
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        context = browser.new_context(locale="zh-CN")
        yield context.new_page()
        browser.close()


def test_login_list_open_and_switch_language(
    live_server, audit_triggers_lifted, page, world, tmp_path
):
    from .conftest import PASSWORD

    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "enterprise")
    page.fill("#id_password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    assert "enterprise" in page.inner_text("header")

    page.click("nav >> text=计量器具")
    page.wait_for_selector("#results")
    rows = page.locator("#results tbody tr")
    assert rows.count() == 1  # the enterprise sees only its own instrument
    lifetime_id = world.instruments["hz"].lifetime_id
    page.click(f"text={lifetime_id}")
    page.wait_for_load_state("load")
    page.wait_for_selector("table.fields")
    assert lifetime_id in page.inner_text("h1")
    assert "变更记录" in page.content()

    page.select_option("#language-select", "en")
    page.wait_for_load_state("load")
    page.wait_for_selector("text=Change history")
    assert lifetime_id in page.inner_text("h1")
    assert page.locator("html").get_attribute("lang") == "en"
    page.screenshot(path=str(tmp_path / "instrument-en.png"))


def _log_in(page, base: str, username: str) -> None:
    from .conftest import PASSWORD

    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{base}/")


def _menu_links(page, selector: str) -> list[str]:
    return page.eval_on_selector_all(selector, "els => els.map(e => e.getAttribute('href'))")


@pytest.mark.parametrize("role", ["anon", "admin", "regulator", "inspector", "lab", "enterprise"])
def test_every_menu_link_opens_in_the_browser(
    live_server, audit_triggers_lifted, page, world, role
):
    """Log in as each role, open every link of its menu and of the supervision sub-menu: each
    page loads (HTTP 200) with the role's own menu, none is a 403/404 error page."""
    base = live_server.url
    if role == "anon":
        page.goto(f"{base}/")
    else:
        _log_in(page, base, role)
        assert role in page.inner_text("header .who")
    main = _menu_links(page, "#main-menu a")
    assert main
    links = list(main)
    if "/s/" in links:
        page.goto(f"{base}/s/")
        links += _menu_links(page, "#supervision-menu a")
    seen = set()
    for href in links:
        if href in seen:
            continue
        seen.add(href)
        response = page.goto(f"{base}{href}")
        assert response is not None and response.status == 200, (role, href, response.status)
        assert page.locator("#error-page").count() == 0, (role, href)
        if not href.startswith("/api/"):  # the API docs are Swagger's page, not the site's
            assert _menu_links(page, "#main-menu a") == main, (role, href)  # the same own menu


def test_error_page_is_styled_in_the_browser(live_server, audit_triggers_lifted, page, world):
    _log_in(page, live_server.url, "enterprise")
    nb = world.instruments["nb"]  # another enterprise's: out of scope is "not found"
    response = page.goto(f"{live_server.url}/r/instruments/{nb.pk}/")
    assert response.status == 404
    assert page.locator("#error-page h1").inner_text() == "页面不存在"
    # the site stylesheet applies: the error code is large and centred, the menu is there
    size = page.eval_on_selector(".error-code", "e => getComputedStyle(e).fontSize")
    assert float(size.removesuffix("px")) >= 40
    assert page.locator("#main-menu a").count() > 0
    page.click("#error-home")
    page.wait_for_url(f"{live_server.url}/")


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_unchanged_save_keeps_the_date_in_the_browser(
    live_server, audit_triggers_lifted, page, world, lang
):
    """Issue 18 item 1 in a real browser: the date input shows the stored date (ISO inside
    ``<input type=date>`` whatever the UI language), and saving the form unchanged keeps it."""
    import datetime as dt

    from jiliang.platform.registry import models as m

    inst = world.instruments["hz"]
    m.Instrument.objects.filter(pk=inst.pk).update(installed_on=dt.date(2018, 11, 9))
    _log_in(page, live_server.url, "enterprise")
    if lang == "en":
        # the select submits the language form: wait for that navigation to finish, or the
        # next goto aborts it (ERR_ABORTED)
        with page.expect_navigation():
            page.select_option("#language-select", "en")
    page.goto(f"{live_server.url}/r/instruments/{inst.pk}/edit/")
    assert page.locator("html").get_attribute("lang") == ("en" if lang == "en" else "zh-hans")
    field = page.locator("input[name=installed_on]")
    assert field.get_attribute("type") == "date"
    assert field.input_value() == "2018-11-09"  # the browser accepted the value it was given
    page.click("main form button[type=submit]")
    page.wait_for_load_state("load")
    assert page.locator("#error-page").count() == 0
    inst.refresh_from_db()
    assert inst.installed_on == dt.date(2018, 11, 9)


def test_api_docs_render_with_no_network(live_server, audit_triggers_lifted, page, world):
    """Issue 18 item 4: Swagger UI renders the API's operations with every request to another
    host refused, so it works offline (its assets are served by the platform itself)."""
    from urllib.parse import urlsplit

    local = urlsplit(live_server.url).netloc
    refused: list[str] = []

    def only_local(route):
        if urlsplit(route.request.url).netloc == local:
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    page.goto(f"{live_server.url}/api/docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=20_000)
    assert page.locator(".swagger-ui .opblock").count() > 10
    assert refused == []
