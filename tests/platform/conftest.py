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
        "primary": m.MeasurementStandard.objects.create(
            code="STD-P",
            name="mass primary",
            level="primary",
            quantity="mass",
            unit=r"\kilogram",
            range_low=0,
            range_high=50,
            uncertainty=1e-6,
            owner=orgs["nmi"],
        ),
        "lab_hz": m.MeasurementStandard.objects.create(
            code="STD-HZ",
            name="mass working",
            level="public",
            quantity="mass",
            unit=r"\kilogram",
            range_low=0,
            range_high=50,
            uncertainty=1e-3,
            owner=orgs["lab_hz"],
        ),
    }
    instruments = {}
    for key, owner, region in [("hz", "ent_hz", "330106"), ("nb", "ent_nb", "330203")]:
        instruments[key] = m.Instrument.objects.create(
            lifetime_id=make_lifetime_id(region, "EPS", 2024, 1),
            category="electronic_price_scale",
            name=f"scale {key}",
            quantity="mass",
            unit=r"\kilogram",
            range_low=0,
            range_high=30,
            mpe=0.01,
            owner=orgs[owner],
            region=regions[region],
            compulsory=True,
            use="trade_settlement",
        )
    events = {
        "hz": m.CalibrationEvent.objects.create(
            certificate_no="JD-HZ-1",
            kind="verification",
            instrument=instruments["hz"],
            performed_by=orgs["lab_hz"],
            performed_on=dt.date(2026, 1, 10),
            issued_on=dt.date(2026, 1, 11),
            due_on=dt.date(2027, 1, 9),
            unit=r"\kilogram",
            result_value=10.0,
            result_uncertainty=0.002,
            conformity="pass",
        ),
        "nb": m.CalibrationEvent.objects.create(
            certificate_no="JD-NB-1",
            kind="verification",
            instrument=instruments["nb"],
            performed_by=orgs["lab_nb"],
            performed_on=dt.date(2026, 2, 10),
            issued_on=dt.date(2026, 2, 10),
            due_on=dt.date(2027, 2, 9),
            unit=r"\kilogram",
            result_value=10.0,
            result_uncertainty=0.002,
            conformity="pass",
        ),
    }
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
