"""Tests for jiliang.core.comparisons.keycomparison and .linking (关键比对, CIPM MRA).

Published numbers reproduced (source beside each):

* BCG vaccine trials (13 studies, log relative risks; counts of metafor's ``dat.bcg``,
  Colditz et al. 1994): fixed-effect (= inverse-variance weighted mean) estimate −0.4303 and
  Q = χ²_obs = 152.2330, DerSimonian–Laird estimate −0.7141 with 95 % CI (−1.0644, −0.3638) —
  Stata ``metan`` results as checked in metafor's
  ``tests/testthat/test_misc_metan_vs_rma.uni_with_dat.bcg.r``; τ² = 0.3181 of the iterated
  DL / iterated SJ estimators (whose fixed point is the Paule–Mandel equation) in metafor's
  ``tests/testthat/test_misc_rma_uni.r``.
* CCQM-K30 lead in wine (Hearn, Santamaria-Fernandez & Sargent 2008, Metrologia 45 08001, as
  tabulated in the R package metRology, dataset ``Pb``): KCRV 2.99 mg/kg, U = 0.06 mg/kg,
  from the 9 included results.

No CCEM/CCM DoE table with its lab values could be obtained offline, so the DoE, LCS, median and
linking formulas are validated by independent identities (closed forms, Sherman–Morrison,
brute-force enumeration, Monte Carlo of the whole linear pipeline) — each test says which.
"""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np
import pytest
from scipy import stats

from jiliang.core.comparisons.keycomparison import (
    ComparisonData,
    arithmetic_mean,
    consistency_test,
    degrees_of_equivalence,
    dersimonian_laird,
    evaluate_key_comparison,
    largest_consistent_subset,
    median_reference,
    pairwise_degrees_of_equivalence,
    paule_mandel,
    weighted_mean,
)
from jiliang.core.comparisons.linking import link_comparison

# --- BCG data (metafor dat.bcg: tpos, tneg, cpos, cneg) -> log RR and its variance
_BCG = np.array(
    [
        [4, 119, 11, 128],
        [6, 300, 29, 274],
        [3, 228, 11, 209],
        [62, 13536, 248, 12619],
        [33, 5036, 47, 5761],
        [180, 1361, 372, 1079],
        [8, 2537, 10, 619],
        [505, 87886, 499, 87892],
        [29, 7470, 45, 7232],
        [17, 1699, 65, 1600],
        [186, 50448, 141, 27197],
        [5, 2493, 3, 2338],
        [27, 16886, 29, 17825],
    ],
    dtype=float,
)


def _bcg() -> tuple[np.ndarray, np.ndarray]:
    a, b, c, d = _BCG.T
    y = np.log((a / (a + b)) / (c / (c + d)))
    v = 1 / a - 1 / (a + b) + 1 / c - 1 / (c + d)
    return y, np.sqrt(v)


# --- CCQM-K30 (metRology ``Pb``): value and u = U/k in mg/kg; include flags of the KCRV
PB_LABS = ["INMETRO", "KRISS", "NMIJ", "IRMM", "PTB", "NMIA", "LGC", "CSIR", "NIM", "LNE", "INM"]
PB_X = [1.62, 2.893, 2.936, 2.94, 2.96, 2.98, 3.0, 3.001, 3.07, 3.13, 7.71]
PB_U_EXP = [0.088, 0.044, 0.025, 0.033, 0.08, 0.2, 0.1, 0.136, 0.17, 0.12, 1.98]
PB_K = [2.0, 2.13, 2.0, 2.0, 2.4, 1.99, 2.0, 2.0, 2.0, 2.0, 2.0]
PB_U = [U / k for U, k in zip(PB_U_EXP, PB_K, strict=True)]
PB_INCLUDE = [False] + [True] * 9 + [False]


# ---------------------------------------------------------------- published reproductions


