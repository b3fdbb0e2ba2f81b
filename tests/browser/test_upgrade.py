"""Upgrading a till in real Chromium: the previous release's terminal (git commit
e8e50d8, IndexedDB version 2, no journal) is served by the real server, used, left with
orders in its outbox, and then the server serves this release's terminal.

The previous release is taken from this repository with `git archive`, so the test needs
a full clone (CI has one). The server is the same process code and the same data folder
throughout; only the folder served as /pos/ changes (`KASSA_TERMINAL_DIR`, by restarting
the server, as an upgrade restarts it).

One thing is not done for real: while the server comes back with the new release, the
page's requests to /api/ are refused in the browser (Playwright's route), so the old
code cannot sync its outbox before the update lands and the new code has to. Without it
the old page would send its orders within seconds of the server's return, and the upgrade
of a database holding unsent orders would be left to chance.
"""

from __future__ import annotations

import base64
import io
import json
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import pytest
from playwright.sync_api import BrowserContext, Route

from .conftest import KassaServer, Template, Till
from .test_journal import check_chain, journal, parsed, server_head, wait_until

pytestmark = pytest.mark.browser

PREVIOUS_RELEASE = "e8e50d8"
REPOSITORY = Path(__file__).resolve().parents[2]
UPDATE_BANNER = "Update ready · reload"

READ_STORES = """async () => {
  const db = await new Promise((resolve, reject) => {
    const request = indexedDB.open("kassa-terminal");
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  try {
    const all = (store) => new Promise((resolve, reject) => {
      const request = db.transaction(store).objectStore(store).getAll();
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    return {
      version: db.version,
      stores: [...db.objectStoreNames],
      receipts: (await all("receipts")).map((r) => ({ uuid: r.uuid, number: r.receiptNumber })),
      outbox: (await all("outbox")).map((e) => ({ kind: e.kind, uuid: e.uuid, state: e.state })),
    };
  } finally {
    db.close();
  }
}"""


