"""Ten clients send the same journal batch at the same moment: each entry is stored once."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection, transaction

from kassa.server.journal.models import HeldEntry, IntegrityAlert, ServerEntry, TerminalEntry
from kassa.server.journal.selectors import journal_verify, server_chain_verify
from kassa.server.journal.services import IngestResult, journal_ingest

from .conftest import TERMINAL, Till

CLIENTS = 10


@pytest.mark.django_db(transaction=True)
def test_same_batch_from_ten_clients_at_once() -> None:
    # given a registered till and a batch of 50 entries (its first)
    till = Till()
    till.register()
    batch = till.entries(50)
    barrier = threading.Barrier(CLIENTS)
    results: list[IngestResult] = []
    errors: list[BaseException] = []

    def send() -> None:
        try:
            barrier.wait(timeout=10)
            with transaction.atomic():
                results.append(journal_ingest(terminal_code=TERMINAL, entries=batch))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    # when ten clients ingest it at the same moment, each in its own transaction
    threads = [threading.Thread(target=send) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # then every client got the same head, one of them accepted all 50, the others none
    assert errors == []
    assert len(results) == CLIENTS
    assert {(r.status.value, r.head.seq, r.head.hash) for r in results} == {
        ("ok", 50, batch[-1]["hash"])
    }
    assert sorted(len(r.accepted) for r in results) == [0] * (CLIENTS - 1) + [50]
    # and the database holds each entry once, one anchor, nothing held or flagged
    per_seq = Counter(TerminalEntry.objects.values_list("seq", flat=True))
    assert sorted(per_seq) == list(range(1, 51))
    assert set(per_seq.values()) == {1}
    assert ServerEntry.objects.filter(type="ANCHOR").count() == 1
    assert HeldEntry.objects.count() == 0
    assert IntegrityAlert.objects.count() == 0
    assert journal_verify(terminal_code=TERMINAL) is None
    assert server_chain_verify() is None
