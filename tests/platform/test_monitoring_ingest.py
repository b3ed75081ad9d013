"""Readings ingest ``POST /api/monitoring/readings``: idempotence, ownership, every bad input.

Issue 14 ("Platform", "Bad input"): idempotent by (meter, timestamp), per organisation, nothing
half-written, each rejection with a clear reason.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest

from jiliang.platform.accounts.services import create_user
from jiliang.platform.audit.models import AuditEntry
from jiliang.platform.monitoring import services
from jiliang.platform.monitoring.models import IngestBatch, Reading

from .conftest import PASSWORD
from .monitoring_helpers import T0, make_area

URL = "/api/monitoring/readings"


def post(client, world, rows, role="enterprise"):
    return client.post(
        URL, data=json.dumps(rows), content_type="application/json", **world.auth(role)
    )


def row(meter, hours: float, register: float) -> dict:
    t = T0 + dt.timedelta(hours=hours)
    return {"meter": meter.lifetime_id, "timestamp": t.isoformat(), "register": register}


@pytest.fixture
def area(world):
    return make_area(world, 3)


def test_batch_stored_and_resend_is_a_replay(client, world, area):
    _, summary, users = area
    rows = [row(m, h, 100.0 + 2 * h + i) for i, m in enumerate([summary, *users]) for h in range(4)]
    audits = AuditEntry.objects.count()
    first = post(client, world, rows)
    assert first.status_code == 200, first.content
    body = first.json()
    assert (body["rows"], body["accepted"], body["identical"], body["conflicting"]) == (
        16,
        16,
        0,
        0,
    )
    assert body["replay"] is False
    # committed before the answer: the rows are there, one batch, one audit entry for it
    assert Reading.objects.count() == 16
    assert IngestBatch.objects.count() == 1
    assert AuditEntry.objects.count() == audits + 1
    entry = AuditEntry.objects.latest("id")
    assert entry.model == "monitoring.ingestbatch"
    assert entry.after["digest"] == body["digest"]
    stored = Reading.objects.get(instrument=users[1], timestamp=T0 + dt.timedelta(hours=3))
    assert stored.register == 100.0 + 6 + 2
    # the same batch again, in another order: same counts, nothing written
    again = post(client, world, list(reversed(rows)))
    assert again.status_code == 200
    b2 = again.json()
    assert {k: b2[k] for k in ("rows", "accepted", "identical", "conflicting", "batch")} == {
        k: body[k] for k in ("rows", "accepted", "identical", "conflicting", "batch")
    }
    assert b2["replay"] is True
    assert Reading.objects.count() == 16
    assert IngestBatch.objects.count() == 1
    assert AuditEntry.objects.count() == audits + 1
    assert services.batch_intact(IngestBatch.objects.get())


def test_digest_is_sha256_of_the_canonical_batch(client, world, area):
    """The canonical batch: [[meter, UTC time, register]] sorted, compact JSON (services)."""
    _, summary, _ = area
    plus8 = dt.timezone(dt.timedelta(hours=8))
    r = {"meter": summary.lifetime_id, "timestamp": "2026-01-01T08:00:00+08:00", "register": 5}
    body = post(client, world, [r]).json()
    text = json.dumps(
        [[summary.lifetime_id, "2026-01-01T00:00:00.000000Z", 5.0]], separators=(",", ":")
    )
    assert body["digest"] == hashlib.sha256(text.encode()).hexdigest()
    got = Reading.objects.get()
    assert got.timestamp == dt.datetime(2026, 1, 1, 8, tzinfo=plus8)


def test_overlapping_batch_counts_identical_and_conflicting(client, world, area):
    _, _summary, users = area
    post(client, world, [row(users[0], 0, 10.0), row(users[0], 1, 11.0)])
    overlap = [row(users[0], 1, 11.0), row(users[0], 0, 10.5), row(users[0], 2, 12.0)]
    res = post(client, world, overlap)
    assert res.status_code == 200, res.content
    body = res.json()
    assert (body["accepted"], body["identical"], body["conflicting"]) == (1, 1, 1)
    assert body["conflicts"] == [
        {
            "row": 1,
            "meter": users[0].lifetime_id,
            "timestamp": "2026-01-01T00:00:00.000000Z",
            "stored": 10.0,
            "sent": 10.5,
        }
    ]
    # the stored value stays
    assert Reading.objects.get(instrument=users[0], timestamp=T0).register == 10.0
    assert Reading.objects.filter(instrument=users[0]).count() == 3


def reasons(res) -> list[tuple[int, str, str]]:
    assert res.status_code == 422, res.content
    return [(e["row"], e["field"], e["reason"]) for e in res.json()["errors"]]


def test_every_bad_row_named_and_nothing_written(client, world, area):
    _, _summary, users = area
    other_area = make_area(world, 1, code="TQ-NB-001", owner="ent_nb", seq0=100)
    foreign = other_area[2][0]
    bad = [
        row(users[0], 0, 10.0),  # 0 fine
        {"meter": "330106-DNB-2025-9999999-X", "timestamp": T0.isoformat(), "register": 1},
        row(foreign, 0, 1.0),  # 2 another company's meter
        row(users[1], 0, -1.0),  # 3 negative
        row(users[2], 0, 5.0),  # 4 fine
        row(users[2], 1, 4.0),  # 5 decreasing within the batch
        row(users[0], 0, 10.0),  # 6 duplicate of row 0
        {"meter": users[1].lifetime_id, "timestamp": "2026-01-01T00:00:00", "register": 1},
        {"meter": users[1].lifetime_id, "timestamp": "yesterday", "register": 1},
        {"meter": users[1].lifetime_id, "timestamp": T0.isoformat(), "register": "12"},
        {"timestamp": T0.isoformat(), "register": 1},
    ]
    res = post(client, world, bad)
    got = reasons(res)
    # the parse errors come first (malformed rows are not checked further) …
    assert got == [
        (3, "register", "negative_register"),
        (7, "timestamp", "invalid"),
        (8, "timestamp", "invalid"),
        (9, "register", "invalid"),
        (10, "meter", "invalid"),
    ]
    assert "UTC offset" in res.json()["errors"][1]["message"]
    # … then, once every row parses, the checks against the registry and the stored readings
    res = post(client, world, [bad[i] for i in (0, 1, 2, 4, 5, 6)])
    errors = res.json()["errors"]
    assert reasons(res) == [
        (1, "meter", "unknown_meter"),
        (2, "meter", "not_yours"),
        (4, "register", "decreasing_register"),
        (5, "timestamp", "duplicate_in_batch"),
    ]
    assert "row 3" in errors[2]["message"] and "row 0" in errors[3]["message"]
    assert foreign.lifetime_id in errors[1]["message"]
    assert Reading.objects.count() == 0
    assert IngestBatch.objects.count() == 0


def test_decrease_against_stored_readings(client, world, area):
    _, _, users = area
    assert post(client, world, [row(users[0], 0, 10.0), row(users[0], 5, 20.0)]).status_code == 200
    # below the stored reading before it
    res = post(client, world, [row(users[0], 6, 19.0)])
    assert reasons(res) == [(0, "register", "decreasing_register")]
    assert "stored reading 20 kW·h" in res.json()["errors"][0]["message"]
    # above the stored reading after it
    res = post(client, world, [row(users[0], 3, 25.0)])
    assert reasons(res) == [(0, "register", "decreasing_register")]
    assert "later stored reading 20" in res.json()["errors"][0]["message"]
    # in between is fine
    assert post(client, world, [row(users[0], 3, 15.0)]).json()["accepted"] == 1


def test_ownership_by_membership_dates(client, world, area):
    """A meter counts as the organisation's only while it is in one of its areas."""
    _, _, users = area
    before = {
        "meter": users[0].lifetime_id,
        "timestamp": (T0 - dt.timedelta(days=2)).isoformat(),
        "register": 1.0,
    }
    assert reasons(post(client, world, [before])) == [(0, "meter", "not_yours")]


