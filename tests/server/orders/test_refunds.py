"""Refunds at the server (docs/refunds.md): linked to their original, counted in the
original lines' ledger under its row lock, never refused, flagged when they break a rule."""

from __future__ import annotations

import json
import threading
import urllib.request
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from kassa.money import to_scaled
from kassa.server.cash.models import CashSession
from kassa.server.cash.selectors import session_expected_cash
from kassa.server.journal.models import IntegrityAlert, TerminalEntry
from kassa.server.orders.models import Order, OrderLine, RefundFlag, RefundLedger, SaleReview
from kassa.server.orders.refund_rule import NOTHING, Figures, refund_amounts
from kassa.server.reports.periods import business_day

from ..conftest import Device, OrderBuilder, Shop, pair
from .conftest import Journal


def _figures(line: dict[str, Any]) -> Figures:
    return Figures(
        to_scaled(line["quantity"], 3),
        to_scaled(line["net"], 2),
        to_scaled(line["tax"], 2),
        to_scaled(line["gross"], 2),
    )


def _text(minor: int) -> str:
    return str(Decimal(minor).scaleb(-2))


def refund(
    orders: OrderBuilder,
    original: dict[str, Any],
    picks: list[tuple[int, str]],
    *,
    before: dict[int, Figures] | None = None,
    method: str = "cash",
    session: CashSession | None = None,
    receipt_number: str | None = None,
) -> dict[str, Any]:
    """A refund as a correct till makes it: the original lines' own figures × q/Q, the
    last one what is left (given what was refunded `before`), paid out in one payment."""
    lines = []
    for position, quantity in picks:
        sold = original["lines"][position]
        taken = refund_amounts(
            original=_figures(sold),
            refunded=(before or {}).get(position, NOTHING),
            quantity=to_scaled(quantity, 3),
        )
        lines.append(
            {
                **{k: sold[k] for k in ("product_id", "unit_price", "discount", "tax_id")},
                **{k: sold[k] for k in ("tax_rate", "price_includes_tax")},
                "quantity": f"-{quantity}",
                "net": _text(-taken.net),
                "tax": _text(-taken.tax),
                "gross": _text(-taken.gross),
                "original_line": position,
                "reason": "DAMAGED",
            }
        )
    net = sum(Decimal(line["net"]) for line in lines)
    tax = sum(Decimal(line["tax"]) for line in lines)
    gross = sum(Decimal(line["gross"]) for line in lines)
    shop = orders.shop
    orders.counter[0] += 1
    return {
        "uuid": str(uuid.uuid4()),
        "kind": "refund",
        "original_uuid": original["uuid"],
        "receipt_number": receipt_number or f"POS1-1-{orders.counter[0]:06d}",
        "session_uuid": str((session or orders.session).uuid),
        "cashier_id": shop.alice.pk,
        "created_at": timezone.now().isoformat(),
        "lines": lines,
        "payments": [
            {"method_id": (shop.cash if method == "cash" else shop.card).pk, "amount": str(gross)}
        ],
        "change": "0",
        "totals": {"net": str(net), "tax": str(tax), "gross": str(gross)},
    }


def _sync(device: Device, *orders: dict[str, Any]) -> list[dict[str, Any]]:
    response = device.post("orders/sync", {"orders": list(orders)})
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_a_sale_refunded_in_two_steps_is_linked_counted_and_negates_it(
    device: Device, orders: OrderBuilder, shop: Shop
) -> None:
    # given 3 × 0.99 with 10 % off, paid in cash, synced
    sale = orders.order([orders.line(shop.cola, "3", discount="10")], cash="5.00")
    assert _sync(device, sale)[0]["status"] == "accepted"
    expected_before = session_expected_cash(orders.session)
    # when 1 is refunded in cash, then the other 2
    first = refund(orders, sale, [(0, "1")])
    second = refund(orders, sale, [(0, "2")], before={0: Figures(1000, 74, 15, 89)})
    assert [r["status"] for r in _sync(device, first)] == ["accepted"]
    assert [r["status"] for r in _sync(device, second)] == ["accepted"]
    # then both are stored as refunds of the sale, line to line, with their reason
    original = Order.objects.get(uuid=sale["uuid"])
    assert sorted(str(o.uuid) for o in original.refunds.all()) == sorted(
        [first["uuid"], second["uuid"]]
    )
    for sent in (first, second):
        stored = Order.objects.get(uuid=sent["uuid"])
        assert (stored.kind, stored.original_id, stored.review_code) == ("refund", original.pk, "")
        line = stored.lines.get()
        assert (line.original_line_id, line.reason) == (original.lines.get().pk, "DAMAGED")
    assert [first["totals"]["gross"], second["totals"]["gross"]] == ["-0.89", "-1.78"]
    # the ledger holds the whole line, to the cent: the original negated
    ledger = RefundLedger.objects.get(line=original.lines.get())
    assert (ledger.quantity, ledger.net, ledger.tax, ledger.gross, ledger.refunds) == (
        Decimal("3.000"),
        Decimal("2.21"),
        Decimal("0.46"),
        Decimal("2.67"),
        2,
    )
    assert RefundFlag.objects.count() == 0
    # and the session expects the cash paid out to have left the drawer
    assert session_expected_cash(orders.session) == expected_before - Decimal("2.67")


