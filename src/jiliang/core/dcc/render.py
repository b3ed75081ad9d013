"""Human-readable PDF of a DCC (Chinese and English) with QR code and the XML attached.

The PDF is drawn from the *parsed* certificate (:func:`parse.parse_dcc`), so any DCC renders, not
only jiliang's own. It is a view: the attached XML (an embedded file, PDF/A-3 style "Source"
attachment) stays the authoritative certificate. A CJK TrueType font is found at runtime;
reportlab cannot embed CFF-flavoured OpenType such as Noto Sans CJK, hence the preference for
WenQuanYi Zen Hei (Debian ``fonts-wqy-zenhei``) or ``$JILIANG_CJK_FONT``.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from pathlib import Path
from xml.sax.saxutils import escape

import segno
from pypdf import PdfReader, PdfWriter
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from jiliang.core.dcc.errors import RenderError
from jiliang.core.dcc.hashing import canonical_hash
from jiliang.core.dcc.parse import ParsedDcc, parse_dcc
from jiliang.core.dcc.safexml import XmlSource, read_source
from jiliang.core.dcc.sign import SignatureReport, verify_dcc
from jiliang.core.dcc.summary import (
    CertificateForm,
    ResultLine,
    certificate_form,
    quantity_lines,
)

FONT_NAME = "JiliangCJK"
CJK_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)
ATTACHMENT_SUFFIX = ".xml"


def find_cjk_font() -> Path:
    """Locate a TrueType font with CJK glyphs: ``$JILIANG_CJK_FONT``, known paths, then fc-list."""
    env = os.environ.get("JILIANG_CJK_FONT")
    candidates = [env] if env else []
    candidates += list(CJK_FONT_CANDIDATES)
    if not env and shutil.which("fc-list"):
        out = subprocess.run(
            ["fc-list", ":lang=zh", "file", "fontformat"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        candidates += [line.split(":")[0] for line in out.splitlines() if "TrueType" in line]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise RenderError(
        "no CJK TrueType font found; install fonts-wqy-zenhei or set JILIANG_CJK_FONT to a "
        f".ttf/.ttc file (looked at: {', '.join(c for c in candidates if c)})"
    )


def register_cjk_font() -> str:
    """Register the CJK font with reportlab once and return its name."""
    if FONT_NAME not in pdfmetrics.getRegisteredFontNames():
        path = find_cjk_font()
        index = {"subfontIndex": 0} if path.suffix.lower() == ".ttc" else {}
        try:
            font = TTFont(FONT_NAME, str(path), **index)
        except Exception as exc:  # reportlab raises TTFError and plain exceptions alike
            raise RenderError(f"{path}: cannot be used as a PDF font ({exc})") from exc
        pdfmetrics.registerFont(font)
    return FONT_NAME


def _both(text: dict[str, str]) -> str:
    """Chinese first, then English, then anything else; duplicates dropped."""
    order = sorted(text, key=lambda k: {"zh": 0, "en": 1, "": 2}.get(k, 3))
    seen: list[str] = []
    for key in order:
        if text[key] and text[key] not in seen:
            seen.append(text[key])
    return " / ".join(seen)


def _fmt(value: float) -> str:
    return f"{value:.10g}"


#: bilingual labels of the DCC conformity statuses
CONFORMITY_TEXT = {
    "pass": "合格 pass",
    "fail": "不合格 fail",
    "conditionalPass": "有条件合格 conditional pass",
    "conditionalFail": "有条件不合格 conditional fail",
    "noPass": "未通过 no pass",
    "noFail": "未判定不合格 no fail",
}


def _line_row(line: ResultLine, first: bool) -> list[str]:
    """A reported line (GUM 7.2.6 rounding, unit symbol) as a results-table row."""
    name = _both(line.name) if first else ""
    if line.text:
        return [name, _both(line.text), "", "", "", "", _conformity(line.conformity)]
    return [
        name,
        line.value,
        line.unit,
        line.uncertainty or "",
        line.coverage_factor or "",
        line.coverage_probability or "",
        _conformity(line.conformity),
    ]


def _conformity(status: str | None) -> str:
    return CONFORMITY_TEXT.get(status, status) if status else ""


def _qr(url: str) -> Image:
    buf = io.BytesIO()
    segno.make(url, error="m").save(buf, kind="png", scale=4, border=2)
    buf.seek(0)
    return Image(buf, width=32 * mm, height=32 * mm)


def _statements(dcc: ParsedDcc, pattern: str) -> list[str]:
    rx = re.compile(pattern, re.I)
    return [_both(s.declaration) for s in dcc.statements if s.ref_type and rx.search(s.ref_type)]


def uncertainty_statement(dcc: ParsedDcc) -> str:
    """The bilingual GUM statement for the coverage factors/probabilities used in ``dcc``."""
    uncs = [q.uncertainty for q in dcc.quantities() if q.uncertainty]
    ks = sorted({k for u in uncs for k in u.coverage_factor})
    ps = sorted({p for u in uncs for p in u.coverage_probability})
    if not ks:
        return (
            "本证书未给出测量不确定度。/ No measurement uncertainty is stated in this certificate."
        )
    k = ", ".join(_fmt(v) for v in ks)
    p = ", ".join(f"{v * 100:g} %" for v in ps) or "—"
    return (
        f"表中给出的扩展不确定度 U 由标准不确定度乘以包含因子 k = {k} 得到，"
        f"对应的包含概率约为 {p}（依据 JJF 1059.1 / GUM）。"
        f" / The expanded uncertainty U is the standard uncertainty multiplied by the coverage "
        f"factor k = {k}, corresponding to a coverage probability of approximately {p} (GUM)."
    )


def _signature_text(xml: bytes, dcc: ParsedDcc, signature: SignatureReport | None) -> str:
    if not dcc.signed:
        return "未签名 / Not signed."
    report = signature or verify_dcc(xml)
    integrity = "完整 intact" if report.integrity_ok else "已被改动 MODIFIED"
    trust = "可信 trusted" if report.trusted else "未验证信任链 chain not verified"
    return (
        f"签名者 Signer: {report.signer}; 签发者 Issuer: {report.issuer}; "
        f"签名时间 Signing time: {report.signing_time}; 完整性 Integrity: {integrity}; {trust}."
    )


def _styles() -> dict[str, ParagraphStyle]:
    font = register_cjk_font()
    base = ParagraphStyle("base", fontName=font, fontSize=9, leading=13, wordWrap="CJK")
    return {
        "base": base,
        "h1": ParagraphStyle("h1", parent=base, fontSize=16, leading=22, spaceAfter=4),
        "h2": ParagraphStyle("h2", parent=base, fontSize=11, leading=16, spaceBefore=8),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=10),
    }


#: info-table labels that differ between a calibration and a verification
_LABELS = {
    "calibration": {
        "lab": "校准机构 Laboratory",
        "item": "被校对象 Item",
        "date": "校准日期 Calibration date",
        "location": "校准地点 Location",
    },
    "verification": {
        "lab": "检定机构 Verification body",
        "item": "被检对象 Item",
        "date": "检定日期 Verification date",
        "location": "检定地点 Location",
    },
}


def _conclusion(form: CertificateForm, para) -> list:
    """The verification's conclusion; a notice also lists the items that did not conform."""
    if form.kind != "verification":
        return []
    story = [para("检定结论 Conclusion", "h2")]
    if form.conforming:
        story.append(
            para("经检定，该计量器具合格。/ The measuring instrument conforms (verified).")
        )
        return story
    if form.conforming is False:
        story.append(
            para(
                "经检定，该计量器具不合格，不符合检定规程的要求。/ The measuring instrument does "
                "not conform to the requirements of the verification regulation."
            )
        )
    else:
        story.append(
            para(
                "经检定，该计量器具未被判定为合格。/ The measuring instrument was not found to "
                "conform (no conforming verdict was reached)."
            )
        )
    if form.failed:
        story.append(para("不合格项目 Non-conforming items", "h2"))
        for line in form.failed:
            value = _both(line.text) if line.text else f"{line.value} {line.unit}".strip()
            u = f" (U = {line.uncertainty} {line.unit}, k = {line.coverage_factor})"
            story.append(para(f"• {_both(line.name)}: {value}{u if line.uncertainty else ''}"))
    return story


