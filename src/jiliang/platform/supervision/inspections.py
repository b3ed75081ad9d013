"""Prepackaged-goods inspections; the verdict is :func:`core.legal.prepackaged.inspect_lot`'s."""

from __future__ import annotations

import datetime as dt
import math

from django.db import transaction
from django.utils.translation import gettext as _

from jiliang.core.legal.prepackaged import InsufficientSampleError, inspect_lot, sampling_plan
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
    *,
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
        errors["product"] = _("必填")
    if not (isinstance(nominal, int | float) and math.isfinite(nominal) and nominal > 0):
        errors["nominal"] = _("须为正数")
    if kind not in PrepackagedInspection.Kind.values:
        errors["kind"] = _("须为以下之一：%(kinds)s") % {
            "kinds": ", ".join(PrepackagedInspection.Kind.values)
        }
    if not units or not all(isinstance(u, int | float) and math.isfinite(u) for u in units):
        errors["units"] = _("须为非空的数值列表")
    if gross and tare is None:
        errors["tare"] = _("测得值为毛重时必填")
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


def reason_sentences(p: PrepackagedInspection) -> list[str]:
    """The failure reasons of a stored inspection as sentences in the active language.

    The core's ``reasons`` are English and stay so in the record and the API; the page builds
    its sentences from the structured fields instead (mean and its limit Qn − λ·s, in the unit
    of ``nominal``; the counts of units short by more than T and 2T), with the allowed counts
    from the same sampling-plan row the core used (``lot_size`` in the stored ``edition``).
    The conditions are the core's; if they do not give as many sentences as the core recorded
    (e.g. the edition can no longer be read), the core's own sentences are shown rather than
    a guess.
    """
    if p.passed:
        return []
    try:
        plan = sampling_plan(p.lot_size, edition=p.edition)
    except (ValueError, RuleError):
        return list(p.reasons)
    out = []
    # the core's tolerance for binary-fraction noise, so a borderline lot reads the same
    eps = 1e-9 * max(1.0, abs(p.nominal))
    if p.mean_limit is not None and p.correction is not None and p.mean < p.mean_limit - eps:
        out.append(
            _("平均实际含量 %(mean)s 小于 Qn − λ·s = %(limit)s（λ = %(lam)s）")
            % {
                "mean": f"{p.mean:.4g}",
                "limit": f"{p.mean_limit:.4g}",
                "lam": f"{p.correction:.3f}",
            }
        )
    if p.n_short_t > plan.allowed_t1:
        out.append(
            _("%(count)s 件短缺量大于 T = %(t)s（允许 %(allowed)s 件）")
            % {"count": p.n_short_t, "t": f"{p.t:g}", "allowed": plan.allowed_t1}
        )
    if p.n_short_2t > plan.allowed_t2:
        out.append(
            _("%(count)s 件短缺量大于 2T = %(t2)s（允许 %(allowed)s 件）")
            % {"count": p.n_short_2t, "t2": f"{2 * p.t:g}", "allowed": plan.allowed_t2}
        )
    return out if len(out) == len(p.reasons) else list(p.reasons)
