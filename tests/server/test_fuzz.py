"""Issue 16: property-based fuzzing of every operation of the server's OpenAPI document.

Schemathesis generates requests from the document itself (valid data and invalid data),
sent through the WSGI application as gunicorn would, with a real device token and
without one. Each answer: never a 5xx; an error in the documented JSON shape; a refused
request stores nothing. Afterwards, every stored order adds up and every session reads
back and closes (assert_stored_orders_add_up, assert_sessions_read_back_and_close).

Fast by default (KASSA_FUZZ_EXAMPLES examples per operation, 8); `make fuzz`
runs many more.
"""

from __future__ import annotations

import os
import uuid
from decimal import Decimal
from typing import Any

import pytest
import schemathesis
from django.apps import apps
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from kassa.money import line_price, total
from kassa.server.cash.models import CashSession, SessionState
from kassa.server.orders.models import Order

from .conftest import Device, OrderBuilder, Shop

EXAMPLES = int(os.environ.get("KASSA_FUZZ_EXAMPLES", "8"))
_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=os.environ.get("KASSA_FUZZ_RANDOM") != "1",
    suppress_health_check=list(HealthCheck),
    # A failure is reported as found: shrinking it replays hundreds of requests.
    phases=[Phase.explicit, Phase.generate],
    report_multiple_bugs=False,
)

_application = get_wsgi_application()
SCHEMA = schemathesis.openapi.from_wsgi("/api/openapi.json", _application)
OPERATIONS = sorted(
    (operation.path, operation.method.upper())
    for operation in (result.ok() for result in SCHEMA.get_all_operations())
)


def _call(case: Any, headers: dict[str, str]) -> Any:
    """The case through the WSGI application, as gunicorn calls it."""
    # The handler closes the database connection after each request, as a server must;
    # here that connection holds the test's transaction (Django's test client does the
    # same around its requests, and connects the signal again after each).
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        return case.call(headers=headers)
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


def _counts() -> dict[str, int]:
    """Rows of every table the server keeps (Django's own sessions aside)."""
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label not in {"sessions", "contenttypes", "admin", "auth"}
    }


def _assert_error_shape(response: Any) -> None:
    assert response.headers.get("content-type") == ["application/json"], response.content[:200]
    body = response.json()
    assert isinstance(body, dict) and list(body) == ["error"], body
    error = body["error"]
    assert set(error) <= {"code", "message", "details"}
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    for detail in error.get("details", []):
        assert set(detail) == {"field", "message"}, detail


def test_the_document_lists_every_operation() -> None:
    assert ("/api/v1/orders/sync", "POST") in OPERATIONS
    assert ("/api/v1/pair", "POST") in OPERATIONS
    assert len(OPERATIONS) >= 9