def test_a_refund_in_the_same_batch_as_its_original_finds_it(
    device: Device, orders: OrderBuilder, shop: Shop
) -> None:
    sale = orders.order([orders.line(shop.bread, "2"), orders.line(shop.cola, "1")])
    back = refund(orders, sale, [(1, "1")], method="card")
    assert [r["status"] for r in _sync(device, back, sale)] == ["accepted", "accepted"]
    stored = Order.objects.get(uuid=back["uuid"])
    assert stored.original == Order.objects.get(uuid=sale["uuid"])
    assert stored.lines.get().original_line.name == "Cola 330 ml"
    assert RefundFlag.objects.count() == 0


def test_a_retried_refund_is_counted_once(device: Device, orders: OrderBuilder, shop: Shop) -> None:
    sale = orders.order([orders.line(shop.cola, "2")])
    back = refund(orders, sale, [(0, "1")])
    _sync(device, sale)
    assert [r["status"] for r in _sync(device, back)] == ["accepted"]
    assert [r["status"] for r in _sync(device, back)] == ["duplicate"]
    assert RefundLedger.objects.get().quantity == Decimal("1.000")
    assert RefundFlag.objects.count() == 0


def test_two_tills_refunding_the_same_line_offline_are_both_stored_one_flagged(
    client: Any, device: Device, orders: OrderBuilder, shop: Shop
) -> None:
    # given a sale of 1 repair hour, and a second till with its own session
    sale = orders.order([orders.line(shop.repair, "1")], cash="50.00")
    _sync(device, sale)
    other = pair(client, shop.other_terminal)
    other_session = CashSession.objects.create(
        uuid=uuid.uuid4(),
        terminal=shop.other_terminal,
        opened_by=shop.alice,
        opened_at=timezone.now(),
        opening_float=Decimal("100.00"),
    )
    # when both tills refunded it in full while offline, and sync one after the other
    mine = refund(orders, sale, [(0, "1")])
    theirs = refund(orders, sale, [(0, "1")], session=other_session, receipt_number="POS2-1-1")
    assert _sync(device, mine)[0]["status"] == "accepted"
    assert _sync(other, theirs)[0]["status"] == "accepted"
    # then both are stored (the money left two drawers); the second is flagged
    assert Order.objects.filter(kind="refund").count() == 2
    flag = RefundFlag.objects.get()
    assert (str(flag.order.uuid), flag.code) == (theirs["uuid"], "over_refund")
    assert "1.000 of 1.000 were refunded before" in flag.message
    assert RefundLedger.objects.get().quantity == Decimal("2.000")
    assert session_expected_cash(other_session) == Decimal("100.00") - Decimal("48.40")


@pytest.mark.django_db(transaction=True)
def test_the_race_at_the_same_moment_ends_with_exactly_one_flagged(
    live_server: Any, client: Any, shop: Shop, orders: OrderBuilder
) -> None:
    # given a sale of 2 colas, and six refunds of both from six syncs at once
    device = pair(client, shop.terminal)
    sale = orders.order([orders.line(shop.cola, "2")])
    _sync(device, sale)
    refunds = [refund(orders, sale, [(0, "2")]) for _ in range(6)]
    barrier = threading.Barrier(len(refunds))
    statuses: list[str] = []

    def post(order: dict[str, Any]) -> None:
        request = urllib.request.Request(
            f"{live_server.url}/api/v1/orders/sync",
            data=json.dumps({"orders": [order]}).encode(),
            method="POST",
            headers={"Authorization": f"Bearer {device.token}", "Content-Type": "application/json"},
        )
        barrier.wait(timeout=10)
        with urllib.request.urlopen(request, timeout=60) as response:
            statuses.append(json.loads(response.read())["results"][0]["status"])

    threads = [threading.Thread(target=post, args=(order,)) for order in refunds]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    # then all six are stored, and the ledger counted each: five are over
    assert statuses == ["accepted"] * 6
    assert Order.objects.filter(kind="refund").count() == 6
    assert RefundLedger.objects.get().quantity == Decimal("12.000")
    assert RefundFlag.objects.filter(code="over_refund").count() == 5


