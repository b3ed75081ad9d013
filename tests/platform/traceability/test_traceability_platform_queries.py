"""The chain endpoint's database work does not grow with the population.

One chain request costs a small, fixed number of queries (token, the caller's role and area,
the item, the data version, the item's certificate), each answered through an index: the
population is validated once per data version by the cached engine, never per request. The test
counts the queries for the same chain before and after the region grows by a few hundred
instruments, for an admin, a regulator and an enterprise user, and asks SQLite for each query's
plan: no full scan of a registry, token or audit table.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from tests.platform.conftest import VERIFICATIONS, passed_verification_fields, scale_fields
from tests.platform.traceability.test_traceability_platform_api import ASOF, chain, traced

from jiliang.platform.registry import models as m
from jiliang.platform.traceability import loader

__all__ = ["traced"]  # the fixture, imported for pytest
ROLES = ("admin", "regulator", "enterprise")
GROWTH = 300


@pytest.fixture(autouse=True)
def _fresh_cache():
    loader.clear_cache()
    yield
    loader.clear_cache()


def grow(world, n: int) -> None:
    """``n`` more Hangzhou scales, each calibrated against STD-HZ (bulk, SI columns filled)."""
    owner, region = world.orgs["ent_hz"], world.regions["330106"]
    instruments = []
    for k in range(n):
        fields = scale_fields(owner, region, 100 + k, f"scale {k}", year=2025)
        inst = m.Instrument(**fields, compulsory=True, use="trade_settlement")
        inst.compute_si()
        instruments.append(inst)
    instruments = m.Instrument.objects.bulk_create(instruments)
    events = []
    lab, *dates = VERIFICATIONS["hz"]  # each verified as JD-HZ-1 was
    for k, inst in enumerate(instruments):
        fields = passed_verification_fields(f"JD-G-{k}", inst, world.orgs[lab], *dates)
        ev = m.CalibrationEvent(**fields)
        ev.compute_si()
        events.append(ev)
    events = m.CalibrationEvent.objects.bulk_create(events)
    through = m.CalibrationEvent.standards_used.through
    through.objects.bulk_create(
        through(calibrationevent_id=ev.pk, measurementstandard_id=world.standards["lab_hz"].pk)
        for ev in events
    )


def chain_queries(client, world, role: str) -> list[tuple[str, tuple]]:
    """SQL of one chain request for the Hangzhou scale (after a warm-up that builds the engine).

    Recorded by an execute wrapper: ``CaptureQueriesContext`` would miss statements, because the
    test client's ``request_started`` signal clears the connection's query log mid-capture.
    """
    lid = world.instruments["hz"].lifetime_id
    assert chain(client, world, role, "instrument", lid).status_code == 200
    statements: list[tuple[str, tuple]] = []

    def record(execute, sql, params, many, context):
        statements.append((sql, tuple(params or ())))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        r = chain(client, world, role, "instrument", lid)
    assert r.status_code == 200 and r.json()["verdict"] == "TRACEABLE"
    return statements


def test_chain_queries_constant_and_indexed(client, traced):
    world = traced
    before = {role: chain_queries(client, world, role) for role in ROLES}
    population = m.Instrument.objects.count()
    grow(world, GROWTH)
    assert m.Instrument.objects.count() == population + GROWTH
    after = {role: chain_queries(client, world, role) for role in ROLES}
    for role in ROLES:
        assert len(after[role]) == len(before[role]), role
        assert 3 <= len(after[role]) <= 8, (role, after[role])
    # the new instruments are in the (rebuilt) engine, so the counts above saw a bigger engine
    assert (
        len(loader.get_engine(dt.date.fromisoformat(ASOF)).instruments.ids) == population + GROWTH
    )
    if connection.vendor != "sqlite":
        return
    for sql, params in {q for queries in after.values() for q in queries}:
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            plan = [row[-1] for row in cursor.fetchall()]
        scans = [step for step in plan if step.startswith("SCAN") and "CONSTANT ROW" not in step]
        assert not scans, (sql, plan)
