"""Offline: the real server goes away (SIGTERM) and comes back; the browser process is
killed right after Validate. Nothing is lost and nothing is stored twice."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import time
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Playwright

from .conftest import CHROMIUM, CHROMIUM_ARGS, KassaServer, Till

pytestmark = pytest.mark.browser

PRODUCTS = ["Baguette", "Croissant", "Cinnamon bun", "Whole milk 1 l", "Butter 250 g"]


def test_twenty_sales_while_the_server_is_down_and_a_reload(
    till: Till, server: KassaServer
) -> None:
    # given a till that synced its session, then lost its server
    till.start()
    till.wait_synced()
    server.stop()
    till.page.wait_for_selector("[data-test=online][data-online=false]", timeout=30_000)
    # when 20 sales are made, with a reload of the page in the middle
    numbers = []
    for sale in range(20):
        if sale == 10:
            till.page.reload()
            till.wait_for_sale()  # the shell came from the service worker, the cashier stayed
        till.scan(server_barcodes[PRODUCTS[sale % len(PRODUCTS)]])
        till.page.wait_for_selector("[data-test=line]")
        numbers.append(till.checkout("Cash" if sale % 2 else "Card"))
        till.new_order()
    assert till.pending() == 20
    assert numbers == [f"POS1-1-{n:06d}" for n in range(1, 21)]
    # then, when the server is back, every order reaches it exactly once
    server.start()
    till.wait_synced(timeout=60_000)
    orders = server.orders()
    assert sorted(o["receipt_number"] for o in orders) == numbers
    assert len({o["uuid"] for o in orders}) == 20


server_barcodes: dict[str, str] = {}


@pytest.fixture(autouse=True)
def _barcodes(server: KassaServer) -> None:
    for name in PRODUCTS:
        server_barcodes[name] = server.barcode(name)


def test_offline_browser_restart_opens_the_terminal(
    playwright: Playwright, server: KassaServer, tmp_path: Path
) -> None:
    # given a till used once, whose browser is closed
    profile = tmp_path / "profile"
    context = _persistent(playwright, profile)
    till = Till(context.pages[0], server)
    till.start()
    till.wait_synced()
    context.close()
    # when the server is down and the browser starts again
    server.stop()
    context = _persistent(playwright, profile)
    till = Till(context.pages[0], server)
    till.open()
    # then the terminal opens from its cache, asks for a PIN and sells
    till.login("Bob")
    till.wait_for_sale()
    till.scan(server_barcodes["Baguette"])
    assert till.checkout("Cash") == "POS1-1-000001"
    assert till.pending() == 1
    server.start()
    till.wait_synced(timeout=60_000)
    context.close()
    assert [o["receipt_number"] for o in server.orders()] == ["POS1-1-000001"]
    assert till.errors == []


def _persistent(playwright: Playwright, profile: Path):  # type: ignore[no-untyped-def]
    return playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=CHROMIUM,
        args=CHROMIUM_ARGS,
        headless=True,
        viewport={"width": 1024, "height": 768},
    )


def _browser_pids(profile: Path) -> list[int]:
    """Chromium processes using this profile (the browser and its children)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(str(profile).encode() in part for part in cmdline):
            pids.append(int(entry.name))
    return pids


