"""Law of propagation of uncertainty (不确定度传播律, JCGM 100 §5, JCGM 102 §6).

``lpu(model, inputs)`` returns the output estimate(s), sensitivity coefficients, combined standard
uncertainty u_c(y), effective degrees of freedom ν_eff (Welch–Satterthwaite, GUM G.4.1; with
jointly estimated inputs Willink's generalisation, Metrologia 44 (2007) 340), coverage
factor k = t_p(ν_eff) and expanded uncertainty U = k·u_c. A model with several outputs gives the
covariance and correlation matrices of the outputs (JCGM 102 §6.2).

Uncorrelated inputs never build an N×N matrix: the variance is Σ (c_i u_i)² plus one term per
correlated pair.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import special

from .derivatives import jacobian, second_order_variance
from .errors import UncertaintyError
from .inputs import Correlations, Input, InputSet
from .linearity import linearity_warnings
from .model import Model

__all__ = [
    "LPUResult",
    "MultiLPUResult",
    "coverage_factor",
    "lpu",
    "welch_satterthwaite",
]


def welch_satterthwaite(u_y: float, contributions: np.ndarray, dof: np.ndarray) -> float:
    """ν_eff = u_c⁴ / Σ u_i(y)⁴/ν_i (GUM eq. G.2b); ∞ when every ν_i is infinite."""
    finite = np.isfinite(dof) & (contributions != 0)
    denom = float(np.sum(contributions[finite] ** 4 / dof[finite]))
    if denom == 0.0:
        return math.inf
    return float(u_y**4 / denom)


def _ensemble_dof(
    u_y: float,
    ju: np.ndarray,
    dof: np.ndarray,
    groups: list[tuple[np.ndarray, float, list[tuple[int, int, float]]]],
) -> float:
    """ν_eff with jointly estimated inputs (Willink, Metrologia 44 (2007) 340).

    Each ensemble g (inputs whose variances and covariances were estimated together with ν_g
    degrees of freedom, e.g. n − 1 for n sets of simultaneous observations, GUM H.2) enters the
    Welch–Satterthwaite sum as one term v_g²/ν_g, v_g = Σ_ij c_i c_j u(x_i, x_j) its share of
    the combined variance; the other inputs are independent and enter as u_i(y)⁴/ν_i
    (GUM G.2b). With one ensemble only (GUM H.2) ν_eff = ν_g = n − 1.
    """
    member = np.zeros(ju.size, dtype=bool)
    denom = 0.0
    for idx, nu, pairs in groups:
        member[idx] = True
        v = float(np.sum(ju[idx] ** 2)) + 2.0 * sum(r * ju[a] * ju[b] for a, b, r in pairs)
        if math.isfinite(nu):
            denom += max(v, 0.0) ** 2 / nu
    free = ~member & np.isfinite(dof) & (ju != 0)
    denom += float(np.sum(ju[free] ** 4 / dof[free]))
    if denom == 0.0:
        return math.inf
    return float(u_y**4 / denom)


def coverage_factor(p: float, dof: float, truncate: bool = True) -> float:
    """k_p from the t distribution with ν_eff degrees of freedom (GUM G.3, G.4).

    GUM G.4.1 note 1: ν_eff is truncated to the next lower integer (``truncate=True``).
    """
    if not 0 < p < 1:
        raise UncertaintyError(f"coverage probability p must be in (0, 1), got {p!r}")
    # scipy.special quantile functions: the stats.t.ppf wrapper costs ~1 ms a call
    if math.isinf(dof):
        return float(special.ndtri((1 + p) / 2))
    # rounding error must not truncate 3.9999999999999902 (ν_eff = ν_g = 4, GUM H.2) to 3
    nu = max(1.0, math.floor(dof * (1 + 1e-12))) if truncate else dof
    return float(special.stdtrit(nu, (1 + p) / 2))


def _num(x: float) -> float | str:
    """JSON-safe float: ∞ becomes the string "inf"."""
    x = float(x)
    return "inf" if math.isinf(x) else x


@dataclass
class LPUResult:
    """Result for one output quantity Y (测量结果)."""

    name: str
    y: float
    u: float
    dof: float
    k: float
    U: float
    p: float
    inputs: InputSet
    sensitivities: np.ndarray
    method: str = "autodiff"
    second_order: bool = False
    u_first_order: float | None = None
    correlation_variance: float = 0.0
    #: how ν_eff was obtained (Welch–Satterthwaite, or Willink's generalisation for ensembles)
    dof_method: str = "Welch–Satterthwaite (GUM G.4.1)"
    #: findings that make the first-order result doubtful (non-linearity, see .linearity)
    warnings: list[str] = field(default_factory=list)
    #: estimated size of the neglected higher-order terms over ±u (0 when not probed)
    nonlinearity: float = 0.0

    @property
    def interval(self) -> tuple[float, float]:
        """Coverage interval y ± U."""
        return (self.y - self.U, self.y + self.U)

    @property
    def contributions(self) -> np.ndarray:
        """u_i(y) = |c_i| u(x_i) (不确定度分量)."""
        return np.abs(self.sensitivities) * self.inputs.u

    @property
    def shares(self) -> np.ndarray:
        """Share of the combined variance, u_i(y)²/u_c(y)² (uncorrelated part)."""
        c = self.contributions
        return c**2 / self.u**2 if self.u > 0 else np.zeros_like(c)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary."""
        return {
            "name": self.name,
            "y": self.y,
            "u": self.u,
            "dof": _num(self.dof),
            "k": self.k,
            "U": self.U,
            "p": self.p,
            "interval": list(self.interval),
            "method": self.method,
            "second_order": self.second_order,
            "u_first_order": self.u_first_order,
            "correlation_variance": self.correlation_variance,
            "dof_method": self.dof_method,
            "warnings": list(self.warnings),
            "nonlinearity": self.nonlinearity,
            "contributions": [
                {
                    "name": inp.name,
                    "value": inp.value,
                    "u": inp.u,
                    "distribution": inp.distribution.name,
                    "dof": _num(inp.dof),
                    "sensitivity": float(c),
                    "contribution": float(ui),
                    "share": float(s),
                }
                for inp, c, ui, s in zip(
                    self.inputs.items,
                    self.sensitivities,
                    self.contributions,
                    self.shares,
                    strict=True,
                )
            ],
        }


