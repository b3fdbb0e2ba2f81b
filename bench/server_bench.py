"""Main server benchmarks, on the database KASSA_DATABASE_URL names (PostgreSQL for the
published figures: `make bench`, or `python scripts/pg_temp.py -- python bench/server_bench.py`).

- CSV import of 100,000 rows (`kassa import-products`, in-process service call)
- full catalog download of 100,000 products through HTTP (one request, and pages of 10,000)
- order ingestion through HTTP: batches of 50 orders of 5 lines and 1 payment, from
  several concurrent clients, against `kassa server` (gunicorn)

Prints its figures; nothing here is a test.
"""

from __future__ import annotations

import argparse
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


def make_batches(
    n_batches: int,
    session_uuid: str,
    cashier_id: int,
    products: list[tuple],
    cash_id: int,
    prefix: str,
) -> list[bytes]:
    from kassa.money import line_price, total

    rng = random.Random(2)
    batches = []
    number = 0
    for _ in range(n_batches):
        orders = []
        for _ in range(50):
            number += 1
            lines, amounts = [], []
            for pk, price, tax_id, rate, included in rng.sample(products, 5):
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
        batches.append(json.dumps({"orders": orders}).encode())
    return batches


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
    options = parser.parse_args()
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
    from kassa.server.terminals.models import PaymentMethod, Terminal
    from kassa.server.terminals.services import pairing_code_create, terminal_pair

    cash = PaymentMethod.objects.create(name="Cash", is_cash=True)
    terminal = Terminal.objects.create(name="Bench", code="B1", store_name="Bench")
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
        (pk, price, tax_id, rate, included)
        for pk, price, tax_id, rate, included in Product.objects.values_list(
            "pk", "price", "tax_id", "tax__rate", "tax__price_includes_tax"
        )[:5000]
    ]
    products = [
        (pk, price, tax_id, rate.normalize(), inc) for pk, price, tax_id, rate, inc in products
    ]
    batches = make_batches(
        options.batches, str(session.uuid), cashier.pk, products, cash.pk, token.receipt_prefix
    )
    port = _free_port()
    server = start_server(port, options.workers)
    try:
        figures = bench_catalog(port, secret, rounds=3)
        connection.close()
        print("catalog download, median of 3:")
        for name, value in figures.items():
            print(f"  {name:<36} {value * 1000:7.0f} ms")
        bench_ingest(port, secret, batches[:10], options.clients)  # warm-up
        elapsed, latencies = bench_ingest(port, secret, batches[10:], options.clients)
        orders = (len(batches) - 10) * 50
        latencies.sort()
        print(
            f"ingestion: {orders} orders (5 lines, 1 payment) in batches of 50, "
            f"{options.clients} clients, {options.workers} workers: {elapsed:.2f} s = "
            f"{orders / elapsed:,.0f} orders/s; batch p50 "
            f"{latencies[len(latencies) // 2] * 1000:.0f} ms, p95 "
            f"{latencies[int(len(latencies) * 0.95)] * 1000:.0f} ms"
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
