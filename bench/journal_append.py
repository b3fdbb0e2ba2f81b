"""The journal's append on *Validate*, in headless Chromium against `kassa server`.

    uv run python bench/journal_append.py [--sales 200] [--warmup 10]

Figure (printed; nothing here is a test): the SALE's append, as the terminal itself times
it (`performance.measure("kassa:journal-append")` in data/journal.js, `journalAppend`):
from reading the head, through building the entry, its canonical form, SHA-256 chain
hash and ECDSA P-256 signature (WebCrypto), to the strict-durability commit of the
transaction that also writes the order, its outbox entry, the receipt number, the
session and the receipt copy. One cashier sells one Baguette for cash per sale, through
the page as a cashier does (the Baguette's tile, Pay, Cash, Validate, New order), with
the server up, so the sync loop sends each order and its entry while the next sale is
made, as on a till.
The first `--warmup` sales are not counted.

Uses the Debian chromium (/usr/bin/chromium, or KASSA_CHROMIUM=path) with the flags, the
server and the till helpers of the browser tests (tests/browser/conftest.py); the demo
shop in a SQLite database in a temporary data folder.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, KassaServer, Till
from tests.browser.conftest import _cli as cli

from figures import percentile

# From the Validate handler's first line to the commit of the transaction that writes the
# SALE: what the cashier waits for, including any read before the append starts.
VALIDATE_JS = """() => performance.getEntriesByType("measure")
  .filter((e) => e.name === "kassa:validate-commit").map((e) => e.duration)"""

APPENDS_JS = """() => performance.getEntriesByType("measure")
  .filter((e) => e.name === "kassa:journal-append")
  .map((e) => ({ duration: e.duration, types: e.detail }))"""


# The parts of an append, each timed alone in the same page on the last SALE's entry:
# the canonical form, the chain hash, the ECDSA P-256 signature (a fresh key like the
# till's), and a strict-durability commit of a record that size to a scratch database.
PARTS_JS = """async (rounds) => {
  const base = new URL("./", location.href).href;
  const jcs = await import(base + "domain/jcs.js");
  const db = await new Promise((resolve, reject) => {
    const request = indexedDB.open("kassa-terminal");
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const entries = await new Promise((resolve) => {
    const request = db.transaction("journal").objectStore("journal").getAll();
    request.onsuccess = () => resolve(request.result);
  });
  db.close();
  const sale = entries.filter((e) => e.type === "SALE").at(-1);
  const value = JSON.parse(sale.canonical);
  const bytes = new TextEncoder().encode(sale.canonical);
  const algorithm = { name: "ECDSA", namedCurve: "P-256" };
  const key = await crypto.subtle.generateKey(algorithm, false, ["sign"]);
  const scratch = await new Promise((resolve, reject) => {
    const request = indexedDB.open("kassa-bench-scratch", 1);
    request.onupgradeneeded = () => request.result.createObjectStore("s");
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const timed = async (work) => {
    const times = [];
    for (let n = 0; n < rounds; n++) {
      const t0 = performance.now();
      await work(n);
      times.push(performance.now() - t0);
    }
    return times;
  };
  const parts = {
    canonicalize: await timed(() => jcs.canonicalBytes(value)),
    "chain hash (SHA-256)": await timed(() => jcs.chainHash(value.prev_hash, bytes)),
    "sign (ECDSA P-256)": await timed(() =>
      crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, key.privateKey, bytes)),
    "strict commit": await timed((n) => new Promise((resolve, reject) => {
      const tx = scratch.transaction("s", "readwrite", { durability: "strict" });
      tx.objectStore("s").put({ ...sale, n }, n);
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
    })),
  };
  scratch.close();
  return { bytes: bytes.length, parts };
}"""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sales", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="kassa-journal-bench-"))
    try:
        return run(folder, options.sales, options.warmup)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run(folder: Path, sales: int, warmup: int) -> int:
    cli(folder, "manage", "migrate")
    seed = json.loads(cli(folder, "manage", "demo_seed", "--json"))
    server = KassaServer(data_dir=folder, unused_code=seed["pairing_code"])
    server.start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 1024, "height": 768})
            till = Till(context.new_page(), server)
            till.start()
            sale_appends: list[dict[str, Any]] = []
            for n in range(warmup + sales):
                if n == warmup:
                    till.page.evaluate("performance.clearMeasures('kassa:journal-append')")
                    till.page.evaluate("performance.clearMeasures('kassa:validate-commit')")
                till.add("Baguette")
                till.page.wait_for_selector("[data-test=line]")
                till.checkout("Cash")
                till.new_order()
            sale_appends = [a for a in till.page.evaluate(APPENDS_JS) if "SALE" in a["types"]]
            validates = till.page.evaluate(VALIDATE_JS)
            parts = till.page.evaluate(PARTS_JS, sales)
            till.wait_synced(timeout=120_000)
            version = browser.version
            context.close()
            browser.close()
    finally:
        server.stop()
    if till.errors:
        print("page errors:", *till.errors, sep="\n  ")
        return 1
    if len(sale_appends) != sales:
        print(f"expected {sales} SALE appends, the page measured {len(sale_appends)}")
        return 1
    times = [a["duration"] for a in sale_appends]
    print(
        f"machine: {os.cpu_count()} cores, {platform.platform()}; Chromium {version}, headless;"
        f" {len(server.orders())} orders stored"
    )
    print(
        f"journal append on Validate (SALE, sign + strict commit), {sales} sales after "
        f"{warmup} warm-up: p50 {statistics.median(times):.1f} ms, "
        f"p95 {percentile(times, 0.95):.1f} ms, max {max(times):.1f} ms"
    )
    print(
        f"Validate to the commit (the handler's first line on), {len(validates)} sales: "
        f"p50 {statistics.median(validates):.1f} ms, p95 {percentile(validates, 0.95):.1f} ms,"
        f" max {max(validates):.1f} ms"
    )
    print(f"its parts alone, {sales} rounds each, on the last SALE ({parts['bytes']} bytes):")
    for name, values in parts["parts"].items():
        print(
            f"  {name:<22} p50 {statistics.median(values):.2f} ms, "
            f"p95 {percentile(values, 0.95):.2f} ms, max {max(values):.2f} ms"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
