"""Bounded parameter types for the API (有界的接口参数), so bad input is a 422, never a 500.

Unbounded ``int`` and ``date`` parameters reached the database or date arithmetic and crashed:
a negative ``offset`` is a negative slice (Django raises ``ValueError``), an offset past 2⁶³ does
not fit an SQLite integer, and ``as_of=9999-12-31`` overflows as soon as a verification interval
is added to it. These aliases carry the bounds in the OpenAPI schema as well, so clients (and the
schemathesis run in the test suite) see them.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from ninja import Query
from pydantic import AfterValidator, Field

from jiliang.platform.common.paging import MAX_LIMIT, MAX_OFFSET

#: the date range the platform reasons about; dates outside it are typos or probes, and the
#: date arithmetic on them (due dates, intervals of years) would leave Python's year 1..9999
MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(2199, 12, 31)
#: largest database id accepted in a path or body (SQLite and PostgreSQL bigint: 2⁶³ − 1)
MAX_ID = 2**63 - 1


def _sane_date(value: dt.date) -> dt.date:
    if not MIN_DATE <= value <= MAX_DATE:
        raise ValueError(f"date must lie between {MIN_DATE} and {MAX_DATE}")
    return value


#: ``?limit=`` of a list endpoint: 1..500
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"page size, 1..{MAX_LIMIT}")]
#: ``?offset=`` of a list endpoint: 0..10⁹
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="rows to skip")]
#: a calendar date within :data:`MIN_DATE`..:data:`MAX_DATE` (body fields and query parameters)
SaneDate = Annotated[
    dt.date,
    AfterValidator(_sane_date),
    Field(description=f"a date between {MIN_DATE} and {MAX_DATE}"),
]
#: ``?as_of=``-style query date within the sane range
QueryDate = Annotated[
    dt.date,
    AfterValidator(_sane_date),
    Query(description=f"a date between {MIN_DATE} and {MAX_DATE}"),
]
