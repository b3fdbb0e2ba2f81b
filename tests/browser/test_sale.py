"""Selling at the till in real Chromium: taps, scans as fast keystrokes, payments, and what
the server stored afterwards."""

from __future__ import annotations

from decimal import Decimal

import pytest

from .conftest import KassaServer, Till

pytestmark = pytest.mark.browser


def ean13(first12: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return first12 + str((10 - total % 10) % 10)


def test_full_sale_with_split_payment_and_change(till: Till, server: KassaServer) -> None:
    # given a paired till with an open session
    till.start()
    # when the cashier taps products (a second tap merges) and splits the payment
    till.add("Baguette")
    till.add("Croissant")
    till.search("Croissant")
    till.page.click("[data-test=tile][data-name='Croissant']")
    till.page.click("[data-test=clear-search]")
    till.add("Gift wrapping")  # 2.00 + 21 % tax on top
    assert till.lines() == [
        ("Baguette", "1", "€1.49"),
        ("Croissant", "2", "€1.90"),
        ("Gift wrapping", "1", "€2.42"),
    ]
    assert till.total() == "€5.81"
    till.page.click("[data-test=pay]")
    till.pay("Card", "3")
    assert till.page.inner_text("[data-test=pay-remaining]") == "€2.81"
    assert not till.page.is_enabled("[data-test=validate]")
    till.page.click("[data-test=quick-cash] [data-amount='500']")
    # then the change is shown and the order can be validated
    assert till.page.inner_text("[data-test=pay-change]") == "€2.19"
    number = till.validate()
    assert number == "POS1-1-000001"
    assert till.page.inner_text("[data-test=receipt-change]").split("\n")[-1] == "€2.19"
    till.wait_synced()
    # and the server has the order once, with its lines and payments
    (order,) = server.orders()
    assert order["receipt_number"] == "POS1-1-000001"
    assert order["gross"] == Decimal("5.81")
    assert order["change"] == Decimal("2.19")
    assert order["payments"] == [("Card", Decimal("3.00")), ("Cash", Decimal("5.00"))]
    assert [(name, qty, gross) for name, qty, gross, _, _ in order["lines"]] == [
        ("Baguette", Decimal("1.000"), Decimal("1.49")),
        ("Croissant", Decimal("2.000"), Decimal("1.90")),
        ("Gift wrapping", Decimal("1.000"), Decimal("2.42")),
    ]


def test_scanned_weighed_item_and_plain_barcodes(till: Till, server: KassaServer) -> None:
    till.start()
    bananas = server.barcode("Bananas")  # 21IIIII00000C: the weight code's lookup key
    baguette = server.barcode("Baguette")
    weighed = ean13(bananas[:7] + "01234")  # 1.234 kg
    # when the scanner types the codes with nothing focused
    till.scan(weighed)
    till.scan(baguette)
    till.scan(baguette)
    # then the weight comes from the barcode and the plain scans merge
    till.page.wait_for_function("document.querySelectorAll('[data-test=line]').length === 2")
    assert till.lines() == [("Bananas", "1.234 kg", "€2.46"), ("Baguette", "2", "€2.98")]
    till.checkout("Cash")
    till.wait_synced()
    (order,) = server.orders()
    assert [(name, qty, gross) for name, qty, gross, _, _ in order["lines"]] == [
        ("Bananas", Decimal("1.234"), Decimal("2.46")),
        ("Baguette", Decimal("2.000"), Decimal("2.98")),
    ]


def test_scan_while_typing_in_the_search_box_and_bad_barcodes(
    till: Till, server: KassaServer
) -> None:
    till.start()
    # given the cashier is typing a search
    till.page.click("[data-test=search]")
    till.page.keyboard.type("cro", delay=120)
    # when a scan arrives while the search box has the focus
    till.scan(server.barcode("Baguette"))
    # then the product is added and the search text is left as it was
    till.page.wait_for_selector("[data-test=line]")
    assert till.page.input_value("[data-test=search]") == "cro"
    assert till.lines() == [("Baguette", "1", "€1.49")]
    # when a misread and an unknown code are scanned
    till.page.click("[data-test=clear-search]")
    good = server.barcode("Croissant")
    misread = good[:-1] + str((int(good[-1]) + 1) % 10)
    till.scan(misread)
    till.page.wait_for_selector("[data-test=toast]:has-text('misread')")
    till.scan(ean13("400000000001"))
    till.page.wait_for_selector("[data-test=toast]:has-text('Unknown barcode')")
    # then the sale goes on
    till.scan(good)
    till.page.wait_for_function("document.querySelectorAll('[data-test=line]').length === 2")
    assert till.total() == "€2.44"
    assert till.checkout("Card") == "POS1-1-000001"


def test_discount_above_the_limit_and_price_change_need_a_manager(
    till: Till, server: KassaServer
) -> None:
    till.start()
    till.add("Sourdough loaf")  # 3.95
    till.add("Baguette")  # 1.49
    # a discount within the terminal's limit (10 %) needs nobody
    till.numpad("5", mode="discount")
    assert till.lines()[1][2] == "€1.42"
    # a price change asks a manager; a wrong PIN does nothing
    till.page.click("[data-test=line] >> nth=0")
    till.numpad("3", mode="price")
    till.page.wait_for_selector("[data-test=manager-dialog]")
    till.pin("1111", pad="manager-pin-keys")
    till.page.wait_for_selector("[data-test=pin-error]:has-text('Wrong PIN')")
    assert till.lines()[0][2] == "€3.95"
    till.pin("9999", pad="manager-pin-keys")
    till.page.wait_for_selector("[data-test=manager-dialog]", state="detached")
    assert till.lines()[0][2] == "€3.00"
    # a discount above the limit too
    till.page.click("[data-test=line] >> nth=1")
    till.numpad("15", mode="discount")
    till.page.wait_for_selector("[data-test=manager-dialog]")
    till.pin("9999", pad="manager-pin-keys")
    till.page.wait_for_selector("[data-test=manager-dialog]", state="detached")
    assert till.lines()[1][2] == "€1.27"
    till.checkout("Card")
    till.wait_synced()
    ((maria,),) = server.query("SELECT id FROM staff_cashier WHERE name = 'Maria (manager)'")
    (order,) = server.orders()
    assert [
        (name, gross, discount, approver) for name, _, gross, discount, approver in order["lines"]
    ] == [
        ("Sourdough loaf", Decimal("3.00"), Decimal("0"), maria),
        ("Baguette", Decimal("1.27"), Decimal("15"), maria),
    ]


def test_park_resume_and_note(till: Till, server: KassaServer) -> None:
    till.start()
    # given an order parked while another customer is served
    till.add("Baguette")
    till.page.click("[data-test=park]")
    till.add("Croissant")
    assert till.checkout("Cash") == "POS1-1-000001"
    till.new_order()
    # when the parked order is resumed, noted and paid
    till.page.click("[data-test=order-tab]")
    assert till.lines() == [("Baguette", "1", "€1.49")]
    till.page.click("[data-test=note]")
    till.page.fill("[data-test=note-input]", "Collect at the counter")
    till.page.click("[data-test=save-note]")
    assert till.checkout("Card") == "POS1-1-000002"
    till.wait_synced()
    orders = server.orders()
    assert [(o["receipt_number"], o["gross"], o["note"]) for o in orders] == [
        ("POS1-1-000001", Decimal("0.95"), ""),
        ("POS1-1-000002", Decimal("1.49"), "Collect at the counter"),
    ]


def test_quantity_from_the_numpad_and_remove_line(till: Till) -> None:
    till.start()
    till.add("Croissant")
    till.add("Baguette")
    till.numpad("3")
    till.page.click("[data-test=line] >> nth=0")
    # a cashier's Remove asks for an approval (docs/permissions.md)
    till.page.click("[data-test=remove-line]")
    till.page.wait_for_selector("[data-test=manager-dialog]")
    till.pin("9999", pad="manager-pin-keys")
    till.page.wait_for_selector("[data-test=manager-dialog]", state="detached")
    till.page.wait_for_selector("[data-test=line] >> nth=1", state="detached")
    assert till.lines() == [("Baguette", "3", "€4.47")]
    assert till.page.inner_text("[data-test=pay]").split("\n") == ["Pay", "€4.47"]


def test_weighed_product_from_a_tile_asks_its_weight(till: Till, server: KassaServer) -> None:
    till.start()
    till.search("Bananas")
    till.page.click("[data-test=tile][data-name='Bananas']")
    till.page.wait_for_selector("[data-test=weight-dialog]")
    for key in "0.7":
        till.page.click(f"[data-test=weight-pad] [data-key='{key}']")
    till.page.click("[data-test=weight-pad] [data-key=OK]")
    till.page.wait_for_selector("[data-test=weight-dialog]", state="detached")
    assert till.lines() == [("Bananas", "0.700 kg", "€1.39")]
    # typed on the keyboard's numeric keypad: the decimal key is not a scan character, so
    # the scan detector lets it through, and the pad must take it (it was lost: "0.05"
    # became "005", and 5 kg were sold)
    till.page.click("[data-test=tile][data-name='Bananas']")
    till.page.wait_for_selector("[data-test=weight-dialog]")
    till.page.keyboard.type("0.05")
    till.page.keyboard.press("Enter")
    till.page.wait_for_selector("[data-test=weight-dialog]", state="detached")
    assert till.lines() == [("Bananas", "0.700 kg", "€1.39"), ("Bananas", "0.050 kg", "€0.10")]
    till.checkout("Card")
    till.wait_synced()
    (order,) = server.orders()
    assert [line[:3] for line in order["lines"]] == [
        ("Bananas", Decimal("0.700"), Decimal("1.39")),
        ("Bananas", Decimal("0.050"), Decimal("0.10")),
    ]


def test_an_amount_with_too_many_decimals_is_refused_on_the_payment_pad(till: Till) -> None:
    # given an order on the payment screen, in a currency with 2 decimals
    till.start()
    till.add("Baguette")
    till.page.click("[data-test=pay]")
    # when the cashier types 1.234 on the payment pad and pays with it
    for key in "1.234":
        till.page.click(f"[data-test=pay-pad] [data-key='{key}']")
    till.page.click("[data-test=method][data-name='Cash']")
    # then the amount is refused and the payment screen keeps working
    till.page.wait_for_selector("[data-test=toast]:has-text('1.234 is not an amount')")
    assert till.page.get_attribute("[data-test=pay-amount]", "data-valid") == "false"
    assert till.page.locator("[data-test=payment]").count() == 0
    assert till.page.inner_text("[data-test=pay-remaining]") == "€1.49"
    # and once the amount is corrected the sale goes on
    till.page.click("[data-test=pay-pad] [data-key='⌫']")
    assert till.page.inner_text("[data-test=pay-amount]") == "€1.23"
    till.page.click("[data-test=method][data-name='Cash']")
    till.page.wait_for_function(
        "document.querySelector('[data-test=pay-remaining]').innerText === '€0.26'"
    )
    till.pay("Card")
    assert till.validate() == "POS1-1-000001"
