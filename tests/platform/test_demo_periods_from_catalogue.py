"""The demo's verification periods and service lives come from the catalogue, never copied.

Before, the registry demo gave every water meter the 72-month life of DN ≤ 25 and every gas
meter the 120-month life of G ≤ 16, while the supervision demo filed them with DN up to 100 and
G up to 40 (catalogue SAMR 2020 No. 42: DN 25-50 life 48 months, DN > 50 period 24 months,
G > 16 period 36 months), so the demo's history and its filings disagreed.
"""

from __future__ import annotations

import datetime as dt
import textwrap

import pytest

from jiliang.core.legal.catalogue import Catalogue, Mode
from jiliang.core.legal.rules import RuleBook
from jiliang.core.legal.schedule import add_months
from jiliang.platform.demo import CATEGORIES, build_demo
from jiliang.platform.demo_rules import PARAM_CHOICES, demo_params, demo_rule
from jiliang.platform.registry import models as m
from jiliang.platform.supervision.models import Filing

CAT = Catalogue.from_rulebook()


def _catalogue_months(
    code: str, params: dict, use: str = "trade_settlement"
) -> tuple[Mode, int | None]:
    v = CAT.resolve(code, use, params).variant
    return v.mode, v.period_months if v.mode is Mode.PERIODIC else v.service_life_months


@pytest.mark.parametrize(
    ("code", "params", "mode", "months"),
    [
        # catalogue-samr-2020-42.yaml: water_meter dn_25_to_50, gas_meter large
        ("water_meter", {"dn_mm": 40}, Mode.INITIAL_FIXED_LIFE, 48),
        ("gas_meter", {"g_size": 25}, Mode.PERIODIC, 36),
        ("water_meter", {"dn_mm": 80}, Mode.PERIODIC, 24),
        ("gas_meter", {"g_size": 16}, Mode.INITIAL_FIXED_LIFE, 120),
    ],
)
def test_demo_rule_of_large_water_and_gas_meters_is_the_catalogues(code, params, mode, months):
    assert _catalogue_months(code, params) == (mode, months)
    rule = demo_rule(code, "trade_settlement", params)
    assert (rule.months, rule.periodic) == (months, mode is Mode.PERIODIC)


def test_every_demo_category_and_parameter_resolves_in_the_catalogue():
    for c in CATEGORIES:
        choices = PARAM_CHOICES.get(c.slug, (None, (None,)))
        for value in choices[1]:
            params = {choices[0]: value} if choices[0] else {}
            _mode, months = _catalogue_months(c.slug, params, c.use)
            assert demo_rule(c.slug, c.use, params).months == months, (c.slug, params)
    assert not hasattr(CATEGORIES[0], "period_months")  # no copy of the catalogue's numbers


def test_demo_rule_follows_a_bureau_override_of_the_catalogue(tmp_path):
    path = tmp_path / "bureau.yaml"
    path.write_text(
        textwrap.dedent(
            """
            kind: catalogue
            override: true
            applies_to: "SAMR announcement 2020 No. 42"
            edition: "bureau water 2026"
            source: test fixture
            effective_from: 2026-01-01
            entries:
              - code: water_meter
                variants: {dn_25_to_50: {service_life_months: 36}}
            """
        ),
        encoding="utf-8",
    )
    cat = Catalogue.from_rulebook(RuleBook.default().extended(path), dt.date(2026, 11, 1))
    assert demo_rule("water_meter", "trade_settlement", {"dn_mm": 40}, cat).months == 36


def test_demo_history_due_dates_match_the_catalogue_for_the_filed_parameters(db):
    build_demo(size=1_000, seed=3)
    seen: dict[tuple, int] = {}
    filings = Filing.objects.filter(item_code__in=["water_meter", "gas_meter"])
    events = {
        iid: sorted(rows)
        for iid, rows in _events_by_instrument(filings.values_list("instrument_id", flat=True))
    }
    for f in filings:
        assert f.params == demo_params(f.item_code, f.instrument.lifetime_id)
        mode, months = _catalogue_months(f.item_code, f.params, f.use)
        history = events.get(f.instrument_id, [])
        for performed, due in history:
            assert due == add_months(performed, months), (f.item_code, f.params, performed, due)
        if mode is Mode.INITIAL_FIXED_LIFE:
            assert len(history) <= 1  # initial verification only, no periodic re-verification
        key = (f.item_code, *f.params.values())
        seen[key] = seen.get(key, 0) + 1
    assert seen.get(("water_meter", 40)) and seen.get(("gas_meter", 25)), seen


def _events_by_instrument(instrument_ids):
    """Registry-demo verifications (not the portal's ``JD-DEMO-`` ones) per instrument."""
    rows: dict[int, list] = {}
    for iid, performed, due in (
        m.CalibrationEvent.objects.filter(
            instrument_id__in=list(instrument_ids), kind="verification"
        )
        .exclude(certificate_no__startswith="JD-DEMO-")
        .values_list("instrument_id", "performed_on", "due_on")
    ):
        rows.setdefault(iid, []).append((performed, due))
    return rows.items()
