"""Supervision fixtures on top of the platform ``world`` (Zhejiang, two cities, users per role)."""

from __future__ import annotations

import json

import pytest
from tests.platform.conftest import file_scales

from jiliang.core.identifiers import make_lifetime_id
from jiliang.platform.registry import models as m


def api(client, world, role, method, path, body=None, **extra):
    kwargs = world.auth(role)
    kwargs.update(extra)
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    return getattr(client, method)(f"/api/supervision/{path}", **kwargs)


def add_instrument(
    world,
    owner="ent_hz",
    region="330106",
    seq=100,
    category="water_meter",
    use="trade_settlement",
    **kw,
):
    return m.Instrument.objects.create(
        lifetime_id=make_lifetime_id(region, "WTM", 2024, seq),
        category=category,
        name=f"{category} {seq}",
        quantity="volume",
        unit=r"\litre",
        owner=world.orgs[owner],
        region=world.regions[region],
        compulsory=True,
        use=use,
        **kw,
    )


def authorise_for_water_meters(world, valid_to) -> m.Scope:
    """lab_hz's authorisation (计量授权) for 0–100 L water meters, from 2024-01-01 to
    ``valid_to`` (a date)."""
    import datetime as dt

    return m.Scope.objects.create(
        organisation=world.orgs["lab_hz"],
        kind="authorisation",
        quantity="volume",
        instrument_category="water_meter",
        range_low=0,
        range_high=100,
        unit=r"\litre",
        valid_from=dt.date(2024, 1, 1),
        valid_to=valid_to,
    )


def verify(world, inst, on, result="pass", by="lab_hz", cert=None):
    import datetime as dt

    return m.CalibrationEvent.objects.create(
        certificate_no=cert or f"JD-{inst.pk}-{on}",
        kind="verification",
        instrument=inst,
        performed_by=world.orgs[by],
        performed_on=on,
        issued_on=on,
        due_on=on + dt.timedelta(days=365),
        unit=inst.unit,
        conformity=result,
    )


DRAW_ITEMS = [{"id": "electronic_price_scale", "ratio": 1.0}]


def commit_draw(client, world, role="regulator", **kw):
    """Commit a draw of the world's two scales through the API."""
    body = {"title": "2026 年电子计价秤抽查", "region": "330000", "items": DRAW_ITEMS, **kw}
    return api(client, world, role, "post", "draws", body)


class Helpers:
    api = staticmethod(api)
    add_instrument = staticmethod(add_instrument)
    verify = staticmethod(verify)
    commit_draw = staticmethod(commit_draw)


@pytest.fixture
def pools(world):
    """The world's two scales filed, three enforcement officers at the provincial regulator."""
    file_scales(world)
    for i in range(3):
        m.Person.objects.create(name=f"执法人员{i}", organisation=world.orgs["amr_zj"])
    return world


@pytest.fixture(autouse=True)
def _ledger_dir(settings, tmp_path):
    """Draw commitments go to the transparency log: a fresh log per test, never the data dir."""
    settings.JILIANG_LEDGER_DIR = tmp_path / "ledger"


@pytest.fixture
def sv():
    """Helper functions (API call, new instrument, verification event)."""
    return Helpers


@pytest.fixture
def mail_outbox(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from django.core import mail

    mail.outbox = []
    return mail.outbox
