"""The journal in the order sync: a till's entries stored in its orders' transaction, and
each SALE the journal accepts checked against its order (docs/journal.md, Transport)."""

from __future__ import annotations

import uuid

import pytest
from django.test import override_settings

from kassa.server.journal.models import IntegrityAlert, TerminalEntry
from kassa.server.orders.models import Order, SaleReview

from ..conftest import Device, OrderBuilder, Shop
from .conftest import Journal, as_sent, as_stored, stored


@pytest.fixture
def journal(device: Device) -> Journal:
    till = Journal()
    till.register(device)
    return till


def _sync(device: Device, orders: list[dict], entries: list[dict]) -> dict:
    response = device.post("orders/sync", {"orders": orders, "journal": entries})
    assert response.status_code == 200, response.content
    return response.json()


def test_orders_and_their_sales_in_one_batch(
    device: Device, orders: OrderBuilder, shop: Shop, journal: Journal
) -> None:
    # given three sales and the journal the till wrote for them
    sold = [
        orders.order([orders.line(shop.cola, "2"), orders.line(shop.apples, "0.455")]),
        orders.order(cash="10.00"),
        orders.order([orders.line(shop.repair, "1")], card="48.40"),
    ]
    entries = [journal.init(), *(journal.sale(order) for order in sold)]
    # when the till syncs them in one request
    answer = _sync(device, sold, entries)
    # then the orders are stored, the entries are the chain, and they agree
    assert [r["status"] for r in answer["results"]] == ["accepted"] * 3
    assert answer["journal"] == {
        "status": "ok",
        "head": {"seq": 4, "hash": journal.prev_hash},
        "missing": None,
    }
    assert stored() == (3, 4, 3)
    assert list(TerminalEntry.objects.order_by("seq").values_list("seq", "type")) == [
        (1, "JOURNAL_INIT"),
        (2, "SALE"),
        (3, "SALE"),
        (4, "SALE"),
    ]
    assert not SaleReview.objects.exists()
    assert not IntegrityAlert.objects.exists()


def test_a_sale_that_does_not_match_its_order_is_flagged(
    device: Device, orders: OrderBuilder, shop: Shop, journal: Journal
) -> None:
    # given an order, and a SALE that printed another quantity and amount for its line
    order = orders.order([orders.line(shop.cola, "2")])
    line = {**order["lines"][0], "qty": "3.000", "amount": "2.97"}
    wire_line = {
        "name": "Cola 330 ml",
        "ref": "",
        "unit": "pc",
        **{k: line[k] for k in ("qty", "unit_price", "discount", "tax_rate", "net", "tax")},
        "amount": line["amount"],
    }
    entries = [journal.init(), journal.sale(order, lines=[wire_line])]
    # when both are synced
    answer = _sync(device, [order], entries)
    # then both are kept as they came: the order stored as sent, the SALE in the chain
    assert answer["results"][0]["status"] == "accepted"
    assert "review" not in answer["results"][0]
    assert answer["journal"]["head"] == {"seq": 2, "hash": journal.prev_hash}
    row = Order.objects.get()
    assert as_stored(row) == as_sent(order)
    assert row.review_code == ""
    assert TerminalEntry.objects.count() == 2
    # and their disagreement is to review, naming each difference
    review = SaleReview.objects.get()
    assert (review.terminal, review.seq, review.entry_hash) == (shop.terminal, 2, journal.prev_hash)
    assert (review.code, review.order, str(review.order_uuid)) == (
        "sale_mismatch",
        row,
        order["uuid"],
    )
    assert review.message == (
        f"SALE #2 does not match order {order['uuid']} as stored: "
        "line 1 qty: the SALE says '3.000', the order '2'; "
        "line 1 amount: the SALE says '2.97', the order '1.98'."
    )
    assert review.acknowledged_at is None


def test_a_sale_whose_order_never_came_is_flagged(
    device: Device, orders: OrderBuilder, journal: Journal
) -> None:
    lost = orders.order()
    entries = [journal.init(), journal.sale(lost)]
    answer = _sync(device, [], entries)
    assert answer["results"] == []
    assert answer["journal"]["status"] == "ok"
    review = SaleReview.objects.get()
    assert (review.code, review.order, str(review.order_uuid)) == (
        "sale_without_order",
        None,
        lost["uuid"],
    )
    assert review.message == (
        f"SALE #2 names order {lost['uuid']}, which this terminal never synced."
    )
    assert stored() == (0, 0, 0)


