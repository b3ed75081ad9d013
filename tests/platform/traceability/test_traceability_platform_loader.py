"""Registry rows → core records: every field the engine reads, and the engine cache."""

from __future__ import annotations

import datetime as dt
import gc

from jiliang.platform.registry import models as m
from jiliang.platform.traceability import loader


def test_records_from_registry(world):
    nmi = world.orgs["nmi"]
    rm = m.ReferenceMaterial.objects.create(
        gbw_number="GBW08601",
        name="mass CRM",
        quantity="mass",
        unit=r"\gram",
        certified_value=500,
        uncertainty=0.5,
        producer=nmi,
        expiry=dt.date(2028, 6, 30),
    )
    ev = m.CalibrationEvent.objects.create(
        certificate_no="RM-1",
        kind="calibration",
        standard=world.standards["lab_hz"],
        performed_by=nmi,
        performed_on=dt.date(2025, 5, 1),
        issued_on=dt.date(2025, 5, 2),
        due_on=dt.date(2026, 4, 30),
        unit=r"\gram",
        result_value=1000,
        result_uncertainty=2,
        withdrawn=True,
    )
    ev.standards_used.add(world.standards["primary"])
    ev.reference_materials_used.add(rm)
    m.Scope.objects.create(
        organisation=nmi,
        kind="accreditation",
        quantity="mass",
        unit=r"\gram",
        range_low=0,
        range_high=5000,
        valid_from=dt.date(2024, 1, 1),
        valid_to=dt.date(2029, 1, 1),
    )
    rec = loader.load_records()
    orgs = {o.id: o for o in rec.organisations}
    assert orgs[str(nmi.pk)].kind == "nmi" and orgs[str(nmi.pk)].region_code == "330106"
    (scope,) = orgs[str(nmi.pk)].scopes
    assert (scope.unit, scope.range_high, scope.best_U) == (r"\kilogram", 5.0, 0.0)
    (r,) = rec.reference_materials
    assert (r.gbw, r.value, r.U, r.expiry) == ("GBW08601", 0.5, 0.0005, dt.date(2028, 6, 30))
    events = {e.id: e for e in rec.events}
    e = events[str(ev.pk)]
    assert (e.item_kind, e.item_id) == ("standard", str(world.standards["lab_hz"].pk))
    assert e.standard_ids == (str(world.standards["primary"].pk),)
    assert e.rm_ids == (str(rm.pk),)
    assert e.withdrawn is True and e.performed_on == dt.date(2025, 5, 1)
    assert (e.point, e.U, e.unit) == (1.0, 0.002, r"\kilogram")
    hz = events[str(world.events["hz"].pk)]
    assert (hz.item_kind, hz.valid_until) == ("instrument", dt.date(2027, 1, 9))
    assert hz.standard_ids == (str(world.standards["lab_hz"].pk),)
    inst = {i.id: i for i in rec.instruments}[str(world.instruments["nb"].pk)]
    assert (inst.region_code, inst.mpe, inst.category) == ("330203", 0.01, "electronic_price_scale")
    std = {s.id: s for s in rec.standards}[str(world.standards["primary"].pk)]
    assert (std.level, std.U, std.status) == ("primary", 1e-6, "active")


def test_engine_cached_per_version(world):
    loader.clear_cache()
    day = dt.date(2026, 6, 1)
    first = loader.get_engine(day)
    assert loader.get_engine(day) is first
    assert loader.get_engine(dt.date(2026, 6, 2)) is not first
    world.instruments["nb"].name = "renamed"
    world.instruments["nb"].save()  # audited change → new data version
    assert loader.get_engine(day) is not first
    loader.clear_cache()


def test_engine_ready_for_chains_and_frozen(world):
    """A built engine already has the per-instrument index of the scalar resolver (the first
    chain request must not build it) and its objects are out of the cyclic GC's scans."""
    loader.clear_cache()
    engine = loader.get_engine(dt.date(2026, 6, 1))
    assert set(engine.index.instruments) == {str(i.pk) for i in world.instruments.values()}
    assert gc.get_freeze_count() > 0
    hz = str(world.instruments["hz"].pk)
    assert engine.chain("instrument", hz).links[0].node == f"instrument:{hz}"
    loader.clear_cache()


def test_slow_rebuild_serves_previous_engine_meanwhile(audit_triggers_lifted, world, settings):
    """Stale-while-revalidate: once a build is slower than the threshold, a data change makes
    requests keep the previous engine while one background thread builds the new one; when it
    is stored, requests get the new engine, which sees the change."""
    loader.clear_cache()
    day = dt.date(2026, 6, 1)
    settings.JILIANG_TRACEABILITY_SYNC_BUILD_S = 2.0
    first = loader.get_engine(day)  # first build is always inline
    assert loader._last_build_s < 2.0  # this tiny region builds inline on change …
    settings.JILIANG_TRACEABILITY_SYNC_BUILD_S = 0.0  # … so make any build count as slow
    nb = world.instruments["nb"]
    nb.category = "renamed_category"
    nb.save()
    assert loader.get_engine(day) is first  # stale answer while the rebuild runs
    loader.wait_for_rebuilds(timeout=60)
    fresh = loader.get_engine(day)
    assert fresh is not first
    assert {i.id: i for i in fresh.records.instruments}[str(nb.pk)].category == "renamed_category"
    loader.clear_cache()


def test_failed_background_rebuild_keeps_previous_engine(
    audit_triggers_lifted, world, settings, monkeypatch
):
    loader.clear_cache()
    day = dt.date(2026, 6, 1)
    first = loader.get_engine(day)
    settings.JILIANG_TRACEABILITY_SYNC_BUILD_S = 0.0
    world.instruments["nb"].save()
    broken = RuntimeError("database went away")

    def fail():
        raise broken

    monkeypatch.setattr(loader, "load_records", fail)
    assert loader.get_engine(day) is first
    loader.wait_for_rebuilds(timeout=60)
    assert loader.get_engine(day) is first  # still answering; the next request retries
    loader.wait_for_rebuilds(timeout=60)
    monkeypatch.undo()
    loader.clear_cache()
