"""Probability distributions assigned to input quantities (输入量的概率分布), JCGM 101 §6.4.

Each distribution knows three things:

* ``estimate`` — the value used as the input estimate x_i by the LPU (GUM law of propagation);
* ``standard_uncertainty`` — u(x_i) for the LPU. For the scaled-and-shifted t distribution this is
  the GUM Type A value s/√n (the scale), not the standard deviation of the t distribution, so that
  LPU with ν = n − 1 and MCM with t_ν agree with JCGM 101 §6.4.9;
* ``sample(rng, n)`` — n draws for the Monte Carlo method, vectorised with numpy.

Units are those of the input quantity; :meth:`Distribution.scaled` gives the PDF of c·X, which
is how a budget converts an input to another unit (mg → g is c = 10⁻³).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from .errors import DistributionError

__all__ = [
    "DISTRIBUTION_NAMES",
    "Arcsine",
    "CurvilinearTrapezoid",
    "Distribution",
    "Exponential",
    "Gamma",
    "Normal",
    "Rectangular",
    "StudentT",
    "Trapezoidal",
    "Triangular",
]


def _finite(name: str, value: float) -> float:
    value = float(value)
    if not math.isfinite(value):
        raise DistributionError(f"distribution parameter {name!r} must be finite, got {value!r}")
    return value


def _limits(lower: float, upper: float) -> tuple[float, float]:
    lower, upper = _finite("lower", lower), _finite("upper", upper)
    if not upper >= lower:
        raise DistributionError(f"upper limit {upper!r} must be ≥ lower limit {lower!r}")
    return lower, upper


@dataclass(frozen=True)
class Distribution:
    """Base class: subclasses set ``name`` and implement the three members."""

    name: str = field(init=False, default="")

    @property
    def estimate(self) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def standard_uncertainty(self) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe description: ``{"distribution": name, **parameters}``."""
        params = {k: v for k, v in self.__dict__.items() if k != "name"}
        return {"distribution": self.name, **params}

    def scaled(self, factor: float) -> Distribution:
        """The PDF of ``factor``·X for ``factor`` > 0 — a change of unit.

        Location and width parameters (in the unit of X) are multiplied; shape parameters that
        have no unit (β of the trapezoid, ν of t, the gamma shape) are kept.
        """
        factor = float(factor)
        if not (factor > 0 and math.isfinite(factor)):
            raise DistributionError(f"scale factor must be finite and > 0, got {factor!r}")
        params = {
            f.name: getattr(self, f.name) * (1.0 if f.name in _SHAPE_PARAMETERS else factor)
            for f in fields(self)
            if f.init
        }
        return type(self)(**params)


#: parameters without a unit, unchanged by :meth:`Distribution.scaled`
_SHAPE_PARAMETERS = frozenset({"beta", "dof", "shape"})


@dataclass(frozen=True)
class Normal(Distribution):
    """Gaussian N(mean, sd²) (正态分布), JCGM 101 §6.4.7."""

    mean: float
    sd: float
    name: str = field(init=False, default="normal")

    @property
    def estimate(self) -> float:
        return self.mean

    @property
    def standard_uncertainty(self) -> float:
        return self.sd

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        # standard_normal + in-place scaling measures faster than rng.normal(mean, sd, n)
        out = rng.standard_normal(n)
        out *= self.sd
        out += self.mean
        return out


@dataclass(frozen=True)
class _Interval(Distribution):
    """Shared part of the PDFs defined on limits [a, b], symmetric about (a + b)/2."""

    lower: float
    upper: float

    def __post_init__(self) -> None:
        _limits(self.lower, self.upper)

    @property
    def estimate(self) -> float:
        return (self.lower + self.upper) / 2


@dataclass(frozen=True)
class Rectangular(_Interval):
    """Uniform R(a, b) (矩形/均匀分布), JCGM 101 §6.4.2: u = (b − a)/√12."""

    name: str = field(init=False, default="rectangular")

    @property
    def standard_uncertainty(self) -> float:
        return (self.upper - self.lower) / math.sqrt(12.0)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.uniform(self.lower, self.upper, n)


@dataclass(frozen=True)
class Triangular(_Interval):
    """Symmetric triangular T(a, b) (三角分布), JCGM 101 §6.4.5: u = (b − a)/√24."""

    name: str = field(init=False, default="triangular")

    @property
    def standard_uncertainty(self) -> float:
        return (self.upper - self.lower) / math.sqrt(24.0)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        # JCGM 101 §6.4.5.4: ξ = a + (b − a)(r1 + r2)/2
        out = rng.random(n)
        out += rng.random(n)
        out *= (self.upper - self.lower) / 2
        out += self.lower
        return out


@dataclass(frozen=True)
class Trapezoidal(_Interval):
    """Symmetric trapezoid Trap(a, b, β) (梯形分布), JCGM 101 §6.4.4.

    β is the ratio of the top width to the base width (0 → triangular, 1 → rectangular);
    u² = (b − a)²(1 + β²)/24.
    """

    beta: float
    name: str = field(init=False, default="trapezoidal")

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0.0 <= float(self.beta) <= 1.0:
            raise DistributionError(f"trapezoidal 'beta' must be in [0, 1], got {self.beta!r}")

    @property
    def estimate(self) -> float:
        return (self.lower + self.upper) / 2

    @property
    def standard_uncertainty(self) -> float:
        return (self.upper - self.lower) * math.sqrt((1 + self.beta**2) / 24.0)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        # JCGM 101 §6.4.4.4: ξ = a + (b − a)[(1 + β) r1 + (1 − β) r2]/2
        half = (self.upper - self.lower) / 2
        out = rng.random(n)
        out *= (1 + self.beta) * half
        r2 = rng.random(n)
        r2 *= (1 - self.beta) * half
        out += r2
        out += self.lower
        return out


