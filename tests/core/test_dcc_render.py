"""PDF rendering: CJK text present (pdftotext), page 1 not blank (pdftoppm), XML attached, QR."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from jiliang.core.dcc.build import build_dcc
from jiliang.core.dcc.errors import RenderError
from jiliang.core.dcc.example import example_record
from jiliang.core.dcc.render import attached_xml, find_cjk_font, register_cjk_font, render_pdf

pytestmark = pytest.mark.skipif(
    not (shutil.which("pdftoppm") and shutil.which("pdftotext")),
    reason="poppler-utils (pdftoppm, pdftotext) not installed",
)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> tuple[bytes, bytes, Path]:
    try:
        register_cjk_font()
    except RenderError as exc:
        pytest.skip(str(exc))
    xml = build_dcc(example_record())
    pdf = render_pdf(xml, url_base="https://verify.example.cn/")
    path = tmp_path_factory.mktemp("pdf") / "dcc.pdf"
    path.write_bytes(pdf)
    return xml, pdf, path


def test_pdf_text_has_chinese_and_english(rendered) -> None:
    _, _, path = rendered
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    for expected in (
        "校准证书",
        "Calibration Certificate",
        "铂电阻温度计",
        "JL-2026-000123",
        "计量溯源性",
        "ITS-90",
        "判定规则",
        "ILAC-G8",
        "示值误差",
        "k = 2",
        "https://verify.example.cn/dcc/JL-2026-000123",
    ):
        assert expected in text, expected


def test_pdf_page_renders_non_blank(rendered, tmp_path) -> None:
    _, _, path = rendered
    subprocess.run(
        ["pdftoppm", "-r", "30", "-gray", "-f", "1", "-l", "1", str(path), str(tmp_path / "p")],
        check=True,
    )
    (png,) = tmp_path.glob("p*.pgm") or tmp_path.glob("p*")
    data = png.read_bytes()
    # PGM: header then one byte per pixel; a blank page is all 255.
    pixels = data.split(b"\n", 3)[3]
    dark = sum(1 for b in pixels if b < 128)
    assert dark > 0.01 * len(pixels), dark


def test_xml_attached_byte_for_byte(rendered) -> None:
    xml, pdf, _ = rendered
    assert attached_xml(pdf) == xml


def test_missing_font_is_a_clear_error(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("JILIANG_CJK_FONT", str(tmp_path / "none.ttf"))
    monkeypatch.setattr("jiliang.core.dcc.render.CJK_FONT_CANDIDATES", ())
    with pytest.raises(RenderError, match="no CJK TrueType font found; install fonts-wqy-zenhei"):
        find_cjk_font()