@dataclass
class MultiLPUResult:
    """Several outputs (JCGM 102): per-output results plus covariance and correlation matrices."""

    outputs: list[LPUResult]
    covariance: np.ndarray
    names: list[str] = field(default_factory=list)

    @property
    def correlation(self) -> np.ndarray:
        """r(y_k, y_l) = U_kl / (u_k u_l) (输出量相关系数)."""
        s = np.sqrt(np.diag(self.covariance))
        with np.errstate(invalid="ignore", divide="ignore"):
            r = self.covariance / np.outer(s, s)
        r[~np.isfinite(r)] = 0.0
        np.fill_diagonal(r, 1.0)
        return r

    def __getitem__(self, name: str) -> LPUResult:
        return self.outputs[self.names.index(name)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "outputs": [o.to_dict() for o in self.outputs],
            "names": self.names,
            "covariance": self.covariance.tolist(),
            "correlation": self.correlation.tolist(),
        }


def _dof_groups(
    corr: Correlations, names: Sequence[str], dof: np.ndarray
) -> list[tuple[np.ndarray, float, list[tuple[int, int, float]]]]:
    """Index groups of the ensembles for :func:`_ensemble_dof`; refuse where ν_eff is undefined.

    The Welch–Satterthwaite formula assumes independent inputs (GUM G.4.1). A correlation
    between inputs with finite ν that were not estimated together has no valid ν_eff formula:
    rather than print a k from the wrong one (GUM H.2 gives ν_eff = 0.13, k = 12.7), refuse.
    """
    index = {n: k for k, n in enumerate(names)}
    where: dict[str, int] = {}
    groups: list[tuple[np.ndarray, float, list[tuple[int, int, float]]]] = []
    for g, ens in enumerate(corr.ensembles):
        idx = np.array([index[n] for n in ens.names], dtype=int)
        for n in ens.names:
            where[n] = g
            nu = float(dof[index[n]])
            if nu != ens.dof:
                raise UncertaintyError(
                    f"input {n!r}: ν = {nu:g}, but it was estimated jointly with "
                    f"{', '.join(ens.names)} with ν = {ens.dof:g}; jointly estimated inputs "
                    "share one ν"
                )
        groups.append((idx, float(ens.dof), []))
    for (a, b), r in corr.pairs.items():
        ga, gb = where.get(a), where.get(b)
        if ga is not None and ga == gb:
            groups[ga][2].append((index[a], index[b], float(r)))
            continue
        if math.isfinite(dof[index[a]]) or math.isfinite(dof[index[b]]):
            raise UncertaintyError(
                f"correlation ({a}, {b}) = {float(r):g} between inputs with finite degrees of "
                "freedom: the Welch–Satterthwaite formula (GUM G.4.1) assumes independent inputs "
                "and gives no valid ν_eff or k here. If they were estimated together (the same "
                "simultaneous observations, or the coefficients of one fitted curve), declare "
                "them jointly estimated ('simultaneous:' or 'jointly_estimated:' in a budget, "
                "Willink 2007); otherwise give them dof: inf if their uncertainties are known "
                "well enough"
            )
    return groups