def test_other_organisation_is_refused_per_row(client, world, area):
    _, summary, _ = area
    res = post(client, world, [row(summary, 0, 1.0)], role="lab")
    assert reasons(res) == [(0, "meter", "not_yours")]


def test_accounts_without_organisation_and_anonymous(client, world, area):
    _, summary, _ = area
    assert post(client, world, [row(summary, 0, 1.0)], role="regulator").status_code == 403
    assert post(client, world, [row(summary, 0, 1.0)], role="anon").status_code == 401


def test_batch_limit_and_shape(client, world, area, settings):
    _, summary, _ = area
    settings.JILIANG_MONITORING_MAX_BATCH = 3
    res = post(client, world, [row(summary, h, h) for h in range(4)])
    assert res.status_code == 413
    assert "limit of 3 rows" in res.json()["detail"]
    assert post(client, world, [row(summary, h, h) for h in range(3)]).status_code == 200
    assert reasons(post(client, world, {"meter": "x"})) == [(-1, "body", "invalid")]
    assert reasons(post(client, world, [])) == [(-1, "body", "invalid")]
    res = client.post(URL, data="[{", content_type="application/json", **world.auth("enterprise"))
    assert res.status_code == 422


def test_second_grid_company_ingests_its_own(client, world, area):
    """Two organisations' batches with identical content are separate submissions."""
    create_user("grid_nb", PASSWORD, "enterprise", organisation=world.orgs["ent_nb"].code)
    from jiliang.platform.accounts.models import ApiToken

    world.tokens["grid_nb"] = ApiToken.issue(
        world.users["admin"].__class__.objects.get(username="grid_nb"), "t"
    )[1]
    _, s_nb, _ = make_area(world, 1, code="TQ-NB-001", owner="ent_nb", seq0=100)
    res = post(client, world, [row(s_nb, 0, 1.0)], role="grid_nb")
    assert res.json()["accepted"] == 1
    assert reasons(post(client, world, [row(s_nb, 1, 2.0)])) == [(0, "meter", "not_yours")]


