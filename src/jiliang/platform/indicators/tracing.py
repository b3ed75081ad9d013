"""The traceability engine over the standards only, for the traceability-coverage indicator.

The indicator counts measurement standards (溯源链完整的计量标准 / 计量标准). A standard's chain
runs through standards, reference materials, CMCs and the calibrations *of* them — never through an
instrument — so the core engine (:class:`jiliang.core.traceability.TraceabilityEngine`) gives
every standard the same verdict when it is built without the instruments and their calibrations
(tested against the full engine of :mod:`jiliang.platform.traceability.loader`). Leaving them out
keeps the figure fast at 10⁶ instruments: the full engine reads the whole registry (35–45 s).

Rows are read as the traceability app's loader reads them (``*_si`` columns, ``si_unit``,
registry primary keys as string ids); events of unverified third-party certificates are left out
as there.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from datetime import date

from jiliang.core.traceability import (
    CMC,
    CalibrationEvent,
    Organisation,
    Records,
    ReferenceMaterial,
    Scope,
    Standard,
    TraceabilityEngine,
)
from jiliang.platform.certificates.models import Certificate
from jiliang.platform.registry import models as m

_LOCK = threading.Lock()
_CACHE: dict[tuple, TraceabilityEngine] = {}


def _day(value) -> date | None:
    if value is None or type(value) is date:
        return value
    return date.fromisoformat(str(value)[:10])


def _rows(qs, *fields):
    return qs.order_by("pk").values_list(*fields).iterator(chunk_size=20_000)


def standards_records() -> Records:
    """Organisations (with scopes), CMCs, standards, reference materials and the calibrations of
    standards and reference materials — no instrument and no instrument calibration."""
    scopes: dict[int, list[Scope]] = defaultdict(list)
    for org, q, unit, lo, hi, u, vf, vt in _rows(
        m.Scope.objects,
        "organisation_id",
        "quantity",
        "si_unit",
        "range_low_si",
        "range_high_si",
        "uncertainty_si",
        "valid_from",
        "valid_to",
    ):
        scopes[org].append(Scope(q, unit, lo, hi, u or 0.0, _day(vf), _day(vt)))
    orgs = tuple(
        Organisation(str(pk), kind, region, tuple(scopes.get(pk, ())))
        for pk, kind, region in _rows(m.Organisation.objects, "pk", "kind", "region__code")
    )
    cmcs = tuple(
        CMC(str(pk), str(prov), q, unit, lo, hi, u or 0.0, k)
        for pk, prov, q, unit, lo, hi, u, k in _rows(
            m.CMC.objects,
            "pk",
            "provider_id",
            "quantity",
            "si_unit",
            "range_low_si",
            "range_high_si",
            "uncertainty_si",
            "k",
        )
    )
    standards = tuple(
        Standard(str(pk), level, q, unit, lo, hi, u, str(owner), k, status, _day(vf), _day(vt))
        for pk, level, q, unit, lo, hi, u, owner, k, status, vf, vt in _rows(
            m.MeasurementStandard.objects,
            "pk",
            "level",
            "quantity",
            "si_unit",
            "range_low_si",
            "range_high_si",
            "uncertainty_si",
            "owner_id",
            "k",
            "status",
            "certificate_valid_from",
            "certificate_valid_to",
        )
    )
    rms = tuple(
        ReferenceMaterial(str(pk), gbw, q, unit, v, u, _day(exp))
        for pk, gbw, q, unit, v, u, exp in _rows(
            m.ReferenceMaterial.objects,
            "pk",
            "gbw_number",
            "quantity",
            "si_unit",
            "certified_value_si",
            "uncertainty_si",
            "expiry",
        )
    )
    return Records(orgs, cmcs, standards, (), rms, _events())


def _events() -> tuple[CalibrationEvent, ...]:
    unverified = Certificate.objects.filter(status=Certificate.Status.UNVERIFIED).values("event_id")
    events = m.CalibrationEvent.objects.filter(instrument__isnull=True).exclude(pk__in=unverified)
    used_std: dict[int, list[str]] = defaultdict(list)
    through = m.CalibrationEvent.standards_used.through
    for ev, std in _rows(
        through.objects.filter(calibrationevent__instrument__isnull=True),
        "calibrationevent_id",
        "measurementstandard_id",
    ):
        used_std[ev].append(str(std))
    used_rm: dict[int, list[str]] = defaultdict(list)
    through = m.CalibrationEvent.reference_materials_used.through
    for ev, rm in _rows(
        through.objects.filter(calibrationevent__instrument__isnull=True),
        "calibrationevent_id",
        "referencematerial_id",
    ):
        used_rm[ev].append(str(rm))
    out = []
    for pk, std, rm, by, on, due, wd, point, u, unit in _rows(
        events,
        "pk",
        "standard_id",
        "reference_material_id",
        "performed_by_id",
        "performed_on",
        "due_on",
        "withdrawn",
        "result_value_si",
        "result_uncertainty_si",
        "si_unit",
    ):
        kind, item = ("standard", std) if std is not None else ("rm", rm)
        out.append(
            CalibrationEvent(
                str(pk),
                kind,
                str(item),
                tuple(used_std.get(pk, ())),
                str(by),
                _day(on),
                _day(due),
                tuple(used_rm.get(pk, ())),
                bool(wd),
                point,
                u,
                unit,
            )
        )
    return tuple(out)


def standards_engine(as_of: date) -> TraceabilityEngine:
    """The engine over :func:`standards_records` on ``as_of``, rebuilt when the data changed
    (:func:`jiliang.platform.traceability.loader.data_version`)."""
    from jiliang.platform.traceability.loader import data_version

    key = (as_of, data_version())
    with _LOCK:
        engine = _CACHE.get(key)
        if engine is None:
            engine = TraceabilityEngine(standards_records(), as_of)
            _CACHE.clear()
            _CACHE[key] = engine
        return engine


def clear_cache() -> None:
    with _LOCK:
        _CACHE.clear()
