"""Energy metering of key energy-using units (重点用能单位, issue 16 §14).

Worked example against GB 17167-2006 Table 3 (§4.3.2) as shipped in
``core/indicators/data/energy-gb17167-2006.yaml`` (``confirmed: false``: jiliang's recollection of
the table, so these tests pin the platform to the core's table, not to the printed standard).
Rows used (required configuration rate %, unit / sub-unit / main equipment):

* 电力 electricity 100 / 100 / 95
* 蒸汽 steam 100 / 80 / 70
* 天然气 natural gas 100 / 100 / 90
* 水 water 100 / 95 / 80
* 可回收利用的余能 waste energy 90 / 80 / — (no requirement at the equipment level)

Unit A (ent_hz, Xihu): unit electricity 2/2 = 100 % (meets 100); sub-unit electricity 9/10 =
90 % (< 100: gap); equipment electricity 38/40 = 95 % (meets 95 exactly); equipment steam 6/10
= 60 % (< 70: gap); equipment waste energy 0/2 = 0 % (no requirement). Equipment level
44/52 = 84.615… %. Unit B (ent_nb, Haishu): equipment natural gas 18/20 = 90 % (meets 90),
water 4/5 = 80 % (meets 80). Province 33, both checked: (44 + 22) / (52 + 25) = 66/77 =
85.714… %.
"""

from __future__ import annotations

import datetime as dt

import pytest

from jiliang.core.indicators import energy as core
from jiliang.core.indicators.definitions import FORMULAS
from jiliang.platform.accounts.models import ApiToken
from jiliang.platform.accounts.services import create_user
from jiliang.platform.audit.models import AuditEntry
from jiliang.platform.energy import services
from jiliang.platform.energy.models import EnergyUnit, Survey, SurveyLine
from jiliang.platform.indicators import queries

from .conftest import PASSWORD

API = "/api/energy"
JSON = "application/json"

A_LINES = [
    {"level": "unit", "energy": "electricity", "required": 2, "configured": 2},
    {"level": "sub_unit", "energy": "electricity", "required": 10, "configured": 9},
    {"level": "equipment", "energy": "electricity", "required": 40, "configured": 38},
    {"level": "equipment", "energy": "steam", "required": 10, "configured": 6},
    {"level": "equipment", "energy": "waste_energy", "required": 2, "configured": 0},
]
B_LINES = [
    {"level": "equipment", "energy": "natural_gas", "required": 20, "configured": 18},
    {"level": "equipment", "energy": "water", "required": 5, "configured": 4},
]


def today() -> dt.date:
    return services.today()


def survey_body(lines, days_ago: int = 30, **over) -> dict:
    body = {
        "surveyed_on": (today() - dt.timedelta(days=days_ago)).isoformat(),
        "sub_units": 3,
        "main_equipment": 12,
        "lines": lines,
    }
    body.update(over)
    return body


def post(client, world, role, path, body):
    return client.post(f"{API}{path}", body, content_type=JSON, **world.auth(role))


def put(client, world, role, path, body):
    return client.put(f"{API}{path}", body, content_type=JSON, **world.auth(role))


def fields_of(response) -> set[str]:
    return {d["loc"][-1] for d in response.json()["detail"]}


@pytest.fixture
def units(client, world):
    """Units A (ent_hz) and B (ent_nb), designated by the province's regulator."""
    out = {}
    for key, org in (("a", "ent_hz"), ("b", "ent_nb")):
        r = post(client, world, "regulator", "/units", {"organisation": world.orgs[org].code})
        assert r.status_code == 201, r.content
        out[key] = EnergyUnit.objects.get(pk=r.json()["id"])
    return out


@pytest.fixture
def ent_nb(world):
    """A member of ent_nb's staff (``ent_nb`` token): unit B enters its own survey."""
    user = create_user("ent_nb", PASSWORD, "enterprise", organisation=world.orgs["ent_nb"].code)
    world.tokens["ent_nb"] = ApiToken.issue(user, "test")[1]
    return user


def test_energy_names_of_the_table_are_in_the_catalogue_list():
    assert set(services.table().names_zh.values()) == set(services.ENERGY_NAMES)


