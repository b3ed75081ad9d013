"""Budget input kinds: expanded uncertainty with k (or p), pooled standard deviations.

EA-4/02 M:2022 example S2 (calibration of a 10 kg weight): the standard's certificate gives
U = 45 mg with k = 2 (u = 22.5 mg); the observed difference is the mean of n = 3 weighings with a
pooled standard deviation s_p = 25 mg from earlier evaluations (u = 25/√3 = 14.4 mg). Published:
m_X = 10 000.025 g, u(m_X) = 29.3 mg, U = 59 mg (k = 2).
"""

from __future__ import annotations

import math

import pytest
from scipy import stats

from jiliang.core.uncertainty import InputError, evaluate_budget, input_from_spec

S2 = {
    "title": "EA-4/02 S2",
    "model": "m_S + dm_D + dm + dm_C + dB",
    "output": {"name": "m_X", "unit": "g"},
    "coverage": 0.9545,
    "inputs": {
        "m_S": {"value": 10000.005, "U": 0.045, "k": 2, "unit": "g"},
        "dm_D": {"distribution": "rectangular", "value": 0, "half_width": 0.015, "unit": "g"},
        "dm": {"value": 0.020, "pooled": {"s": 0.025, "dof": 1000}, "n": 3, "unit": "g"},
        "dm_C": {"distribution": "rectangular", "value": 0, "half_width": 0.010, "unit": "g"},
        "dB": {"distribution": "rectangular", "value": 0, "half_width": 0.010, "unit": "g"},
    },
}


def test_ea402_s2_certificate_u_with_k_and_pooled_s_over_root_n():
    # EA-4/02 S2: u(m_S) = 22.5 mg, u(δm) = 14.4 mg, u(m_X) = 29.3 mg, m_X = 10 000.025 g
    res = evaluate_budget(S2)
    rows = {c["name"]: c for c in res.to_dict()["contributions"]}
    assert rows["m_S"]["u"] == pytest.approx(0.0225, rel=1e-12)
    assert rows["dm"]["u"] == pytest.approx(0.025 / math.sqrt(3), rel=1e-12)
    assert round(rows["dm"]["u"] * 1000, 1) == 14.4
    assert rows["dm"]["dof"] == 1000  # ν of the pooled s_p, not n − 1 = 2
    assert res.primary.y == pytest.approx(10000.025, abs=1e-9)
    assert round(res.primary.u * 1000, 1) == 29.3


def test_expanded_uncertainty_with_coverage_probability_uses_t_of_dof():
    # GUM 4.3.4 / G.3: a certificate's U at p = 95 % with ν = 10 → u = U / t_0.975(10)
    inp = input_from_spec("m", {"value": 1.0, "U": 0.2228, "p": 0.95, "dof": 10})
    assert inp.u == pytest.approx(0.2228 / stats.t.ppf(0.975, 10), rel=1e-12)
    assert inp.dof == 10
    normal = input_from_spec("m", {"value": 1.0, "expanded": 0.196, "p": 0.95})
    assert normal.u == pytest.approx(0.196 / stats.norm.ppf(0.975), rel=1e-12)


def test_pooled_series_and_pooled_with_observations_gum_4_2_4():
    # GUM 4.2.4: s_p² = Σ(n_j − 1)s_j²/Σ(n_j − 1) from earlier series, ν_p = Σ(n_j − 1);
    # the mean of today's observations gets u = s_p/√n with ν_p
    series = [[10.01, 10.03, 9.99, 10.02], [10.00, 10.04, 10.02], [9.98, 10.01, 10.00, 10.03, 9.99]]
    ss = sum(sum((v - sum(s) / len(s)) ** 2 for v in s) for s in series)
    nu = sum(len(s) - 1 for s in series)
    inp = input_from_spec("x", {"observations": [10.02, 10.00], "pooled": {"series": series}})
    assert inp.value == pytest.approx(10.01)
    assert inp.u == pytest.approx(math.sqrt(ss / nu) / math.sqrt(2), rel=1e-12)
    assert inp.dof == nu == 9
    assert inp.distribution.name == "t"  # JCGM 101 §6.4.9 for the MCM


@pytest.mark.parametrize(
    ("spec", "needle"),
    [
        ({"value": 1, "U": 0.2}, "coverage factor 'k'"),
        ({"value": 1, "U": 0.2, "k": 2, "p": 0.95}, "not both"),
        ({"value": 1, "u": 0.1, "k": 2}, "'k' belongs to an expanded uncertainty"),
        ({"value": 1, "u": 0.1, "U": 0.2, "k": 2}, "give one of"),
        ({"value": 1, "U": 0.2, "k": 0}, "k must be > 0"),
        ({"value": 1, "pooled": {"s": 0.1}}, "'dof'"),
        ({"value": 1, "pooled": {"s": 0.1, "dof": 5}, "u": 0.1}, "conflicts with 'pooled'"),
        ({"value": 1, "pooled": {"s": 0.1, "dof": 5}, "n": 0}, "integer ≥ 1"),
        ({"value": 1, "pooled": {"s": 0.1, "dof": 5, "n": 3}}, "pooled.n"),
        ({"value": 1, "u": 0.1, "n": 3}, "'n' is used with 'pooled' only"),
    ],
)
def test_bad_expanded_or_pooled_fields_are_errors_naming_the_input(spec, needle):
    with pytest.raises(InputError, match="'x'") as info:
        input_from_spec("x", spec)
    assert needle in str(info.value)
