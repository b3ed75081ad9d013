"""Issue 18 item 10: the new-budget page's table (model, inputs), beside the YAML tab.

The table must build exactly the specification the YAML path takes and go through the same core
evaluation; a bad cell is refused beside its row and column, and nothing is saved.
"""

from __future__ import annotations

import pytest
import yaml

from jiliang.platform.calibration.models import UncertaintyBudget

#: the budget both ways describe: type A observations, type B normal with ν, a rectangular limit
YAML_BUDGET = {
    "model": "V/I + dR",
    "output": {"name": "R", "unit": "ohm"},
    "inputs": {
        "V": {"observations": [5.007, 4.994, 5.005, 4.990, 4.999], "unit": "V"},
        "I": {"value": 0.019661, "u": 9.47e-6, "dof": 4.0, "unit": "A"},
        "dR": {
            "value": 0.0,
            "distribution": "rectangular",
            "half_width": 0.05,
            "unit": "ohm",
        },
    },
}

ROW_FIELDS = (
    "name",
    "kind",
    "value",
    "unit",
    "distribution",
    "given",
    "uncertainty",
    "dof",
    "observations",
    "sensitivity",
)


def table_post(rows: list[dict], **head) -> dict:
    """The POST body the table tab sends (formset prefix ``inputs``)."""
    body = {
        "mode": "form",
        "title": "R via table",
        "method": "lpu",
        "seed": "1",
        "model": "",
        "output_name": "y",
        "output_unit": "",
        "inputs-TOTAL_FORMS": str(len(rows)),
        "inputs-INITIAL_FORMS": "0",
        "inputs-MIN_NUM_FORMS": "1",
        "inputs-MAX_NUM_FORMS": "100",
        **head,
    }
    for i, row in enumerate(rows):
        for field in ROW_FIELDS:
            default = {"kind": "B", "distribution": "normal", "given": "u"}.get(field, "")
            body[f"inputs-{i}-{field}"] = str(row.get(field, default))
    return body


RESISTANCE_ROWS = [
    {"name": "V", "kind": "A", "observations": "5.007 4.994, 5.005 4.990 4.999", "unit": "V"},
    {"name": "I", "value": 0.019661, "uncertainty": 9.47e-6, "dof": 4, "unit": "A"},
    {
        "name": "dR",
        "value": 0,
        "distribution": "rectangular",
        "given": "half_width",
        "uncertainty": 0.05,
        "unit": "ohm",
    },
]


def test_page_has_the_table_and_the_yaml_tab(client, world):
    client.force_login(world.users["lab"])
    page = client.get("/budgets/new/").content.decode()
    assert 'id="budget-inputs"' in page and 'id="budget-row-template"' in page
    assert 'name="inputs-0-distribution"' in page and "__prefix__" in page
    assert 'id="mode-yaml"' in page and 'name="spec"' in page
    assert "jiliang/budget_form.js" in page
    assert "http://" not in page.split("<body>")[0] and "https://" not in page  # no CDN


@pytest.mark.parametrize("method", ["lpu", "both"])
def test_table_builds_the_yaml_paths_budget(client, world, method):
    client.force_login(world.users["lab"])
    yaml_body = {
        "mode": "yaml",
        "title": "R via YAML",
        "method": method,
        "seed": "7",
        "spec": yaml.safe_dump(YAML_BUDGET, sort_keys=False),
    }
    assert client.post("/budgets/new/", yaml_body).status_code == 302
    body = table_post(
        RESISTANCE_ROWS,
        model="V/I + dR",
        output_name="R",
        output_unit="ohm",
        method=method,
        seed="7",
    )
    response = client.post("/budgets/new/", body)
    assert response.status_code == 302, response.context and response.context["row_errors"]
    by_yaml = UncertaintyBudget.objects.get(title="R via YAML")
    by_table = UncertaintyBudget.objects.get(title="R via table")
    assert by_table.spec == by_yaml.spec
    for result in (by_table.result, by_yaml.result):
        (result.get("mcm") or {}).pop("seconds", None)  # wall-clock time of the run
    assert by_table.result == by_yaml.result  # the same core evaluation, number for number
    assert by_table.result["u"] > 0 and by_table.result["unit"] == "ohm"


def test_without_a_model_the_output_is_the_sum_of_c_times_x(client, world):
    client.force_login(world.users["lab"])
    rows = [
        {"name": "a", "value": 2.0, "uncertainty": 0.3, "sensitivity": 2},
        {"name": "b", "value": 1.0, "uncertainty": 0.4},
    ]
    response = client.post("/budgets/new/", table_post(rows))
    assert response.status_code == 302
    budget = UncertaintyBudget.objects.get()
    assert budget.spec["model"] == "(2.0)*a + b"
    # u² = (2·0.3)² + 0.4² — from the core, checked here against the GUM formula
    assert budget.result["u"] == pytest.approx((0.36 + 0.16) ** 0.5)


def _errors(response) -> tuple[list[str], list[dict]]:
    return response.context["row_errors"], [f.errors for f in response.context["rows"].forms]