def test_worked_example_rates_equal_the_core(client, world, units):
    r = post(client, world, "regulator", f"/units/{units['a'].pk}/surveys", survey_body(A_LINES))
    assert r.status_code == 201, r.content
    assert r.json()["status"] == "checked"  # a regulator's entry asserts the survey
    rates = client.get(f"{API}/units/{units['a'].pk}/rates", **world.auth("regulator")).json()
    by = {(x["level"], x["energy"]): x for x in rates["lines"]}
    expected = {  # (rate %, required rate % from Table 3, compliant)
        ("unit", "electricity"): (100.0, 100.0, True),
        ("sub_unit", "electricity"): (90.0, 100.0, False),
        ("equipment", "electricity"): (95.0, 95.0, True),
        ("equipment", "steam"): (60.0, 70.0, False),
        ("equipment", "waste_energy"): (0.0, None, None),
    }
    assert {k: (v["rate"], v["required_rate"], v["compliant"]) for k, v in by.items()} == expected
    assert rates["levels"]["equipment"] == pytest.approx(100 * 44 / 52)  # 84.615 %
    assert rates["levels"] == {
        "unit": 100.0,
        "sub_unit": 90.0,
        "equipment": pytest.approx(84.615, abs=1e-3),
    }
    assert rates["compliant"] is False and rates["table"] == "GB 17167-2006"
    # the same numbers straight from the core
    lines = [
        core.MeterLine(x["energy"], core.Level(x["level"]), x["required"], x["configured"])
        for x in A_LINES
    ]
    check = core.check_unit("a", lines)
    assert [(x.rate, x.required_rate, x.compliant) for x in check.lines] == list(expected.values())
    assert rates["levels"]["equipment"] == core.metering_rate(lines, core.Level.EQUIPMENT)


def test_indicator_value_from_checked_records(client, world, units, ent_nb):
    assert (
        post(
            client, world, "regulator", f"/units/{units['a'].pk}/surveys", survey_body(A_LINES)
        ).status_code
        == 201
    )
    # B enters its own survey: submitted, not counted until a regulator checks it
    r = post(client, world, "ent_nb", f"/units/{units['b'].pk}/surveys", survey_body(B_LINES))
    assert r.status_code == 201 and r.json()["status"] == "submitted"
    value, count, description, _records = queries.energy_metering_rate("33", today())
    assert value == pytest.approx(100 * 44 / 52) and count == 1
    assert description.startswith(FORMULAS["energy_metering_rate"])
    r2 = post(client, world, "regulator_nb", f"/surveys/{r.json()['id']}/check", {})
    assert r2.status_code == 200 and r2.json()["status"] == "checked"
    result = queries.energy_metering_rate("33", today())
    assert result.value == pytest.approx(100 * 66 / 77) and result.record_count == 2  # 85.714 %
    assert not result.no_records and result.extra["required"] == 77
    assert set(result.records.values_list("unit__organisation__name", flat=True)) == {
        "ent_hz",
        "ent_nb",
    }
    assert queries.energy_metering_rate("3302", today()).value == pytest.approx(88.0)  # 22/25
    # as of a day before anything was checked: nothing counts yet
    before = queries.energy_metering_rate("33", today() - dt.timedelta(days=1))
    assert (before.value, before.record_count) == (None, 0)
    # a later survey replaces the earlier one for the unit
    later = survey_body(
        [{"level": "equipment", "energy": "electricity", "required": 10, "configured": 10}],
        days_ago=5,
    )
    assert (
        post(client, world, "regulator", f"/units/{units['a'].pk}/surveys", later).status_code
        == 201
    )
    assert queries.energy_metering_rate("3301", today()).value == 100.0
    # the region's rate and gap list over the API
    rate = client.get(f"{API}/rate?region=330000", **world.auth("regulator")).json()
    assert rate["value"] == pytest.approx(100 * 32 / 35) and rate["units"] == 2
    gaps = client.get(f"{API}/gaps", **world.auth("regulator")).json()
    assert gaps == []  # B meets Table 3, A's later survey too