@dataclass(frozen=True)
class CurvilinearTrapezoid(_Interval):
    """Curvilinear trapezoid CTrap(a, b, d) (曲边梯形分布), JCGM 101 §6.4.3.

    A rectangular distribution whose limits a, b are themselves known only to ± d;
    u² = (b − a)²/12 + d²/9.
    """

    d: float
    name: str = field(init=False, default="curvilinear_trapezoid")

    def __post_init__(self) -> None:
        super().__post_init__()
        d = _finite("d", self.d)
        if not 0.0 <= d <= (self.upper - self.lower) / 2:
            raise DistributionError(
                f"curvilinear trapezoid 'd' must be in [0, (b − a)/2], got {self.d!r}"
            )

    @property
    def estimate(self) -> float:
        return (self.lower + self.upper) / 2

    @property
    def standard_uncertainty(self) -> float:
        return math.sqrt((self.upper - self.lower) ** 2 / 12.0 + self.d**2 / 9.0)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        # JCGM 101 §6.4.3.4: a_s = (a − d) + 2d r1, b_s = (a + b) − a_s, ξ = a_s + (b_s − a_s) r2
        a_s = rng.random(n)
        a_s *= 2 * self.d
        a_s += self.lower - self.d
        width = (self.lower + self.upper) - 2 * a_s
        out = rng.random(n)
        out *= width
        out += a_s
        return out


@dataclass(frozen=True)
class Arcsine(_Interval):
    """Arcsine (U-shaped) U(a, b) (反正弦分布), JCGM 101 §6.4.6: u = (b − a)/(2√2)."""

    name: str = field(init=False, default="arcsine")

    @property
    def standard_uncertainty(self) -> float:
        return (self.upper - self.lower) / (2 * math.sqrt(2.0))

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        # JCGM 101 §6.4.6.4: ξ = (a + b)/2 + (b − a)/2 · sin(2π r)
        out = rng.random(n)
        out *= 2 * math.pi
        np.sin(out, out=out)
        out *= (self.upper - self.lower) / 2
        out += (self.lower + self.upper) / 2
        return out


@dataclass(frozen=True)
class StudentT(Distribution):
    """Scaled and shifted t distribution t_ν(μ, s²) (t 分布), JCGM 101 §6.4.9.

    For a Type A evaluation from n observations μ = x̄, s = s(x)/√n, ν = n − 1. The LPU uses
    u = s with ν degrees of freedom (GUM 4.2); the Monte Carlo draws μ + s·t_ν.
    """

    mean: float
    scale: float
    dof: float
    name: str = field(init=False, default="t")

    def __post_init__(self) -> None:
        if not float(self.dof) > 0:
            raise DistributionError(f"t distribution 'dof' must be > 0, got {self.dof!r}")

    @property
    def estimate(self) -> float:
        return self.mean

    @property
    def standard_uncertainty(self) -> float:
        return self.scale

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        out = rng.standard_normal(n) if math.isinf(self.dof) else rng.standard_t(self.dof, n)
        out *= self.scale
        out += self.mean
        return out


@dataclass(frozen=True)
class Exponential(Distribution):
    """Exponential Ex(λ) with mean 1/λ (指数分布), JCGM 101 §6.4.10: u = mean."""

    mean: float
    name: str = field(init=False, default="exponential")

    def __post_init__(self) -> None:
        if not _finite("mean", self.mean) > 0:
            raise DistributionError(f"exponential 'mean' must be > 0, got {self.mean!r}")

    @property
    def estimate(self) -> float:
        return self.mean

    @property
    def standard_uncertainty(self) -> float:
        return self.mean

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.exponential(self.mean, n)


@dataclass(frozen=True)
class Gamma(Distribution):
    """Gamma G(α, β) with shape α and scale θ = 1/β (伽马分布), JCGM 101 §6.4.11.

    Mean αθ, u = √α·θ. For a Poisson count q, JCGM 101 uses G(q + 1, 1).
    """

    shape: float
    scale: float
    name: str = field(init=False, default="gamma")

    def __post_init__(self) -> None:
        if not _finite("shape", self.shape) > 0:
            raise DistributionError(f"gamma 'shape' must be > 0, got {self.shape!r}")
        if not _finite("scale", self.scale) > 0:
            raise DistributionError(f"gamma 'scale' must be > 0, got {self.scale!r}")

    @property
    def estimate(self) -> float:
        return self.shape * self.scale

    @property
    def standard_uncertainty(self) -> float:
        return math.sqrt(self.shape) * self.scale

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.gamma(self.shape, self.scale, n)


#: accepted spellings in budget files → canonical name
DISTRIBUTION_NAMES: dict[str, str] = {
    "normal": "normal",
    "gaussian": "normal",
    "rectangular": "rectangular",
    "uniform": "rectangular",
    "triangular": "triangular",
    "trapezoidal": "trapezoidal",
    "trapezoid": "trapezoidal",
    "curvilinear_trapezoid": "curvilinear_trapezoid",
    "ctrap": "curvilinear_trapezoid",
    "arcsine": "arcsine",
    "u-shaped": "arcsine",
    "u_shaped": "arcsine",
    "t": "t",
    "student_t": "t",
    "exponential": "exponential",
    "gamma": "gamma",
}