def test_bcg_weighted_mean_and_chi2_match_metan() -> None:
    # Stata metan via metafor test_misc_metan_vs_rma.uni_with_dat.bcg.r: beta −0.4303, QE 152.2330
    y, u = _bcg()
    ref = weighted_mean(y, u)
    assert ref.value == pytest.approx(-0.4303, abs=5e-5)
    assert ref.consistency is not None
    assert ref.consistency.chi2_obs == pytest.approx(152.2330, abs=5e-5)
    assert ref.consistency.dof == 12
    assert not ref.consistency.passed
    assert ref.consistency.critical == pytest.approx(stats.chi2.ppf(0.95, 12))
    assert ref.consistency.p_value == pytest.approx(stats.chi2.sf(152.2330080823734, 12), rel=1e-6)
    assert consistency_test(y, u).chi2_obs == pytest.approx(ref.consistency.chi2_obs)


def test_bcg_dersimonian_laird_matches_metan() -> None:
    # Stata metan (randomi) via metafor: beta −0.7141, ci.lb −1.0644, ci.ub −0.3638
    y, u = _bcg()
    ref = dersimonian_laird(y, u)
    z = stats.norm.ppf(0.975)
    assert ref.value == pytest.approx(-0.7141, abs=5e-5)
    assert ref.value - z * ref.u == pytest.approx(-1.0644, abs=5e-5)
    assert ref.value + z * ref.u == pytest.approx(-0.3638, abs=5e-5)
    # identity: the DL closed form written out
    w = 1 / u**2
    mw = (w * y).sum() / w.sum()
    q = (w * (y - mw) ** 2).sum()
    tau2 = (q - 12) / (w.sum() - (w**2).sum() / w.sum())
    assert ref.tau2 == pytest.approx(tau2, rel=1e-12)


def test_bcg_paule_mandel_matches_metafor_and_solves_its_equation() -> None:
    # metafor test_misc_rma_uni.r: method DLIT / SJIT -> tau2 0.3181 (the Paule–Mandel root)
    y, u = _bcg()
    ref = paule_mandel(y, u)
    assert ref.tau2 == pytest.approx(0.3181, abs=5e-5)
    # identity (Paule & Mandel 1982): sum w*(x - mu)^2 = N - 1 exactly at the solution
    w = 1 / (u**2 + ref.tau2)
    mu = (w * y).sum() / w.sum()
    assert mu == pytest.approx(ref.value, rel=1e-12)
    assert (w * (y - mu) ** 2).sum() == pytest.approx(12.0, rel=1e-10)
    assert ref.u == pytest.approx(1 / math.sqrt(w.sum()), rel=1e-12)


def test_ccqm_k30_kcrv_is_the_mean_of_included_results() -> None:
    # Hearn et al. 2008 (Metrologia 45 08001), metRology Pb: KCRV 2.99 mg/kg, U 0.06 mg/kg
    ref = arithmetic_mean(PB_X, PB_U, PB_LABS, include=PB_INCLUDE)
    assert round(ref.value, 2) == 2.99
    U = stats.t.ppf(0.975, ref.dof) * ref.u
    assert ref.dof == 8
    assert round(U, 2) == 0.06
    # the stated uncertainties of the 9 are not mutually consistent about their weighted mean
    wm = weighted_mean(PB_X, PB_U, PB_LABS, include=PB_INCLUDE)
    assert wm.consistency is not None and not wm.consistency.passed
    assert wm.consistency.dof == 8


# ---------------------------------------------------------------- DoE identities


def _small() -> tuple[list[float], list[float]]:
    return [10.02, 9.98, 10.05, 10.00, 9.97, 10.30], [0.02, 0.03, 0.04, 0.02, 0.05, 0.04]


