"""Public scan-to-verify page, QR label sheet, complaints (validated, rate-limited)."""

from __future__ import annotations

import re

import pytest

from jiliang.platform.supervision.models import Complaint, Filing
from jiliang.platform.supervision.services import sync_filing


@pytest.fixture
def hz(world):
    inst = world.instruments["hz"]
    sync_filing(Filing(instrument=inst, item_code=inst.category, use=inst.use))
    return inst


def test_scan_page_is_public_and_shows_no_private_data(client, world, hz):
    hz.location = "秘密仓库 3 号"
    hz.save()
    r = client.get(f"/v/{hz.uuid}/")
    assert r.status_code == 200
    text = r.content.decode()
    assert hz.lifetime_id in text
    assert "2027-01-10" in text  # valid until
    assert world.orgs["lab_hz"].name in text  # by whom
    assert "合格" in text
    assert world.orgs["ent_hz"].name not in text  # owner not shown
    assert "秘密仓库" not in text
    body = client.get(f"/api/supervision/public/{hz.uuid}").json()
    assert body["valid_until"] == "2027-01-10" and body["verified_by"] == "lab_hz"
    assert "owner" not in body and "location" not in body


def test_scan_unknown_is_404(client, world):
    assert client.get("/v/not-a-uuid/").status_code == 404
    assert client.get("/v/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert client.get("/api/supervision/public/nope").status_code == 404


def test_unfiled_instrument_scan(client, world):
    r = client.get(f"/v/{world.instruments['nb'].uuid}/")
    assert r.status_code == 200 and "未备案" in r.content.decode()


def test_complaint_validated_and_rate_limited(client, world, hz):
    url = f"/v/{hz.uuid}/"
    r = client.post(url, {"category": "inaccurate", "text": "短"})
    assert r.status_code == 400 and not Complaint.objects.exists()
    r = client.post(url, {"category": "bogus", "text": "称不准，少了二两"})
    assert r.status_code == 400
    r = client.post(url, {"category": "inaccurate", "text": "称不准", "website": "spam"})
    assert r.status_code == 400 and not Complaint.objects.exists()
    for _ in range(5):
        r = client.post(url, {"category": "inaccurate", "text": "称不准，少了二两"})
        assert r.status_code == 200 and "complaint-sent" in r.content.decode()
    r = client.post(url, {"category": "inaccurate", "text": "称不准，少了二两"})
    assert r.status_code == 429
    assert Complaint.objects.filter(instrument=hz).count() == 5
    c = Complaint.objects.first()
    assert c.client_hash and "127.0.0.1" not in c.client_hash


def test_label_sheet_pdf(client, world, sv, hz):
    for i in range(30):
        sv.add_instrument(world, seq=500 + i)
    assert client.get("/s/labels.pdf").status_code == 302  # login required
    client.force_login(world.users["enterprise"])
    r = client.get("/s/labels.pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    pdf = r.content
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type /Page[^s]", pdf)) == 2  # 31 labels, 24 per page
