"""Coverage indicators: the numpy path agrees with the per-instrument schedule."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jiliang.core.legal.catalogue import Catalogue, Use
from jiliang.core.legal.coverage import (
    MODE_NONE,
    add_months_array,
    capability_coverage,
    coverage_report,
    deadlines,
    on_time_mask,
    on_time_since,
    rule_branches,
    rules_for_arrays,
    share_by,
)
from jiliang.core.legal.schedule import FiledInstrument, Status, add_months, schedule

CAT = Catalogue.from_rulebook(as_of=dt.date(2026, 1, 1))
AS_OF = dt.date(2026, 11, 23)


@settings(max_examples=300, deadline=None)
@given(st.dates(dt.date(1990, 1, 1), dt.date(2090, 12, 31)), st.integers(0, 240))
def test_vectorised_add_months_equals_scalar(day, months):
    got = add_months_array(np.array([day], dtype="datetime64[D]"), np.array([months]))[0]
    assert got == np.datetime64(add_months(day, months))


def _fleet(n=3000, seed=7):
    rng = np.random.default_rng(seed)
    codes = np.array(["water_meter", "taximeter", "gas_meter", "clinical_thermometer"])
    uses = np.array(["trade_settlement", "other", "medical_care"])
    item = codes[rng.integers(0, codes.size, n)]
    use = np.where(item == "clinical_thermometer", "medical_care", uses[rng.integers(0, 2, n)])
    dn = rng.choice([15, 20, 25, 40, 50, 80, 100], n)
    g = rng.choice([1.6, 2.5, 4, 25], n)
    last = np.datetime64("2026-11-23") - rng.integers(0, 9 * 365, n).astype("timedelta64[D]")
    passed = rng.random(n) > 0.05
    region = np.array(["渝中", "江北", "万州"])[rng.integers(0, 3, n)]
    return item, use, dn, g, last, passed, region


def test_numpy_on_time_share_matches_the_schedule_of_each_instrument():
    item, use, dn, g, last, passed, region = _fleet()
    mode, months = rules_for_arrays(CAT, item, use, {"dn_mm": dn, "g_size": g})
    dl = deadlines(mode, months, last, last)
    ok = on_time_mask(mode, dl, last, passed, AS_OF)
    for i in range(item.size):
        inst = FiledInstrument(
            str(i),
            str(item[i]),
            str(use[i]),
            {"dn_mm": int(dn[i]), "g_size": float(g[i])},
            last[i].item(),
            last[i].item(),
            "pass" if passed[i] else "fail",
        )
        entry = schedule(inst, CAT, AS_OF)
        if entry.status is Status.NOT_COMPULSORY:
            assert mode[i] == MODE_NONE
            continue
        assert bool(ok[i]) == (entry.status in (Status.OK, Status.DUE_SOON)), entry
    report = coverage_report({"region": region, "item_code": item}, mode, ok, by=("region",))
    compulsory = mode != MODE_NONE
    for g_share in report["region"]:
        sel = compulsory & (region == g_share.key)
        assert g_share.total == sel.sum()
        assert g_share.share == pytest.approx(ok[sel].mean())


def test_share_by_counts_and_masks():
    shares = share_by(np.array(["a", "b", "a", "a"]), np.array([1, 0, 0, 1], bool))
    assert [(s.key, s.total, s.on_time) for s in shares] == [("a", 3, 2), ("b", 1, 0)]
    assert shares[0].share == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="shape"):
        share_by(np.array(["a"]), np.array([True, False]))
    with pytest.raises(ValueError, match="grouping column 'owner' not given"):
        coverage_report({"region": np.array(["a"])}, np.array([1]), np.array([True]), by=["owner"])


def test_missing_parameter_column_is_named():
    with pytest.raises(ValueError, match="parameter column 'dn_mm' is required"):
        rules_for_arrays(CAT, np.array(["water_meter"]), np.array(["trade_settlement"]))


def test_capability_coverage_per_region():
    needed = CAT.verification_codes()
    auth = [("渝中", c) for c in needed[:9]] + [("江北", needed[0]), ("江北", needed[0])]
    rows = {r.region: r for r in capability_coverage(CAT, auth, regions=["渝中", "江北", "万州"])}
    assert rows["渝中"].share == pytest.approx(9 / len(needed))
    assert rows["江北"].covered == (needed[0],)
    assert rows["万州"].share == 0 and len(rows["万州"].missing) == len(needed)
    with pytest.raises(KeyError, match="abacus"):
        capability_coverage(CAT, [("渝中", "abacus")])


@settings(max_examples=400, deadline=None)
@given(st.dates(dt.date(1990, 1, 1), dt.date(2090, 12, 31)), st.integers(0, 240))
def test_on_time_since_is_the_first_unexpired_start(as_of, months):
    since = on_time_since(months, as_of)
    # the deadline is non-decreasing in the start date, so these two pin the boundary
    assert add_months(since, months) >= as_of
    assert add_months(since - dt.timedelta(days=1), months) < as_of


def test_on_time_since_examples():
    # 31 Mar − 1 month: 28 Feb + 1 month = 28 Mar < 31 Mar, so the first valid start is 1 Mar
    assert on_time_since(1, dt.date(2027, 3, 31)) == dt.date(2027, 3, 1)
    assert on_time_since(12, dt.date(2026, 11, 1)) == dt.date(2025, 11, 1)
    assert on_time_since(0, AS_OF) == AS_OF
    with pytest.raises(ValueError, match="months must be ≥ 0"):
        on_time_since(-1, AS_OF)


def test_rule_branches_give_the_rules_of_rules_for_arrays():
    """First matching branch, evaluated one instrument at a time, equals the numpy path."""
    rng = np.random.default_rng(11)
    n = 3000
    item = rng.choice(CAT.verification_codes(), n)  # every item, every use
    use = rng.choice([u.value for u in Use], n)
    dn = rng.choice([15, 20, 25, 40, 50, 80, 100, np.nan], n)
    g = rng.choice([1.6, 2.5, 4, 16, 25, np.nan], n)
    types = rng.choice(["automatic", "mercury", "aneroid", ""], n)
    params = {"dn_mm": dn, "g_size": g, "type": types}
    mode, months = rules_for_arrays(CAT, item, use, params)
    ops = {
        "lt": lambda a, b: a < b,
        "le": lambda a, b: a <= b,
        "gt": lambda a, b: a > b,
        "ge": lambda a, b: a >= b,
        "eq": lambda a, b: a == b,
        "in": lambda a, b: a in b,
    }
    branches = rule_branches(CAT)
    assert {b.item_code for b in branches} == set(CAT.verification_codes())
    for i in range(item.size):
        got = (MODE_NONE, 0)
        for b in branches:
            if b.item_code != item[i] or use[i] not in b.uses:
                continue
            if all(
                ops[op](params[name][i], bound)
                for name, conds in b.when.items()
                for op, bound in conds.items()
            ):
                got = (b.mode, b.months)
                break
        assert got == (mode[i], months[i]), (item[i], use[i], dn[i], g[i], types[i])
