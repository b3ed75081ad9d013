"""Rule tables as versioned data: editions by date, bureau overrides, malformed tables."""

from __future__ import annotations

import datetime as dt
import textwrap

import pytest

from jiliang.core.legal.catalogue import Catalogue
from jiliang.core.legal.rules import RuleBook, RuleError, merge_entry


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def test_every_shipped_entry_has_a_confirmed_flag_and_unconfirmed_ones_a_note():
    book = RuleBook.default()
    assert {t.kind for t in book.tables} >= {
        "catalogue",
        "prepackaged_tolerance",
        "prepackaged_sampling",
        "credit",
        "risk",
        "draw",
    }
    for table in book.tables:
        assert table.source and table.edition
        for e in table.entries:
            assert isinstance(e["confirmed"], bool), (table.edition, e)
            if not e["confirmed"]:
                assert str(e.get("note", "")).strip(), (table.edition, e)


def test_latest_edition_in_force_on_the_date_wins():
    book = RuleBook.default()
    # JJF 1070-2023 is in force from 2024-10-12; before that JJF 1070-2005 applies
    assert book.table("prepackaged_sampling", dt.date(2024, 10, 11)).edition == "JJF 1070-2005"
    assert book.table("prepackaged_sampling", dt.date(2024, 10, 12)).edition == "JJF 1070-2023"
    assert book.table("prepackaged_sampling", edition="JJF 1070-2005").effective_from == dt.date(
        2006, 1, 1
    )
    with pytest.raises(RuleError, match="no edition in force on 1999-01-01"):
        book.table("prepackaged_sampling", dt.date(1999, 1, 1))
    with pytest.raises(RuleError, match="unknown edition"):
        book.table("prepackaged_sampling", edition="JJF 1070-1999")


def test_bureau_override_shortens_a_period_from_its_effective_date(tmp_path):
    ov = _write(
        tmp_path,
        "cq.yaml",
        """
        kind: catalogue
        override: true
        applies_to: "SAMR announcement 2020 No. 42"
        edition: "Chongqing bureau notice 2025-3"
        source: test fixture
        effective_from: 2025-07-01
        entries:
          - code: fuel_dispenser
            variants: {default: {period_months: 3}}
        """,
    )
    book = RuleBook.default().extended(ov)
    before = Catalogue.from_rulebook(book, dt.date(2025, 6, 30))
    after = Catalogue.from_rulebook(book, dt.date(2025, 7, 1))
    assert before.item("fuel_dispenser").variants[0].period_months == 6
    item = after.item("fuel_dispenser")
    assert item.variants[0].period_months == 3
    assert item.overridden_by == ("Chongqing bureau notice 2025-3",)
    assert "Chongqing" in after.resolve("fuel_dispenser", "trade_settlement").describe()
    # other items untouched
    assert after.item("taximeter") == before.item("taximeter")


def test_override_may_not_lengthen_a_period(tmp_path):
    ov = _write(
        tmp_path,
        "bad.yaml",
        """
        kind: catalogue
        override: true
        edition: "lax bureau"
        source: test fixture
        effective_from: 2025-01-01
        entries:
          - code: water_meter
            variants: {dn_le_25: {service_life_months: 120}}
        """,
    )
    with pytest.raises(RuleError, match="lengthens service_life_months of water_meter/dn_le_25"):
        Catalogue.from_rulebook(RuleBook.default().extended(ov), dt.date(2025, 1, 2))


def test_newer_national_edition_replaces_the_old_one(tmp_path):
    new = _write(
        tmp_path,
        "new.yaml",
        """
        kind: draw
        key: risk_class
        edition: "2027 plan"
        source: test fixture
        effective_from: 2027-01-01
        entries:
          - {risk_class: high, rate: 0.5, confirmed: true}
          - {risk_class: low, rate: 0.05, confirmed: true}
        """,
    )
    book = RuleBook.default().extended(new)
    assert book.table("draw", dt.date(2026, 12, 31)).entry("high")["rate"] == 0.30
    assert book.table("draw", dt.date(2027, 1, 1)).entry("high")["rate"] == 0.5


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("kind: x\nedition: e\nsource: s\nentries: []\n", "missing field"),
        (
            "kind: x\nedition: e\nsource: s\neffective_from: soon\nentries: []\n",
            "'effective_from' is not an ISO date",
        ),
        (
            "kind: x\nedition: e\nsource: s\neffective_from: 2020-01-01\nentries: [{code: a}]\n",
            "no 'confirmed' flag",
        ),
        (
            "kind: x\nedition: e\nsource: s\neffective_from: 2020-01-01\nentries: [{x: 1}]\n",
            "no key field 'code'",
        ),
    ],
)
def test_malformed_tables_are_rejected_with_the_field_named(tmp_path, text, message):
    p = _write(tmp_path, "t.yaml", text)
    with pytest.raises(RuleError, match=message):
        RuleBook.load(p)


def test_missing_rule_file_is_named(tmp_path):
    with pytest.raises(RuleError, match="rule file not found"):
        RuleBook.load(tmp_path / "absent.yaml")


def test_merge_entry_patches_variants_by_id_and_rejects_unknown_ids():
    base = {"code": "a", "variants": [{"id": "x", "p": 1}, {"id": "y", "p": 2}]}
    merged = merge_entry(base, {"variants": {"y": {"p": 1}}})
    assert merged["variants"] == [{"id": "x", "p": 1}, {"id": "y", "p": 1}]
    assert base["variants"][1]["p"] == 2  # base not mutated
    with pytest.raises(RuleError, match="unknown id"):
        merge_entry(base, {"variants": {"z": {"p": 1}}})


def test_every_printed_lambda_matches_student_t():
    # λ = t0.995(n−1)/√n (Order 75 附表4 / JJF 1070 definition) for every shipped edition
    from jiliang.core.legal.prepackaged import correction_factor

    for table in RuleBook.default().editions("prepackaged_sampling"):
        conf = table.meta["confidence"]
        for row in table.entries:
            if row["lambda_published"] is not None:
                lam = correction_factor(row["n"], conf)
                assert abs(lam - row["lambda_published"]) <= 1.0e-3, (table.edition, row["id"])


def test_numeric_variant_conditions_pick_exactly_one_rule():
    # bands such as water-meter DN must neither overlap nor leave gaps
    cat = Catalogue.from_rulebook(as_of=dt.date(2026, 1, 1))
    grid = [0.5, 1.6, 4, 10, 15, 16, 16.5, 25, 25.5, 40, 50, 50.5, 80, 300]
    ordering = {"lt", "le", "gt", "ge"}
    checked = 0
    for item in cat.items.values():
        conds = [v.when for v in item.variants]
        names = {n for w in conds for n in w}
        if len(names) != 1 or not all(set(w.get(n, {})) <= ordering for w in conds for n in names):
            continue
        (name,) = names
        for x in grid:
            hits = [v.id for v in item.variants if v.matches({name: x}, item.code)]
            assert len(hits) == 1, (item.code, name, x, hits)
        checked += 1
    assert checked >= 2  # water_meter (dn_mm) and gas_meter (g_size)
