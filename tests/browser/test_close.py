"""The day close in real Chromium with the real server and the real hardware proxy (its
network printer on 127.0.0.1): cash moves with their slips, the X report, a blind close
whose expected amounts are not in the page, a variance over the limit that a cashier's
PIN cannot approve and a manager's does, the Z printed and its text against the
snapshot, a reprint marked DUPLICATE, the whole close done offline and then synced, the
server's Z identical to the till's, and a cash move's entry replayed ten times stored
once (docs/z-report.md)."""

from __future__ import annotations

import json
import re
import sqlite3
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Request

from kassa.proxy.devices.escpos_decoder import Element, EscPosDecoder, TextLine
from kassa.proxy.devices.virtual import render_text
from tests.proxy.conftest import TcpPrinter

from .conftest import PIN, Template, Till
from .test_till import Shop, pair_devices, printer, running_shop, wait_until

__all__ = ["printer"]  # the fixture, imported for this module's tests

pytestmark = pytest.mark.browser

SNAPSHOT = Path(__file__).with_name("snapshots") / "z_report.txt"


@pytest.fixture
def shop(seeded_template: Template, tmp_path: Path, printer: TcpPrinter) -> Iterator[Shop]:
    with running_shop(seeded_template, tmp_path, printer.url, "none:") as shop:
        # the terminal's close settings (docs/z-report.md): blind, limits of 5.00
        # overall and 0.00 on cards, a slip per cash move
        connection = sqlite3.connect(shop.server.data_dir / "kassa.sqlite3")
        with connection:
            connection.execute(
                "UPDATE terminals_terminal SET blind_close = 1, cash_move_slip = 1, "
                "variance_amount = '5.00'"
            )
            connection.execute(
                "UPDATE terminals_paymentmethod SET variance_amount = '0.00' WHERE name = 'Card'"
            )
        connection.close()
        yield shop


@pytest.fixture
def till(context: BrowserContext, shop: Shop) -> Iterator[Till]:
    till = Till(context.new_page(), shop.server)
    yield till
    assert till.errors == []


def receipts(data: bytes) -> list[list[Element]]:
    """The printer's bytes as receipts, cut by cut."""
    found: list[list[Element]] = []
    decoder = EscPosDecoder(on_cut=lambda elements: found.append(list(elements)))
    decoder.feed(data)
    return found


def text_of(elements: list[Element]) -> str:
    return "\n".join(line.rstrip() for line in render_text(elements, 48).splitlines()).strip("\n")


