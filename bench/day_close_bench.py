"""The day close on the server, on the database KASSA_DATABASE_URL names (PostgreSQL for
the published figures):

    python scripts/pg_temp.py -- uv run python bench/day_close_bench.py

1. **The close of a 10,000-order session**: a till's chain (real ECDSA P-256 signatures,
   JCS, SHA-256 chain) with SESSION_OPEN, 10,000 SALEs, cash moves and a count, ingested
   as the sync ingests it; then the one sync that brings the Z_CLOSE is timed: the
   journal's checks, the Z stored, the session closed, and the Z computed again from
   its 10,000 entries and compared (docs/z-report.md, "On the server"). Target ≤ 2 s.
2. **The DSFinV-K export of a terminal-year**: 300 Zs of 500 receipts each (150,000
   receipts, every 50th a refund of an earlier sale, two cash moves a day), their entries
   written straight into the journal's table (chained, not signed: the export reads
   the bytes, it does not verify them), each Z computed by cash.zreport as a till does;
   then `kassa export dsfinvk --from 1 --to 300` is timed, validator included. Target
   ≤ 60 s.

Prints its figures; nothing here is a test.
"""

from __future__ import annotations

import argparse
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

PRODUCTS = [
    ("Kaffee 500 g", "COFFEE", "pc", "8.99", "7"),
    ("Brot", "BREAD", "pc", "3.95", "7"),
    ("Äpfel", "APPLE", "kg", "2.49", "7"),
    ("Spülmittel", "SOAP", "pc", "2.45", "19"),
    ("Batterien AA x4", "BATT", "pc", "5.49", "19"),
    ("Cola 330 ml", "COLA", "pc", "0.99", "19"),
]
ANA = {"id": 1, "name": "Ana"}


