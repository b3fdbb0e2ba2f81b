"""The server's own chain: signed with a key made once into the data folder."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from kassa.jcs import GENESIS_HASH, canonicalize, chain_hash
from kassa.server.journal import keys
from kassa.server.journal.keys import key_id, signature_valid, spki_of
from kassa.server.journal.models import ServerEntry, ServerKey
from kassa.server.journal.selectors import server_chain_verify
from kassa.server.journal.services import server_chain_append

from .conftest import sql, triggers_lifted


def append(type_: str, **payload: Any) -> ServerEntry:
    with transaction.atomic():
        return server_chain_append(type=type_, payload=payload)


def test_the_first_entry_is_preceded_by_the_servers_key(db: None, settings: Any) -> None:
    # when the server records its first change
    entry = append("TAX_CHANGED", tax={"id": 1, "rate": "21"}, change="changed", by="admin")
    # then its key was made into the data folder, readable by the server alone
    path: Path = settings.KASSA_JOURNAL_KEY_FILE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    public = keys.server_private_key(path).public_key()
    kid = key_id(spki_of(public))
    # and the chain starts with JOURNAL_INIT naming it, then the change
    init, change = ServerEntry.objects.order_by("seq")
    assert (init.seq, init.type, change.seq, change.type) == (1, "JOURNAL_INIT", 2, "TAX_CHANGED")
    assert change.pk == entry.pk
    assert ServerKey.objects.get().key_id == kid
    # and each entry is the till's form: terminal "server", chained, signed P1363
    body = json.loads(bytes(change.canonical))
    assert body == {
        "v": 1,
        "terminal": "server",
        "seq": 2,
        "type": "TAX_CHANGED",
        "at": change.at_text,
        "cashier": None,
        "key": kid,
        "prev_hash": init.hash,
        "payload": {"v": 1, "tax": {"id": 1, "rate": "21"}, "change": "changed", "by": "admin"},
    }
    assert canonicalize(body) == bytes(change.canonical)
    assert json.loads(bytes(init.canonical))["prev_hash"] == GENESIS_HASH
    assert change.hash == chain_hash(init.hash, bytes(change.canonical))
    assert signature_valid(public, change.sig, bytes(change.canonical))
    assert server_chain_verify() is None


def test_the_key_is_made_once_and_read_after(db: None, settings: Any) -> None:
    path: Path = settings.KASSA_JOURNAL_KEY_FILE
    first = keys.server_private_key(path)
    keys._server_keys.clear()  # a new process
    again = keys.server_private_key(path)
    assert spki_of(again.public_key()) == spki_of(first.public_key())


def test_a_new_key_continues_the_chain(db: None, settings: Any, tmp_path: Path) -> None:
    # given a chain signed with a first key
    append("TERMINAL_SETTINGS", terminal="POS1")
    # when the data folder's key is lost and a new one is made
    settings.KASSA_JOURNAL_KEY_FILE = tmp_path / "other" / "journal_key.pem"
    append("TERMINAL_SETTINGS", terminal="POS1")
    # then the chain goes on, the new key announced by a JOURNAL_RESUME, and verifies
    types = list(ServerEntry.objects.order_by("seq").values_list("type", flat=True))
    assert types == ["JOURNAL_INIT", "TERMINAL_SETTINGS", "JOURNAL_RESUME", "TERMINAL_SETTINGS"]
    assert ServerKey.objects.count() == 2
    resume = json.loads(bytes(ServerEntry.objects.get(type="JOURNAL_RESUME").canonical))
    assert resume["payload"]["after_seq"] == 2
    assert server_chain_verify() is None


def test_a_changed_server_entry_is_found(db: None) -> None:
    append("TERMINAL_SETTINGS", terminal="POS1", fields={"receipt_footer": "Thanks"})
    append("TERMINAL_SETTINGS", terminal="POS1", fields={"receipt_footer": "Bye"})
    with triggers_lifted():
        sql("DELETE FROM journal_serverentry WHERE seq = 2")
    problem = server_chain_verify()
    assert problem is not None
    assert (problem.seq, problem.reason) == (2, "missing_entry")


def test_append_needs_the_callers_transaction(db: None) -> None:
    connection = transaction.get_connection()
    saved = connection.in_atomic_block
    connection.in_atomic_block = False
    try:
        with pytest.raises(RuntimeError, match="transaction"):
            server_chain_append(type="X", payload={})
    finally:
        connection.in_atomic_block = saved
