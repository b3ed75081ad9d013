"""QR codes for the label sheet with segno's mask selection done in numpy (same result, faster).

ISO/IEC 18004:2015 §7.8.3 requires the data mask with the lowest penalty score. segno scores all
eight masks module by module in pure Python, about 16 ms of the 21 ms a version-4 label code
takes, so a 480-label sheet spent seconds on it. :func:`make` runs segno's own encoder with
:func:`_find_and_apply_best_mask` standing in for segno's function of that name: the same masks,
the same penalty rules N1–N4 and the same tie-break (first lowest score), on arrays. The result
is the code segno itself would make, module for module — ``tests/platform/supervision/
test_labels_pdf.py`` compares the two over hundreds of contents, so a segno upgrade that
changes the internals this relies on fails there, not on a printed label.
"""

from __future__ import annotations

import threading
from functools import lru_cache

import numpy as np
import segno
from segno import encoder as _encoder

_ORIGINAL = _encoder.find_and_apply_best_mask
_LOCK = threading.Lock()
_N3 = bytes((1, 0, 1, 1, 1, 0, 1))


@lru_cache(maxsize=64)
def _masks(size: int) -> np.ndarray:
    """The eight QR data masks (ISO/IEC 18004 Table 10) of a ``size`` × ``size`` symbol."""
    i, j = np.indices((size, size))
    return np.array(
        [
            (i + j) % 2 == 0,
            i % 2 == 0,
            j % 3 == 0,
            (i + j) % 3 == 0,
            (i // 2 + j // 3) % 2 == 0,
            (i * j) % 2 + (i * j) % 3 == 0,
            ((i * j) % 2 + (i * j) % 3) % 2 == 0,
            ((i + j) % 2 + (i * j) % 3) % 2 == 0,
        ],
        dtype=np.uint8,
    )


@lru_cache(maxsize=64)
def _encoding_region(size: int) -> np.ndarray:
    """Modules of the data region (1) — what segno's ``is_encoding_region`` marks."""
    function = _encoder.make_matrix(size, size)
    _encoder.add_finder_patterns(function, size, size)
    _encoder.add_alignment_patterns(function, size, size)
    function[-8][8] = 0x1  # the dark module
    return (np.array([list(r) for r in function], dtype=np.uint8) > 1).astype(np.uint8)


def _n1(lines: np.ndarray) -> np.ndarray:
    """N1 per mask: each run of ≥ 5 same-colour modules in a line scores its length − 2.

    ``lines``: (masks, lines, modules). A run of length L ≥ 5 scores L − 2 = 3 for its fifth
    module plus 1 for each further one, so the score counts modules by their run position.
    """
    n = lines.shape[-1]
    pos = np.arange(n)
    change = np.ones(lines.shape, dtype=bool)
    change[..., 1:] = lines[..., 1:] != lines[..., :-1]
    start = np.maximum.accumulate(np.where(change, pos, 0), axis=-1)
    run = pos - start + 1
    return 3 * (run == 5).sum(axis=(1, 2)) + (run > 5).sum(axis=(1, 2))


def _n3(lines: np.ndarray) -> np.ndarray:
    """N3 per mask, exactly as segno counts it: 40 for each 1:1:3:1:1 finder-like pattern with
    4 light modules (or the symbol edge) before or after it.

    segno's search resumes 7 modules on after a counted pattern and 4 after an uncounted one,
    so of two patterns overlapping (4 or 6 modules apart) the second may go unseen: the few
    lines with such a pair are walked in segno's order, the rest are counted on arrays.
    """
    n = lines.shape[-1]
    windows = np.lib.stride_tricks.sliding_window_view(lines, 7, axis=-1)
    hits = (windows == np.frombuffer(_N3, dtype=np.uint8)).all(axis=-1)  # (…, n − 6)
    m = n - 6
    # dark modules among the (up to) 4 before and the (up to) 4 after each position
    dark = np.concatenate(
        (np.zeros((*lines.shape[:2], 1), dtype=np.int64), lines.astype(np.int64).cumsum(-1)), -1
    )
    idx = np.arange(m)
    before = dark[..., idx] - dark[..., np.maximum(idx - 4, 0)]
    after = dark[..., np.minimum(idx + 11, n)] - dark[..., idx + 7]
    edge = (idx == 0) | (idx == n - 7)
    counted = hits & (edge | (before == 0) | (after == 0))
    close = np.zeros(hits.shape[:2], dtype=bool)
    for gap in (4, 6):
        close |= (hits[..., gap:] & hits[..., :-gap]).any(-1)
    scores = 40 * np.where(close, 0, counted.sum(-1)).sum(-1)
    for k, line in zip(*np.nonzero(close), strict=True):
        resume = 0
        for at in np.flatnonzero(hits[k, line]):
            if at < resume:
                continue
            if counted[k, line, at]:
                scores[k] += 40
                resume = at + 7
            else:
                resume = at + 4
    return scores


def _find_and_apply_best_mask(matrix, width, height, proposed_mask=None):
    """segno's ``find_and_apply_best_mask`` for QR (not Micro QR) symbols, on arrays."""
    if proposed_mask is not None or width != height or width < 21:
        return _ORIGINAL(matrix, width, height, proposed_mask)
    base = np.array([list(r) for r in matrix], dtype=np.uint8)
    masked = base[None, :, :] ^ (_masks(width) & _encoding_region(width)[None, :, :])
    lines = np.concatenate((masked, masked.transpose(0, 2, 1)), axis=1)
    m = masked
    same = (m[:, 1:, 1:] == m[:, 1:, :-1]) & (m[:, 1:, 1:] == m[:, :-1, 1:])
    same &= m[:, 1:, 1:] == m[:, :-1, :-1]
    n2 = 3 * same.sum(axis=(1, 2))
    percent = m.sum(axis=(1, 2)).astype(float) / (width**2)
    n4 = 10 * (np.abs(percent * 100 - 50) / 5).astype(np.int64)
    scores = _n1(lines) + n2 + _n3(lines) + n4
    best = int(np.argmin(scores))  # the first lowest, as segno's strict ``lt``
    return best, tuple(bytearray(row.tobytes()) for row in masked[best])


def make(content: str) -> segno.QRCode:
    """``segno.make(content, error="m", micro=False)``, mask selection in numpy."""
    with _LOCK:
        # segno's encoder looks the function up at call time; swapped for this call only
        _encoder.find_and_apply_best_mask = _find_and_apply_best_mask
        try:
            return segno.make(content, error="m", micro=False)
        finally:
            _encoder.find_and_apply_best_mask = _ORIGINAL
