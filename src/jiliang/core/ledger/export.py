"""Static C2SP tlog-tiles export: ``checkpoint``, ``tile/<L>/<N>[.p/<W>]``, ``tile/entries/…``.

The directory can be served by any static web server or copied to a mirror.
"""

from __future__ import annotations

from pathlib import Path

from jiliang.core.ledger.log import Log
from jiliang.core.ledger.store import TILE_HEIGHT, TILE_WIDTH, level_count


def tile_path(level: int | str, index: int, width: int | None = None) -> str:
    """``tile/<L>/<N>[.p/<W>]`` with ``N`` in 3-digit groups, all but the last prefixed ``x``."""
    digits = f"{index:d}"
    digits = digits.zfill(-(-len(digits) // 3) * 3)
    groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    name = "/".join([*(f"x{g}" for g in groups[:-1]), groups[-1]])
    suffix = f".p/{width}" if width is not None else ""
    return f"tile/{level}/{name}{suffix}"


def export_tiles(log: Log, dest: Path, entries: bool = True) -> int:
    """Write every tile (and entry bundle) of the current tree; returns the number of files."""
    size = log.size
    written = 0

    def put(relative: str, data: bytes) -> None:
        nonlocal written
        path = dest / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written += 1

    for level in range(level_count(size)):
        count = size >> (TILE_HEIGHT * level)
        full, width = divmod(count, TILE_WIDTH)
        for index in range(full):
            put(tile_path(level, index), log.tile(level, index))
        if width:
            put(tile_path(level, full, width), log.tile(level, full, width))
    if entries:
        full, width = divmod(size, TILE_WIDTH)
        for index in range(full):
            put(tile_path("entries", index), log.entry_bundle(index))
        if width:
            put(tile_path("entries", full, width), log.entry_bundle(full, width))
    note = log.latest_checkpoint()
    if note is not None:
        put("checkpoint", note)
    return written