def test_enterprise_submits_but_does_not_count_or_check(client, world, units):
    a = units["a"]
    r = post(client, world, "enterprise", f"/units/{a.pk}/surveys", survey_body(A_LINES))
    assert r.status_code == 201 and r.json()["status"] == "submitted"
    sid = r.json()["id"]
    assert queries.energy_metering_rate("33", today()).value is None
    r = post(client, world, "enterprise", f"/surveys/{sid}/check", {})
    assert r.status_code == 403 and fields_of(r) == {"status"}
    r = post(client, world, "regulator_nb", f"/surveys/{sid}/check", {})  # Ningbo, unit in Hangzhou
    assert r.status_code == 404  # not even readable outside its area
    # the enterprise may correct its own submission while unchecked
    fixed = survey_body(A_LINES[:3])
    assert put(client, world, "enterprise", f"/surveys/{sid}", fixed).status_code == 200
    assert SurveyLine.objects.filter(survey_id=sid).count() == 3
    assert post(client, world, "regulator", f"/surveys/{sid}/check", {}).status_code == 200
    r = post(client, world, "regulator", f"/surveys/{sid}/check", {})
    assert r.status_code == 422 and fields_of(r) == {"status"}
    # once checked, the enterprise may not change it (a new, later survey is the way)
    r = put(client, world, "enterprise", f"/surveys/{sid}", survey_body(A_LINES))
    assert r.status_code == 403 and fields_of(r) == {"status"}
    assert SurveyLine.objects.filter(survey_id=sid).count() == 3
    assert queries.energy_metering_rate("33", today()).value == pytest.approx(100 * 38 / 40)
    # the survey row: created, then checked (the correction changed only its lines); each
    # replaced line is an audited delete and create
    survey_actions = AuditEntry.objects.filter(model="energy.survey", object_id=str(sid))
    assert list(survey_actions.order_by("pk").values_list("action", flat=True)) == [
        "create",
        "update",
    ]
    line_actions = set(
        AuditEntry.objects.filter(model="energy.surveyline").values_list("action", flat=True)
    )
    assert {"create", "delete"} <= line_actions


@pytest.mark.parametrize(
    ("role", "org", "status", "field"),
    [
        ("regulator_nb", "ent_hz", 403, "organisation"),  # Hangzhou unit, Ningbo regulator
        ("enterprise", "ent_hz", 403, "organisation"),  # designation is not the unit's own act
        ("inspector", "ent_hz", 403, "organisation"),
        ("lab", "ent_hz", 403, "organisation"),
        ("anon", "ent_hz", 401, None),
    ],
)
def test_who_may_designate_a_unit(client, world, role, org, status, field):
    r = post(client, world, role, "/units", {"organisation": world.orgs[org].code})
    assert r.status_code == status
    if field:
        assert field in fields_of(r)
    assert not EnergyUnit.objects.exists()


def test_region_outside_the_writers_area_is_refused(client, world):
    body = {"organisation": world.orgs["ent_nb"].code, "region": "330106"}
    r = post(client, world, "regulator_nb", "/units", body)
    assert r.status_code == 403 and fields_of(r) == {"region"}
    r = post(client, world, "regulator", "/units", {"organisation": world.orgs["ent_nb"].code})
    assert r.status_code == 201
    r = post(client, world, "regulator", "/units", {"organisation": world.orgs["ent_nb"].code})
    assert r.status_code == 422 and fields_of(r) == {"organisation"}
    pk = r.json() and EnergyUnit.objects.get().pk
    r = client.patch(
        f"{API}/units/{pk}", {"region": "330106"}, content_type=JSON, **world.auth("regulator_nb")
    )
    assert r.status_code == 403
    assert EnergyUnit.objects.get().region.code == "330203"


def test_reads_are_scoped(client, world, units):
    a, b = units["a"], units["b"]
    assert client.get(f"{API}/units/{a.pk}", **world.auth("enterprise")).status_code == 200
    assert client.get(f"{API}/units/{b.pk}", **world.auth("enterprise")).status_code == 404
    assert client.get(f"{API}/units/{a.pk}", **world.auth("lab")).status_code == 404
    assert client.get(f"{API}/units/{a.pk}", **world.auth("regulator_nb")).status_code == 404
    assert client.get(f"{API}/units").json()["count"] == 0  # anonymous: nothing
    assert client.get(f"{API}/units", **world.auth("inspector")).json()["count"] == 1
    assert client.get(f"{API}/units", **world.auth("regulator")).json()["count"] == 2
    assert client.get(f"{API}/gaps", **world.auth("enterprise")).status_code == 403
    assert client.get(f"{API}/rate?region=330100", **world.auth("regulator_nb")).status_code == 403
    r = post(client, world, "inspector", f"/units/{a.pk}/surveys", survey_body(A_LINES))
    assert r.status_code == 403 and fields_of(r) == {"unit"}
    r = post(client, world, "anon", f"/units/{a.pk}/surveys", survey_body(A_LINES))
    assert r.status_code == 401


