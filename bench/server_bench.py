"""Main server benchmarks, on the database KASSA_DATABASE_URL names (PostgreSQL for the
published figures: `make bench`, or `python scripts/pg_temp.py -- python bench/server_bench.py`).

- CSV import of 100,000 rows (`kassa import-products`, in-process service call)
- full catalog download of 100,000 products through HTTP (one request, and pages of 10,000)
- order ingestion through HTTP: batches of 50 orders of 5 lines and 1 payment, from
  several concurrent clients, against `kassa server` (gunicorn)
- with `--journal`: order ingestion with and without each order's SALE entry (signed by
  a key made here, ECDSA P-256, P1363), one till per client sending its batches in
  order, alternated; the ratio is what chain verification and the SALE checks cost

Prints its figures; nothing here is a test.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import gzip
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kassa.server.settings")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ean13(n: int) -> str:
    from kassa.server.catalog.barcodes import gtin_check_digit

    body = f"871{n:09d}"
    return body + str(gtin_check_digit(body))


def write_csv(path: Path, rows: int) -> None:
    rng = random.Random(1)
    with path.open("w") as handle:
        handle.write("name,ref,barcodes,category,price,tax,unit,weighed,active\n")
        for n in range(rows):
            price = f"{rng.randrange(10, 10000) / 100:.2f}"
            tax = "VAT 21%" if n % 3 else "VAT 9%"
            category = f"Department {n % 12} / Shelf {n % 97}"
            handle.write(
                f"Product {n} assorted,R{n:07d},{_ean13(n)},{category},{price},{tax},pc,no,yes\n"
            )


def setup_database() -> None:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", interactive=False, verbosity=0)


def bench_import(rows: int) -> float:
    from kassa.server.catalog.importer import product_import
    from kassa.server.catalog.models import Tax

    Tax.objects.get_or_create(name="VAT 21%", defaults={"rate": Decimal(21)})
    Tax.objects.get_or_create(name="VAT 9%", defaults={"rate": Decimal(9)})
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "products.csv"
        write_csv(path, rows)
        data = path.read_bytes()
    start = time.perf_counter()
    report = product_import(data)
    elapsed = time.perf_counter() - start
    assert report.imported and not report.errors and report.created == rows, report.summary()[:500]
    return elapsed


def start_server(port: int, workers: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kassa.cli",
            "server",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("server did not start")


def request(
    conn: http.client.HTTPConnection,
    method: str,
    path: str,
    token: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes]:
    all_headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    all_headers.update(headers or {})
    conn.request(method, path, body=body, headers=all_headers)
    response = conn.getresponse()
    return response.status, response.read()


def bench_catalog(port: int, token: str, rounds: int) -> dict[str, float]:
    """Full download of the whole catalog in one request and in pages of 10,000.

    `cold` is the first download after a catalog change (the page is built), `cached`
    the next ones (every till but the first, until the catalog changes). `received` is
    the time to the last byte; `parsed` adds Python's json.loads of the answer.
    """
    from kassa.server.catalog.models import Product
    from kassa.server.catalog.services import products_touch

    figures: dict[str, list[float]] = {}

    def timed(name: str, path: str, gzipped: bool = False) -> dict:
        headers = {"Accept-Encoding": "gzip"} if gzipped else {}
        start = time.perf_counter()
        status, body = request(conn, "GET", path, token, headers=headers)
        received = time.perf_counter() - start
        data = json.loads(gzip.decompress(body) if gzipped else body)
        parsed = time.perf_counter() - start
        assert status == 200
        figures.setdefault(f"{name} received", []).append(received)
        figures.setdefault(f"{name} parsed", []).append(parsed)
        return data

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    some_product = Product.objects.order_by("pk").values_list("pk", flat=True).first()
    count = 0
    for _ in range(rounds):
        products_touch(product_ids=[some_product])  # a change: the next page is built anew
        data = timed("one request, cold", "/api/v1/catalog/products?limit=100000")
        count = len(data["products"])
        timed("one request, cached", "/api/v1/catalog/products?limit=100000")
        products_touch(product_ids=[some_product])
        timed("one request, gzip, cold", "/api/v1/catalog/products?limit=100000", True)
        timed("one request, gzip, cached", "/api/v1/catalog/products?limit=100000", True)
        products_touch(product_ids=[some_product])
        start = time.perf_counter()
        after, seen = 0, 0
        while True:
            page = timed("page", f"/api/v1/catalog/products?limit=10000&after={after}")
            seen += len(page["products"])
            if page["next_after"] is None:
                break
            after = page["next_after"]
        figures.setdefault("10 pages, cold, parsed", []).append(time.perf_counter() - start)
        assert seen == count
    figures = {k: v for k, v in figures.items() if not k.startswith("page ")}
    print(f"catalog: {count} products; JSON {len(json.dumps(data)) / 1e6:.1f} MB")
    return {k: statistics.median(v) for k, v in figures.items()}


def make_orders(
    n_batches: int,
    session_uuid: str,
    cashier_id: int,
    products: list[tuple],
    cash_id: int,
    prefix: str,
    seed: int = 2,
    names: bool = False,
) -> list[list[dict]]:
    """Batches of 50 orders of 5 lines and 1 cash payment, priced as a till prices them;
    with `names`, each line carries the name the till printed (as a till with a journal
    sends it)."""
    from kassa.money import line_price, total

    rng = random.Random(seed)
    batches = []
    number = 0
    for _ in range(n_batches):
        orders = []
        for _ in range(50):
            number += 1
            lines, amounts = [], []
            for pk, name, price, tax_id, rate, included in rng.sample(products, 5):
                quantity = str(rng.randrange(1, 4))
                amount = line_price(
                    quantity=Decimal(quantity),
                    unit_price=price,
                    discount=Decimal(0),
                    rate=rate,
                    price_includes_tax=included,
                )
                amounts.append(amount)
                lines.append(
                    {
                        "product_id": pk,
                        **({"name": name} if names else {}),
                        "quantity": quantity,
                        "unit_price": str(price),
                        "discount": "0",
                        "tax_id": tax_id,
                        "tax_rate": str(rate),
                        "price_includes_tax": included,
                        "net": str(amount.net),
                        "tax": str(amount.tax),
                        "gross": str(amount.gross),
                    }
                )
            totals = total(amounts)
            orders.append(
                {
                    "uuid": str(uuid.uuid4()),
                    "receipt_number": f"{prefix}{number:07d}",
                    "session_uuid": session_uuid,
                    "cashier_id": cashier_id,
                    "created_at": "2026-11-21T10:00:00+00:00",
                    "lines": lines,
                    "payments": [{"method_id": cash_id, "amount": str(totals.gross)}],
                    "change": "0.00",
                    "totals": {
                        "net": str(totals.net),
                        "tax": str(totals.tax),
                        "gross": str(totals.gross),
                    },
                }
            )
        batches.append(orders)
    return batches


def make_batches(*args: Any, **kwargs: Any) -> list[bytes]:
    return [json.dumps({"orders": orders}).encode() for orders in make_orders(*args, **kwargs)]


class TillJournal:
    """A till's journal as docs/journal.md writes it: its own ECDSA P-256 key, kassa.jcs,
    the SHA-256 chain, P1363 signatures, and a SALE per order as printed."""

    def __init__(self, terminal: str) -> None:
        from cryptography.hazmat.primitives.asymmetric import ec

        from kassa.jcs import GENESIS_HASH
        from kassa.server.journal.keys import key_id, spki_of

        self.terminal = terminal
        self.private = ec.generate_private_key(ec.SECP256R1())
        self.spki = spki_of(self.private.public_key())
        self.key = key_id(self.spki)
        self.seq, self.prev_hash = 0, GENESIS_HASH
        self.gt = self.gt_abs = Decimal(0)

    def entry(self, type_: str, payload: dict) -> dict:
        from kassa.jcs import canonicalize, chain_hash
        from kassa.server.journal.keys import signature_make

        body = {
            "v": 1,
            "terminal": self.terminal,
            "seq": self.seq + 1,
            "type": type_,
            "at": "2026-11-21T10:00:00.000+00:00",
            "cashier": {"id": 1, "name": "Bench cashier"},
            "key": self.key,
            "prev_hash": self.prev_hash,
            "payload": {"v": 1, **payload},
        }
        canonical = canonicalize(body)
        wire = {
            "seq": body["seq"],
            "canonical": canonical.decode(),
            "hash": chain_hash(self.prev_hash, canonical),
            "sig": signature_make(self.private, canonical),
        }
        self.seq, self.prev_hash = wire["seq"], wire["hash"]
        return wire

    def sale(self, order: dict, method: str) -> dict:
        gross = Decimal(order["totals"]["gross"])
        self.gt += gross
        self.gt_abs += abs(gross)
        return self.entry(
            "SALE",
            {
                "order": order["uuid"],
                "receipt_no": order["receipt_number"],
                "session": order["session_uuid"],
                "lines": [
                    {
                        "name": line["name"],
                        "ref": "",
                        "qty": line["quantity"],
                        "unit": "pc",
                        "unit_price": line["unit_price"],
                        "discount": line["discount"],
                        "tax_rate": line["tax_rate"],
                        "net": line["net"],
                        "tax": line["tax"],
                        "amount": line["gross"],
                    }
                    for line in order["lines"]
                ],
                "totals": order["totals"],
                "payments": [{"method": method, "amount": p["amount"]} for p in order["payments"]],
                "change": order["change"],
                "gt_after": f"{self.gt:.2f}",
                "gt_abs_after": f"{self.gt_abs:.2f}",
            },
        )


def _cpu_seconds(roots: list[int]) -> float | None:
    """CPU time (user + system) of these processes and all their descendants, from
    /proc (Linux; None elsewhere): what the server did, whatever else the machine runs."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    try:
        stats = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    text = Path(f"/proc/{entry}/stat").read_text()
                except OSError:
                    continue
                fields = text[text.rindex(")") + 2 :].split()
                stats[int(entry)] = (int(fields[1]), sum(int(f) for f in fields[11:15]))
    except OSError:
        return None
    total, wanted = 0, set(roots)
    grew = True
    while grew:
        more = {pid for pid, (ppid, _) in stats.items() if ppid in wanted} - wanted
        wanted |= more
        grew = bool(more)
    for pid in wanted:
        if pid in stats:
            total += stats[pid][1]
    return total / tick


