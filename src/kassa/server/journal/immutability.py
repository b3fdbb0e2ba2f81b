"""The triggers that keep journal rows as written, and the one way around them.

Migration 0001 creates them (SQLite and PostgreSQL): UPDATE and DELETE are refused on the
entries of every chain and on the keys; an alert may only have its acknowledgement set,
once; on PostgreSQL TRUNCATE is refused too. A refusal is an IntegrityError whose message
says "kept as written".

`journal_triggers_lifted` drops them and puts the same definitions back, read from the
database itself. Only `flush` (which empties every table: tests, a fresh start) uses it;
tests use it to tamper with a stored chain and prove that journal_verify finds it. It
guards against the application and the back office, not against whoever can drop a
trigger: that is what the chain, the signatures and the anchors are for.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db.backends.base.base import BaseDatabaseWrapper

TRIGGER_PREFIX = "journal_"


def journal_triggers(connection: BaseDatabaseWrapper) -> list[tuple[str, str, str]]:
    """The journal's triggers in the database: (name, table, the SQL that makes it)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name, tbl_name, sql FROM sqlite_master "
                "WHERE type = 'trigger' AND name LIKE 'journal\\_%' ESCAPE '\\' ORDER BY name"
            )
        elif connection.vendor == "postgresql":
            cursor.execute(
                "SELECT t.tgname, c.relname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
                "JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE NOT t.tgisinternal AND t.tgname LIKE 'journal\\_%' ORDER BY t.tgname"
            )
        else:  # pragma: no cover - Kassa runs on SQLite and PostgreSQL only
            raise NotImplementedError(connection.vendor)
        return [(name, table, sql) for name, table, sql in cursor.fetchall()]


@contextmanager
def journal_triggers_lifted(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """Without the journal's triggers for the block, then with them again, as they were.

    Run it inside a transaction: both databases undo the DDL with it on a rollback.
    """
    triggers = journal_triggers(connection)
    with connection.cursor() as cursor:
        for name, table, _ in triggers:
            if connection.vendor == "sqlite":
                cursor.execute(f'DROP TRIGGER "{name}"')
            else:
                cursor.execute(f'DROP TRIGGER "{name}" ON "{table}"')
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for _, _, sql in triggers:
                cursor.execute(sql)
