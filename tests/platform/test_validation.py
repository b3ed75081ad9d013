"""Bad input through the API and the forms: a 4xx naming the field, and nothing half-written."""

from __future__ import annotations

import json

import pytest

from jiliang.platform.audit.models import AuditEntry
from jiliang.platform.registry import models as m

from .conftest import instrument_body as instrument


def post(client, world, path, body, role="admin"):
    return client.post(
        f"/api/registry/{path}",
        data=json.dumps(body),
        content_type="application/json",
        **world.auth(role),
    )


def error_fields(response) -> set[str]:
    return {d["loc"][-1] for d in response.json()["detail"]}


def event(world, **override) -> dict:
    body = {
        "certificate_no": "JD-NEW-1",
        "kind": "verification",
        "instrument": world.instruments["hz"].lifetime_id,
        "standards_used": [world.standards["lab_hz"].code],
        "performed_by": world.orgs["lab_hz"].code,
        "performed_by_person": world.people["lab_hz"].pk,
        "performed_on": "2026-03-01",
        "issued_on": "2026-03-02",
        "due_on": "2027-02-28",
        "unit": r"\kilogram",
        "result_value": 10.0,
        "result_uncertainty": 0.002,
        "conformity": "pass",
    }
    body.update(override)
    return body


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"mpe": -0.01}, "mpe"),
        ({"unit": r"\kilogramm"}, "unit"),
        ({"region": "999999"}, "region"),
        ({"owner": "91330106000000000X"}, "owner"),
        ({"lifetime_id": "330106-EPS-2026-0000042-0"}, "lifetime_id"),
        ({"range_low": 20, "range_high": 10}, "range_high"),
        ({"quantity": "happiness"}, "quantity"),
        ({"unexpected": 1}, "unexpected"),
    ],
)
def test_bad_instrument_is_refused_naming_the_field(client, world, override, field):
    before = m.Instrument.objects.count(), AuditEntry.objects.count()
    response = post(client, world, "instruments", instrument(world, **override))
    assert response.status_code == 422, response.content
    assert field in error_fields(response)
    assert (m.Instrument.objects.count(), AuditEntry.objects.count()) == before


def test_duplicate_lifetime_id_is_refused(client, world):
    body = instrument(world, lifetime_id=world.instruments["hz"].lifetime_id)
    response = post(client, world, "instruments", body)
    assert response.status_code == 422
    assert "lifetime_id" in error_fields(response)


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"result_uncertainty": -0.002}, "result_uncertainty"),
        ({"result_uncertainty": 0}, "result_uncertainty"),
        ({"due_on": "2026-02-01"}, "due_on"),
        ({"issued_on": "2026-02-01"}, "issued_on"),
        ({"standards_used": ["NO-SUCH-STANDARD"]}, "standards_used"),
        ({"unit": "furlong"}, "unit"),
        ({"standard": "STD-P"}, "instrument"),
    ],
)
def test_bad_event_is_refused_and_nothing_written(client, world, override, field):
    before = m.CalibrationEvent.objects.count(), AuditEntry.objects.count()
    response = post(client, world, "calibrations", event(world, **override), role="lab")
    assert response.status_code == 422, response.content
    assert field in error_fields(response)
    assert (m.CalibrationEvent.objects.count(), AuditEntry.objects.count()) == before


def test_valid_event_is_stored_in_si_with_original_unit(client, world):
    body = event(world, unit=r"\gram", result_value=10_000.0, result_uncertainty=2.0)
    response = post(client, world, "calibrations", body, role="lab")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["unit"] == r"\gram"
    assert data["si_unit"] == r"\kilogram"
    assert data["result_value_si"] == pytest.approx(10.0)
    assert data["result_uncertainty_si"] == pytest.approx(0.002)
    assert data["standards_used"] == [world.standards["lab_hz"].code]


def test_celsius_uncertainty_converts_without_offset(client, world):
    body = instrument(
        world,
        quantity="temperature",
        unit=r"\degreecelsius",
        range_low=-20,
        range_high=100,
        mpe=0.5,
    )
    response = post(client, world, "instruments", body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["range_low_si"] == pytest.approx(253.15)
    assert data["mpe_si"] == pytest.approx(0.5)


def test_database_constraints_hold_without_validation(world):
    """The database itself refuses what validation would have caught (defence in depth)."""
    from django.db import IntegrityError, transaction

    event_row = world.events["hz"]
    with pytest.raises(IntegrityError), transaction.atomic():
        m.CalibrationEvent.objects.filter(pk=event_row.pk).update(result_uncertainty=-1)
    with pytest.raises(IntegrityError), transaction.atomic():
        m.CalibrationEvent.objects.filter(pk=event_row.pk).update(due_on="2020-01-01")


def test_form_rejects_bad_input_naming_the_field(client, world):
    client.force_login(world.users["enterprise"])
    pk = world.instruments["hz"].pk
    data = {
        "lifetime_id": world.instruments["hz"].lifetime_id,
        "category": "electronic_price_scale",
        "name": "scale",
        "quantity": "mass",
        "unit": r"\kilogram",
        "range_low": "0",
        "range_high": "30",
        "mpe": "-1",
        "owner": world.orgs["ent_hz"].code,
        "region": "330106",
        "status": "in_use",
        "use": "trade_settlement",
    }
    response = client.post(f"/r/instruments/{pk}/edit/", data)
    assert response.status_code == 400
    assert "mpe" in response.context["form"].errors
    world.instruments["hz"].refresh_from_db()
    assert world.instruments["hz"].mpe == 0.01
