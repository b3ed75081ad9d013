"""Budgets on the platform: evaluation API with limits, stored budgets, pages, scoping.

Numbers come from jiliang.core.uncertainty; here the GUM H.1 example (JCGM 100:2008 Annex H.1:
u_c = 32 nm, ν_eff ≈ 16) checks that the platform passes the specification through unchanged.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from jiliang.platform.calibration.models import UncertaintyBudget

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "budgets"


@pytest.fixture
def h1_spec() -> dict:
    return yaml.safe_load((EXAMPLES / "gum_h1_end_gauge.yaml").read_text(encoding="utf-8"))


def post(client, world, path, body, role):
    return client.post(
        f"/api/uncertainty/{path}",
        data=json.dumps(body),
        content_type="application/json",
        **world.auth(role),
    )


def test_evaluate_h1_lpu(client, world, h1_spec):
    response = post(client, world, "evaluate", {"spec": h1_spec, "method": "lpu"}, "lab")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["y"] == pytest.approx(50_000_838, abs=1)  # JCGM 100 H.1: 50.000 838 mm (in nm)
    assert body["u"] == pytest.approx(32, abs=0.5)  # u_c = 32 nm
    assert body["dof_eff"] == pytest.approx(16, abs=1)  # ν_eff ≈ 16
    assert {c["name"] for c in body["contributions"]} == set(h1_spec["inputs"])


def test_evaluate_needs_authentication(client, world, h1_spec):
    assert post(client, world, "evaluate", {"spec": h1_spec}, "anon").status_code == 401


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda s: s["inputs"]["d"].update(u=-9.7), "d"),
        (lambda s: s.update(model="l_s + nonexistent"), "nonexistent"),
        (lambda s: s["inputs"]["theta"].update(distribution="banana"), "banana"),
    ],
)
def test_bad_specification_is_a_422_naming_the_input(client, world, h1_spec, mutate, needle):
    mutate(h1_spec)
    response = post(client, world, "evaluate", {"spec": h1_spec, "method": "lpu"}, "lab")
    assert response.status_code == 422
    assert needle in response.json()["detail"]


def test_trials_over_the_limit_are_refused(client, world, h1_spec, settings):
    settings.JILIANG_BUDGET_MAX_TRIALS = 10_000
    response = post(
        client, world, "evaluate", {"spec": h1_spec, "method": "mcm", "trials": 1_000_000}, "lab"
    )
    assert response.status_code == 422
    assert "trials" in response.json()["detail"]


def test_too_many_inputs_are_refused(client, world, settings):
    settings.JILIANG_BUDGET_MAX_INPUTS = 5
    spec = {
        "model": " + ".join(f"x{i}" for i in range(6)),
        "inputs": {f"x{i}": {"value": 1.0, "u": 0.1} for i in range(6)},
    }
    response = post(client, world, "evaluate", {"spec": spec, "method": "lpu"}, "lab")
    assert response.status_code == 422
    assert "inputs" in response.json()["detail"]


def test_budget_for_an_event_is_stored_and_shown(client, world, h1_spec):
    event = world.events["hz"]
    body = {"title": "H.1", "spec": h1_spec, "method": "lpu", "event": event.certificate_no}
    response = post(client, world, "budgets", body, "lab")
    assert response.status_code == 201, response.content
    budget = UncertaintyBudget.objects.get(pk=response.json()["id"])
    assert budget.result["u"] == pytest.approx(32, abs=0.5)
    assert budget.owner == world.orgs["lab_hz"]
    assert post(client, world, "budgets", body, "lab").status_code == 409
    client.force_login(world.users["lab"])
    page = client.get(f"/budgets/{budget.pk}/")
    assert page.status_code == 200
    assert "chart-contributions" in page.content.decode()
    event_page = client.get(f"/r/calibrations/{event.pk}/")
    assert f"/budgets/{budget.pk}/" in event_page.content.decode()


@pytest.mark.parametrize(("role", "status"), [("enterprise", 403), ("anon", 401), ("admin", 201)])
def test_who_may_create_a_budget_for_the_labs_event(client, world, h1_spec, role, status):
    body = {
        "title": "x",
        "spec": h1_spec,
        "method": "lpu",
        "event": world.events["hz"].certificate_no,
        "owner": world.orgs["lab_hz"].code,
    }
    assert post(client, world, "budgets", body, role).status_code == status


def test_budget_form_reports_yaml_and_model_errors(client, world):
    client.force_login(world.users["lab"])
    response = client.post(
        "/budgets/new/", {"title": "t", "method": "lpu", "seed": 1, "spec": "model: [unclosed"}
    )
    assert response.status_code == 400
    assert "spec" in response.context["form"].errors
    response = client.post(
        "/budgets/new/",
        {
            "title": "t",
            "method": "lpu",
            "seed": 1,
            "spec": "model: a*b\ninputs:\n  a: {value: 1, u: -1}\n  b: {value: 2, u: 0.1}\n",
        },
    )
    assert response.status_code == 400
    assert UncertaintyBudget.objects.count() == 0


def test_budget_form_creates_a_budget(client, world, h1_spec):
    client.force_login(world.users["lab"])
    response = client.post(
        "/budgets/new/",
        {
            "title": "H.1 via form",
            "method": "lpu",
            "seed": 1,
            "event": world.events["hz"].certificate_no,
            "spec": yaml.safe_dump(h1_spec),
        },
    )
    assert response.status_code == 302
    budget = UncertaintyBudget.objects.get(title="H.1 via form")
    assert budget.event == world.events["hz"]


def test_budgets_of_another_lab_are_hidden(client, world, h1_spec):
    post(client, world, "budgets", {"title": "mine", "spec": h1_spec, "method": "lpu"}, "lab")
    response = client.get("/api/uncertainty/budgets", **world.auth("enterprise"))
    assert response.json() == []
    response = client.get("/api/uncertainty/budgets", **world.auth("lab"))
    assert [b["title"] for b in response.json()] == ["mine"]


def test_budget_page_shows_the_non_linearity_warning(client, world):
    """JCGM 101 S1 §9.4 (Y = X1² + X2² at x = 0): the LPU gives u = 0; the page must say why it
    cannot be trusted, as the CLI does (issue 13)."""
    spec = {
        "model": "x1**2 + x2**2",
        "inputs": {"x1": {"value": 0, "u": 1}, "x2": {"value": 0, "u": 1}},
    }
    body = {"title": "S1 9.4", "spec": spec, "method": "lpu", "owner": world.orgs["lab_hz"].code}
    response = post(client, world, "budgets", body, "lab")
    assert response.status_code == 201, response.content
    client.force_login(world.users["lab"])
    page = client.get(f"/budgets/{response.json()['id']}/").content.decode()
    assert 'id="budget-warnings"' in page and "second_order" in page
