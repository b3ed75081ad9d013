"""Issue 12: ``core.conformity`` decides a calibration event's verdict, and the DCC states the rule.

Before, the verdict was typed in by hand and every DCC claimed "simple acceptance, ILAC-G8
§4.2.1" whatever was decided. References: ILAC-G8:09/2019 §4.2.1 (simple acceptance, w = 0) and
§4.2.2 (guarded acceptance, acceptance interval T narrowed by w = r·U on each side).
"""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError

from jiliang.platform.certificates.services import record_for_event
from jiliang.platform.registry import models as m


def _event(world, **kw) -> m.CalibrationEvent:
    # the scale's MPE is 0.01 kg; nominal 10 kg → T = [9.99, 10.01] kg
    fields = {
        "certificate_no": "JD-CONF",
        "kind": "verification",
        "instrument": world.instruments["hz"],
        "performed_by": world.orgs["lab_hz"],
        "performed_by_person": world.people["lab_hz"],
        "performed_on": "2026-05-01",
        "issued_on": "2026-05-01",
        "unit": r"\kilogram",
        "nominal_value": 10.0,
        "result_uncertainty": 0.002,
        "k": 2.0,
    }
    fields.update(kw)
    return m.CalibrationEvent(**fields)


@pytest.mark.parametrize(
    ("rule", "r", "result", "verdict"),
    [
        ("simple_acceptance", 0.0, 10.004, "pass"),  # inside T
        ("simple_acceptance", 0.0, 10.012, "fail"),  # outside T
        ("guarded_acceptance", 1.0, 10.009, "fail"),  # inside T, outside A = T ∓ U
        ("guarded_acceptance", 1.0, 10.007, "pass"),
        ("non_binary", 1.0, 10.009, "inconclusive"),  # conditional pass → inconclusive
    ],
)
def test_verdict_is_derived_from_result_u_mpe_and_rule(world, rule, r, result, verdict):
    ev = _event(world, decision_rule=rule, guard_band=r, result_value=result)
    ev.full_clean()
    ev.save()
    ev.refresh_from_db()
    assert ev.conformity == verdict


def test_contradicting_typed_verdict_is_refused_naming_the_field(client, world):
    body = {
        "certificate_no": "JD-CONF-API",
        "kind": "verification",
        "instrument": world.instruments["hz"].lifetime_id,
        "performed_by": world.orgs["lab_hz"].code,
        "performed_by_person": world.people["lab_hz"].pk,
        "performed_on": "2026-05-01",
        "issued_on": "2026-05-01",
        "unit": r"\kilogram",
        "nominal_value": 10.0,
        "result_value": 10.012,
        "result_uncertainty": 0.002,
        "decision_rule": "simple_acceptance",
        "conformity": "pass",
    }
    r = client.post(
        "/api/registry/calibrations",
        data=json.dumps(body),
        content_type="application/json",
        **world.auth("lab"),
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "conformity"]
    assert not m.CalibrationEvent.objects.filter(certificate_no="JD-CONF-API").exists()
    body.pop("conformity")
    r = client.post(
        "/api/registry/calibrations",
        data=json.dumps(body),
        content_type="application/json",
        **world.auth("lab"),
    )
    assert r.status_code == 201 and r.json()["conformity"] == "fail"


def test_simple_acceptance_needs_no_guard_band(world):
    ev = _event(world, decision_rule="simple_acceptance", guard_band=1.0, result_value=10.0)
    with pytest.raises(ValidationError) as refused:
        ev.full_clean()
    assert "guard_band" in refused.value.message_dict


def test_dcc_states_the_rule_actually_used(world):
    ev = _event(world, decision_rule="guarded_acceptance", guard_band=1.0, result_value=10.009)
    ev.save()
    text = json.dumps(record_for_event(ev, ev.certificate_no, "x").decision_rule, default=str)
    assert "guarded acceptance" in text and "simple acceptance" not in text
    assert "[9.992, 10.008]" in text
    typed = _event(world, certificate_no="JD-TYPED", result_value=10.0, conformity="pass")
    typed.save()
    text = json.dumps(record_for_event(typed, "JD-TYPED", "x").decision_rule, default=str)
    assert "no decision rule was recorded" in text and "simple acceptance" not in text
