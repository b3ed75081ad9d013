"""Permission matrix generated from the authority model's one description (``RULES``).

For every registry model, every writable field and every persona, the test PATCHes the field of a
record through the API and expects exactly what :data:`jiliang.platform.registry.authority.RULES`
says: 200 (and the value stored) when one of the persona's relations to the record may set the
field, 403 (and nothing stored) when none may, 404 when the persona cannot even read the record,
401 when anonymous. Create and delete are checked the same way. The personas' relations to the
records are known by construction (who owns what in the fixture), not computed by the code under
test, so a wrong decision in ``authority.relations`` or in the API fails here.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import pytest

from jiliang.core.identifiers import make_lifetime_id
from jiliang.platform.accounts.models import ApiToken
from jiliang.platform.accounts.services import create_user
from jiliang.platform.registry import models as m
from jiliang.platform.registry.authority import RULES, Rel
from jiliang.platform.registry.resources import BY_MODEL

from .conftest import PASSWORD, credit

PERSONAS = ["admin", "regulator", "regulator_nb", "inspector", "lab", "nmi", "enterprise", "anon"]
#: which organisation's staff each persona is (relations OWNER/LAB/NMI follow from it)
STAFF_OF = {"lab": "lab_hz", "nmi": "nmi", "enterprise": "ent_hz"}
#: the extra relations staff have by their organisation's kind
STAFF_RELS = {
    "lab": {Rel.OWNER, Rel.LAB},
    "nmi": {Rel.OWNER, Rel.LAB, Rel.NMI},
    "enterprise": {Rel.OWNER},
}


@dataclass
class Subject:
    """One record to change: its model, its owning organisation key (None: nobody's) and
    whether it lies in the province regulator's area (all subjects lie in Hangzhou)."""

    obj: object
    owner: str | None


def persona_rels(persona: str, subject: Subject) -> set[Rel]:
    """The relations ``persona`` has to ``subject``, by construction of the fixture."""
    if persona == "admin":
        return {Rel.ADMIN}
    if persona == "regulator":  # province 330000: every subject is inside
        return {Rel.REGULATOR}
    if persona in STAFF_OF and subject.owner == STAFF_OF[persona]:
        return set(STAFF_RELS[persona])
    return set()


@pytest.fixture
def matrix(world):
    w = world
    nmi_user = create_user("nmi", PASSWORD, "lab_staff", organisation=w.orgs["nmi"].code)
    w.tokens["nmi"] = ApiToken.issue(nmi_user, "test")[1]
    lab_person = w.people["lab_hz"]
    second = m.Person.objects.create(name="second verifier", organisation=w.orgs["lab_hz"])
    m.Qualification.objects.create(
        person=second,
        kind="metrologist_2",
        number="JDY-2",
        valid_from=dt.date(2020, 1, 1),
        valid_to=dt.date(2030, 1, 1),
    )
    # a second authorised institution and a second NMI in Hangzhou, to move records to
    lab2 = m.Organisation.objects.create(
        code=credit("330106", 41), name="lab2", kind="authorised", region=w.regions["330106"]
    )
    scope = m.Scope.objects.get(organisation=w.orgs["lab_hz"])
    scope.pk, scope.organisation = None, lab2
    scope.save()
    lab2_person = m.Person.objects.create(name="lab2 verifier", organisation=lab2)
    m.Qualification.objects.create(
        person=lab2_person,
        kind="verifier",
        number="JDY-3",
        valid_from=dt.date(2020, 1, 1),
        valid_to=dt.date(2030, 1, 1),
    )
    nmi2 = m.Organisation.objects.create(
        code=credit("330106", 42), name="nmi2", kind="nmi", region=w.regions["330106"]
    )
    w.extra = {"second_person": second, "lab2": lab2, "lab2_person": lab2_person, "nmi2": nmi2}
    cmc = m.CMC.objects.create(
        provider=w.orgs["nmi"],
        quantity="mass",
        unit=r"\kilogram",
        range_low=0,
        range_high=50,
        uncertainty=1e-6,
        service="mass calibration",
    )
    rm = m.ReferenceMaterial.objects.create(
        gbw_number="GBW08601",
        name="pH buffer",
        quantity="mass",
        certified_value=1.0,
        uncertainty=0.01,
        unit=r"\kilogram",
        producer=w.orgs["lab_hz"],
        expiry=dt.date(2030, 1, 1),
    )
    other_scale = m.Instrument.objects.create(
        lifetime_id=make_lifetime_id("330106", "EPS", 2024, 7),
        category="electronic_price_scale",
        name="second scale",
        quantity="mass",
        unit=r"\kilogram",
        range_low=0,
        range_high=30,
        owner=w.orgs["ent_hz"],
        region=w.regions["330106"],
        use="trade_settlement",
    )
    w.extra["other_scale"] = other_scale
    subjects = {
        m.Region: Subject(w.regions["330106"], None),
        m.Organisation: Subject(w.orgs["ent_hz"], "ent_hz"),
        m.Scope: Subject(m.Scope.objects.get(organisation=w.orgs["lab_hz"]), "lab_hz"),
        m.Person: Subject(lab_person, "lab_hz"),
        m.Qualification: Subject(lab_person.qualifications.get(), "lab_hz"),
        m.MeasurementStandard: Subject(w.standards["lab_hz"], "lab_hz"),
        m.Instrument: Subject(w.instruments["hz"], "ent_hz"),
        m.ReferenceMaterial: Subject(rm, "lab_hz"),
        m.CMC: Subject(cmc, "nmi"),
        m.CalibrationEvent: Subject(w.events["hz"], "lab_hz"),
    }
    return w, subjects


def _bump(value):
    return value + dt.timedelta(days=1) if isinstance(value, dt.date) else value


def new_value(world, obj, name: str):
    """A valid different value for field ``name`` of ``obj`` (plus companion fields), as API
    JSON; chosen so the measurement system's fact checks still hold."""
    w = world
    special = {
        (m.Region, "code"): "330199",
        (m.Region, "parent"): "330100",
        (m.Region, "level"): "county",
        (m.Organisation, "code"): credit("330106", 77),
        (m.Organisation, "kind"): "calibration_lab",
        (m.Organisation, "region"): "330100",
        (m.Scope, "organisation"): w.orgs["nmi"].code,
        (m.Scope, "kind"): "accreditation",
        (m.Scope, "quantity"): "mass",
        (m.Person, "organisation"): w.orgs["nmi"].code,
        (m.Person, "email"): "new@example.cn",
        (m.Qualification, "person"): w.extra["second_person"].pk,
        (m.Qualification, "kind"): "metrologist_2",
        (m.MeasurementStandard, "level"): "department",
        (m.MeasurementStandard, "owner"): w.orgs["nmi"].code,
        (m.MeasurementStandard, "status"): "suspended",
        (m.MeasurementStandard, "certificate_valid_from"): "2025-01-01",
        (m.MeasurementStandard, "certificate_valid_to"): "2029-12-31",
        (m.Instrument, "lifetime_id"): make_lifetime_id("330106", "EPS", 2024, 8),
        (m.Instrument, "owner"): w.orgs["ent_nb"].code,
        (m.Instrument, "region"): "330100",
        (m.Instrument, "status"): "suspended",
        (m.Instrument, "use"): "other",
        (m.Instrument, "category"): "electronic_price_scale_b",
        (m.Instrument, "installed_on"): "2024-05-01",
        (m.ReferenceMaterial, "gbw_number"): "GBW08602",
        (m.ReferenceMaterial, "producer"): w.orgs["nmi"].code,
        (m.ReferenceMaterial, "quantity"): "length",
        (m.CMC, "provider"): w.extra["nmi2"].code,
        (m.CMC, "kcdb_id"): "APMP-M-CN-0001",
        (m.CMC, "quantity"): "mass",
        (m.CMC, "confidence_level"): 0.99,
        (m.CalibrationEvent, "kind"): "calibration",
        (m.CalibrationEvent, "instrument"): w.extra["other_scale"].lifetime_id,
        (m.CalibrationEvent, "performed_by_person"): w.extra["second_person"].pk,
        (m.CalibrationEvent, "conformity"): "fail",
        (m.CalibrationEvent, "standards_used"): [],
        (m.CalibrationEvent, "reference_materials_used"): ["GBW08601"],
    }
    key = (type(obj), name)
    if key in special:
        return {name: special[key]}
    if key == (m.CalibrationEvent, "performed_by"):
        return {name: w.extra["lab2"].code, "performed_by_person": w.extra["lab2_person"].pk}
    if key == (m.CalibrationEvent, "standard"):
        return {name: w.standards["lab_hz"].code}  # a second item: refused as invalid (422)
    if key == (m.CalibrationEvent, "reference_material"):
        return {name: "GBW08601"}
    if name == "unit":
        return {name: r"\gram"}
    f = obj._meta.get_field(name)
    value = getattr(obj, f.attname)
    if f.get_internal_type() == "BooleanField":
        return {name: not value}
    if f.get_internal_type() == "FloatField":
        if name == "range_low":
            return {name: (value or 0) - 1}
        return {name: (value or 0.01) * 2 if name != "k" else 3.0}
    if f.get_internal_type() == "DateField":
        return {name: _bump(value).isoformat()}
    if f.choices:
        other = [c for c, _l in f.choices if c != value]
        return {name: other[0]}
    if f.get_internal_type() in {"CharField", "EmailField"}:
        return {name: (str(value or "") + "X")[: f.max_length]}
    raise AssertionError(f"no new value for {type(obj).__name__}.{name}: add it to `special`")


def _owner_fields(model) -> set[str]:
    """Fields that are the record's link to its owning organisation: changing one moves the
    record away from its owner, who then no longer stands in the owner relation."""
    path = RULES[model].owner_path or ""
    return {path.split("__")[0].removesuffix("_id")} - {"id"}


def expected_status(persona: str, subject: Subject, fields: list[str], readable: bool) -> int:
    if persona == "anon":
        return 401
    if not readable:
        return 404
    rule = RULES[type(subject.obj)]
    rels = persona_rels(persona, subject)
    for name in fields:
        allowed = rels & rule.fields[name]
        if name in _owner_fields(type(subject.obj)):
            allowed -= {Rel.OWNER, Rel.LAB, Rel.NMI}
        if not allowed:
            return 403
    return 200


def _call(client, world, persona, method, path, body=None):
    kwargs = {} if persona == "anon" else {"HTTP_AUTHORIZATION": f"Bearer {world.tokens[persona]}"}
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    return getattr(client, method)(f"/api/registry/{path}", **kwargs)


def _cases():
    for model, rule in RULES.items():
        for name in rule.fields:
            yield pytest.param(model, name, id=f"{model.__name__}.{name}")


def test_every_writable_field_has_an_authority_rule():
    """The matrix covers every model and field: the rules name exactly the resources' fields."""
    assert set(RULES) == set(BY_MODEL)
    for model, resource in BY_MODEL.items():
        assert set(RULES[model].fields) == set(resource.fields), model.__name__


@pytest.mark.parametrize(("model", "name"), list(_cases()))
def test_update_matrix(client, matrix, model, name):
    world, subjects = matrix
    subject = subjects[model]
    body = new_value(world, subject.obj, name)
    # an event names exactly one item: a permitted change to a second one is then invalid
    invalid = model is m.CalibrationEvent and name in {"standard", "reference_material"}
    slug = BY_MODEL[model].slug
    pk = subject.obj.pk
    for persona in PERSONAS:
        readable = (
            _call(
                client, world, "admin" if persona == "anon" else persona, "get", f"{slug}/{pk}"
            ).status_code
            == 200
        )
        before = _call(client, world, "admin", "get", f"{slug}/{pk}").json()
        r = _call(client, world, persona, "patch", f"{slug}/{pk}", body)
        want = expected_status(persona, subject, list(body), readable)
        if invalid and want == 200:
            want = 422  # authority first (403), then validity: the permitted writer gets the 422
        assert r.status_code == want, (persona, body, r.content)
        after = _call(client, world, "admin", "get", f"{slug}/{pk}").json()
        if want == 200:
            assert after[name] == body[name] or name == "unit" or isinstance(body[name], list)
            # put it back so the next persona starts from the same record
            restore = {k: before[k] for k in body}
            back = _call(client, world, "admin", "patch", f"{slug}/{pk}", restore)
            assert back.status_code == 200, back.content
        else:
            assert after == before, persona  # nothing half-written


def _create_bodies(world) -> dict:
    w = world
    hz = w.orgs["lab_hz"].code
    return {
        m.Region: (
            None,
            {"code": "330108", "name": "滨江区", "level": "county", "parent": "330100"},
        ),
        m.Organisation: (
            None,
            {"code": credit("330106", 55), "name": "new", "kind": "enterprise", "region": "330106"},
        ),
        m.Scope: (
            "lab_hz",
            {
                "organisation": hz,
                "kind": "authorisation",
                "quantity": "mass",
                "instrument_category": "electronic_price_scale",
                "unit": r"\kilogram",
                "range_low": 0,
                "range_high": 10,
                "valid_from": "2026-01-01",
                "valid_to": "2027-01-01",
            },
        ),
        m.Person: ("lab_hz", {"name": "new person", "organisation": hz}),
        m.Qualification: (
            "lab_hz",
            {
                "person": w.people["lab_hz"].pk,
                "kind": "verifier",
                "number": "JDY-NEW",
                "valid_from": "2026-01-01",
                "valid_to": "2031-01-01",
            },
        ),
        m.MeasurementStandard: (
            "lab_hz",
            {
                "code": "STD-NEW",
                "name": "new",
                "level": "department",
                "quantity": "mass",
                "unit": r"\kilogram",
                "range_low": 0,
                "range_high": 1,
                "uncertainty": 0.001,
                "owner": hz,
            },
        ),
        m.Instrument: (
            "ent_hz",
            {
                "lifetime_id": make_lifetime_id("330106", "EPS", 2025, 3),
                "category": "electronic_price_scale",
                "name": "new scale",
                "quantity": "mass",
                "unit": r"\kilogram",
                "owner": w.orgs["ent_hz"].code,
                "region": "330106",
                "use": "trade_settlement",
            },
        ),
        m.ReferenceMaterial: (
            "lab_hz",
            {
                "gbw_number": "GBW08609",
                "name": "new crm",
                "quantity": "mass",
                "certified_value": 1.0,
                "uncertainty": 0.01,
                "unit": r"\kilogram",
                "producer": hz,
                "expiry": "2030-01-01",
            },
        ),
        m.CMC: (
            "nmi",
            {
                "provider": w.orgs["nmi"].code,
                "quantity": "mass",
                "unit": r"\kilogram",
                "range_low": 0,
                "range_high": 1,
                "uncertainty": 1e-6,
            },
        ),
        m.CalibrationEvent: (
            "lab_hz",
            {
                "certificate_no": "JD-MATRIX",
                "kind": "verification",
                "instrument": w.instruments["hz"].lifetime_id,
                "performed_by": hz,
                "performed_by_person": w.people["lab_hz"].pk,
                "performed_on": "2026-05-01",
                "issued_on": "2026-05-01",
                "due_on": "2027-04-30",
                "unit": r"\kilogram",
                "conformity": "pass",
            },
        ),
    }


@pytest.mark.parametrize("model", list(RULES), ids=lambda mdl: mdl.__name__)
def test_create_and_delete_matrix(client, matrix, model):
    world, _subjects = matrix
    owner, body = _create_bodies(world)[model]
    slug = BY_MODEL[model].slug
    rule = RULES[model]
    for persona in PERSONAS:
        rels = persona_rels(persona, Subject(None, owner))
        want = 401 if persona == "anon" else (201 if rels & rule.create else 403)
        r = _call(client, world, persona, "post", slug, body)
        assert r.status_code == want, (persona, r.content)
        if r.status_code != 201:
            continue
        pk = r.json()["id"]
        deleters = [p for p in PERSONAS if persona_rels(p, Subject(None, owner)) & rule.delete]
        for other in PERSONAS:
            if other in deleters:
                continue
            d = _call(client, world, other, "delete", f"{slug}/{pk}")
            assert d.status_code in {401, 403, 404}, (other, d.content)
            assert model._default_manager.filter(pk=pk).exists()
        deleter = next(p for p in deleters[::-1])  # the least privileged first
        d = _call(client, world, deleter, "delete", f"{slug}/{pk}")
        assert d.status_code == 204, (deleter, d.content)


def test_security_doc_prints_the_authority_table():
    """docs/security.md shows the table generated from RULES (scripts/authority_table)."""
    from pathlib import Path

    from jiliang.platform.registry.authority import authority_markdown

    doc = (Path(__file__).parents[2] / "docs" / "security.md").read_text(encoding="utf-8")
    start = doc.index("-->", doc.index("<!-- authority-table:start")) + len("-->\n")
    end = doc.index("<!-- authority-table:end -->")
    assert doc[start:end] == authority_markdown()
