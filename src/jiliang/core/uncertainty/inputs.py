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
from .errors import CorrelationError, DistributionError, InputError

__all__ = [
    "Correlations",
    "Input",
    "input_from_spec",
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
) -> tuple[list[Input], Correlations]:
    """Type A evaluation of simultaneous observations (GUM 5.2.3, H.2).

    ``observations`` maps each input name to its n observations taken in the same sets. Returns
    inputs (x̄_i, s(x̄_i), ν = n − 1, normal PDFs) and the correlation coefficients
    r(x̄_i, x̄_j) = s(x̄_i, x̄_j)/(s(x̄_i) s(x̄_j)) of GUM eq. (17).
    """
    names = list(observations)
    data = [np.asarray(observations[k], dtype=float) for k in names]
    n = {a.size for a in data}
    if len(n) != 1:
        raise InputError(",".join(names), "simultaneous observations must have equal length")
    (n_obs,) = n
    if n_obs < 2:
        raise InputError(",".join(names), "Type A evaluation needs at least 2 observations")
    matrix = np.vstack(data)
    cov_mean = np.cov(matrix, ddof=1) / n_obs
    u = np.sqrt(np.diag(cov_mean))
    inputs = [
        Input(name, d.Normal(float(matrix[i].mean()), float(u[i])), n_obs - 1)
        for i, name in enumerate(names)
    ]
    pairs = {}
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            if u[i] > 0 and u[j] > 0:
                pairs[(names[i], names[j])] = float(cov_mean[i, j] / (u[i] * u[j]))
    return inputs, Correlations(pairs)


@dataclass
class Correlations:
    """Sparse symmetric correlation coefficients r(x_i, x_j) between named inputs."""

    pairs: dict[tuple[str, str], float] = field(default_factory=dict)

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
        out = Correlations(clean)
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


def _std_from(name: str, spec: Mapping[str, Any]) -> float:
    """Standard uncertainty from ``u`` or ``expanded`` / ``k``."""
    if "u" in spec:
        u = spec["u"]
    elif "expanded" in spec:
        k = _num(name, spec, "k")
        if k <= 0:
            raise InputError(name, f"coverage factor k must be > 0, got {k!r}")
        u = _num(name, spec, "expanded") / k
    else:
        raise InputError(name, "missing field 'u' (or 'expanded' with 'k')")
    _check_u(name, u)
    return float(u)


def input_from_spec(name: str, spec: Mapping[str, Any]) -> Input:
    """Build an :class:`Input` from a budget-file mapping (see docs/uncertainty.md).

    Raises :class:`InputError` / :class:`DistributionError` naming the input on any bad field.
    """
    if not isinstance(spec, Mapping):
        raise InputError(name, f"specification must be a mapping, got {type(spec).__name__}")
    extra = {"unit": str(spec.get("unit", "")), "description": str(spec.get("description", ""))}
    if "observations" in spec:
        inp = type_a(name, spec["observations"], **extra)
        return inp
    dist_name = str(spec.get("distribution", "normal")).lower()
    canonical = d.DISTRIBUTION_NAMES.get(dist_name)
    if canonical is None:
        raise DistributionError(
            f"input {name!r}: unknown distribution {dist_name!r}; known: "
            + ", ".join(sorted(set(d.DISTRIBUTION_NAMES.values())))
        )
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
            dist = d.Normal(_num(name, spec, "value"), _std_from(name, spec))
        elif canonical == "t":
            scale = _std_from(name, spec) if ("u" in spec or "expanded" in spec) else None
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
