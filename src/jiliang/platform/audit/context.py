"""Who is making the current change and why: a context variable set per request or command."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class AuditActor:
    user_id: int | None
    username: str
    reason: str = ""


_current: ContextVar[AuditActor | None] = ContextVar("jiliang_audit_actor", default=None)


def current_actor() -> AuditActor | None:
    return _current.get()


@contextlib.contextmanager
def acting_as(user, reason: str = "") -> Iterator[AuditActor]:
    """Attribute changes made inside the block to ``user`` (a Django user or ``None``)."""
    if user is not None and getattr(user, "is_authenticated", False):
        actor = AuditActor(user.pk, user.get_username(), reason)
    else:
        actor = AuditActor(None, "system" if user is None else "anonymous", reason)
    token = _current.set(actor)
    try:
        yield actor
    finally:
        _current.reset(token)
