"""Database triggers that make the audit trail append-only at the SQL level.

Only one update is allowed: filling ``ledger_index`` once, after the entry's hash was appended to
the transparency log. Everything else — any other column, any delete — is refused by the database
itself, so even a direct SQL session cannot quietly rewrite history (it would have to drop the
trigger, which the transparency log then exposes).
"""

from __future__ import annotations

#: The columns migration 0002 protected (before the hash chain existed).
COLUMNS_0002 = (
    "timestamp",
    "user_id",
    "username",
    "action",
    "model",
    "object_id",
    "object_repr",
    "before",
    "after",
    "changed_fields",
    "reason",
    "entry_hash",
)
#: Every content column, the record chain's ``prev_hash`` included (migration 0003 on).
COLUMNS = (*COLUMNS_0002, "prev_hash")


def _sqlite_forward(columns: tuple[str, ...]) -> list[str]:
    return [
        """
        CREATE TRIGGER audit_auditentry_no_delete BEFORE DELETE ON audit_auditentry
        BEGIN SELECT RAISE(ABORT, 'audit trail is append-only'); END;
        """,
        """
        CREATE TRIGGER audit_auditentry_no_update BEFORE UPDATE ON audit_auditentry
        WHEN OLD.ledger_index IS NOT NULL OR """
        + " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in columns)
        + """
        BEGIN SELECT RAISE(ABORT, 'audit trail is append-only'); END;
        """,
    ]


SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS audit_auditentry_no_delete;",
    "DROP TRIGGER IF EXISTS audit_auditentry_no_update;",
]


def _postgres_forward(columns: tuple[str, ...]) -> list[str]:
    return [
        """
        CREATE FUNCTION audit_auditentry_append_only() RETURNS trigger AS $$
        BEGIN
          IF TG_OP = 'DELETE' THEN
            RAISE EXCEPTION 'audit trail is append-only';
          END IF;
          IF OLD.ledger_index IS NOT NULL OR """
        + " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in columns)
        + """ THEN
            RAISE EXCEPTION 'audit trail is append-only';
          END IF;
          RETURN NEW;
        END;
        $$ LANGUAGE plpgsql;
        """,
        """
        CREATE TRIGGER audit_auditentry_append_only BEFORE UPDATE OR DELETE ON audit_auditentry
        FOR EACH ROW EXECUTE FUNCTION audit_auditentry_append_only();
        """,
    ]


POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS audit_auditentry_append_only ON audit_auditentry;",
    "DROP FUNCTION IF EXISTS audit_auditentry_append_only();",
]


FORWARD = {"sqlite": _sqlite_forward, "postgresql": _postgres_forward}
BACKWARD = {"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}


def install(connection, columns: tuple[str, ...] = COLUMNS) -> None:
    """Create the append-only triggers on ``connection`` (a Django connection).

    ``columns``: the content columns no update may change (migrations pass the set of their
    schema version, so an old migration never names a column that does not exist yet).
    """
    forward = FORWARD.get(connection.vendor)
    if forward is None:
        return
    with connection.cursor() as cursor:
        for sql in forward(columns):
            cursor.execute(sql)


def drop(connection) -> None:
    """Remove the triggers (test teardown that flushes tables; never in production)."""
    with connection.cursor() as cursor:
        for sql in BACKWARD.get(connection.vendor, []):
            cursor.execute(sql)
