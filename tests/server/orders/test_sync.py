"""Order sync: idempotent by UUID, each order checked on its own, nothing partial stored."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.test import override_settings

from kassa.server.orders.models import ImmutableOrderError, Order, OrderLine, Payment

from ..conftest import Device, OrderBuilder, Shop, pair


def stored() -> tuple[int, int, int]:
    return Order.objects.count(), OrderLine.objects.count(), Payment.objects.count()


def test_batch_is_stored_with_lines_payments_and_change(
    device: Device, orders: OrderBuilder, shop: Shop
) -> None:
    # given an order paid partly by card and partly in cash, with change
    order = orders.order(
        [
            orders.line(shop.cola, "2"),
            orders.line(shop.bread, "1", discount="10"),
            orders.line(shop.apples, "0.455"),
            orders.line(shop.repair, "1"),
        ],
        card="20.00",
        cash="50.00",
    )
    # when it is synced
    response = device.post("orders/sync", {"orders": [order]})
    # then it is accepted and stored as the terminal priced it
    assert response.status_code == 200
    assert response.json() == {
        "results": [{"index": 0, "uuid": order["uuid"], "status": "accepted"}]
    }
    stored_order = Order.objects.get(uuid=order["uuid"])
    # 2 × 0.99 + 3.95 × 0.9 (3.56) + 0.455 × 2.49 (1.13) + 40.00 + 21% (48.40) = 55.07
    assert stored_order.total_gross == Decimal("55.07")
    assert stored_order.change == Decimal("14.93")
    assert stored_order.terminal == shop.terminal
    assert [
        (line.name, line.quantity, line.gross) for line in stored_order.lines.order_by("position")
    ] == [
        ("Cola 330 ml", Decimal("2.000"), Decimal("1.98")),
        ("Sourdough loaf", Decimal("1.000"), Decimal("3.56")),
        ("Apples", Decimal("0.455"), Decimal("1.13")),
        ("Repair hour", Decimal("1.000"), Decimal("48.40")),
    ]
    assert sorted((p.method.name, p.amount) for p in stored_order.payments.all()) == [
        ("Card", Decimal("20.00")),
        ("Cash", Decimal("50.00")),
    ]
    for line in stored_order.lines.all():
        assert line.net + line.tax_amount == line.gross


def test_retry_of_the_same_batch_stores_each_order_once(
    device: Device, orders: OrderBuilder
) -> None:
    batch = {"orders": [orders.order() for _ in range(5)]}
    first = device.post("orders/sync", batch).json()["results"]
    second = device.post("orders/sync", batch).json()["results"]
    assert [r["status"] for r in first] == ["accepted"] * 5
    assert [r["status"] for r in second] == ["duplicate"] * 5
    assert stored() == (5, 5, 5)


def test_same_uuid_twice_in_one_batch_is_stored_once(device: Device, orders: OrderBuilder) -> None:
    order = orders.order()
    results = device.post("orders/sync", {"orders": [order, order]}).json()["results"]
    assert [r["status"] for r in results] == ["accepted", "duplicate"]
    assert stored() == (1, 1, 1)


def test_rejected_order_does_not_block_the_others(device: Device, orders: OrderBuilder) -> None:
    good1, good2 = orders.order(), orders.order()
    bad = orders.order()
    bad["totals"] = {**bad["totals"], "gross": "999.00"}
    results = device.post("orders/sync", {"orders": [good1, bad, good2]}).json()["results"]
    assert [(r["index"], r["status"]) for r in results] == [
        (0, "accepted"),
        (1, "rejected"),
        (2, "accepted"),
    ]
    assert results[1]["code"] == "total_mismatch"
    assert "the order says" in results[1]["message"]
    assert set(Order.objects.values_list("uuid", flat=True).iterator()) == {
        __import__("uuid").UUID(good1["uuid"]),
        __import__("uuid").UUID(good2["uuid"]),
    }
    assert not Order.objects.filter(uuid=bad["uuid"]).exists()


def _mutate(order: dict, path: str, value: object) -> dict:
    target = order
    keys = path.split(".")
    for key in keys[:-1]:
        target = target[int(key)] if isinstance(target, list) else target[key]
    last = keys[-1]
    if isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return order


@pytest.mark.parametrize(
    ("path", "value", "code"),
    [
        ("lines.0.product_id", 999999, "unknown_product"),
        ("lines.0.tax_id", 999999, "unknown_tax"),
        ("cashier_id", 999999, "unknown_cashier"),
        ("session_uuid", "00000000-0000-4000-8000-000000000000", "unknown_session"),
        ("lines.0.quantity", "1000000", "absurd_quantity"),
        ("lines.0.quantity", "0", "absurd_quantity"),
        ("lines.0.quantity", "1.0001", "invalid_number"),
        ("lines.0.discount", "150", "invalid_discount"),
        ("lines.0.unit_price", "-1.00", "invalid_price"),
        ("lines.0.unit_price", "0.999", "invalid_amount"),
        ("lines.0.gross", "1.99", "line_total_mismatch"),
        ("lines.0.net", "1.00", "line_total_mismatch"),
        ("totals.tax", "0.00", "total_mismatch"),
        ("payments.0.method_id", 999999, "unknown_payment_method"),
        ("payments.0.amount", "1.00", "payment_mismatch"),
        ("change", "5.00", "change_invalid"),
        ("lines.0.quantity", 2, "invalid_order"),
        ("lines.0.quantity", 2.5, "invalid_order"),
        ("created_at", "2026-11-21T10:00:00", "invalid_order"),
        ("uuid", "not-a-uuid", "invalid_order"),
        ("lines", [], "invalid_order"),
        ("lines.0.approved_by", 999999, "approval_invalid"),
    ],
)
def test_bad_order_is_rejected_with_a_reason_and_stores_nothing(
    device: Device, orders: OrderBuilder, path: str, value: object, code: str
) -> None:
    order = _mutate(orders.order(), path, value)
    response = device.post("orders/sync", {"orders": [order]})
    assert response.status_code == 200
    (result,) = response.json()["results"]
    assert result["status"] == "rejected"
    assert result["code"] == code
    assert result["message"]
    assert stored() == (0, 0, 0)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (2, 'lines.0.quantity: must be a string; amounts are decimal strings such as "10.00"'),
        ("1e3", "lines.0.quantity: must be a decimal string"),
        (" 2", "lines.0.quantity: must be a decimal string"),
        ("+2", "lines.0.quantity: must be a decimal string"),
    ],
)
def test_a_decimal_outside_the_wire_grammar_is_named(
    device: Device, orders: OrderBuilder, value: object, message: str
) -> None:
    order = _mutate(orders.order(), "lines.0.quantity", value)
    (result,) = device.post("orders/sync", {"orders": [order]}).json()["results"]
    assert (result["status"], result["code"]) == ("rejected", "invalid_order")
    assert result["message"].startswith(message)
    assert stored() == (0, 0, 0)


def test_an_item_that_is_not_an_order_is_named_as_the_order(device: Device) -> None:
    (result,) = device.post("orders/sync", {"orders": [5]}).json()["results"]
    assert (result["status"], result["code"]) == ("rejected", "invalid_order")
    assert result["message"].startswith("order: ")
    assert stored() == (0, 0, 0)


def test_payment_method_not_allowed_on_this_terminal(
    device: Device, orders: OrderBuilder, shop: Shop
) -> None:
    order = orders.order()
    order["payments"][0]["method_id"] = shop.voucher.pk
    (result,) = device.post("orders/sync", {"orders": [order]}).json()["results"]
    assert result["code"] == "unknown_payment_method"
    assert stored() == (0, 0, 0)


def test_manager_approval_is_recorded(device: Device, orders: OrderBuilder, shop: Shop) -> None:
    line = orders.line(shop.cola, "1", discount="50")
    line["approved_by"] = shop.maria.pk
    line["price_overridden"] = False
    order = orders.order([line])
    (result,) = device.post("orders/sync", {"orders": [order]}).json()["results"]
    assert result["status"] == "accepted"
    assert OrderLine.objects.get().approved_by == shop.maria


def test_approval_by_a_plain_cashier_is_rejected(
    device: Device, orders: OrderBuilder, shop: Shop
) -> None:
    line = orders.line(shop.cola, "1", discount="50")
    line["approved_by"] = shop.alice.pk
    (result,) = device.post("orders/sync", {"orders": [orders.order([line])]}).json()["results"]
    assert result["code"] == "approval_invalid"


def test_receipt_number_reused_by_another_order_is_rejected(
    device: Device, orders: OrderBuilder
) -> None:
    first = orders.order()
    second = orders.order(receipt_number=first["receipt_number"])
    results = device.post("orders/sync", {"orders": [first, second]}).json()["results"]
    assert [r["status"] for r in results] == ["accepted", "rejected"]
    assert results[1]["code"] == "receipt_number_taken"
    later = orders.order(receipt_number=first["receipt_number"])
    (result,) = device.post("orders/sync", {"orders": [later]}).json()["results"]
    assert result["code"] == "receipt_number_taken"
    assert stored() == (1, 1, 1)


def test_order_for_a_closed_session_is_rejected(device: Device, orders: OrderBuilder) -> None:
    orders.session.state = "closed"
    orders.session.save()
    (result,) = device.post("orders/sync", {"orders": [orders.order()]}).json()["results"]
    assert result["code"] == "session_closed"
    assert stored() == (0, 0, 0)


def test_session_of_another_terminal_is_unknown_here(
    client, shop: Shop, orders: OrderBuilder
) -> None:
    other = pair(client, shop.other_terminal)
    (result,) = other.post("orders/sync", {"orders": [orders.order()]}).json()["results"]
    assert result["code"] == "unknown_session"


def test_refund_order_with_negative_quantity(
    device: Device, orders: OrderBuilder, shop: Shop
) -> None:
    order = orders.order([orders.line(shop.cola, "-1")])
    order["payments"] = [{"method_id": shop.cash.pk, "amount": "-0.99"}]
    (result,) = device.post("orders/sync", {"orders": [order]}).json()["results"]
    assert result["status"] == "accepted"
    assert Order.objects.get().total_gross == Decimal("-0.99")


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"{not json", 400, "malformed_json"),
        (b"[]", 422, "invalid_request"),
        (b'{"orders": {}}', 422, "invalid_request"),
        (b'"orders"', 422, "invalid_request"),
    ],
)
def test_malformed_requests_get_a_json_error(
    device: Device, body: bytes, status: int, code: str
) -> None:
    response = device.post("orders/sync", body)
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]
    assert stored() == (0, 0, 0)


def test_non_object_items_are_rejected_individually(device: Device, orders: OrderBuilder) -> None:
    good = orders.order()
    results = device.post("orders/sync", {"orders": [42, "x", None, good]}).json()["results"]
    assert [(r["index"], r["status"]) for r in results] == [
        (0, "rejected"),
        (1, "rejected"),
        (2, "rejected"),
        (3, "accepted"),
    ]
    assert stored() == (1, 1, 1)


@override_settings(KASSA_SYNC_MAX_BATCH=3)
def test_oversized_batch_is_refused_whole(device: Device, orders: OrderBuilder) -> None:
    response = device.post("orders/sync", {"orders": [orders.order() for _ in range(4)]})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "batch_too_large"
    assert stored() == (0, 0, 0)


def test_sync_requires_a_device_token(client, orders: OrderBuilder) -> None:
    response = client.post(
        "/api/v1/orders/sync",
        json.dumps({"orders": [orders.order()]}),
        content_type="application/json",
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    bad = client.post(
        "/api/v1/orders/sync",
        "{}",
        content_type="application/json",
        headers={"Authorization": "Bearer forged"},
    )
    assert bad.status_code == 401
    assert stored() == (0, 0, 0)


def test_stored_order_cannot_be_changed(device: Device, orders: OrderBuilder) -> None:
    order = orders.order()
    device.post("orders/sync", {"orders": [order]})
    stored_order = Order.objects.get(uuid=order["uuid"])
    stored_order.note = "edited"
    with pytest.raises(ImmutableOrderError):
        stored_order.save()
    assert Order.objects.get(uuid=order["uuid"]).note == ""