def _server_roots(server: subprocess.Popen[bytes]) -> list[int]:
    """The web server and the PostgreSQL server (if the database is local)."""
    from django.db import connection

    roots = [server.pid]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW data_directory")
            (folder,) = cursor.fetchone()
        with contextlib.suppress(OSError, ValueError, IndexError):
            roots.append(int((Path(folder) / "postmaster.pid").read_text().split()[0]))
    return roots


def bench_tills(port: int, tills: list[tuple[str, list[bytes]]]) -> float:
    """Each till (token, its batches) sends its batches in order from a client of its own,
    all tills at once; orders per second. Every order must be accepted, every journal
    answer `ok`."""
    failures: list[str] = []
    orders = sum(len(batches) for _, batches in tills) * 50

    def till(token: str, batches: list[bytes]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        for body in batches:
            status, answer = request(conn, "POST", "/api/v1/orders/sync", token, body)
            data = json.loads(answer) if status == 200 else {}
            results, journal = data.get("results", []), data.get("journal")
            if (
                status != 200
                or any(r["status"] != "accepted" or "review" in r for r in results)
                or (journal is not None and journal["status"] != "ok")
            ):
                failures.append(answer[:300].decode())

    threads = [threading.Thread(target=till, args=pair) for pair in tills]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    assert not failures, failures[:3]
    return orders / elapsed


def _lock_waits(run: Any) -> tuple[float, int, int, Any]:
    """Run `run()` while sampling pg_stat_activity every 2 ms from a connection of its
    own: its answer, the samples, the samples with a backend waiting for a lock, and
    the waits by wait_event (tuple and transactionid: a row lock, such as a chain head)."""
    import collections

    import psycopg

    done = threading.Event()
    counts = [0, 0]
    kinds: collections.Counter[str] = collections.Counter()

    def sample() -> None:
        with psycopg.connect(os.environ["KASSA_DATABASE_URL"], autocommit=True) as conn:
            while not done.is_set():
                rows = conn.execute(
                    "SELECT wait_event FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND pid <> pg_backend_pid()"
                ).fetchall()
                counts[0] += 1
                counts[1] += bool(rows)
                kinds.update(event for (event,) in rows)
                time.sleep(0.002)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        answer = run()
    finally:
        done.set()
        sampler.join()
    return answer, counts[0], counts[1], kinds


def bench_journal(
    port: int,
    roots: list[int],
    products: list[tuple],
    n_batches: int,
    clients: int,
    rounds: int,
    locks: bool = False,
) -> None:
    """Orders with their SALEs against orders alone: the same tills' shape, alternated.
    Wall-clock orders per second, and the server's CPU time per order (web server and
    PostgreSQL), which a busy machine disturbs far less."""
    from django.utils import timezone

    from kassa.server.cash.models import CashSession
    from kassa.server.staff.models import Cashier
    from kassa.server.terminals.models import PaymentMethod, Store, Terminal
    from kassa.server.terminals.services import pairing_code_create, terminal_pair

    cash = PaymentMethod.objects.get(name="Cash")
    cashier = Cashier.objects.get(name="Bench cashier")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def tills(mode: str, round_: int) -> list[tuple[str, list[bytes]]]:
        made = []
        for n in range(clients):
            code = f"{mode[0].upper()}{round_}{n}"
            terminal = Terminal.objects.create(
                name=code, code=code, store=Store.objects.get_or_create(name="Bench")[0]
            )
            terminal.payment_methods.set([cash])
            token, secret = terminal_pair(code=pairing_code_create(terminal=terminal))
            session = CashSession.objects.create(
                uuid=uuid.uuid4(),
                terminal=terminal,
                opened_by=cashier,
                opened_at=timezone.now(),
                opening_float=0,
            )
            batches = make_orders(
                n_batches,
                str(session.uuid),
                cashier.pk,
                products,
                cash.pk,
                token.receipt_prefix,
                seed=round_ * 100 + n,
                names=True,
            )
            if mode == "plain":
                made.append((secret, [json.dumps({"orders": b}).encode() for b in batches]))
                continue
            journal = TillJournal(code)
            body = json.dumps({"public_key": base64.b64encode(journal.spki).decode()}).encode()
            status, answer = request(conn, "POST", "/api/v1/journal/key", secret, body)
            assert status == 200, answer
            bodies = []
            for index, orders in enumerate(batches):
                entries = []
                if index == 0:
                    key = base64.b64encode(journal.spki).decode()
                    entries.append(journal.entry("JOURNAL_INIT", {"software": "bench", "key": key}))
                entries += [journal.sale(order, cash.name) for order in orders]
                bodies.append(json.dumps({"orders": orders, "journal": entries}).encode())
            made.append((secret, bodies))
        return made

    figures: dict[str, list[float]] = {"plain": [], "journal": []}
    cpu: dict[str, list[float]] = {"plain": [], "journal": []}
    orders = n_batches * 50 * clients
    for round_ in range(rounds):
        for mode in ("plain", "journal"):
            made = tills(mode, round_)
            before = _cpu_seconds(roots)
            figures[mode].append(bench_tills(port, made))
            after = _cpu_seconds(roots)
            if before is not None and after is not None:
                cpu[mode].append((after - before) / orders * 1e6)
    plain, journal = (statistics.median(figures[m]) for m in ("plain", "journal"))
    waits = None
    if locks:
        # One more round with SALEs, while a thread asks PostgreSQL every 2 ms which
        # backends wait for a lock: does the server chain's head, the last lock of every
        # sync, line the tills up? (Not in the figures above: the sampling costs CPU.)
        made = tills("journal", rounds)
        waits = _lock_waits(lambda: bench_tills(port, made))
    print(
        f"ingestion, {clients} tills at once, each {orders // clients} orders in order, "
        f"median of {rounds}: orders alone {plain:,.0f} orders/s; with their SALEs "
        f"{journal:,.0f} orders/s; ratio {journal / plain:.2f}"
    )
    print(
        "  rounds: "
        + "; ".join(f"{m} " + ", ".join(f"{v:,.0f}" for v in figures[m]) for m in figures)
    )
    if cpu["plain"] and cpu["journal"]:
        plain_cpu, journal_cpu = (statistics.median(cpu[m]) for m in ("plain", "journal"))
        print(
            f"  server CPU per order (web server + PostgreSQL), median: orders alone "
            f"{plain_cpu:.0f} µs, with their SALEs {journal_cpu:.0f} µs; ratio "
            f"{plain_cpu / journal_cpu:.2f}"
        )
    if waits is not None:
        rate, samples, waiting, kinds = waits
        print(
            f"  lock waits, one more round with SALEs ({rate:,.0f} orders/s): {samples} samples "
            f"of pg_stat_activity, {waiting / samples:.1%} with a sync waiting for a lock "
            f"({', '.join(f'{k} {v}' for k, v in kinds.most_common()) or 'none'}); "
            "each waiter counted once per sample"
        )


class Phases:
    """In-process timers around the steps of an order sync: each named function of a
    module is replaced by a timed wrapper (the callers look it up in the module, so
    they call the wrapper). Figures are inclusive: `journal_ingest` holds `canonical`."""

    # (module, class or "", attribute, phase); one a version of the code lacks is skipped
    POINTS = [
        ("kassa.server.orders.services", "", "_store", "orders"),
        ("kassa.server.orders.services", "", "journal_ingest", "journal_ingest"),
        ("kassa.server.orders.services", "", "_sales_check", "sales_check"),
        ("kassa.server.journal.services", "", "entry_read", "entry_read"),
        ("kassa.server.journal.entries", "", "canonical_parse", "canonical"),
        ("kassa.server.journal.entries", "", "chain_hash", "hash"),
        ("kassa.server.journal.entries", "", "signature_valid", "signature"),
        ("kassa.server.journal.services", "", "_server_append", "anchor"),
        ("kassa.server.journal.services", "", "signature_make", "sign"),
        ("kassa.server.journal.services", "_Ingest", "__init__", "lock_read"),
        ("kassa.server.journal.services", "_Ingest", "append", "continuity"),
        ("kassa.server.journal.services", "_Ingest", "write", "write"),
    ]
    # what "without chain verification" leaves out: the canonical-form check, the hash,
    # the signature and the checks in the chain (seq, prev_hash, key, grand totals)
    VERIFICATION = ("canonical", "hash", "signature", "continuity")

    def __init__(self) -> None:
        import importlib

        self.batch: dict[str, float] = {}
        self.restore: list[tuple[Any, str, Any]] = []
        for module, owner, name, phase in self.POINTS:
            target: Any = importlib.import_module(module)
            if owner:
                target = getattr(target, owner, None)
            original = getattr(target, name, None)
            if original is None:
                continue
            self.restore.append((target, name, original))
            setattr(target, name, self._timed(original, phase))

    def _timed(self, original: Any, phase: str) -> Any:
        import functools

        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.batch[phase] = self.batch.get(phase, 0.0) + time.perf_counter() - start

        return timed

    def close(self) -> None:
        for target, name, original in reversed(self.restore):
            setattr(target, name, original)


def bench_phases(products: list[tuple], n_batches: int, warm: int = 5) -> None:
    """Order syncs in-process (no HTTP), timed step by step: a till's batches of 50
    orders alone, and another till's batches of 50 orders with their 50 SALEs, alternated
    batch by batch, each after `warm` batches not counted. Prints min and median per
    batch of each step, and two ratios: orders alone against orders with their SALEs
    (what the HTTP bench compares), and the sync with chain verification against the
    same sync without the verification steps (Phases.VERIFICATION)."""
    from django.db import connection
    from django.utils import timezone

    from kassa.server.cash.models import CashSession
    from kassa.server.journal.services import journal_key_register
    from kassa.server.orders.services import order_batch_sync
    from kassa.server.staff.models import Cashier
    from kassa.server.terminals.models import PaymentMethod, Store, Terminal
    from kassa.server.terminals.services import pairing_code_create, terminal_pair

    cash = PaymentMethod.objects.get(name="Cash")
    cashier = Cashier.objects.get(name="Bench cashier")
    made = {}
    for n, mode in enumerate(("plain", "journal")):
        code = f"PH{mode[0].upper()}"
        terminal = Terminal.objects.create(
            name=code, code=code, store=Store.objects.get_or_create(name="Bench")[0]
        )
        terminal.payment_methods.set([cash])
        token, _ = terminal_pair(code=pairing_code_create(terminal=terminal))
        session = CashSession.objects.create(
            uuid=uuid.uuid4(),
            terminal=terminal,
            opened_by=cashier,
            opened_at=timezone.now(),
            opening_float=0,
        )
        batches = make_orders(
            n_batches + warm,
            str(session.uuid),
            cashier.pk,
            products,
            cash.pk,
            token.receipt_prefix,
            seed=900 + n,
            names=True,
        )
        journals: list[list[dict] | None] = [None] * len(batches)
        if mode == "journal":
            till = TillJournal(code)
            from django.db import transaction

            with transaction.atomic():
                journal_key_register(
                    terminal_code=code, token_id=token.pk, public_key_spki=till.spki
                )
            for index, orders in enumerate(batches):
                entries = []
                if index == 0:
                    key = base64.b64encode(till.spki).decode()
                    entries.append(till.entry("JOURNAL_INIT", {"software": "bench", "key": key}))
                entries += [till.sale(order, cash.name) for order in orders]
                journals[index] = entries
        made[mode] = (terminal, batches, journals)

    phases = Phases()
    figures: dict[str, dict[str, list[float]]] = {"plain": {}, "journal": {}}
    try:
        for index in range(n_batches + warm):
            for mode in ("plain", "journal"):
                terminal, batches, journals = made[mode]
                phases.batch = {}
                start = time.perf_counter()
                outcome = order_batch_sync(
                    terminal=terminal, orders=batches[index], journal=journals[index]
                )
                total = time.perf_counter() - start
                assert all(r.status == "accepted" and r.review is None for r in outcome.results)
                assert mode == "plain" or (outcome.journal or {}).get("status") == "ok", outcome
                if index < warm:
                    continue
                for phase, value in {**phases.batch, "total": total}.items():
                    figures[mode].setdefault(phase, []).append(value)
                if mode == "journal":
                    verification = sum(phases.batch.get(p, 0.0) for p in Phases.VERIFICATION)
                    figures[mode].setdefault("verification", []).append(verification)
                    figures[mode].setdefault("ratio", []).append((total - verification) / total)
    finally:
        phases.close()

    def ms(values: list[float]) -> str:
        return f"min {min(values) * 1e3:6.2f} ms, median {statistics.median(values) * 1e3:6.2f} ms"

    print(
        f"order sync in-process ({connection.vendor}), {n_batches} batches of 50 per mode "
        f"after {warm} warm-up, per batch:"
    )
    for mode in ("plain", "journal"):
        print(f"  {'orders alone' if mode == 'plain' else 'orders with their 50 SALEs'}:")
        for phase, values in figures[mode].items():
            if phase != "ratio":
                print(f"    {phase:<16} {ms(values)}")
    plain = statistics.median(figures["plain"]["total"])
    journal = statistics.median(figures["journal"]["total"])
    print(
        f"  ratio, orders alone / with their SALEs (medians): {plain / journal:.2f}; "
        f"with chain verification / without it: "
        f"median {statistics.median(figures['journal']['ratio']):.2f}"
    )


def bench_ingest(
    port: int, token: str, batches: list[bytes], clients: int
) -> tuple[float, list[float]]:
    queue = list(enumerate(batches))
    lock = threading.Lock()
    latencies: list[float] = []
    failures: list[str] = []

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while True:
            with lock:
                if not queue:
                    return
                _, body = queue.pop()
            start = time.perf_counter()
            status, answer = request(conn, "POST", "/api/v1/orders/sync", token, body)
            latencies.append(time.perf_counter() - start)
            results = json.loads(answer)["results"] if status == 200 else []
            if status != 200 or any(r["status"] != "accepted" for r in results):
                failures.append(answer[:300].decode())

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    assert not failures, failures[:3]
    return elapsed, latencies


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--batches", type=int, default=200, help="batches of 50 orders")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument(
        "--journal",
        type=int,
        default=0,
        metavar="BATCHES",
        help="also compare ingestion with and without SALE entries: BATCHES per till",
    )
    parser.add_argument("--rounds", type=int, default=3, help="A/B rounds of --journal")
    parser.add_argument(
        "--locks",
        action="store_true",
        help="with --journal, one more round sampling PostgreSQL's lock waits",
    )
    parser.add_argument(
        "--phases",
        type=int,
        default=0,
        metavar="BATCHES",
        help="instead of the HTTP benchmarks: time each step of the order sync in-process, "
        "orders alone and with their SALEs, BATCHES of each",
    )
    options = parser.parse_args()
    # The server signs its own journal chain (an ANCHOR per batch of entries): a key of
    # the bench's own, never the data folder's.
    key_dir = tempfile.TemporaryDirectory()
    os.environ["KASSA_JOURNAL_KEY_FILE"] = str(Path(key_dir.name) / "journal_key.pem")
    setup_database()
    from django.db import connection

    print(f"database: {connection.vendor}; machine: {os.cpu_count()} cores")
    elapsed = bench_import(options.products)
    print(
        f"csv import: {options.products} rows in {elapsed:.1f} s "
        f"({options.products / elapsed:,.0f} rows/s)"
    )
    if connection.vendor == "postgresql":
        # What a DBA does after a bulk load, so the figures below are the steady state and
        # not autovacuum catching up with 200,000 new rows. Only the loaded tables: the
        # statistics of the still-empty order tables would plan sequential scans that
        # turn slow as the benchmark fills them.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE catalog_product, catalog_barcode, catalog_category")
            cursor.execute("CHECKPOINT")

    from django.utils import timezone

    from kassa.server.cash.models import CashSession
    from kassa.server.catalog.models import Product
    from kassa.server.staff.services import cashier_create
    from kassa.server.terminals.models import PaymentMethod, Store, Terminal
    from kassa.server.terminals.services import pairing_code_create, terminal_pair

    cash = PaymentMethod.objects.create(name="Cash", is_cash=True)
    terminal = Terminal.objects.create(
        name="Bench", code="B1", store=Store.objects.get_or_create(name="Bench")[0]
    )
    terminal.payment_methods.set([cash])
    cashier = cashier_create(name="Bench cashier", pin="1234")
    token, secret = terminal_pair(code=pairing_code_create(terminal=terminal))
    session = CashSession.objects.create(
        uuid=uuid.uuid4(),
        terminal=terminal,
        opened_by=cashier,
        opened_at=timezone.now(),
        opening_float=0,
    )
    products = [
        (pk, name, price, tax_id, rate.normalize(), included)
        for pk, name, price, tax_id, rate, included in Product.objects.values_list(
            "pk", "name", "price", "tax_id", "tax__rate", "tax__price_includes_tax"
        )[:5000]
    ]
    batches = make_batches(
        options.batches, str(session.uuid), cashier.pk, products, cash.pk, token.receipt_prefix
    )
    if options.phases:
        try:
            bench_phases(products, options.phases)
        finally:
            key_dir.cleanup()
        return 0
    port = _free_port()
    server = start_server(port, options.workers)
    try:
        figures = bench_catalog(port, secret, rounds=3)
        connection.close()
        print("catalog download, median of 3:")
        for name, value in figures.items():
            print(f"  {name:<36} {value * 1000:7.0f} ms")
        bench_ingest(port, secret, batches[:10], options.clients)  # warm-up
        roots = _server_roots(server)
        cpu_before = _cpu_seconds(roots)
        elapsed, latencies = bench_ingest(port, secret, batches[10:], options.clients)
        cpu_after = _cpu_seconds(roots)
        orders = (len(batches) - 10) * 50
        latencies.sort()
        print(
            f"ingestion: {orders} orders (5 lines, 1 payment) in batches of 50, "
            f"{options.clients} clients, {options.workers} workers: {elapsed:.2f} s = "
            f"{orders / elapsed:,.0f} orders/s; batch p50 "
            f"{latencies[len(latencies) // 2] * 1000:.0f} ms, p95 "
            f"{latencies[int(len(latencies) * 0.95)] * 1000:.0f} ms"
        )
        if cpu_before is not None and cpu_after is not None:
            print(
                f"  server CPU per order (web server + PostgreSQL): "
                f"{(cpu_after - cpu_before) / orders * 1e6:.0f} µs"
            )
        if options.journal:
            bench_journal(
                port,
                roots,
                products,
                options.journal,
                options.clients,
                options.rounds,
                locks=options.locks,
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
        key_dir.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
