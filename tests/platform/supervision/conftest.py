"""Supervision fixtures on top of the platform ``world`` (Zhejiang, two cities, users per role)."""

from __future__ import annotations

import json

import pytest

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


class Helpers:
    api = staticmethod(api)
    add_instrument = staticmethod(add_instrument)
    verify = staticmethod(verify)


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
