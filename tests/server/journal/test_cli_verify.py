"""`kassa journal verify` on the database, run through the `kassa` entry function (and once
as a real process): a sound journal exits 0 with one line; each kind of tampering exits 1
naming the seq and the reason; every run is recorded on the server chain. Real database
(SQLite and PostgreSQL), committed data, real keys, entries written as a till writes them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.db import connection
from django.utils import timezone

from kassa.cli import main
from kassa.jcs import canonicalize, chain_hash
from kassa.server.journal.audit import journal_audit
from kassa.server.journal.keys import signature_make
from kassa.server.journal.models import ServerEntry, TerminalEntry, TerminalKey
from kassa.server.journal.selectors import journal_verify
from kassa.server.journal.services import IngestStatus
from kassa.server.orders.models import Order
from kassa.server.orders.selectors import orders_paid_of_terminal

from ..conftest import Shop
from .conftest import TERMINAL, Till, ingest, sql, triggers_lifted

pytestmark = pytest.mark.django_db(transaction=True)

SALES = 11  # seqs 2..12 after JOURNAL_INIT, in three batches: anchors at 4, 8 and 12


class Shopkeeper:
    """A till that sells: each SALE entry with its paid order stored as the sync stores it."""

    def __init__(self, shop: Shop, till: Till) -> None:
        self.shop = shop
        self.till = till
        self.session = shop.terminal.cash_sessions.create(
            uuid=uuid.uuid4(),
            opened_by=shop.alice,
            opened_at=timezone.now(),
            opening_float=Decimal("100.00"),
        )

    def order(self, order_uuid: str, **fields: Any) -> Order:
        return Order.objects.create(
            uuid=order_uuid,
            terminal=self.shop.terminal,
            receipt_number=fields.pop("receipt_number", f"POS1-1-{order_uuid[:8]}"),
            session=self.session,
            cashier=self.shop.alice,
            total_net=Decimal("8.26"),
            total_tax=Decimal("1.74"),
            total_gross=Decimal("10.00"),
            change=Decimal("0.00"),
            created_at=timezone.now(),
            received_at=fields.pop("received_at", timezone.now()),
            **fields,
        )

    def sale(self, *, with_order: bool = True) -> dict[str, Any]:
        order_uuid = str(uuid.uuid4())
        if with_order:
            self.order(order_uuid)
        return self.till.sale(order=order_uuid)


@pytest.fixture
def shopkeeper(shop: Shop, till: Till) -> Shopkeeper:
    return Shopkeeper(shop, till)


@pytest.fixture
def chain(shopkeeper: Shopkeeper) -> list[dict[str, Any]]:
    # given a till's JOURNAL_INIT and eleven sales with their orders, in three batches
    till = shopkeeper.till
    wires = [till.entry("JOURNAL_INIT", {"software": "0.1.0", "key": "…"})]
    wires += [shopkeeper.sale() for _ in range(SALES)]
    for start in range(0, len(wires), 4):
        assert ingest(wires[start : start + 4]).status is IngestStatus.OK
    return wires


def kassa(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["journal", *args])
    out, err = capsys.readouterr()
    return code, out, err


def verify_records() -> list[dict[str, Any]]:
    return [
        json.loads(bytes(canonical))["payload"]
        for canonical in ServerEntry.objects.filter(type="VERIFY")
        .order_by("seq")
        .values_list("canonical", flat=True)
    ]


def test_a_sound_journal_verifies(
    chain: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    # when the journal is verified
    code, out, err = kassa(capsys, "verify")
    # then it exits 0 with one line that says what was verified
    assert (code, err) == (0, "")
    assert out.count("\n") == 1
    assert out.startswith(
        "journal verified: 1 terminal chains, 12 entries, 11 SALEs, 11 paid orders; server chain "
    )
    # and the run is on the server chain, whose own verification it passed
    seq = ServerEntry.objects.get(type="VERIFY").seq
    assert out.endswith(f"; recorded at server seq {seq}\n")
    assert verify_records() == [
        {
            "v": 1,
            "terminal": None,
            "from_seq": 1,
            "result": "ok",
            "chains": 1,
            "entries": 12,
            "problems": [],
        }
    ]
    # and a second run verifies the chain that now holds the first run's record
    assert kassa(capsys, "verify")[0] == 0
    assert [record["result"] for record in verify_records()] == ["ok", "ok"]


def test_one_terminal_from_a_seq(
    chain: list[dict[str, Any]], shop: Shop, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a second till with a broken chain (its second entry deleted)
    other = Till("POS2", token_id=2)
    other.register()
    wires = [other.entry("JOURNAL_INIT", {"software": "0.1.0", "key": "…"})]
    wires += [other.entry("LOGIN"), other.entry("LOGOUT")]
    assert ingest(wires, terminal="POS2").status is IngestStatus.OK
    with triggers_lifted():
        sql("DELETE FROM journal_terminalentry WHERE terminal_code = 'POS2' AND seq = 2")
    # when only POS1 is verified, from seq 5
    code, out, err = kassa(capsys, "verify", "--terminal", TERMINAL, "--from-seq", "5")
    # then POS1 alone is walked from seq 5 on, and all its SALEs still meet their orders
    assert (code, err) == (0, "")
    assert out.startswith("journal verified: 1 terminal chains, 8 entries, 8 SALEs, 11 paid")
    assert verify_records()[-1]["terminal"] == TERMINAL
    assert verify_records()[-1]["from_seq"] == 5
    # and the whole journal does not verify, because of POS2
    code, _, err = kassa(capsys, "verify")
    assert code == 1
    assert err == "POS2 seq 2: no entry at seq 2; the next is seq 3 (missing_entry)\n"


def test_a_terminal_without_a_journal(
    chain: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    # a terminal's code mistyped, or a terminal that never registered a key
    code, out, err = kassa(capsys, "verify", "--terminal", "POS9")
    assert (code, out) == (2, "")
    assert err == "kassa journal verify: POS9 has no journal: no key, no entry\n"
    assert verify_records() == []


def _changed_byte() -> None:
    row = TerminalEntry.objects.get(seq=6)
    changed = bytes(row.canonical).replace(b'"gross":"10.00"', b'"gross":"90.00"', 1)
    with triggers_lifted():
        sql("UPDATE journal_terminalentry SET canonical = %s WHERE seq = 6", [changed])


def _deleted() -> None:
    with triggers_lifted():
        sql("DELETE FROM journal_terminalentry WHERE seq = 7")


def _swapped() -> None:
    rows = {row.seq: row for row in TerminalEntry.objects.filter(seq__in=[4, 5])}
    with triggers_lifted():
        for seq, other in [(4, rows[5]), (5, rows[4])]:
            sql(
                "UPDATE journal_terminalentry SET canonical = %s, hash = %s, sig = %s "
                "WHERE seq = %s",
                [bytes(other.canonical), other.hash, other.sig, seq],
            )


def _rewrite_tail(from_seq: int, key: ec.EllipticCurvePrivateKey) -> None:
    """Entries from `from_seq` on made card sales, hashed again, signed with `key`."""
    rows = list(TerminalEntry.objects.filter(seq__gte=from_seq - 1).order_by("seq"))
    prev_hash = rows[0].hash
    with triggers_lifted():
        for row in rows[1:]:
            body = json.loads(bytes(row.canonical))
            body["prev_hash"] = prev_hash
            for payment in body["payload"].get("payments", []):
                payment["method"] = "card"
            canonical = canonicalize(body)
            prev_hash = chain_hash(prev_hash, canonical)
            sql(
                "UPDATE journal_terminalentry SET canonical = %s, hash = %s, sig = %s "
                "WHERE seq = %s",
                [canonical, prev_hash, signature_make(key, canonical), row.seq],
            )


def _rehashed_without_the_key() -> None:
    _rewrite_tail(9, ec.generate_private_key(ec.SECP256R1()))


TAMPERING = {
    "changed byte": (_changed_byte, 6, "bad_hash", "the hash is "),
    "deleted entry": (_deleted, 7, "missing_entry", "no entry at seq 7; the next is seq 8"),
    "swapped entries": (_swapped, 4, "seq_mismatch", "the entry at seq 4 is seq 5"),
    "tail re-hashed without the key": (
        _rehashed_without_the_key,
        9,
        "bad_signature",
        "the signature is not key ",
    ),
}


@pytest.mark.parametrize("case", list(TAMPERING))
def test_tampering_is_named_by_seq_and_reason(
    chain: list[dict[str, Any]], capsys: pytest.CaptureFixture[str], case: str
) -> None:
    tamper, seq, reason, why = TAMPERING[case]
    # when the stored chain is tampered with behind the triggers' back
    tamper()
    # then verify exits 1, its first line naming the seq and the reason
    code, out, err = kassa(capsys, "verify")
    lines = err.splitlines()
    assert code == 1
    assert lines[0].startswith(f"POS1 seq {seq}: {why}")
    assert lines[0].endswith(f" ({reason})")
    assert out.startswith(f"journal {len(lines)} problem{'s' * (len(lines) > 1)}: ")
    # and it says what selectors.journal_verify says, the same checks
    problem = journal_verify(terminal_code=TERMINAL)
    assert problem is not None
    assert (problem.seq, problem.reason) == (seq, reason)
    # and the failed run is recorded with its problem
    record = verify_records()[-1]
    assert (record["result"], record["problems"]) == ("failed", lines)


def test_a_deleted_sale_leaves_its_order_without_a_sale(
    chain: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    order = json.loads(chain[6]["canonical"])["payload"]["order"]
    _deleted()
    code, _, err = kassa(capsys, "verify")
    assert code == 1
    assert err.splitlines() == [
        "POS1 seq 7: no entry at seq 7; the next is seq 8 (missing_entry)",
        f"POS1: order {order} (receipt POS1-1-{order[:8]}) has no SALE entry (order_without_sale)",
    ]


def test_a_tail_rewritten_with_the_tills_key_is_found_by_its_anchor(
    chain: list[dict[str, Any]], till: Till, capsys: pytest.CaptureFixture[str]
) -> None:
    # when entries 6..12 are rewritten and signed with the till's own (leaked) key
    _rewrite_tail(6, till.private)
    # then each entry checks out, but the server chain anchored another hash at seq 8
    code, _, err = kassa(capsys, "verify")
    assert code == 1
    assert err.startswith("POS1 seq 8: the server chain anchored hash ")
    assert err.endswith("(anchor_mismatch)\n")


def test_a_changed_anchor_breaks_the_server_chain(
    chain: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    # when the server chain's anchor of seq 4 is rewritten to another hash
    anchor = next(
        row
        for row in ServerEntry.objects.filter(type="ANCHOR")
        if json.loads(bytes(row.canonical))["payload"]["seq"] == 4
    )
    canonical = bytes(anchor.canonical).replace(chain[3]["hash"].encode(), b"0" * 64)
    with triggers_lifted():
        sql("UPDATE journal_serverentry SET canonical = %s WHERE id = %s", [canonical, anchor.pk])
    # then the server chain fails at that entry, and POS1's entry no longer matches it
    code, _, err = kassa(capsys, "verify")
    assert code == 1
    lines = err.splitlines()
    assert lines[0].startswith(f"server seq {anchor.seq}: the hash is ")
    assert lines[0].endswith("(bad_hash)")
    assert lines[1].startswith("POS1 seq 4: the server chain anchored hash 0000000000000000… ")
    assert lines[1].endswith("(anchor_mismatch)")


def test_a_deleted_tail_is_found_by_the_anchor_and_the_head(
    chain: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    with triggers_lifted():
        sql("DELETE FROM journal_terminalentry WHERE seq >= 11")
        sql("UPDATE journal_chainhead SET seq = 10 WHERE chain = %s", [TERMINAL])
    code, _, err = kassa(capsys, "verify")
    lines = err.splitlines()
    assert code == 1
    assert lines[0] == (
        "POS1 seq 11: the server chain anchored seq 12, the stored chain ends at 10 (missing_entry)"
    )
    # and the orders of the two sales deleted have no SALE any more
    assert len(lines) == 3
    assert all(line.endswith("has no SALE entry (order_without_sale)") for line in lines[1:])


def test_a_sale_without_its_order(
    chain: list[dict[str, Any]], shopkeeper: Shopkeeper, capsys: pytest.CaptureFixture[str]
) -> None:
    # when the till journals a sale whose order the server never stored
    wire = shopkeeper.sale(with_order=False)
    assert ingest([wire]).status is IngestStatus.OK
    order = json.loads(wire["canonical"])["payload"]["order"]
    # then verify names the SALE
    code, _, err = kassa(capsys, "verify")
    assert code == 1
    assert err == (
        f"POS1 seq 13: SALE for order {order}, which is not among POS1's orders "
        "(sale_without_order)\n"
    )


def test_an_order_without_its_sale(
    chain: list[dict[str, Any]], shopkeeper: Shopkeeper, capsys: pytest.CaptureFixture[str]
) -> None:
    # when an order is stored that no SALE entry records
    order = shopkeeper.order(str(uuid.uuid4()), receipt_number="POS1-1-000099")
    # then verify names the order
    code, out, err = kassa(capsys, "verify")
    assert code == 1
    assert err == (
        f"POS1: order {order.uuid} (receipt POS1-1-000099) has no SALE entry (order_without_sale)\n"
    )
    assert "12 paid orders" in out


def test_orders_synced_before_the_journal_began_need_no_sale(
    chain: list[dict[str, Any]], shopkeeper: Shopkeeper, capsys: pytest.CaptureFixture[str]
) -> None:
    # given an order synced a second before the till registered its first key
    registered = TerminalKey.objects.get(terminal_code=TERMINAL).registered_at
    shopkeeper.order(str(uuid.uuid4()), received_at=registered - timedelta(seconds=1))
    # then it is not asked for a SALE, and is not counted among the checked orders
    code, out, err = kassa(capsys, "verify")
    assert (code, err) == (0, "")
    assert "11 SALEs, 11 paid orders" in out


def test_a_second_sale_for_the_same_order(
    chain: list[dict[str, Any]], till: Till, capsys: pytest.CaptureFixture[str]
) -> None:
    order = json.loads(chain[2]["canonical"])["payload"]["order"]
    assert ingest([till.sale(order=order)]).status is IngestStatus.OK
    code, _, err = kassa(capsys, "verify")
    assert code == 1
    assert (
        err
        == f"POS1 seq 13: a second SALE for order {order} (the first is seq 3) (sale_repeated)\n"
    )


def test_the_pool_finds_what_one_process_finds(chain: list[dict[str, Any]]) -> None:
    # given entry 7 deleted and entry 10's bytes changed
    _deleted()
    row = TerminalEntry.objects.get(seq=10)
    with triggers_lifted():
        sql(
            "UPDATE journal_terminalentry SET canonical = %s WHERE seq = 10",
            [bytes(row.canonical).replace(b"10.00", b"90.00", 1)],
        )

    def audit(**options: Any) -> tuple[Any, int, list[str]]:
        report = journal_audit(paid_orders=_orders, **options)
        return report.chains[0].finding, report.chains[0].entries, report.problems()

    # when two processes walk ranges of 3 seqs, and when this process walks them
    pooled = audit(workers=2, range_size=3, pool_from=0)
    alone = audit(workers=1)
    # then both find the first problem, at seq 7, and walk the same entries
    assert pooled == alone
    assert (pooled[0].seq, pooled[0].reason) == (7, "missing_entry")
    assert pooled[1] == 6  # 1..6; the ranges from 7 and from 10 stop at their first


def _orders(code: str, journal_began: Any) -> Any:
    return orders_paid_of_terminal(code, journal_began)


def test_verify_as_a_real_process(
    chain: list[dict[str, Any]], settings: Any, tmp_path: Path
) -> None:
    # the `kassa` command in its own process, on this test's database and server key
    env = dict(os.environ)
    env["KASSA_DATABASE_URL"] = _database_url()
    env["KASSA_DATA_DIR"] = str(tmp_path)
    env["KASSA_JOURNAL_KEY_FILE"] = str(settings.KASSA_JOURNAL_KEY_FILE)
    command = [sys.executable, "-m", "kassa.cli", "journal", "verify"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("journal verified: 1 terminal chains, 12 entries, ")
    _deleted()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr.startswith(
        "POS1 seq 7: no entry at seq 7; the next is seq 8 (missing_entry)\n"
    )


def _database_url() -> str:
    """The URL of the database this test runs on (the test database, not the configured)."""
    config = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{config['NAME']}"
    user, host, port = config["USER"], config["HOST"], config["PORT"]
    return f"postgres://{user}@{host}:{port}/{config['NAME']}"