class Chain:
    """One terminal's chain, as a till writes it: each entry canonical, chained, signed
    (or, with `sign=False`, a placeholder signature the export never reads)."""

    def __init__(self, code: str, *, sign: bool) -> None:
        from cryptography.hazmat.primitives.asymmetric import ec

        from kassa.jcs import GENESIS_HASH
        from kassa.server.journal.keys import key_id, spki_of

        self.code = code
        self.private = ec.generate_private_key(ec.SECP256R1()) if sign else None
        self.spki = spki_of(self.private.public_key()) if self.private else b""
        self.key = key_id(self.spki) if self.private else "0" * 16
        self.sign = sign
        self.seq = 0
        self.prev = GENESIS_HASH
        self.gt = Decimal(0)
        self.gt_abs = Decimal(0)
        self.clock = datetime.fromisoformat("2026-01-01T08:00:00.000+01:00")
        self.software = "Kassa bench"

    def entry(self, type_: str, payload: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """(the entry, its wire form)."""
        from kassa.jcs import canonicalize, chain_hash
        from kassa.server.journal.keys import signature_make

        self.seq += 1
        body = {
            "v": 1,
            "terminal": self.code,
            "seq": self.seq,
            "type": type_,
            "at": self.clock.isoformat(timespec="milliseconds"),
            "cashier": ANA,
            "key": self.key,
            "prev_hash": self.prev,
            "payload": {"v": 1, **payload},
        }
        canonical = canonicalize(body)
        self.prev = chain_hash(self.prev, canonical)
        sig = signature_make(self.private, canonical) if self.private else "A" * 86
        return body, {
            "seq": self.seq,
            "canonical": canonical.decode(),
            "hash": self.prev,
            "sig": sig,
        }

    def sale(self, session: str, rng: random.Random, refund_of: dict[str, Any] | None = None):
        from kassa.money import line_price

        if refund_of is not None:
            line = dict(refund_of["payload"]["lines"][0])
            for key in ("qty", "net", "tax", "amount"):
                line[key] = str(-Decimal(line[key]))
            lines = [{**line, "original_line": None, "reason": "damaged"}]
        else:
            lines = []
            for name, ref, unit, price, rate in rng.sample(PRODUCTS, rng.randint(1, 3)):
                qty = Decimal(rng.randint(1, 3))
                priced = line_price(
                    quantity=qty,
                    unit_price=Decimal(price),
                    discount=Decimal(0),
                    rate=Decimal(rate),
                    price_includes_tax=True,
                )
                lines.append(
                    {
                        "name": name,
                        "ref": ref,
                        "qty": f"{qty:.3f}",
                        "unit": unit,
                        "unit_price": price,
                        "discount": "0",
                        "tax_rate": rate,
                        "net": str(priced.net),
                        "tax": str(priced.tax),
                        "amount": str(priced.gross),
                    }
                )
        net = sum((Decimal(x["net"]) for x in lines), Decimal(0))
        tax = sum((Decimal(x["tax"]) for x in lines), Decimal(0))
        gross = sum((Decimal(x["amount"]) for x in lines), Decimal(0))
        self.gt += gross
        self.gt_abs += abs(gross)
        cash = refund_of is not None or rng.random() < 0.5
        paid = gross if not cash or gross < 0 else (gross // 10 + 1) * 10
        payload: dict[str, Any] = {
            "order": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "receipt_no": f"{self.code}-1-{self.seq + 1:06d}",
            "session": session,
            "lines": lines,
            "totals": {"net": str(net), "tax": str(tax), "gross": str(gross)},
            "payments": [{"method": "Bar" if cash else "Karte", "amount": str(paid)}],
            "change": str(paid - gross),
            "gt_after": f"{self.gt:.2f}",
            "gt_abs_after": f"{self.gt_abs:.2f}",
        }
        kind = "SALE"
        if refund_of is not None:
            kind = "REFUND"
            payload |= {
                "kind": "refund",
                "original": {
                    "order": refund_of["payload"]["order"],
                    "receipt_no": refund_of["payload"]["receipt_no"],
                    "at": refund_of["at"],
                },
                "approval": None,
            }
        self.clock += timedelta(seconds=20)
        return self.entry(kind, payload)


def parameters() -> dict[str, Any]:
    return {
        "currency": "EUR",
        "places": 2,
        "time_zone": "Europe/Berlin",
        "day_start": "04:00",
        "methods": [
            {"name": "Bar", "cash": True, "variance": {"amount": None, "percent": None}},
            {"name": "Karte", "cash": False, "variance": {"amount": None, "percent": None}},
        ],
        "variance": {"amount": "50.00", "percent": None},
    }


def session_entries(chain: Chain, session: str, tickets: int, rng: random.Random):
    """SESSION_OPEN, `tickets` SALEs (every 50th a REFUND), two cash moves, a count."""
    out = [chain.entry("SESSION_OPEN", {"session": session, "opening_float": "150.00"})]
    sales: list[dict[str, Any]] = []
    for number in range(tickets):
        refund = sales[-10] if number % 50 == 49 and len(sales) > 10 else None
        body, wire = chain.sale(session, rng, refund)
        out.append((body, wire))
        if body["type"] == "SALE":
            sales.append(body)
        if number in (tickets // 3, 2 * tickets // 3):
            kind = "in" if number == tickets // 3 else "drop"
            out.append(
                chain.entry(
                    "CASH_MOVE",
                    {
                        "move": str(uuid.uuid4()),
                        "session": session,
                        "kind": kind,
                        "amount": "100.00",
                        "reason": "bench",
                        "note": "",
                        "approval": None,
                    },
                )
            )
    return out


def z_for(chain: Chain, session_list, z_no: int, previous, before, count: str | None):
    from kassa.server.cash.zreport import z_compute

    entries = [body for body, _ in session_list]
    if count is not None:
        body, wire = chain.entry(
            "CASH_COUNT",
            {
                "session": entries[0]["payload"]["session"],
                "attempt": 1,
                "blind": False,
                "methods": [{"method": "Bar", "amount": count, "denominations": None}],
            },
        )
        session_list.append((body, wire))
        entries.append(body)
    closed_at = chain.clock + timedelta(seconds=20)
    chain.clock = closed_at
    context = {
        "z_no": z_no,
        "terminal": chain.code,
        "store": {"id": None, "name": "Bench", "tax_id": ""},
        "parameters": parameters(),
        "software": chain.software,
        "closed": {"at": closed_at.isoformat(timespec="milliseconds"), "by": ANA},
        "approval": None,
        "before": before,
        "previous": previous,
    }
    return z_compute(entries, context)


def _setup(code: str) -> Any:
    from kassa.server.staff.models import Cashier
    from kassa.server.staff.services import cashier_create
    from kassa.server.terminals.models import PaymentMethod, Store, Terminal

    store = Store.objects.get_or_create(
        name="Bench", defaults={"address": "Hauptstr. 1\n10115 Berlin"}
    )[0]
    terminal = Terminal.objects.create(name=f"Till {code}", code=code, store=store)
    cash = PaymentMethod.objects.get_or_create(name="Bar", defaults={"is_cash": True})[0]
    card = PaymentMethod.objects.get_or_create(name="Karte")[0]
    terminal.payment_methods.set([cash, card])
    if not Cashier.objects.filter(pk=1).exists():
        cashier_create(name="Ana", pin="1234")
    return terminal


def bench_close(orders: int) -> float:
    """The sync that brings a 10,000-order session's Z_CLOSE, timed."""
    from django.db import transaction

    from kassa.server.cash.models import CashSession, ZCheck, ZReport
    from kassa.server.journal.services import journal_ingest, journal_key_register
    from kassa.server.orders.services import order_batch_sync
    from kassa.server.staff.models import Cashier

    code = f"C{random.randrange(10**6)}"
    terminal = _setup(code)
    chain = Chain(code, sign=True)
    with transaction.atomic():
        journal_key_register(
            terminal_code=code, token_id=random.randrange(10**9), public_key_spki=chain.spki
        )
    session = CashSession.objects.create(
        uuid=uuid.uuid4(),
        terminal=terminal,
        opened_by=Cashier.objects.get(pk=1),
        opened_at=chain.clock,
        opening_float=Decimal("150.00"),
    )
    init = chain.entry("JOURNAL_INIT", {"software": chain.software, "key": "bench"})
    rng = random.Random(1)
    started = time.perf_counter()
    listed = session_entries(chain, str(session.uuid), orders, rng)
    zero = {"gt_after": "0.00", "gt_abs_after": "0.00"}
    expected = z_for(chain, list(listed), 1, None, zero, None)["cash"]["expected"]
    z = z_for(chain, listed, 1, None, zero, expected)
    wires = [init[1], *(wire for _, wire in listed)]
    print(f"  {len(wires):,} entries written and signed in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    for start in range(0, len(wires), 500):
        with transaction.atomic():
            result = journal_ingest(terminal_code=code, entries=wires[start : start + 500])
        assert result.status.value == "ok", result
    print(f"  ingested in batches of 500 in {time.perf_counter() - started:.1f} s")
    _, z_wire = chain.entry("Z_CLOSE", z)
    started = time.perf_counter()
    outcome = order_batch_sync(terminal=terminal, orders=[], journal=[z_wire])
    seconds = time.perf_counter() - started
    assert outcome.journal is not None and outcome.journal["status"] == "ok", outcome.journal
    stored = ZReport.objects.get(terminal=terminal)
    assert stored.verification == ZCheck.OK, stored.verification_detail
    session.refresh_from_db()
    assert session.state == "closed"
    return seconds


def bench_dsfinvk(
    zs: int, receipts: int, out: Path, validator: bool = True
) -> tuple[float, float, str]:
    from django.db import connection

    from kassa.server.cash.models import ZReport
    from kassa.server.cash.zreport import period_closes
    from kassa.server.journal.models import ChainHead, TerminalEntry

    code = f"D{random.randrange(10**6)}"
    terminal = _setup(code)
    chain = Chain(code, sign=False)
    rng = random.Random(2)
    started = time.perf_counter()
    rows: list[TerminalEntry] = []
    zrows: list[tuple[int, dict[str, Any]]] = []
    init = chain.entry("JOURNAL_INIT", {"software": chain.software, "key": "bench"})
    pending = [init]
    previous = None
    before = {"gt_after": "0.00", "gt_abs_after": "0.00"}
    now = datetime.now().astimezone()
    for number in range(1, zs + 1):
        chain.clock = datetime.fromisoformat("2026-01-01T08:00:00.000+01:00") + timedelta(
            days=number + number // 6
        )
        session = str(uuid.uuid4())
        listed = session_entries(chain, session, receipts, rng)
        # counted: the drawer less 0.50, a DifferenzSollIst every day
        expected = z_for(chain, list(listed), number, previous, before, None)["cash"]["expected"]
        counted = f"{Decimal(expected) - Decimal('0.50'):.2f}"
        z = z_for(chain, listed, number, previous, before, counted)
        for close in period_closes(z, previous):
            listed.append(chain.entry("PERIOD_CLOSE", close))
        z_body, z_wire = chain.entry("Z_CLOSE", z)
        listed.append((z_body, z_wire))
        pending.extend(listed)
        zrows.append((z_wire["seq"], z))
        previous = {"v": 1, **z}
        before = z["grand_totals"]
        for body, wire in pending:
            rows.append(
                TerminalEntry(
                    terminal_code=code,
                    seq=wire["seq"],
                    type=body["type"],
                    at_text=body["at"],
                    at=datetime.fromisoformat(body["at"]),
                    key_id=chain.key,
                    canonical=wire["canonical"].encode(),
                    hash=wire["hash"],
                    sig=wire["sig"],
                    received_at=now,
                )
            )
        pending = []
        if len(rows) >= 20_000:
            TerminalEntry.objects.bulk_create(rows, batch_size=5000)
            rows = []
    TerminalEntry.objects.bulk_create(rows, batch_size=5000)
    ChainHead.objects.update_or_create(chain=code, defaults={"seq": chain.seq, "hash": chain.prev})
    pks = dict(
        TerminalEntry.objects.filter(terminal_code=code, type="Z_CLOSE").values_list("seq", "pk")
    )
    ZReport.objects.bulk_create(
        [
            ZReport(
                terminal=terminal,
                entry_id=pks[seq],
                seq=seq,
                at=datetime.fromisoformat(z["closed"]["at"]),
                cashier_id=1,
                cashier_name="Ana",
                session_uuid=z["session"],
                z_no=z["z_no"],
                business_day=datetime.fromisoformat(z["business_day"]).date(),
                opened_at=datetime.fromisoformat(z["opened"]["at"]),
                closed_at=datetime.fromisoformat(z["closed"]["at"]),
                gross=Decimal(z["totals"]["gross"]),
                tickets=z["totals"]["tickets"],
                variance=Decimal(z["variance"]["amount"]),
                verification="ok",
            )
            for seq, z in zrows
        ]
    )
    setup = time.perf_counter() - started
    connection.close()
    started = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "kassa.cli",
            "export",
            "dsfinvk",
            "--terminal",
            code,
            "--from",
            "1",
            "--to",
            str(zs),
            "--out",
            str(out),
            "--no-validate",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"export failed: {done.stderr}")
    if not validator:
        return setup, seconds, done.stdout.strip()
    from kassa.server.reports.dsfinvk import dsfinvk_validate

    started = time.perf_counter()
    problems = dsfinvk_validate(next(out.glob("dsfinvk-*.zip")))
    validated = time.perf_counter() - started
    print(
        f"  the dsfinvk package's validator on it: {validated:.1f} s, {len(problems)} problems",
        flush=True,
    )
    return setup, seconds, done.stdout.strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=10_000, help="orders in the closed session")
    parser.add_argument("--closes", type=int, default=3, help="sessions closed, each timed")
    parser.add_argument("--zs", type=int, default=300)
    parser.add_argument("--receipts", type=int, default=500, help="receipts per Z")
    parser.add_argument("--part", choices=["close", "dsfinvk", "both"], default="both")
    parser.add_argument(
        "--no-validator", action="store_true", help="do not time the dsfinvk validator too"
    )
    options = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="kassa-day-close-bench-"))
    os.environ.setdefault("KASSA_DATA_DIR", str(data))
    os.environ.setdefault("KASSA_JOURNAL_KEY_FILE", str(data / "journal_key.pem"))
    import django
    from django.core.management import call_command
    from django.db import connection

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    print(f"database: {connection.vendor}; {os.cpu_count()} cores", flush=True)
    if options.part in ("close", "both"):
        print(f"the close of a {options.orders:,}-order session (target ≤ 2 s):", flush=True)
        figures = []
        for _ in range(options.closes):
            seconds = bench_close(options.orders)
            figures.append(seconds)
            print(
                f"  the sync that brings its Z_CLOSE, checked: {seconds * 1000:.0f} ms", flush=True
            )
        print(f"  best {min(figures) * 1000:.0f} ms, worst {max(figures) * 1000:.0f} ms")
    if options.part in ("dsfinvk", "both"):
        total = options.zs * options.receipts
        print(
            f"DSFinV-K export of {options.zs} Zs, {total:,} receipts (target ≤ 60 s):", flush=True
        )
        setup, seconds, said = bench_dsfinvk(
            options.zs, options.receipts, data, validator=not options.no_validator
        )
        print(f"  year written in {setup:.0f} s")
        print(f"  kassa export dsfinvk --no-validate (a process of its own): {seconds:.1f} s")
        print(f"  {said}")
        archive = next(data.glob("dsfinvk-*.zip"))
        print(f"  {archive.stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