def test_doe_weighted_mean_independent_closed_forms() -> None:
    # Cox 2002 §5: u²(d) = u² − u²(ref) for contributing, u² + u²(ref) for non-contributing labs
    x, u = _small()
    inc = [True, True, True, True, True, False]
    ref = weighted_mean(x, u, include=inc)
    ua = np.array(u)
    w = 1 / ua[:5] ** 2
    assert ref.value == pytest.approx((w * np.array(x[:5])).sum() / w.sum(), rel=1e-14)
    assert ref.u == pytest.approx(1 / math.sqrt(w.sum()), rel=1e-14)
    doe = degrees_of_equivalence(ref, k=2.0)
    for i in range(6):
        expect = ua[i] ** 2 - ref.u**2 if inc[i] else ua[i] ** 2 + ref.u**2
        assert doe.u[i] == pytest.approx(math.sqrt(expect), rel=1e-12)
        assert doe.d[i] == pytest.approx(x[i] - ref.value, abs=1e-15)
        assert doe.U[i] == pytest.approx(2 * doe.u[i])
        assert doe.en[i] == pytest.approx(abs(doe.d[i]) / doe.U[i])
    assert doe.flagged[5] and not doe.flagged[3]
    assert doe.rows()[5]["included"] is False


def test_shared_traceability_source_sherman_morrison_identity() -> None:
    # V = diag(u²) + s²·11ᵀ (all labs traceable to one source): by Sherman–Morrison the GLS
    # weights equal the independent ones, u²(ref) grows by s², and the common component cancels
    # in every contributing DoE and every pairwise DoE.
    x, u = _small()
    s = 0.03
    ua = np.array(u)
    ut = np.sqrt(ua**2 + s**2)
    v = np.diag(ua**2) + s**2
    ind = weighted_mean(x, u)
    cor = weighted_mean(x, ut, cov=v)
    assert cor.value == pytest.approx(ind.value, rel=1e-13)
    assert cor.u**2 == pytest.approx(ind.u**2 + s**2, rel=1e-12)
    d_ind = degrees_of_equivalence(ind)
    d_cor = degrees_of_equivalence(cor)
    assert d_cor.u == pytest.approx(d_ind.u, rel=1e-10)
    # χ² with the full V equals the independent χ² (the common shift is orthogonal to r)
    assert cor.consistency.chi2_obs == pytest.approx(ind.consistency.chi2_obs, rel=1e-10)
    p_ind = pairwise_degrees_of_equivalence(x, u)
    p_cor = pairwise_degrees_of_equivalence(x, ut, cov=v)
    assert np.allclose(p_cor.u, p_ind.u, rtol=1e-12)
    assert p_ind.u[0][1] == pytest.approx(math.hypot(u[0], u[1]))
    assert p_ind.d[0][1] == pytest.approx(x[0] - x[1])
    assert p_ind.U[2][4] == pytest.approx(2 * math.hypot(u[2], u[4]))
    assert p_ind.en[0][0] == 0.0


def test_general_covariance_doe_matches_monte_carlo() -> None:
    # u²(d) = Vii + aᵀVa − 2(Va)i against a direct simulation of x ~ N(x, V) (fixed GLS weights)
    x, u = _small()
    ua = np.array(u)
    r = np.eye(6)
    r[0, 1] = r[1, 0] = 0.6
    r[2, 3] = r[3, 2] = -0.3
    r[0, 3] = r[3, 0] = 0.2
    v = r * np.outer(ua, ua)
    inc = [True, True, True, True, False, True]
    ref = weighted_mean(x, u, cov=v, include=inc)
    doe = degrees_of_equivalence(ref)
    a = np.array(ref.weights)
    assert a.sum() == pytest.approx(1.0) and a[4] == 0.0
    rng = np.random.default_rng(2002)
    sims = rng.multivariate_normal(np.array(x), v, size=400_000)
    d_sim = sims - (sims @ a)[:, None]
    assert np.allclose(d_sim.std(axis=0), doe.u, rtol=0.01)
    assert sims.dot(a).std() == pytest.approx(ref.u, rel=0.01)


