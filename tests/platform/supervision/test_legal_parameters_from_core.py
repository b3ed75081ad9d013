"""The supervision platform reads its legal parameters from the core's rule tables.

Each test swaps the shipped :class:`~jiliang.core.legal.rules.RuleBook` for one with a newer
edition or a bureau override and checks the platform's behaviour moves with the table: the
risk list's failure look-back and never-verified overdue days (risk table), the sweep's
escalation grace (supervision table, overridable by the documented ``SUPERVISION_GRACE_DAYS``
setting), the credit grade → draw risk class mapping (draw table) and the draw publication
deadline (supervision table).
"""

from __future__ import annotations

import datetime as dt
import textwrap

import pytest
from django.utils import timezone
from tests.core.test_legal_platform_parameters import RISK_OVERRIDE

from jiliang.core.legal import supervision as core_supervision
from jiliang.core.legal.draw import risk_class_of_grade
from jiliang.core.legal.rules import RuleBook
from jiliang.platform.supervision import draws
from jiliang.platform.supervision.credit import grades_for
from jiliang.platform.supervision.models import Filing, Notification
from jiliang.platform.supervision.services import grace_days, risk_list, sweep, sync_filing

AS_OF = dt.date(2026, 11, 1)
DRAW_ITEMS = [{"id": "electronic_price_scale", "ratio": 1.0}]


def _use_book(monkeypatch, tmp_path, text: str) -> RuleBook:
    """Make ``RuleBook.default()`` the shipped tables plus ``text`` (one YAML table)."""
    path = tmp_path / "bureau.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    book = RuleBook.default().extended(path)
    monkeypatch.setattr(RuleBook, "default", classmethod(lambda cls: book))
    return book


def _file(world, sv, seq: int, verified_on=None, result="pass", dn_mm=80) -> Filing:
    inst = sv.add_instrument(world, seq=seq)
    if verified_on is not None:
        sv.verify(world, inst, verified_on, result)
    f = Filing(
        instrument=inst, item_code="water_meter", use="trade_settlement", params={"dn_mm": dn_mm}
    )
    return sync_filing(f, as_of=AS_OF)


def _reasons(filing: Filing) -> str:
    row = next(r for r in risk_list(None, AS_OF) if r["filing"].pk == filing.pk)
    return " ".join(row["reasons"])


def test_risk_list_failure_look_back_follows_the_risk_table(world, sv, monkeypatch, tmp_path):
    # a failure two years ago: inside the shipped three-year look-back, outside a one-year one
    failed = _file(world, sv, 20, dt.date(2024, 11, 15), "fail")
    assert "failures 1" in _reasons(failed)
    _use_book(monkeypatch, tmp_path, RISK_OVERRIDE)
    assert "failures" not in _reasons(failed)


def test_risk_list_never_verified_overdue_days_follow_the_risk_table(
    world, sv, monkeypatch, tmp_path
):
    never = _file(world, sv, 21)
    assert never.status == "overdue" and never.deadline is None
    assert "overdue_days 365 " in _reasons(never)
    _use_book(monkeypatch, tmp_path, RISK_OVERRIDE)
    assert "overdue_days 90 " in _reasons(never)


GRACE_300 = """
    kind: supervision
    key: parameter
    edition: "patient bureau 2026"
    source: test fixture
    effective_from: 2026-01-01
    entries:
      - {parameter: escalation_grace_days, value: 300, unit: day, confirmed: true}
      - {parameter: draw_publication_days, value: 7, unit: day, confirmed: true}
"""


def _escalated(filing: Filing) -> bool:
    return Notification.objects.filter(kind="escalation", filing=filing).exists()


def test_sweep_grace_is_the_tables_unless_the_setting_overrides_it(
    world, sv, settings, monkeypatch, tmp_path
):
    assert getattr(settings, "SUPERVISION_GRACE_DAYS", None) is None
    assert grace_days(AS_OF) == core_supervision.escalation_grace_days(as_of=AS_OF)
    late = _file(world, sv, 22, dt.date(2024, 3, 1))  # due 2026-03-01: 245 days overdue
    _use_book(monkeypatch, tmp_path, GRACE_300)
    assert grace_days(AS_OF) == 300
    sweep(AS_OF)  # no explicit grace: the table's 300 days have not passed
    assert not _escalated(late)
    settings.SUPERVISION_GRACE_DAYS = 30  # the documented setting wins over the table
    assert grace_days(AS_OF) == 30
    sweep(AS_OF)
    assert _escalated(late)