def test_a_sale_that_names_no_order_is_flagged(
    device: Device, orders: OrderBuilder, journal: Journal
) -> None:
    answer = _sync(device, [], [journal.init(), journal.sale(orders.order(), order=5)])
    assert answer["journal"]["head"]["seq"] == 2
    review = SaleReview.objects.get()
    assert (review.code, review.order_uuid, review.order) == ("sale_without_order", None, None)
    assert review.message == (
        "SALE #2 names order (payload.order is 5), which this terminal never synced."
    )


def test_a_sale_is_checked_against_an_order_synced_before(
    device: Device, orders: OrderBuilder, shop: Shop, journal: Journal
) -> None:
    # given orders synced without their journal, one of them under review with a
    # figure its column cannot hold
    right = orders.order()
    odd = orders.order()
    odd["lines"][0]["unit_price"] = "0.999"
    first = _sync(device, [right, odd], [])
    assert first["results"][1]["review"]["code"] == "invalid_amount"
    assert first["journal"] is None  # no entries, no journal in the answer
    # when their SALEs come alone, one of them with another receipt number
    entries = [journal.init(), journal.sale(right), journal.sale(odd, receipt_no="POS1-1-999")]
    answer = _sync(device, [], entries)
    # then each is compared with its order as the till sent it (the odd figure from
    # what the order received), and only the difference is to review
    assert answer["journal"]["head"]["seq"] == 3
    review = SaleReview.objects.get()
    assert (review.seq, review.code, review.order.uuid) == (
        3,
        "sale_mismatch",
        uuid.UUID(odd["uuid"]),
    )
    assert review.message.endswith(
        f"receipt number: the SALE says 'POS1-1-999', the order '{odd['receipt_number']}'."
    )


def test_a_sale_names_its_lines_as_the_till_printed_them(
    device: Device, orders: OrderBuilder, shop: Shop, journal: Journal
) -> None:
    # given the catalog renamed the product after the till printed its old name
    line = {**orders.line(shop.cola, "1"), "name": "Cola (old label)"}
    order = orders.order([line])
    shop.cola.name = "Cola Zero 330 ml"
    shop.cola.save()
    _sync(device, [order], [journal.init(), journal.sale(order)])
    assert Order.objects.get().lines.get().name == "Cola (old label)"
    assert not SaleReview.objects.exists()


def test_the_same_entries_again_change_nothing(
    device: Device, orders: OrderBuilder, journal: Journal
) -> None:
    order = orders.order()
    batch = [order], [journal.init(), journal.sale(order, change="1.00")]
    first = _sync(device, *batch)
    again = _sync(device, *batch)
    assert [r["status"] for r in again["results"]] == ["duplicate"]
    assert again["journal"] == first["journal"]
    assert TerminalEntry.objects.count() == 2
    assert SaleReview.objects.count() == 1


def test_no_journal_in_the_answer_without_entries(
    device: Device, orders: OrderBuilder, journal: Journal
) -> None:
    # given a till with a registered key whose journal is already on the server
    _sync(device, [], [journal.init()])
    # when it sends an order alone, the answer has no journal, and nothing of it moved
    answer = _sync(device, [orders.order()], [])
    assert answer["journal"] is None
    assert stored() == (1, 1, 1)
    assert TerminalEntry.objects.count() == 1


def test_a_broken_entry_never_refuses_the_orders_beside_it(
    device: Device, orders: OrderBuilder, journal: Journal
) -> None:
    order = orders.order()
    answer = _sync(device, [order], [journal.init(), {"seq": 2, "canonical": "{", "hash": ""}])
    assert answer["results"][0]["status"] == "accepted"
    # (the journal holds the till's good entries until a person looks at the bad one)
    assert answer["journal"]["status"] == "quarantined"
    assert stored() == (1, 1, 1)
    assert IntegrityAlert.objects.filter(quarantined=True).count() == 1


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"orders": [], "journal": []}, 422, "invalid_request"),
        ({}, 422, "invalid_request"),
        ({"journal": {}}, 422, "invalid_request"),
        ({"journal": [{}] * 501}, 413, "batch_too_large"),
    ],
)
def test_a_batch_that_is_not_one_is_refused(
    device: Device, body: dict, status: int, code: str
) -> None:
    response = device.post("orders/sync", body)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert stored() == (0, 0, 0)
    assert not TerminalEntry.objects.exists()
    assert not IntegrityAlert.objects.exists()


@override_settings(KASSA_SYNC_MAX_BATCH=3)
def test_entries_alone_make_a_batch(device: Device, journal: Journal) -> None:
    answer = _sync(device, [], [journal.init()])
    assert answer == {
        "results": [],
        "journal": {"status": "ok", "head": {"seq": 1, "hash": journal.prev_hash}, "missing": None},
    }
