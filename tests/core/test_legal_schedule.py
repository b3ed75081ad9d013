"""Catalogue rules and the compulsory-verification schedule."""

from __future__ import annotations

import datetime as dt

import pytest

from jiliang.core.legal.catalogue import Catalogue, Mode, Use
from jiliang.core.legal.schedule import FiledInstrument, Status, add_months, schedule

CAT = Catalogue.from_rulebook(as_of=dt.date(2026, 1, 1))
TODAY = dt.date(2026, 11, 23)


def test_catalogue_covers_the_named_items():
    for code in (
        "fuel_dispenser",
        "taximeter",
        "electronic_price_scale",
        "electricity_meter",
        "water_meter",
        "gas_meter",
        "sphygmomanometer",
        "breath_alcohol_analyser",
        "sound_level_meter",
    ):
        item = CAT.item(code)
        assert item.name_zh and item.name_en and item.jjg
    with pytest.raises(KeyError, match="item_code 'abacus' is not in catalogue"):
        CAT.item("abacus")


# Water meters: DN ≤ 25 life 6 y, 25 < DN ≤ 50 life 4 y, larger periodic 2 y (issue 7 brief;
# Yangzhou water notice 2012: DN15-25 six years, DN40-50 four years).
@pytest.mark.parametrize(
    ("dn", "mode", "months"),
    [
        (15, Mode.INITIAL_FIXED_LIFE, 72),
        (25, Mode.INITIAL_FIXED_LIFE, 72),
        (32, Mode.INITIAL_FIXED_LIFE, 48),
        (50, Mode.INITIAL_FIXED_LIFE, 48),
        (80, Mode.PERIODIC, 24),
    ],
)
def test_water_meter_rule_depends_on_dn(dn, mode, months):
    rule = CAT.resolve("water_meter", Use.TRADE_SETTLEMENT, {"dn_mm": dn})
    assert rule.compulsory
    assert rule.variant.mode is mode
    assert (rule.variant.period_months or rule.variant.service_life_months) == months


def test_use_decides_whether_verification_is_compulsory():
    rule = CAT.resolve("water_meter", "other", {"dn_mm": 15})
    assert not rule.compulsory and "not compulsory" in rule.reason
    assert CAT.resolve("sound_level_meter", "environmental_monitoring").compulsory
    assert not CAT.resolve("sound_level_meter", "trade_settlement").compulsory
    with pytest.raises(ValueError, match="use 'gift' must be one of"):
        CAT.resolve("taximeter", "gift")


def test_missing_parameter_is_named():
    with pytest.raises(ValueError, match="parameter 'dn_mm' is required"):
        CAT.resolve("water_meter", "trade_settlement", {})


def test_ev_chargers_compulsory_only_from_2023():
    # SAMR announcement 2020 No. 42: EV chargers under compulsory verification from 2023-01-01
    assert not CAT.resolve("ev_charger", "trade_settlement", on=dt.date(2022, 12, 31)).compulsory
    assert CAT.resolve("ev_charger", "trade_settlement", on=dt.date(2023, 1, 1)).compulsory


def test_add_months_clamps_to_month_end():
    assert add_months(dt.date(2025, 1, 31), 1) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)
    assert add_months(dt.date(2024, 2, 29), 12) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2025, 11, 15), 14) == dt.date(2027, 1, 15)


def _inst(code, last, result="pass", use="trade_settlement", first=None, **params):
    return FiledInstrument("x", code, use, params, first or last, last, result)


@pytest.mark.parametrize(
    ("last", "status", "due"),
    [
        (dt.date(2026, 1, 10), Status.OK, dt.date(2027, 1, 10)),
        (dt.date(2025, 12, 23), Status.DUE_SOON, dt.date(2026, 12, 23)),  # 30 days ahead
        (dt.date(2025, 12, 24), Status.OK, dt.date(2026, 12, 24)),  # 31 days ahead
        (dt.date(2025, 11, 23), Status.DUE_SOON, dt.date(2026, 11, 23)),  # due today
        (dt.date(2025, 11, 22), Status.OVERDUE, dt.date(2026, 11, 22)),
    ],
)
def test_periodic_due_dates(last, status, due):
    entry = schedule(_inst("taximeter", last), CAT, TODAY)
    assert entry.status is status
    assert entry.due_date == due
    assert "periodic verification every 12 months (JJG 517-2016)" in entry.rule


def test_fixed_life_replacement():
    ok = schedule(_inst("water_meter", dt.date(2021, 6, 1), dn_mm=20), CAT, TODAY)
    assert ok.status is Status.OK and ok.replace_date == dt.date(2027, 6, 1)
    old = schedule(_inst("water_meter", dt.date(2022, 6, 1), dn_mm=40), CAT, TODAY)
    assert old.status is Status.MUST_REPLACE and old.replace_date == dt.date(2026, 6, 1)
    soon = schedule(_inst("gas_meter", dt.date(2016, 12, 1), g_size=2.5), CAT, TODAY)
    assert soon.status is Status.DUE_SOON and soon.replace_date == dt.date(2026, 12, 1)


def test_failures_and_missing_verifications():
    scrap = schedule(
        _inst("clinical_thermometer", dt.date(2026, 1, 1), "fail", "medical_care"), CAT, TODAY
    )
    assert scrap.status is Status.MUST_REPLACE
    good = schedule(
        _inst("clinical_thermometer", dt.date(2016, 1, 1), "pass", "medical_care"), CAT, TODAY
    )
    assert good.status is Status.OK and good.due_date is None
    failed = schedule(_inst("taximeter", dt.date(2026, 10, 1), "fail"), CAT, TODAY)
    assert failed.status is Status.OVERDUE and "failed" in failed.reason
    never = schedule(FiledInstrument("n", "taximeter", "trade_settlement"), CAT, TODAY)
    assert never.status is Status.OVERDUE and "never verified" in never.reason
    free = schedule(_inst("taximeter", dt.date(2020, 1, 1), use="other"), CAT, TODAY)
    assert free.status is Status.NOT_COMPULSORY
    with pytest.raises(ValueError, match="after as_of"):
        schedule(_inst("taximeter", dt.date(2027, 1, 1)), CAT, TODAY)
