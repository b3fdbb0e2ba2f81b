"""Cashier login (offline PIN check and lockout), opening and closing the cash session, and
two tabs of the same terminal."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import BrowserContext

from .conftest import KassaServer, Till

pytestmark = pytest.mark.browser


def test_wrong_pins_lock_the_cashier_even_after_a_reload(till: Till) -> None:
    till.open()
    till.pair()
    till.page.click("[data-test=cashier-tile][data-name='Bob']")
    for _attempt in range(4):
        till.pin("0000")
        till.page.wait_for_selector("[data-test=pin-error]:has-text('Wrong PIN')")
    till.pin("0000")
    till.page.wait_for_selector("[data-test=locked]")
    # the lock is kept in IndexedDB: a reload does not reset it
    till.page.reload()
    till.page.click("[data-test=cashier-tile][data-name='Bob']")
    till.page.wait_for_selector("[data-test=locked]")
    # another cashier is not locked
    till.login("Alice")
    till.page.wait_for_selector("[data-test=open-session]")


def test_close_the_session_with_the_counted_cash(till: Till, server: KassaServer) -> None:
    till.start(opening_float="100")
    till.add("Baguette")
    till.page.click("[data-test=pay]")
    till.pay("Cash", "5")  # 1.49, change 3.51
    till.validate()
    till.new_order()
    till.page.click("[data-test=menu]")
    till.page.click("[data-test=menu-drawer] >> text=Close cash session")
    # not a blind close: what is expected is shown, from the till's journal
    expected = "[data-test=close-expected][data-method=Cash]"
    till.page.wait_for_selector(expected)
    assert till.page.inner_text(expected) == "101.49"
    till.page.click("[data-test=count-method][data-method=Cash] [data-test=mode-total]")
    till.page.fill("[data-test=count-total][data-method=Cash]", "100")
    till.page.fill("[data-test=count-total][data-method=Card]", "0")
    till.page.click("[data-test=record-count]")
    assert till.page.inner_text("[data-test=close-difference][data-method=Cash]") == "-1.49"
    till.page.click("[data-test=confirm-close]")
    till.page.wait_for_selector("[data-test=cashier-tile]")
    till.wait_synced()
    ((state, counted, expected, difference),) = server.query(
        "SELECT state, CAST(counted_cash AS TEXT), CAST(expected_cash AS TEXT), "
        "CAST(difference AS TEXT) FROM cash_cashsession"
    )
    assert state == "closed"
    assert [Decimal(v).quantize(Decimal("0.01")) for v in (counted, expected, difference)] == [
        Decimal("100.00"),
        Decimal("101.49"),
        Decimal("-1.49"),
    ]
    # the next cashier is offered what the Z counted as the float, and opens a new session
    till.login("Bob")
    assert till.page.inner_text("[data-test=float-amount]") == "€100.00"
    for _key in "100.00":
        till.page.click("[data-test=float-pad] [data-key='⌫']")
    till.open_session("50")
    till.wait_synced()
    assert server.query("SELECT count(*) FROM cash_cashsession WHERE state = 'open'") == [(1,)]


def test_two_tabs_never_share_a_receipt_number_and_one_syncs(
    context: BrowserContext, server: KassaServer
) -> None:
    first = Till(context.new_page(), server)
    first.start()
    second = Till(context.new_page(), server)
    second.open()
    second.login("Bob")  # a new tab asks for a PIN, the session is the terminal's
    second.wait_for_sale()
    barcode = server.barcode("Croissant")
    numbers = []
    for _ in range(3):
        for till in (first, second):
            till.page.bring_to_front()
            till.scan(barcode)
            till.page.wait_for_selector("[data-test=line]")
            numbers.append(till.checkout("Cash"))
            till.new_order()
    assert len(set(numbers)) == 6
    locks = first.page.evaluate("navigator.locks.query()")
    assert [lock["name"] for lock in locks["held"]] == ["kassa-sync"]
    assert [lock["name"] for lock in locks["pending"]] == ["kassa-sync"]
    first.wait_synced()
    second.wait_synced()
    assert sorted(o["receipt_number"] for o in server.orders()) == sorted(numbers)
    assert first.errors == second.errors == []