def test_a_refund_of_a_refund_is_stored_and_flagged(
    device: Device, orders: OrderBuilder, shop: Shop
) -> None:
    sale = orders.order([orders.line(shop.cola, "2")])
    back = refund(orders, sale, [(0, "1")])
    _sync(device, sale, back)
    # what a till that skipped its guard sends: the refund's line given back again
    again = {**refund(orders, sale, [(0, "1")]), "original_uuid": back["uuid"]}
    assert _sync(device, again)[0]["status"] == "accepted"
    flag = RefundFlag.objects.get()
    assert (str(flag.order.uuid), flag.code) == (again["uuid"], "refund_of_refund")
    assert "which is itself a refund" in flag.message
    assert RefundLedger.objects.get().quantity == Decimal("1.000")


def test_a_refund_priced_from_todays_catalog_is_flagged(
    device: Device, orders: OrderBuilder, shop: Shop
) -> None:
    # given 2 colas sold at 0.99 with 10 % off
    sale = orders.order([orders.line(shop.cola, "2", discount="10")])
    _sync(device, sale)
    # when a refund of 1 pays back the full catalog price (0.99, not 0.89)
    back = refund(orders, sale, [(0, "1")])
    back["lines"][0].update(net="-0.82", tax="-0.17", gross="-0.99")
    back["totals"] = {"net": "-0.82", "tax": "-0.17", "gross": "-0.99"}
    back["payments"][0]["amount"] = "-0.99"
    assert _sync(device, back)[0]["status"] == "accepted"
    # then it is stored and flagged with the amounts it should have had
    flag = RefundFlag.objects.get()
    assert flag.code == "refund_amount_mismatch"
    assert "1 of 2.000 is net -0.73 tax -0.16 gross -0.89" in flag.message
    assert OrderLine.objects.filter(order__uuid=back["uuid"]).get().gross == Decimal("-0.99")


def test_a_refund_naming_an_order_the_server_lacks_is_flagged(
    device: Device, orders: OrderBuilder, shop: Shop
) -> None:
    sale = orders.order([orders.line(shop.cola, "1")])  # never synced
    back = refund(orders, sale, [(0, "1")])
    assert _sync(device, back)[0]["status"] == "accepted"
    stored = Order.objects.get(uuid=back["uuid"])
    assert (stored.original_id, str(stored.original_uuid)) == (None, sale["uuid"])
    assert RefundFlag.objects.get().code == "original_unknown"


def test_reports_net_refunds_out_and_count_over_refunds(
    admin_client: Any, client: Any, device: Device, orders: OrderBuilder, shop: Shop
) -> None:
    # given a sale of 2 colas (1.98) refunded in full twice (the second an over-refund)
    sale = orders.order([orders.line(shop.cola, "2")], cash="5.00")
    _sync(device, sale)
    _sync(device, refund(orders, sale, [(0, "2")]))
    _sync(device, refund(orders, sale, [(0, "2")]))
    # when the owner reads today's sales summary
    today = business_day(shop.terminal.store, timezone.now()).isoformat()  # the store's
    response = admin_client.get("/admin/reports/salessummary/", {"start": today, "end": today})
    # then the refunds are netted out, and counted apart with the over-refund
    totals = response.context["totals"]
    assert (totals["orders"], totals["gross"]) == (3, Decimal("-1.98"))
    assert (totals["refunds"], totals["refunds_gross"], totals["over_refunds"]) == (
        2,
        Decimal("-3.96"),
        1,
    )
    by_method = admin_client.get(
        "/admin/reports/salessummary/",
        {"start": today, "end": today, "dimension": "payment_method"},
    )
    cash = {r["method_name"]: r["kept"] for r in by_method.context["report"].rows}["Cash"]
    assert cash == Decimal("-1.98")  # 5.00 in, 3.02 change, 3.96 paid back