# ---------------------------------------------------------------- LCS


def _chi2_of(x: np.ndarray, u: np.ndarray) -> float:
    w = 1 / u**2
    m = (w * x).sum() / w.sum()
    return float((w * (x - m) ** 2).sum())


def test_lcs_removes_outliers_and_is_largest_by_brute_force() -> None:
    # constructed set: six labs consistent about 10.00, two discrepant ones (Cox 2007 procedure)
    x = np.array([10.01, 9.99, 10.02, 9.98, 10.00, 10.03, 10.40, 9.60])
    u = np.array([0.02, 0.02, 0.03, 0.03, 0.01, 0.04, 0.05, 0.05])
    labs = [f"N{i}" for i in range(8)]
    res = largest_consistent_subset(x, u, labs)
    assert res.excluded == ("N6", "N7")
    assert res.reference.method == "lcs"
    assert res.reference.consistency is not None and res.reference.consistency.passed
    crit = {m: stats.chi2.ppf(0.95, m - 1) for m in range(2, 9)}
    for m in (8, 7):  # no larger subset is consistent
        assert all(
            _chi2_of(x[list(c)], u[list(c)]) > crit[m] for c in itertools.combinations(range(8), m)
        )
    assert res.evaluated == 1 + 8 + 28
    doe = degrees_of_equivalence(res.reference)
    assert doe.u[6] == pytest.approx(math.sqrt(u[6] ** 2 + res.reference.u**2))


def test_lcs_of_consistent_data_is_everything_and_correlated_path() -> None:
    x, u = [1.00, 1.01, 0.99, 1.00], [0.01, 0.01, 0.01, 0.02]
    res = largest_consistent_subset(x, u)
    assert res.excluded == () and res.evaluated == 1
    # with correlations the χ² is rᵀV⁻¹r: compare with a direct GLS evaluation
    xa, ua = np.array([1.00, 1.05, 0.99, 1.00, 0.96]), np.array([0.01, 0.01, 0.01, 0.02, 0.01])
    v = np.diag(ua**2)
    v[0, 2] = v[2, 0] = 0.5 * ua[0] * ua[2]
    res = largest_consistent_subset(xa, ua, cov=v)
    keep = [i for i in range(5) if f"L{i + 1}" not in res.excluded]
    vi = np.linalg.inv(v[np.ix_(keep, keep)])
    one = np.ones(len(keep))
    mu = one @ vi @ xa[keep] / (one @ vi @ one)
    rr = xa[keep] - mu
    assert res.reference.value == pytest.approx(mu, rel=1e-12)
    assert res.reference.consistency.chi2_obs == pytest.approx(rr @ vi @ rr, rel=1e-10)
    assert res.reference.consistency.passed
    assert len(keep) < 5


# ---------------------------------------------------------------- median (procedure B)


def test_median_mcm_matches_asymptotic_variance_and_outlier_doe() -> None:
    # large-N identity: var(median of N iid N(μ, σ²)) → πσ²/(2N)
    # (all labs report the same value, so the trial values are iid)
    n, sigma = 101, 0.05
    x = np.full(n, 10.0)
    ref = median_reference(x, [sigma] * n, trials=40_000, seed=11)
    assert ref.value == pytest.approx(float(np.median(x)))
    assert ref.u == pytest.approx(math.sqrt(math.pi / (2 * n)) * sigma, rel=0.04)
    # a lab far outside (non-contributing) has d independent of the median
    x2 = [10.0, 10.01, 9.99, 10.02, 9.98, 11.0]
    u2 = [0.01, 0.01, 0.01, 0.01, 0.01, 0.05]
    ref2 = median_reference(x2, u2, include=[True] * 5 + [False], trials=100_000, seed=3)
    doe = degrees_of_equivalence(ref2)
    assert doe.u[5] == pytest.approx(math.hypot(0.05, ref2.u), rel=0.01)
    assert doe.d[5] == pytest.approx(1.0)
    # reproducible for a seed
    again = median_reference(x2, u2, include=[True] * 5 + [False], trials=100_000, seed=3)
    assert again.u == ref2.u and again.u_doe == ref2.u_doe


