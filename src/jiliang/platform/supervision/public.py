"""Public scan-to-verify data and the QR label sheet (no private data: no owner, no location)."""

from __future__ import annotations

import io
import uuid as uuidlib

import segno
from django.conf import settings
from django.http import Http404
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from jiliang.platform.registry.models import Instrument

from .services import catalogue
from .verifications import seal_of


def instrument_by_uuid(value) -> Instrument:
    try:
        key = uuidlib.UUID(str(value))
    except ValueError:
        raise Http404("no such instrument") from None
    inst = Instrument.objects.filter(uuid=key).select_related("filing__verified_by").first()
    if inst is None:
        raise Http404("no such instrument")
    return inst


def public_status(value) -> dict:
    """What anyone scanning the label may see."""
    inst = instrument_by_uuid(value)
    f = getattr(inst, "filing", None)
    item = None
    if f is not None and f.item_code in catalogue():
        item = catalogue().item(f.item_code)
    return {
        "uuid": str(inst.uuid),
        "lifetime_id": inst.lifetime_id,
        "name": inst.name,
        "manufacturer": inst.manufacturer,
        "model": inst.model_name,
        "in_service": inst.status == Instrument.Status.IN_USE,
        "filed": f is not None,
        "item": item.name_zh if item else None,
        "status": f.status if f else None,
        "valid_until": f.deadline if f else None,
        "last_verified": f.last_verified if f else None,
        "result": (f.last_result or None) if f else None,
        "verified_by": f.verified_by.name if f and f.verified_by else None,
        "certificate": f.last_certificate or None if f else None,
        # the seal/label number is on the instrument itself: public, and lets a buyer match it
        "seal": seal_of(f) if f else None,
        "status_as_of": f.status_as_of if f else None,
    }


def scan_url(inst: Instrument) -> str:
    return f"{settings.PUBLIC_URL}/v/{inst.uuid}/"


def _qr(c: canvas.Canvas, data: str, x: float, y: float, size: float) -> None:
    """Draw a QR code as vector squares with its lower-left corner at (x, y)."""
    qr = segno.make(data, error="m")
    rows = list(qr.matrix_iter(scale=1, border=2))
    cell = size / len(rows)
    for r, row in enumerate(rows):
        for col, dark in enumerate(row):
            if dark:
                c.rect(x + col * cell, y + size - (r + 1) * cell, cell, cell, stroke=0, fill=1)


def label_sheet(instruments, title: str = "") -> bytes:
    """A4 sheet of labels (3 × 8 per page): QR to the public page, lifetime ID, name."""
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.setTitle(title or "jiliang labels")
    cols, rows = 3, 8
    w, h = A4
    lw, lh = (w - 20 * mm) / cols, (h - 20 * mm) / rows
    for n, inst in enumerate(instruments):
        if n and n % (cols * rows) == 0:
            c.showPage()
        k = n % (cols * rows)
        x0 = 10 * mm + (k % cols) * lw
        y0 = h - 10 * mm - (k // cols + 1) * lh
        c.setLineWidth(0.3)
        c.rect(x0 + 1 * mm, y0 + 1 * mm, lw - 2 * mm, lh - 2 * mm, stroke=1, fill=0)
        q = lh - 6 * mm
        _qr(c, scan_url(inst), x0 + 3 * mm, y0 + 3 * mm, q)
        tx = x0 + 5 * mm + q
        c.setFont("STSong-Light", 7)
        c.drawString(tx, y0 + lh - 8 * mm, "扫码查验 计量器具")
        c.setFont("Helvetica", 6)
        c.drawString(tx, y0 + lh - 12 * mm, inst.lifetime_id[:26])
        c.setFont("STSong-Light", 7)
        c.drawString(tx, y0 + lh - 16 * mm, inst.name[:14])
    if not instruments:
        c.setFont("STSong-Light", 10)
        c.drawString(20 * mm, h - 20 * mm, "没有器具")
    c.showPage()
    c.save()
    return buf.getvalue()
