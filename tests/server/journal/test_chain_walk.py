"""A chain walk's fast path (entries.entry_fast, chain._totals_fast, the key tables) says
only what the full checks say: each chain below, sound or broken in one way, is walked
with the fast path and without it, and both find the same (or nothing). Entries written
and signed by a till with a real key; no database."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from kassa.jcs import canonicalize, chain_hash
from kassa.server.journal import chain
from kassa.server.journal.chain import ChainWalk
from kassa.server.journal.keys import signature_make

from .conftest import Till, walk_wires


def _signed(till: Till, type_: str, payload: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return till.sign(till.body(type_, payload, **fields))


def _sound(till: Till) -> None:
    till.entries(3)
    till.sale("-4.00", type_="REFUND", kind="refund", original=None, approval=None)
    till.entry("LOGIN")
    till.sale("2.50")


def _three_decimals(till: Till) -> None:  # a currency of 3 decimals
    till.entries(1)
    gt = gt_abs = Decimal(0)
    for gross in ("1.250", "0.005", "-0.100"):
        gt, gt_abs = gt + Decimal(gross), gt_abs + abs(Decimal(gross))
        till.sale(
            gross,
            totals={"net": "0", "tax": "0", "gross": gross},
            gt_after=f"{gt:.3f}",
            gt_abs_after=f"{gt_abs:.3f}",
        )


def _mixed_decimals(till: Till) -> None:  # "10.0" then "10.00": equal as Decimals
    till.entries(1)
    totals = {"net": "0", "tax": "0", "gross": "10.0"}
    till.sale("10.0", totals=totals, gt_after="10.0", gt_abs_after="10.0")
    till.sale("2.50")


# Each broken chain: JOURNAL_INIT and three SALEs (seqs 1-4, the first SALE walked by the
# full checks: the sums before it are "0"), then seq 5 broken in one way.


def _total_off_by_a_cent(till: Till) -> None:
    till.entries(4)  # three sales of 10.00
    till.sale("2.50", gt_after="32.51")


def _after_a_declared_loss(till: Till) -> None:
    till.entries(4)
    _signed(till, "INTEGRITY_FAILURE", {"from_seq": 1, "to_seq": 1, "reason": "evicted"})
    till.sale("99.00", gt_after="5.00", gt_abs_after="7.00")  # the sums start again
    till.gt, till.gt_abs = Decimal("5.00"), Decimal("7.00")
    till.sale("1.00")


def _true_for_v(till: Till) -> None:
    till.entries(4)
    _signed(till, "LOGIN", {}, v=True)


def _signed_bytes(till: Till, canonical: bytes) -> None:
    """`canonical` as seq 5, hashed on the entry before it and signed with the till's key."""
    till.written.append(
        {
            "seq": 5,
            "canonical": canonical.decode(),
            "hash": chain_hash(till.prev_hash, canonical),
            "sig": signature_make(till.private, canonical),
        }
    )


def _float(till: Till) -> None:
    till.entries(4)
    body = till.body("LOGIN", {"ratio": 1})
    _signed_bytes(till, canonicalize(body).replace(b'"ratio":1', b'"ratio":1.5'))


def _whitespace(till: Till) -> None:
    till.entries(4)
    _signed_bytes(till, canonicalize(till.body("LOGIN", {})).replace(b'"type":', b'"type": '))


def _version_2(till: Till) -> None:
    till.entries(4)
    _signed(till, "LOGIN", {}, v=2)


def _prev_hash(till: Till) -> None:
    # hashed on the entry before it, and signed, but its prev_hash names another
    till.entries(4)
    body = till.body("LOGIN", {})
    body["prev_hash"] = "ab" * 32
    _signed_bytes(till, canonicalize(body))


def _prev_hash_hashed_on(till: Till) -> None:
    # its prev_hash names another entry, and its hash is chained on that one
    till.entries(4)
    till.prev_hash = "ab" * 32
    till.entry("LOGIN")


def _seq_in_the_bytes(till: Till) -> None:
    till.entries(4)
    body = till.body("LOGIN", {})
    body["seq"] = 9
    wire = till.sign(body)
    wire["seq"] = 5


def _other_terminal(till: Till) -> None:
    till.entries(4)
    _signed(till, "LOGIN", {}, terminal="POS2")


def _no_offset(till: Till) -> None:
    till.entries(4)
    _signed(till, "LOGIN", {}, at="2026-11-30T10:00:00.123")


def _unknown_key(till: Till) -> None:
    till.entries(4)
    _signed(till, "LOGIN", {}, key="0123456789abcdef")


def _stranger_signs(till: Till) -> None:
    till.entries(4)
    till.sign(till.body("LOGIN", {}), key=ec.generate_private_key(ec.SECP256R1()))


def _hash_of_other_bytes(till: Till) -> None:
    till.entries(6)
    till.written[4] = {**till.written[4], "hash": till.written[5]["hash"]}


def _lowercase_type(till: Till) -> None:
    till.entries(4)
    _signed(till, "login", {})


def _cashier_a_string(till: Till) -> None:
    till.entries(4)
    _signed(till, "LOGIN", {}, cashier="Ana")


def _payload_v_a_string(till: Till) -> None:
    till.entries(4)
    _signed(till, "LOGIN", {"v": "1"})


