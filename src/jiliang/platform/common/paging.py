"""The list page every API list endpoint answers: ``{count, limit, offset, items}``."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

#: most rows one list request may return
MAX_LIMIT = 500
#: default rows of a list request
DEFAULT_LIMIT = 50
#: largest list offset: beyond any real registry, far below SQLite's 2⁶³
MAX_OFFSET = 10**9


def page(
    rows: Any, limit: int, offset: int, item: Callable[[Any], Any] = lambda r: r
) -> dict[str, Any]:
    """One page of ``rows`` (a queryset or a sequence) with ``item`` applied to each row.

    ``count`` is the number of rows before paging (``rows.count()`` for a queryset: one
    ``COUNT`` query, not a fetch of every row).
    """
    count = rows.count() if hasattr(rows, "query") else len(rows)
    window: Iterable = rows[offset : offset + limit]
    return {"count": count, "limit": limit, "offset": offset, "items": [item(r) for r in window]}