def test_browser_killed_right_after_validate(
    playwright: Playwright, server: KassaServer, tmp_path: Path
) -> None:
    # given a till whose server is down, so the order can only be in IndexedDB
    profile = tmp_path / "profile"
    context = _persistent(playwright, profile)
    till = Till(context.pages[0], server)
    till.start()
    till.wait_synced()
    server.stop()
    till.scan(server_barcodes["Croissant"])
    till.page.wait_for_selector("[data-test=line]")
    till.page.click("[data-test=pay]")
    till.pay("Cash")
    # when the browser process is killed the moment the receipt shows
    till.page.click("[data-test=validate]")
    till.page.wait_for_selector("[data-test=receipt]")
    pids = _browser_pids(profile)
    assert pids
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    # The browser is gone; closing only tidies Playwright up.
    with contextlib.suppress(Exception):
        context.close()
    _wait_gone(pids)
    # then after a restart (server back) the order is there and is synced once
    server.start()
    context = _persistent(playwright, profile)
    till = Till(context.pages[0], server)
    till.open()
    till.login("Alice")
    till.wait_for_sale()
    till.wait_synced(timeout=60_000)
    assert [o["receipt_number"] for o in server.orders()] == ["POS1-1-000001"]
    # and the next order gets the next number
    till.scan(server_barcodes["Baguette"])
    assert till.checkout("Card") == "POS1-1-000002"
    till.wait_synced()
    context.close()
    assert [o["receipt_number"] for o in server.orders()] == ["POS1-1-000001", "POS1-1-000002"]


def _wait_gone(pids: list[int]) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if not any(Path(f"/proc/{pid}").exists() for pid in pids):
            return
        time.sleep(0.05)


def test_export_file_imports_in_the_back_office_once(till: Till, server: KassaServer) -> None:
    # given a sale made while the server is down
    till.start()
    till.wait_synced()
    server.stop()
    till.scan(server_barcodes["Baguette"])
    till.page.wait_for_selector("[data-test=line]")
    number = till.checkout("Cash")
    till.new_order()
    # when the cashier exports the unsynced orders
    till.page.click("[data-test=menu]")
    with till.page.expect_download() as download_info:
        till.page.click("[data-test=menu-drawer] >> text=Export unsynced orders")
    path = download_info.value.path()
    document = json.loads(Path(path).read_text())
    assert document["format"] == "kassa-outbox"
    assert document["version"] == 1
    assert document["terminal"] == {"code": "POS1"}
    assert [e["kind"] for e in document["entries"]] == ["order"]
    assert document["entries"][0]["payload"]["receipt_number"] == number
    # and the back office imports the file, then the till syncs too
    server.start()
    admin = till.page.context.new_page()
    admin.goto(f"{server.url}/admin/login/?next=/admin/orders/order/import/")
    admin.fill("#id_username", "admin")
    admin.fill("#id_password", "kassa-demo")
    admin.click("input[type=submit]")
    admin.set_input_files("input[type=file]", path)
    admin.click("input[type=submit], button[type=submit] >> nth=-1")
    admin.wait_for_selector("text=Terminal")
    admin.close()
    till.wait_synced(timeout=60_000)
    # then the order is stored once
    assert [o["receipt_number"] for o in server.orders()] == [number]


def test_a_sale_in_a_session_closed_on_the_server_is_stored_and_flagged(
    till: Till, server: KassaServer
) -> None:
    # given a sale made offline in a session that was closed on the server meanwhile
    till.start()
    till.wait_synced()
    server.stop()
    till.scan(server_barcodes["Baguette"])
    till.page.wait_for_selector("[data-test=line]")
    number = till.checkout("Cash")
    till.new_order()
    connection = sqlite3.connect(server.data_dir / "kassa.sqlite3")
    with connection:
        connection.execute("UPDATE cash_cashsession SET state = 'closed'")
    connection.close()
    # when the server is back
    server.start()
    till.wait_synced(timeout=60_000)
    # then the order is stored, under review with the reason (a paid sale is never refused)
    assert server.query("SELECT receipt_number, review_code FROM orders_order ORDER BY id") == [
        (number, "session_closed")
    ]
    assert [o["gross"] for o in server.orders()] == [Decimal("1.49")]
    # and the till's outbox is empty, with no rejection shown
    assert till.pending() == 0
    assert till.page.locator("[data-test=rejected]").count() == 0
    till.page.click("[data-test=pending]")
    till.page.wait_for_selector("[data-test=outbox] >> text=Everything is on the server.")
    assert till.page.locator("[data-test=outbox-entry]").count() == 0
