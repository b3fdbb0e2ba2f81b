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

Beside each ratio it prints the proxy's CPU time per catalog download and per order batch
(from /proc, all its threads): on a machine shared with other jobs that figure moves much
less than the clock's.

    python scripts/pg_temp.py -- python bench/proxy_forward.py --compare /tmp/old/src

also runs a second proxy from another checkout's `src` (`git archive <commit> src | tar -x
-C /tmp/old`) in the same rounds: direct, that proxy and this one alternate, for an A/B
of a change to the proxy under the same load.
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


def start_proxy(
    port: int, server_port: int, state: Path, src: Path | None = None
) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KASSA_")}
    env["KASSA_PROXY_STATE_DIR"] = str(state)
    if src is not None:
        env["PYTHONPATH"] = str(src)
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


NAMES = {"proxy": "proxy", "compare": "proxy of --compare"}


def cpu_seconds(process: subprocess.Popen[bytes] | None) -> float:
    """User + system CPU time of a process, all its threads (Linux /proc)."""
    if process is None:
        return 0.0
    try:
        fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batches", type=int, default=40, help="batches of 50 per sync round")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument(
        "--catalog-rounds",
        type=int,
        default=15,
        help="catalog downloads per way (about 0.1 s each; more rounds, less of the noise)",
    )
    parser.add_argument(
        "--compare", metavar="SRC", help="also a proxy run from this checkout's src, for A/B"
    )
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
        ((3 if options.compare else 2) * rounds + 1) * options.batches,
        str(session.uuid),
        cashier.pk,
        products,
        cash.pk,
        token.receipt_prefix,
    )
    connection.close()
    server_port = _free_port()
    server = start_server(server_port, options.workers)
    processes: dict[str, subprocess.Popen[bytes] | None] = {"direct": None}
    ports = {"direct": server_port}
    ways = ["direct", "compare", "proxy"] if options.compare else ["direct", "proxy"]
    for way in ways[1:]:
        ports[way] = _free_port()
        src = Path(options.compare).resolve() if way == "compare" else None
        processes[way] = start_proxy(ports[way], server_port, Path(tmp.name) / way, src)
    proxies = [way for way in ways if way != "direct"]
    try:
        catalog_once(server_port, secret)  # builds the cached page
        for way in proxies:
            catalog_once(ports[way], secret)  # and each proxy's first connection
        catalog: dict[str, list[float]] = {way: [] for way in ways}
        cpu: dict[str, float] = dict.fromkeys(ways, 0.0)
        for _ in range(options.catalog_rounds):
            for way in ways:
                before = cpu_seconds(processes[way])
                catalog[way].append(catalog_once(ports[way], secret))
                cpu[way] += cpu_seconds(processes[way]) - before
        direct = statistics.median(catalog["direct"])
        print(
            f"catalog, {options.products} products, one gzip request (cached page), median of "
            f"{options.catalog_rounds}: direct {direct * 1000:.0f} ms"
        )
        for way in proxies:
            proxied = statistics.median(catalog[way])
            print(
                f"  through the {NAMES[way]} {proxied * 1000:.0f} ms -> ratio "
                f"{direct / proxied:.2f} (proxy CPU "
                f"{cpu[way] / options.catalog_rounds * 1000:.1f} ms per download)"
            )

        sync_run(server_port, secret, batches[: options.batches], options.clients)  # warm-up
        sync: dict[str, list[float]] = {way: [] for way in ways}
        cpu = dict.fromkeys(ways, 0.0)
        offset = options.batches
        for _ in range(rounds):
            for way in ways:
                chunk = batches[offset : offset + options.batches]
                offset += options.batches
                before = cpu_seconds(processes[way])
                sync[way].append(sync_run(ports[way], secret, chunk, options.clients))
                cpu[way] += cpu_seconds(processes[way]) - before
        direct = statistics.median(sync["direct"])
        print(
            f"order sync, {options.batches} batches of 50, {options.clients} tills, median of "
            f"{rounds}: direct {direct:,.0f} orders/s"
        )
        for way in proxies:
            proxied = statistics.median(sync[way])
            per_batch = cpu[way] / (rounds * options.batches) * 1000
            print(
                f"  through the {NAMES[way]} {proxied:,.0f} orders/s -> ratio "
                f"{proxied / direct:.2f} (proxy CPU {per_batch:.2f} ms per batch)"
            )

        files = shell_files()
        shell: dict[str, list[float]] = {"direct": [], "proxy": []}
        for _ in range(rounds * 4):
            for way in ("direct", "proxy"):
                shell[way].append(shell_once(ports[way], files))
        direct, proxied = statistics.median(shell["direct"]), statistics.median(shell["proxy"])
        print(
            f"terminal files, {len(files)} files one after another, median of {rounds * 4}: "
            f"from the server {direct * 1000:.1f} ms, from the proxy (installed package) "
            f"{proxied * 1000:.1f} ms"
        )
    finally:
        for process in [*(processes[way] for way in proxies), server]:
            assert process is not None
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
