"""Linking an RMO key comparison to a CIPM key comparison (区域比对与国际关键比对的链接).

Units: values and standard uncertainties in the unit of the measurand, covariances in unit².

Method (Delahaye & Witt 2002, Metrologia 39 Tech. Suppl. 01005; the CCEM guidelines for RMO
comparisons): the linking labs j took part in both comparisons. Their differences
δⱼ = x_j,CIPM − x_j,RMO, with u²(δⱼ) = u²(x_j,CIPM) + u²(x_j,RMO) − 2 rⱼ u(x_j,CIPM) u(x_j,RMO)
(rⱼ: correlation of lab j's two results, e.g. the same standard and method), are combined into
the correction Δ = Σ bⱼ δⱼ with bⱼ ∝ 1/u²(δⱼ) (their weighted mean), u²(Δ) = 1/Σ 1/u²(δⱼ) (+ an
optional transfer term u_transfer², e.g. artefact drift between the comparisons).

A non-linking RMO lab i is placed on the CIPM scale as x_i,RMO + Δ; its DoE to the CIPM KCRV is
dᵢ = x_i,RMO + Δ − x_ref with

    u²(dᵢ) = u²(x_i,RMO) + u²(Δ) + u²(x_ref) − 2 cov(Δ, x_ref),
    cov(Δ, x_ref) = Σⱼ bⱼ [cov(x_j,CIPM, x_ref) − cov(x_j,RMO, x_ref)]
                  = Σⱼ bⱼ [(V a)ⱼ − aⱼ rⱼ u(x_j,CIPM) u(x_j,RMO)],

the last term present when linking labs contributed to the CIPM KCRV (aⱼ > 0; V the CIPM
covariance matrix, a the KCRV sensitivities); the rⱼ part appears because lab j's RMO result
is correlated with its CIPM result, which is in x_ref.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from .keycomparison import ComparisonData, ConsistencyTest, ReferenceValue

__all__ = ["LinkResult", "link_comparison"]


@dataclass(frozen=True)
class LinkResult:
    """RMO labs' degrees of equivalence with respect to the CIPM KCRV (unit of x).

    Attributes:
        delta, u_delta: the correction Δ applied to RMO values and u(Δ).
        linking_labs: labs used for the link; ``link_weights`` their bⱼ;
            ``link_differences`` δⱼ and ``link_u`` u(δⱼ).
        link_consistency: χ² test of the δⱼ about Δ (``None`` with a single linking lab).
        labs: the non-linking RMO labs; ``x_linked`` their values x_i,RMO + Δ;
            ``d``, ``u``, ``U`` (= k·u), ``en`` = |dᵢ|/U(dᵢ) their DoE to the CIPM KCRV.
    """

    delta: float
    u_delta: float
    linking_labs: tuple[str, ...]
    link_weights: tuple[float, ...]
    link_differences: tuple[float, ...]
    link_u: tuple[float, ...]
    link_consistency: ConsistencyTest | None
    labs: tuple[str, ...]
    x_linked: tuple[float, ...]
    d: tuple[float, ...]
    u: tuple[float, ...]
    U: tuple[float, ...]
    en: tuple[float, ...]
    k: float
    reference_value: float
    u_reference: float

    @property
    def flagged(self) -> tuple[bool, ...]:
        return tuple(e > 1.0 for e in self.en)


def link_comparison(
    cipm_reference: ReferenceValue,
    rmo_x: Sequence[float] | np.ndarray,
    rmo_u: Sequence[float] | np.ndarray,
    rmo_labs: Sequence[str],
    *,
    linking_labs: Sequence[str] | None = None,
    correlation: float | Mapping[str, float] = 0.0,
    u_transfer: float = 0.0,
    k: float = 2.0,
    alpha: float = 0.05,
) -> LinkResult:
    """Link an RMO comparison to a CIPM KCRV through the labs common to both.

    Args:
        cipm_reference: the CIPM comparison's reference (from
            :mod:`~jiliang.core.comparisons.keycomparison`); a linear one (weighted mean, LCS,
            random effects, arithmetic mean) so cov(x_j,CIPM, x_ref) is known.
        rmo_x, rmo_u, rmo_labs: the RMO comparison's values, standard uncertainties and labs.
        linking_labs: labs used for the link (default: every lab present in both).
        correlation: rⱼ between lab j's CIPM and RMO results (one number or per lab).
        u_transfer: extra standard uncertainty of the link (unit of x), added to u(Δ).
        k: coverage factor of U(dᵢ).
        alpha: significance level of the χ² test of the link differences.
    """
    if cipm_reference.weights is None:
        raise ValueError("cipm_reference must be a linear reference (not the median)")
    cipm: ComparisonData = cipm_reference.data
    rmo = ComparisonData.of(rmo_x, rmo_u, rmo_labs, None, min_labs=1)
    if not (math.isfinite(k) and k > 0):
        raise ValueError(f"k must be positive, got {k!r}")
    if not (math.isfinite(u_transfer) and u_transfer >= 0):
        raise ValueError(f"u_transfer must be ≥ 0, got {u_transfer!r}")
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    common = [s for s in rmo.labs if s in cipm.labs]
    links = list(common) if linking_labs is None else [str(s) for s in linking_labs]
    if not links:
        raise ValueError("linking_labs: no lab took part in both comparisons")
    for s in links:
        if s not in cipm.labs:
            raise ValueError(f"linking_labs: {s!r} is not a CIPM participant")
        if s not in rmo.labs:
            raise ValueError(f"linking_labs: {s!r} is not an RMO participant")
    if len(set(links)) != len(links):
        raise ValueError("linking_labs must be unique")
    if isinstance(correlation, Mapping):
        unknown = [s for s in correlation if s not in links]
        if unknown:
            raise ValueError(f"correlation: {unknown[0]!r} is not a linking lab")
        r = np.array([float(correlation.get(s, 0.0)) for s in links])
    else:
        r = np.full(len(links), float(correlation))
    if np.any(~np.isfinite(r)) or np.any(np.abs(r) > 1.0):
        raise ValueError("correlation must be in [-1, 1]")

    ic = [cipm.labs.index(s) for s in links]
    ir = [rmo.labs.index(s) for s in links]
    xc, uc = cipm.x[ic], cipm.u[ic]
    xr, ur = rmo.x[ir], rmo.u[ir]
    delta_j = xc - xr
    var_j = uc**2 + ur**2 - 2.0 * r * uc * ur
    if np.any(var_j <= 0):
        j = int(np.argmin(var_j))
        raise ValueError(f"correlation: u(δ) of linking lab {links[j]!r} is not positive")
    w = 1.0 / var_j
    b = w / w.sum()
    delta = float(b @ delta_j)
    var_delta = 1.0 / float(w.sum()) + u_transfer**2
    test = None
    if len(links) >= 2:
        chi = float((w * (delta_j - delta) ** 2).sum())
        dof = len(links) - 1
        test = ConsistencyTest(
            chi2_obs=chi,
            dof=dof,
            alpha=float(alpha),
            critical=float(stats.chi2.ppf(1.0 - alpha, dof)),
            p_value=float(stats.chi2.sf(chi, dof)),
        )

    a = np.asarray(cipm_reference.weights)
    cov_ref = cipm.cov @ a  # cov(x_j,CIPM, x_ref) for every CIPM lab
    a_link = a[ic]
    # cov(x_j,RMO, x_ref) = aⱼ rⱼ u_C u_R: lab j's RMO result is correlated with its CIPM one
    cov_delta_ref = float(b @ (cov_ref[ic] - a_link * r * uc * ur))
    u_ref2 = cipm_reference.u**2
    others = [i for i, s in enumerate(rmo.labs) if s not in links]
    xo, uo = rmo.x[others], rmo.u[others]
    x_linked = xo + delta
    d = x_linked - cipm_reference.value
    var = uo**2 + var_delta + u_ref2 - 2.0 * cov_delta_ref
    ud = np.sqrt(np.maximum(var, 0.0))
    big = k * ud
    return LinkResult(
        delta=delta,
        u_delta=math.sqrt(var_delta),
        linking_labs=tuple(links),
        link_weights=tuple(float(v) for v in b),
        link_differences=tuple(float(v) for v in delta_j),
        link_u=tuple(float(v) for v in np.sqrt(var_j)),
        link_consistency=test,
        labs=tuple(rmo.labs[i] for i in others),
        x_linked=tuple(float(v) for v in x_linked),
        d=tuple(float(v) for v in d),
        u=tuple(float(v) for v in ud),
        U=tuple(float(v) for v in big),
        en=tuple(float(abs(dv) / bv) for dv, bv in zip(d, big, strict=True)),
        k=float(k),
        reference_value=float(cipm_reference.value),
        u_reference=float(cipm_reference.u),
    )