def test_median_with_shared_source_correlation() -> None:
    # a common component s shifts every lab and the median alike: u(d) for the median equals
    # that of the independent case, u(median)² grows by s² (to Monte Carlo precision)
    x, u = [10.0, 10.01, 9.99, 10.02, 9.98], np.array([0.01, 0.012, 0.01, 0.015, 0.01])
    s = 0.02
    ind = median_reference(x, u, trials=200_000, seed=5)
    cor = median_reference(
        x, np.sqrt(u**2 + s**2), cov=np.diag(u**2) + s**2, trials=200_000, seed=5
    )
    assert cor.u**2 == pytest.approx(ind.u**2 + s**2, rel=0.02)
    assert np.allclose(cor.u_doe, ind.u_doe, rtol=0.02)


# ---------------------------------------------------------------- random effects, driver


def test_random_effects_reduce_to_weighted_mean_when_consistent() -> None:
    x, u = [1.00, 1.01, 0.99, 1.00], [0.01, 0.01, 0.01, 0.02]
    wm = weighted_mean(x, u)
    for fn in (dersimonian_laird, paule_mandel):
        ref = fn(x, u)
        assert ref.tau2 == 0.0
        assert ref.value == pytest.approx(wm.value, rel=1e-14)
        assert ref.u == pytest.approx(wm.u, rel=1e-14)


def test_evaluate_key_comparison_paths() -> None:
    x, u = _small()
    ok = evaluate_key_comparison(x[:5], u[:5])
    assert ok.fallback is None and ok.consistency.passed
    assert ok.reference is ok.weighted_mean
    lcs = evaluate_key_comparison(x, u)
    assert not lcs.consistency.passed and lcs.fallback == "lcs"
    assert lcs.lcs is not None and lcs.lcs.excluded == ("L6",)
    assert lcs.reference.included == (True,) * 5 + (False,)
    assert lcs.doe.u[5] == pytest.approx(math.sqrt(u[5] ** 2 + lcs.reference.u**2))
    pm = evaluate_key_comparison(x, u, fallback="paule_mandel")
    t2 = pm.reference.tau2
    assert t2 > 0
    a = np.array(pm.reference.weights)
    va = (np.array(u) ** 2 + t2) * a
    expect = np.array(u) ** 2 + t2 + pm.reference.u**2 - 2 * va  # DoE carry τ²
    assert np.allclose(np.square(pm.doe.u), expect, rtol=1e-12)
    assert pm.pairwise.u[0][1] == pytest.approx(math.sqrt(u[0] ** 2 + u[1] ** 2 + 2 * t2))
    med = evaluate_key_comparison(x, u, fallback="median", trials=20_000)
    assert med.reference.method == "median" and med.reference.value == pytest.approx(10.01)
    keep = evaluate_key_comparison(x, u, fallback="none")
    assert keep.reference.method == "weighted_mean" and keep.fallback is None


def test_results_are_frozen() -> None:
    ref = weighted_mean([1.0, 1.1], [0.1, 0.1])
    with pytest.raises(dataclasses.FrozenInstanceError):
        ref.value = 2.0  # type: ignore[misc]
    with pytest.raises(ValueError):
        ref.data.x[0] = 5.0  # read-only array


# ---------------------------------------------------------------- linking


def _cipm() -> tuple[list[str], np.ndarray, np.ndarray]:
    labs = ["A", "B", "C", "D", "E"]
    return labs, np.array([1.000, 1.004, 0.998, 1.002, 0.999]), np.array([2, 3, 2, 4, 3]) * 1e-3