def _story(
    xml: bytes,
    dcc: ParsedDcc,
    url: str,
    signature: SignatureReport | None,
    form: CertificateForm | None = None,
) -> list:
    st = _styles()
    form = form or certificate_form(dcc)
    labels = _LABELS[form.kind]

    def para(text: str, style: str = "base") -> Paragraph:
        return Paragraph(escape(text), st[style])

    title = [
        para(form.title, "h1"),
        para(f"证书编号 Certificate No.: {dcc.certificate_id}"),
        para(f"SHA-256 (C14N): {canonical_hash(xml)}", "cell"),
        para(f"验证 Verify: {url}", "cell"),
    ]
    story: list = [Table([[title, _qr(url)]], colWidths=[140 * mm, 36 * mm]), Spacer(1, 4 * mm)]
    lab = dcc.laboratory
    idents = [
        f"{_both(x.name) or x.issuer}: {x.value}" for i in dcc.items for x in i.identifications
    ]
    info = [
        (labels["lab"], _both(lab.name) if lab else ""),
        ("委托方 Customer", _both(dcc.customer.name) if dcc.customer else ""),
        (labels["item"], "; ".join(_both(i.name) for i in dcc.items)),
        ("编号 Identifications", "; ".join(idents)),
        (labels["date"], f"{dcc.begin_date} – {dcc.end_date}"),
        (labels["location"], dcc.performance_location or ""),
        ("人员 Responsible persons", ", ".join(dcc.resp_persons)),
    ]
    rows = [[para(k, "cell"), para(v, "cell")] for k, v in info]
    story += [
        Table(rows, colWidths=[45 * mm, 131 * mm]),
        para("测量结果 Measurement results", "h2"),
    ]
    header = ["量 Quantity", "值 Value", "单位 Unit", "U", "k", "p", "符合性 Conformity"]
    # values and U to reporting precision (GUM 7.2.6), units as symbols
    body = []
    for q in dcc.quantities():
        body += [_line_row(line, i == 0) for i, line in enumerate(quantity_lines(q))]
    table = Table(
        [[para(c, "cell") for c in row] for row in [header, *body]],
        colWidths=[48 * mm, 25 * mm, 22 * mm, 22 * mm, 12 * mm, 14 * mm, 33 * mm],
        repeatRows=1,
    )
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef7")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story += [table, *_conclusion(form, para)]
    story += [para("测量不确定度 Uncertainty", "h2"), para(uncertainty_statement(dcc))]
    story.append(para("计量溯源性 Traceability", "h2"))
    story += [para(t) for t in _statements(dcc, "traceab") or ["—"]]
    story.append(para("判定规则 Decision rule", "h2"))
    story += [para(t) for t in _statements(dcc, "decision|conformity") or ["—"]]
    story += [para("电子签名 Signature", "h2"), para(_signature_text(xml, dcc, signature))]
    story.append(
        para(
            "本 PDF 为可读副本，附件中的 DCC XML 为正式证书。/ This PDF is a readable copy; "
            "the attached DCC XML is the authoritative certificate.",
            "cell",
        )
    )
    return story


