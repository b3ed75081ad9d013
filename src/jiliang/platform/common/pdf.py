"""PDF reports shared by the apps (PDF 报告): reportlab with the certificates' CJK font.

One place for what every report needs: the registered CJK font and its paragraph styles, an A4
document (portrait or landscape) that is byte-for-byte reproducible (``invariant``), a
two-column "facts" table, a grid table and text escaping for reportlab's paragraph markup.
Nothing here imports an app (the content of a report is the app's).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

#: reportlab units are points; 1 mm = 72/25.4 pt
MM = 72 / 25.4


@dataclass(frozen=True)
class Styles:
    """The CJK font name and the paragraph styles of a report."""

    font: str
    body: object  # reportlab ParagraphStyle
    head: object
    heading: object


def styles(size: float = 7) -> Styles:
    """Register the CJK font (``jiliang.core.dcc.render``) and return body/title/section styles;
    ``size`` is the body font size in points."""
    from reportlab.lib.styles import ParagraphStyle

    from jiliang.core.dcc.render import register_cjk_font

    font = register_cjk_font()
    return Styles(
        font,
        ParagraphStyle("body", fontName=font, fontSize=size, leading=size * 1.3, wordWrap="CJK"),
        ParagraphStyle("head", fontName=font, fontSize=14, leading=18),
        ParagraphStyle("heading", fontName=font, fontSize=10, leading=14, spaceBefore=6),
    )


def escape(text: object) -> str:
    """``text`` safe inside a reportlab Paragraph (its markup is XML-like)."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def document(buf: io.BytesIO, title: str, *, landscape: bool = False):
    """An A4 ``SimpleDocTemplate`` writing to ``buf`` with 10 mm margins, reproducible output."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.pagesizes import landscape as turn
    from reportlab.platypus import SimpleDocTemplate

    return SimpleDocTemplate(
        buf,
        pagesize=turn(A4) if landscape else A4,
        leftMargin=10 * MM,
        rightMargin=10 * MM,
        topMargin=10 * MM,
        bottomMargin=10 * MM,
        title=title,
        invariant=1,
    )


def facts_table(rows: list[tuple[str, str]], st: Styles, widths_mm: tuple[float, float]):
    """Label/value pairs as a two-column table (values are escaped here)."""
    from reportlab.platypus import Paragraph, Table, TableStyle

    table = Table(
        [[Paragraph(escape(k), st.body), Paragraph(escape(v), st.body)] for k, v in rows],
        colWidths=[w * MM for w in widths_mm],
    )
    table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), st.font)]))
    return table


def grid_table(header: list[str], rows: list[list[str]], st: Styles, widths_mm: list[float]):
    """A gridded table with a repeated header row; cells are paragraph markup (escape first)."""
    from reportlab.lib import colors
    from reportlab.platypus import Paragraph, Table, TableStyle

    data = [[Paragraph(h, st.body) for h in header]]
    data += [[Paragraph(c, st.body) for c in row] for row in rows]
    table = Table(data, colWidths=[w * MM for w in widths_mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table
