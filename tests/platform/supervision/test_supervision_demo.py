"""The supervision demo extension builds on the registry demo and feeds every page."""

from __future__ import annotations

import datetime as dt

from jiliang.platform.demo import build_demo
from jiliang.platform.supervision.demo import build_supervision_demo
from jiliang.platform.supervision.draws import published
from jiliang.platform.supervision.models import (
    CreditEvent,
    CreditMark,
    Draw,
    Filing,
    VerificationRecord,
)
from jiliang.platform.supervision.services import coverage


def test_supervision_demo(db, client):
    counts = build_demo(size=1_500, seed=3).counts  # the registry demo calls the extension
    assert counts["filings"] == Filing.objects.count() > 100
    assert build_supervision_demo(as_of=dt.date(2026, 11, 1))["filings"] == 0  # idempotent
    assert counts["inspectors"] > 0 and counts["inspections"] == 1
    statuses = set(Filing.objects.values_list("status", flat=True))
    assert {"ok", "overdue"} <= statuses
    report = coverage(None, dt.date(2026, 11, 1))
    assert 0 < report.on_time < report.total
    assert counts["authorisation_scopes"] > 0
    assert any(0 < c.share < 1 for c in report.capability)
    if counts.get("draws"):
        from jiliang.core.legal.draw import verify

        d = Draw.objects.get()
        assert verify(published(d)).ok
        assert d.commitment_leaf is not None and d.reveal_leaf is not None
    # institution portal, public commitments and a repaired listing for the new pages
    assert counts["assigned"] > 0 and counts["verifications_recorded"] > 0
    assert VerificationRecord.objects.exclude(seal_no="").exists()
    from django.contrib.auth import get_user_model

    from jiliang.platform.supervision.verifications import assigned_filings

    lab = get_user_model().objects.get(username="lab")  # the demo's institution login has work
    assert assigned_filings(lab, "due").exists() or assigned_filings(lab, "overdue").exists()
    assert CreditMark.objects.filter(kind="demonstration").exists()
    assert CreditEvent.objects.filter(removed_on__isnull=False).exists()
    public = client.get("/s/commitments/").content.decode()  # no login
    assert CreditMark.objects.first().organisation.name in public
    admin = get_user_model().objects.filter(is_superuser=True).first()
    if admin is not None:
        client.force_login(admin)
        for url in [
            "/s/",
            "/s/dashboard/",
            "/s/due/",
            "/s/credit/",
            "/s/prepackaged/",
            "/s/draws/",
            "/s/assigned/",
            "/s/commitments/",
        ]:
            assert client.get(url).status_code == 200, url
