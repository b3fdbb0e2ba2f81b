"""journal_ingest: each outcome of docs/journal.md "On the server", on the real database."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.db import transaction

from kassa.jcs import GENESIS_HASH
from kassa.server.journal.keys import key_id, signature_make, spki_of
from kassa.server.journal.models import (
    ChainHead,
    HeldEntry,
    IntegrityAlert,
    ServerEntry,
    TerminalEntry,
)
from kassa.server.journal.selectors import journal_verify
from kassa.server.journal.services import (
    IngestStatus,
    integrity_alerts_acknowledge,
    journal_ingest,
)

from .conftest import TERMINAL, Till, ingest


def stored() -> list[tuple[int, str]]:
    return list(TerminalEntry.objects.order_by("seq").values_list("seq", "hash"))


def server_payloads(type_: str) -> list[dict[str, Any]]:
    return [
        json.loads(bytes(canonical))["payload"]
        for canonical in ServerEntry.objects.filter(type=type_)
        .order_by("seq")
        .values_list("canonical", flat=True)
    ]


def alerts() -> list[tuple[int | None, str, bool]]:
    return list(IntegrityAlert.objects.order_by("pk").values_list("seq", "reason", "quarantined"))


def test_next_entries_are_accepted_and_anchored(till: Till) -> None:
    # given a registered till and five entries: JOURNAL_INIT and four sales
    wires = till.entries(5)
    # when they are ingested
    result = ingest(wires)
    # then all are in the chain, stored as received, and the head is the last one
    assert result.status is IngestStatus.OK
    assert result.head.as_dict() == {"seq": 5, "hash": wires[-1]["hash"]}
    assert result.missing is None
    assert result.as_dict() == {
        "status": "ok",
        "head": {"seq": 5, "hash": wires[-1]["hash"]},
        "missing": None,
    }
    assert stored() == [(w["seq"], w["hash"]) for w in wires]
    first = TerminalEntry.objects.get(seq=1)
    assert bytes(first.canonical) == wires[0]["canonical"].encode()
    assert (first.terminal_code, first.type, first.key_id, first.sig) == (
        TERMINAL,
        "JOURNAL_INIT",
        till.key,
        wires[0]["sig"],
    )
    assert first.at_text == "2026-11-30T10:00:00.123+01:00"
    assert first.at.isoformat() == "2026-11-30T09:00:00.123000+00:00"
    # and the caller sees what was accepted, a SALE's payload to compare with its order
    assert [(a.seq, a.type) for a in result.accepted] == [
        (1, "JOURNAL_INIT"),
        (2, "SALE"),
        (3, "SALE"),
        (4, "SALE"),
        (5, "SALE"),
    ]
    assert result.accepted[1].payload["totals"] == {"net": "8.26", "tax": "1.74", "gross": "10.00"}
    assert result.accepted[1].cashier == {"id": 3, "name": "Ana"}
    # and the server chain anchors the new head, once
    assert server_payloads("ANCHOR") == [
        {"v": 1, "terminal": TERMINAL, "seq": 5, "hash": wires[-1]["hash"]}
    ]
    assert alerts() == []
    assert journal_verify(terminal_code=TERMINAL) is None


@pytest.mark.parametrize("from_seq", [1, 4, 5])
def test_a_verify_from_after_a_refund_starts_from_its_grand_totals(
    till: Till, from_seq: int
) -> None:
    # given a SALE, a REFUND (the last grand totals before seq 4 and 5), a LOGIN, a SALE
    refund = {"kind": "refund", "original": None, "approval": None}
    wires = [
        *till.entries(2),
        till.sale("-4.00", type_="REFUND", **refund),
        till.entry("LOGIN"),
        till.sale("5.00"),
    ]
    assert ingest(wires).status is IngestStatus.OK
    # when the chain is verified from after the REFUND, then its totals are where the
    # next SALE's start (10.00 - 4.00 = 6.00 signed, 14.00 absolute): no problem
    assert journal_verify(terminal_code=TERMINAL, from_seq=from_seq) is None


def test_the_same_entries_again_are_a_no_op(till: Till) -> None:
    # given five accepted entries
    wires = till.entries(5)
    ingest(wires)
    anchors = ServerEntry.objects.filter(type="ANCHOR").count()
    # when the same batch comes again, and again with one entry twice
    again = ingest(wires)
    twice = ingest([wires[2], wires[2], *till.entries(1), till.written[-1]])
    # then nothing was stored twice, nothing was flagged, and the head moved once
    assert (again.status, again.head.seq, again.accepted) == (IngestStatus.OK, 5, [])
    assert (twice.status, twice.head.seq, [a.seq for a in twice.accepted]) == (
        IngestStatus.OK,
        6,
        [6],
    )
    assert [seq for seq, _ in stored()] == [1, 2, 3, 4, 5, 6]
    assert ServerEntry.objects.filter(type="ANCHOR").count() == anchors + 1
    assert alerts() == []


def test_entries_after_a_gap_are_held_until_the_gap_is_filled(till: Till) -> None:
    # given entries 1..6, of which 1, 2, 5 and 6 arrive first
    wires = till.entries(6)
    result = ingest([wires[0], wires[1], wires[4], wires[5]])
    # then 1 and 2 are in the chain, 5 and 6 held, and 3..4 asked for
    assert (result.status, result.head.seq, result.missing) == (IngestStatus.GAP, 2, (3, 4))
    assert result.as_dict()["missing"] == {"from": 3, "to": 4}
    assert [seq for seq, _ in stored()] == [1, 2]
    assert list(HeldEntry.objects.values_list("seq", flat=True)) == [5, 6]
    # when 3 arrives alone, then the gap shrinks
    result = ingest([wires[2]])
    assert (result.status, result.head.seq, result.missing) == (IngestStatus.GAP, 3, (4, 4))
    # when 4 arrives, then the held entries are applied, in order, and the hold is empty
    result = ingest([wires[3]])
    assert (result.status, result.head.seq, result.missing) == (IngestStatus.OK, 6, None)
    assert [a.seq for a in result.accepted] == [4, 5, 6]
    assert stored() == [(w["seq"], w["hash"]) for w in wires]
    assert HeldEntry.objects.count() == 0
    assert alerts() == []
    assert journal_verify(terminal_code=TERMINAL) is None


def test_a_held_entry_sent_again_is_held_once(till: Till) -> None:
    wires = till.entries(4)
    ingest([wires[0], wires[3]])
    result = ingest([wires[3]])
    assert (result.status, result.missing) == (IngestStatus.GAP, (2, 3))
    assert list(HeldEntry.objects.values_list("seq", flat=True)) == [4]


def _bad_signature(till: Till) -> dict[str, Any]:
    wire = till.sale()
    wire["sig"] = signature_make(ec.generate_private_key(ec.SECP256R1()), b"other bytes")
    return wire


def _bad_hash(till: Till) -> dict[str, Any]:
    wire = till.sale()
    wire["hash"] = "f" * 64
    return wire


def _unknown_key(till: Till) -> dict[str, Any]:
    stranger = Till()  # never registered
    stranger.seq, stranger.prev_hash = till.seq, till.prev_hash
    wire = stranger.sale()
    till.seq, till.prev_hash = stranger.seq, stranger.prev_hash
    return wire


def _prev_hash_mismatch(till: Till) -> dict[str, Any]:
    till.prev_hash = "a" * 64  # a well-formed, signed entry that links to something else
    return till.sale()


def _wrong_terminal(till: Till) -> dict[str, Any]:
    return till.sign(till.body("LOGIN", {}, terminal="POS2"))


def _not_canonical(till: Till) -> dict[str, Any]:
    wire = till.sale()
    wire["canonical"] = wire["canonical"].replace(",", ", ", 1)
    return wire


def _float(till: Till) -> dict[str, Any]:
    wire = till.sale()
    wire["canonical"] = wire["canonical"].replace('"v":1}', '"v":1.0}', 1)
    return wire


def _duplicate_key(till: Till) -> dict[str, Any]:
    wire = till.sale()
    wire["canonical"] = wire["canonical"].replace('{"at"', '{"at":"x","at"', 1)
    return wire


def _seq_differs(till: Till) -> dict[str, Any]:
    wire = till.sale()
    wire["seq"] += 1
    return wire


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (_bad_signature, "bad_signature"),
        (_bad_hash, "bad_hash"),
        (_unknown_key, "unknown_key"),
        (_prev_hash_mismatch, "prev_hash_mismatch"),
        (_wrong_terminal, "wrong_terminal"),
        (_not_canonical, "not_canonical"),
        (_float, "not_canonical"),
        (_duplicate_key, "not_canonical"),
        (_seq_differs, "invalid_entry"),
    ],
)
def test_a_bad_entry_is_quarantined_and_later_ones_held(till: Till, make: Any, reason: str) -> None:
    # given two good entries, a bad third one, and a good fourth after it
    good = till.entries(2)
    bad = make(till)
    after = till.sale()
    # when they are ingested together
    result = ingest([*good, bad, after])
    # then the good ones are in the chain, the bad one is kept apart, verbatim, with an
    # alert; the one after it waits; and the server chain records the failure
    assert (result.status, result.head.seq, result.missing) == (
        IngestStatus.QUARANTINED,
        2,
        None,
    )
    assert stored() == [(w["seq"], w["hash"]) for w in good]
    alert = IntegrityAlert.objects.get()
    assert (alert.seq, alert.reason, alert.quarantined, alert.acknowledged_at) == (
        bad["seq"],
        reason,
        True,
        None,
    )
    assert bytes(alert.canonical) == bad["canonical"].encode()
    assert (alert.hash, alert.sig) == (bad["hash"], bad["sig"])
    assert list(HeldEntry.objects.values_list("seq", flat=True)) == [4]
    failure = server_payloads("INTEGRITY_FAILURE")
    assert [(f["terminal"], f["seq"], f["reason"], f["quarantined"]) for f in failure] == [
        (TERMINAL, bad["seq"], reason, True)
    ]
    assert journal_verify(terminal_code=TERMINAL) is None


def test_a_fork_is_quarantined_and_the_stored_entry_kept(till: Till) -> None:
    # given entries 1..3 stored
    wires = till.entries(2)
    other = till.fork()
    wires.append(till.sale("10.00"))
    ingest(wires)
    # when another entry at seq 3, well signed and linked, is offered
    fork = other.sale("99.00")
    result = ingest([fork])
    # then it is quarantined as a fork and the stored entry 3 stays
    assert (result.status, result.head.seq) == (IngestStatus.QUARANTINED, 3)
    assert stored() == [(w["seq"], w["hash"]) for w in wires]
    assert alerts() == [(3, "fork", True)]
    assert IntegrityAlert.objects.get().hash == fork["hash"]
    assert server_payloads("INTEGRITY_FAILURE")[0]["reason"] == "fork"


def test_an_entry_quarantined_once_is_not_quarantined_again(till: Till) -> None:
    # given a quarantined third entry
    good = till.entries(2)
    bad = _bad_signature(till)
    ingest([*good, bad])
    # when the till sends it again (it keeps it until the head covers it)
    result = ingest([bad])
    # then there is still one alert, and one INTEGRITY_FAILURE on the server chain
    assert result.status is IngestStatus.QUARANTINED
    assert alerts() == [(3, "bad_signature", True)]
    assert len(server_payloads("INTEGRITY_FAILURE")) == 1
    # and once acknowledged, it comes again without a new alert, and waits at its gap
    integrity_alerts_acknowledge(alert_ids=[IntegrityAlert.objects.get().pk], by="admin")
    result = ingest([bad, till.sale()])
    assert (result.status, result.head.seq, result.missing) == (IngestStatus.GAP, 2, (3, 3))
    assert alerts() == [(3, "bad_signature", True)]


def test_acknowledging_the_alert_lets_the_held_entries_in(till: Till) -> None:
    # given a third entry damaged on its way (its signature), and two entries after it
    wires = till.entries(5)
    damaged = dict(wires[2], sig=_bad_signature(till.fork())["sig"])
    result = ingest([wires[0], wires[1], damaged, wires[3], wires[4]])
    assert (result.status, result.head.seq) == (IngestStatus.QUARANTINED, 2)
    # when the till sends the intact entry before anyone looked, then it waits too
    result = ingest([wires[2]])
    assert (result.status, result.head.seq) == (IngestStatus.QUARANTINED, 2)
    assert list(HeldEntry.objects.values_list("seq", flat=True)) == [3, 4, 5]
    # when a manager acknowledges the alert, then the next ingest applies the held entries
    with transaction.atomic():
        assert (
            integrity_alerts_acknowledge(
                alert_ids=IntegrityAlert.objects.values_list("pk", flat=True), by="manager"
            )
            == 1
        )
    result = ingest([])
    assert (result.status, result.head.seq, [a.seq for a in result.accepted]) == (
        IngestStatus.OK,
        5,
        [3, 4, 5],
    )
    assert stored() == [(w["seq"], w["hash"]) for w in wires]
    assert HeldEntry.objects.count() == 0
    acknowledged = server_payloads("ALERTS_ACKNOWLEDGED")
    assert [(a["by"], [x["seq"] for x in a["alerts"]]) for a in acknowledged] == [("manager", [3])]
    assert journal_verify(terminal_code=TERMINAL) is None


def test_grand_totals_that_do_not_add_up_are_accepted_and_flagged(till: Till) -> None:
    # given sales of 10.00, then one of -4.00 whose grand totals are wrong
    wires = [*till.entries(3)]  # INIT, 10.00, 10.00: gt 20.00 / 20.00
    till.gt += 1  # the till's own sum drifts by 1
    wrong = till.sale("-4.00")  # says 17.00 / 24.00 instead of 16.00 / 24.00
    after = till.sale("2.00")  # 19.00 / 26.00: right, from what the till wrote
    # when they are ingested
    result = ingest([*wires, wrong, after])
    # then every entry is in the chain (it is what the till wrote), one alert says why
    assert (result.status, result.head.seq) == (IngestStatus.OK, 5)
    assert [seq for seq, _ in stored()] == [1, 2, 3, 4, 5]
    assert alerts() == [(4, "grand_total_mismatch", False)]
    assert "make 16.00 / 24.00" in IntegrityAlert.objects.get().detail
    assert server_payloads("INTEGRITY_FAILURE")[0]["reason"] == "grand_total_mismatch"
    head = ChainHead.objects.get(chain=TERMINAL)
    assert (head.gt_after, head.gt_abs_after) == ("19.00", "26.00")
    # and verification finds that SALE
    problem = journal_verify(terminal_code=TERMINAL)
    assert problem is not None
    assert (problem.seq, problem.reason) == (4, "grand_total_mismatch")


def test_a_declared_loss_starts_the_grand_totals_again(till: Till) -> None:
    # given sales, then a declared INTEGRITY_FAILURE (a wiped till lost sales after it)
    wires = till.entries(3)
    wires.append(till.entry("INTEGRITY_FAILURE", {"reason": "storage_lost", "after_seq": 3}))
    till.gt, till.gt_abs = 500, 700  # the lost sales are in the till's sums, not the server's
    wires.append(till.sale("1.00"))
    wires.append(till.sale("1.00"))
    # when they are ingested, then nothing is flagged: the first SALE after it is the start
    result = ingest(wires)
    assert (result.status, result.head.seq) == (IngestStatus.OK, 6)
    assert alerts() == []
    assert journal_verify(terminal_code=TERMINAL) is None


def test_a_sale_without_grand_totals_is_flagged(till: Till) -> None:
    wires = till.entries(2)
    wires.append(till.sale(gt_after=None))
    result = ingest(wires)
    assert (result.status, result.head.seq) == (IngestStatus.OK, 3)
    assert alerts() == [(3, "grand_total_mismatch", False)]


def test_a_repaired_till_continues_its_chain_with_its_new_key(till: Till) -> None:
    # given entries 1..3 signed with the first pairing's key, and 4 not yet sent
    wires = till.entries(4)
    ingest(wires[:3])
    # when the till is paired again, registers a new key and signs on with it
    old_private, old_key = till.private, till.key
    till.private = ec.generate_private_key(ec.SECP256R1())
    till.spki, till.token_id = spki_of(till.private.public_key()), 2
    till.key = key_id(till.spki)
    till.register()
    wires += [till.entry("JOURNAL_RESUME", {"source": "mirror", "after_seq": 4}), till.sale()]
    result = ingest(wires[3:])
    # then the old key's entry 4 (from before) and the new key's entries are all accepted
    assert (result.status, result.head.seq) == (IngestStatus.OK, 6)
    assert journal_verify(terminal_code=TERMINAL) is None
    # but the old key may not sign after the new one did
    till.private, till.key = old_private, old_key
    late = till.sale()
    result = ingest([late])
    assert (result.status, result.head.seq) == (IngestStatus.QUARANTINED, 6)
    assert alerts() == [(7, "key_superseded", True)]


def test_garbage_on_the_wire_is_quarantined_not_raised(till: Till) -> None:
    result = ingest(
        [
            "not an object",  # type: ignore[list-item]
            {"seq": 1},
            {"seq": "1", "canonical": "{}", "hash": "", "sig": ""},
            {"seq": 1, "canonical": "\ud800", "hash": "x\x00", "sig": ""},
            {"seq": 2, "canonical": "[]", "hash": "h", "sig": "s"},
        ]
    )
    # then each is kept apart (the first two alike, with no seq and no hash, once)
    assert result.status is IngestStatus.QUARANTINED
    assert alerts() == [
        (None, "invalid_entry", True),
        (1, "invalid_entry", True),
        (1, "not_canonical", True),
        (2, "invalid_entry", True),
    ]
    assert IntegrityAlert.objects.get(reason="not_canonical").hash == "x\\x00"
    assert TerminalEntry.objects.count() == 0
    assert ChainHead.objects.get(chain=TERMINAL).hash == GENESIS_HASH


def test_ingest_needs_the_callers_transaction(till: Till) -> None:
    # pytest-django runs each test in a transaction: leave it to see the refusal
    connection = transaction.get_connection()
    saved = connection.in_atomic_block
    connection.in_atomic_block = False
    try:
        with pytest.raises(RuntimeError, match="transaction"):
            journal_ingest(terminal_code=TERMINAL, entries=till.entries(1))
    finally:
        connection.in_atomic_block = saved


def test_an_alert_quotes_a_huge_or_odd_value_within_bounds(till: Till) -> None:
    # given a signed entry whose type is 5,000 NUL characters
    wire = till.sign(till.body("\x00" * 5000, {}))
    # when it is ingested, then it is quarantined with a sentence a text column can hold
    result = ingest([wire])
    assert result.status is IngestStatus.QUARANTINED
    alert = IntegrityAlert.objects.get()
    assert alert.reason == "invalid_entry"
    assert len(alert.detail) == 1000
    assert "\x00" not in alert.detail
    assert bytes(alert.canonical) == wire["canonical"].encode()
