"""Tracking against the target: linear path, RAG, trend projection, ranking (issue 16).

Reference values are worked by hand below each test (least squares: slope = Sxy / Sxx).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from jiliang.core.indicators.tracking import (
    Status,
    decimal_year,
    path_value,
    progress_ratio,
    project,
    rag,
    rank_regions,
)


def test_decimal_year_is_the_end_of_year_axis():
    assert decimal_year(2023) == 2023.0
    assert decimal_year(dt.date(2023, 12, 31)) == 2023.0
    assert decimal_year(dt.date(2024, 1, 1)) == pytest.approx(2023 + 1 / 366)
    assert decimal_year(dt.date(2023, 7, 2)) == pytest.approx(2022 + 183 / 365)
    with pytest.raises(ValueError, match="year"):
        decimal_year("2023")


def test_linear_path_arithmetic():
    # Baseline 92 % (end 2020) → target 98 % (end 2025): 1.2 points a year; end 2023 → 95.6 %.
    assert path_value(2020, 92.0, 2025, 98.0, 2023) == pytest.approx(95.6)
    # Mid-2024 (1 July 2024 = 2023 + 183/366): 92 + 6 × (3 + 183/366) / 5 = 96.2.
    assert path_value(2020, 92.0, 2025, 98.0, dt.date(2024, 7, 1)) == pytest.approx(96.2)
    # Clamped outside the plan period; a falling target (lower is better) goes down.
    assert path_value(2020, 92.0, 2025, 98.0, 2019) == 92.0
    assert path_value(2020, 92.0, 2025, 98.0, 2030) == 98.0
    assert path_value(2020, 10.0, 2025, 6.0, 2023) == pytest.approx(7.6)
    with pytest.raises(ValueError, match="target_year"):
        path_value(2025, 1, 2020, 2, 2022)


@pytest.mark.parametrize(
    ("actual", "status"),
    [(97.0, Status.GREEN), (96.0, Status.GREEN), (95.3, Status.AMBER), (94.9, Status.RED)],
)
def test_rag_higher_is_better(actual, status):
    # Path at end 2023: 95.6; band = 10 % of the planned change of 6 points = 0.6, so amber is
    # a shortfall in (0, 0.6] (95.0 ≤ actual < 95.6) and red below 95.0.
    a = rag(actual, 2020, 92.0, 2025, 98.0, 2023, tolerance=0.1)
    assert a.expected == pytest.approx(95.6)
    assert a.band == pytest.approx(0.6)
    assert a.shortfall == pytest.approx(95.6 - actual)
    assert a.status is status


@pytest.mark.parametrize(
    ("actual", "status"),
    [(7.0, Status.GREEN), (7.5, Status.GREEN), (7.9, Status.AMBER), (8.1, Status.RED)],
)
def test_rag_lower_is_better_is_mirrored(actual, status):
    # 10 → 6 over 2020–2025: path 7.6 at end 2023; band 0.1 × 4 = 0.4 → amber up to 8.0.
    a = rag(actual, 2020, 10.0, 2025, 6.0, 2023, direction="lower")
    assert a.status is status
    assert a.shortfall == pytest.approx(actual - 7.6)


def test_rag_absolute_tolerance_and_bad_input():
    a = rag(95.0, 2020, 92.0, 2025, 98.0, 2023, tolerance=0.0, tolerance_abs=1.0)
    assert a.status is Status.AMBER and a.band == 1.0
    with pytest.raises(ValueError, match="tolerance"):
        rag(95.0, 2020, 92.0, 2025, 98.0, 2023, tolerance=2)
    with pytest.raises(ValueError, match="direction"):
        rag(95.0, 2020, 92.0, 2025, 98.0, 2023, direction="up")


def test_projection_exact_line():
    # 100, 110, 120 at end 2021–2023: slope 10/yr; 150 is reached at 2026.0 → year 2026.
    p = project({2021: 100, 2022: 110, 2023: 120}, 150)
    assert p.slope == pytest.approx(10.0)
    assert p.reached_at == pytest.approx(2026.0)
    assert p.year == 2026
    assert p.value_at(2025) == pytest.approx(140.0)


def test_projection_least_squares_on_a_noisy_series():
    # t = 2021..2024, v = 100, 112, 118, 130. t̄ = 2022.5, v̄ = 115;
    # Sxy = (−1.5)(−15) + (−0.5)(−3) + (0.5)(3) + (1.5)(15) = 48, Sxx = 5 → slope 9.6/yr.
    # 150 = 115 + 9.6 (t − 2022.5) → t = 2022.5 + 35/9.6 = 2026.1458… → during 2027.
    series = {2021: 100, 2022: 112, 2023: 118, 2024: 130}
    p = project(series, 150)
    assert p.slope == pytest.approx(9.6)
    assert p.value_at(2022.5) == pytest.approx(115.0)
    assert p.reached_at == pytest.approx(2022.5 + 35 / 9.6)
    assert p.year == 2027
    assert p.slope == pytest.approx(np.polyfit(list(series), list(series.values()), 1)[0])


def test_projection_with_dates_and_lower_is_better():
    # Overdue share 8 % (31 Dec 2022) → 7 % (31 Dec 2023): −1 point/yr; 5 % at 2025.0 → 2025.
    p = project({dt.date(2022, 12, 31): 8.0, dt.date(2023, 12, 31): 7.0}, 5.0, "lower")
    assert p.slope == pytest.approx(-1.0)
    assert p.year == 2025


@pytest.mark.parametrize(
    ("series", "reason"),
    [
        ({2023: 90.0}, "too few points"),
        ({2023: 90.0, dt.date(2023, 12, 31): 91.0}, "too few points"),  # one distinct time
        ({2021: 90.0, 2022: 90.0, 2023: 90.0}, "flat or declining trend"),
        ({2021: 92.0, 2022: 91.0, 2023: 90.0}, "flat or declining trend"),
    ],
)
def test_projection_none_with_reason(series, reason):
    p = project(series, 98.0)
    assert p.year is None and p.reason == reason


def test_projection_already_reached():
    p = project({2022: 96.0, 2023: 98.5}, 98.0)
    assert p.year == 2023 and p.reason == "already reached"


def test_progress_ratio_and_ranking():
    # Ratio (actual − baseline)/(target − baseline): (96 − 92)/(98 − 92) = 2/3.
    assert progress_ratio(92, 98, 96) == pytest.approx(2 / 3)
    assert progress_ratio(10, 6, 8) == pytest.approx(0.5)  # lower is better: halfway
    with pytest.raises(ValueError, match="target"):
        progress_ratio(5, 5, 6)
    ranking = rank_regions(
        {
            "500000": (92.0, 98.0, 96.0),  # 0.667
            "220000": (80.0, 90.0, 85.0),  # 0.5
            "110000": (50.0, 60.0, 55.0),  # 0.5 (tie with 220000)
            "310000": (90.0, 95.0, 96.0),  # 1.2, ahead of target
            "440000": (None, 90.0, 85.0),
            "330000": (90.0, 90.0, 91.0),
        }
    )
    assert [(r.region, r.rank) for r in ranking] == [
        ("310000", 1),
        ("500000", 2),
        ("110000", 3),
        ("220000", 3),
        ("330000", None),
        ("440000", None),
    ]
    assert ranking[0].ratio == pytest.approx(1.2)
    assert ranking[-1].reason == "no baseline"
    assert ranking[-2].reason == "target equals baseline"
