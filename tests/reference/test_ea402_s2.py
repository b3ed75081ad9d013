"""EA-4/02 M:2022 example S2 — calibration of a weight of nominal value 10 kg."""

from __future__ import annotations

from pathlib import Path

import pytest

from jiliang.core.uncertainty import evaluate_budget, load_budget

BUDGET = Path(__file__).resolve().parents[2] / "examples" / "budgets" / "ea402_s2_weight_10kg.yaml"


def test_s2_weight_10kg_lpu():
    # EA-4/02 S2.10 budget: u(m_S) = 22.5 mg, u(δm_D) = 8.66 mg, u(δm) = 14.4 mg,
    # u(δm_C) = u(δB) = 5.77 mg; m_X = 10 000.025 g, u(m_X) = 29.3 mg; S2.11: U = 59 mg (k = 2)
    spec = load_budget(BUDGET)
    res = evaluate_budget(spec).primary
    assert res.y == pytest.approx(10_000.025, abs=5e-7)
    u_mg = res.contributions * 1000
    assert list(u_mg.round(2)) == pytest.approx([22.5, 8.66, 14.43, 5.77, 5.77], abs=0.006)
    assert res.u * 1000 == pytest.approx(29.3, abs=0.05)
    assert res.k == pytest.approx(2.0, abs=0.001)  # coverage 95.45 % with ν_eff = ∞
    assert round(res.U * 1000) == 59


def test_s2_weight_10kg_mcm_agrees():
    # EA-4/02 S2 by JCGM 101 MCM: the standard uncertainty must agree with the 29.3 mg of S2.10
    res = evaluate_budget(load_budget(BUDGET), method="mcm", trials=200_000, seed=7)
    assert res.mcm.u * 1000 == pytest.approx(29.3, abs=0.3)  # 1 % ≈ 4 MC standard errors