def test_bad_unit_is_a_field_error_naming_the_row_and_nothing_is_saved(client, world):
    client.force_login(world.users["lab"])
    rows = [dict(RESISTANCE_ROWS[0]), dict(RESISTANCE_ROWS[1], unit="\\ampere\\bogus")]
    response = client.post("/budgets/new/", table_post(rows, model="V/I"))
    assert response.status_code == 400
    summary, errors = _errors(response)
    assert "unit" in errors[1] and errors[0] == {}
    assert any(line.startswith("第 2 行（I）计量单位") for line in summary), summary
    assert UncertaintyBudget.objects.count() == 0


def test_unknown_distribution_is_a_field_error(client, world):
    client.force_login(world.users["lab"])
    rows = [dict(RESISTANCE_ROWS[2], distribution="lognormal")]
    response = client.post("/budgets/new/", table_post(rows))
    assert response.status_code == 400
    _summary, errors = _errors(response)
    assert list(errors[0]) == ["distribution"]
    assert UncertaintyBudget.objects.count() == 0


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"name": "x", "kind": "A", "observations": "1.0"}, "observations"),
        ({"name": "x", "kind": "A", "observations": "1 2 heavy"}, "observations"),
        ({"name": "x", "kind": "A", "observations": "1 2", "value": 3}, "value"),
        ({"name": "x", "uncertainty": 0.1}, "value"),
        ({"name": "x", "value": 1}, "uncertainty"),
        ({"name": "x", "value": 1, "uncertainty": -0.1}, "uncertainty"),
        ({"name": "x", "value": 1, "uncertainty": 0.1, "dof": 0}, "dof"),
        ({"name": "x", "value": 1, "uncertainty": 0.1, "given": "half_width"}, "given"),
        ({"name": "x", "value": 1, "uncertainty": 0.1, "distribution": "triangular"}, "given"),
        ({"name": "1x", "value": 1, "uncertainty": 0.1}, "name"),
        ({"name": "lambda", "value": 1, "uncertainty": 0.1}, "name"),
        ({"name": "x", "value": "nan", "uncertainty": 0.1}, "value"),
    ],
)
def test_bad_cells_are_refused_beside_their_column(client, world, row, field):
    client.force_login(world.users["lab"])
    response = client.post("/budgets/new/", table_post([row]))
    assert response.status_code == 400
    summary, errors = _errors(response)
    assert field in errors[0], errors
    assert summary and summary[0].startswith("第 1 行")
    assert UncertaintyBudget.objects.count() == 0


def test_duplicate_names_and_sensitivity_beside_a_model_are_refused(client, world):
    client.force_login(world.users["lab"])
    rows = [{"name": "a", "value": 1, "uncertainty": 0.1}] * 2
    response = client.post("/budgets/new/", table_post(rows))
    assert response.status_code == 400
    assert "name" in _errors(response)[1][1]
    rows = [{"name": "a", "value": 1, "uncertainty": 0.1, "sensitivity": 3}]
    response = client.post("/budgets/new/", table_post(rows, model="a**2"))
    assert response.status_code == 400
    assert "sensitivity" in _errors(response)[1][0]
    assert UncertaintyBudget.objects.count() == 0


def test_the_cores_refusal_lands_on_the_row_it_names(client, world):
    """Volts plus amperes: the core's dimensional check names input I; the page shows it there."""
    client.force_login(world.users["lab"])
    rows = [RESISTANCE_ROWS[0], RESISTANCE_ROWS[1]]
    response = client.post("/budgets/new/", table_post(rows, model="V + I"))
    assert response.status_code == 400
    summary, _errors_by_row = _errors(response)
    assert any("（V）" in line or "（I）" in line for line in summary), summary
    assert UncertaintyBudget.objects.count() == 0
    # an unknown name in the model is the model field's error
    response = client.post("/budgets/new/", table_post(rows, model="V / J"))
    assert response.status_code == 400
    assert "model" in response.context["form"].errors
    assert UncertaintyBudget.objects.count() == 0


def test_removed_and_blank_rows_are_ignored(client, world):
    client.force_login(world.users["lab"])
    body = table_post(
        [
            {"name": "a", "value": 1, "uncertainty": 0.1},
            {"name": "gone", "value": "oops"},
            {},
        ]
    )
    body["inputs-1-DELETE"] = "on"
    response = client.post("/budgets/new/", body)
    assert response.status_code == 302
    assert list(UncertaintyBudget.objects.get().spec["inputs"]) == ["a"]


def test_yaml_tab_typo_is_refused_with_a_suggestion(client, world):
    client.force_login(world.users["lab"])
    spec = "model: x\ninputs:\n  x: {value: 1, u: 0.1, dgo: 5}\n"
    body = {"mode": "yaml", "title": "t", "method": "lpu", "seed": "1", "spec": spec}
    response = client.post("/budgets/new/", body)
    assert response.status_code == 400
    (message,) = response.context["form"].errors["spec"]
    assert "'dgo'" in message and "did you mean 'dof'?" in message
    assert UncertaintyBudget.objects.count() == 0
