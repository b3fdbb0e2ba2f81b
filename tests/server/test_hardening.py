"""Issue 16: no input breaks the server. Each class at its root: every integer of the API
within 64 bits, every amount within its column, JSON where Django would answer HTML.
On SQLite and on PostgreSQL (make test-pg runs this file against a real server)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from kassa.server.api import api
from kassa.server.cash.models import CashSession
from kassa.server.common.types import MAX_ID
from kassa.server.orders.models import Order

from .conftest import Device, OrderBuilder, Shop

TOO_BIG = 2**63  # one past the largest 64-bit key


def _error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert list(body) == ["error"]
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]  # type: ignore[no-any-return]


def _integers(schema: Any, spec: dict[str, Any], where: str) -> list[tuple[str, Any]]:
    """Every integer in a request schema, with where it is."""
    if isinstance(schema, dict) and "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        return _integers(spec["components"]["schemas"][name], spec, where)
    if not isinstance(schema, dict):
        return []
    found = [(where, schema)] if schema.get("type") == "integer" else []
    for key in ("anyOf", "oneOf", "allOf"):
        for option in schema.get(key, []):
            found += _integers(option, spec, where)
    for name, prop in schema.get("properties", {}).items():
        found += _integers(prop, spec, f"{where}.{name}")
    if "items" in schema:
        found += _integers(schema["items"], spec, f"{where}[]")
    return found


def test_every_integer_a_request_may_carry_fits_64_bits() -> None:
    # given the API's own document, every operation's parameters and body
    spec = api.get_openapi_schema()
    found = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                found += _integers(
                    parameter["schema"], spec, f"{method} {path} {parameter['name']}"
                )
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                found += _integers(body["schema"], spec, f"{method} {path} body")
    # then each integer is bounded by what a 64-bit column holds (common.types)
    assert found, "no integer found: the walk is broken"
    unbounded = [where for where, s in found if s.get("maximum", TOO_BIG) > MAX_ID]
    assert unbounded == []
    assert all(s.get("minimum", -1) >= 0 for _, s in found), found


@pytest.mark.parametrize("field", ["since", "after"])
def test_a_paging_parameter_beyond_64_bits_is_refused(device: Device, field: str) -> None:
    error = _error(device.get("catalog/products", **{field: TOO_BIG}), 422, "invalid_request")
    assert error["details"][0]["field"] == f"query.{field}"
    assert device.get("catalog/products", **{field: MAX_ID}).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        ("cashier_id",),
        ("lines", 0, "product_id"),
        ("lines", 0, "tax_id"),
        ("lines", 0, "approved_by"),
        ("payments", 0, "method_id"),
    ],
)
def test_an_id_beyond_64_bits_rejects_its_order_not_the_batch(
    device: Device, orders: OrderBuilder, path: tuple[Any, ...]
) -> None:
    # given a batch whose first order names an id of 2^63, between two good ones
    bad = orders.order()
    target = bad
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = TOO_BIG
    good = [orders.order(), orders.order()]
    response = device.post("orders/sync", {"orders": [good[0], bad, good[1]]})
    # then the batch is answered, the bad order alone is rejected, the others stored
    assert response.status_code == 200
    statuses = [(r["status"], r.get("code")) for r in response.json()["results"]]
    assert statuses == [("accepted", None), ("rejected", "invalid_order"), ("accepted", None)]
    assert set(Order.objects.values_list("uuid", flat=True)) == {uuid.UUID(o["uuid"]) for o in good}


def test_a_journal_seq_beyond_64_bits_does_not_fail_the_orders_beside_it(
    device: Device, orders: OrderBuilder
) -> None:
    order = orders.order()
    entry = {"seq": TOO_BIG, "canonical": "{}", "hash": "0" * 64, "sig": "x"}
    response = device.post("orders/sync", {"orders": [order], "journal": [entry]})
    assert response.status_code == 200, response.content[:300]
    assert response.json()["results"][0]["status"] == "accepted"
    assert response.json()["journal"]["status"] == "quarantined"
    assert Order.objects.filter(uuid=order["uuid"]).exists()


def _open(device: Device, shop: Shop, opening: Any, cashier: Any = None) -> Any:
    return device.post(
        "sessions",
        {
            "uuid": str(uuid.uuid4()),
            "cashier_id": shop.alice.pk if cashier is None else cashier,
            "opened_at": timezone.now().isoformat(),
            "opening_float": opening,
        },
    )


def _close(device: Device, shop: Shop, session: Any, counted: Any, cashier: Any = None) -> Any:
    return device.post(
        f"sessions/{session}/close",
        {
            "cashier_id": shop.alice.pk if cashier is None else cashier,
            "closed_at": timezone.now().isoformat(),
            "counted_cash": counted,
        },
    )


@pytest.mark.parametrize("opening", ["10000000000.00", "10000000000", "-10000000000", "1.001"])
def test_a_float_beyond_its_column_is_refused_and_nothing_stored(
    device: Device, shop: Shop, opening: str
) -> None:
    error = _error(_open(device, shop, opening), 422, "invalid_request")
    assert error["details"] == [
        {
            "field": "body.body.opening_float",
            "message": "must be a decimal string from -9999999999.99 to 9999999999.99 with at "
            'most 2 decimals, such as "10.00"',
        }
    ]
    assert CashSession.objects.count() == 0
    # the till is not stuck: a float the column holds opens a session that reads back
    assert _open(device, shop, "9999999999.99").status_code == 201
    assert device.get("sessions/current").json()["opening_float"] == "9999999999.99"


def test_a_cashier_id_beyond_64_bits_is_refused_by_the_session(device: Device, shop: Shop) -> None:
    _error(_open(device, shop, "10.00", cashier=TOO_BIG), 422, "invalid_request")
    assert CashSession.objects.count() == 0
    opened = _open(device, shop, "10.00").json()["uuid"]
    _error(_close(device, shop, opened, "10.00", cashier=TOO_BIG), 422, "invalid_request")
    assert device.get("sessions/current").json()["state"] == "open"


def test_counted_cash_beyond_its_column_is_refused_and_the_session_stays_open(
    device: Device, shop: Shop
) -> None:
    opened = _open(device, shop, "100.00").json()["uuid"]
    _error(_close(device, shop, opened, "10000000000.00"), 422, "invalid_request")
    session = CashSession.objects.get()
    assert (session.state, session.counted_cash) == ("open", None)
    closed = _close(device, shop, opened, "9999999999.99")
    assert closed.status_code == 200
    assert closed.json()["counted_cash"] == "9999999999.99"


def test_a_session_whose_cash_exceeds_its_column_still_closes(
    device: Device, shop: Shop, orders: OrderBuilder
) -> None:
    # given cash sales (under review: absurd amounts) that add up past what
    # expected_cash holds (12 digits)
    huge = "900000000000.00"
    batch = []
    for _ in range(2):
        order = orders.order()
        order["payments"] = [{"method_id": shop.cash.pk, "amount": huge}]
        batch.append(order)
    answer = device.post("orders/sync", {"orders": batch}).json()
    assert [r["status"] for r in answer["results"]] == ["accepted", "accepted"]
    # when the session is closed, then it closes; the expected cash is unknown, not a 500
    response = _close(device, shop, orders.session.uuid, "100.00")
    assert response.status_code == 200, response.content[:300]
    assert (response.json()["state"], response.json()["expected_cash"]) == ("closed", None)
    session = CashSession.objects.get(pk=orders.session.pk)
    assert (session.state, session.expected_cash, session.difference) == ("closed", None, None)


def test_a_disallowed_host_under_api_has_its_own_code(client: Client) -> None:
    response = client.post(
        "/api/v1/pair", b"{", content_type="application/json", headers={"Host": "evil.example"}
    )
    error = _error(response, 400, "disallowed_host")
    assert "KASSA_ALLOWED_HOSTS" in error["message"]
    # and a malformed body from an allowed host is still malformed JSON
    _error(
        client.post("/api/v1/pair", b"{", content_type="application/json"), 400, "malformed_json"
    )


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("get", "/api/v1/orders/sync", "POST"),
        ("delete", "/api/v1/terminal", "GET"),
        ("put", "/api/v1/sessions/current", "GET"),
    ],
)
def test_405_says_which_methods_are_allowed(
    device: Device, method: str, path: str, allow: str
) -> None:
    response = getattr(device.client, method)(
        path, headers={"Authorization": f"Bearer {device.token}"}
    )
    _error(response, 405, "method_not_allowed")
    assert response["Allow"] == allow


def test_api_answers_carry_a_policy_that_loads_nothing(device: Device) -> None:
    for response in (device.get("terminal"), device.get("no-such-thing")):
        assert response["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
        assert response["X-Content-Type-Options"] == "nosniff"


def test_the_terminal_is_served_under_a_strict_policy(client: Client, shop: Shop) -> None:
    # given a till whose proxy is on another machine of the shop
    shop.other_terminal.proxy_url = "http://192.168.1.20:8765"
    shop.other_terminal.save()
    for path in ("/pos/", "/pos/sw.js"):
        policy = client.get(path)["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
        assert directives["script-src"] == "'self'"
        assert directives["style-src"] == "'self'"
        assert directives["object-src"] == "'none'"
        assert directives["frame-ancestors"] == "'none'"
        assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
        assert directives["connect-src"].split() == [
            "'self'",
            "http://127.0.0.1:*",
            "http://localhost:*",
            "http://192.168.1.20:8765",
        ]


def test_secure_cookies_and_hsts_behind_tls(client: Client, settings: Any) -> None:
    # given the settings KASSA_HTTPS=1 gives (docs/security.md)
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.SECURE_HSTS_SECONDS = 31536000
    # when the back office's login page is fetched over TLS
    response = client.get("/admin/login/", secure=True)
    # then its CSRF cookie is Secure and the answer sends HSTS
    assert response.cookies["csrftoken"]["secure"] is True
    assert response["Strict-Transport-Security"] == "max-age=31536000"


def test_settings_read_the_tls_switches(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    import kassa.server.settings as module

    monkeypatch.setenv("KASSA_HTTPS", "1")
    monkeypatch.setenv("KASSA_PROXY_SSL_HEADER", "1")
    try:
        loaded = importlib.reload(module)
        assert (loaded.SESSION_COOKIE_SECURE, loaded.CSRF_COOKIE_SECURE) == (True, True)
        assert loaded.SECURE_HSTS_SECONDS == 31536000
        assert loaded.SECURE_PROXY_SSL_HEADER == ("HTTP_X_FORWARDED_PROTO", "https")
    finally:
        monkeypatch.delenv("KASSA_HTTPS")
        monkeypatch.delenv("KASSA_PROXY_SSL_HEADER")
        loaded = importlib.reload(module)
    assert (loaded.SESSION_COOKIE_SECURE, loaded.SECURE_HSTS_SECONDS) == (False, 0)
    assert json.dumps(loaded.SECURE_REFERRER_POLICY) == '"same-origin"'


@pytest.mark.parametrize(
    "at",
    ["2026-11-30T08:00:00+20:00", "2026-11-30T08:00:00-16:00", "0001-01-01T00:00:00+14:00"],
)
def test_a_time_no_column_holds_rejects_its_order_not_the_batch(
    device: Device, orders: OrderBuilder, at: str
) -> None:
    # given an order whose till clock says a time PostgreSQL cannot store (an offset of
    # 16 h and more; found by the fuzz test) or Python cannot move to UTC (the year 1)
    bad = orders.order(created_at=at)
    good = orders.order()
    response = device.post("orders/sync", {"orders": [bad, good]})
    # then that order alone is rejected, saying why
    assert response.status_code == 200, response.content[:300]
    first, second = response.json()["results"]
    assert (first["status"], first["code"]) == ("rejected", "invalid_order")
    assert "created_at" in first["message"]
    assert second["status"] == "accepted"
    assert Order.objects.filter(uuid=good["uuid"]).exists()
    # and a session opened at such a time is refused, nothing stored
    response = device.post(
        "sessions",
        {
            "uuid": str(uuid.uuid4()),
            "cashier_id": orders.shop.alice.pk,
            "opened_at": at,
            "opening_float": "1.00",
        },
    )
    _error(response, 422, "invalid_request")
    assert CashSession.objects.count() == 1
