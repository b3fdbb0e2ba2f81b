"""The till's API through its hardware proxy against straight to the server, side by side.

    python scripts/pg_temp.py -- python bench/proxy_forward.py [--products 100000]

One `kassa server` (PostgreSQL from KASSA_DATABASE_URL, else SQLite in a temporary
folder) and one `kassa proxy --server` in front of it, each a process of its own on
loopback. Each measure alternates direct and proxied rounds, so both see the same load
(the machine is shared), and reports the medians and the ratio direct/proxied time
(the issue's target: >= 0.8):

- the full catalog download (one gzip request of every product, as a till's first start
  asks it; the page cached on the server, as for every till but the first);
- the order sync (batches of 50 orders, 4 tills at once);
- the terminal's files (every file of the app shell, as a first start loads them): from
  the proxy (the installed package) and from the server (where a proxy caching them
  would fetch them).
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))

from server_bench import (  # noqa: E402
    _free_port,
    bench_import,
    make_batches,
    request,
    setup_database,
    start_server,
)


def start_proxy(port: int, server_port: int, state: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KASSA_")}
    env["KASSA_PROXY_STATE_DIR"] = str(state)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kassa.cli",
            "proxy",
            "--port",
            str(port),
            "--server",
            f"http://127.0.0.1:{server_port}",
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("proxy did not start")


def catalog_once(port: int, token: str) -> float:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    start = time.perf_counter()
    status, body = request(
        conn,
        "GET",
        "/api/v1/catalog/products?limit=100000",
        token,
        headers={"Accept-Encoding": "gzip"},
    )
    elapsed = time.perf_counter() - start
    conn.close()
    assert status == 200, body[:200]
    assert len(json.loads(gzip.decompress(body))["products"]) >= 1
    return elapsed


def sync_run(port: int, token: str, batches: list[bytes], clients: int) -> float:
    """Orders per second for these batches, `clients` tills at once."""
    queue = list(batches)
    lock = threading.Lock()
    failures: list[str] = []

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while True:
            with lock:
                if not queue:
                    break
                body = queue.pop()
            status, answer = request(conn, "POST", "/api/v1/orders/sync", token, body)
            results = json.loads(answer)["results"] if status == 200 else []
            if status != 200 or any(r["status"] != "accepted" for r in results):
                failures.append(answer[:300].decode())
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    assert not failures, failures[:2]
    return len(batches) * 50 / elapsed


def shell_once(port: int, files: list[str]) -> float:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    start = time.perf_counter()
    for name in files:
        conn.request("GET", f"/pos/{name}")
        response = conn.getresponse()
        response.read()
        assert response.status == 200, name
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def shell_files() -> list[str]:
    text = (HERE.parent / "src" / "kassa" / "terminal" / "sw.js").read_text()
    listing = text[text.index("const SHELL = [") : text.index("];", text.index("const SHELL"))]
    names = [line.strip().strip(",").strip('"') for line in listing.splitlines()[1:]]
    return ["" if name == "./" else name for name in names if name]


def median_pair(values: dict[str, list[float]]) -> tuple[float, float]:
    return statistics.median(values["direct"]), statistics.median(values["proxy"])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batches", type=int, default=40, help="batches of 50 per sync round")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=3)
    options = parser.parse_args()
    tmp = tempfile.TemporaryDirectory()
    os.environ["KASSA_JOURNAL_KEY_FILE"] = str(Path(tmp.name) / "journal_key.pem")
    os.environ.setdefault("KASSA_DATA_DIR", tmp.name)
    setup_database()
    from django.db import connection
    from django.utils import timezone

    from kassa.server.cash.models import CashSession
    from kassa.server.catalog.models import Product
    from kassa.server.staff.services import cashier_create
    from kassa.server.terminals.models import PaymentMethod, Store, Terminal
    from kassa.server.terminals.services import pairing_code_create, terminal_pair

    print(f"database: {connection.vendor}; machine: {os.cpu_count()} cores, shared")
    bench_import(options.products)
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
    rounds = options.rounds
    batches = make_batches(
        (2 * rounds + 1) * options.batches,
        str(session.uuid),
        cashier.pk,
        products,
        cash.pk,
        token.receipt_prefix,
    )
    connection.close()
    server_port, proxy_port = _free_port(), _free_port()
    server = start_server(server_port, options.workers)
    proxy = start_proxy(proxy_port, server_port, Path(tmp.name) / "proxy")
    ports = {"direct": server_port, "proxy": proxy_port}
    try:
        catalog_once(server_port, secret)  # builds the cached page
        catalog: dict[str, list[float]] = {"direct": [], "proxy": []}
        for _ in range(rounds):
            for way in ("direct", "proxy"):
                catalog[way].append(catalog_once(ports[way], secret))
        direct, proxied = median_pair(catalog)
        print(
            f"catalog, {options.products} products, one gzip request (cached page), median of "
            f"{rounds}: direct {direct * 1000:.0f} ms, through the proxy {proxied * 1000:.0f} ms"
            f" -> ratio {direct / proxied:.2f}"
        )

        sync_run(server_port, secret, batches[: options.batches], options.clients)  # warm-up
        sync: dict[str, list[float]] = {"direct": [], "proxy": []}
        offset = options.batches
        for _ in range(rounds):
            for way in ("direct", "proxy"):
                chunk = batches[offset : offset + options.batches]
                offset += options.batches
                sync[way].append(sync_run(ports[way], secret, chunk, options.clients))
        direct, proxied = median_pair(sync)
        print(
            f"order sync, {options.batches} batches of 50, {options.clients} tills, median of "
            f"{rounds}: direct {direct:,.0f} orders/s, through the proxy {proxied:,.0f} orders/s"
            f" -> ratio {proxied / direct:.2f}"
        )

        files = shell_files()
        shell: dict[str, list[float]] = {"direct": [], "proxy": []}
        for _ in range(rounds * 4):
            for way in ("direct", "proxy"):
                shell[way].append(shell_once(ports[way], files))
        direct, proxied = median_pair(shell)
        print(
            f"terminal files, {len(files)} files one after another, median of {rounds * 4}: "
            f"from the server {direct * 1000:.1f} ms, from the proxy (installed package) "
            f"{proxied * 1000:.1f} ms"
        )
    finally:
        for process in (proxy, server):
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
