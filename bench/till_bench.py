"""The whole till: headless Chromium, `kassa server`, the hardware proxy with a network
printer on 127.0.0.1 and a pseudo-terminal display (the parts of tests/browser/test_till.py).

    uv run python bench/till_bench.py [--sales 40] [--scans 40]

Figures (printed; nothing here is a test):
- validate to last receipt byte: from the click on *Validate* (dispatched in the page)
  to the last byte of the receipt and its drawer kick arriving at the TCP printer; this
  includes the durable IndexedDB write of the order, building the document, the
  cross-origin request to the proxy, rendering to ESC/POS, the status query and sending;
- proxy scan to cart line: from the proxy being told of a scan (`POST virtual/scan`, as
  its scanner reader does) to the new cart line in the page's DOM (a MutationObserver;
  both ends on the wall clock of this machine).
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import os

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, KassaServer, Till, _cli
from tests.browser.test_till import PAIRING_CODE, Display, Printer, Proxy

from figures import percentile


class StampedBytes(bytearray):
    """The printer's receive buffer, noting when the last bytes arrived."""

    last = 0.0

    def __iadd__(self, other: Any) -> StampedBytes:
        self.last = time.perf_counter()
        return super().__iadd__(other)


def summary(name: str, values: list[float]) -> None:
    print(
        f"{name}: n={len(values)} p50={percentile(values, 0.5):.1f} ms "
        f"p95={percentile(values, 0.95):.1f} ms "
        f"max={max(values):.1f} ms mean={statistics.mean(values):.1f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sales", type=int, default=40)
    parser.add_argument("--scans", type=int, default=40)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kassa-till-bench-") as tmp:
        return run(Path(tmp), options)


def run(folder: Path, options: argparse.Namespace) -> int:
    data = folder / "server"
    data.mkdir()
    _cli(data, "manage", "migrate")
    server = KassaServer(data_dir=data)
    printer = Printer()
    printer.received = StampedBytes()
    printer.start()
    master, slave = os.openpty()
    proxy = Proxy(folder / "proxy", server.url, printer, Display(master, slave))
    code = __import__("json").loads(_cli(data, "manage", "demo_seed", "--json"))["pairing_code"]
    connection = sqlite3.connect(data / "kassa.sqlite3")
    with connection:
        connection.execute("UPDATE terminals_terminal SET proxy_url = ?", (proxy.url,))
    barcodes = [
        row[0]
        for row in connection.execute(
            "SELECT MIN(b.code) FROM catalog_barcode b JOIN catalog_product p "
            "ON p.id = b.product_id WHERE p.weighed = 0 GROUP BY p.id ORDER BY p.id"
        )
    ]
    connection.close()
    proxy.start()
    server.start()
    server.unused_code = code
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_context(viewport={"width": 1024, "height": 768}).new_page()
            till = Till(page, server)
            till.start()
            page.click("[data-test=devices]")
            page.fill("[data-test=proxy-code]", PAIRING_CODE)
            page.click("[data-test=proxy-pair]")
            page.wait_for_selector("[data-test=devices][data-paired=true][data-printer=online]")
            page.click("[data-test=devices-dialog] [aria-label=Close]")
            page.wait_for_function("document.documentElement.dataset.offlineReady === 'true'")
            print_times = validate_to_print(till, printer, options.sales)
            scan_times = scan_to_line(till, proxy, barcodes, options.scans)
            browser.close()
            assert till.errors == [], till.errors
    finally:
        server.stop()
        proxy.stop()
        printer.stop()
        os.close(master)
        os.close(slave)
        shutil.rmtree(folder / "proxy", ignore_errors=True)
    summary("validate to last receipt byte", print_times)
    summary("proxy scan to cart line", scan_times)
    return 0


def validate_to_print(till: Till, printer: Printer, sales: int) -> list[float]:
    page = till.page
    times: list[float] = []
    for index in range(sales + 3):
        till.add("Baguette")
        page.click("[data-test=pay]")
        page.click("[data-test=method][data-name='Cash']")
        cuts = printer.printed().count(b"\x1dV")
        start = time.perf_counter()
        page.evaluate("document.querySelector('[data-test=validate]').click()")
        deadline = start + 10
        while printer.printed().count(b"\x1dV") == cuts or not printer.printed().endswith(
            b"\x1bp\x00\x32\x32"
        ):
            if time.perf_counter() > deadline:
                raise AssertionError("the receipt did not print")
            time.sleep(0.001)
        time.sleep(0.01)  # anything still on its way
        received: StampedBytes = printer.received  # type: ignore[assignment]
        if index >= 3:  # the first sales warm up the proxy's connection and the JIT
            times.append((received.last - start) * 1000)
        page.wait_for_selector("[data-test=print-status][data-state=printed]")
        till.new_order()
    return times


def scan_to_line(till: Till, proxy: Proxy, barcodes: list[str], scans: int) -> list[float]:
    page = till.page
    page.evaluate(
        """() => {
          window.__lines = [];
          new MutationObserver(() => {
            const count = document.querySelectorAll('[data-test=line]').length;
            if (count === window.__count) return;
            window.__count = count;
            window.__lines.push([count, Date.now()]);
          }).observe(document.body, { childList: true, subtree: true });
        }"""
    )
    times: list[float] = []
    for index, code in enumerate(barcodes[: scans + 3]):
        start = time.time()
        proxy.call("virtual/scan", {"code": code})
        page.wait_for_function("n => window.__count === n", arg=index + 1)
        count, at = page.evaluate("window.__lines.at(-1)")
        assert count == index + 1
        if index >= 3:
            times.append(at - start * 1000)
    return times


if __name__ == "__main__":
    raise SystemExit(main())
