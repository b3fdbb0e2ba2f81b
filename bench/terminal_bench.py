"""The POS terminal in headless Chromium against `kassa server`, with 100,000 products.

    uv run python bench/terminal_bench.py [--products 100000] [--keep DIR]

Figures (printed; nothing here is a test):
- cold first load: a fresh browser profile opens /pos/, pairs (the code is entered at
  once), downloads the catalog into IndexedDB and builds its index, until the cashier
  screen shows: ready to sell but for the cashier's PIN;
- warm reload to ready: the page reloaded (shell from the service worker, catalog from
  IndexedDB, the cashier still logged in) until the sale screen shows its products;
- search per keystroke: queries typed one character at a time into the search box; each
  keystroke is timed in the page from the input event to the updated tiles laid out;
- scan to cart line: barcodes typed by Playwright as fast keystrokes and Enter (a keyboard
  wedge); timed in the page from the Enter key event to the new line in the DOM;
- drain: 1,000 orders queued in the outbox while the server is stopped, then the server
  started; timed from the first orders/sync request to an empty outbox (and from the
  server being up).

Uses the Debian chromium (/usr/bin/chromium, or KASSA_CHROMIUM=path) with the flags and
the server helpers of the browser tests (tests/browser/conftest.py); a SQLite database
in a temporary data folder.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, KASSA, free_port
from tests.browser.conftest import _cli as cli
from tests.browser.conftest import _server_env as env


def ean13(body12: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body12))
    return body12 + str((10 - total % 10) % 10)


def write_csv(path: Path, rows: int) -> list[str]:
    """Products in the CSV import format; returns their barcodes."""
    rng = random.Random(7)
    words = ["apple", "oat", "rye", "milk", "cola", "lemon", "pepper", "salt", "tea", "rice"]
    words += ["bean", "corn", "nut", "soap", "wine"]
    barcodes = []
    with path.open("w") as handle:
        handle.write("name,ref,barcodes,category,price,tax,unit,weighed,active\n")
        for n in range(rows):
            code = ean13(f"872{n:09d}")
            barcodes.append(code)
            name = f"{rng.choice(words).title()} {rng.choice(words)} {n}"
            price = f"{rng.randrange(10, 10000) / 100:.2f}"
            tax = "VAT 21%" if n % 3 else "VAT 9%"
            category = f"Department {n % 12} / Shelf {n % 97}"
            handle.write(f"{name},B{n:07d},{code},{category},{price},{tax},pc,no,yes\n")
    return barcodes


class Server:
    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/pos/"

    def start(self) -> float:
        started = time.perf_counter()
        self.process = subprocess.Popen(
            [*KASSA, "server", "--port", str(self.port), "--workers", "2"],
            env=env(self.data_dir),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        while True:
            try:
                with urllib.request.urlopen(self.url, timeout=1):  # noqa: S310 - http://127.0.0.1
                    return time.perf_counter() - started
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=20)
            self.process = None


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def pin(page: Page, digits: str) -> None:
    for digit in digits:
        page.click(f"[data-test=pinpad-keys] [data-key='{digit}']")
    page.click("[data-test=pinpad-keys] [data-key=OK]")


def phases(page: Page) -> str:
    """The app's own performance.measure entries (flows/start.js)."""
    entries = page.evaluate(
        "performance.getEntriesByType('measure').filter((e) => e.name.startsWith('kassa:'))"
        ".map((e) => [e.name.slice(6), e.duration])"
    )
    return ", ".join(f"{name} {duration / 1000:.2f} s" for name, duration in entries)


EARLY_PROBE_JS = """
window.addEventListener('keydown', (e) => {
  if (e.key === 'Enter') window.__enterAt = performance.now();
}, true);
"""

SEARCH_JS = """async (queries) => {
  const input = document.querySelector('[data-test=search]');
  const tiles = document.querySelector('[data-test=tiles]');
  const times = [];
  const macrotask = () => new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = resolve;
    channel.port2.postMessage(0);
  });
  for (const query of queries) {
    for (let i = 1; i <= query.length; i++) {
      const t0 = performance.now();
      input.value = query.slice(0, i);
      input.dispatchEvent(new Event('input', { bubbles: true }));
      await macrotask();           // the state change and Preact's render have run
      void tiles.offsetHeight;     // style and layout of the new tiles
      times.push(performance.now() - t0);
    }
    input.value = '';
    input.dispatchEvent(new Event('input', { bubbles: true }));
    await macrotask();
  }
  return times;
}"""