def _payload_a_list(till: Till) -> None:
    till.entries(4)
    body = till.body("LOGIN", {})
    body["payload"] = [1]
    till.sign(body)


def _key_id_not_hex(till: Till) -> None:
    till.key = "POS1-key-of-2026"  # registered so, as a tampered key row would say
    till.entries(5)


def _time_too_long(till: Till) -> None:
    till.entries(4)
    _signed(till, "LOGIN", {}, at="2026-11-30T10:00:00." + "1" * 50 + "+01:00")


def _seq_true(till: Till) -> None:
    _signed(till, "JOURNAL_INIT", {}, seq=True)  # true == 1 in Python


def _type_a_number(till: Till) -> None:
    till.entries(4)
    _signed(till, 5, {})  # type: ignore[arg-type]


def _too_big(till: Till) -> None:
    till.entries(4)
    _signed(till, "LOGIN", {"note": "x" * 300_000})


def _time_a_number(till: Till) -> None:
    till.entries(4)
    _signed(till, "LOGIN", {}, at=1764496800)


def _time_in_words(till: Till) -> None:
    till.entries(4)
    _signed(till, "LOGIN", {}, at="yesterday")


def _grand_total_line_feed(till: Till) -> None:
    # the money pattern's `$` also matches before a final line feed, and Decimal() reads
    # "32.50\n" as 32.50: the full check must refuse it as the fast path does
    till.entries(4)
    till.sale("2.50", gt_after="32.50\n")


def _grand_totals_not_decimals(till: Till) -> None:
    till.entries(4)
    till.sale("2.50", gt_after="32,50")


CHAINS: dict[str, tuple[Callable[[Till], None], tuple[int, str] | None]] = {
    "sound, with a refund": (_sound, None),
    "three decimals": (_three_decimals, None),
    "10.0 then 10.00": (_mixed_decimals, None),
    "a grand total a cent off": (_total_off_by_a_cent, (5, "grand_total_mismatch")),
    "a grand total with a comma": (_grand_totals_not_decimals, (5, "grand_total_mismatch")),
    "a grand total and a line feed": (_grand_total_line_feed, (5, "grand_total_mismatch")),
    "the sums start again after a declared loss": (_after_a_declared_loss, None),
    "v is true": (_true_for_v, (5, "invalid_entry")),
    "a float": (_float, (5, "not_canonical")),
    "a space": (_whitespace, (5, "not_canonical")),
    "v is 2": (_version_2, (5, "invalid_entry")),
    "seq is true": (_seq_true, (1, "invalid_entry")),
    "the type a number": (_type_a_number, (5, "invalid_entry")),
    "300,000 bytes": (_too_big, (5, "not_canonical")),
    "a type in lower case": (_lowercase_type, (5, "invalid_entry")),
    "the cashier a string": (_cashier_a_string, (5, "invalid_entry")),
    "the payload's v a string": (_payload_v_a_string, (5, "invalid_entry")),
    "the payload a list": (_payload_a_list, (5, "invalid_entry")),
    "a key id that is not 16 hex digits": (_key_id_not_hex, (1, "invalid_entry")),
    "a time of 76 characters": (_time_too_long, (5, "invalid_entry")),
    "a time as a number": (_time_a_number, (5, "invalid_entry")),
    "a time in words": (_time_in_words, (5, "invalid_entry")),
    "prev_hash of nothing": (_prev_hash, (5, "prev_hash_mismatch")),
    "prev_hash of nothing, hashed on it": (_prev_hash_hashed_on, (5, "prev_hash_mismatch")),
    "the bytes say another seq": (_seq_in_the_bytes, (5, "seq_mismatch")),
    "another terminal's entry": (_other_terminal, (5, "wrong_terminal")),
    "a time without its offset": (_no_offset, (5, "invalid_entry")),
    "an unknown key": (_unknown_key, (5, "unknown_key")),
    "signed by a stranger": (_stranger_signs, (5, "bad_signature")),
    "the next entry's hash": (_hash_of_other_bytes, (5, "bad_hash")),
}


@pytest.mark.parametrize("name", list(CHAINS))
def test_the_fast_path_finds_what_the_full_checks_find(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    write, expected = CHAINS[name]
    till = Till()
    write(till)
    fast = walk_wires(till, till.written)
    monkeypatch.setattr(chain, "entry_fast", lambda **_: None)
    full = walk_wires(till, till.written)
    assert fast == full == expected


def test_a_sound_chain_takes_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    # given a sound chain of 60 entries, sales and refunds among them
    till = Till()
    till.entries(30)
    for _ in range(10):
        till.sale("-1.25", type_="REFUND", kind="refund", original=None, approval=None)
        till.entry("LOGIN")
        till.sale("3.10")
    full: list[int] = []
    step_full = ChainWalk._step_full

    def counted(walk: ChainWalk, **entry: Any) -> Any:
        full.append(entry["seq"])
        return step_full(walk, **entry)

    monkeypatch.setattr(ChainWalk, "_step_full", counted)
    # when it is walked, then only its first SALE takes the full checks: the sums before
    # it are "0", which the fast path does not add up
    assert walk_wires(till, till.written) is None
    assert full == [2]