def test_link_shifts_by_delta_and_matches_closed_form() -> None:
    labs, xc, uc = _cipm()
    ref = weighted_mean(xc, uc, labs)
    c = 0.010  # the RMO artefact reads 0.010 lower; linking labs B and D reproduce it exactly
    rmo_labs = ["B", "P", "D", "Q"]
    xr = np.array([xc[1] - c, 0.995, xc[3] - c, 0.990])
    ur = np.array([3e-3, 5e-3, 4e-3, 6e-3])
    res = link_comparison(ref, xr, ur, rmo_labs)
    assert res.linking_labs == ("B", "D")
    assert res.delta == pytest.approx(c, abs=1e-15)
    assert res.link_consistency is not None and res.link_consistency.chi2_obs == pytest.approx(0)
    assert res.labs == ("P", "Q")
    assert res.d[0] == pytest.approx(0.995 + c - ref.value)
    # closed form: u²(Δ) = 1/Σ1/(u_C² + u_R²); cov(Δ, ref) = Σ bⱼ aⱼ u_Cⱼ² (independent labs)
    vj = np.array([uc[1] ** 2 + ur[0] ** 2, uc[3] ** 2 + ur[2] ** 2])
    b = (1 / vj) / (1 / vj).sum()
    a = np.array(ref.weights)
    cov = b[0] * a[1] * uc[1] ** 2 + b[1] * a[3] * uc[3] ** 2
    u2 = ur[1] ** 2 + 1 / (1 / vj).sum() + ref.u**2 - 2 * cov
    assert res.u[0] == pytest.approx(math.sqrt(u2), rel=1e-12)
    assert res.U[0] == pytest.approx(2 * res.u[0])
    assert res.en[1] == pytest.approx(abs(res.d[1]) / res.U[1])


def test_link_uncertainty_matches_monte_carlo_of_the_pipeline() -> None:
    # simulate every lab result (CIPM and RMO, linking labs' two results correlated r = 0.5),
    # push the draws through the same linear pipeline with fixed weights, compare std(d)
    labs, xc, uc = _cipm()
    ref = weighted_mean(xc, uc, labs)
    rmo_labs = ["A", "C", "P"]
    xr = np.array([0.991, 0.989, 0.993])
    ur = np.array([3e-3, 3e-3, 4e-3])
    r = 0.5
    res = link_comparison(ref, xr, ur, rmo_labs, correlation=r, u_transfer=1e-3)
    rng = np.random.default_rng(39)
    t = 400_000
    zc = rng.standard_normal((t, 5))
    za = rng.standard_normal((t, 2))
    xcs = xc + uc * zc
    # RMO results of A and C correlated with their CIPM results
    link_idx = [0, 2]
    zr = r * zc[:, link_idx] + math.sqrt(1 - r**2) * za
    xrs = xr[:2] + ur[:2] * zr
    xps = xr[2] + ur[2] * rng.standard_normal(t)
    transfer = 1e-3 * rng.standard_normal(t)
    refs = xcs @ np.array(ref.weights)
    b = np.array(res.link_weights)
    delta = (xcs[:, link_idx] - xrs) @ b + transfer
    d = xps + delta - refs
    assert d.std() == pytest.approx(res.u[0], rel=0.01)
    assert delta.std() == pytest.approx(res.u_delta, rel=0.01)
    assert res.link_u[0] == pytest.approx(
        math.sqrt(uc[0] ** 2 + ur[0] ** 2 - 2 * r * uc[0] * ur[0])
    )


