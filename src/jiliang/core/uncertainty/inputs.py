"""Input quantities (输入量), Type A evaluation (A类评定) and correlations (相关系数).

An :class:`Input` is a named quantity with a probability distribution (which fixes its estimate
x_i and standard uncertainty u(x_i)) and degrees of freedom ν_i (∞ for Type B by default).
Correlations are stored sparsely as pairs, so N uncorrelated inputs never build an N×N matrix.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import distributions as d
from .errors import CorrelationError, DistributionError, InputError, did_you_mean

__all__ = [
    "Correlations",
    "Ensemble",
    "Input",
    "input_from_spec",
    "simultaneous_from_spec",
    "type_a",
    "type_a_multivariate",
]


@dataclass(frozen=True)
class Input:
    """One input quantity X_i.

    Attributes:
        name: identifier used by the model (a Python identifier).
        distribution: the PDF assigned to X_i (JCGM 101 §6.4).
        dof: degrees of freedom ν_i of u(x_i) (自由度); ``math.inf`` for exactly known PDFs.
        unit: free-text unit label (display only, e.g. ``"nm"``).
        description: free-text description.
    """

    name: str
    distribution: d.Distribution
    dof: float = math.inf
    unit: str = ""
    description: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise InputError(str(self.name), "name must be a Python identifier")
        u = self.distribution.standard_uncertainty
        if not (isinstance(u, float | int) and math.isfinite(u) and u >= 0):
            raise InputError(self.name, f"standard uncertainty must be finite and ≥ 0, got {u!r}")
        if not math.isfinite(self.distribution.estimate):
            raise InputError(
                self.name, f"estimate must be finite, got {self.distribution.estimate!r}"
            )
        dof = float(self.dof)
        if math.isinf(dof) and isinstance(self.distribution, d.StudentT):
            # a t PDF carries its own ν (JCGM 101 §6.4.9); the LPU uses the same ν
            dof = float(self.distribution.dof)
            object.__setattr__(self, "dof", dof)
        if math.isnan(dof) or dof <= 0:
            raise InputError(self.name, f"degrees of freedom must be > 0, got {self.dof!r}")

    @property
    def value(self) -> float:
        """Estimate x_i (最佳估计值)."""
        return float(self.distribution.estimate)

    @property
    def u(self) -> float:
        """Standard uncertainty u(x_i) (标准不确定度)."""
        return float(self.distribution.standard_uncertainty)

    # -- convenience constructors ---------------------------------------------------------
    @classmethod
    def normal(cls, name: str, value: float, u: float, dof: float = math.inf, **kw: Any) -> Input:
        """Input with a Gaussian PDF N(value, u²)."""
        _check_u(name, u)
        return cls(name, d.Normal(float(value), float(u)), dof, **kw)

    @classmethod
    def rectangular(cls, name: str, value: float, half_width: float, **kw: Any) -> Input:
        """Input uniform on [value − a, value + a]; u = a/√3."""
        _check_u(name, half_width, "half_width")
        return cls(name, d.Rectangular(value - half_width, value + half_width), **kw)


def _check_u(name: str, u: Any, field_name: str = "u") -> None:
    try:
        val = float(u)
    except (TypeError, ValueError):
        raise InputError(name, f"{field_name} must be a number, got {u!r}") from None
    if math.isnan(val) or math.isinf(val) or val < 0:
        raise InputError(name, f"{field_name} must be finite and ≥ 0, got {u!r}")


def type_a(name: str, observations: Sequence[float], **kw: Any) -> Input:
    """Type A evaluation (GUM 4.2) from n repeated observations.

    Returns an input with estimate x̄, u = s/√n, ν = n − 1 and, for the Monte Carlo method, the
    scaled and shifted t distribution t_{n−1}(x̄, s²/n) of JCGM 101 §6.4.9.
    """
    x = np.asarray(observations, dtype=float)
    if x.ndim != 1 or x.size < 2:
        raise InputError(name, "Type A evaluation needs at least 2 observations")
    if not np.all(np.isfinite(x)):
        raise InputError(name, "observations must be finite numbers")
    n = x.size
    u = float(x.std(ddof=1) / math.sqrt(n))
    return Input(name, d.StudentT(float(x.mean()), u, n - 1), n - 1, **kw)


def type_a_multivariate(
    observations: Mapping[str, Sequence[float]],
    *,
    pdf: str = "normal",
    units: Mapping[str, str] | None = None,
    descriptions: Mapping[str, str] | None = None,
) -> tuple[list[Input], Correlations]:
    """Type A evaluation of simultaneous observations (GUM 5.2.3, C.3.6, H.2).

    ``observations`` maps each input name to its n observations taken in the same sets. Returns
    inputs (x̄_i, s(x̄_i), ν = n − 1, normal PDFs) and the correlation coefficients
    r(x̄_i, x̄_j) = s(x̄_i, x̄_j)/(s(x̄_i) s(x̄_j)) of GUM eq. (17). The correlations carry the
    inputs as one :class:`Ensemble` (jointly estimated, ν = n − 1), which the LPU uses for the
    degrees of freedom (Willink 2007) and the Monte Carlo method for a joint PDF:
    ``pdf="normal"`` — N(x̄, S/n) (JCGM 101 §6.4.8); ``pdf="t"`` — the multivariate
    t_{n−N}(x̄, (n − 1)/(n − N)·S/n) of JCGM 102 §5.3.2 (needs n − N > 2 for a finite
    covariance, which is then (n − 1)/(n − N − 2)·S/n).
    """
    names = list(observations)
    label = ",".join(names)
    if len(names) < 1:
        raise InputError("simultaneous", "no inputs given")
    try:
        data = [np.asarray(observations[k], dtype=float) for k in names]
    except (TypeError, ValueError):
        raise InputError(label, "observations must be numbers") from None
    if any(a.ndim != 1 for a in data):
        raise InputError(label, "observations of each input must be a flat list of numbers")
    n = {a.size for a in data}
    if len(n) != 1:
        raise InputError(label, "simultaneous observations must have equal length")
    (n_obs,) = n
    if n_obs < 2:
        raise InputError(label, "Type A evaluation needs at least 2 observations")
    matrix = np.vstack(data)
    if not np.all(np.isfinite(matrix)):
        raise InputError(label, "observations must be finite numbers")
    if pdf not in ("normal", "t"):
        raise InputError(label, f"pdf must be 'normal' or 't', got {pdf!r}")
    n_in = len(names)
    if pdf == "t" and n_obs - n_in <= 2:
        # t_ν with ν = n − N ≤ 2 has no finite covariance: its MCM u(y) would not converge
        raise InputError(
            label,
            f"a multivariate t PDF (JCGM 102 §5.3.2) has ν = n − N = {n_obs - n_in} here "
            f"(n = {n_obs} sets, N = {n_in} inputs) and no finite covariance for ν ≤ 2; "
            "use pdf: normal (JCGM 101 §6.4.8) or more sets",
        )
    cov_mean = np.atleast_2d(np.cov(matrix, ddof=1)) / n_obs
    u = np.sqrt(np.diag(cov_mean))
    units = units or {}
    descriptions = descriptions or {}
    inputs = [
        Input(
            name,
            d.Normal(float(matrix[i].mean()), float(u[i])),
            n_obs - 1,
            unit=str(units.get(name, "")),
            description=str(descriptions.get(name, "")),
        )
        for i, name in enumerate(names)
    ]
    pairs = {}
    for i in range(n_in):
        for j in range(i + 1, n_in):
            if u[i] > 0 and u[j] > 0:
                pairs[(names[i], names[j])] = float(cov_mean[i, j] / (u[i] * u[j]))
    ens = Ensemble(tuple(names), float(n_obs - 1), float(n_obs - n_in) if pdf == "t" else None)
    return inputs, Correlations(pairs, [ens])


@dataclass(frozen=True)
class Ensemble:
    """Jointly estimated inputs (GUM H.2, H.3; Willink, Metrologia 44 (2007) 340).

    Their variances and covariances were estimated together from the same data with ``dof``
    degrees of freedom (n − 1 for n sets of simultaneous observations, n − 2 for the two
    coefficients of a straight line). The LPU counts their joint contribution as one term of the
    Welch–Satterthwaite sum with ``dof``; ``mcm_dof`` (if set) makes the Monte Carlo method
    draw them from a multivariate t with that ν (JCGM 102 §5.3.2), else from a multivariate
    normal (JCGM 101 §6.4.8).
    """

    names: tuple[str, ...]
    dof: float
    mcm_dof: float | None = None

    @property
    def mcm_scale(self) -> float:
        """Factor from the covariance u_i u_j r_ij to the scale matrix of the multivariate t."""
        return 1.0 if self.mcm_dof is None else self.dof / self.mcm_dof


@dataclass
class Correlations:
    """Sparse symmetric correlation coefficients r(x_i, x_j) between named inputs."""

    pairs: dict[tuple[str, str], float] = field(default_factory=dict)
    #: groups of jointly estimated inputs (see :class:`Ensemble`)
    ensembles: list[Ensemble] = field(default_factory=list)

    @classmethod
    def from_any(cls, value: Any) -> Correlations:
        """Accept ``None``, a Correlations, a mapping ``{(a, b): r}`` or a list ``[[a, b, r]]``."""
        if value is None:
            return cls()
        if isinstance(value, Correlations):
            return value
        items: Iterable[Any] = value.items() if isinstance(value, Mapping) else value
        pairs: dict[tuple[str, str], float] = {}
        for item in items:
            if isinstance(value, Mapping):
                key, r = item
                if isinstance(key, str):
                    a, _, b = key.partition(",")
                    key = (a.strip(), b.strip())
                a, b = key
            else:
                try:
                    a, b, r = item
                except (TypeError, ValueError):
                    raise CorrelationError(
                        f"correlation entry {item!r} must be [input_a, input_b, r]"
                    ) from None
            pairs[(str(a), str(b))] = r
        return cls(pairs)

    def __bool__(self) -> bool:
        return any(r != 0 for r in self.pairs.values())

    def validated(self, names: Sequence[str]) -> Correlations:
        """Check names, |r| ≤ 1 and positive semi-definiteness; return a canonical copy.

        Only the inputs that appear in a pair enter the dense PSD check, so a budget with
        10⁴ inputs and two correlated ones checks a 2×2 matrix.
        """
        index = {n: i for i, n in enumerate(names)}
        clean: dict[tuple[str, str], float] = {}
        for (a, b), r in self.pairs.items():
            for n in (a, b):
                if n not in index:
                    raise CorrelationError(f"correlation ({a}, {b}): unknown input {n!r}")
            if a == b:
                raise CorrelationError(f"correlation ({a}, {b}): an input cannot pair with itself")
            try:
                r = float(r)
            except (TypeError, ValueError):
                raise CorrelationError(f"correlation ({a}, {b}): r must be a number") from None
            if math.isnan(r) or abs(r) > 1:
                raise CorrelationError(f"correlation ({a}, {b}): r = {r!r} is not in [-1, 1]")
            key = (a, b) if index[a] < index[b] else (b, a)
            if key in clean and clean[key] != r:
                raise CorrelationError(f"correlation ({a}, {b}) given twice with different r")
            if r != 0:
                clean[key] = r
        seen: set[str] = set()
        for ens in self.ensembles:
            for n in ens.names:
                if n not in index:
                    raise CorrelationError(f"jointly estimated inputs: unknown input {n!r}")
                if n in seen:
                    raise CorrelationError(f"input {n!r} is in two jointly estimated groups")
                seen.add(n)
        out = Correlations(clean, list(self.ensembles))
        involved = out.involved(names)
        if involved:
            matrix = out.matrix(involved)
            lowest = float(np.linalg.eigvalsh(matrix).min())
            if lowest < -1e-10:
                raise CorrelationError(
                    "correlation matrix of inputs "
                    + ", ".join(involved)
                    + f" is not positive semi-definite (smallest eigenvalue {lowest:.3g})"
                )
        return out

    def involved(self, names: Sequence[str]) -> list[str]:
        """Names appearing in at least one non-zero pair, in the order of ``names``."""
        used = {n for pair in self.pairs for n in pair}
        return [n for n in names if n in used]

    def matrix(self, names: Sequence[str]) -> np.ndarray:
        """Dense correlation matrix over ``names`` (identity where no pair is given)."""
        index = {n: i for i, n in enumerate(names)}
        m = np.eye(len(names))
        for (a, b), r in self.pairs.items():
            if a in index and b in index:
                m[index[a], index[b]] = m[index[b], index[a]] = r
        return m

    def to_list(self) -> list[list[Any]]:
        """JSON-safe ``[[a, b, r], ...]``."""
        return [[a, b, r] for (a, b), r in self.pairs.items()]


# -- budget-file specification ------------------------------------------------------------

_COMMON_KEYS = {"value", "u", "dof", "distribution", "unit", "description", "name"}
#: fields every input spec may carry
_META_KEYS = frozenset({"name", "unit", "description", "distribution"})
#: how a standard uncertainty may be given (normal and t): u, or expanded U with k or p
_STD_KEYS = frozenset({"value", "u", "expanded", "U", "k", "p"})
_LIMIT_KEYS = frozenset({"lower", "upper", "value", "half_width"})
#: the fields each kind of input accepts — anything else (``dgo`` for ``dof``) is an error
INPUT_KEYS: dict[str, frozenset[str]] = {
    "normal": _STD_KEYS | {"dof", "pooled", "n"},
    "t": _STD_KEYS | {"scale", "dof"},
    "rectangular": _LIMIT_KEYS | {"dof"},
    "triangular": _LIMIT_KEYS | {"dof"},
    "arcsine": _LIMIT_KEYS | {"dof"},
    "trapezoidal": _LIMIT_KEYS | {"beta", "dof"},
    "curvilinear_trapezoid": _LIMIT_KEYS | {"d", "dof"},
    "exponential": frozenset({"value", "dof"}),
    "gamma": frozenset({"shape", "scale", "dof"}),
    "observations": frozenset({"observations", "pooled"}),
    "calibration": frozenset({"calibration"}),
}


def check_keys(name: str, spec: Mapping[str, Any], kind: str) -> None:
    """Refuse fields the input kind does not use, naming the first one (a typo is not ignored)."""
    allowed = INPUT_KEYS[kind] | _META_KEYS
    unknown = sorted((str(k) for k in spec if k not in allowed), key=lambda k: spec[k] is not None)
    if unknown:
        hint = ""
        if spec[unknown[0]] is None:
            # YAML flow style {a: 1, description: x, y} makes "y" a key without a value
            hint = " (a comma in unquoted text inside {…} starts a new key: quote the text)"
        raise InputError(
            name,
            f"unknown field {unknown[0]!r} for a {kind} input{hint}"
            f"{'' if hint else did_you_mean(unknown[0], allowed)}; allowed: "
            + ", ".join(sorted(allowed)),
            field=unknown[0],
        )


def unit_text(name: str, value: Any) -> str:
    """The unit label of an input, refusing text mangled by YAML escapes.

    In a double-quoted YAML string ``"\\volt"`` becomes a vertical tab + ``olt`` and
    ``"\\tothe{2}"`` a tab + ``othe{2}``: D-SI units go unquoted in block style
    (``unit: \\micro\\metre\\tothe{2}``) or in single quotes (``unit: '\\volt'``).
    """
    if value is None:
        return ""
    text = str(value)
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise InputError(
            name,
            f"unit {text!r} contains a control character: a D-SI unit in double quotes has its "
            "backslashes read as YAML escapes (\\v, \\t, \\n …); write it unquoted "
            "(unit: \\volt) or in single quotes (unit: '\\micro\\metre\\tothe{2}'), or "
            "double each backslash inside double quotes",
        )
    return text


def _num(name: str, spec: Mapping[str, Any], key: str) -> float:
    if key not in spec:
        raise InputError(name, f"missing field {key!r}")
    try:
        val = float(spec[key])
    except (TypeError, ValueError):
        raise InputError(name, f"field {key!r} must be a number, got {spec[key]!r}") from None
    if math.isnan(val):
        raise InputError(name, f"field {key!r} is NaN")
    return val


def _limits_from(name: str, spec: Mapping[str, Any]) -> tuple[float, float]:
    """Limits from ``lower``/``upper`` or ``value`` ± ``half_width``."""
    if "lower" in spec or "upper" in spec:
        return _num(name, spec, "lower"), _num(name, spec, "upper")
    value = _num(name, spec, "value")
    if "half_width" in spec:
        a = _num(name, spec, "half_width")
        if a < 0:
            raise InputError(name, f"half_width must be ≥ 0, got {a!r}")
        return value - a, value + a
    raise InputError(name, "give 'lower' and 'upper', or 'value' and 'half_width'")


def _std_from(name: str, spec: Mapping[str, Any], dof: float = math.inf) -> float:
    """Standard uncertainty from ``u``, or an expanded uncertainty ``expanded`` (alias ``U``)
    with its coverage factor ``k`` or coverage probability ``p`` (GUM 4.3.3–4.3.4: a certificate's
    U = k·u; with ``p``, k = t_p(ν) for the input's ``dof``, the normal quantile for ν = ∞)."""
    given = [key for key in ("u", "expanded", "U") if key in spec]
    if len(given) > 1:
        raise InputError(name, f"give one of 'u', 'expanded', 'U', not {' and '.join(given)}")
    if "u" in spec:
        for key in ("k", "p"):
            if key in spec:
                raise InputError(name, f"field {key!r} belongs to an expanded uncertainty 'U'")
        u = spec["u"]
    elif given:
        big = _num(name, spec, given[0])
        if big < 0:
            raise InputError(name, f"{given[0]} must be ≥ 0, got {big!r}")
        if ("k" in spec) == ("p" in spec):
            raise InputError(name, f"{given[0]} needs its coverage factor 'k' (or 'p'), not both")
        if "k" in spec:
            k = _num(name, spec, "k")
            if not (k > 0 and math.isfinite(k)):
                raise InputError(name, f"coverage factor k must be > 0, got {k!r}")
        else:
            from .gum import coverage_factor  # gum imports this module

            p = _num(name, spec, "p")
            if not 0 < p < 1:
                raise InputError(name, f"coverage probability p must be in (0, 1), got {p!r}")
            k = coverage_factor(p, dof, truncate=False)
        u = big / k
    else:
        raise InputError(name, "missing field 'u' (or 'U' with 'k')")
    _check_u(name, u)
    return float(u)


def _pooled(name: str, spec: Mapping[str, Any]) -> tuple[float, float]:
    """(s_p, ν_p) of a ``pooled:`` field — a pooled standard deviation from earlier series.

    ``pooled: {s: 0.012, dof: 40}`` or ``pooled: {series: [[...], [...], ...]}`` (s_p² the
    dof-weighted mean of the series variances, ν_p = Σ(n_j − 1); GUM 4.2.4, H.3.6 note,
    JJF 1059.1 4.3.3.4).
    """
    pooled = spec["pooled"]
    if not isinstance(pooled, Mapping):
        raise InputError(name, "pooled must be a mapping {s: …, dof: …} or {series: [[…], …]}")
    if "series" in pooled:
        extra = sorted(str(k) for k in pooled if k != "series")
        if extra:
            raise InputError(name, f"unknown field 'pooled.{extra[0]}' next to 'pooled.series'")
        ss, nu = 0.0, 0
        for j, series in enumerate(pooled["series"] or []):
            try:
                arr = np.asarray(series, dtype=float)
            except (TypeError, ValueError):
                raise InputError(name, f"pooled.series[{j}] must be numbers") from None
            if arr.ndim != 1 or arr.size < 2 or not np.all(np.isfinite(arr)):
                raise InputError(name, f"pooled.series[{j}] needs ≥ 2 finite observations")
            ss += float(((arr - arr.mean()) ** 2).sum())
            nu += arr.size - 1
        if nu == 0:
            raise InputError(name, "pooled.series is empty")
        return math.sqrt(ss / nu), float(nu)
    extra = sorted(str(k) for k in pooled if k not in ("s", "dof"))
    if extra:
        raise InputError(name, f"unknown field 'pooled.{extra[0]}'; pooled takes s and dof")
    s = _num(name, pooled, "s")
    nu = _num(name, pooled, "dof")
    if not (math.isfinite(s) and s >= 0):
        raise InputError(name, f"pooled.s must be finite and ≥ 0, got {s!r}")
    if not nu > 0:
        raise InputError(name, f"pooled.dof must be > 0, got {nu!r}")
    return s, nu


def _pooled_pdf(value: float, u: float, dof: float) -> d.Distribution:
    """t_ν(value, u²) for the MCM (JCGM 101 §6.4.9); normal when ν = ∞."""
    return d.Normal(value, u) if math.isinf(dof) else d.StudentT(value, u, dof)


def input_from_spec(name: str, spec: Mapping[str, Any]) -> Input:
    """Build an :class:`Input` from a budget-file mapping (see docs/uncertainty.md).

    Raises :class:`InputError` / :class:`DistributionError` naming the input on any bad field.
    """
    if not isinstance(spec, Mapping):
        raise InputError(name, f"specification must be a mapping, got {type(spec).__name__}")
    extra = {
        "unit": unit_text(name, spec.get("unit")),
        "description": str(spec.get("description", "")),
    }
    if "calibration" in spec:
        from .curves import curve_input

        check_keys(name, spec, "calibration")
        dist_c, dof_c, _fit = curve_input(name, spec["calibration"])
        return Input(name, dist_c, dof_c, **extra)
    if "observations" in spec:
        check_keys(name, spec, "observations")
        if "pooled" in spec:
            # GUM 4.2.4: x̄ of these n observations, u = s_p/√n with the pooled s_p and its ν
            obs = type_a(name, spec["observations"])
            s_p, nu_p = _pooled(name, spec)
            n_obs = round(obs.dof) + 1
            u_p = s_p / math.sqrt(n_obs)
            return Input(name, _pooled_pdf(obs.value, u_p, nu_p), nu_p, **extra)
        inp = type_a(name, spec["observations"], **extra)
        return inp
    dist_name = str(spec.get("distribution", "normal")).lower()
    canonical = d.DISTRIBUTION_NAMES.get(dist_name)
    if canonical is None:
        raise DistributionError(
            f"input {name!r}: unknown distribution {dist_name!r}"
            f"{did_you_mean(dist_name, d.DISTRIBUTION_NAMES)}; known: "
            + ", ".join(sorted(set(d.DISTRIBUTION_NAMES.values())))
        )
    check_keys(name, spec, canonical)
    if "pooled" in spec:
        # GUM 4.2.4: the mean of n new observations, u = s_p/√n, ν = ν_p of the pooled s_p
        for key in ("u", "expanded", "U", "k", "p", "dof"):
            if key in spec:
                raise InputError(name, f"field {key!r} conflicts with 'pooled' (u = s_p/√n)")
        s_p, nu_p = _pooled(name, spec)
        n_new = spec.get("n", 1)
        if not (isinstance(n_new, int) and not isinstance(n_new, bool) and n_new >= 1):
            raise InputError(name, f"n (observations averaged) must be an integer ≥ 1: {n_new!r}")
        u_p = s_p / math.sqrt(n_new)
        return Input(name, _pooled_pdf(_num(name, spec, "value"), u_p, nu_p), nu_p, **extra)
    if "n" in spec:
        raise InputError(name, "field 'n' is used with 'pooled' only")
    dof = spec.get("dof", math.inf)
    try:
        dof = (
            math.inf
            if dof is None or str(dof).lower() in {"inf", "infinity", ".inf"}
            else float(dof)
        )
    except (TypeError, ValueError):
        raise InputError(name, f"dof must be a number or 'inf', got {dof!r}") from None
    try:
        dist: d.Distribution
        if canonical == "normal":
            dist = d.Normal(_num(name, spec, "value"), _std_from(name, spec, dof))
        elif canonical == "t":
            given = any(key in spec for key in ("u", "expanded", "U"))
            scale = _std_from(name, spec, dof) if given else None
            if scale is None:
                scale = _num(name, spec, "scale")
            if math.isinf(dof):
                raise InputError(name, "a t distribution needs finite 'dof'")
            dist = d.StudentT(_num(name, spec, "value"), scale, dof)
        elif canonical == "rectangular":
            dist = d.Rectangular(*_limits_from(name, spec))
        elif canonical == "triangular":
            dist = d.Triangular(*_limits_from(name, spec))
        elif canonical == "arcsine":
            dist = d.Arcsine(*_limits_from(name, spec))
        elif canonical == "trapezoidal":
            dist = d.Trapezoidal(*_limits_from(name, spec), _num(name, spec, "beta"))
        elif canonical == "curvilinear_trapezoid":
            dist = d.CurvilinearTrapezoid(*_limits_from(name, spec), _num(name, spec, "d"))
        elif canonical == "exponential":
            dist = d.Exponential(_num(name, spec, "value"))
        else:  # gamma
            dist = d.Gamma(_num(name, spec, "shape"), _num(name, spec, "scale"))
    except DistributionError as exc:
        raise DistributionError(f"input {name!r}: {exc}") from None
    return Input(name, dist, dof, **extra)


_SIMULTANEOUS_KEYS = {"inputs", "rows", "units", "descriptions", "pdf", "description"}


def simultaneous_from_spec(spec: Any) -> tuple[list[Input], Correlations]:
    """Inputs from the ``simultaneous:`` block(s) of a budget file (GUM H.2, C.3.6).

    Each block names the inputs observed together and gives one row per set of observations::

        simultaneous:
          - inputs: [V, I, phi]
            units: [V, A, rad]          # optional, one per input (or a mapping)
            pdf: normal                 # or t (JCGM 102 §5.3.2); for the Monte Carlo method
            rows:
              - [5.007, 19.663e-3, 1.0456]
              - [4.994, 19.639e-3, 1.0438]

    Returns the inputs (means, standard uncertainties of the means, ν = n − 1) and their
    correlations with one :class:`Ensemble` per block (see :func:`type_a_multivariate`).
    """
    blocks = [spec] if isinstance(spec, Mapping) else spec
    if not isinstance(blocks, list):
        raise InputError("simultaneous", "must be a mapping or a list of mappings")
    inputs: list[Input] = []
    pairs: dict[tuple[str, str], float] = {}
    ensembles: list[Ensemble] = []
    for k, block in enumerate(blocks):
        where = f"simultaneous[{k}]"
        if not isinstance(block, Mapping):
            raise InputError(where, "must be a mapping with 'inputs' and 'rows'")
        unknown = sorted(set(block) - _SIMULTANEOUS_KEYS)
        if unknown:
            raise InputError(where, f"unknown field {unknown[0]!r}")
        names = block.get("inputs")
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            raise InputError(where, "'inputs' must be a non-empty list of input names")
        if len(set(names)) != len(names):
            raise InputError(where, "an input is named twice in 'inputs'")
        rows = block.get("rows")
        if not isinstance(rows, list) or not rows:
            raise InputError(where, "'rows' must be a list of sets of observations")
        for i, row in enumerate(rows):
            if not isinstance(row, list) or len(row) != len(names):
                raise InputError(
                    where,
                    f"row {i + 1} must list {len(names)} values, one per input "
                    f"({', '.join(names)}), got {row!r}",
                )
        units = block.get("units") or {}
        if isinstance(units, list):
            if len(units) != len(names):
                raise InputError(where, f"'units' must list {len(names)} units, one per input")
            units = dict(zip(names, units, strict=True))
        if not isinstance(units, Mapping):
            raise InputError(where, "'units' must be a list or a mapping of input → unit")
        descriptions = block.get("descriptions") or {}
        if not isinstance(descriptions, Mapping):
            raise InputError(where, "'descriptions' must be a mapping of input → text")
        columns = {n: [row[j] for row in rows] for j, n in enumerate(names)}
        got, corr = type_a_multivariate(
            columns, pdf=str(block.get("pdf", "normal")), units=units, descriptions=descriptions
        )
        inputs += got
        pairs.update(corr.pairs)
        ensembles += corr.ensembles
    return inputs, Correlations(pairs, ensembles)


class InputSet:
    """Ordered inputs held as parallel arrays (names, x, u, ν) — the fast path for large N.

    :func:`~jiliang.core.uncertainty.gum.lpu` accepts either a list of :class:`Input` or an
    InputSet; building 10⁴ :class:`Input` objects costs more than propagating them, so
    :meth:`from_arrays` skips the per-input objects (all normal PDFs) and validates with numpy.
    """

    def __init__(
        self,
        names: list[str] | None,
        x: np.ndarray,
        u: np.ndarray,
        dof: np.ndarray,
        items: list[Input] | None = None,
        prefix: str = "x",
    ) -> None:
        self._names = names
        self._prefix = prefix
        self.x = x
        self.u = u
        self.dof = dof
        self._items = items

    @property
    def names(self) -> list[str]:
        """Input names; default names ``x0, x1, …`` are made on first use (vector models
        never need them, and 10⁴ f-strings cost more than the propagation)."""
        if self._names is None:
            self._names = [f"{self._prefix}{i}" for i in range(self.x.size)]
        return self._names

    @classmethod
    def of(cls, inputs: Sequence[Input] | InputSet) -> InputSet:
        """Coerce a list of :class:`Input` (or an InputSet) into an InputSet."""
        if isinstance(inputs, InputSet):
            return inputs
        items = list(inputs)
        for it in items:
            if not isinstance(it, Input):
                raise InputError(str(it), f"expected an Input, got {type(it).__name__}")
        names = [i.name for i in items]
        if len(set(names)) != len(names):
            dup = sorted({n for n in names if names.count(n) > 1})
            raise InputError(dup[0], "duplicate input name")
        return cls(
            names,
            np.array([i.value for i in items], dtype=float),
            np.array([i.u for i in items], dtype=float),
            np.array([float(i.dof) for i in items], dtype=float),
            items,
        )

    @classmethod
    def from_arrays(
        cls,
        values: Sequence[float] | np.ndarray,
        u: Sequence[float] | np.ndarray,
        dof: Sequence[float] | np.ndarray | None = None,
        names: Sequence[str] | None = None,
        prefix: str = "x",
    ) -> InputSet:
        """Normal inputs from arrays; names default to ``x0, x1, …``."""
        x = np.asarray(values, dtype=float).ravel()
        uu = np.asarray(u, dtype=float).ravel()
        nu = np.full(x.size, math.inf) if dof is None else np.asarray(dof, dtype=float).ravel()
        nm = None if names is None else list(names)
        if not (uu.size == x.size == nu.size == (x.size if nm is None else len(nm))):
            raise InputError(prefix, "values, u, dof and names must have the same length")
        for arr, what, ok in (
            (x, "estimate must be finite", np.isfinite(x)),
            (uu, "standard uncertainty must be finite and ≥ 0", np.isfinite(uu) & (uu >= 0)),
            (nu, "degrees of freedom must be > 0", nu > 0),
        ):
            bad = np.flatnonzero(~ok)
            if bad.size:
                name = f"{prefix}{bad[0]}" if nm is None else nm[bad[0]]
                raise InputError(name, f"{what}, got {arr[bad[0]]!r}")
        if nm is not None and len(set(nm)) != len(nm):
            raise InputError(nm[0], "duplicate input names")
        return cls(nm, x, uu, nu, prefix=prefix)

    def __len__(self) -> int:
        return int(self.x.size)

    @property
    def array_made(self) -> bool:
        """True for a set made by :meth:`from_arrays` (normal PDFs, no Input objects yet)."""
        return self._items is None

    def __getitem__(self, i: int) -> Input:
        return self.items[i]

    @property
    def items(self) -> list[Input]:
        """The :class:`Input` objects (built on first use for array-made sets)."""
        if self._items is None:
            self._items = [
                Input(n, d.Normal(float(v), float(s)), float(k))
                for n, v, s, k in zip(self.names, self.x, self.u, self.dof, strict=True)
            ]
        return self._items
