r"""A measured quantity (量值): value, standard uncertainty, D-SI unit, degrees of freedom.

The uncertainty is stored as the *standard* uncertainty u (标准不确定度) in the same unit as the
value, with the coverage factor k and the distribution when the source stated them (DESIGN.md,
"Conventions"). :meth:`Quantity.expanded` gives U = k·u (扩展不确定度).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass, replace
from typing import Any

from jiliang.core import units
from jiliang.core.uncertainty.gum import coverage_factor as gum_coverage_factor

#: Distribution names accepted for the state of knowledge about the quantity.
DISTRIBUTIONS = frozenset(
    {"normal", "t", "rectangular", "triangular", "trapezoidal", "arcsine", "unknown"}
)


class QuantityError(ValueError):
    """A quantity with an invalid field; the message names the field."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


def _number(
    field: str,
    x: Any,
    *,
    minimum: float | None = None,
    positive: bool = False,
    allow_inf: bool = False,
) -> float:
    """``x`` as a float, or QuantityError naming ``field`` (NaN, ±inf unless allowed, bounds)."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real) or math.isnan(x):
        raise QuantityError(field, f"must be a number, got {x!r}")
    if math.isinf(x) and not (allow_inf and x > 0):
        raise QuantityError(field, f"must be finite, got {x!r}")
    if positive and x <= 0:
        raise QuantityError(field, f"must be > 0, got {x!r}")
    if minimum is not None and x < minimum:
        raise QuantityError(field, f"must be ≥ {minimum:g}, got {x!r}")
    return float(x)


def coverage_factor(p: float = 0.95, dof: float = math.inf) -> float:
    """Coverage factor k_p for coverage probability p: Student t with ``dof`` (normal if ∞).

    The one implementation is :func:`jiliang.core.uncertainty.gum.coverage_factor`, which
    truncates ν_eff to the next lower integer as JCGM 100 G.4.1 note 1 requires (ν = 3.5 gives
    k = 3.182, the value for ν = 3); this wrapper only names the bad field. JCGM 100 table G.2:
    ``coverage_factor(0.95, 10) ≈ 2.23``; ``coverage_factor(0.95)`` ≈ 1.96.
    """
    if not 0.0 < p < 1.0 or math.isnan(p):
        raise QuantityError("p", f"coverage probability must be in (0, 1), got {p}")
    if not dof > 0:
        raise QuantityError("dof", f"degrees of freedom must be > 0, got {dof}")
    return gum_coverage_factor(p, dof)


@dataclass(frozen=True, slots=True)
class Quantity:
    r"""Value with standard uncertainty ``u`` (same unit), D-SI ``unit``, dof ν, k, distribution.

    ``unit`` is normalised to canonical D-SI (pint spellings such as ``"mm"`` are accepted and
    converted). ``dof`` is ``math.inf`` when the uncertainty is taken as exactly known.
    """

    value: float
    u: float = 0.0
    unit: str = "\\one"
    dof: float = math.inf
    k: float | None = None
    distribution: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", _number("value", self.value))
        object.__setattr__(self, "u", _number("u", self.u, minimum=0.0))
        object.__setattr__(self, "dof", _number("dof", self.dof, positive=True, allow_inf=True))
        if self.k is not None:
            object.__setattr__(self, "k", _number("k", self.k, positive=True))
        if self.distribution is not None and self.distribution not in DISTRIBUTIONS:
            raise QuantityError(
                "distribution",
                f"unknown distribution {self.distribution!r}; use one of {sorted(DISTRIBUTIONS)}",
            )
        try:
            canonical = (
                units.normalise_dsi(self.unit)
                if units.is_dsi(self.unit)
                else units.from_pint(self.unit)
            )
        except units.UnitError as err:
            raise QuantityError("unit", str(err)) from err
        object.__setattr__(self, "unit", canonical)

    @classmethod
    def from_expanded(
        cls,
        value: float,
        expanded_uncertainty: float,
        k: float,
        unit: str = "\\one",
        **kwargs: Any,
    ) -> Quantity:
        """Build from a reported U and its k (u = U/k), e.g. a certificate's "U = 0.2 mm, k = 2"."""
        k = _number("k", k, positive=True)
        expanded_uncertainty = _number("expanded_uncertainty", expanded_uncertainty, minimum=0.0)
        return cls(value, expanded_uncertainty / k, unit, k=k, **kwargs)

    def expanded(self, k: float | None = None, p: float = 0.95) -> float:
        """Expanded uncertainty U = k·u; k defaults to the stored k, else t-quantile for p and ν."""
        if k is None:
            k = self.k if self.k is not None else coverage_factor(p, self.dof)
        return _number("k", k, positive=True) * self.u

    @property
    def relative_u(self) -> float:
        """Relative standard uncertainty u/|value| (dimensionless)."""
        if self.value == 0:
            raise QuantityError("value", "relative uncertainty is undefined for a zero value")
        return self.u / abs(self.value)

    def to(self, unit: str) -> Quantity:
        r"""This quantity in another unit; u is converted as a difference (no ℃ offset)."""
        return replace(
            self,
            value=float(units.convert(self.value, self.unit, unit)),
            u=float(units.convert_difference(self.u, self.unit, unit)),
            unit=unit,
        )

    def to_si(self) -> Quantity:
        """This quantity in coherent SI (the platform's storage form)."""
        return self.to(units.si_unit(self.unit))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (``dof`` ∞ is written as ``None``)."""
        data = asdict(self)
        if math.isinf(self.dof):
            data["dof"] = None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Quantity:
        """Inverse of :meth:`to_dict`."""
        data = dict(data)
        if data.get("dof") is None:
            data["dof"] = math.inf
        return cls(**data)

    def __str__(self) -> str:
        return f"{self.value:.10g} ± {self.u:.2g} (u) {self.unit}"
