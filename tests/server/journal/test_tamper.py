"""A stored chain tampered with behind the triggers' back: journal_verify finds each kind
of change at the right seq, for the right reason. Real database (run on SQLite and on
PostgreSQL), real keys, entries written as a till writes them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from kassa.jcs import canonicalize, chain_hash
from kassa.server.journal.keys import signature_make
from kassa.server.journal.models import IntegrityAlert, ServerEntry, TerminalEntry
from kassa.server.journal.selectors import journal_verify, server_chain_verify
from kassa.server.journal.services import IngestStatus

from .conftest import TERMINAL, Till, ingest, sql, triggers_lifted

ENTRIES = 12


@pytest.fixture
def chain(till: Till) -> list[dict[str, Any]]:
    # given a till's twelve entries, accepted in three batches (three anchors: 4, 8, 12)
    wires = till.entries(ENTRIES)
    for start in range(0, ENTRIES, 4):
        assert ingest(wires[start : start + 4]).status is IngestStatus.OK
    assert journal_verify(terminal_code=TERMINAL) is None
    assert server_chain_verify() is None
    return wires


def _problem(from_seq: int = 1) -> tuple[int, str]:
    problem = journal_verify(terminal_code=TERMINAL, from_seq=from_seq)
    assert problem is not None
    return problem.seq, problem.reason


def test_a_byte_changed_in_a_stored_entry(chain: list[dict[str, Any]]) -> None:
    # when one byte of entry 6's canonical form changes (a sale's amount, 10.00 -> 90.00)
    canonical = chain[5]["canonical"].encode()
    changed = canonical.replace(b'"gross":"10.00"', b'"gross":"90.00"', 1)
    assert len(changed) == len(canonical) and changed != canonical
    with triggers_lifted():
        sql("UPDATE journal_terminalentry SET canonical = %s WHERE seq = 6", [changed])
    # then the bytes no longer hash to the stored hash, at seq 6
    assert _problem() == (6, "bad_hash")


def test_an_entry_deleted(chain: list[dict[str, Any]]) -> None:
    with triggers_lifted():
        sql("DELETE FROM journal_terminalentry WHERE seq = 7")
    assert _problem() == (7, "missing_entry")


def test_the_last_entry_deleted_is_found_by_the_anchor(chain: list[dict[str, Any]]) -> None:
    # a deleted tail leaves nothing to link to: the server chain anchored seq 12
    with triggers_lifted():
        sql("DELETE FROM journal_terminalentry WHERE seq = 12")
        sql("UPDATE journal_chainhead SET seq = 11 WHERE chain = %s", [TERMINAL])
    problem = journal_verify(terminal_code=TERMINAL)
    assert problem is not None
    assert (problem.seq, problem.reason) == (12, "missing_entry")
    assert "anchored seq 12" in problem.detail


def test_two_entries_swapped(chain: list[dict[str, Any]]) -> None:
    # when entries 4 and 5 trade places (their content, each keeping the other's seq)
    rows = {row.seq: row for row in TerminalEntry.objects.filter(seq__in=[4, 5])}
    with triggers_lifted():
        for seq, other in [(4, rows[5]), (5, rows[4])]:
            sql(
                "UPDATE journal_terminalentry SET canonical = %s, hash = %s, sig = %s, "
                "type = %s, at_text = %s, key_id = %s WHERE seq = %s",
                [
                    bytes(other.canonical),
                    other.hash,
                    other.sig,
                    other.type,
                    other.at_text,
                    other.key_id,
                    seq,
                ],
            )
    # then the entry stored at 4 says it is 5
    assert _problem() == (4, "seq_mismatch")


def test_the_tail_recomputed_without_the_key(chain: list[dict[str, Any]], till: Till) -> None:
    # when entries 9..12 are rewritten (cash sales made card sales) and their hashes chained
    # again, but signed with another key, as one must without the till's
    forger = ec.generate_private_key(ec.SECP256R1())
    _rewrite_tail(chain, from_seq=9, key=forger)
    # then every hash links, and the first rewritten entry's signature is not the till's
    problem = journal_verify(terminal_code=TERMINAL)
    assert problem is not None
    assert (problem.seq, problem.reason) == (9, "bad_signature")
    assert journal_verify(terminal_code=TERMINAL, from_seq=9) == problem


def test_the_tail_rewritten_with_the_tills_key_is_found_by_the_anchor(
    chain: list[dict[str, Any]], till: Till
) -> None:
    # when entries 6..12 are rewritten and signed with the till's own key (it leaked):
    # each entry checks out on its own and in its chain
    _rewrite_tail(chain, from_seq=6, key=till.private)
    # then the server chain's anchor at seq 8 names another hash
    problem = journal_verify(terminal_code=TERMINAL)
    assert problem is not None
    assert (problem.seq, problem.reason) == (8, "anchor_mismatch")
    # and the server's own chain is intact: it is the terminal's entries that changed
    assert server_chain_verify() is None


def test_an_anchor_changed_on_the_server_chain(chain: list[dict[str, Any]]) -> None:
    # when someone rewrites the server chain's anchor for seq 4 to another hash
    anchor = next(
        row
        for row in ServerEntry.objects.filter(type="ANCHOR")
        if json.loads(bytes(row.canonical))["payload"]["seq"] == 4
    )
    canonical = bytes(anchor.canonical).replace(chain[3]["hash"].encode(), b"0" * 64)
    with triggers_lifted():
        sql("UPDATE journal_serverentry SET canonical = %s WHERE id = %s", [canonical, anchor.pk])
    # then the terminal's entry at 4 no longer matches it, and the server chain is broken
    assert _problem() == (4, "anchor_mismatch")
    problem = server_chain_verify()
    assert problem is not None
    assert (problem.seq, problem.reason) == (anchor.seq, "bad_hash")


def test_a_fork_offered_at_ingest(chain: list[dict[str, Any]], till: Till) -> None:
    # when a differently written entry 10, well signed and linked to 9, is offered
    forked = Till()
    forked.private, forked.key = till.private, till.key
    forked.seq, forked.prev_hash = 9, chain[8]["hash"]
    result = ingest([forked.sale("1.00")])
    # then it is quarantined as a fork at seq 10, the stored chain is untouched and sound,
    # and the server chain says so
    assert (result.status, result.head.seq) == (IngestStatus.QUARANTINED, ENTRIES)
    alert = IntegrityAlert.objects.get()
    assert (alert.seq, alert.reason, alert.quarantined) == (10, "fork", True)
    assert journal_verify(terminal_code=TERMINAL) is None
    failure = ServerEntry.objects.get(type="INTEGRITY_FAILURE")
    assert b'"reason":"fork"' in bytes(failure.canonical)
    assert failure.subject == TERMINAL
    assert server_chain_verify() is None


def test_verify_from_a_later_seq(chain: list[dict[str, Any]]) -> None:
    with triggers_lifted():
        sql("DELETE FROM journal_terminalentry WHERE seq = 3")
    assert _problem() == (3, "missing_entry")
    assert journal_verify(terminal_code=TERMINAL, from_seq=5) is None
    assert _problem(from_seq=4) == (3, "missing_entry")  # where it starts is gone too


def _rewrite_tail(
    chain: list[dict[str, Any]], *, from_seq: int, key: ec.EllipticCurvePrivateKey
) -> None:
    """Entries from `from_seq` on, each cash sale made a card sale (the cash pocketed),
    hashed again on the rewritten chain and signed with `key`."""
    import json

    prev_hash = chain[from_seq - 2]["hash"]
    rows = []
    for wire in chain[from_seq - 1 :]:
        body = json.loads(wire["canonical"])
        body["prev_hash"] = prev_hash
        for payment in body["payload"].get("payments", []):
            payment["method"] = "card"
        canonical = canonicalize(body)
        hash_ = chain_hash(prev_hash, canonical)
        rows.append((canonical, hash_, signature_make(key, canonical), body["seq"]))
        prev_hash = hash_
    with triggers_lifted():
        for canonical, hash_, sig, seq in rows:
            sql(
                "UPDATE journal_terminalentry SET canonical = %s, hash = %s, sig = %s "
                "WHERE seq = %s",
                [canonical, hash_, sig, seq],
            )
