"""Monte Carlo engine (JCGM 101): streams, chunking, adaptive procedure, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from jiliang.core.uncertainty import (
    ConvergenceError,
    Input,
    InputSet,
    LimitError,
    ModelError,
    Rectangular,
    UncertaintyError,
    mcm,
    numerical_tolerance,
)
from jiliang.core.uncertainty.coverage import (
    block_statistics,
    interval_from_sorted,
    interval_from_values,
)

NORMAL4 = [Input.normal(f"X{i}", 0.0, 1.0) for i in range(1, 5)]
SUM4 = "X1 + X2 + X3 + X4"


def test_reproducible_whatever_the_worker_count():
    a = mcm(SUM4, NORMAL4, trials=300_000, seed=42, workers=1, chunk_size=50_000)
    b = mcm(SUM4, NORMAL4, trials=300_000, seed=42, workers=2, chunk_size=50_000)
    assert (a.y, a.u, a.low, a.high) == (b.y, b.u, b.low, b.high)
    c = mcm(SUM4, NORMAL4, trials=300_000, seed=43, workers=2, chunk_size=50_000)
    assert c.y != a.y


def test_histogram_path_matches_sorted_values():
    # beyond exact_limit the interval comes from a 2¹⁴-bin histogram; same stream → same numbers
    exact = mcm(SUM4, NORMAL4, trials=400_000, seed=1, interval="symmetric")
    hist = mcm(SUM4, NORMAL4, trials=400_000, seed=1, interval="symmetric", exact_limit=100_000)
    assert hist.quantiles_from.startswith("histogram")
    assert exact.quantiles_from == "sorted values"
    assert hist.y == pytest.approx(exact.y, abs=1e-12)
    assert hist.u == pytest.approx(exact.u, rel=1e-12)
    assert hist.interval == pytest.approx(exact.interval, abs=2e-3)  # ≪ MC noise (≈ 0.01)
    shortest = mcm(SUM4, NORMAL4, trials=400_000, seed=1, exact_limit=100_000)
    exact_shortest = mcm(SUM4, NORMAL4, trials=400_000, seed=1)
    assert shortest.interval == pytest.approx(exact_shortest.interval, abs=2e-3)
    # JCGM 101 §9.2.2: [−3.92, 3.92]; the shortest interval of a sample of a symmetric PDF wanders
    assert shortest.interval == pytest.approx((-3.92, 3.92), abs=0.06)
    assert int(hist.histogram_counts.sum()) == 400_000


def test_plot_histogram_covers_all_trials():
    res = mcm(SUM4, NORMAL4, trials=100_000, seed=3, histogram_bins=50)
    edges, counts = res.histogram_edges, res.histogram_counts
    assert len(edges) == len(counts) + 1 == 51
    assert int(counts.sum()) == 100_000
    assert res.to_dict()["histogram"]["counts"] == [int(c) for c in counts]


def test_adaptive_stops_within_tolerance():
    # JCGM 101 §7.9: u(y) = 2 for the §9.2.2 model; stabilised to δ for n_dig = 2
    res = mcm(SUM4, NORMAL4, adaptive=True, n_dig=2, seed=4)
    assert res.adaptive and res.blocks >= 2
    assert res.delta == numerical_tolerance(res.u, 2) == 0.05
    assert abs(res.u - 2.0) <= res.delta
    assert res.interval == pytest.approx((-3.92, 3.92), abs=2 * res.delta)


def test_numerical_tolerance():
    # JCGM 101 §7.9.2 examples: u = 0.0754 (2 digits) → δ = 0.0005; u = 35.7 → δ = 0.5
    assert numerical_tolerance(0.0754, 2) == pytest.approx(0.0005)
    assert numerical_tolerance(35.7, 2) == pytest.approx(0.5)
    assert numerical_tolerance(2.0, 1) == pytest.approx(0.5)


def test_adaptive_non_convergence_is_an_error():
    with pytest.raises(ConvergenceError, match="did not stabilise to 5 significant digits"):
        mcm(SUM4, NORMAL4, adaptive=True, n_dig=5, seed=1, max_trials=200_000)


def test_correlated_normal_inputs():
    ins = [Input.normal("a", 1.0, 0.3), Input.normal("b", 2.0, 0.4)]
    res = mcm("a + b", ins, [["a", "b", 0.7]], trials=400_000, seed=8)
    assert res.u == pytest.approx(math.sqrt(0.09 + 0.16 + 2 * 0.7 * 0.12), rel=0.006)
    # a perfectly anti-correlated pair with equal u cancels exactly (singular matrix accepted)
    same = [Input.normal("a", 1.0, 0.3), Input.normal("b", 2.0, 0.3)]
    assert mcm("a + b", same, [["a", "b", -1.0]], trials=10_000, seed=1).u < 1e-12
    rect = [Input("a", Rectangular(0, 1)), Input.normal("b", 0, 1)]
    with pytest.raises(UncertaintyError, match="'a': correlated inputs must have normal PDFs"):
        mcm("a + b", rect, [["a", "b", 0.5]], trials=10_000)


def test_vector_convention():
    s = InputSet.from_arrays(np.zeros(100), np.ones(100))
    res = mcm(lambda x: x.sum(axis=0), s, vector=True, trials=100_000, seed=2)
    assert res.u == pytest.approx(10.0, rel=0.01)
    # the keyword convention draws the same stream
    kw = mcm(lambda **k: sum(k.values()), s, trials=100_000, seed=2)
    assert kw.u == pytest.approx(res.u, rel=1e-12)


def test_non_finite_model_values_name_the_input_region():
    ins = [Input.normal("a", 0.5, 0.2), Input.normal("b", 1.0, 0.01)]
    with pytest.raises(ModelError, match=r"non-finite.*input region.*a ∈ \[-") as info:
        mcm("b * log(a)", ins, trials=100_000, seed=1)
    # every reported trial has a ≤ 0
    text = str(info.value)
    upper = float(text.split("a ∈ [")[1].split(",")[1].split("]")[0])
    assert upper <= 0


def test_model_exception_is_located():
    def model(a, b):
        if np.any(a > 0.99):
            raise ValueError("reading outside the calibrated range")
        return a + b

    ins = [Input("a", Rectangular(0.0, 1.0)), Input.normal("b", 0.0, 1.0)]
    with pytest.raises(ModelError, match=r"ValueError \(reading outside.*a=0\.99") as info:
        mcm(model, ins, trials=10_000, seed=1)
    assert float(str(info.value).split("a=")[1].split(",")[0]) > 0.99


def test_limits_and_bad_options():
    with pytest.raises(LimitError, match="exceeds the limit"):
        mcm(SUM4, NORMAL4, trials=2000, max_trials=1000)
    with pytest.raises(UncertaintyError, match="trials must be ≥"):
        mcm(SUM4, NORMAL4, trials=100)
    with pytest.raises(UncertaintyError, match="either a fixed number of trials or adaptive"):
        mcm(SUM4, NORMAL4, trials=10_000, adaptive=True)
    with pytest.raises(UncertaintyError, match="'shortest' or 'symmetric'"):
        mcm(SUM4, NORMAL4, trials=10_000, interval="central")
    with pytest.raises(LimitError, match="time limit"):
        mcm(SUM4, NORMAL4, trials=10**7, max_seconds=0.0, chunk_size=10_000)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=30, max_size=400),
    st.sampled_from([0.5, 0.9, 0.95, 0.99]),
    st.sampled_from(["shortest", "symmetric"]),
)
def test_partial_sort_interval_equals_full_sort(values, p, kind):
    # JCGM 101 §7.7: the partition-based end points are the same order statistics
    arr = np.array(values)
    assume(p * arr.size < arr.size - 0.5)
    expected = interval_from_sorted(np.sort(arr), p, kind)
    assert interval_from_values(arr.copy(), p, kind) == expected
    blocks = np.vstack([arr, arr[::-1]])  # §7.9 block statistics use the same rule per block
    assert tuple(block_statistics(blocks, p, kind)[1, 2:]) == expected