def masked(text: str) -> str:
    """The report's words with the clock's readings masked (dates and times of this run)."""
    text = re.sub(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", "YYYY-MM-DD hh:mm", text)
    text = re.sub(r"\d{4}-\d{2}-\d{2}", "YYYY-MM-DD", text)
    text = re.sub(r"(Month|Year) \d{4}(-\d{2})?", r"\1 PERIOD", text)
    text = re.sub(r"^Journal .*$", "Journal <first seq> - <last seq>", text, flags=re.MULTILINE)
    return re.sub(r"^\d{2}:\d{2} ", "hh:mm ", text, flags=re.MULTILINE)


def menu(till: Till, item: str) -> None:
    till.page.click("[data-test=menu]")
    till.page.click(f"[data-test=menu-drawer] >> text={item}")


def cash_move(till: Till, kind: str, amount: str, reason: str) -> None:
    menu(till, "Cash in / out / drop")
    till.page.click(f"[data-test=move-kind][data-kind={kind}]")
    till.page.fill("[data-test=move-amount]", amount)
    till.page.click(f"[data-test=move-reason][data-code={reason}]")
    till.page.click("[data-test=move-submit]")
    till.wait_for_sale()


def journal(till: Till) -> list[dict[str, Any]]:
    """The till's journal entries, parsed, from its IndexedDB."""
    rows = till.page.evaluate(
        """() => new Promise((resolve, reject) => {
          const open = indexedDB.open("kassa-terminal");
          open.onsuccess = () => {
            const request = open.result.transaction("journal").objectStore("journal").getAll();
            request.onsuccess = () => resolve(request.result.map((r) => r.canonical));
            request.onerror = () => reject(request.error);
          };
        })"""
    )
    return [json.loads(row) for row in rows]


def test_a_blind_offline_close_approved_by_a_manager_prints_the_z_the_server_agrees(
    till: Till, shop: Shop, printer: TcpPrinter
) -> None:
    sync_bodies: list[bytes] = []

    def keep_sync(request: Request) -> None:
        if request.url.endswith("/api/v1/orders/sync") and request.post_data_buffer:
            sync_bodies.append(request.post_data_buffer)

    till.page.on("request", keep_sync)
    till.start(opening_float="100")
    pair_devices(till)
    # a cash sale: 1.49 paid with 5.00, change 3.51
    till.add("Baguette")
    till.page.click("[data-test=pay]")
    till.pay("Cash", "5")
    till.validate()
    till.new_order()
    # a cash in of 20.00 and a safe drop of 50.00: each a slip and a drawer kick
    cash_move(till, "in", "20", "FLOAT")
    cash_move(till, "drop", "50", "SAFE")
    wait_until(lambda: len(receipts(printer.printed())) == 3)
    slips = [text_of(r) for r in receipts(printer.printed())[1:]]
    assert "CASH IN" in slips[0] and "20.00 EUR" in slips[0]
    assert "SAFE DROP" in slips[1] and "50.00 EUR" in slips[1]
    # the X report, on screen and printed; blind: without what is expected
    menu(till, "X report")
    till.page.wait_for_selector("[data-test=x-report]")
    till.page.click("[data-test=print-x]")
    wait_until(lambda: len(receipts(printer.printed())) == 4)
    x = text_of(receipts(printer.printed())[3])
    assert "X REPORT" in x and "Expected" not in x and "71.49" not in x
    till.page.click("[data-test=x-report] >> text=Back")
    till.wait_synced()

    # the server goes away: the whole close is done offline
    shop.server.stop()
    menu(till, "Close cash session")
    till.page.wait_for_selector("[data-test=close-screen][data-blind=true]")
    # blind: what is expected (100 + 1.49 + 20 - 50 = 71.49) is nowhere in the page
    assert till.page.locator("[data-test=close-expected]").count() == 0
    assert "71.49" not in till.page.content()
    # new sales are stopped: even a reload comes back to the close, not to the sale screen
    till.page.reload()
    till.page.wait_for_selector("[data-test=close-screen]")
    assert till.page.locator("[data-test=search]").count() == 0
    # count 60.00 by denomination (50 + 10) and declare no card payments
    cash = "[data-test=count-method][data-method=Cash]"
    till.page.fill(f"{cash} [data-test=denomination][data-value='50.00']", "1")
    till.page.fill(f"{cash} [data-test=denomination][data-value='10.00']", "1")
    assert till.page.inner_text(f"{cash} [data-test=count-amount]") == "60.00"
    till.page.fill("[data-test=count-total][data-method=Card]", "0")
    till.page.click("[data-test=record-count]")
    # the variance is shown, above the 5.00 limit: the close waits for approval or a recount
    till.page.wait_for_selector("[data-test=variance-over]")
    assert till.page.inner_text("[data-test=close-variance]") == "-11.49"
    assert till.page.is_disabled("[data-test=confirm-close]")
    till.page.fill("[data-test=variance-note]", "coins roll missing")
    till.page.click("[data-test=approve-variance]")
    # a cashier's PIN cannot approve: Alice's own PIN is refused
    till.pin(PIN["Alice"], pad="manager-pin-keys")
    till.page.wait_for_selector("[data-test=manager-dialog] >> text=Wrong PIN")
    # the manager's PIN approves
    till.pin(PIN["Maria (manager)"], pad="manager-pin-keys")
    till.page.wait_for_selector("[data-test=variance-approved]")
    till.page.click("[data-test=confirm-close]")
    till.page.wait_for_selector("[data-test=z-report][data-z-no='1']")

    # the Z prints at the network printer, and its text is the snapshot's
    wait_until(lambda: len(receipts(printer.printed())) == 5)
    z_text = masked(text_of(receipts(printer.printed())[4]))
    if not SNAPSHOT.exists():  # written once, then compared: commit the file
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(z_text + "\n")
    assert z_text == SNAPSHOT.read_text().rstrip("\n")
    # a reprint says DUPLICATE, from the stored Z
    till.page.click("[data-test=z-report] summary")
    till.page.click("[data-test=reprint-z]")
    wait_until(lambda: len(receipts(printer.printed())) == 6)
    reprint = receipts(printer.printed())[5]
    assert TextLine("DUPLICATE", "center", bold=True) in reprint
    assert (
        masked(text_of([e for e in reprint if e != TextLine("DUPLICATE", "center", bold=True)]))
        == z_text
    )

    # the till's journal: each count attempt, the moves, the X printed, one Z_CLOSE
    entries = journal(till)
    types = [e["type"] for e in entries]
    assert types.count("CASH_MOVE") == 2 and types.count("CASH_COUNT") == 1
    assert types.count("X_REPORT") == 1 and types.count("Z_CLOSE") == 1
    (z,) = [e["payload"] for e in entries if e["type"] == "Z_CLOSE"]
    opened = next(e["seq"] for e in entries if e["type"] == "SESSION_OPEN")
    closed = next(e["seq"] for e in entries if e["type"] == "Z_CLOSE")
    assert z["seq"] == {"first": opened, "last": closed - 1}
    assert z["z_no"] == 1 and z["counts"] == {"attempts": 1, "blind": True}
    assert z["cash"]["expected"] == "71.49" and z["cash"]["counted"] == "60.00"
    assert z["variance"]["approval"]["approver"]["name"] == "Maria (manager)"
    assert z["variance"]["approval"]["note"] == "coins roll missing"

    # back online: the close syncs, and the server's Z is the till's, byte for byte
    shop.server.start()
    till.wait_synced(timeout=60_000)
    wait_until(lambda: bool(server_z(shop)), timeout=30)
    (stored,) = server_z(shop)
    assert stored == z
    # and the server's own computation from the entries gives the same Z: no alert
    assert shop.server.query("SELECT z_no, verification FROM cash_zreport") == [(1, "ok")]
    assert shop.server.query("SELECT count(*) FROM journal_integrityalert") == [(0,)]
    assert shop.server.query("SELECT state FROM cash_cashsession") == [("closed",)]

    # a cash move's entry sent again ten times (a slow network's retries) is stored once
    (move_body,) = [b for b in sync_bodies if b'\\"CASH_MOVE\\"' in b][:1]
    token = till.page.evaluate(
        """() => new Promise((resolve) => {
          const open = indexedDB.open("kassa-terminal");
          open.onsuccess = () => {
            const r = open.result.transaction("meta").objectStore("meta").get("pairing");
            r.onsuccess = () => resolve(r.result.token);
          };
        })"""
    )
    for _ in range(10):
        request = urllib.request.Request(
            f"{shop.server.url}/api/v1/orders/sync",
            data=move_body,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
    assert shop.server.query("SELECT count(*) FROM cash_cashmove") == [(2,)]


def server_z(shop: Shop) -> list[dict[str, Any]]:
    """The Zs the server stored: the Z_CLOSE entries' payloads, as received."""
    rows = shop.server.query(
        "SELECT canonical FROM journal_terminalentry WHERE type = 'Z_CLOSE' ORDER BY seq"
    )
    return [json.loads(bytes(row[0]))["payload"] for row in rows]
