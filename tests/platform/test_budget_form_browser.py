"""The budget table in a real browser: rows added and removed by budget_form.js under the CSP."""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [pytest.mark.browser]

if CHROMIUM is None and os.environ.get("JILIANG_REQUIRE_BROWSER") != "1":
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)

from .test_browser import _log_in, page  # noqa: E402, F401  (the fixture, shared)


def fill_row(tab, row: int, **fields: str) -> None:
    """Type ``fields`` (name=…, value=…, …) into row ``row`` of the budget's inputs table on the
    browser page ``tab``."""
    for name, value in fields.items():
        tab.fill(f"#id_inputs-{row}-{name}", value)


def test_rows_are_added_removed_and_evaluated(live_server, audit_triggers_lifted, page, world):  # noqa: F811
    from jiliang.platform.calibration.models import UncertaintyBudget

    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    _log_in(page, live_server.url, "lab")
    page.goto(f"{live_server.url}/budgets/new/")
    assert page.is_visible("#budget-inputs") and not page.is_visible("#id_spec")
    page.fill("#id_title", "browser budget")
    page.fill("#id_model", "a + b")
    fill_row(page, 0, name="a", value="1.5", uncertainty="0.3")
    page.click("#budget-add-row")
    page.click("#budget-add-row")
    assert page.input_value("#id_inputs-TOTAL_FORMS") == "3"
    page.fill("#id_inputs-1-name", "junk")
    page.check("#id_inputs-1-DELETE")  # removes the row: hidden, and ignored by the server
    assert not page.is_visible("#id_inputs-1-name")
    fill_row(page, 2, name="b")
    page.select_option("#id_inputs-2-distribution", "rectangular")
    page.select_option("#id_inputs-2-given", "half_width")
    fill_row(page, 2, value="0", uncertainty="0.4", unit="")
    page.click("#budget-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/budgets/*/")
    budget = UncertaintyBudget.objects.get(title="browser budget")
    assert list(budget.spec["inputs"]) == ["a", "b"]
    assert budget.spec["inputs"]["b"] == {
        "value": 0.0,
        "distribution": "rectangular",
        "half_width": 0.4,
    }
    # the YAML tab is one click away
    page.goto(f"{live_server.url}/budgets/new/")
    page.click("label[for=mode-yaml]")
    assert page.is_visible("#id_spec") and not page.is_visible("#budget-inputs")
    assert not [e for e in errors if "Content Security Policy" in e], errors
