"""A scanned receipt to its refund screen, in headless Chromium against `kassa server`.

    uv run python bench/refund_lookup.py [--days 30] [--per-day 2000] [--scans 60]

Figures (printed; nothing here is a test), both timed in the page from the scan handed to
the app (`scan.received`, as the hardware proxy's scanner delivers it) to the refund screen
showing the original's lines (`[data-test=refund-original][data-receipt=N]` in the DOM):
- local: the original is one of days × per-day orders in the till's local index of recent
  orders (IndexedDB `recentOrders`, filled through data/db.js `recentPut` before timing);
- server: the original is not in the local index: `GET /api/v1/orders/lookup?receipt=N`
  against a server database holding as many orders (older than the index's window, so
  the till's own pull leaves them out).

Uses the Debian chromium and the browser tests' server helpers; SQLite in a temporary
data folder. The machine is shared: absolute figures move with its load.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, KASSA, KassaServer, Till
from tests.browser.conftest import _cli as cli
from tests.browser.conftest import _server_env as env

SEED_SERVER = """
import datetime, uuid
from decimal import Decimal
from django.utils import timezone
from kassa.server.cash.models import CashSession
from kassa.server.catalog.models import Product
from kassa.server.orders.models import Order, OrderLine, Payment
from kassa.server.staff.models import Cashier
from kassa.server.terminals.models import Terminal, PaymentMethod
terminal = Terminal.objects.order_by("pk").first()
cashier = Cashier.objects.order_by("pk").first()
cash = PaymentMethod.objects.filter(is_cash=True).first()
product = Product.objects.select_related("tax").order_by("pk").first()
start = timezone.now() - datetime.timedelta(days=40 + {days})
session = CashSession.objects.create(uuid=uuid.uuid4(), terminal=terminal, opened_by=cashier,
    opened_at=start, opening_float=Decimal(0), state="closed", closed_by=cashier,
    closed_at=start, counted_cash=Decimal(0), expected_cash=Decimal(0), difference=Decimal(0))
count = {count}
for first in range(0, count, 5000):
    orders = [Order(uuid=uuid.uuid4(), terminal=terminal, receipt_number=f"OLD1-1-{{n:06d}}",
        session=session, cashier=cashier, total_net=Decimal("2.46"), total_tax=Decimal("0.52"),
        total_gross=Decimal("2.98"), change=Decimal(0),
        created_at=start + datetime.timedelta(seconds=n * 86400 * {days} // count),
        received_at=timezone.now()) for n in range(first + 1, min(count, first + 5000) + 1)]
    Order.objects.bulk_create(orders)
    lines, payments = [], []
    for order in orders:
        for position in range(2):
            lines.append(OrderLine(order=order, position=position, product=product,
                name=product.name, quantity=Decimal(1), unit_price=Decimal("1.49"),
                discount=Decimal(0), tax=product.tax, tax_rate=Decimal(21),
                price_includes_tax=True, net=Decimal("1.23"), tax_amount=Decimal("0.26"),
                gross=Decimal("1.49")))
        payments.append(Payment(order=order, method=cash, amount=Decimal("2.98")))
    OrderLine.objects.bulk_create(lines)
    Payment.objects.bulk_create(payments)
print(Order.objects.count())
"""

FILL_INDEX_JS = """async ({count, days}) => {
  const data = await import('./data/db.js');
  const db = await data.openTerminalDb();
  const day = 86400000, now = Date.now();
  for (let first = 1; first <= count; first += 5000) {
    const orders = [];
    for (let n = first; n < Math.min(count + 1, first + 5000); n++) {
      const at = new Date(now - Math.floor((n * days * day) / count))
        .toISOString().replace('Z', '+00:00');
      const line = (position) => ({position, productId: 1, name: 'Baguette', unit: 'pc',
        quantity: 1000, unitPrice: 149, discount: 0, taxId: 1, rate: 210000,
        priceIncludesTax: true, net: 123, tax: 26, gross: 149, originalLine: null,
        reason: ''});
      orders.push({uuid: crypto.randomUUID(), receiptNumber: 'B1-1-' + String(n).padStart(6, '0'),
        createdAt: at, kind: 'sale', original: null, gross: 298, lines: [line(0), line(1)],
        payments: [{methodId: 1, amount: 298}]});
    }
    await data.recentPut(db, orders);
  }
  db.close();
}"""

PROBE_JS = """async () => {
  window.__refund = {times: [], events: await import('./state/events.js')};
}"""

WAIT_JS = """(receipt) => { window.__refund.wait = new Promise((resolve) => {
  const found = () =>
    document.querySelector(`[data-test=refund-original][data-receipt="${receipt}"]`);
  const done = () => {
    const ms = performance.now() - window.__refund.enter;
    window.__refund.times.push(ms);
    resolve(ms);
  };
  if (found()) return done();
  const observer = new MutationObserver(() => { if (found()) { observer.disconnect(); done(); } });
  observer.observe(document.body, {childList: true, subtree: true, attributes: true});
}); }"""


SCAN_JS = """(code) => {
  window.__refund.enter = performance.now();
  window.__refund.events.emit('scan.received', {code, source: 'bench'});
}"""


def pct(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def timed_scans(till: Till, codes: list[str]) -> list[float]:
    page = till.page
    times = []
    for code in codes:
        page.evaluate(WAIT_JS, code)
        page.evaluate(SCAN_JS, code)
        times.append(float(page.evaluate("() => window.__refund.wait")))
        page.click("[data-test=refund-back]")
        page.wait_for_selector("[data-test=search]")
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--per-day", type=int, default=2000)
    parser.add_argument("--scans", type=int, default=60)
    args = parser.parse_args()
    count = args.days * args.per_day
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cli(folder, "manage", "migrate")
        seed = json.loads(cli(folder, "manage", "demo_seed", "--json"))
        subprocess.run(
            [*KASSA, "manage", "shell", "-c", SEED_SERVER.format(days=args.days, count=count)],
            env=env(folder),
            check=True,
            capture_output=True,
        )
        server = KassaServer(data_dir=folder, unused_code=seed["pairing_code"])
        server.start()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
                )
                page = browser.new_page(viewport={"width": 1024, "height": 768})
                till = Till(page, server)
                till.start()
                page.evaluate(FILL_INDEX_JS, {"count": count, "days": args.days})
                page.evaluate(PROBE_JS)
                rng = random.Random(11)
                local = [f"B1-1-{rng.randint(1, count):06d}" for _ in range(args.scans)]
                remote = [f"OLD1-1-{rng.randint(1, count):06d}" for _ in range(args.scans)]
                timed_scans(till, local[:5] + remote[:5])  # warm-up: not counted
                local_times = timed_scans(till, local)
                remote_times = timed_scans(till, remote)
                assert till.errors == [], till.errors
                browser.close()
        finally:
            server.stop()
    for name, times, target in (
        (f"local index of {count:,} orders", local_times, 50),
        (f"through the server ({count:,} orders there)", remote_times, 200),
    ):
        print(
            f"scan to refund screen filled, {name}: p50 {pct(times, 50):.1f} ms, "
            f"p95 {pct(times, 95):.1f} ms, max {max(times):.1f} ms ({len(times)} scans; "
            f"target p95 <= {target} ms)"
        )


if __name__ == "__main__":
    main()
