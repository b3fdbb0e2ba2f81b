"""`kassa journal verify` over a large journal, on the database KASSA_DATABASE_URL names
(PostgreSQL for the published figures):

    python scripts/pg_temp.py -- uv run python bench/journal_bench.py               # 1,000,000
    python scripts/pg_temp.py -- uv run python bench/journal_bench.py --entries 100000

It writes N entries for a few terminals straight into the database: each terminal's
chain written by a process of its own (multiprocessing), as a till writes it (JCS,
SHA-256 chain, grand totals), and every entry signed with the terminal's own ECDSA
P-256 key, its own signature, so that verifying costs what it costs in a shop. The rows
are bulk-inserted (COPY on PostgreSQL), with a paid order for every SALE and an ANCHOR on
the server chain every 500 entries, as ingest would have left them. Then it times
`kassa journal verify`, run as a process of its own as a shop runs it.

Prints its figures; nothing here is a test.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kassa.server.settings")

ANCHOR_EVERY = 500  # entries per ingest batch, at most (docs/journal.md, Transport)
START = datetime.fromisoformat("2026-11-01T08:00:00.000+01:00")
PRODUCTS = [
    ("Cola 330 ml", "COLA", "pc", 99, "21"),
    ("Sourdough loaf", "BREAD", "pc", 395, "9"),
    ("Apples", "APPLE", "kg", 249, "9"),
    ("Coffee beans 500 g", "COFFEE", "pc", 899, "9"),
    ("Dish soap", "SOAP", "pc", 245, "21"),
    ("Batteries AA x4", "BATT", "pc", 549, "21"),
]


def _money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


class BenchTill:
    """Writes one terminal's chain: a shift is LOGIN, SESSION_OPEN, sales (1-5 lines, some
    refunds), a DRAWER_OPEN and a DUPLICATE now and then, LOGOUT."""

    def __init__(self, code: str, private_pem: bytes, seed: int) -> None:
        from cryptography.hazmat.primitives import serialization

        from kassa.jcs import GENESIS_HASH
        from kassa.server.journal.keys import key_id, spki_of

        key = serialization.load_pem_private_key(private_pem, password=None)
        self.private = key
        self.key = key_id(spki_of(key.public_key()))
        self.code = code
        self.rng = random.Random(seed)
        self.seq = 0
        self.prev_hash = GENESIS_HASH
        self.gt = 0
        self.gt_abs = 0
        self.session = str(uuid.uuid4())
        self.receipts = 0

    def next_type(self) -> str:
        step = self.seq % 100
        if step == 0:
            return "LOGIN"
        if step == 1:
            return "SESSION_OPEN"
        if step == 99:
            return "LOGOUT"
        if step == 50:
            return "DRAWER_OPEN"
        if step == 75:
            return "DUPLICATE"
        return "SALE"

    def payload(self, kind: str) -> tuple[dict[str, Any], int | None, str | None]:
        """The payload, a SALE's gross in cents and its order's uuid."""
        if kind == "SESSION_OPEN":
            self.session = str(uuid.uuid4())
            return {"session": self.session, "opening_float": "100.00"}, None, None
        if kind == "DRAWER_OPEN":
            return {"reason": "change for the next till", "approved_by": 3}, None, None
        if kind == "DUPLICATE":
            return {"order": str(uuid.uuid4()), "receipt_no": f"{self.code}-1-000001"}, None, None
        if kind != "SALE":
            return {}, None, None
        refund = self.rng.random() < 0.02
        lines = []
        net_total = tax_total = gross_total = 0
        for _ in range(self.rng.randint(1, 5)):
            name, ref, unit, price, rate = self.rng.choice(PRODUCTS)
            qty = self.rng.randint(1, 3) * (-1 if refund else 1)
            gross = price * qty
            tax = round(gross * int(rate) / (100 + int(rate)))
            net = gross - tax
            net_total, tax_total, gross_total = (
                net_total + net,
                tax_total + tax,
                gross_total + gross,
            )
            lines.append(
                {
                    "name": name,
                    "ref": ref,
                    "qty": str(qty),
                    "unit": unit,
                    "unit_price": _money(price),
                    "discount": "0",
                    "tax_rate": rate,
                    "net": _money(net),
                    "tax": _money(tax),
                    "amount": _money(gross),
                }
            )
        self.gt += gross_total
        self.gt_abs += abs(gross_total)
        self.receipts += 1
        order = str(uuid.uuid4())
        paid = max(gross_total, 0)
        cash = self.rng.random() < 0.4 and not refund
        tendered = (paid // 500 + 1) * 500 if cash else gross_total
        payload = {
            "order": order,
            "receipt_no": f"{self.code}-1-{self.receipts:06d}",
            "session": self.session,
            "lines": lines,
            "totals": {
                "net": _money(net_total),
                "tax": _money(tax_total),
                "gross": _money(gross_total),
            },
            "payments": [{"method": "Cash" if cash else "Card", "amount": _money(tendered)}],
            "change": _money(tendered - gross_total),
            "gt_after": _money(self.gt),
            "gt_abs_after": _money(self.gt_abs),
        }
        return payload, gross_total, order

    def write(self) -> tuple[dict[str, Any], int | None, str | None]:
        """The next entry: its row's fields, a SALE's gross and order."""
        from kassa.jcs import canonicalize, chain_hash
        from kassa.server.journal.keys import signature_make

        kind = self.next_type()
        payload, gross, order = self.payload(kind)
        at = START + timedelta(seconds=30 * self.seq)
        at_text = at.isoformat(timespec="milliseconds")
        self.seq += 1
        body = {
            "v": 1,
            "terminal": self.code,
            "seq": self.seq,
            "type": kind,
            "at": at_text,
            "cashier": {"id": 3, "name": "Ana"},
            "key": self.key,
            "prev_hash": self.prev_hash,
            "payload": {"v": 1, **payload},
        }
        # json.dumps writes these ASCII entries exactly as JCS does, five times faster
        # than kassa.jcs; every thousandth is held to kassa.jcs itself.
        text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        canonical = text.encode()
        if self.seq % 1000 == 1:
            assert canonical == canonicalize(body), "the bench's entries must be canonical"
        self.prev_hash = chain_hash(self.prev_hash, canonical)
        row = {
            "seq": self.seq,
            "type": kind,
            "at_text": at_text,
            "at": at,
            "key_id": self.key,
            "canonical": canonical,
            "hash": self.prev_hash,
            "sig": signature_make(self.private, canonical),
        }
        return row, gross, order


def _generate(task: dict[str, Any]) -> dict[str, Any]:
    """One terminal's chain of `count` entries, written into the database."""
    from django.db import connection, connections
    from django.utils import timezone

    from kassa.server.journal.models import TerminalEntry
    from kassa.server.orders.models import Order

    till = BenchTill(task["code"], task["private_pem"], task["seed"])
    now = timezone.now()
    anchors: list[tuple[int, str]] = []
    entries: list[dict[str, Any]] = []
    orders: list[Order] = []
    started = time.perf_counter()

    def flush() -> None:
        if connection.vendor == "postgresql":
            columns = (
                "terminal_code, seq, type, at_text, at, key_id, canonical, hash, sig, received_at"
            )
            with connection.cursor() as cursor:
                raw = cursor.cursor
                with raw.copy(f"COPY journal_terminalentry ({columns}) FROM STDIN") as copy:
                    for row in entries:
                        copy.write_row(
                            (
                                till.code,
                                row["seq"],
                                row["type"],
                                row["at_text"],
                                row["at"],
                                row["key_id"],
                                row["canonical"],
                                row["hash"],
                                row["sig"],
                                now,
                            )
                        )
        else:
            TerminalEntry.objects.bulk_create(
                [TerminalEntry(terminal_code=till.code, received_at=now, **row) for row in entries]
            )
        Order.objects.bulk_create(orders, batch_size=2000)
        entries.clear()
        orders.clear()

    for _ in range(task["count"]):
        row, gross, order = till.write()
        entries.append(row)
        if order is not None and gross is not None:
            orders.append(
                Order(
                    uuid=order,
                    terminal_id=task["terminal_id"],
                    receipt_number=f"{till.code}-1-{till.receipts:06d}",
                    session_id=task["session_id"],
                    cashier_id=task["cashier_id"],
                    total_net=Decimal(0),
                    total_tax=Decimal(0),
                    total_gross=Decimal(gross) / 100,
                    change=Decimal(0),
                    created_at=row["at"],
                    received_at=now,
                )
            )
        if till.seq % ANCHOR_EVERY == 0 or till.seq == task["count"]:
            anchors.append((till.seq, till.prev_hash))
        if len(entries) >= 5000:
            flush()
    flush()
    connections.close_all()
    return {
        "code": till.code,
        "anchors": anchors,
        "head": (till.seq, till.prev_hash, till.key, _money(till.gt), _money(till.gt_abs)),
        "seconds": time.perf_counter() - started,
    }


