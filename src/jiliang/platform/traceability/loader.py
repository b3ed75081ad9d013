"""Registry rows → :mod:`jiliang.core.traceability` records, and the cached engine.

A handful of bulk ``values_list`` queries (no model instances): organisations with their scopes
and regions, CMCs, standards, reference materials, instruments, calibration events and the two
through tables of the events. Values come from the registry's ``*_si`` columns and ``si_unit``,
so the core compares like with like. Record ids are the registry primary keys as strings.

:func:`get_engine` keeps one :class:`TraceabilityEngine` per (evaluation date, data version);
the version is the latest audit entry id plus the latest calibration event id, so any audited
change (or a bulk load) invalidates it and repeated API calls never reload. Slow rebuilds run in
the background while requests keep the previous engine (see :func:`get_engine`).
"""

from __future__ import annotations

import functools
import gc
import logging
import threading
import time
from collections import defaultdict
from datetime import date

from django.conf import settings
from django.db import connection

from jiliang.core.traceability import (
    CMC,
    CalibrationEvent,
    Config,
    Instrument,
    Organisation,
    Records,
    ReferenceMaterial,
    Scope,
    Standard,
    TraceabilityEngine,
)
from jiliang.platform.audit.models import AuditEntry
from jiliang.platform.certificates.models import Certificate
from jiliang.platform.registry import models as m

_CHUNK = 50_000


def _iter(qs, *fields):
    """Rows of ``fields`` in primary-key order, streamed, as the database driver returns them.

    The SQL is the ORM's own (portable); only Django's per-value converters are skipped — they
    cost more than the rest of the load — so dates go through :func:`_day` and booleans through
    ``bool`` where the caller needs them.
    """
    sql, params = qs.order_by("pk").values_list(*fields).query.sql_with_params()
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(_CHUNK):
            yield from rows


def _day(value) -> date | None:
    """A date column's value as ``date`` (drivers return ``date``; ISO text is parsed)."""
    if value is None or type(value) is date:
        return value
    return date.fromisoformat(str(value)[:10])


