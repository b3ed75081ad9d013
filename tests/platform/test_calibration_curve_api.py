"""Calibration-curve inputs through the budget API (the page and the API share the core).

JCGM 100:2008 H.3: the thermometer line fitted inside the budget gives b(30 °C) = −0.1494 °C,
u = 0.0041 °C with ν = n − 2 = 9 carried into ν_eff.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "budgets"


def _post(client, world, body):
    return client.post(
        "/api/uncertainty/evaluate",
        data=json.dumps(body),
        content_type="application/json",
        **world.auth("lab"),
    )


@pytest.fixture
def h3_spec() -> dict:
    path = EXAMPLES / "gum_h3_thermometer_curve.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_api_calibration_curve_input_gum_h3_dof_9(client, world, h3_spec):
    response = _post(client, world, {"spec": h3_spec, "method": "lpu"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["y"] == pytest.approx(-0.1494, abs=5e-5)
    assert body["u"] == pytest.approx(0.0041, abs=5e-5)
    assert body["dof_eff"] == pytest.approx(9.0)
    assert body["curves"]["b"]["dof"] == 9
    assert any("extrapolated" in w for w in body["warnings"])


def test_api_bad_calibration_field_is_a_422_naming_input_and_field(client, world, h3_spec):
    h3_spec["inputs"]["b"]["calibration"]["degre"] = 2
    response = _post(client, world, {"spec": h3_spec, "method": "lpu"})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "'b'" in detail and "degre" in detail