def generate(total: int, terminals: int) -> float:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from django.core.management import call_command
    from django.db import connection, connections, transaction
    from django.utils import timezone

    from kassa.server.cash.models import CashSession
    from kassa.server.journal.keys import spki_of
    from kassa.server.journal.models import ChainHead
    from kassa.server.journal.services import journal_key_register, server_chain_append
    from kassa.server.staff.services import cashier_create
    from kassa.server.terminals.models import Store, Terminal

    call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", interactive=False, verbosity=0)
    cashier = cashier_create(name="Ana", pin="1234")
    tasks = []
    for number in range(1, terminals + 1):
        code = f"POS{number}"
        terminal = Terminal.objects.create(
            name=f"Till {number}", code=code, store=Store.objects.get_or_create(name="Bench")[0]
        )
        session = CashSession.objects.create(
            uuid=uuid.uuid4(),
            terminal=terminal,
            opened_by=cashier,
            opened_at=timezone.now(),
            opening_float=Decimal("100.00"),
        )
        private = ec.generate_private_key(ec.SECP256R1())
        with transaction.atomic():
            journal_key_register(
                terminal_code=code, token_id=number, public_key_spki=spki_of(private.public_key())
            )
        pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        count = total // terminals + (1 if number <= total % terminals else 0)
        tasks.append(
            {
                "code": code,
                "private_pem": pem,
                "seed": number,
                "count": count,
                "terminal_id": terminal.pk,
                "session_id": session.pk,
                "cashier_id": cashier.pk,
            }
        )
    connections.close_all()  # the workers are forks: each opens its own connection
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(min(terminals, os.cpu_count() or 1)) as pool:
        results = pool.map(_generate, tasks)
    with transaction.atomic():
        for result in results:
            for seq, hash_ in result["anchors"]:
                server_chain_append(
                    type="ANCHOR", payload={"terminal": result["code"], "seq": seq, "hash": hash_}
                )
            seq, hash_, key, gt, gt_abs = result["head"]
            ChainHead.objects.filter(chain=result["code"]).update(
                seq=seq, hash=hash_, key_id=key, gt_after=gt, gt_abs_after=gt_abs
            )
    seconds = time.perf_counter() - started
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    return seconds


