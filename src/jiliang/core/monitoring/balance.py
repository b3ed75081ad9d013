"""Area energy balance (台区能量守恒) and the batch estimators of each meter's error.

Model
-----
For period t of an area with users' meters i = 1…p (reading x_it kW·h, relative error e_i, so
the true energy is x_it / (1 + e_i)), a summary meter reading y_t with relative error e_s, a
proportional loss β and optional fixed (c₀·h_t) and quadratic (q·s_t²/h_t, s_t = Σ_i x_it) loss
terms::

    y_t (1 − β) / (1 + e_s) = Σ_i θ_i x_it + c₀ h_t + q s_t² / h_t + ε_t,   θ_i = 1 / (1 + e_i)

Identifiability (可辨识性)
-------------------------
The balance alone determines the coefficients a_i = g θ_i of the regression
``y_t = Σ_i a_i x_it + …`` with the *gain* g = (1 + e_s) / (1 − β). A common error of every
user meter, the proportional loss and the summary meter's own error only ever appear through g:
multiplying every θ_i by a constant and dividing g by it leaves the data unchanged. jiliang
resolves g in one of two declared ways (:class:`GainPrior`):

- ``prior`` (default): g from the summary meter's calibration (e_s ± u) and a theoretical loss
  model (β ± u). Every meter's u(ê_i) then carries u(g) — a common, fully correlated component —
  so a poorly known loss makes every verdict less conclusive, never wrongly confident.
- ``median``: g chosen so that the median user-meter error is zero. No loss model needed, but a
  common drift of the whole fleet is invisible and u(g) is only the median's sampling spread.

Estimators
----------
:func:`ols` — weighted least squares with covariance s²(AᵀA)⁻¹ (rows weighted by 1/y_t², i.e.
the balance residual is relative, as summary-meter noise is proportional to energy); it needs
more periods than unknowns, so 200 meters want 15-minute or hourly periods, or a longer window.
:func:`huber` wraps it in Huber IRLS over periods (a theft day, a bad reading).
:mod:`.rls` gives the same estimate recursively (one update per new period), with a forgetting
factor or an exact sliding window for meters that drift. Shrinkage estimators (ridge, empirical
Bayes) were tried and left out: on simulated areas their intervals covered the true error of
the meters they called identifiable far less than 95 % (the shrinkage bias falls on exactly the
faulty meters), which is the one failure this module must not have.

Where the data cannot identify a meter the answer says so (:attr:`MeterEstimate.status`):
light load (lumped with the other light meters), prior-dominated (the data explain less than
half of the prior variance), or apparently not in this area at all (mis-assigned).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

import numpy as np
import scipy.linalg


class MonitoringError(ValueError):
    """Bad monitoring input or an estimate that cannot be made; ``field`` names the culprit."""

    def __init__(self, field_name: str, message: str):
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


class Underdetermined(MonitoringError):
    """Fewer usable periods than unknowns for an estimator that has no prior (OLS)."""


@dataclass(frozen=True)
class AreaData:
    """One area's period energies after data hygiene.

    ``x`` (n periods × p meters) and ``y`` (n) in kW·h per period; ``hours`` the length of each
    period in h (defaults to 1; only the fixed and quadratic loss terms use it).
    """

    meter_ids: tuple[str, ...]
    x: np.ndarray
    y: np.ndarray
    hours: np.ndarray | None = None

    def __post_init__(self) -> None:
        x = np.asarray(self.x, dtype=float)
        y = np.asarray(self.y, dtype=float)
        if x.ndim != 2:
            raise MonitoringError("x", f"must be a 2-D array (periods × meters), got {x.ndim}-D")
        n, p = x.shape
        if y.shape != (n,):
            raise MonitoringError("y", f"needs {n} summary energies (one a period), got {y.shape}")
        if len(self.meter_ids) != p:
            raise MonitoringError("meter_ids", f"{len(self.meter_ids)} ids for {p} meter columns")
        if len(set(self.meter_ids)) != p:
            raise MonitoringError("meter_ids", "duplicate meter id")
        if p == 0 or n == 0:
            raise MonitoringError("x", "an area needs at least one meter and one period")
        for name, arr in (("x", x), ("y", y)):
            if not np.all(np.isfinite(arr)):
                raise MonitoringError(name, "contains NaN or infinity")
            if np.any(arr < 0):
                raise MonitoringError(name, "contains a negative energy")
        if np.any(y == 0):
            raise MonitoringError("y", "a period with zero summary energy carries no information")
        hours = np.ones(n) if self.hours is None else np.asarray(self.hours, dtype=float)
        if hours.shape != (n,) or not np.all(np.isfinite(hours)) or np.any(hours <= 0):
            raise MonitoringError("hours", f"needs {n} positive period lengths in hours")
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "y", y)
        object.__setattr__(self, "hours", hours)

    @property
    def n_periods(self) -> int:
        return int(self.x.shape[0])

    @property
    def n_meters(self) -> int:
        return int(self.x.shape[1])


@dataclass(frozen=True)
class LossModel:
    """Which loss terms beside the proportional one (absorbed in g) are fitted."""

    fixed: bool = True  # c₀ h_t: no-load / constant loss (kW)
    quadratic: bool = False  # q s_t² / h_t: I²R line loss

    def columns(self, area: AreaData) -> tuple[np.ndarray, tuple[str, ...]]:
        """The extra regressors (n × m) and their names."""
        cols, names = [], []
        if self.fixed:
            cols.append(area.hours)
            names.append("fixed_loss_kw")
        if self.quadratic:
            s = area.x.sum(axis=1)
            cols.append(s * s / area.hours)
            names.append("quadratic_loss_per_kw")
        z = np.column_stack(cols) if cols else np.zeros((area.n_periods, 0))
        return z, tuple(names)


class GainMethod(StrEnum):
    PRIOR = "prior"
    MEDIAN = "median"


@dataclass(frozen=True)
class GainPrior:
    """How the common gain g = (1 + e_s)/(1 − β) is fixed (see the module docstring).

    ``loss_fraction`` β and ``summary_error`` e_s are relative (0.03 = 3 %), with their
    standard uncertainties; used by the ``prior`` method only.
    """

    method: GainMethod = GainMethod.PRIOR
    loss_fraction: float = 0.0
    u_loss_fraction: float = 0.0
    summary_error: float = 0.0
    u_summary_error: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "method", GainMethod(self.method))
        for name in ("loss_fraction", "u_loss_fraction", "summary_error", "u_summary_error"):
            v = getattr(self, name)
            if not math.isfinite(v):
                raise MonitoringError(f"gain.{name}", "must be finite")
        if not 0 <= self.loss_fraction < 0.5:
            raise MonitoringError("gain.loss_fraction", "must be in [0, 0.5)")
        if self.u_loss_fraction < 0 or self.u_summary_error < 0:
            raise MonitoringError("gain", "standard uncertainties must be ≥ 0")
        if abs(self.summary_error) >= 0.5:
            raise MonitoringError("gain.summary_error", "must be within ±0.5")

    def prior_gain(self) -> tuple[float, float]:
        """g and u(g) from β ± u(β) and e_s ± u(e_s) (first-order propagation)."""
        one_b = 1.0 - self.loss_fraction
        g = (1.0 + self.summary_error) / one_b
        u = math.hypot(self.u_summary_error / one_b, g / one_b * self.u_loss_fraction)
        return g, u


@dataclass(frozen=True)
class CoefficientFit:
    """Coefficients of the balance regression in the design's column order.

    ``a`` and ``cov`` are for the meter columns (users' meters, then the lumped column if any);
    ``extra`` the loss parameters; ``sigma`` the relative balance-residual standard deviation.
    """

    method: str
    a: np.ndarray
    cov: np.ndarray
    extra: np.ndarray
    extra_names: tuple[str, ...]
    sigma: float
    dof: float
    condition_number: float
    period_weights: np.ndarray
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Design:
    """The regression design built from an area: which meters are columns, which are lumped."""

    area: AreaData
    columns: tuple[str, ...]  # meter ids of the own columns, then "(lumped)" if any
    x: np.ndarray  # n × k meter columns (kW·h)
    z: np.ndarray  # n × m loss columns
    extra_names: tuple[str, ...]
    lumped: tuple[str, ...]
    shares: dict[str, float]

    @property
    def k(self) -> int:
        return int(self.x.shape[1])


LUMPED = "(lumped)"


def design(area: AreaData, loss: LossModel | None = None, *, min_share: float = 0.002) -> Design:
    """Columns of the regression: meters whose energy share is below ``min_share`` are lumped.

    A light-load meter (share of the area's metered energy < ``min_share``, 0.2 % by default)
    moves too little energy for the balance to see its error; its column would only add
    variance. Such meters are summed into one lumped column (one common coefficient) and are
    reported as not identifiable with that reason.
    """
    if not 0 <= min_share < 1:
        raise MonitoringError("min_share", "must be in [0, 1)")
    loss = loss or LossModel()
    totals = area.x.sum(axis=0)
    grand = float(totals.sum())
    if grand <= 0:
        raise MonitoringError("x", "no meter of the area recorded any energy")
    shares = {m: float(t / grand) for m, t in zip(area.meter_ids, totals, strict=True)}
    light = totals / grand < min_share
    own = np.flatnonzero(~light)
    cols = [area.x[:, own]] if own.size else []
    names = [area.meter_ids[i] for i in own]
    lumped = tuple(area.meter_ids[i] for i in range(area.n_meters) if light[i])
    if lumped:
        lumped_energy = area.x[:, light].sum(axis=1)
        if lumped_energy.sum() > 0:
            cols.append(lumped_energy)
            names.append(LUMPED)
    z, extra_names = loss.columns(area)
    return Design(
        area,
        tuple(names),
        np.column_stack(cols) if cols else np.zeros((area.n_periods, 0)),  # meters, (lumped)
        z,
        extra_names,
        lumped,
        shares,
    )


def _scaled(d: Design, weights: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows divided by y_t (relative residuals), times √w_t; returns (A_meters, A_extra, b)."""
    s = 1.0 / d.area.y
    if weights is not None:
        s = s * np.sqrt(weights)
    return d.x * s[:, None], d.z * s[:, None], d.area.y * s


def _condition(a: np.ndarray) -> float:
    norms = np.linalg.norm(a, axis=0)
    norms[norms == 0] = 1.0
    sv = np.linalg.svd(a / norms, compute_uv=False)
    return float(sv[0] / sv[-1]) if sv.size and sv[-1] > 0 else math.inf


def _qr_normalised(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """R of the column-equilibrated design, Qᵀb and the column norms, from one Householder QR.

    ``[A/‖a_j‖ | b] = Q [[R, Qᵀb], [0, ·]]``: the singular values of R are those of the
    equilibrated design (its condition number), R·(c·‖a_j‖) = Qᵀb is the least-squares
    solution and (AᵀA)⁻¹ = D⁻¹R⁻¹R⁻ᵀD⁻¹ — one factorisation instead of an SVD, a
    least-squares solve and the inverse of the normal matrix (whose condition number is the
    square of the design's).
    """
    norms = np.linalg.norm(a, axis=0)
    norms[norms == 0] = 1.0
    r = np.linalg.qr(np.column_stack([a / norms, b]), mode="r")
    k = a.shape[1]
    return r[:k, :k], r[:k, k], norms


def _condition_of_r(r: np.ndarray) -> float:
    sv = np.linalg.svd(r, compute_uv=False)
    return float(sv[0] / sv[-1]) if sv.size and sv[-1] > 0 else math.inf


def ols(d: Design, *, weights: np.ndarray | None = None, prior_gain: float = 1.0) -> CoefficientFit:
    """Weighted least squares with covariance s²(AᵀA)⁻¹; raises :class:`Underdetermined`.

    ``prior_gain`` is unused (the signature is shared with the shrinkage estimators).
    Computed from one QR factorisation of the equilibrated design (:func:`_qr_normalised`).
    """
    del prior_gain
    xa, za, b = _scaled(d, weights)
    a_full = np.hstack([xa, za])
    n, k_all = a_full.shape
    if n <= k_all:
        raise Underdetermined(
            "periods",
            f"OLS needs more periods than unknowns: {n} periods for {k_all} unknowns "
            f"({d.k} meter columns + {za.shape[1]} loss terms); use the shrinkage estimator "
            "or collect more periods",
        )
    r, qtb, norms = _qr_normalised(a_full, b)
    cond = _condition_of_r(r)
    if not math.isfinite(cond) or cond > 1e10:
        raise Underdetermined("x", f"design is rank-deficient (condition number {cond:.3g})")
    coef = scipy.linalg.solve_triangular(r, qtb) / norms
    resid = b - a_full @ coef
    dof = n - k_all
    s2 = float(resid @ resid) / dof
    cov = s2 * _inverse_normal(r, norms)
    k = d.k
    return CoefficientFit(
        "ols",
        coef[:k],
        cov[:k, :k],
        coef[k:],
        d.extra_names,
        math.sqrt(s2),
        float(dof),
        cond,
        np.ones(n) if weights is None else np.asarray(weights, dtype=float),
    )


def _inverse_normal(r: np.ndarray, norms: np.ndarray) -> np.ndarray:
    """(AᵀA)⁻¹ from the R factor of the equilibrated design and its column norms."""
    r_inv = scipy.linalg.solve_triangular(r, np.eye(r.shape[0])) / norms[:, None]
    return r_inv @ r_inv.T


Estimator = Callable[..., CoefficientFit]


def _relative_residuals(a_full: np.ndarray, fit: CoefficientFit) -> tuple[np.ndarray, float]:
    """Balance residuals 1 − (A·θ)_t of every period and their robust (MAD) scale."""
    r = 1.0 - a_full @ np.concatenate([fit.a, fit.extra])
    return r, 1.4826 * float(np.median(np.abs(r - np.median(r))))


def huber(
    d: Design, *, base: Estimator, prior_gain: float, k_huber: float = 1.345, max_iter: int = 30
) -> CoefficientFit:
    """Huber IRLS over periods around ``base``: a period whose balance residual exceeds
    ``k_huber`` robust standard deviations is down-weighted (a theft day, a bad reading)."""
    xa, za, _ = _scaled(d, None)
    a_full = np.hstack([xa, za])  # unweighted relative design: fixed across iterations
    w = np.ones(d.area.n_periods)
    fit = base(d, prior_gain=prior_gain)
    for _ in range(max_iter):
        r, scale = _relative_residuals(a_full, fit)
        if scale <= 0:
            break
        u = np.abs(r) / scale
        new_w = np.where(u <= k_huber, 1.0, k_huber / np.maximum(u, 1e-300))
        if np.max(np.abs(new_w - w)) < 1e-4:
            w = new_w
            break
        w = new_w
        fit = base(d, prior_gain=prior_gain, weights=w)
    # Huber's (1981, §7.6) asymptotic covariance of the M-estimate, with his small-sample
    # correction κ: the weighted-LS covariance of the last IRLS step under-states it
    r, scale = _relative_residuals(a_full, fit)
    cov = fit.cov
    n, p = a_full.shape
    if scale > 0 and n > p:
        u = r / scale
        psi = np.clip(u, -k_huber, k_huber)
        dpsi = (np.abs(u) <= k_huber).astype(float)
        m = float(dpsi.mean())
        if m > 0:
            kappa = 1.0 + p / n * float(dpsi.var()) / m**2
            factor = kappa**2 * float(psi @ psi) / (n - p) / m**2 * scale**2
            r_full, _, norms = _qr_normalised(a_full, np.zeros(n))
            cov = factor * _inverse_normal(r_full, norms)[: d.k, : d.k]
    down = int(np.sum(w < 0.999))
    return replace(
        fit,
        method=f"huber({fit.method})",
        cov=cov,
        period_weights=w,
        notes=(*fit.notes, f"{down} of {d.area.n_periods} periods down-weighted"),
    )


class MeterStatus(StrEnum):
    """What the balance can say about one meter."""

    ESTIMATED = "estimated"
    LIGHT_LOAD = "light_load"  # lumped: too little energy to see
    UNDERDETERMINED = "underdetermined"  # the area has too few periods for its unknowns
    IMPRECISE = "imprecise"  # u(ê) too large to say anything (collinear or sparse load)
    MISASSIGNED = "misassigned"  # contributes far less than its reading: not in this area


@dataclass(frozen=True)
class MeterEstimate:
    """ê_i with standard uncertainty u(ê_i) (relative), and whether it may be used."""

    meter_id: str
    error: float | None
    u: float | None
    share: float
    status: MeterStatus
    reason: str = ""

    @property
    def identifiable(self) -> bool:
        return self.status is MeterStatus.ESTIMATED


@dataclass(frozen=True)
class AreaFit:
    """Everything one estimation of one area produced."""

    method: str
    gain_method: GainMethod
    gain: float
    u_gain: float
    meters: tuple[MeterEstimate, ...]
    loss: dict[str, float]
    sigma: float
    n_periods: int
    n_meters: int
    condition_number: float
    error_cov: np.ndarray = field(repr=False)  # over the ESTIMATED meters, in `meters` order
    notes: tuple[str, ...] = ()

    def by_id(self) -> dict[str, MeterEstimate]:
        return {m.meter_id: m for m in self.meters}


ESTIMATORS: dict[str, Estimator] = {"ols": ols}


def fit_area(
    area: AreaData,
    *,
    method: str = "ols",
    robust: bool = False,
    gain: GainPrior | None = None,
    loss: LossModel | None = None,
    min_share: float = 0.002,
    max_u: float = 0.05,
) -> AreaFit:
    """Estimate every meter's relative error in one area — a pure function of its arrays.

    ``method`` names an estimator of :data:`ESTIMATORS`; ``robust`` wraps it in Huber IRLS.
    Meters below ``min_share`` of the energy are lumped (LIGHT_LOAD); an area with too few
    periods answers UNDERDETERMINED for every meter instead of raising; a meter whose u(ê)
    exceeds ``max_u`` (relative, 5 % by default) is IMPRECISE; a meter that confidently
    contributes less than half its reading is MISASSIGNED. Only ESTIMATED meters carry an
    error and an uncertainty.
    """
    if method not in ESTIMATORS:
        raise MonitoringError("method", f"unknown estimator {method!r}: {sorted(ESTIMATORS)}")
    if not max_u > 0:
        raise MonitoringError("max_u", "must be > 0")
    gain = gain or GainPrior()
    d = design(area, loss, min_share=min_share)
    if d.k == 0:
        raise MonitoringError("x", "no meter carries enough energy to estimate anything")
    g0, u_g0 = gain.prior_gain()
    base = ESTIMATORS[method]
    try:
        fit = huber(d, base=base, prior_gain=g0) if robust else base(d, prior_gain=g0)
    except Underdetermined as exc:
        return _underdetermined(area, d, gain, g0, u_g0, exc, min_share)
    own = [c for c in d.columns if c != LUMPED]
    idx = {c: j for j, c in enumerate(d.columns)}
    sd_a = np.sqrt(np.maximum(np.diag(fit.cov), 0.0))
    status: dict[str, tuple[MeterStatus, str]] = {}
    for c in own:
        j = idx[c]
        if fit.a[j] + 3 * sd_a[j] < 0.5 * g0:
            status[c] = (
                MeterStatus.MISASSIGNED,
                f"balance coefficient {fit.a[j]:.3g} ± {sd_a[j]:.2g} ≪ gain {g0:.3g}: the area's "
                "energy does not contain this meter's — check its area assignment",
            )
        elif sd_a[j] / g0 > max_u:
            status[c] = (
                MeterStatus.IMPRECISE,
                f"u(ê) ≈ {sd_a[j] / g0:.1%} > {max_u:.1%}: the balance cannot see this meter "
                "(collinear with others or too little energy in these periods)",
            )
        else:
            status[c] = (MeterStatus.ESTIMATED, "")
    usable = [c for c in own if status[c][0] is MeterStatus.ESTIMATED]
    if gain.method is GainMethod.MEDIAN:
        if len(usable) < 5:
            raise MonitoringError(
                "gain.method",
                f"median gain needs ≥ 5 identifiable meters, the area has {len(usable)}",
            )
        a_use = np.array([fit.a[idx[c]] for c in usable])
        g = float(np.median(a_use))
        mad_sd = 1.4826 * float(np.median(np.abs(a_use - g)))
        u_g = math.sqrt(math.pi / 2) * mad_sd / math.sqrt(len(usable))
    else:
        g, u_g = g0, u_g0
    cols = [idx[c] for c in usable]
    a_u = fit.a[cols]
    cov_a = fit.cov[np.ix_(cols, cols)]
    err = g / a_u - 1.0
    jac = -g / a_u**2  # the diagonal of ∂ê/∂a: J·Σ·Jᵀ without forming J
    dg = 1.0 / a_u
    cov_e = cov_a * jac[:, None] * jac[None, :] + np.outer(dg, dg) * u_g**2
    u_e = np.sqrt(np.maximum(np.diag(cov_e), 0.0))
    pos = {c: i for i, c in enumerate(usable)}
    meters = []
    for mid in area.meter_ids:
        share = d.shares[mid]
        if mid in d.lumped:
            meters.append(_light(mid, share, min_share))
            continue
        st, why = status[mid]
        if st is MeterStatus.ESTIMATED:
            i = pos[mid]
            meters.append(MeterEstimate(mid, float(err[i]), float(u_e[i]), share, st))
        else:
            meters.append(MeterEstimate(mid, None, None, share, st, why))
    return AreaFit(
        fit.method,
        gain.method,
        g,
        u_g,
        tuple(meters),
        dict(zip(fit.extra_names, map(float, fit.extra), strict=True)),
        fit.sigma,
        area.n_periods,
        area.n_meters,
        fit.condition_number,
        cov_e,
        fit.notes,
    )


def _light(mid: str, share: float, min_share: float) -> MeterEstimate:
    return MeterEstimate(
        mid,
        None,
        None,
        share,
        MeterStatus.LIGHT_LOAD,
        f"light load: {share:.2%} of the area's energy (< {min_share:.2%}), lumped",
    )


def _underdetermined(
    area: AreaData,
    d: Design,
    gain: GainPrior,
    g: float,
    u_g: float,
    exc: Underdetermined,
    min_share: float,
) -> AreaFit:
    meters = tuple(
        _light(mid, d.shares[mid], min_share)
        if mid in d.lumped
        else MeterEstimate(mid, None, None, d.shares[mid], MeterStatus.UNDERDETERMINED, exc.message)
        for mid in area.meter_ids
    )
    return AreaFit(
        "none",
        gain.method,
        g,
        u_g,
        meters,
        {},
        math.nan,
        area.n_periods,
        area.n_meters,
        math.nan,
        np.zeros((0, 0)),
        (exc.message,),
    )


def coverage(fit: AreaFit, true_errors: dict[str, float], k: float = 2.0) -> tuple[int, int]:
    """(covered, estimated): how many ESTIMATED meters' true error lies in ê ± k·u."""
    hit = total = 0
    for m in fit.meters:
        if m.identifiable and m.meter_id in true_errors:
            total += 1
            hit += abs(true_errors[m.meter_id] - m.error) <= k * m.u
    return hit, total


def ids(prefix: str, n: int) -> Sequence[str]:
    """Meter ids ``prefix-0000`` … for simulations and tests."""
    return tuple(f"{prefix}-{i:04d}" for i in range(n))
