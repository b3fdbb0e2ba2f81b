"""journal_ingest as the order sync runs it: a batch costs the same few statements
whatever its size, the rows its raw INSERTs write read back as the models say, and the
canonical form is checked as strictly through kassa.jcs's fast path as by the book:
entries a till hashed and signed as they are, so only that check can stop them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kassa.jcs import canonicalize, chain_hash
from kassa.server.journal.keys import signature_make
from kassa.server.journal.models import ChainHead, IntegrityAlert, ServerEntry, TerminalEntry
from kassa.server.journal.selectors import journal_verify
from kassa.server.journal.services import IngestStatus, journal_ingest

from .conftest import TERMINAL, Till, ingest


def queries(entries: list[dict[str, Any]]) -> int:
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        result = journal_ingest(terminal_code=TERMINAL, entries=entries)
    assert result.status is IngestStatus.OK
    return len(captured.captured_queries)


def test_a_batch_costs_the_same_statements_whatever_its_size(till: Till) -> None:
    # given a till whose chain and the server's have begun
    ingest(till.entries(2))
    # when a batch of 2 entries and one of 100 are ingested
    small, large = queries(till.entries(2)), queries(till.entries(100))
    # then both cost the same statements: none per entry
    assert small == large
    if connection.vendor == "postgresql":
        # the head locked; keys, held entries and alerts read; the head moved on with the
        # server's head locked; the ANCHOR inserted with its head moved on (and the
        # entries' COPY, which Django does not count)
        assert large == 4
    assert TerminalEntry.objects.count() == 104


def test_the_rows_read_back_as_the_wire_said(till: Till) -> None:
    # given a batch of 60 entries, the first JOURNAL_INIT
    wires = till.entries(60)
    before = timezone.now()
    # when it is ingested
    result = ingest(wires)
    # then every row holds the wire's bytes and the fields read from them
    assert result.head.seq == 60
    rows = list(TerminalEntry.objects.order_by("seq"))
    assert [(r.seq, bytes(r.canonical), r.hash, r.sig) for r in rows] == [
        (w["seq"], w["canonical"].encode(), w["hash"], w["sig"]) for w in wires
    ]
    assert {(r.terminal_code, r.key_id) for r in rows} == {(TERMINAL, till.key)}
    assert [r.type for r in rows] == ["JOURNAL_INIT"] + ["SALE"] * 59
    assert rows[5].at_text == "2026-11-30T10:00:05.123+01:00"
    assert rows[5].at.isoformat() == "2026-11-30T09:00:05.123000+00:00"
    assert len({r.received_at for r in rows}) == 1
    assert before <= rows[0].received_at <= timezone.now()
    # and the head moved on, with the grand totals of the last SALE
    head = ChainHead.objects.get(chain=TERMINAL)
    assert (head.seq, head.hash, head.key_id) == (60, wires[-1]["hash"], till.key)
    assert (head.gt_after, head.gt_abs_after) == ("590.00", "590.00")
    assert before <= head.updated_at <= timezone.now() + timedelta(seconds=1)
    # and the ANCHOR names it, on a server chain that verifies, as does the till's
    anchor = ServerEntry.objects.get(type="ANCHOR")
    assert anchor.pk is not None and anchor.subject == TERMINAL
    assert ChainHead.objects.get(chain="@server").seq == anchor.seq
    assert journal_verify(terminal_code=TERMINAL) is None


def signed(till: Till, text: str) -> dict[str, Any]:
    """A wire entry of exactly these bytes, hashed on the till's head and signed with
    its key: what a till with a broken serialiser would send."""
    raw = text.encode("utf-8")
    wire = {
        "seq": till.seq + 1,
        "canonical": text,
        "hash": chain_hash(till.prev_hash, raw),
        "sig": signature_make(till.private, raw),
    }
    till.seq, till.prev_hash = wire["seq"], wire["hash"]
    return wire


def _canonical_with(till: Till, **payload: Any) -> str:
    return canonicalize(till.body("LOGIN", payload)).decode()


@pytest.mark.parametrize(
    "respell",
    [
        pytest.param(lambda text: text.replace('"v":1}', '"v":1.0}'), id="a float"),
        pytest.param(lambda text: text.replace('"n":1', '"n":9007199254740992'), id="2^53"),
        pytest.param(lambda text: text.replace('"n":1', '"n":18446744073709551616'), id="2^64"),
        pytest.param(lambda text: text.replace('"n":1', '"n":-0'), id="minus zero"),
        pytest.param(lambda text: text.replace('"n":1', '"n":1,"n":1'), id="a key twice"),
        pytest.param(lambda text: text.replace('"n":1', '"n":2,"n":1'), id="a key twice, last"),
        pytest.param(lambda text: text.replace('"s":"é"', '"s":"\\u00e9"'), id="an escape"),
        pytest.param(lambda text: text.replace('"s":"é"', '"s":"\\ud800"'), id="a surrogate"),
        pytest.param(lambda text: text.replace('"n":1,"s"', '"s":"é","n":1,"x"'), id="order"),
        pytest.param(lambda text: text + " ", id="a trailing space"),
    ],
)
def test_signed_entries_not_in_canonical_form_are_quarantined(till: Till, respell: Any) -> None:
    # given a good entry, then one whose bytes the till hashed and signed as they are,
    # but which are not the canonical form of what they hold
    good = till.entries(1)
    text = _canonical_with(till, n=1, s="é")
    bad = signed(till, respell(text))
    assert bad["canonical"] != text
    # when they are ingested
    result = ingest([*good, bad])
    # then the bad one is quarantined as not canonical, whatever reader proved it
    assert (result.status, result.head.seq) == (IngestStatus.QUARANTINED, 1)
    alert = IntegrityAlert.objects.get()
    assert (alert.seq, alert.reason) == (2, "not_canonical")


def test_an_entry_with_keys_beyond_the_bmp_is_accepted(till: Till) -> None:
    # given entries whose payload keys sort differently by UTF-16 unit and by code point
    # (the fast path leaves them to the full check), and emoji in values
    good = till.entries(1)
    odd = till.entry("LOGIN", {"\U0001f600": "emoji", "\ue000": "private use", "s": "☕😀"})
    assert odd["canonical"].index("\U0001f600") < odd["canonical"].index("\ue000")
    # when they are ingested, then they are in the chain
    result = ingest([*good, odd])
    assert (result.status, result.head.seq) == (IngestStatus.OK, 2)
    assert not IntegrityAlert.objects.exists()
