"""Refunds in real Chromium (docs/refunds.md), with the real server and hardware proxy and a
network printer on 127.0.0.1: the receipt's printed code scanned on the proxy's scanner
opens the refund; a cash refund prints a REFUND receipt and kicks the drawer, a card refund
does not; the server stores each refund once, linked to its original. And a browser
SIGKILLed right after a refund's *Validate* syncs it once."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import Playwright

from kassa.proxy.devices.escpos_decoder import Barcode, EscPosDecoder

from .conftest import KassaServer, Till
from .test_journal_recovery import Chromium, chromium, open_till  # noqa: F401  (fixture)
from .test_till import (  # noqa: F401  (fixtures)
    CUT,
    KICK,
    Display,
    Shop,
    display,
    pair_devices,
    print_state,
    printer,
    shop,
    till,
    wait_until,
)
from .test_till import Printer as TcpPrinter

pytestmark = pytest.mark.browser


def receipts(data: bytes) -> list[list[Any]]:
    """The printed receipts, each as its decoded elements."""
    found: list[list[Any]] = []
    EscPosDecoder(on_cut=lambda elements: found.append(list(elements))).feed(data)
    return found


def text_of(receipt: list[Any]) -> str:
    return "\n".join(getattr(element, "text", "") for element in receipt)


def orders(server: KassaServer) -> list[tuple[Any, ...]]:
    return server.query(
        "SELECT id, receipt_number, kind, original_id, total_gross FROM orders_order ORDER BY id"
    )


def refund_lines(cashier: Till, picks: dict[int, int], reason: str = "UNWANTED") -> None:
    cashier.page.wait_for_selector("[data-test=refund-original]")
    for position, times in picks.items():
        for _ in range(times):
            cashier.page.click(
                f"[data-test=refund-line][data-position='{position}'] [data-test=refund-more]"
            )
    cashier.page.click(f"[data-test=refund-reason][data-code={reason}]")
    cashier.page.click("[data-test=refund-confirm]")
    # a cashier's refund needs a manager's approval (docs/permissions.md): Maria's PIN
    cashier.page.wait_for_selector("[data-test=manager-dialog]")
    cashier.pin("9999", pad="manager-pin-keys")
    cashier.page.wait_for_selector("[data-test=validate]")


def test_scan_the_receipt_refund_in_cash_then_by_card(
    till: Till,  # noqa: F811
    shop: Shop,  # noqa: F811
    printer: TcpPrinter,  # noqa: F811
    display: Display,  # noqa: F811
) -> None:
    server = shop.server
    # given a cash sale of a baguette and two croissants, printed and synced
    till.start()
    pair_devices(till)
    till.add("Baguette")
    till.add("Croissant")
    till.add("Croissant")
    till.page.click("[data-test=pay]")
    till.page.click("[data-test=quick-cash] [data-amount='500']")
    sold = till.validate()
    assert print_state(till, "printed") == "Receipt printed"
    till.wait_synced()
    till.new_order()
    (sale,) = receipts(printer.printed())
    (code,) = [element for element in sale if isinstance(element, Barcode)]
    assert code.data == sold
    # when the code printed on it is scanned on the proxy's scanner
    shop.proxy.call("virtual/scan", {"code": code.data})
    # then the refund screen shows the sale, nothing refunded yet
    till.page.wait_for_selector(f"[data-test=refund-original][data-receipt='{sold}']")
    left = till.page.locator("[data-test=refund-left]").all_inner_texts()
    assert left == ["1", "2"]
    # when one croissant is refunded for a reason, in cash (the original's tender)
    refund_lines(till, {1: 1})
    assert till.page.inner_text("[data-test=pay-total]") == "-€0.95"
    assert till.page.locator("[data-test=payment]").all_inner_texts()[0].startswith("Cash")
    refunded = till.validate()
    # then the printer receives a REFUND receipt naming the sale, and the drawer kick
    assert print_state(till, "printed") == "Receipt printed"
    wait_until(lambda: printer.printed().count(CUT) == 2)
    data = printer.printed()
    assert data.endswith(CUT + KICK) and data.count(KICK) == 2
    paper = text_of(receipts(data)[1])
    assert "REFUND" in paper
    assert f"refund of no. {sold} of" in paper
    assert "-0.95" in paper
    # and the customer display shows the amount returned
    frame = display.wait_for(lambda f: f[0].startswith("Refund"))
    assert frame[1].endswith("0.95 EUR")
    # and the server stores the refund once, linked to the sale
    till.wait_synced()
    till.new_order()
    rows = orders(server)
    assert [(r[1], r[2], r[3], Decimal(str(r[4]))) for r in rows] == [
        (sold, "sale", None, Decimal("3.39")),
        (refunded, "refund", rows[0][0], Decimal("-0.95")),
    ]
    # when the baguette is refunded too, by card this time
    till.page.click("[data-test=refund]")
    till.page.fill("[data-test=refund-number]", sold)
    till.page.click("[data-test=refund-find]")
    till.page.wait_for_selector("[data-test=refunded-before]")
    assert till.page.locator("[data-test=refund-left]").all_inner_texts() == ["1", "1"]
    refund_lines(till, {0: 1}, reason="DEFECT")
    till.page.click("[data-test=payment] [aria-label='Remove payment']")
    till.pay("Card")
    by_card = till.validate()
    # then its receipt prints, and the drawer stays shut
    wait_until(lambda: printer.printed().count(CUT) == 3)
    time.sleep(0.5)
    assert printer.printed().count(KICK) == 2
    # and the server holds both refunds once each, and the line's ledger
    till.wait_synced()
    assert [r[1] for r in orders(server) if r[2] == "refund"] == [refunded, by_card]
    ledger = server.query(
        "SELECT l.name, g.quantity, g.gross FROM orders_refundledger g "
        "JOIN orders_orderline l ON l.id = g.line_id ORDER BY l.position"
    )
    assert [(n, Decimal(str(q)), Decimal(str(g))) for n, q, g in ledger] == [
        ("Baguette", Decimal("1"), Decimal("1.49")),
        ("Croissant", Decimal("1"), Decimal("0.95")),
    ]
    assert server.query("SELECT COUNT(*) FROM orders_refundflag") == [(0,)]
    # each with the manager's approval it went ahead on, and none under review
    assert server.query("SELECT action FROM orders_orderapproval ORDER BY id") == [
        ("REFUND",),
        ("REFUND",),
    ]
    assert server.query("SELECT COUNT(*) FROM orders_order WHERE review_code != ''") == [(0,)]
    # and a second refund of more than is left is refused at the till
    till.new_order()
    till.page.click("[data-test=refund]")
    till.page.fill("[data-test=refund-number]", sold)
    till.page.click("[data-test=refund-find]")
    till.page.wait_for_selector("[data-test=refund-original]")
    assert till.page.locator("[data-test=refund-left]").all_inner_texts() == ["0", "1"]
    assert till.page.is_disabled(
        "[data-test=refund-line][data-position='0'] [data-test=refund-more]"
    )


def test_a_browser_killed_right_after_a_refunds_validate_syncs_it_once(
    chromium: Chromium,  # noqa: F811
    playwright: Playwright,
    server: KassaServer,
) -> None:
    # given a till that sold two croissants, synced
    till = open_till(chromium, playwright, server)  # noqa: F811
    till.start()
    till.add("Croissant")
    till.add("Croissant")
    sold = till.checkout("Cash")
    till.wait_synced()
    till.new_order()
    # when one is refunded and the browser is killed right after Validate
    till.page.click("[data-test=refund]")
    till.page.fill("[data-test=refund-number]", sold)
    till.page.click("[data-test=refund-find]")
    refund_lines(till, {0: 1})
    till.page.click("[data-test=validate]", no_wait_after=True)
    time.sleep(0.3)
    chromium.kill()
    # then after a restart the refund is either kept or still open, never half
    till = open_till(chromium, playwright, server)
    till.open()
    till.login("Alice")
    till.wait_for_sale()
    if till.page.locator("[data-test=line-returned]").count():
        till.page.click("[data-test=pay]")
        till.validate()
        till.new_order()
    # and it reaches the server once, linked, and cannot be refunded beyond what is left
    till.wait_synced(timeout=60_000)
    rows = orders(server)
    assert [(r[2], Decimal(str(r[4]))) for r in rows] == [
        ("sale", Decimal("1.90")),
        ("refund", Decimal("-0.95")),
    ]
    assert rows[1][3] == rows[0][0]
    till.page.click("[data-test=refund]")
    till.page.fill("[data-test=refund-number]", sold)
    till.page.click("[data-test=refund-find]")
    till.page.wait_for_selector("[data-test=refund-original]")
    assert till.page.locator("[data-test=refund-left]").all_inner_texts() == ["1"]
    assert server.query("SELECT COUNT(*) FROM orders_refundflag") == [(0,)]
    assert till.errors == []
