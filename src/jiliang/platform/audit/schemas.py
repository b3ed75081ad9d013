"""API schema of an audit entry."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema


class AuditEntryOut(Schema):
    id: int
    timestamp: dt.datetime
    username: str
    action: str
    model: str
    object_id: str
    object_repr: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    changed_fields: list[str]
    reason: str
    entry_hash: str
    #: the record's previous entry's ``entry_hash`` ("" for its first): the history's hash chain
    prev_hash: str
    ledger_index: int | None
