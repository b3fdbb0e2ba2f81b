"""No request gets a 500 or an HTML page: every refusal is JSON
`{"error": {"code", "message", "details"?}}`, and stores nothing."""

from __future__ import annotations

import copy
import json
import random
from typing import Any

import pytest
from django.test import Client

from kassa.server.cash.models import CashSession
from kassa.server.orders.models import Order, OrderLine, Payment

from .conftest import Device, OrderBuilder


def _assert_json_error(response: Any, status: int, code: str) -> None:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert list(body) == ["error"]
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    assert set(body["error"]) <= {"code", "message", "details"}


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("get", "/api/v1/orders/sync", 405, "method_not_allowed"),
        ("delete", "/api/v1/terminal", 405, "method_not_allowed"),
        ("get", "/api/v1/no-such-thing", 404, "not_found"),
        ("get", "/api/v2/catalog", 404, "not_found"),
    ],
)
def test_unknown_paths_and_methods(
    device: Device, method: str, path: str, status: int, code: str
) -> None:
    response = getattr(device.client, method)(
        path, headers={"Authorization": f"Bearer {device.token}"}
    )
    _assert_json_error(response, status, code)


def test_oversized_body_is_a_413(device: Device, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = device.post("orders/sync", b'{"orders": []}' + b" " * 2048)
    _assert_json_error(response, 413, "request_too_large")


@pytest.mark.parametrize(
    "body",
    [b"\xff\xfe", b'{"orders": [' + b"[" * 5000 + b"]" * 5000 + b"]}", b"", b"null", b"1e999"],
)
def test_hostile_bodies(device: Device, body: bytes) -> None:
    for path in ("orders/sync", "sessions"):
        response = device.post(path, body)
        assert 400 <= response.status_code < 500, (path, body[:20], response.content[:200])
        assert response["Content-Type"] == "application/json"
        assert response.json()["error"]["code"]
    assert CashSession.objects.count() == 0


_NASTY: list[Any] = [
    None,
    True,
    0,
    -1,
    10**30,
    1.5,
    "",
    "x" * 10_000,
    "1e9999",
    "NaN",
    "-0",
    "0.001",
    [],
    {},
    [1, 2],
    {"a": 1},
    "2026-13-45T99:00:00Z",
]


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


def _set(document: Any, path: tuple[Any, ...], value: Any) -> None:
    for key in path[:-1]:
        document = document[key]
    document[path[-1]] = value


def test_mutated_orders_never_fail_the_server(
    device: Device, orders: OrderBuilder, shop: Any
) -> None:
    # given a valid order, when any one field is replaced by something hostile, then the
    # order is rejected with a reason (or, if the value happens to be valid, accepted),
    # never a 500 — 300 seeded mutations
    rng = random.Random(20261121)
    base = orders.order([orders.line(shop.cola, "2"), orders.line(shop.bread, "1")], cash="10.00")
    paths = _paths(base)
    accepted = 0
    for attempt in range(300):
        order = copy.deepcopy(base)
        order["uuid"] = f"00000000-0000-4000-8000-{attempt:012d}"
        order["receipt_number"] = f"POS1-1-F{attempt:06d}"
        path = rng.choice(paths)
        if path[-1] in ("uuid", "receipt_number"):
            continue
        _set(order, path, rng.choice(_NASTY))
        response = device.post("orders/sync", json.dumps({"orders": [order]}))
        assert response.status_code == 200, (path, response.content[:300])
        (result,) = response.json()["results"]
        assert result["status"] in {"accepted", "rejected"}, result
        if result["status"] == "rejected":
            assert result["code"] and result["message"]
            assert not Order.objects.filter(uuid=order["uuid"]).exists()
        else:
            accepted += 1
    # every stored order is complete: lines and payments came with it
    assert Order.objects.count() == accepted
    assert OrderLine.objects.count() == 2 * accepted
    assert Payment.objects.count() == accepted


def test_unauthenticated_pair_with_garbage(client: Client) -> None:
    for body in (b"{", b"[]", b'{"code": null}', b'{"code": "' + b"A" * 5000 + b'"}'):
        response = client.post("/api/v1/pair", body, content_type="application/json")
        assert 400 <= response.status_code < 500
        assert response["Content-Type"] == "application/json"


def test_every_domain_error_code_has_a_status() -> None:
    # given every app's error enum, then the API knows a status for each of its codes,
    # so no domain error can reach a client without one
    from enum import StrEnum

    from kassa.server.api import ERROR_STATUS
    from kassa.server.cash.errors import CashErrorCode
    from kassa.server.catalog.errors import CatalogErrorCode
    from kassa.server.common.errors import RequestErrorCode
    from kassa.server.journal.errors import JournalErrorCode
    from kassa.server.orders.errors import OrderErrorCode
    from kassa.server.staff.errors import StaffErrorCode
    from kassa.server.terminals.errors import TerminalErrorCode

    enums: list[type[StrEnum]] = [
        RequestErrorCode,
        CatalogErrorCode,
        StaffErrorCode,
        TerminalErrorCode,
        JournalErrorCode,
        CashErrorCode,
        OrderErrorCode,
    ]
    assert set(ERROR_STATUS) == set(enums)
    for enum in enums:
        assert set(ERROR_STATUS[enum]) == set(enum), enum
        assert all(400 <= status <= 599 for status in ERROR_STATUS[enum].values())


_NOT_A_STRING = 'must be a string; amounts are decimal strings such as "10.00", not JSON numbers'


def test_validation_error_body_has_details_per_field(client: Client) -> None:
    response = client.post("/api/v1/pair", b'{"code": 12}', content_type="application/json")
    assert response.status_code == 422
    assert response.json() == {
        "error": {
            "code": "invalid_request",
            "message": "body.body.code: " + _NOT_A_STRING,
            "details": [{"field": "body.body.code", "message": _NOT_A_STRING}],
        }
    }


def test_an_unknown_path_answers_the_error_body_exactly(device: Device) -> None:
    response = device.get("no-such-thing")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "Not found."}}


def test_a_domain_error_answers_its_status_and_stores_nothing(device: Device, shop: Any) -> None:
    # given a session request for a cashier that does not exist
    body = {
        "uuid": "00000000-0000-4000-8000-000000000001",
        "cashier_id": 999_999,
        "opened_at": "2026-11-21T08:00:00+01:00",
        "opening_float": "100.00",
    }
    # when it is sent, then the cash app's code comes with its status, and nothing is stored
    response = device.post("sessions", body)
    assert response.status_code == 422
    assert response.json() == {
        "error": {"code": "unknown_cashier", "message": "Cashier 999999 does not exist."}
    }
    assert CashSession.objects.count() == 0
