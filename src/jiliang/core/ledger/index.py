"""Leaf hash → index lookup for "inclusion proof by leaf hash".

An SQLite table keyed by the first 8 bytes of the leaf hash (as a signed 64-bit integer) and the
index, ``WITHOUT ROWID`` so the B-tree *is* the index (≈ 20 bytes a leaf). Prefix collisions are
legal and resolved by comparing the full hash with the level-0 tile. The index is derived data:
it is filled lazily from the level-0 tiles up to the committed tree size on first lookup (so
appends never pay for it, and a crash can only leave it behind, never wrong), and can be deleted
and rebuilt at any time.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from jiliang.core.ledger.errors import LedgerError

CHUNK = 1 << 18  # leaves indexed per transaction while catching up


class LeafNotFoundError(LedgerError, KeyError):
    """No leaf with this hash in the log."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


def _prefix(leaf: bytes) -> int:
    return int.from_bytes(leaf[:8], "big", signed=True)


class LeafIndex:
    """SQLite-backed map from leaf hash to the first index holding it."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._db = sqlite3.connect(self.path, isolation_level=None, timeout=60)
        self._db.execute("PRAGMA journal_mode=WAL")
        # Derived data: losing the last transactions on power loss only means re-indexing them.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS leaf (prefix INTEGER NOT NULL, idx INTEGER NOT NULL,"
            " PRIMARY KEY (prefix, idx)) WITHOUT ROWID"
        )
        self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER)")

    def close(self) -> None:
        self._db.close()

    def indexed_size(self) -> int:
        row = self._db.execute("SELECT value FROM meta WHERE key = 'size'").fetchone()
        return int(row[0]) if row else 0

    def catch_up(self, size: int, leaf_hashes: Callable[[int, int], list[bytes]]) -> int:
        """Index leaves up to ``size`` (``leaf_hashes(start, end)`` reads them); returns count."""
        added = 0
        while True:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                start = self.indexed_size()
                if start > size:
                    raise LedgerError(
                        f"leaf index covers {start} leaves but the log has only {size}; "
                        f"delete {self.path.name} to rebuild it"
                    )
                end = min(size, start + CHUNK)
                if start == end:
                    self._db.execute("COMMIT")
                    return added
                # Sorted inserts walk the B-tree in order: several times faster than random ones.
                rows = sorted(
                    (_prefix(h), start + i) for i, h in enumerate(leaf_hashes(start, end))
                )
                self._db.executemany("INSERT OR IGNORE INTO leaf VALUES (?, ?)", rows)
                self._db.execute("INSERT OR REPLACE INTO meta VALUES ('size', ?)", (end,))
                self._db.execute("COMMIT")
                added += end - start
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def candidates(self, leaf: bytes) -> list[int]:
        """Indexes whose leaf hash shares the 8-byte prefix, ascending."""
        rows = self._db.execute(
            "SELECT idx FROM leaf WHERE prefix = ? ORDER BY idx", (_prefix(leaf),)
        ).fetchall()
        return [r[0] for r in rows]
