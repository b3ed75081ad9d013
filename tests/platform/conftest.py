"""A small hand-built region with one user per role, shared by the platform tests.

Province 330000 with Hangzhou (330100 → Xihu 330106) and Ningbo (330200 → Haishu 330203); a lab
and an enterprise in each city; regulators for the province and for Ningbo; an inspector for
Hangzhou.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest

from jiliang.core.identifiers import credit_code_check, make_lifetime_id
from jiliang.platform.accounts.models import ApiToken
from jiliang.platform.accounts.services import create_user
from jiliang.platform.registry import models as m
from jiliang.platform.supervision.models import Filing
from jiliang.platform.supervision.services import sync_filing

PASSWORD = "a-long-test-password-1"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2 at production strength costs ~0.3 s a user; tests only need a working hash."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _pki_auto_enrol(settings):
    """Test settings: labs sign under a throw-away test CA (production: operator enrolment)."""
    settings.JILIANG_PKI_AUTO_ENROL = True


def credit(region: str, n: int) -> str:
    body = f"91{region}{n:09d}"
    return body + credit_code_check(body)


def scale_fields(owner, region, serial: int, name: str, year: int = 2024, **extra) -> dict:
    """Fields of a 0–30 kg electronic price scale (MPE 0.01 kg) of ``owner`` in ``region``, its
    lifetime ID ``<region>-EPS-<year>-<serial>``; ``extra`` adds or overrides fields."""
    return {
        "lifetime_id": make_lifetime_id(region.code, "EPS", year, serial),
        "category": "electronic_price_scale",
        "name": name,
        "quantity": "mass",
        "unit": r"\kilogram",
        "range_low": 0,
        "range_high": 30,
        "mpe": 0.01,
        "owner": owner,
        "region": region,
        **extra,
    }


def mass_standard_fields(code: str, name: str, level: str, uncertainty: float, owner) -> dict:
    """Fields of a 0–50 kg mass standard ``code`` of ``owner``; ``uncertainty`` in kg."""
    return {
        "code": code,
        "name": name,
        "level": level,
        "quantity": "mass",
        "unit": r"\kilogram",
        "range_low": 0,
        "range_high": 50,
        "uncertainty": uncertainty,
        "owner": owner,
    }


#: the world's two passed verifications, by scale: the lab, performed on, issued on, due on
VERIFICATIONS = {
    "hz": ("lab_hz", dt.date(2026, 1, 10), dt.date(2026, 1, 11), dt.date(2027, 1, 9)),
    "nb": ("lab_nb", dt.date(2026, 2, 10), dt.date(2026, 2, 10), dt.date(2027, 2, 9)),
}


def passed_verification_fields(
    number: str, instrument, lab, performed_on: dt.date, issued_on: dt.date, due_on: dt.date
) -> dict:
    """Fields of a passed verification (certificate ``number``) of a scale by ``lab``:
    10.0 kg measured, expanded uncertainty U = 0.002 kg."""
    return {
        "certificate_no": number,
        "kind": "verification",
        "instrument": instrument,
        "performed_by": lab,
        "performed_on": performed_on,
        "issued_on": issued_on,
        "due_on": due_on,
        "unit": r"\kilogram",
        "result_value": 10.0,
        "result_uncertainty": 0.002,
        "conformity": "pass",
    }


def hz_verification(world, number: str, on: dt.date, conformity: str, **extra):
    """A verification (certificate ``number``) of the Hangzhou scale by lab_hz, performed and
    issued on ``on``, unit kg; ``extra``: further fields (``due_on``, the verifier, …)."""
    return m.CalibrationEvent.objects.create(
        certificate_no=number,
        kind="verification",
        instrument=world.instruments["hz"],
        performed_by=world.orgs["lab_hz"],
        performed_on=on,
        issued_on=on,
        unit=r"\kilogram",
        conformity=conformity,
        **extra,
    )


def file_scales(world) -> dict:
    """File the world's two scales (hz, nb) under compulsory management; the filings by key."""
    filings = {}
    for key in ("hz", "nb"):
        inst = world.instruments[key]
        filings[key] = sync_filing(Filing(instrument=inst, item_code=inst.category, use=inst.use))
    return filings


def instrument_body(world, **override) -> dict:
    """The JSON body of a new instrument for ``POST /api/registry/instruments``: a 0–15 kg scale
    (MPE 0.005 kg) of ent_hz in Xihu; ``override`` replaces or adds fields."""
    body = {
        "lifetime_id": make_lifetime_id("330106", "EPS", 2026, 42),
        "category": "electronic_price_scale",
        "name": "scale",
        "quantity": "mass",
        "unit": r"\kilogram",
        "range_low": 0,
        "range_high": 15,
        "mpe": 0.005,
        "owner": world.orgs["ent_hz"].code,
        "region": "330106",
    }
    body.update(override)
    return body


def hz_failed_verification(world):
    """JD-HZ-FAIL: the Hangzhou scale's latest verification (2026-06-01, by lab_hz's verifier)
    failed, though it names a due date a year on (which an overdue check must not trust)."""
    return hz_verification(
        world,
        "JD-HZ-FAIL",
        dt.date(2026, 6, 1),
        "fail",
        due_on=dt.date(2027, 5, 31),
        performed_by_person=world.people["lab_hz"],
    )


@dataclass
class World:
    regions: dict
    orgs: dict
    standards: dict
    instruments: dict
    events: dict
    users: dict
    tokens: dict
    people: dict = field(default_factory=dict)

    def auth(self, role: str) -> dict:
        """Request headers for an API call as ``role`` ('anon': none)."""
        if role == "anon":
            return {}
        return {"HTTP_AUTHORIZATION": f"Bearer {self.tokens[role]}"}


