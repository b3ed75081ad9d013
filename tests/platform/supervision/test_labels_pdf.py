"""Issue 18 item 9: the QR label sheet, made faster without changing a module of any code.

``qrfast`` chooses the data mask on arrays instead of segno's pure-Python loop; the codes must
be exactly the ones segno makes (ISO/IEC 18004 §7.8.3: the lowest-penalty mask), and the sheet
must draw exactly their dark modules. Speed is measured by benchmarks/bench_labels.py, not here.
"""

from __future__ import annotations

import random
import re
import uuid
import zlib
from types import SimpleNamespace

import pytest
import segno

from jiliang.core.identifiers import make_lifetime_id
from jiliang.platform.supervision import public, qrfast


def _contents() -> list[str]:
    rng = random.Random(18)
    urls = [
        f"https://jiliang.example.cn/v/{uuid.UUID(int=rng.getrandbits(128))}/" for _ in range(150)
    ]
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/:.-_?=&%计量"
    # lengths from version 1 to version ~15 (where alignment patterns multiply)
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 400))) for _ in range(120)]
    return urls + texts + ["0" * 50, "1" * 7, "HELLO WORLD", "x"]


@pytest.mark.parametrize("content", _contents())
def test_fast_codes_are_segnos_codes(content):
    ref = segno.make(content, error="m", micro=False)
    got = qrfast.make(content)
    assert (got.version, got.error, got.mask) == (ref.version, ref.error, ref.mask)
    assert got.matrix == ref.matrix


def test_segno_is_left_as_it_was():
    qrfast.make("https://jiliang.example.cn/v/x/")
    assert segno.encoder.find_and_apply_best_mask is qrfast._ORIGINAL


def test_runs_draw_exactly_the_dark_modules():
    data = "https://jiliang.example.cn/v/0b9a8f6e-7c1d-4e2f-9a3b-5c6d7e8f9a0b/"
    public._qr_runs.cache_clear()
    size, runs = public._qr_runs(data)
    grid = [[0] * size for _ in range(size)]
    for r, col, length in runs:
        for c in range(col, col + length):
            assert grid[r][c] == 0  # runs never overlap
            grid[r][c] = 1
    expected = [list(row) for row in segno.make(data, error="m", micro=False).matrix_iter(border=2)]
    assert grid == expected
    assert public._qr_runs(data) == (size, runs)
    assert public._qr_runs.cache_info().hits == 1  # the second label of this content is free


def _page_streams(pdf: bytes) -> list[bytes]:
    """Decoded content streams of the sheet (reportlab: ASCII85 then Flate)."""
    import base64

    out = []
    for raw in re.findall(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        body = raw.strip()
        if body.endswith(b"~>"):
            out.append(zlib.decompress(base64.a85decode(body, adobe=True)))
    return out


def test_sheet_has_one_qr_path_per_label_with_all_its_modules(settings):
    settings.PUBLIC_URL = "https://jiliang.example.cn"
    items = [
        SimpleNamespace(
            uuid=uuid.UUID(int=i + 1),
            lifetime_id=make_lifetime_id("330106", "EPS", 2024, i + 1),
            name="电子计价秤",
        )
        for i in range(30)
    ]
    pdf = public.label_sheet(items)
    assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type /Page[^s]", pdf)) == 2
    streams = b"".join(_page_streams(pdf))
    paths = re.findall(rb"q [\d.]+ 0 0 -[\d.]+ [\d.]+ [\d.]+ cm (.*?) f Q", streams)
    assert len(paths) == 30
    for inst, path in zip(items, paths, strict=True):
        _size, runs = public._qr_runs(public.scan_url(inst))
        assert path.count(b" re") == len(runs)
    assert streams.count(b" Tj") == 3 * 30  # heading, lifetime ID and name on each label
