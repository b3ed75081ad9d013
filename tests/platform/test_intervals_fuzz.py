"""Fuzzing of ``/api/intervals`` (schemathesis, through the shared helper of
tests/platform/test_schemathesis.py): no generated request may produce a 5xx, and the class
endpoint is also aimed at a real class (its key) with hand-picked odd parameters."""

from __future__ import annotations

import datetime as dt

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application

from jiliang.platform.intervals.history import ClassKey

from .test_intervals import event, instrument
from .test_schemathesis import _fuzz_operation, connections_kept_open  # noqa: F401 (fixture)


@pytest.mark.parametrize("role", ["anon", "regulator", "enterprise"])
def test_fuzzed_interval_requests_never_get_a_server_error(
    world,
    role,
    settings,
    tmp_path,
    connections_kept_open,  # noqa: F811
):
    settings.ALLOWED_HOSTS = ["*"]
    settings.JILIANG_LEDGER_DIR = tmp_path / "ledger"
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
    headers = {"Authorization": f"Bearer {world.tokens[role]}"} if role != "anon" else {}
    failures: list[str] = []
    statuses: dict[int, int] = {}
    ops = [r.ok() for r in schema.get_all_operations()]
    ops = [op for op in ops if op.path.startswith("/api/intervals")]
    assert len(ops) == 3
    standards = sorted(s.pk for s in world.standards.values())
    for op in ops:
        _fuzz_operation(op, role, headers, failures, statuses, standards)
    assert not failures, "server errors:\n" + "\n".join(failures[:40])
    assert sum(n for c, n in statuses.items() if 400 <= c < 500) > 10, statuses


ODD = [
    "target=1e-300",
    "target=0.999999999999",
    "limit=500&offset=1000000000",
    "target=nan",
    "target=inf",
    "limit=0",
    "offset=-1",
]


@pytest.mark.parametrize("query", ODD)
def test_odd_parameters_on_a_real_class(world, client, query):
    inst = instrument(world, "ent_hz", "330106", 90)
    start = dt.date(2010, 1, 1)
    for i, ok in enumerate([1, 1, 0, 1, 0, 1, 1, 1, 1, 0, 1, 1]):
        event(
            world, inst, start + dt.timedelta(days=200 * i + 7 * (i % 3)), "pass" if ok else "fail"
        )
    key = ClassKey("torque_wrench", "TW-1", "ACME", "owner", world.orgs["ent_hz"].code).token
    for path in (f"/api/intervals/classes/{key}", "/api/intervals/classes"):
        r = client.get(f"{path}?{query}", **world.auth("regulator"))
        assert r.status_code in (200, 422), (path, query, r.status_code)
