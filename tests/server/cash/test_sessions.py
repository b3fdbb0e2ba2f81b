"""Cash sessions: open idempotently, one open per terminal, close with expected cash."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.utils import timezone

from kassa.server.cash.models import CashSession

from ..conftest import Device, OrderBuilder, Shop


def _open(device: Device, shop: Shop, session_uuid: str, opening: str = "100.00"):
    return device.post(
        "sessions",
        {
            "uuid": session_uuid,
            "cashier_id": shop.alice.pk,
            "opened_at": timezone.now().isoformat(),
            "opening_float": opening,
        },
    )


def _close(device: Device, shop: Shop, session_uuid: object, counted: str):
    return device.post(
        f"sessions/{session_uuid}/close",
        {
            "cashier_id": shop.alice.pk,
            "closed_at": timezone.now().isoformat(),
            "counted_cash": counted,
        },
    )


def test_open_is_idempotent_and_one_per_terminal(device: Device, shop: Shop) -> None:
    first = str(uuid.uuid4())
    response = _open(device, shop, first)
    assert response.status_code == 201
    assert response.json()["state"] == "open"
    assert response.json()["opening_float"] == "100.00"
    assert _open(device, shop, first).status_code == 200
    second = _open(device, shop, str(uuid.uuid4()))
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "session_already_open"
    assert CashSession.objects.count() == 1
    assert device.get("sessions/current").json()["uuid"] == first


def test_close_computes_expected_cash_and_difference(
    device: Device, shop: Shop, orders: OrderBuilder
) -> None:
    # given a session with 100.00 float, a cash sale of 1.98 paid with 5.00, a card sale
    session = orders.session
    device.post("orders/sync", {"orders": [orders.order(cash="5.00"), orders.order()]})
    # when the cashier counts 101.50
    response = _close(device, shop, session.uuid, "101.50")
    # then expected is 100.00 + 5.00 - 3.02 change = 101.98 and 0.48 is missing
    assert response.status_code == 200
    body = response.json()
    assert (body["state"], body["expected_cash"], body["difference"]) == (
        "closed",
        "101.98",
        "-0.48",
    )
    # closing again changes nothing
    again = _close(device, shop, session.uuid, "500.00")
    assert again.json()["counted_cash"] == "101.50"
    # and a new session can be opened now
    assert _open(device, shop, str(uuid.uuid4())).status_code == 201


def test_bad_session_requests(device: Device, shop: Shop) -> None:
    assert (
        _open(device, shop, str(uuid.uuid4()), opening="-5.00").json()["error"]["code"]
        == "invalid_amount"
    )
    # more decimals than the column holds: refused by the schema (common.types.column_decimal)
    response = _open(device, shop, str(uuid.uuid4()), opening="1.001")
    assert response.status_code == 422
    assert response.json()["error"]["details"] == [
        {
            "field": "body.body.opening_float",
            "message": "must be a decimal string from -9999999999.99 to 9999999999.99 with at "
            'most 2 decimals, such as "10.00"',
        }
    ]
    response = _open(device, shop, str(uuid.uuid4()), opening=5)  # type: ignore[arg-type]
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"
    assert (
        'decimal strings such as "10.00", not JSON numbers' in response.json()["error"]["message"]
    )
    response = _open(device, shop, str(uuid.uuid4()), opening="5e2")
    assert response.status_code == 422
    assert "opening_float: must be a decimal string" in response.json()["error"]["message"]
    unknown = _close(device, shop, uuid.uuid4(), "1.00")
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "unknown_session"
    assert CashSession.objects.count() == 0
    assert device.get("sessions/current").status_code == 404
    assert Decimal(0) == sum((s.opening_float for s in CashSession.objects.all()), Decimal(0))
