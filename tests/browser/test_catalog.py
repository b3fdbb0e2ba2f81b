"""A large catalog in real Chromium (issue 17): the cold start's download (the index the
server built, then the changes since it; or, from a server without one, page by page),
with its progress as it really goes; every product findable when the sale screen opens;
a catalog delta of 10,000 products applied in place while an order is open, kept for the
next start.

30,000 products (two pages of the download, so the index is built across pages); the
300,000 and 1,000,000 product runs are bench/catalog_bench.py's, which would take minutes
here (docs/performance.md, "A large catalog").
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from .conftest import KassaServer, Till, _cli, money

pytestmark = pytest.mark.browser

COUNT = 30_000
HEADER = "name,ref,barcodes,category,price,tax,unit,weighed,active\n"

# Each step of the download screen and its progress, as the cashier saw them.
WATCH_DOWNLOAD = """
window.__download = [];
new MutationObserver(() => {
  const step = document.querySelector('[data-test=download-step]');
  const bar = document.querySelector('[data-test=download-progress]');
  if (!step) return;
  const seen = { step: step.dataset.step, value: bar ? bar.value : null, text: step.textContent };
  const last = window.__download[window.__download.length - 1];
  if (!last || last.step !== seen.step || last.text !== seen.text) window.__download.push(seen);
}).observe(document, { childList: true, subtree: true, characterData: true, attributes: true });
"""

DELTA = """
from django.db import transaction
from django.db.models import F
from kassa.server.catalog.models import Product
from kassa.server.catalog.services import catalog_version_next, products_set_active
bulk = Product.objects.filter(ref__startswith="BULK").order_by("pk")
changed = [pk for n, pk in enumerate(bulk.values_list("pk", flat=True)) if n % 3 == 0]
with transaction.atomic():
    version = catalog_version_next()
    for start in range(0, len(changed), 5000):
        Product.objects.filter(pk__in=changed[start : start + 5000]).update(
            price=F("price") + 1, version=version
        )
withdrawn = bulk.filter(ref="BULK000001").values_list("pk", flat=True)
products_set_active(product_ids=withdrawn, active=False)
print(len(changed))
"""


# A scan as the hardware proxy's scanner delivers it (hardware/proxy.js publishes it on the
# bus, ui/scanner.js hands it to the sale screen): the wedge's keystroke timing, which
# tests/browser/test_sale.py covers, is not what this test is about, and on a loaded
# machine Playwright's keystrokes come too far apart to read as a scan.
SCAN_JS = """async (code) => {
  const { emit } = await import('./state/events.js');
  emit('scan.received', { code });
}"""


def scan(till: Till, code: str) -> None:
    till.page.evaluate(SCAN_JS, code)


def ean13(body: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def barcode(n: int) -> str:
    return ean13(f"874{n:09d}")


def price(n: int) -> Decimal:
    return Decimal(f"{1 + n % 50}.{n % 100:02d}")


def name(n: int) -> str:
    return (
        f"{['Hinge', 'Bolt', 'Washer', 'Nut'][n % 4]} {['zinc', 'brass', 'steel'][n % 3]} {n:06d}"
    )


# The server's index built now (as the first till's request would), then one product's
# price changed after it: the snapshot stays a little older than the catalog.
SNAPSHOT_THEN_CHANGE = """
from django.db.models import F
from kassa.server.catalog.models import Product
from kassa.server.catalog.selectors import catalog_till_index
from kassa.server.catalog.services import products_touch
built = catalog_till_index()
product = Product.objects.get(ref="BULK000005")
Product.objects.filter(pk=product.pk).update(price=F("price") + 2)
print(built.version, products_touch(product_ids=[product.pk]))
"""

# A server of before the index endpoint: its API answers 404 there.
NO_INDEX = {
    "status": 404,
    "content_type": "application/json",
    "body": '{"error": {"code": "not_found", "message": "Not Found"}}',
}


def without_server_index(till: Till) -> None:
    till.page.context.route("**/api/v1/catalog/index*", lambda route: route.fulfill(**NO_INDEX))


def catalog_worker_served(till: Till, module: str) -> None:
    """The catalog worker's module answered with `module`, for the whole context: the
    service worker precaches the shell, the catalog worker's module included, and may
    answer the page's request from its cache."""
    till.page.context.route(
        "**/sync/catalog_worker.js",
        lambda route: route.fulfill(content_type="text/javascript", body=module),
    )