def load_records(*, instruments: bool = True) -> Records:
    """Read the whole registry into core records (bulk queries, no ORM instances).

    ``instruments=False`` leaves out the instruments and their calibrations: a standard's chain
    never runs through an instrument, so standards get the same verdicts from far fewer rows
    (the traceability-coverage indicator at 10⁶ instruments).

    The cyclic garbage collector is paused meanwhile: millions of new tuples would otherwise
    trigger full collections that rescan everything loaded so far.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _load_records(instruments)
    finally:
        if enabled:
            gc.enable()


def _load_records(with_instruments: bool) -> Records:
    scopes: dict[int, list[Scope]] = defaultdict(list)
    for org, q, unit, lo, hi, u, vf, vt in _iter(
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
        for pk, kind, region in _iter(m.Organisation.objects, "pk", "kind", "region__code")
    )
    cmcs = tuple(
        CMC(str(pk), str(prov), q, unit, lo, hi, u or 0.0, k)
        for pk, prov, q, unit, lo, hi, u, k in _iter(
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
        for pk, level, q, unit, lo, hi, u, owner, k, status, vf, vt in _iter(
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
        for pk, gbw, q, unit, v, u, exp in _iter(
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
    instruments = (
        ()
        if not with_instruments
        else tuple(
            Instrument(str(pk), cat, q, unit, lo, hi, mpe, str(owner), region)
            for pk, cat, q, unit, lo, hi, mpe, owner, region in _iter(
                m.Instrument.objects,
                "pk",
                "category",
                "quantity",
                "si_unit",
                "range_low_si",
                "range_high_si",
                "mpe_si",
                "owner_id",
                "region__code",
            )
        )
    )
    return Records(orgs, cmcs, standards, instruments, rms, _events(with_instruments))


def _events(with_instruments: bool) -> tuple[CalibrationEvent, ...]:
    events = m.CalibrationEvent.objects
    links = {"calibrationevent__instrument__isnull": True}
    if not with_instruments:
        events = events.filter(instrument__isnull=True)
    used_std: dict[int, list[str]] = defaultdict(list)
    through = m.CalibrationEvent.standards_used.through
    rows = through.objects if with_instruments else through.objects.filter(**links)
    for ev, std in _iter(rows, "calibrationevent_id", "measurementstandard_id"):
        used_std[ev].append(str(std))
    used_rm: dict[int, list[str]] = defaultdict(list)
    through = m.CalibrationEvent.reference_materials_used.through
    rows = through.objects if with_instruments else through.objects.filter(**links)
    for ev, rm in _iter(rows, "calibrationevent_id", "referencematerial_id"):
        used_rm[ev].append(str(rm))
    out = []
    empty: tuple[str, ...] = ()
    # A third-party DCC whose signature is not valid, trusted and entitled for the laboratory it
    # names is stored as "unverified": its event is the importer's claim, not evidence, so the
    # chain does not rest on it (the standard shows "no calibration" until a verified one).
    unverified = Certificate.objects.filter(status=Certificate.Status.UNVERIFIED).values("event_id")
    for pk, inst, std, rm, by, on, due, wd, point, u, unit in _iter(
        events.exclude(pk__in=unverified),
        "pk",
        "instrument_id",
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
        if inst is not None:
            kind, item = "instrument", inst
        elif std is not None:
            kind, item = "standard", std
        else:
            kind, item = "rm", rm
        s, r = used_std.get(pk), used_rm.get(pk)
        out.append(
            CalibrationEvent(
                str(pk),
                kind,
                str(item),
                tuple(s) if s else empty,
                str(by),
                _day(on),
                _day(due),
                tuple(r) if r else empty,
                bool(wd),
                point,
                u,
                unit,
            )
        )
    return tuple(out)


# -- cache ------------------------------------------------------------------------------------
#: the engine is shared and what-if temporarily re-applies overrides: hold this around any use
LOCK = threading.RLock()
_CACHE: dict[tuple[date, tuple], TraceabilityEngine] = {}
_KEEP = 2
#: seconds the last build took (wall clock); decides between an inline and a background rebuild
_last_build_s = 0.0
_REBUILDS: dict[tuple[date, Config | None], threading.Thread] = {}
log = logging.getLogger(__name__)


def data_version() -> tuple[int, int]:
    """Changes whenever an audited change or a new calibration event is written (one query)."""
    audit = connection.ops.quote_name(AuditEntry._meta.db_table)
    events = connection.ops.quote_name(m.CalibrationEvent._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT (SELECT MAX(id) FROM {audit}), (SELECT MAX(id) FROM {events})")
        a, e = cursor.fetchone()
    return (a or 0, e or 0)


def get_engine(asof: date, config: Config | None = None) -> TraceabilityEngine:
    """The engine for ``asof`` over the registry data (built once per data version).

    Stale-while-revalidate: when the data changed and the last build took longer than
    ``JILIANG_TRACEABILITY_SYNC_BUILD_S`` (default 2 s — a 10⁶-instrument region takes
    35–45 s), requests keep getting the previous engine while one background thread builds the
    new one; otherwise the build runs inline, so small regions never answer from stale data.
    The first engine for a date and configuration is always built inline.

    After a build the heap is frozen (``gc.freeze``): millions of long-lived records would
    otherwise be rescanned by every full collection, which shows as latency spikes in requests.
    The previous freeze is lifted first so evicted engines can be collected.
    """
    key = (asof, (data_version(), config))
    with LOCK:
        engine = _CACHE.get(key)
        if engine is not None:
            return engine
        previous = _newest(asof, config)
        if previous is not None and _last_build_s > settings.JILIANG_TRACEABILITY_SYNC_BUILD_S:
            _start_rebuild(asof, config)
            return previous
        engine = _build(asof, config)
        _store(key, engine)
        return engine


def _build(asof: date, config: Config | None) -> TraceabilityEngine:
    """Load and validate everything. The per-instrument index of the scalar resolver (one
    chain) is built here too, before the freeze: built lazily by the first chain request it
    cost that request seconds at 10⁶ instruments, and its millions of dict entries and lists
    stayed outside the frozen heap."""
    global _last_build_s
    started = time.perf_counter()
    engine = TraceabilityEngine(load_records(), asof, config)
    engine.index.instrument("")
    _last_build_s = time.perf_counter() - started
    return engine


def _store(key: tuple[date, tuple], engine: TraceabilityEngine) -> None:
    with LOCK:
        while len(_CACHE) >= _KEEP:
            _CACHE.pop(next(iter(_CACHE)))
        gc.unfreeze()
        _CACHE[key] = engine
        gc.collect()
        gc.freeze()


def _newest(asof: date, config: Config | None) -> TraceabilityEngine | None:
    """The most recently stored engine for this date and configuration, any data version."""
    for (day, (_version, cfg)), engine in reversed(_CACHE.items()):
        if day == asof and cfg == config:
            return engine
    return None


def _start_rebuild(asof: date, config: Config | None) -> None:
    """Start one background build per (date, configuration); a running one is left alone —
    data that changes meanwhile is picked up by the next request after it finishes."""
    running = _REBUILDS.get((asof, config))
    if running is not None and running.is_alive():
        return
    thread = threading.Thread(
        target=_rebuild, args=(asof, config), name="traceability-rebuild", daemon=True
    )
    _REBUILDS[(asof, config)] = thread
    thread.start()


def _rebuild(asof: date, config: Config | None) -> None:
    try:
        version = data_version()  # read before loading: a change during the load rebuilds again
        _store((asof, (version, config)), _build(asof, config))
    except Exception:  # a failed rebuild must not kill the server; requests keep the old engine
        log.exception("traceability engine rebuild failed")
    finally:
        connection.close()  # this thread's own connection


def wait_for_rebuilds(timeout: float | None = None) -> None:
    """Block until background rebuilds finish (tests, benchmarks, management commands)."""
    for thread in list(_REBUILDS.values()):
        thread.join(timeout)


def locked(view):
    """Run ``view`` holding :data:`LOCK`: a what-if briefly re-applies overrides to the shared
    engine, and no reader may see its arrays meanwhile."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        with LOCK:
            return view(*args, **kwargs)

    return wrapper


def clear_cache() -> None:
    """Forget every engine (and the last build time, so the next rebuild is inline)."""
    global _last_build_s
    wait_for_rebuilds()
    with LOCK:
        _CACHE.clear()
        _last_build_s = 0.0
