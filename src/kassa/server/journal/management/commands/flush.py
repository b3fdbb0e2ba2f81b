"""Django's `flush`, able to empty the journal's tables too.

The journal's triggers refuse DELETE (and TRUNCATE on PostgreSQL), which is what `flush`
runs: tests that commit (live servers, threads) are emptied by it after each test. It
empties every table anyway, so it lifts the triggers for its own statements, in one
transaction, and puts them back (kassa.server.journal.immutability).
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands import flush
from django.db import connections, transaction

from kassa.server.journal.immutability import journal_triggers_lifted


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        database = options["database"]
        connection = connections[database]
        with transaction.atomic(using=database), journal_triggers_lifted(connection):
            super().handle(**options)