def _line(**over) -> dict:
    return {"level": "equipment", "energy": "electricity", "required": 10, "configured": 9, **over}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (survey_body([_line(level="plant")]), "lines[0].level"),
        (survey_body([_line(energy="hydrogen")]), "lines[0].energy"),
        (survey_body([_line(configured=11)]), "lines[0].configured"),  # more than required
        (survey_body([_line(configured=-1)]), "lines[0].configured"),
        (survey_body([_line(required=-3)]), "lines[0].required"),
        (survey_body([_line(required=0, configured=0)]), "lines[0].required"),
        (survey_body([_line(), _line()]), "lines[1].energy"),  # the same level and energy twice
        (survey_body([_line()], main_equipment=0), "lines[0].level"),  # no main equipment
        (survey_body([_line(level="sub_unit")], sub_units=0), "lines[0].level"),
        (survey_body([_line()], sub_units=-2), "sub_units"),
        (survey_body([_line(configured=2_000_000, required=3_000_000)]), "lines[0].required"),
        (survey_body([_line()], days_ago=-3), "surveyed_on"),  # in the future
        (survey_body([]), "lines"),
    ],
)
def test_bad_survey_input_names_the_field_and_writes_nothing(client, world, units, body, field):
    entries = AuditEntry.objects.count()
    r = post(client, world, "regulator", f"/units/{units['a'].pk}/surveys", body)
    assert r.status_code == 422, r.content
    assert field in fields_of(r)
    assert not Survey.objects.exists() and not SurveyLine.objects.exists()
    assert AuditEntry.objects.count() == entries


def test_failed_update_keeps_the_survey(client, world, units):
    r = post(client, world, "enterprise", f"/units/{units['a'].pk}/surveys", survey_body(A_LINES))
    sid = r.json()["id"]
    bad = survey_body([*A_LINES, _line(energy="coal", configured=20)])
    r = put(client, world, "enterprise", f"/surveys/{sid}", bad)
    assert r.status_code == 422 and fields_of(r) == {"lines[5].configured"}
    assert SurveyLine.objects.filter(survey_id=sid).count() == len(A_LINES)


def test_bad_unit_input(client, world):
    r = post(
        client,
        world,
        "regulator",
        "/units",
        {"organisation": world.orgs["ent_hz"].code, "energy_consumption_tce": -5},
    )
    assert r.status_code == 422 and fields_of(r) == {"energy_consumption_tce"}
    r = post(client, world, "regulator", "/units", {"organisation": "91330000XXXXXXXXXX"})
    assert r.status_code == 422 and fields_of(r) == {"organisation"}
    r = post(
        client,
        world,
        "regulator",
        "/units",
        {"organisation": world.orgs["ent_hz"].code, "region": "999999"},
    )
    assert r.status_code == 422 and fields_of(r) == {"region"}
    assert not EnergyUnit.objects.exists()


def test_database_refuses_more_configured_than_required(world):
    from django.db import IntegrityError, transaction

    unit = EnergyUnit.objects.create(
        organisation=world.orgs["ent_hz"], region=world.regions["330106"]
    )
    survey = Survey.objects.create(unit=unit, surveyed_on=today(), sub_units=0, main_equipment=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        SurveyLine.objects.create(
            survey=survey, level="equipment", energy="water", required=1, configured=2
        )


def test_pages_in_both_languages(client, world, units):
    post(client, world, "regulator", f"/units/{units['a'].pk}/surveys", survey_body(A_LINES))
    r = post(
        client,
        world,
        "enterprise",
        f"/units/{units['a'].pk}/surveys",
        survey_body(B_LINES[:1], days_ago=2),
    )
    sid = r.json()["id"]
    client.force_login(world.users["regulator"])
    page = client.get("/energy/").content.decode()
    assert "ent_hz" in page and "ent_nb" in page and "重点用能单位能源计量" in page
    detail = client.get(f"/energy/{units['a'].pk}/").content.decode()
    assert 'data-status="submitted"' in detail and 'id="check-form"' in detail
    en = client.get(
        f"/energy/{units['a'].pk}/?as_of={(today() - dt.timedelta(days=10)).isoformat()}",
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    assert "Main energy-using equipment" in en and "Electricity" in en and "Steam" in en
    gaps = client.get("/energy/gaps/").content.decode()
    assert 'id="energy-gaps"' in gaps and "60.0 %" in gaps  # A's steam line
    assert (
        "Configuration-rate gaps"
        in client.get("/energy/gaps/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )
    assert client.post(f"/energy/surveys/{sid}/check/").status_code == 302
    assert Survey.objects.get(pk=sid).checked
    client.force_login(world.users["enterprise"])
    assert client.get(f"/energy/{units['a'].pk}/").status_code == 200
    assert client.get(f"/energy/{units['b'].pk}/").status_code == 404
    assert client.get("/energy/gaps/").status_code == 403
    client.force_login(world.users["regulator_nb"])
    assert client.post(f"/energy/surveys/{sid}/check/").status_code == 404  # not in its area