def test_draw_risk_class_of_credit_grade_follows_the_draw_table(pools, monkeypatch, tmp_path):
    world = pools
    region = world.regions["330000"]
    built = draws.build_pools(region, DRAW_ITEMS, weight_by_risk=True)
    grades = grades_for([o["id"] for o in built["objects"]])
    shipped = risk_class_of_grade(as_of=AS_OF)
    assert {o["id"]: o["risk_class"] for o in built["objects"]} == {
        code: shipped[g] for code, g in grades.items()
    }
    # a bureau that treats every grade as high risk
    _use_book(
        monkeypatch,
        tmp_path,
        """
        kind: draw
        key: risk_class
        override: true
        applies_to: "jiliang default 2026"
        edition: "strict bureau 2026"
        source: test fixture
        effective_from: 2026-01-01
        entries:
          - {risk_class: high, credit_grades: [A, B, C, D]}
          - {risk_class: medium_high, credit_grades: []}
          - {risk_class: medium, credit_grades: []}
          - {risk_class: low, credit_grades: []}
        """,
    )
    built = draws.build_pools(region, DRAW_ITEMS, weight_by_risk=True)
    assert built["objects"] and {o["risk_class"] for o in built["objects"]} == {"high"}


def test_draw_publication_deadline_follows_the_supervision_table(pools, monkeypatch, tmp_path):
    world = pools
    region = world.regions["330000"]
    today = timezone.localdate()
    d = draws.commit(None, "shipped", region, draws.build_pools(region, DRAW_ITEMS))
    shipped = core_supervision.draw_publication_days(as_of=today)
    assert d.publish_by == today + dt.timedelta(days=shipped)
    _use_book(monkeypatch, tmp_path, GRACE_300)
    d = draws.commit(None, "bureau", region, draws.build_pools(region, DRAW_ITEMS))
    assert d.publish_by == today + dt.timedelta(days=7)
    # an explicit deadline still wins
    d = draws.commit(None, "explicit", region, draws.build_pools(region, DRAW_ITEMS), 3)
    assert d.publish_by == today + dt.timedelta(days=3)


@pytest.mark.parametrize("value", ["-1", "thirty"])
def test_bad_grace_in_the_table_is_refused_naming_the_parameter(monkeypatch, tmp_path, value):
    _use_book(
        monkeypatch,
        tmp_path,
        f"""
        kind: supervision
        key: parameter
        edition: "broken bureau"
        source: test fixture
        effective_from: 2026-01-01
        entries:
          - {{parameter: escalation_grace_days, value: {value}, confirmed: true}}
          - {{parameter: draw_publication_days, value: 20, confirmed: true}}
        """,
    )
    with pytest.raises(ValueError, match="escalation_grace_days"):
        grace_days(AS_OF)


def test_grace_setting_is_documented_in_the_settings_table():
    """The override must not be an undocumented knob: it has a row in the settings docstring."""
    from jiliang.platform import settings as platform_settings

    rows = [line for line in platform_settings.__doc__.splitlines() if line.startswith("|")]
    row = next(line for line in rows if "``SUPERVISION_GRACE_DAYS``" in line)
    assert "escalation_grace_days" in row and "supervision" in row


def test_unresolved_tamper_alarm_raises_the_owners_draw_class(pools):
    """Plan §28/§32: monitoring's alarms feed the spot checks — the draw table's
    ``tamper_alarm_class`` (shipped: high) for an owner with an unresolved tamper alarm."""
    from jiliang.platform.monitoring.models import Alarm
    from jiliang.platform.registry.models import Instrument

    region = pools.regions["330000"]
    before = {
        o["id"]: o["risk_class"]
        for o in draws.build_pools(region, DRAW_ITEMS, weight_by_risk=True)["objects"]
    }
    low = next(code for code, cls in before.items() if cls != "high")
    inst = Instrument.objects.filter(owner__code=low, region__code__startswith="33").first()

    def alarm(key: str, **kw) -> Alarm:
        now = timezone.now()
        fields = {"kind": "cover_open", "severity": "high", "action": "on_site_check"}
        fields |= {"reason_zh": "表盖打开", "reason_en": "cover opened", "evidence": [key]}
        return Alarm.objects.create(key=key, instrument=inst, first=now, last=now, **fields, **kw)

    alarm("a-resolved", tamper=True, resolved_at=timezone.now())
    alarm("a-not-tamper", tamper=False)
    same = draws.build_pools(region, DRAW_ITEMS, weight_by_risk=True)["objects"]
    assert {o["id"]: o["risk_class"] for o in same} == before
    alarm("a-open", tamper=True)
    after = {
        o["id"]: o["risk_class"]
        for o in draws.build_pools(region, DRAW_ITEMS, weight_by_risk=True)["objects"]
    }
    assert after == {**before, low: "high"}
    # unweighted draws carry no class at all
    assert "risk_class" not in draws.build_pools(region, DRAW_ITEMS)["objects"][0]
