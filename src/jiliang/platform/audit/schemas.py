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
    ledger_index: int | None