@pytest.mark.parametrize("auth", ["device", "none"])
@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_fuzz_every_operation(
    path: str, method: str, auth: str, device: Device, orders: OrderBuilder
) -> None:
    # given a shop with a paired till, an open session and a few orders in it
    device.post("orders/sync", {"orders": [orders.order(), orders.order(cash="5.00")]})
    operation = SCHEMA[path][method]
    strategy = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )
    headers = {"Authorization": f"Bearer {device.token}"} if auth == "device" else {}

    # Without a token every operation but pairing is refused at the door: a few suffice.
    examples = EXAMPLES if auth == "device" or path.endswith("/pair") else max(3, EXAMPLES // 4)

    @settings(_SETTINGS, max_examples=examples)
    @given(case=strategy)
    def fuzz(case: Any) -> None:
        if auth == "none" and case.headers:
            case.headers.pop("Authorization", None)
        before = _counts()
        response = _call(case, headers)
        # then never a 5xx, errors in the one shape, and a refusal stores nothing
        assert response.status_code < 500, (case.as_curl_command(), response.content[:300])
        if response.status_code >= 400:
            _assert_error_shape(response)
            assert _counts() == before, case.as_curl_command()
        elif path == "/api/v1/orders/sync":
            for result in response.json()["results"]:
                if result["status"] == "rejected" and result["uuid"]:
                    assert not _stored(result["uuid"])

    fuzz()
    assert_stored_orders_add_up()
    assert_sessions_read_back_and_close(device)


def _stored(order_uuid: str) -> bool:
    try:
        return Order.objects.filter(uuid=uuid.UUID(order_uuid)).exists()
    except ValueError:
        return False


@st.composite
def _priced_lines(draw: Any, shop: Shop, orders: OrderBuilder) -> list[dict[str, Any]]:
    products = [shop.cola, shop.bread, shop.apples, shop.repair]
    count = draw(st.integers(1, 6))
    lines = []
    for _ in range(count):
        product = draw(st.sampled_from(products))
        if product.weighed:
            quantity = str(Decimal(draw(st.integers(1, 20_000))).scaleb(-3))
        else:
            quantity = str(draw(st.integers(-3, 40)) or 1)
        discount = draw(st.sampled_from(["0", "5", "10", "12.5", "33.33", "100"]))
        price = draw(st.one_of(st.none(), st.integers(0, 10**8).map(lambda c: f"{c / 100:.2f}")))
        lines.append(orders.line(product, quantity, discount, unit_price=price))
    return lines


@pytest.mark.parametrize("variant", ["priced", "mutated"])
def test_fuzz_priced_orders_add_up(
    device: Device, orders: OrderBuilder, shop: Shop, variant: str
) -> None:
    # given orders a correct till would send (any products, quantities, returns, discounts,
    # prices and payments), and the same with one figure changed
    figures = ["net", "tax", "gross"]

    @_SETTINGS
    @given(
        lines=_priced_lines(shop, orders),
        pay=st.sampled_from(["card", "cash", "both"]),
        tip=st.integers(0, 5000),
        field=st.sampled_from(figures),
        delta=st.sampled_from(["0.01", "-0.01", "1.00"]),
    )
    def fuzz(lines: list[dict[str, Any]], pay: str, tip: int, field: str, delta: str) -> None:
        gross = total(
            line_price(
                quantity=Decimal(x["quantity"]),
                unit_price=Decimal(x["unit_price"]),
                discount=Decimal(x["discount"]),
                rate=Decimal(x["tax_rate"]),
                price_includes_tax=x["price_includes_tax"],
            )
            for x in lines
        ).gross
        if pay == "cash" and gross > 0:
            order = orders.order(lines, cash=str(gross + Decimal(tip).scaleb(-2)))
        elif pay == "both" and gross > 1:
            order = orders.order(lines, card="1.00", cash=str(gross - 1))
        else:
            order = orders.order(lines)
        # A manager may give any discount, change a price and take a return alone.
        order["cashier_id"] = shop.maria.pk
        if variant == "mutated":
            line = order["lines"][0]
            line[field] = str(Decimal(line[field]) + Decimal(delta))
        response = device.post("orders/sync", {"orders": [order]})
        assert response.status_code == 200, response.content[:300]
        (result,) = response.json()["results"]
        assert result["status"] == "accepted", result
        # a mutated order is stored all the same, under review (a paid sale is never refused)
        assert ("review" in result) == (variant == "mutated" or gross == 0), result

    fuzz()
    assert Order.objects.count() > 0
    assert_stored_orders_add_up()
    assert_sessions_read_back_and_close(device)


def assert_stored_orders_add_up() -> None:
    """Every stored order that passed the checks adds up, in the database's own figures:
    line net + tax = gross; the lines sum to the totals; payments - change = gross. (An
    order under review is stored as the till sent it, which is why it is under review.)"""
    checked = 0
    for order in Order.objects.prefetch_related("lines", "payments"):
        if order.review_code:
            continue
        lines = list(order.lines.all())
        for line in lines:
            assert line.net + line.tax_amount == line.gross, (order.uuid, line.position)
        assert sum(line.net for line in lines) == order.total_net, order.uuid
        assert sum(line.tax_amount for line in lines) == order.total_tax, order.uuid
        assert sum(line.gross for line in lines) == order.total_gross, order.uuid
        paid = sum((p.amount for p in order.payments.all()), Decimal(0))
        assert paid - order.change == order.total_gross, order.uuid
        checked += 1
    assert checked == Order.objects.filter(review_code="").count()


def assert_sessions_read_back_and_close(device: Device) -> None:
    """Every stored session reads back through the API and the back office's list, and
    the open one closes."""
    sessions = list(CashSession.objects.all())  # reading every decimal back
    assert Client().get("/admin/cash/cashsession/").status_code in {200, 302}
    for session in sessions:
        if session.state != SessionState.OPEN or session.terminal_id != device.terminal.pk:
            continue
        current = device.get("sessions/current")
        assert current.status_code == 200, current.content[:300]
        closed = device.post(
            f"sessions/{session.uuid}/close",
            {
                "cashier_id": session.opened_by_id,
                "closed_at": timezone.now().isoformat(),
                "counted_cash": "0",
            },
        )
        assert closed.status_code == 200, closed.content[:300]
        assert closed.json()["state"] == "closed"
