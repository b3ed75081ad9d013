"""A small hand-built region with one user per role, shared by the platform tests.

Province 330000 with Hangzhou (330100 → Xihu 330106) and Ningbo (330200 → Haishu 330203); a lab
and an enterprise in each city; regulators for the province and for Ningbo; an inspector for
Hangzhou.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from jiliang.core.identifiers import credit_code_check, make_lifetime_id
from jiliang.platform.accounts.models import ApiToken
from jiliang.platform.accounts.services import create_user
from jiliang.platform.registry import models as m

PASSWORD = "a-long-test-password-1"


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

    def auth(self, role: str) -> dict:
        """Request headers for an API call as ``role`` ('anon': none)."""
        if role == "anon":
            return {}
        return {"HTTP_AUTHORIZATION": f"Bearer {self.tokens[role]}"}


@pytest.fixture
def world(db) -> World:
    R = {}
    for code, name, level, parent in [
        ("330000", "浙江省", "province", None),
        ("330100", "杭州市", "city", "330000"),
        ("330106", "西湖区", "county", "330100"),
        ("330200", "宁波市", "city", "330000"),
        ("330203", "海曙区", "county", "330200"),
    ]:
        R[code] = m.Region.objects.create(code=code, name=name, level=level, parent=R.get(parent))
    O = {}
    for i, (key, kind, region) in enumerate([
        ("nmi", "nmi", "330106"),
        ("lab_hz", "calibration_lab", "330106"),
        ("lab_nb", "calibration_lab", "330203"),
        ("ent_hz", "enterprise", "330106"),
        ("ent_nb", "enterprise", "330203"),
        ("amr_zj", "regulator", "330106"),
    ]):
        O[key] = m.Organisation.objects.create(
            code=credit(region, i + 1), name=key, kind=kind, region=R[region]
        )
    S = {
        "primary": m.MeasurementStandard.objects.create(
            code="STD-P", name="mass primary", level="primary", quantity="mass", unit=r"\kilogram",
            range_low=0, range_high=50, uncertainty=1e-6, owner=O["nmi"],
        ),
        "lab_hz": m.MeasurementStandard.objects.create(
            code="STD-HZ", name="mass working", level="public", quantity="mass",
            unit=r"\kilogram", range_low=0, range_high=50, uncertainty=1e-3, owner=O["lab_hz"],
        ),
    }
    I = {}
    for key, owner, region in [("hz", "ent_hz", "330106"), ("nb", "ent_nb", "330203")]:
        I[key] = m.Instrument.objects.create(
            lifetime_id=make_lifetime_id(region, "EPS", 2024, 1), category="electronic_price_scale",
            name=f"scale {key}", quantity="mass", unit=r"\kilogram", range_low=0, range_high=30,
            mpe=0.01, owner=O[owner], region=R[region], compulsory=True, use="trade_settlement",
        )
    E = {
        "hz": m.CalibrationEvent.objects.create(
            certificate_no="JD-HZ-1", kind="verification", instrument=I["hz"],
            performed_by=O["lab_hz"], performed_on=dt.date(2026, 1, 10),
            issued_on=dt.date(2026, 1, 11), due_on=dt.date(2027, 1, 9), unit=r"\kilogram",
            result_value=10.0, result_uncertainty=0.002, conformity="pass",
        ),
        "nb": m.CalibrationEvent.objects.create(
            certificate_no="JD-NB-1", kind="verification", instrument=I["nb"],
            performed_by=O["lab_nb"], performed_on=dt.date(2026, 2, 10),
            issued_on=dt.date(2026, 2, 10), due_on=dt.date(2027, 2, 9), unit=r"\kilogram",
            result_value=10.0, result_uncertainty=0.002, conformity="pass",
        ),
    }
    E["hz"].standards_used.add(S["lab_hz"])
    U = {
        "admin": create_user("admin", PASSWORD, "admin"),
        "regulator": create_user("regulator", PASSWORD, "regulator", region="330000"),
        "regulator_nb": create_user("regulator_nb", PASSWORD, "regulator", region="330200"),
        "inspector": create_user("inspector", PASSWORD, "inspector", region="330100"),
        "lab": create_user("lab", PASSWORD, "lab_staff", organisation=O["lab_hz"].code),
        "enterprise": create_user("enterprise", PASSWORD, "enterprise", organisation=O["ent_hz"].code),
    }
    T = {role: ApiToken.issue(user, "test")[1] for role, user in U.items()}
    return World(R, O, S, I, E, U, T)