SCAN_PROBE_JS = """() => {
  window.__scan = { times: window.__scan?.times ?? [] };
  window.__enterAt = 0;
  const observer = new MutationObserver(() => {
    const count = document.querySelectorAll('[data-test=line]').length;
    if (count !== window.__scan.count && window.__enterAt) {
      window.__scan.times.push(performance.now() - window.__enterAt);
      window.__enterAt = 0;
    }
    window.__scan.count = count;
  });
  observer.observe(document.querySelector('[data-test=lines]'), { childList: true, subtree: true });
  window.__scan.count = document.querySelectorAll('[data-test=line]').length;
}"""

QUEUE_JS = """async (count) => {
  const base = new URL('./', location.href).href;
  const store = await import(base + 'state/store.js');
  const cart = await import(base + 'domain/cart.js');
  const data = await import(base + 'data/db.js');
  const journal = await import(base + 'domain/journal.js');
  const flows = await import(base + 'flows/journal.js');
  const { openTerminalDb } = data;
  const db = await openTerminalDb();
  const { index, taxes, session, config, cashier, methods } = store.getState();
  const cash = methods.find((m) => m.is_cash);
  const names = new Map(methods.map((m) => [m.id, m.name]));
  const search = await import(base + 'domain/search.js');
  const listed = search.listProducts(index, { limit: 5000 }).items;
  const sold = listed.filter((p) => !p.weighed); // weighed items need a scale
  for (let n = 0; n < count; n++) {
    let order = cart.createOrder({
      newUuid: () => crypto.randomUUID(), receiptNumber: '',
      createdAt: cart.localIsoString(new Date()), places: config.currency_places,
    });
    for (let l = 0; l < 5; l++) {
      const product = sold[(n * 7 + l * 13) % sold.length];
      order = cart.addProduct(order, { product, tax: taxes.get(product.tax_id) });
    }
    order = cart.addPayment(order, { method: cash, amount: cart.totals(order).gross });
    const createdAt = cart.localIsoString(new Date());
    // Each queued order with its SALE, as Validate writes them (flows/payment.js).
    await data.orderFinish(db, {
      prefix: config.receipt_prefix, orderUuid: order.uuid, sessionUuid: session.uuid, createdAt,
      journal: flows.journalContext(),
      build: (receiptNumber, head) => {
        const stamped = cart.stampOrder(order, { receiptNumber, createdAt });
        const sale = journal.salePayload(stamped, { session: session.uuid, head, methods: names });
        return {
          payload: cart.toSyncPayload(
            stamped, { sessionUuid: session.uuid, cashierId: cashier.id },
          ),
          receipt: {},
          software: journal.SOFTWARE,
          sale: {
            type: 'SALE', payload: sale.payload, grand: { gt: sale.gt, gtAbs: sale.gtAbs },
            order: order.uuid,
          },
        };
      },
      updateSession: (s) => s,
    });
  }
  db.close();
}"""

DRAIN_PROBE_JS = """() => {
  window.__drain = { first: 0 };
  const original = window.fetch;
  window.fetch = async (input, init) => {
    const start = performance.now();
    const response = await original(input, init);
    // The first orders/sync request the server answered (earlier tries hit a stopped server).
    const sync = String(input).includes('orders/sync');
    if (sync && response.ok && !window.__drain.first) window.__drain.first = start;
    return response;
  };
}"""

DRAIN_WAIT_JS = """async () => {
  const base = new URL('./', location.href).href;
  const data = await import(base + 'data/db.js');
  const db = await data.openTerminalDb();
  for (;;) {
    const counts = await data.outboxCounts(db);
    if (counts.pending === 0 && window.__drain.first) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  const done = performance.now();
  db.close();
  const again = await data.openTerminalDb();
  const { rejected } = await data.outboxCounts(again);
  again.close();
  return { first: window.__drain.first, done, rejected };
}"""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--keep", type=Path, help="keep the data folder here")
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="kassa-terminal-bench-"))
    try:
        return run(folder, options)
    finally:
        if options.keep:
            shutil.copytree(folder, options.keep, dirs_exist_ok=True)
        shutil.rmtree(folder, ignore_errors=True)


def run(folder: Path, options: argparse.Namespace) -> int:
    started = time.perf_counter()
    cli(folder, "manage", "migrate")
    seed = json.loads(cli(folder, "manage", "demo_seed", "--json"))
    barcodes = write_csv(folder / "products.csv", options.products)
    cli(folder, "import-products", str(folder / "products.csv"))
    print(
        f"setup: {options.products:,} products imported in {time.perf_counter() - started:.0f} s;"
        f" machine: {os.cpu_count()} cores"
    )
    server = Server(folder)
    server.start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 1024, "height": 768})
            context.add_init_script(EARLY_PROBE_JS)
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            figures = measure(page, server, seed, barcodes, options.orders)
            version = browser.version
            context.close()
            browser.close()
            if errors:
                print("page errors:", *errors, sep="\n  ")
    finally:
        server.stop()
    print(f"Chromium {version}, headless, viewport 1024×768; summary:")
    for line in figures:
        print(f"  {line}")
    return 0