def ecdsa_verify_rate(count: int = 3000) -> float:
    """This machine's ECDSA P-256 verifications a second on one core, as the verify makes
    them (cryptography's OpenSSL): the floor of the figure, and what makes runs on
    different days, or machines, comparable."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key()
    algorithm = ec.ECDSA(hashes.SHA256())
    data = os.urandom(960)  # about a bench entry's canonical bytes
    signature = key.sign(data, algorithm)
    started = time.process_time()
    for _ in range(count):
        public.verify(signature, data, algorithm)
    return count / (time.process_time() - started)


def table_verify_rate(count: int = 3000) -> float | None:
    """The same with the key's table (kassa.server.journal.ecdsa_tables), as the verify
    makes them: distinct signatures, their s⁻¹ computed a batch at a time. None without
    libcrypto's functions (the verify then uses cryptography alone)."""
    from cryptography.hazmat.primitives.asymmetric import ec

    from kassa.server.journal.ecdsa_tables import key_table, signature_numbers
    from kassa.server.journal.keys import signature_make

    key = ec.generate_private_key(ec.SECP256R1())
    table = key_table(key.public_key())
    if table is None:
        return None
    messages = [os.urandom(960) for _ in range(count)]
    sigs = [signature_make(key, message) for message in messages]
    started = time.process_time()
    numbers = signature_numbers(sigs)
    if not all(
        table.verify(*numbers[sig], message) for sig, message in zip(sigs, messages, strict=True)
    ):
        raise AssertionError("a sound signature failed with the key's table")
    return count / (time.process_time() - started)


def verify(workers: int | None) -> tuple[float, subprocess.CompletedProcess[str]]:
    command = [sys.executable, "-m", "kassa.cli", "journal", "verify"]
    if workers is not None:
        command += ["--workers", str(workers)]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    return time.perf_counter() - started, done


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--terminals", type=int, default=4)
    parser.add_argument(
        "--workers", type=int, nargs="*", default=[], help="also time verify with these workers"
    )
    options = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="kassa-journal-bench-"))
    os.environ.setdefault("KASSA_DATA_DIR", str(data))
    os.environ.setdefault("KASSA_JOURNAL_KEY_FILE", str(data / "journal_key.pem"))
    import django
    from django.db import connection

    django.setup()
    print(
        f"database: {connection.vendor}; {os.cpu_count()} cores; {options.entries:,} entries, "
        f"{options.terminals} terminals",
        flush=True,
    )
    rate = ecdsa_verify_rate()
    print(
        f"ECDSA P-256 verify on one core: {rate:,.0f}/s; the signatures alone need "
        f"{options.entries / rate / (os.cpu_count() or 1):.1f} s of all {os.cpu_count()} cores",
        flush=True,
    )
    tabled = table_verify_rate()
    if tabled is None:
        print("no key tables here (libcrypto lacks the functions): cryptography alone")
    else:
        print(
            f"ECDSA P-256 verify with the key's table on one core: {tabled:,.0f}/s; the "
            f"signatures need {options.entries / tabled / (os.cpu_count() or 1):.1f} s of all "
            f"{os.cpu_count()} cores",
            flush=True,
        )
    seconds = generate(options.entries, options.terminals)
    print(
        f"generated, signed and inserted in {seconds:.1f} s "
        f"({options.entries / seconds:,.0f} entries/s)",
        flush=True,
    )
    failed = 0
    for workers in [None, *options.workers]:
        seconds, done = verify(workers)
        label = "default workers" if workers is None else f"--workers {workers}"
        print(
            f"kassa journal verify ({label}): exit {done.returncode} in {seconds:.1f} s "
            f"({options.entries / seconds:,.0f} entries/s)"
        )
        print(f"  {done.stdout.strip()}")
        if done.returncode != 0:
            print(done.stderr, end="")
            failed = 1
    return failed


if __name__ == "__main__":
    sys.exit(main())