def test_the_back_office_shows_both_directions(
    admin_client: Any, device: Device, orders: OrderBuilder, shop: Shop
) -> None:
    sale = orders.order([orders.line(shop.cola, "2")])
    back = refund(orders, sale, [(0, "1")])
    _sync(device, sale, back)
    sale_pk = Order.objects.get(uuid=sale["uuid"]).pk
    back_pk = Order.objects.get(uuid=back["uuid"]).pk
    page = admin_client.get(f"/admin/orders/order/{sale_pk}/change/").content.decode()
    assert f"/admin/orders/order/{back_pk}/change/" in page
    assert f"{back['receipt_number']} (refund)" in page
    page = admin_client.get(f"/admin/orders/order/{back_pk}/change/").content.decode()
    assert f"/admin/orders/order/{sale_pk}/change/" in page
    assert f"{sale['receipt_number']} (sale)" in page


def test_lookup_by_code_or_receipt_number_with_refunds_and_recent_pull(
    device: Device, orders: OrderBuilder, shop: Shop
) -> None:
    sale = orders.order([orders.line(shop.cola, "3", discount="10")])
    back = refund(orders, sale, [(0, "1")])
    _sync(device, sale, back)
    # by the code on the receipt (its uuid) and by its number
    for params in ({"uuid": sale["uuid"]}, {"receipt": sale["receipt_number"]}):
        found = device.get("orders/lookup", **params).json()
        assert found["order"]["uuid"] == sale["uuid"]
        assert found["order"]["lines"][0]["quantity"] == "3.000"
        assert found["order"]["lines"][0]["gross"] == "2.67"
        (refunded,) = found["refunds"]
        assert (refunded["uuid"], refunded["kind"], refunded["original"]) == (
            back["uuid"],
            "refund",
            sale["uuid"],
        )
        assert refunded["lines"][0]["original_line"] == 0
        assert refunded["lines"][0]["gross"] == "-0.89"
    missing = device.get("orders/lookup", uuid=str(uuid.uuid4()))
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "order_not_found"
    assert device.get("orders/lookup", uuid="nope").json()["error"]["code"] == "invalid_lookup"
    # the recent pull pages through the store's orders, from a cursor
    first = device.get("orders/recent", limit=1).json()
    assert ([o["uuid"] for o in first["orders"]], first["more"]) == ([sale["uuid"]], True)
    rest = device.get("orders/recent", after=first["last"]).json()
    assert ([o["uuid"] for o in rest["orders"]], rest["more"]) == ([back["uuid"]], False)
    assert device.get("orders/recent", after=rest["last"]).json()["orders"] == []


def test_a_refund_and_its_refund_entry_sync_with_the_sale(
    device: Device, orders: OrderBuilder, shop: Shop
) -> None:
    # given a till's journal: a SALE, then the REFUND of one of its two lines
    journal = Journal()
    journal.register(device)
    sale = orders.order([orders.line(shop.cola, "2"), orders.line(shop.bread, "1")], cash="10")
    back = refund(orders, sale, [(1, "1")])
    entries = [journal.init(), journal.sale(sale), journal.refund(back, sale)]
    # when the till syncs the orders and their entries in one request
    response = device.post("orders/sync", {"orders": [sale, back], "journal": entries})
    # then both are stored and linked, the REFUND is in the chain, its grand totals add up
    # with the refund's negative gross, and nothing disagrees
    answer = response.json()
    assert [r["status"] for r in answer["results"]] == ["accepted", "accepted"]
    assert answer["journal"]["status"] == "ok"
    assert list(TerminalEntry.objects.order_by("seq").values_list("type", flat=True)) == [
        "JOURNAL_INIT",
        "SALE",
        "REFUND",
    ]
    refund_entry = json.loads(bytes(TerminalEntry.objects.get(type="REFUND").canonical))
    assert refund_entry["payload"]["gt_after"] == "1.98"  # 0.99 × 2 + 3.95 − 3.95
    assert refund_entry["payload"]["gt_abs_after"] == "9.88"
    assert not SaleReview.objects.exists()
    assert not IntegrityAlert.objects.exists()
    assert Order.objects.get(uuid=back["uuid"]).original.uuid == uuid.UUID(sale["uuid"])