class Figures(list[str]):
    """Printed as they come, so a long run shows its progress."""

    def append(self, line: str) -> None:
        print(line, flush=True)
        super().append(line)


def measure(
    page: Page, server: Server, seed: dict[str, Any], barcodes: list[str], orders: int
) -> list[str]:
    out = Figures()
    # cold: a fresh profile, from navigation to the cashier screen with the catalog loaded
    t0 = time.perf_counter()
    page.goto(server.url)
    page.wait_for_selector("[data-test=pair-code]")
    shell = time.perf_counter() - t0
    page.fill("[data-test=pair-code]", seed["pairing_code"])
    page.click("[data-test=pair-submit]")
    page.wait_for_selector("[data-test=cashier-tile]", timeout=120_000)
    cold = time.perf_counter() - t0
    count = page.evaluate(
        "(async () => (await import('./state/store.js')).getState().productCount)()"
    )
    out.append(
        f"cold first load to ready: {cold:.2f} s ({count:,} products; app shell {shell:.2f} s;"
        f" {phases(page)})"
    )
    page.click("[data-test=cashier-tile][data-name='Alice']")
    pin(page, "1234")
    page.wait_for_selector("[data-test=open-session]")
    page.click("[data-test=float-pad] [data-key='5']")
    page.click("[data-test=open-session]")
    page.wait_for_selector("[data-test=tile]")
    page.wait_for_function("document.documentElement.dataset.offlineReady === 'true'")
    page.wait_for_selector("[data-test=pending][data-pending='0']", state="attached")

    warm = []
    for _ in range(5):
        t0 = time.perf_counter()
        page.reload()
        page.wait_for_selector("[data-test=tile]")
        warm.append(time.perf_counter() - t0)
        warm_phases = phases(page)
    out.append(
        f"warm reload to ready: median {statistics.median(warm):.2f} s, "
        f"max {max(warm):.2f} s (5 reloads; last: {warm_phases})"
    )

    queries = [
        "apple oat",
        "cola 4711",
        "tea",
        "pepper salt 99",
        "B0045678",
        barcodes[len(barcodes) // 8],
        "brie",
        "lemon rice",
        "soap",
        "corn nut 1",
    ]
    times = page.evaluate(SEARCH_JS, queries * 3)
    out.append(
        f"search per keystroke: p50 {pct(times, 50):.1f} ms, p95 {pct(times, 95):.1f} ms, "
        f"max {max(times):.1f} ms ({len(times)} keystrokes)"
    )

    page.evaluate(SCAN_PROBE_JS)
    rng = random.Random(3)
    for n in range(60):
        page.keyboard.type(rng.choice(barcodes))
        page.keyboard.press("Enter")
        page.wait_for_function(f"window.__scan.times.length >= {n + 1}")
        if n == 29:  # keep the order a realistic size
            page.click("[data-test=park]")
            page.evaluate(SCAN_PROBE_JS)
            page.wait_for_timeout(50)
    scans = page.evaluate("window.__scan.times")
    out.append(
        f"scan to cart line: p50 {pct(scans, 50):.1f} ms, p95 {pct(scans, 95):.1f} ms, "
        f"max {max(scans):.1f} ms ({len(scans)} scans)"
    )

    server.stop()
    page.wait_for_selector("[data-test=online][data-online=false]", timeout=60_000)
    t0 = time.perf_counter()
    page.evaluate(QUEUE_JS, orders)
    queued = time.perf_counter() - t0
    page.evaluate(DRAIN_PROBE_JS)
    server.start()
    up = page.evaluate("performance.now()")
    page.click("[data-test=menu]")
    page.click("[data-test=menu-drawer] >> text=Sync now")
    result = page.evaluate(DRAIN_WAIT_JS)
    drain = (result["done"] - result["first"]) / 1000
    out.append(
        f"drain {orders:,} queued orders: {drain:.2f} s from the first request "
        f"({(result['done'] - up) / 1000:.2f} s from the server up; "
        f"{result['rejected']} rejected; queuing them took {queued:.1f} s)"
    )
    return out


if __name__ == "__main__":
    sys.exit(main())
