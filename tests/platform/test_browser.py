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
