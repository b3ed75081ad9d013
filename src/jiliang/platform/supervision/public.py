"""Public scan-to-verify data and the QR label sheet (no private data: no owner, no location)."""

from __future__ import annotations

import io
import uuid as uuidlib
from functools import lru_cache

from django.conf import settings
from django.http import Http404
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from jiliang.platform.registry.models import Instrument
from jiliang.platform.registry.templatetags.metrology import category_label

from . import qrfast
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
        "item": category_label(item.code) if item else None,  # in the request's language
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


@lru_cache(maxsize=4096)
def _qr_runs(data: str) -> tuple[int, tuple[tuple[int, int, int], ...]]:
    """``(modules per side, dark runs)`` of the QR code of ``data``, runs as ``(row, col, len)``.

    Built once per distinct content (a sheet printed again, or a label repeated, reuses it):
    segno's mask selection (ISO/IEC 18004 §7.8.3) is most of a label's cost. Runs of dark
    modules along a row become one rectangle each, about a third of the modules.
    """
    qr = qrfast.make(data)  # segno's code, its mask chosen on arrays (see qrfast)
    runs = []
    size = 0
    for r, row in enumerate(qr.matrix_iter(scale=1, border=2)):
        row = list(row)
        size = len(row)
        col = 0
        while col < size:
            if row[col]:
                start = col
                while col < size and row[col]:
                    col += 1
                runs.append((r, start, col - start))
            else:
                col += 1
    return size, tuple(runs)


def _qr(c: canvas.Canvas, data: str, x: float, y: float, size: float) -> None:
    """Draw a QR code as vector squares with its lower-left corner at (x, y).

    One literal PDF path in module units (``cm`` maps a module to ``size / n`` points, rows
    counted down from the top): integer operands instead of a ``rect`` call with four
    formatted floats per module, which made a 480-label sheet take seconds.
    """
    n, runs = _qr_runs(data)
    cell = size / n
    ops = " ".join(f"{col} {r} {length} 1 re" for r, col, length in runs)
    c.addLiteral(f"q {cell:.5f} 0 0 {-cell:.5f} {x:.3f} {y + size:.3f} cm {ops} f Q")


@lru_cache(maxsize=1)
def _register_fonts() -> None:
    """Register the CJK font once per process (registering it per sheet re-parsed it)."""
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))


def label_sheet(instruments, title: str = "") -> bytes:
    """A4 sheet of labels (3 × 8 per page): QR to the public page, lifetime ID, name."""
    _register_fonts()
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
