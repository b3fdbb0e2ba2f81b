"""Permissions at the till (docs/permissions.md), in Chromium against the real server: a
cashier without LINE_VOID changes nothing by Backspace, the numpad or the console; a
manager's approval voids the line and keeps it; one approval does not serve two changes;
rights follow the cashier logged in; five wrong manager PINs lock approvals offline, and
the login with them."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import KassaServer, Till

pytestmark = pytest.mark.browser

DIALOG = "[data-test=manager-dialog]"
REMOVE = "[data-test=remove-line]"

CONSOLE_VOID = """async () => {
  const flows = await import("/pos/flows/order.js");
  const cart = await import("/pos/domain/cart.js");
  const first = flows.currentOrder().lines[0].id;
  return flows.change((order) => cart.removeLine(order, first));
}"""

REUSE_APPROVAL = """async () => {
  const flows = await import("/pos/flows/order.js");
  const cart = await import("/pos/domain/cart.js");
  const order = flows.currentOrder();
  const grant = order.approvals.find((a) => a.action === "LINE_VOID" && !a.alone);
  const kept = order.lines.find((l) => !l.voided).id;
  // the void's approval for the other line, as given and rebound to it
  const again = flows.change((o) => cart.removeLine(o, kept), { approval: grant });
  const rebound = { ...grant, subject: { ...grant.subject, line: kept } };
  const copied = flows.change((o) => cart.removeLine(o, kept), { approval: rebound });
  return [again, copied, flows.currentOrder().lines.filter((l) => !l.voided).length];
}"""

ORDER_LINES = """async () => {
  const { getState } = await import("/pos/state/store.js");
  return getState().order.lines.map((l) => [l.name, l.quantity, Boolean(l.voided)]);
}"""


def cancel(till: Till) -> None:
    till.page.click(f"{DIALOG} [aria-label=Close]")
    till.page.wait_for_selector(DIALOG, state="detached")


def switch(till: Till, name: str) -> None:
    till.page.click("[data-test=menu]")
    till.page.click("[data-test=menu-drawer] >> text=Lock (change cashier)")
    till.login(name)
    till.wait_for_sale()


def test_voids_need_an_approval_whatever_the_input_and_one_approval_serves_once(
    till: Till, server: KassaServer
) -> None:
    till.start()
    till.add("Croissant")
    till.add("Baguette")
    till.page.click("[data-test=line] >> nth=1")
    till.numpad("3")  # raising a quantity is the cashier's
    # the buttons say what needs an approval
    assert till.page.get_attribute(REMOVE, "data-right") == "needs_approval"
    assert till.page.get_attribute(".keypad [data-mode=price]", "data-right") == "needs_approval"
    assert till.page.get_attribute(".keypad [data-mode=discount]", "data-right") == "limited"
    before = till.lines()
    assert before == [("Croissant", "1", "€0.95"), ("Baguette", "3", "€4.47")]

    # Backspace on the selected line asks for an approval; cancelled, nothing changes
    till.page.keyboard.press("Backspace")
    till.page.wait_for_selector(DIALOG)
    cancel(till)
    assert till.lines() == before
    # the numpad lowering the quantity: the same
    till.numpad("1", mode="qty")
    till.page.wait_for_selector(DIALOG)
    cancel(till)
    assert till.lines() == before
    # a call from the console into the order code is refused outright
    assert till.page.evaluate(CONSOLE_VOID) is False
    assert till.toast() == "That needs an approval."
    assert till.lines() == before

    # a manager approves: the line is voided, gone from the screen, kept on the order
    till.page.click("[data-test=line] >> nth=0")
    till.page.click(REMOVE)
    till.page.wait_for_selector(DIALOG)
    till.pin("9999", pad="manager-pin-keys")
    till.page.wait_for_selector(DIALOG, state="detached")
    # the change follows the approval's OVERRIDE entry into the journal
    till.page.wait_for_selector("[data-test=line] >> nth=1", state="detached")
    assert till.lines() == [("Baguette", "3", "€4.47")]
    assert till.page.evaluate(ORDER_LINES) == [
        ["Croissant", 1000, True],
        ["Baguette", 3000, False],
    ]
    # the same approval for a second change is refused, as given and rebound
    assert till.page.evaluate(REUSE_APPROVAL) == [False, False, 1]
    assert till.lines() == [("Baguette", "3", "€4.47")]

    # rights follow the cashier logged in now
    switch(till, "Maria (manager)")
    assert till.page.get_attribute(REMOVE, "data-right") == "allowed"
    switch(till, "Alice")
    assert till.page.get_attribute(REMOVE, "data-right") == "needs_approval"

    # paid and synced: the server keeps the voided line and the approval, unflagged
    till.checkout("Card")
    till.wait_synced()
    ((order_id, review, gross),) = server.query(
        "SELECT id, review_code, CAST(total_gross AS TEXT) FROM orders_order"
    )
    assert (review, gross) == ("", "4.47")
    lines = server.query(
        "SELECT name, CAST(quantity AS TEXT), voided FROM orders_orderline "
        "WHERE order_id = ? ORDER BY position",
        (order_id,),
    )
    assert [(n, float(q), bool(v)) for n, q, v in lines] == [
        ("Baguette", 3.0, False),
        ("Croissant", 1.0, True),
    ]
    ((maria,),) = server.query("SELECT id FROM staff_cashier WHERE name = 'Maria (manager)'")
    approvals: list[Any] = server.query(
        "SELECT action, approved_by_id, approver_role FROM orders_orderapproval"
    )
    assert approvals == [("LINE_VOID", maria, "manager")]
    (override,) = server.query("SELECT COUNT(*) FROM journal_terminalentry WHERE type = 'OVERRIDE'")
    assert override == (1,)


def test_five_wrong_manager_pins_lock_approvals_offline(till: Till, server: KassaServer) -> None:
    till.start()
    till.wait_synced()
    server.stop()
    till.page.wait_for_selector("[data-test=online][data-online=false]", timeout=30_000)
    till.add("Croissant")
    till.page.click(REMOVE)
    till.page.wait_for_selector(DIALOG)
    for _attempt in range(4):
        till.pin("1111", pad="manager-pin-keys")
        till.page.wait_for_selector(f"{DIALOG} [data-test=pin-error]:has-text('Wrong PIN')")
    till.pin("1111", pad="manager-pin-keys")
    till.page.wait_for_selector(f"{DIALOG} [data-test=pin-error]:has-text('Locked for')")
    # locked: the right PIN is not even checked
    till.pin("9999", pad="manager-pin-keys")
    till.page.wait_for_selector(f"{DIALOG} [data-test=pin-error]:has-text('Locked for')")
    cancel(till)
    assert till.lines() == [("Croissant", "1", "€0.95")]
    # the lock is the login's too
    till.page.click("[data-test=menu]")
    till.page.click("[data-test=menu-drawer] >> text=Lock (change cashier)")
    till.page.click("[data-test=cashier-tile][data-name='Maria (manager)']")
    till.page.wait_for_selector("[data-test=locked]")