def active_and_last(server: KassaServer) -> tuple[int, str]:
    """How many products are active, and the name of the last of them (by id)."""
    ((active,),) = server.query("SELECT COUNT(*) FROM catalog_product WHERE active")
    ((name,),) = server.query(
        "SELECT name FROM catalog_product WHERE active ORDER BY id DESC LIMIT 1"
    )
    return active, name


def import_products(server: KassaServer, folder: Path) -> None:
    rows = (
        f"{name(n)},BULK{n:06d},{barcode(n)},Hardware / Aisle {n % 40},{price(n)},VAT 21%,,,\n"
        for n in range(COUNT)
    )
    path = folder / "products.csv"
    path.write_text(HEADER + "".join(rows))
    report = _cli(server.data_dir, "import-products", str(path))
    assert report.startswith(f"Imported {COUNT} new")


def test_cold_start_finds_the_last_product_and_a_delta_changes_prices_in_place(
    server: KassaServer, till: Till, tmp_path: Path
) -> None:
    # Given a catalog of 30,000 products more than the demo's
    import_products(server, tmp_path)
    ((active,),) = server.query("SELECT COUNT(*) FROM catalog_product WHERE active")
    # and the server's index of it built, then one product's price changed after it
    out = _cli(server.data_dir, "manage", "shell", "-c", SNAPSHOT_THEN_CHANGE)
    built, changed_at = map(int, out.strip().splitlines()[-1].split())
    assert changed_at > built
    # When a fresh till pairs and downloads it
    till.page.add_init_script(WATCH_DOWNLOAD)
    workers: list[str] = []
    till.page.on("worker", lambda worker: workers.append(worker.url))
    fetched: list[str] = []
    till.page.on("request", lambda request: fetched.append(request.url))
    till.open()
    till.pair()
    # Then it took the server's index (no page of every product, no worker building one)
    # and the changes since it
    api = [url.split("/api/v1/", 1)[1] for url in fetched if "/api/v1/catalog" in url]
    assert "catalog/index?format=2" in api, api
    assert [u for u in api if u.startswith("catalog/products")] == [
        f"catalog/products?since={built}&after=0&limit=25000"
    ]
    assert workers == []
    # and the progress went through the products received and their storing, in that
    # order, and never back
    steps = till.page.evaluate("window.__download")
    assert [s["step"] for s in steps][-1:] == ["store"]
    assert {s["step"] for s in steps[:-1]} == {"products"}
    values = [s["value"] for s in steps if s["value"] is not None]
    assert values == sorted(values) and values[-1] == 100
    assert steps[-1]["text"] == f"Saving {active:,} products on this terminal…"
    count = till.page.evaluate(
        "(async () => (await import('./state/store.js')).getState().productCount)()"
    )
    assert count == active
    # and right after, the last product is found by name and by barcode
    till.login()
    till.open_session()
    last = COUNT - 1
    till.search(f"{name(last).split()[0]} {last:06d}")
    till.page.wait_for_selector(f"[data-test=tile][data-name='{name(last)}']")
    till.search(f"BULK{last:06d}")
    till.page.wait_for_selector(f"[data-test=tile][data-name='{name(last)}']")
    till.page.click("[data-test=clear-search]")
    scan(till, barcode(last))
    till.page.wait_for_selector("[data-test=line]")
    assert till.lines() == [(name(last), "1", f"€{price(last)}")]
    # and the product changed after the server's index was built is at its new price
    scan(till, barcode(5))
    till.page.wait_for_function("document.querySelectorAll('[data-test=line]').length === 2")
    assert till.lines()[-1] == (name(5), "1", f"€{money(price(5) + 2)}")

    # Given an order open with a product whose price is about to change
    scan(till, barcode(3))
    till.page.wait_for_function("document.querySelectorAll('[data-test=line]').length === 3")
    # When 10,000 products change price on the server, one is withdrawn, and the till
    # fetches the changes while the order stays open
    changed = _cli(server.data_dir, "manage", "shell", "-c", DELTA).strip().splitlines()[-1]
    assert changed == "10000"
    till.page.click("[data-test=menu]")
    till.page.click("[data-test=menu-drawer] >> text=Update catalog")
    till.page.wait_for_selector("[data-test=toast] >> text=Catalog updated.")
    # Then the next scan of a changed product is at its new price, the line already on
    # the order keeps the price it was sold at, and the withdrawn product is unknown
    scan(till, barcode(6))
    till.page.wait_for_function("document.querySelectorAll('[data-test=line]').length === 4")
    assert till.lines() == [
        (name(last), "1", f"€{price(last)}"),
        (name(5), "1", f"€{money(price(5) + 2)}"),
        (name(3), "1", f"€{price(3)}"),
        (name(6), "1", f"€{money(price(6) + 1)}"),
    ]
    scan(till, barcode(1))
    till.page.wait_for_selector(f"[data-test=toast] >> text=Unknown barcode {barcode(1)}.")
    till.search(f"BULK{1:06d}")
    till.page.wait_for_selector("[data-test=tiles]")
    assert till.page.locator(f"[data-test=tile][data-name='{name(1)}']").count() == 0
    # When the till starts again (the changes are kept beside the stored catalog)
    till.page.reload()
    till.wait_for_sale()
    # Then they still apply
    till.page.wait_for_function("document.querySelectorAll('[data-test=line]').length === 4")
    scan(till, barcode(9))
    till.page.wait_for_function("document.querySelectorAll('[data-test=line]').length === 5")
    assert till.lines()[-1] == (name(9), "1", f"€{money(price(9) + 1)}")
    count = till.page.evaluate(
        "(async () => (await import('./state/store.js')).getState().productCount)()"
    )
    assert count == active - 1