def test_link_bad_input() -> None:
    labs, xc, uc = _cipm()
    ref = weighted_mean(xc, uc, labs)
    with pytest.raises(ValueError, match="linking_labs"):
        link_comparison(ref, [1.0, 1.1], [0.01, 0.01], ["P", "Q"])
    with pytest.raises(ValueError, match="linking_labs: 'Z'"):
        link_comparison(ref, [1.0, 1.1], [0.01, 0.01], ["A", "Q"], linking_labs=["Z"])
    with pytest.raises(ValueError, match="correlation"):
        link_comparison(ref, [1.0, 1.1], [0.01, 0.01], ["A", "Q"], correlation=1.5)
    with pytest.raises(ValueError, match="u_transfer"):
        link_comparison(ref, [1.0, 1.1], [0.01, 0.01], ["A", "Q"], u_transfer=-1.0)
    med = median_reference(xc, uc, labs, trials=2000)
    with pytest.raises(ValueError, match="cipm_reference"):
        link_comparison(med, [1.0, 1.1], [0.01, 0.01], ["A", "Q"])


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: weighted_mean([1.0, 2.0], [0.1, -0.1]), r"u\[1\] must be positive"),
        (lambda: weighted_mean([1.0, 2.0], [0.1, 0.0]), r"u\[1\] must be positive"),
        (lambda: weighted_mean([1.0, math.nan], [0.1, 0.1]), r"x\[1\] must be finite"),
        (lambda: weighted_mean([1.0, 2.0, 3.0], [0.1, 0.1]), "x and u must have the same length"),
        (lambda: weighted_mean([1.0], [0.1]), "x: at least 2 labs"),
        (lambda: weighted_mean([1.0, 2.0], [0.1, 0.1], ["A", "A"]), "labs must be unique"),
        (lambda: weighted_mean([1.0, 2.0], [0.1, 0.1], ["A"]), "labs and x"),
        (lambda: weighted_mean([1.0, 2.0], [0.1, 0.1], alpha=1.5), "alpha"),
        (
            lambda: weighted_mean([1.0, 2.0, 3.0], [0.1] * 3, include=[True, False, False]),
            "include: the weighted mean needs at least 2",
        ),
        (lambda: weighted_mean([1.0, 2.0], [0.1] * 2, include=["Z"]), "include: unknown lab"),
        (lambda: dersimonian_laird([1.0, 2.0], [0.1, 0.1]), "include: a random-effects"),
        (lambda: paule_mandel([1.0, 2.0], [0.1, 0.1]), "include: a random-effects"),
        (lambda: largest_consistent_subset([1.0, 2.0], [0.1, 0.1]), "x: at least 3 labs"),
        (lambda: median_reference([1.0, 2.0, 3.0], [0.1] * 3, trials=10), "trials"),
        (
            lambda: weighted_mean([1.0, 2.0], [0.1, 0.1], cov=[[0.01, 0.02], [0.02, 0.01]]),
            "cov must be positive semi-definite",
        ),
        (
            lambda: weighted_mean([1.0, 2.0], [0.1, 0.1], cov=[[0.02, 0.0], [0.0, 0.01]]),
            "cov diagonal must equal u",
        ),
        (lambda: weighted_mean([1.0, 2.0], [0.1, 0.1], cov=[[0.01]]), "cov must be a 2×2"),
        (
            lambda: weighted_mean([1.0, 2.0], [0.1, 0.1], cov=[[0.01, 0.001], [0.0, 0.01]]),
            "cov must be symmetric",
        ),
        (
            lambda: largest_consistent_subset(np.arange(40.0), np.full(40, 0.01), max_subsets=1000),
            "x: the largest consistent subset",
        ),
        (lambda: evaluate_key_comparison([1.0, 2.0], [0.1, 0.1], fallback="mean"), "fallback"),
        (
            lambda: degrees_of_equivalence(weighted_mean([1.0, 2.0], [0.1, 0.1]), k=0.0),
            "k must be positive",
        ),
    ],
)
def test_bad_input_names_the_field(call, match) -> None:
    with pytest.raises(ValueError, match=match):
        call()


def test_comparison_data_include_by_name() -> None:
    data = ComparisonData.of([1.0, 2.0, 3.0], [0.1] * 3, ["A", "B", "C"])
    assert data.mask(["A", "C"]).tolist() == [True, False, True]
    assert data.mask(None).all()
