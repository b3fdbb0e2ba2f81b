"""Journal rows are kept as written: the database itself refuses UPDATE and DELETE, on
SQLite and on PostgreSQL, whoever asks (raw SQL here, not the ORM)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from kassa.server.journal.immutability import journal_triggers
from kassa.server.journal.models import (
    IntegrityAlert,
    ServerEntry,
    ServerKey,
    TerminalEntry,
    TerminalKey,
)

from .conftest import Till, ingest, sql

KEPT = ["journal_terminalentry", "journal_serverentry", "journal_terminalkey", "journal_serverkey"]


@pytest.fixture
def filled(till: Till) -> None:
    # given a till's key, two of its entries, and the server chain's key and entries
    ingest(till.entries(2))
    assert TerminalEntry.objects.count() == 2
    assert TerminalKey.objects.count() == 1
    assert ServerKey.objects.count() == 1
    assert ServerEntry.objects.count() >= 2


@pytest.mark.parametrize("table", KEPT)
def test_update_is_refused(filled: None, table: str) -> None:
    with pytest.raises(IntegrityError, match="kept as written"), transaction.atomic():
        sql(f'UPDATE "{table}" SET "id" = "id"')  # noqa: S608 - a table name of ours


@pytest.mark.parametrize("table", KEPT)
def test_delete_is_refused(filled: None, table: str) -> None:
    count = _count(table)
    with pytest.raises(IntegrityError, match="kept as written"), transaction.atomic():
        sql(f'DELETE FROM "{table}"')  # noqa: S608
    assert _count(table) == count


@pytest.mark.parametrize("table", KEPT)
def test_truncate_is_refused_on_postgresql(filled: None, table: str) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    with pytest.raises(IntegrityError, match="kept as written"), transaction.atomic():
        sql(f'TRUNCATE "{table}" CASCADE')


def test_an_alert_may_be_acknowledged_once_and_is_otherwise_kept(db: None) -> None:
    # given an open alert
    alert = IntegrityAlert.objects.create(
        terminal_code="POS1",
        seq=3,
        reason="fork",
        detail="another entry at seq 3",
        quarantined=True,
        canonical=b"{}",
        hash="ab",
        sig="cd",
        detected_at=timezone.now(),
    )
    # then its verbatim columns cannot change, nor can it be deleted
    for column, value in [("detail", "x"), ("canonical", b"[]"), ("reason", "bad_hash")]:
        with pytest.raises(IntegrityError, match="kept as written"), transaction.atomic():
            sql(f'UPDATE "journal_integrityalert" SET "{column}" = %s', [value])  # noqa: S608
    with pytest.raises(IntegrityError, match="kept as written"), transaction.atomic():
        sql('DELETE FROM "journal_integrityalert"')
    # when it is acknowledged, then that is recorded, once
    now = timezone.now()
    IntegrityAlert.objects.filter(pk=alert.pk).update(acknowledged_by="admin", acknowledged_at=now)
    with pytest.raises(IntegrityError, match="kept as written"), transaction.atomic():
        IntegrityAlert.objects.filter(pk=alert.pk).update(acknowledged_by="mallory")
    alert.refresh_from_db()
    assert (alert.acknowledged_by, alert.acknowledged_at, alert.detail) == (
        "admin",
        now,
        "another entry at seq 3",
    )


@pytest.mark.django_db(transaction=True)
def test_flush_empties_the_journal_and_keeps_its_triggers() -> None:
    # given committed journal rows (tests that commit are emptied by flush afterwards)
    till = Till()
    till.register()
    ingest(till.entries(3))
    triggers = journal_triggers(connection)
    assert len(triggers) >= 10
    # when the database is flushed
    call_command("flush", interactive=False, verbosity=0)
    # then the journal is empty and its triggers are as they were
    assert TerminalEntry.objects.count() == 0
    assert ServerEntry.objects.count() == 0
    assert journal_triggers(connection) == triggers


def _count(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608
        return cursor.fetchone()[0]
