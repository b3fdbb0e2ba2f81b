"""Order sync: idempotent by UUID, each order checked on its own; a paid order that breaks
a rule is stored under review, only what is not an order is refused."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal

import pytest
from django.test import override_settings

from kassa.server.orders.models import ImmutableOrderError, Order, OrderLine
from kassa.server.orders.schemas import OrderIn

from ..conftest import Device, OrderBuilder, Shop, pair
from .conftest import as_sent, as_stored, stored


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
        "results": [{"index": 0, "uuid": order["uuid"], "status": "accepted"}],
        "journal": None,
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


def test_an_order_under_review_does_not_block_the_others(
    device: Device, orders: OrderBuilder
) -> None:
    # given a batch whose middle order's total is not what its lines add up to
    good1, good2 = orders.order(), orders.order()
    bad = orders.order()
    bad["totals"] = {**bad["totals"], "gross": "999.00"}
    # when it is synced
    results = device.post("orders/sync", {"orders": [good1, bad, good2]}).json()["results"]
    # then all three are stored; the middle one under review, with the reason
    assert [(r["index"], r["status"], "review" in r) for r in results] == [
        (0, "accepted", False),
        (1, "accepted", True),
        (2, "accepted", False),
    ]
    assert results[1]["review"]["code"] == "total_mismatch"
    assert "the order says" in results[1]["review"]["message"]
    assert {str(u): c for u, c in Order.objects.values_list("uuid", "review_code")} == {
        good1["uuid"]: "",
        bad["uuid"]: "total_mismatch",
        good2["uuid"]: "",
    }
    assert stored() == (3, 3, 3)


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


AS_SENT = object()

# Every rule a paid order can break: (path, value sent, review code, what is stored at
# the path: the value sent, or None where its column cannot hold it exactly).
BROKEN_RULES = [
    ("lines.0.product_id", 999999, "unknown_product", AS_SENT),
    ("lines.0.tax_id", 999999, "unknown_tax", AS_SENT),
    ("cashier_id", 999999, "unknown_cashier", AS_SENT),
    ("session_uuid", "00000000-0000-4000-8000-000000000000", "unknown_session", AS_SENT),
    ("lines.0.quantity", "1000000", "absurd_quantity", AS_SENT),
    ("lines.0.quantity", "0", "absurd_quantity", AS_SENT),
    ("lines.0.quantity", "1.0001", "invalid_number", None),
    ("lines.0.discount", "150", "invalid_discount", AS_SENT),
    ("lines.0.discount", "1000", "invalid_discount", None),
    ("lines.0.tax_rate", "121", "invalid_tax_rate", AS_SENT),
    ("lines.0.unit_price", "-1.00", "invalid_price", AS_SENT),
    ("lines.0.unit_price", "0.999", "invalid_amount", None),
    ("lines.0.unit_price", "1000000000.01", "absurd_amount", AS_SENT),
    ("lines.0.unit_price", "9" * 32, "invalid_amount", None),
    ("totals.gross", "99999999999999", "absurd_amount", None),
    ("lines.0.gross", "1.99", "line_total_mismatch", AS_SENT),
    ("lines.0.net", "1.00", "line_total_mismatch", AS_SENT),
    ("totals.tax", "0.00", "total_mismatch", AS_SENT),
    ("payments.0.method_id", 999999, "unknown_payment_method", AS_SENT),
    ("payments.0.amount", "1.00", "payment_mismatch", AS_SENT),
    ("payments.0.amount", "-1.98", "invalid_payment", AS_SENT),
    ("change", "5.00", "change_invalid", AS_SENT),
    ("lines.0.approved_by", 999999, "approval_invalid", AS_SENT),
]


@pytest.mark.parametrize(("path", "value", "code", "kept"), BROKEN_RULES)
def test_an_order_that_breaks_a_rule_is_stored_under_review(
    device: Device, orders: OrderBuilder, path: str, value: object, code: str, kept: object
) -> None:
    # given a paid order with one thing wrong
    order = _mutate(orders.order(), path, value)
    # when it is synced
    response = device.post("orders/sync", {"orders": [order]})
    # then it is accepted, under review with the rule's code and a message
    assert response.status_code == 200
    (result,) = response.json()["results"]
    assert result["status"] == "accepted"
    assert set(result) == {"index", "uuid", "status", "review"}
    assert result["review"]["code"] == code
    assert result["review"]["message"]
    # and stored once, exactly as the till sent it: the one wrong value too, where its
    # column can hold it; its whole self in `received`
    assert stored() == (1, 1, 1)
    row = Order.objects.get()
    assert (row.review_code, row.review_message) == (code, result["review"]["message"])
    assert row.received == OrderIn.model_validate(order).model_dump(mode="json")
    expected = as_sent(order)
    if kept is not AS_SENT:
        _mutate(expected, path, kept)
    assert as_stored(row) == expected
    assert not hasattr(row, "acknowledgement")


def test_an_unknown_reference_is_kept_raw_beside_a_null_foreign_key(
    device: Device, orders: OrderBuilder, shop: Shop
) -> None:
    # given an order naming a cashier, session, product, tax, approver and payment
    # method that the server does not know
    unknown = "00000000-0000-4000-8000-000000000000"
    line = orders.line(shop.cola, "1")
    line.update(product_id=900001, tax_id=900002, approved_by=900003)
    order = orders.order([line], cashier_id=900004, session_uuid=unknown)
    order["payments"][0]["method_id"] = 900005
    # when it is synced
    (result,) = device.post("orders/sync", {"orders": [order]}).json()["results"]
    # then it is stored, every foreign key null and every id the till sent in its column
    assert result["review"]["code"] == "unknown_cashier"
    row = Order.objects.get()
    assert (row.cashier_id, row.unknown_cashier_id) == (None, 900004)
    assert (row.session_id, str(row.unknown_session_uuid)) == (None, unknown)
    stored_line = row.lines.get()
    assert (stored_line.product_id, stored_line.unknown_product_id) == (None, 900001)
    assert (stored_line.tax_id, stored_line.unknown_tax_id) == (None, 900002)
    assert (stored_line.approved_by_id, stored_line.unknown_approver_id) == (None, 900003)
    assert stored_line.name == ""
    payment = row.payments.get()
    assert (payment.method_id, payment.unknown_method_id) == (None, 900005)
    # and the message names every broken rule, in the order the checks meet them
    message = result["review"]["message"]
    for words in [
        "Cashier 900004 does not exist.",
        f"Cash session {unknown} is not known",
        "line 1: product 900001 is unknown.",
        "line 1: tax 900002 is unknown.",
        "line 1: approved_by 900003 is not a known cashier.",
        "payment 1: method 900005 is not allowed on this terminal.",
    ]:
        assert words in message
    assert message.index("Cashier") < message.index("Cash session") < message.index("payment 1")


def test_an_order_of_many_problems_names_the_first_ten(
    device: Device, orders: OrderBuilder, shop: Shop
) -> None:
    lines = [orders.line(shop.cola, "1") for _ in range(12)]
    order = orders.order(lines)
    for line in order["lines"]:
        line["gross"] = "5.00"
    (result,) = device.post("orders/sync", {"orders": [order]}).json()["results"]
    assert result["review"]["code"] == "line_total_mismatch"
    message = result["review"]["message"]
    assert message.count("line_total") == 0
    assert message.count("the order says") == 10
    assert message.endswith("gross 5.00. And 2 more problems.")
    assert len(Order.objects.get().received["lines"]) == 12
    assert stored() == (1, 12, 1)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("lines.0.quantity", 2),
        ("lines.0.quantity", 2.5),
        ("created_at", "2026-11-21T10:00:00"),
        ("uuid", "not-a-uuid"),
        ("lines", []),
        ("lines.0.product_id", 2**63),
        ("cashier_id", 0),
        ("receipt_number", ""),
        ("receipt_number", "POS1-1-\u0000"),
        ("note", "a\u0000b"),
    ],
)
def test_what_breaks_the_schema_is_refused_and_stores_nothing(
    device: Device, orders: OrderBuilder, path: str, value: object
) -> None:
    order = _mutate(orders.order(), path, value)
    response = device.post("orders/sync", {"orders": [order]})
    assert response.status_code == 200
    (result,) = response.json()["results"]
    assert (result["status"], result["code"]) == ("rejected", "invalid_order")
    assert result["message"]
    assert "review" not in result
    assert stored() == (0, 0, 0)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("lines.0.gross", "1.99"),
        ("cashier_id", 999999),
        ("session_uuid", "00000000-0000-4000-8000-000000000000"),
        ("lines.0.quantity", "1.0001"),
    ],
)
def test_a_retried_order_under_review_is_a_duplicate(
    device: Device, orders: OrderBuilder, path: str, value: object
) -> None:
    order = _mutate(orders.order(), path, value)
    first = device.post("orders/sync", {"orders": [order]}).json()["results"]
    again = device.post("orders/sync", {"orders": [order, order]}).json()["results"]
    assert [r["status"] for r in first] == ["accepted"]
    assert [r["status"] for r in again] == ["duplicate", "duplicate"]
    assert stored() == (1, 1, 1)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (2, 'lines.0.quantity: must be a string; amounts are decimal strings such as "10.00"'),
        ("1e3", "lines.0.quantity: must be a decimal string"),
        (" 2", "lines.0.quantity: must be a decimal string"),
        ("+2", "lines.0.quantity: must be a decimal string"),
    ],
)
def test_a_decimal_outside_the_wire_grammar_is_refused(
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
    assert (result["status"], result["review"]["code"]) == ("accepted", "unknown_payment_method")
    # the method exists, only not on this till: the payment references it
    payment = Order.objects.get().payments.get()
    assert (payment.method, payment.unknown_method_id) == (shop.voucher, None)
    assert stored() == (1, 1, 1)


def test_manager_approval_is_recorded(device: Device, orders: OrderBuilder, shop: Shop) -> None:
    line = orders.line(shop.cola, "1", discount="50")
    line["approved_by"] = shop.maria.pk
    line["price_overridden"] = False
    order = orders.order([line])
    (result,) = device.post("orders/sync", {"orders": [order]}).json()["results"]
    assert result == {"index": 0, "uuid": order["uuid"], "status": "accepted"}
    assert OrderLine.objects.get().approved_by == shop.maria
    assert Order.objects.get().review_code == ""


def test_approval_by_a_plain_cashier_is_stored_under_review(
    device: Device, orders: OrderBuilder, shop: Shop
) -> None:
    line = orders.line(shop.cola, "1", discount="50")
    line["approved_by"] = shop.alice.pk
    (result,) = device.post("orders/sync", {"orders": [orders.order([line])]}).json()["results"]
    assert (result["status"], result["review"]["code"]) == ("accepted", "unauthorised_change")
    assert OrderLine.objects.get().approved_by == shop.alice


def test_receipt_number_reused_by_another_order_is_stored_under_review(
    device: Device, orders: OrderBuilder
) -> None:
    # given an order, then two more with its receipt number, one in the same batch
    first = orders.order()
    second = orders.order(receipt_number=first["receipt_number"])
    results = device.post("orders/sync", {"orders": [first, second]}).json()["results"]
    later = orders.order(receipt_number=first["receipt_number"])
    (result,) = device.post("orders/sync", {"orders": [later]}).json()["results"]
    # then all three are stored; the first holds the number, the others are under review
    assert [(r["status"], r.get("review", {}).get("code")) for r in [*results, result]] == [
        ("accepted", None),
        ("accepted", "receipt_number_taken"),
        ("accepted", "receipt_number_taken"),
    ]
    assert result["review"]["message"] == (
        f"Receipt number {first['receipt_number']} is already used by another order of "
        "this terminal."
    )
    assert stored() == (3, 3, 3)
    assert dict(Order.objects.values_list("uuid", "review_code")) == {
        uuid.UUID(first["uuid"]): "",
        uuid.UUID(second["uuid"]): "receipt_number_taken",
        uuid.UUID(later["uuid"]): "receipt_number_taken",
    }
    # and a retry of the whole is three duplicates, not three more orders
    again = device.post("orders/sync", {"orders": [first, second, later]}).json()["results"]
    assert [r["status"] for r in again] == ["duplicate"] * 3
    assert stored() == (3, 3, 3)


def test_a_taken_receipt_number_comes_first_among_an_orders_problems(
    device: Device, orders: OrderBuilder
) -> None:
    first = orders.order()
    device.post("orders/sync", {"orders": [first]})
    second = orders.order(receipt_number=first["receipt_number"], cashier_id=999999)
    (result,) = device.post("orders/sync", {"orders": [second]}).json()["results"]
    assert result["review"]["code"] == "receipt_number_taken"
    assert result["review"]["message"].endswith("Cashier 999999 does not exist.")
    assert Order.objects.get(uuid=second["uuid"]).unknown_cashier_id == 999999


def test_order_for_a_closed_session_is_stored_under_review(
    device: Device, orders: OrderBuilder
) -> None:
    # given a session closed on the server, and a sale the till made in it
    orders.session.state = "closed"
    orders.session.save()
    order = orders.order()
    # when the sale is synced
    (result,) = device.post("orders/sync", {"orders": [order]}).json()["results"]
    # then it is stored in that session, under review
    assert (result["status"], result["review"]["code"]) == ("accepted", "session_closed")
    row = Order.objects.get()
    assert (row.session, row.unknown_session_uuid) == (orders.session, None)
    assert as_stored(row) == as_sent(order)
    assert stored() == (1, 1, 1)
    orders.session.refresh_from_db()
    assert orders.session.state == "closed"


def test_session_of_another_terminal_is_unknown_here(
    client, shop: Shop, orders: OrderBuilder
) -> None:
    other = pair(client, shop.other_terminal)
    order = orders.order()
    (result,) = other.post("orders/sync", {"orders": [order]}).json()["results"]
    assert result["review"]["code"] == "unknown_session"
    # the sale is not put in another till's drawer
    row = Order.objects.get()
    assert (row.terminal, row.session, str(row.unknown_session_uuid)) == (
        shop.other_terminal,
        None,
        order["session_uuid"],
    )


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


def test_non_object_items_are_refused_individually(device: Device, orders: OrderBuilder) -> None:
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
