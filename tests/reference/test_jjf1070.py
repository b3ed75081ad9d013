"""Reference values of prepackaged-goods inspection (定量包装商品净含量计量检验).

Sources (checked on republished copies of the texts, see the data files):
* AQSIQ Order 75 (2005) 附表3 允许短缺量 and its rounding notes;
* Order 75 附表4 计量检验抽样方案 = JJF 1070-2005 sampling plan (λ, n, allowances).
"""

from __future__ import annotations

import datetime as dt

import pytest

from jiliang.core.legal.prepackaged import (
    correction_factor,
    sampling_plan,
    tolerable_deficiency,
)
from jiliang.core.legal.rules import RuleBook

ORDER75 = "AQSIQ Order 75 (2005)"


# Order 75 附表4 / JJF 1070-2005: lot size → (n, printed λ, allowed units short by > T)
@pytest.mark.parametrize(
    ("lot", "n", "lam", "allowed"),
    [
        (11, 10, 1.028, 0),
        (50, 10, 1.028, 0),
        (51, 13, 0.848, 1),
        (99, 13, 0.848, 1),
        (100, 50, 0.379, 3),
        (500, 50, 0.379, 3),
        (501, 80, 0.295, 5),
        (3200, 80, 0.295, 5),
        (3201, 125, 0.234, 7),
        (10**6, 125, 0.234, 7),
    ],
)
def test_sampling_plan_jjf1070_2005(lot, n, lam, allowed):
    plan = sampling_plan(lot, edition="JJF 1070-2005")
    assert (plan.n, plan.allowed_t1, plan.allowed_t2) == (n, allowed, 0)
    assert plan.lambda_ == lam  # the judgement uses the printed λ
    # λ = t0.995(n−1)/√n recomputed with scipy agrees with the printed value to its last digit
    # (n = 13 prints 0.848 where t/√n = 0.8472: the table rounds that one up).
    assert plan.lambda_computed == pytest.approx(lam, abs=1.0e-3)
    assert correction_factor(n) == pytest.approx(plan.lambda_computed, rel=1e-12)


def test_small_lots_are_inspected_unit_by_unit():
    # Order 75 附表4 note 2: lots of 1-10 units — every unit judged, no mean calculation
    plan = sampling_plan(7, edition="JJF 1070-2005")
    assert plan.n == 7 and not plan.mean_check and plan.allowed_t1 == 0


def test_lambda_against_student_t_quantiles():
    # t0.995 quantiles from standard t tables: ν = 9 → 3.250, ν = 49 → 2.680 (two-sided 99 %)
    assert correction_factor(10) * 10**0.5 == pytest.approx(3.250, abs=5e-4)
    assert correction_factor(50) * 50**0.5 == pytest.approx(2.680, abs=5e-4)


# Order 75 附表3: T for mass/volume, with note * rounding (0.1 g up to 1 kg, 1 g above)
@pytest.mark.parametrize(
    ("qn", "t"),
    [
        (30, 2.7),  # 9 %
        (50, 4.5),  # 9 % at the band edge
        (75, 4.5),  # 4.5 g
        (150, 6.8),  # 4.5 % = 6.75 → 6.8
        (250, 9.0),  # 9 g
        (400, 12.0),  # 3 %
        (700, 15.0),  # 15 g
        (2000, 30.0),  # 1.5 %
        (1250, 19.0),  # 1.5 % = 18.75 → 19 g
        (12000, 150.0),  # 150 g
        (20000, 200.0),  # 1 %
    ],
)
def test_tolerable_deficiency_mass_volume_order75(qn, t):
    assert tolerable_deficiency(qn, "mass", edition=ORDER75) == t
    assert tolerable_deficiency(qn, "volume", edition=ORDER75) == t


def test_rounding_of_exact_halves_is_half_to_even():
    # 修约 read as GB/T 8170-2008 (round half to even); unconfirmed reading, see data file
    assert tolerable_deficiency(5, "mass", edition=ORDER75) == 0.4  # 0.45
    assert tolerable_deficiency(15, "mass", edition=ORDER75) == 1.4  # 1.35 → 1.4
    assert tolerable_deficiency(1100, "mass", edition=ORDER75) == 16.0  # 16.5
    assert tolerable_deficiency(1300, "mass", edition=ORDER75) == 20.0  # 19.5


def test_tolerable_deficiency_other_kinds_order75():
    # 附表3: length ≤ 5 m no shortage, > 5 m 2 %; area 3 %; count ≤ 50 none, > 50 1 % carried up
    assert tolerable_deficiency(5, "length", edition=ORDER75) == 0
    assert tolerable_deficiency(10, "length", edition=ORDER75) == pytest.approx(0.2)
    assert tolerable_deficiency(2, "area", edition=ORDER75) == pytest.approx(0.06)
    assert tolerable_deficiency(50, "count", edition=ORDER75) == 0
    assert tolerable_deficiency(51, "count", edition=ORDER75) == 1  # 0.51 carried up
    assert tolerable_deficiency(250, "count", edition=ORDER75) == 3  # 2.5 carried up


def test_order70_replaces_order75_on_2023_06_01():
    # SAMR Order 70 published 2023-03-16, in force 2023-06-01 (annex values unconfirmed)
    book = RuleBook.default()
    assert book.table("prepackaged_tolerance", dt.date(2023, 5, 31)).edition == ORDER75
    assert (
        book.table("prepackaged_tolerance", dt.date(2023, 6, 1)).edition == "SAMR Order 70 (2023)"
    )
    assert tolerable_deficiency(150, "mass", as_of=dt.date(2025, 1, 1)) == 6.8
