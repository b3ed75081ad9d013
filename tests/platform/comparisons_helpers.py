"""Helpers of the comparisons platform tests (issue 15): the ISO 13528:2022 Annex E.4 data,
a clock for the services, six participating labs and the campaign life cycle through the API.

The proficiency-testing data are ISO 13528:2022 Annex E.4 (mercury in animal feed, Tables
E.6/E.7): x_pt = 0.044 mg/kg from a reference laboratory with U(x_pt) = 0.0082 mg/kg (k = 2),
σ_pt = 0.0066 mg/kg.
"""

from __future__ import annotations

import datetime as dt

from jiliang.platform.accounts.models import ApiToken
from jiliang.platform.accounts.services import create_user
from jiliang.platform.comparisons import services
from jiliang.platform.comparisons.models import Campaign
from jiliang.platform.registry import models as m

from .conftest import PASSWORD, credit

MGKG = r"\milli\gram\kilogram\tothe{-1}"
DEADLINE = dt.datetime(2026, 12, 10, 12, 0, tzinfo=dt.UTC)
BEFORE = DEADLINE - dt.timedelta(days=1)
AFTER = DEADLINE + dt.timedelta(hours=1)

# ISO 13528:2022 E.4, Table E.7: code, x, U(x), k, printed z, z′, ζ, Eₙ (mg/kg)
E4 = [
    ("L04", 0.013, 0.003, 2, -4.70, -3.99, -7.10, -3.55),
    ("L12", 0.0239, 0.0036, 2, -3.05, -2.59, -4.49, -2.24),
    ("L23", 0.0135, 0.00108, 1.732, -4.62, -3.93, -7.35, -3.69),
    ("L03", 0.037, 0.013, 2, -1.06, -0.90, -0.91, -0.46),
    ("L08", 0.044, 0.007, 2, 0.00, 0.00, 0.00, 0.00),
    ("L01", 0.053, 0.007, 2, 1.36, 1.16, 1.67, 0.83),
]
E4_XPT, E4_U_PT, E4_SIGMA = 0.044, 0.0082 / 2, 0.0066  # u(x_pt) = U/k


class Clock:
    """Moves ``services._now`` (the one clock of the comparison services)."""

    def __init__(self, monkeypatch, now: dt.datetime):
        self.now = now
        monkeypatch.setattr(services, "_now", lambda: self.now)


def make_labs(world):
    """Six calibration labs L04 … L01 (alternately Hangzhou/Ningbo), each with a staff user."""
    out = {}
    for i, row in enumerate(E4):
        code = row[0]
        region = world.regions["330106" if i % 2 == 0 else "330203"]
        org = m.Organisation.objects.create(
            code=credit(region.code, 100 + i),
            name=f"lab {code}",
            kind="calibration_lab",
            region=region,
        )
        user = create_user(f"staff_{code}", PASSWORD, "lab_staff", organisation=org.code)
        world.tokens[code] = ApiToken.issue(user, "test")[1]
        world.users[code] = user
        out[code] = org
    return out


def _errors(resp) -> dict[str, str]:
    return {d["loc"][-1]: d["msg"] for d in resp.json()["detail"]}


def campaign_body(world, **over) -> dict:
    body = {
        "code": "PT-HG-2026",
        "title": "饲料中汞 能力验证",
        "kind": "pt",
        "pilot": world.orgs["lab_hz"].code,
        "measurand": "mercury in animal feed",
        "unit": MGKG,
        "deadline": DEADLINE.isoformat(),
        "assigned_source": "reference_lab",
        "assigned_value": E4_XPT,
        "assigned_uncertainty": E4_U_PT,
        "sigma_source": "fitness_for_purpose",
        "sigma_pt": E4_SIGMA,
        "score": "z",
    }
    body.update(over)
    return body


def open_campaign(client, world, labs, **over) -> Campaign:
    """Created, all six labs invited and opened, through the API as the pilot's staff."""
    lab = world.auth("lab")
    resp = client.post(
        "/api/comparisons/campaigns", campaign_body(world, **over), "application/json", **lab
    )
    assert resp.status_code == 201, resp.content
    code = resp.json()["code"]
    for org in labs.values():
        r = client.post(
            f"/api/comparisons/campaigns/{code}/participants",
            {"organisation": org.code},
            "application/json",
            **lab,
        )
        assert r.status_code == 201, r.content
    assert client.post(f"/api/comparisons/campaigns/{code}/open", **lab).json()["status"] == "open"
    return Campaign.objects.get(code=code)


def submit(client, world, code, lab_code, value, U, k=2.0, unit=None):
    body = {"value": value, "expanded_uncertainty": U, "k": k}
    if unit:
        body["unit"] = unit
    return client.post(
        f"/api/comparisons/campaigns/{code}/submissions",
        body,
        "application/json",
        **world.auth(lab_code),
    )


def submit_all(client, world, campaign):
    for code, x, big_u, k, *_ in E4:
        if code == "L01":  # 0.053 mg/kg entered as 53 µg/kg: converted by core.units
            r = submit(
                client, world, campaign.code, code, 53.0, 7.0, k, r"\micro\gram\kilogram\tothe{-1}"
            )
        else:
            r = submit(client, world, campaign.code, code, x, big_u, k)
        assert r.status_code == 201, r.content


def close_and_analyse(client, world, campaign, clock):
    clock.now = AFTER
    lab = world.auth("lab")
    r = client.post(f"/api/comparisons/campaigns/{campaign.code}/close", **lab)
    assert r.status_code == 200, r.content
    r = client.post(f"/api/comparisons/campaigns/{campaign.code}/analyse", **lab)
    assert r.status_code == 200, r.content
    return r.json()