def test_out_of_range_values_are_row_errors_not_crashes(client, world, area):
    """Times past year 9999 in UTC, dates outside 1900–2199 and integers beyond a double are
    malformed rows (422 naming the field), never a server error."""
    _, summary, _ = area
    lid = summary.lifetime_id
    res = post(
        client,
        world,
        [
            {"meter": lid, "timestamp": "9999-12-31T23:00:00-05:00", "register": 1},
            {"meter": lid, "timestamp": "1800-01-01T00:00:00+00:00", "register": 1},
            {"meter": lid, "timestamp": T0.isoformat(), "register": 10**400},
            {"meter": lid, "timestamp": T0.isoformat(), "register": True},
        ],
    )
    assert reasons(res) == [
        (0, "timestamp", "invalid"),
        (1, "timestamp", "invalid"),
        (2, "register", "invalid"),
        (3, "register", "invalid"),
    ]


def test_batch_committed_before_the_answer(audit_triggers_lifted, client, world):
    """Outside any test transaction: the answer comes after the commit (the row is readable
    and no transaction is open), and SQLite's ``synchronous`` is back to its setting."""
    from django.db import connection

    def synchronous() -> object:
        # PostgreSQL has no such setting: its commit is durable (fsync) by default.
        if connection.vendor != "sqlite":
            return None
        with connection.cursor() as cur:
            cur.execute("PRAGMA synchronous")
            return cur.fetchone()[0]

    _, summary, _ = make_area(world, 1)
    before = synchronous()
    res = post(client, world, [row(summary, 0, 1.0)])
    assert res.status_code == 200
    assert not connection.in_atomic_block
    assert Reading.objects.filter(instrument=summary, register=1.0).count() == 1
    assert synchronous() == before
    again = post(client, world, [row(summary, 0, 1.0)]).json()
    assert again["replay"] is True and again["accepted"] == 1
    assert Reading.objects.count() == 1
