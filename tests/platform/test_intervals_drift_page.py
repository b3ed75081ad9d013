"""The drift page of a measurement standard (/intervals/standards/<id>/): value ± U per
certificate, the fitted drift and its band, the predicted value and the warning date, all the
core's (:func:`jiliang.core.intervals.drift_warning`).

Worked case (closed form, as ``test_intervals.test_standard_drift``): STD-HZ recertified yearly
at 10.000, 10.001, 10.002 kg, U = 0.0002 kg (k = 2): on the line exactly, slope 0.001/365 kg/d,
u(β₁) = u/(365·√2); allowance = the standard's U = 0.001 kg → interval
0.001/(|β₁| + 2u(β₁)) = 365/(1 + 0.2/√2) = 319.777 d after 2024-01-01.
"""

from __future__ import annotations

import datetime as dt
import json
import math

import pytest

from jiliang.core.intervals import drift_warning, fit_drift
from jiliang.platform.registry import models as m

D = dt.date
DAYS = [D(2022, 1, 1), D(2023, 1, 1), D(2024, 1, 1)]
VALUES = [10.000, 10.001, 10.002]


@pytest.fixture
def certified(world):
    std = world.standards["lab_hz"]
    for i, (on, v) in enumerate(zip(DAYS, VALUES, strict=True)):
        m.CalibrationEvent.objects.create(
            certificate_no=f"STD-HZ-{i}",
            kind="calibration",
            standard=std,
            performed_by=world.orgs["nmi"],
            performed_on=on,
            issued_on=on,
            unit=r"\kilogram",
            result_value=v,
            result_uncertainty=0.0002,
        )
    return std


def _chart(response) -> dict:
    page = response.content.decode()
    start = page.index('<script id="drift-chart" type="application/json">')
    body = page[page.index(">", start) + 1 : page.index("</script>", start)]
    return json.loads(body)


def test_drift_page_shows_the_core_fit_and_warning(world, certified, client):
    client.force_login(world.users["lab"])
    r = client.get(f"/intervals/standards/{certified.pk}/?on=2025-01-01")
    assert r.status_code == 200
    core = drift_warning(DAYS, VALUES, [0.0002] * 3, allowance=0.001, coverage=[2.0] * 3)
    assert core.interval_days == pytest.approx(365 / (1 + 0.2 / math.sqrt(2)), 1e-9)
    page = r.content.decode()
    assert core.warning_date.isoformat() in page and "319.8" in page
    d = _chart(r)
    assert d["t"] == [day.isoformat() for day in DAYS] and d["value"] == VALUES
    assert d["high"][0] == pytest.approx(10.0002) and d["low"][2] == pytest.approx(10.0018)
    fit = fit_drift(DAYS, VALUES, [0.0002] * 3)
    # the fitted line ± 2u from the first certificate to the later of the prediction date and
    # the warning date (2024-11-15 here)
    assert core.warning_date == D(2024, 11, 15)
    assert d["line"][0][0] == "2022-01-01" and d["line"][-1][0] == "2025-01-01"
    y, u = fit.predict(D(2025, 1, 1))
    assert d["line"][-1][1:] == pytest.approx([y, y - 2 * u, y + 2 * u])
    assert d["limits"] == pytest.approx([10.002 - 0.001, 10.002 + 0.001], abs=1e-12)
    assert d["warning"] == core.warning_date.isoformat()
    value, u_value = fit.predict(D(2025, 1, 1))
    assert d["predicted"][0] == "2025-01-01"
    assert d["predicted"][1:] == pytest.approx([value, 2 * u_value])
    assert value == pytest.approx(10.002 + 0.001 * 366 / 365, abs=1e-9)  # 2024 is a leap year


def test_drift_page_insufficient_bad_input_scope_and_english(world, certified, client):
    client.force_login(world.users["enterprise"])  # reads the standard, not its certificates
    r = client.get(f"/intervals/standards/{certified.pk}/")
    assert r.status_code == 200
    assert "dates: 0 certificates, a drift fit needs ≥ 3 at ≥ 2 dates" in r.content.decode()
    assert _chart(r)["line"] == [] and _chart(r)["warning"] is None
    client.force_login(world.users["lab"])
    r = client.get(f"/intervals/standards/{certified.pk}/?on=1800-01-01")
    assert r.status_code == 200 and r.context["error"].startswith("on")
    r = client.get(f"/intervals/standards/{certified.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Drift of the standard" in r.content.decode()
    assert client.get("/intervals/standards/999999/").status_code == 404