@pytest.fixture(scope="module")
def previous_terminal(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The terminal folder of the previous release, extracted from this repository."""
    found = subprocess.run(
        ["git", "-C", str(REPOSITORY), "cat-file", "-e", f"{PREVIOUS_RELEASE}^{{commit}}"],
        capture_output=True,
        check=False,
    )
    if found.returncode != 0:
        pytest.fail(
            f"commit {PREVIOUS_RELEASE} (the previous release) is not in {REPOSITORY}: "
            "the upgrade test needs a full clone (git fetch --unshallow)"
        )
    archive = subprocess.run(
        ["git", "-C", str(REPOSITORY), "archive", PREVIOUS_RELEASE, "src/kassa/terminal"],
        capture_output=True,
        check=True,
    ).stdout
    folder = tmp_path_factory.mktemp("previous-release")
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder / "src" / "kassa" / "terminal"


@pytest.fixture
def old_server(
    seeded_template: Template, tmp_path: Path, previous_terminal: Path
) -> Iterator[KassaServer]:
    """A server of its own with the demo shop, serving the previous release at /pos/."""
    folder = tmp_path / "server"
    folder.mkdir()
    for name in ("kassa.sqlite3", "secret_key"):
        shutil.copy(seeded_template.folder / name, folder / name)
    server = KassaServer(
        data_dir=folder, unused_code=seeded_template.pairing_code, terminal_dir=previous_terminal
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


class ApiSwitch:
    """The page's requests to /api/ pass or fail as if the network were down."""

    def __init__(self) -> None:
        self.reachable = True

    def __call__(self, route: Route) -> None:
        if self.reachable:
            route.continue_()
        else:
            route.abort("internetdisconnected")


def sell(till: Till, server: KassaServer, product: str, method: str) -> str:
    till.scan(server.barcode(product))
    till.page.wait_for_selector("[data-test=line]")
    number = till.checkout(method)
    till.new_order()
    return number


def test_a_till_with_unsynced_orders_upgrades_to_this_release(
    context: BrowserContext, old_server: KassaServer
) -> None:
    server = old_server
    till = Till(context.new_page(), server)
    api = ApiSwitch()
    till.page.route("**/api/**", api)
    # given a till on the previous release: paired, a session open, two sales synced
    till.start()
    numbers = [sell(till, server, "Baguette", "Cash"), sell(till, server, "Croissant", "Card")]
    till.wait_synced()
    assert [o["receipt_number"] for o in server.orders()] == numbers
    # and three sales made while the server was down, waiting in the outbox
    server.stop()
    till.page.wait_for_selector("[data-test=online][data-online=false]", timeout=30_000)
    for product in ["Cinnamon bun", "Whole milk 1 l", "Butter 250 g"]:
        numbers.append(sell(till, server, product, "Cash"))
    assert till.pending() == 3
    assert numbers == [f"POS1-1-{n:06d}" for n in range(1, 6)]
    # when the server comes back serving this release (the page cannot reach /api/ yet)
    api.reachable = False
    server.terminal_dir = None
    server.start()
    # and the till's page is reloaded: the old shell, from the old service worker's cache
    till.page.reload()
    till.wait_for_sale()
    # then the new service worker takes over and the old page offers the update
    banner = till.page.get_by_role("button", name=UPDATE_BANNER)
    banner.wait_for(timeout=30_000)
    before = till.page.evaluate(READ_STORES)
    assert before["version"] == 2
    assert "journal" not in before["stores"]
    assert sorted(e["state"] for e in before["outbox"]) == ["pending"] * 3
    assert till.pending() == 3
    # when the cashier taps it
    with till.page.expect_navigation(wait_until="commit"):
        banner.click()
    api.reachable = True  # the old page is gone: only the new code may send now
    till.wait_for_sale()  # the cashier stayed logged in
    # then the database is version 5, with a journal and the catalog as its index, and
    # nothing was lost on the way
    after = till.page.evaluate(READ_STORES)
    assert after["version"] == 5
    assert "journal" in after["stores"]
    assert "catalog" in after["stores"] and "searchIndex" not in after["stores"]
    assert till.page.get_by_role("button", name=UPDATE_BANNER).count() == 0
    # and the old orders reach the server exactly once
    till.wait_synced(timeout=60_000)
    orders = server.orders()
    assert [o["receipt_number"] for o in orders] == numbers
    receipts = {UUID(r["uuid"]): r["number"] for r in till.page.evaluate(READ_STORES)["receipts"]}
    assert {UUID(o["uuid"]): o["receipt_number"] for o in orders} == receipts
    assert server.query("SELECT COUNT(*), COUNT(DISTINCT uuid) FROM orders_order") == [(5, 5)]
    assert server.query("SELECT receipt_number FROM orders_order WHERE review_code != ''") == []
    # and the chain starts after them, its key registered with the server
    entries, token = journal(till)
    values = parsed(entries)
    assert [(v["seq"], v["type"]) for v in values] == [(1, "JOURNAL_INIT")]
    key = values[0]["payload"]["key"]
    check_chain(entries, key)
    ((spki,),) = server.query("SELECT spki FROM journal_terminalkey WHERE terminal_code = 'POS1'")
    assert base64.b64encode(spki).decode() == key
    assert token is not None
    wait_until(lambda: server_head(server.url, token)["seq"] == 1)
    # when a sale is made on this release
    numbers.append(sell(till, server, "Baguette", "Card"))
    till.wait_synced()
    # then its SALE comes next in the chain, the server has both entries verbatim
    entries, _ = journal(till)
    values = parsed(entries)
    assert [(v["seq"], v["type"]) for v in values] == [(1, "JOURNAL_INIT"), (2, "SALE")]
    check_chain(entries, key)
    sale = values[1]["payload"]
    assert sale["receipt_no"] == numbers[-1] == "POS1-1-000006"
    assert (sale["gt_after"], sale["gt_abs_after"]) == ("1.49", "1.49")
    wait_until(lambda: server_head(server.url, token)["seq"] == 2)
    stored = server.query(
        "SELECT seq, type, CAST(canonical AS TEXT), hash, sig FROM journal_terminalentry "
        "WHERE terminal_code = 'POS1' ORDER BY seq"
    )
    assert stored == [
        (e["seq"], json.loads(e["canonical"])["type"], e["canonical"], e["hash"], e["sig"])
        for e in entries
    ]
    # and every order is still there once, the new one beside the old ones
    orders = server.orders()
    assert [o["receipt_number"] for o in orders] == numbers
    assert UUID(sale["order"]) == UUID(orders[-1]["uuid"])
    assert server.query("SELECT COUNT(*), COUNT(DISTINCT uuid) FROM orders_order") == [(6, 6)]
    assert till.errors == []


SHELL_STATE = """async () => ({
  caches: (await caches.keys()).filter((name) => name.startsWith("kassa-terminal-")),
  css: await (await fetch("app.css")).text(),
})"""


@pytest.fixture
def copy_server(seeded_template: Template, tmp_path: Path) -> Iterator[KassaServer]:
    """A server of its own with the demo shop, serving a copy of this release's terminal."""
    terminal = tmp_path / "terminal"
    shutil.copytree(REPOSITORY / "src" / "kassa" / "terminal", terminal)
    folder = tmp_path / "server"
    folder.mkdir()
    for name in ("kassa.sqlite3", "secret_key"):
        shutil.copy(seeded_template.folder / name, folder / name)
    server = KassaServer(
        data_dir=folder, unused_code=seeded_template.pairing_code, terminal_dir=terminal
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_this_release_offers_the_next_one_when_its_server_comes_back(
    context: BrowserContext, copy_server: KassaServer
) -> None:
    server = copy_server
    assert server.terminal_dir is not None
    till = Till(context.new_page(), server)
    # given a till on this release with a Baguette in the cart
    till.start()
    till.scan(server.barcode("Baguette"))
    till.page.wait_for_selector("[data-test=line]")
    old_cache = till.page.evaluate(SHELL_STATE)["caches"]
    assert len(old_cache) == 1
    # when its server is upgraded (stopped, a file of the terminal changed, started again)
    server.stop()
    till.page.wait_for_selector("[data-test=online][data-online=false]", timeout=30_000)
    with (server.terminal_dir / "app.css").open("a") as css:
        css.write("/* the next release */\n")
    server.start()
    # then the page, never reloaded, offers the update once the server answers again
    banner = till.page.get_by_role("button", name=UPDATE_BANNER)
    banner.wait_for(timeout=30_000)
    # when the cashier taps it
    with till.page.expect_navigation():
        banner.click()
    till.wait_for_sale()
    # then the new version runs from a new cache, the old one is gone, the cart is kept
    shell = till.page.evaluate(SHELL_STATE)
    assert len(shell["caches"]) == 1
    assert shell["caches"] != old_cache
    assert shell["css"].endswith("/* the next release */\n")
    assert till.page.get_by_role("button", name=UPDATE_BANNER).count() == 0
    assert [name for name, _, _ in till.lines()] == ["Baguette"]
    # and the sale goes on and reaches the server once
    number = till.checkout("Cash")
    till.wait_synced()
    assert [o["receipt_number"] for o in server.orders()] == [number]
    assert till.errors == []