def lpu(
    model: Callable[..., Any] | str | Model,
    inputs: Sequence[Input] | InputSet,
    correlations: Any = None,
    *,
    p: float = 0.95,
    second_order: bool = False,
    vector: bool = False,
    derivative: str = "auto",
    constants: dict[str, float] | None = None,
) -> LPUResult | MultiLPUResult:
    """Evaluate the measurement uncertainty by the law of propagation (GUM §5).

    Args:
        model: a callable (keyword or ``vector`` convention, see :mod:`.model`), an expression
            string over the input names, or a :class:`Model`.
        inputs: the input quantities (list of :class:`Input` or an :class:`InputSet`), in the
            order of the vector convention.
        correlations: ``[[a, b, r], ...]``, ``{(a, b): r}`` or :class:`Correlations`.
        p: coverage probability for k and U (default 0.95).
        second_order: add the higher-order terms of GUM 5.1.2 note (uncorrelated inputs only).
        vector: the callable takes one stacked array instead of keyword arguments.
        derivative: ``auto`` | ``autodiff`` | ``complex-step`` | ``central``.
        constants: fixed names usable in an expression string.

    Returns:
        :class:`LPUResult` for a scalar model, :class:`MultiLPUResult` for several outputs.
    """
    inputs = InputSet.of(inputs)
    if not len(inputs):
        raise UncertaintyError("the model needs at least one input")
    x, u, dof = inputs.x, inputs.u, inputs.dof
    corr = Correlations.from_any(correlations)
    if isinstance(model, Model) or not callable(model):
        mdl = Model.of(model, inputs.names, vector=vector, constants=constants)
    else:
        mdl = Model(model, vector=vector)
    # a vector model never sees input names: skip building 10⁴ default names
    names = inputs.names if (corr.pairs or corr.ensembles or not mdl.vector) else []
    if corr.pairs or corr.ensembles:
        corr = corr.validated(names)
    y, jac, method = jacobian(mdl, names, x, u, derivative)
    m = y.size

    # covariance of outputs: J diag(u²) Jᵀ + Σ_pairs r u_a u_b (J_a J_bᵀ + J_b J_aᵀ)
    ju = jac * u
    # einsum, not ju @ ju.T: a (1, N) BLAS product spins up threads and costs milliseconds
    cov = np.einsum("ij,kj->ik", ju, ju)
    corr_var = np.zeros(m)
    if corr:
        index = {n: k for k, n in enumerate(names)}
        for (a, b), r in corr.pairs.items():
            ia, ib = index[a], index[b]
            term = r * np.outer(ju[:, ia], ju[:, ib])
            cov += term + term.T
            corr_var += 2 * np.diag(term)
    first = np.sqrt(np.clip(np.diag(cov), 0, None))
    if second_order:
        if corr:
            raise UncertaintyError("second-order terms (GUM 5.1.2 note) need uncorrelated inputs")
        extra = second_order_variance(mdl, names, x, u, jac)
        cov = cov + np.diag(extra)
    var = np.diag(cov)
    if np.any(var < -1e-12 * np.maximum(first**2, 1e-300)):
        raise UncertaintyError("combined variance is negative: check the correlation coefficients")
    u_y = np.sqrt(np.clip(var, 0, None))
    # GUM 5.1.2 note: say so when the first-order terms do not describe the model over ±u
    u_nl, lin_warnings = linearity_warnings(
        mdl,
        names,
        x,
        u,
        y,
        jac,
        first,
        mdl.output_names or [f"y{i + 1}" for i in range(m)],
        u_y if second_order else None,
    )

    groups = _dof_groups(corr, names, dof) if corr.pairs or corr.ensembles else None
    dof_method = "Welch–Satterthwaite (GUM G.4.1)"
    if groups:
        dof_method = "Welch–Satterthwaite generalised to jointly estimated inputs (Willink 2007)"
    results = []
    out_names = mdl.output_names or [f"y{i + 1}" for i in range(m)]
    for k_out in range(m):
        contrib = np.abs(ju[k_out])
        if groups:
            nu = _ensemble_dof(float(u_y[k_out]), ju[k_out], dof, groups)
        else:
            nu = welch_satterthwaite(float(u_y[k_out]), contrib, dof)
        k = coverage_factor(p, nu)
        results.append(
            LPUResult(
                name=out_names[k_out],
                y=float(y[k_out]),
                u=float(u_y[k_out]),
                dof=nu,
                k=k,
                U=k * float(u_y[k_out]),
                p=p,
                inputs=inputs,
                sensitivities=jac[k_out].copy(),
                method=method,
                second_order=second_order,
                u_first_order=float(first[k_out]),
                correlation_variance=float(corr_var[k_out]),
                dof_method=dof_method,
                warnings=lin_warnings[k_out],
                nonlinearity=float(u_nl[k_out]),
            )
        )
    if m == 1:
        return results[0]
    return MultiLPUResult(results, cov, list(out_names))
