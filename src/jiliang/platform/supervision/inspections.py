"""Prepackaged-goods inspections; the verdict is :func:`core.legal.prepackaged.inspect_lot`'s."""

from __future__ import annotations

import datetime as dt
import math

from django.db import transaction

from jiliang.core.legal.prepackaged import InsufficientSampleError, inspect_lot
from jiliang.core.legal.rules import RuleError
from jiliang.platform.audit.context import acting_as
from jiliang.platform.registry.models import Organisation

from .models import PrepackagedInspection


class InspectionError(ValueError):
    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors


def record_inspection(
    user,
    organisation: Organisation,
    product: str,
    nominal: float,
    kind: str,
    lot_size: int,
    units: list[float],
    inspected_on: dt.date,
    gross: bool = False,
    tare: float | None = None,
    edition: str | None = None,
) -> PrepackagedInspection:
    """Judge the lot with the core and store the record with every number of the report."""
    errors = {}
    if not product.strip():
        errors["product"] = "required"
    if not (isinstance(nominal, int | float) and math.isfinite(nominal) and nominal > 0):
        errors["nominal"] = "must be a positive number"
    if kind not in PrepackagedInspection.Kind.values:
        errors["kind"] = f"must be one of {PrepackagedInspection.Kind.values}"
    if not units or not all(isinstance(u, int | float) and math.isfinite(u) for u in units):
        errors["units"] = "must be a non-empty list of numbers"
    if gross and tare is None:
        errors["tare"] = "required when the measured values are gross weights"
    if errors:
        raise InspectionError(errors)
    try:
        v = inspect_lot(
            nominal,
            kind,
            lot_size,
            **({"gross": units, "tare": tare} if gross else {"net": units}),
            as_of=inspected_on,
            edition=edition or None,
        )
    except InsufficientSampleError as exc:
        raise InspectionError({"units": str(exc)}) from None
    except (ValueError, RuleError) as exc:
        field = "lot_size" if "lot_size" in str(exc) else "units"
        raise InspectionError({field: str(exc)}) from None
    with transaction.atomic(), acting_as(user):
        return PrepackagedInspection.objects.create(
            organisation=organisation,
            product=product.strip(),
            nominal=nominal,
            kind=kind,
            lot_size=lot_size,
            gross=gross,
            tare=tare,
            units=list(units),
            inspected_on=inspected_on,
            inspector=user if user is not None and user.is_authenticated else None,
            passed=v.passed,
            sample_n=v.plan.n,
            t=v.t,
            mean=v.mean,
            s=v.s,
            mean_limit=v.mean_limit,
            correction=v.plan.lambda_ if v.plan.mean_check else None,
            n_short_t=v.n_short_t,
            n_short_2t=v.n_short_2t,
            reasons=list(v.reasons),
            edition=v.plan.edition,
        )