#: diagonal mark on every page of a certificate that has not been issued
DRAFT_WATERMARK = "草稿 DRAFT — 非正式证书"


def _watermark(canvas, doc) -> None:
    """Draw :data:`DRAFT_WATERMARK` diagonally across the page (reportlab page callback)."""
    width, height = doc.pagesize
    canvas.saveState()
    canvas.setFont(FONT_NAME, 40)
    # light red, half transparent: unmistakable, yet the content under it stays legible
    canvas.setFillColor(colors.Color(0.85, 0.1, 0.1, alpha=0.25))
    canvas.translate(width / 2, height / 2)
    canvas.rotate(45)
    canvas.drawCentredString(0, 0, DRAFT_WATERMARK)
    canvas.restoreState()


def _no_mark(canvas, doc) -> None:
    """Issued certificates carry no watermark."""


def verification_url(url_base: str, certificate_id: str) -> str:
    """Public verification URL encoded in the QR code: ``{url_base}/dcc/{id}``."""
    return f"{url_base.rstrip('/')}/dcc/{certificate_id}"


def render_pdf(
    source: XmlSource,
    *,
    url_base: str = "https://jiliang.example",
    signature: SignatureReport | None = None,
    draft: bool = False,
    default_kind: str = "calibration",
) -> bytes:
    """Render the DCC as PDF bytes; the original XML is attached byte for byte.

    The form (校准证书, 检定证书 or 检定结果通知书) follows the DCC (:mod:`summary`);
    ``default_kind`` ("calibration" or "verification") only decides for a DCC that does not say
    whether it records a verification. ``draft``: not issued — every page carries the
    :data:`DRAFT_WATERMARK`.
    """
    xml = read_source(source)
    dcc = parse_dcc(xml)
    form = certificate_form(dcc, default_kind)
    lab = _both(dcc.laboratory.name) if dcc.laboratory else ""
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=17 * mm,
        rightMargin=17 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=f"{form.title_en} {dcc.certificate_id}",
        author=lab,
    )
    story = _story(xml, dcc, verification_url(url_base, dcc.certificate_id), signature, form)
    mark = _watermark if draft else _no_mark
    doc.build(story, onFirstPage=mark, onLaterPages=mark)
    # reportlab has no embedded-file API; pypdf adds the /EmbeddedFiles name tree.
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(buf.getvalue())))
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", dcc.certificate_id) or "dcc"
    writer.add_attachment(safe + ATTACHMENT_SUFFIX, xml)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def attached_xml(pdf: bytes) -> bytes:
    """Return the DCC XML attached to a PDF made by :func:`render_pdf`."""
    attachments = PdfReader(io.BytesIO(pdf)).attachments
    names = [n for n in attachments if n.endswith(ATTACHMENT_SUFFIX)]
    if not names:
        raise RenderError("PDF has no DCC XML attachment")
    return attachments[names[0]][0]