# A catalog worker whose module throws as it loads (what a worker that cannot start gives).
BROKEN_WORKER = "throw new Error('this catalog worker cannot start');"


def test_without_a_catalog_worker_the_page_downloads_the_catalog_itself(
    server: KassaServer, till: Till
) -> None:
    # Given a server without the till's index (one of before it: 404), so that the till
    # builds it from the pages, and a browser where the catalog worker cannot start
    without_server_index(till)
    catalog_worker_served(till, BROKEN_WORKER)
    active, name = active_and_last(server)
    # When a fresh till pairs
    till.page.add_init_script(WATCH_DOWNLOAD)
    till.open()
    till.pair()
    # Then it downloaded the catalog on the page, with the same progress, and sells from it
    steps = till.page.evaluate("window.__download")
    assert [s["step"] for s in steps][-2:] == ["index", "store"]
    count = till.page.evaluate(
        "(async () => (await import('./state/store.js')).getState().productCount)()"
    )
    assert count == active
    till.login()
    till.open_session()
    till.search(name)
    till.page.wait_for_selector(f"[data-test=tile][data-name='{name}']")


# A catalog worker that starts, reports its first page, then dies without a word: what a
# worker killed or out of memory gives the page (no `error` event, no more messages).
SILENT_WORKER = """
self.onmessage = () => {
  self.postMessage({ type: "progress", step: "products", loaded: 25000, total: 1000000 });
  setTimeout(() => self.close(), 200);
};
"""


def test_a_catalog_worker_that_dies_silently_ends_in_try_again_on_the_page(
    server: KassaServer, till: Till
) -> None:
    # Given a server without the till's index, and a catalog worker that goes silent after
    # its first page
    without_server_index(till)
    catalog_worker_served(till, SILENT_WORKER)
    workers: list[str] = []
    till.page.on("worker", lambda worker: workers.append(worker.url))
    active, name = active_and_last(server)
    # (the page's clock is the test's, so the minute's wait is skipped, not slept)
    till.page.clock.install()
    # When a fresh till pairs
    till.open()
    till.page.fill("[data-test=pair-code]", server.new_pairing_code())
    till.page.click("[data-test=pair-submit]")
    # Then the screen shows the progress the worker reported, and waits for it a while
    till.page.wait_for_selector("[data-test=download-step] >> text=25,000 of 1,000,000 products")
    till.page.wait_for_timeout(500)
    assert till.page.locator("[role=alert]").count() == 0
    # and when it has said nothing for a minute, says the download stopped, with Try again
    till.page.clock.fast_forward("01:01")
    alert = till.page.wait_for_selector("[role=alert]")
    assert alert.text_content() == (
        "The catalog download stopped unexpectedly (no word from its worker for 60 s)."
    )
    # When the cashier tries again
    till.page.click("text=Try again")
    # Then the page downloads the catalog on its own thread (no second worker) and sells from it
    till.page.wait_for_selector("[data-test=cashier-tile]", timeout=30_000)
    assert [url.rsplit("/", 1)[-1] for url in workers] == ["catalog_worker.js"]
    count = till.page.evaluate(
        "(async () => (await import('./state/store.js')).getState().productCount)()"
    )
    assert count == active
    till.login()
    till.open_session()
    till.search(name)
    till.page.wait_for_selector(f"[data-test=tile][data-name='{name}']")