@pytest.fixture
def world(db) -> World:
    regions = {}
    for code, name, level, parent in [
        ("330000", "浙江省", "province", None),
        ("330100", "杭州市", "city", "330000"),
        ("330106", "西湖区", "county", "330100"),
        ("330200", "宁波市", "city", "330000"),
        ("330203", "海曙区", "county", "330200"),
    ]:
        regions[code] = m.Region.objects.create(
            code=code, name=name, level=level, parent=regions.get(parent)
        )
    orgs = {}
    for i, (key, kind, region) in enumerate(
        [
            ("nmi", "nmi", "330106"),
            ("lab_hz", "authorised", "330106"),
            ("lab_nb", "authorised", "330203"),
            ("ent_hz", "enterprise", "330106"),
            ("ent_nb", "enterprise", "330203"),
            ("amr_zj", "regulator", "330106"),
        ]
    ):
        orgs[key] = m.Organisation.objects.create(
            code=credit(region, i + 1), name=key, kind=kind, region=regions[region]
        )
    standards = {
        key: m.MeasurementStandard.objects.create(**mass_standard_fields(*fields))
        for key, fields in [
            ("primary", ("STD-P", "mass primary", "primary", 1e-6, orgs["nmi"])),
            ("lab_hz", ("STD-HZ", "mass working", "public", 1e-3, orgs["lab_hz"])),
        ]
    }
    instruments = {}
    for key, owner, region in [("hz", "ent_hz", "330106"), ("nb", "ent_nb", "330203")]:
        fields = scale_fields(orgs[owner], regions[region], 1, f"scale {key}")
        instruments[key] = m.Instrument.objects.create(
            **fields, compulsory=True, use="trade_settlement"
        )
    events = {}
    for key, (lab, *dates) in VERIFICATIONS.items():  # JD-HZ-1, JD-NB-1
        number, instrument = f"JD-{key.upper()}-1", instruments[key]
        fields = passed_verification_fields(number, instrument, orgs[lab], *dates)
        events[key] = m.CalibrationEvent.objects.create(**fields)
    events["hz"].standards_used.add(standards["lab_hz"])
    users = {
        "admin": create_user("admin", PASSWORD, "admin"),
        "regulator": create_user("regulator", PASSWORD, "regulator", region="330000"),
        "regulator_nb": create_user("regulator_nb", PASSWORD, "regulator", region="330200"),
        "inspector": create_user("inspector", PASSWORD, "inspector", region="330100"),
        "lab": create_user("lab", PASSWORD, "lab_staff", organisation=orgs["lab_hz"].code),
        "enterprise": create_user(
            "enterprise", PASSWORD, "enterprise", organisation=orgs["ent_hz"].code
        ),
    }
    # The authority lab_hz's verifications rest on: an authorisation (计量授权) covering the
    # scales in its area. lab_nb has none (the traceability tests rely on its broken chain).
    m.Scope.objects.create(
        organisation=orgs["lab_hz"],
        kind="authorisation",
        quantity="mass",
        instrument_category="electronic_price_scale",
        unit=r"\kilogram",
        range_low=0,
        range_high=50,
        valid_from=dt.date(2020, 1, 1),
        valid_to=dt.date(2030, 12, 31),
    )
    # each lab has a qualified verifier (计量检定员) of its own
    people = {}
    for key, region in [("lab_hz", "330106"), ("lab_nb", "330203")]:
        person = m.Person.objects.create(
            name=f"verifier {key}",
            organisation=orgs[key],
            user=users["lab"] if key == "lab_hz" else None,
        )
        people[key] = person
        m.Qualification.objects.create(
            person=person,
            kind="verifier",
            number=f"JDY-{region}-1",
            valid_from=dt.date(2020, 1, 1),
            valid_to=dt.date(2030, 12, 31),
        )
        for event in m.CalibrationEvent.objects.filter(performed_by=orgs[key]):
            event.performed_by_person = person  # save(), not update(): audited like any change
            event.save()
    tokens = {role: ApiToken.issue(user, "test")[1] for role, user in users.items()}
    return World(regions, orgs, standards, instruments, events, users, tokens, people)


@pytest.fixture
def reviewer(world):
    """A second lab_hz member, ``lab2`` (with an API token): the second person who issues."""
    user = create_user("lab2", PASSWORD, "lab_staff", organisation=world.orgs["lab_hz"].code)
    world.tokens["lab2"] = ApiToken.issue(user, "test")[1]
    return user


@pytest.fixture
def audit_triggers_lifted(transactional_db, request):
    """For transactional tests: lift the append-only triggers before the table flush.

    The flush after a transactional test deletes every row, which SQLite's append-only trigger
    rightly refuses. This fixture drops the triggers at teardown (before the flush), and the
    ``pytest_runtest_teardown`` hook below puts them back once the flush is done.
    """
    request.node.stash[_RESTORE_TRIGGERS] = True
    yield
    from django.db import connection

    from jiliang.platform.audit import triggers

    triggers.drop(connection)


_RESTORE_TRIGGERS = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    result = yield
    if item.stash.get(_RESTORE_TRIGGERS, False):
        from django.db import connection
        from pytest_django.plugin import blocking_manager_key

        from jiliang.platform.audit import triggers

        with item.config.stash[blocking_manager_key].unblock():
            triggers.install(connection)
    return result


@pytest.fixture
def clock(monkeypatch):
    """The comparison services' clock, a day before the deadline (comparisons_helpers)."""
    from .comparisons_helpers import BEFORE, Clock  # it imports this module

    return Clock(monkeypatch, BEFORE)


@pytest.fixture
def labs(world):
    """Six calibration labs L04 … L01 (alternately Hangzhou/Ningbo), each with a staff user."""
    from .comparisons_helpers import make_labs

    return make_labs(world)
