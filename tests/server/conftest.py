"""Fixtures for the server: a small shop, a paired terminal and valid orders."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from kassa.money import line_price, total
from kassa.server.cash.models import CashSession
from kassa.server.catalog.models import Category, Product, Tax
from kassa.server.catalog.services import product_create
from kassa.server.staff.models import Cashier, RoleCode
from kassa.server.staff.services import cashier_create
from kassa.server.terminals.models import PaymentMethod, Store, Terminal
from kassa.server.terminals.services import pairing_code_create, terminal_pair


@pytest.fixture(autouse=True)
def _fast_hashing(settings: Any) -> None:
    # Production PIN hashing is slow on purpose; tests check the logic, not the cost.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.KASSA_PIN_VERIFIER_ITERATIONS = 1000


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    from django.core.cache import cache

    cache.clear()


@dataclass
class Shop:
    standard: Tax
    reduced: Tax
    net_priced: Tax
    drinks: Category
    cola: Product
    bread: Product
    apples: Product
    repair: Product
    cash: PaymentMethod
    card: PaymentMethod
    voucher: PaymentMethod
    alice: Cashier
    maria: Cashier
    terminal: Terminal
    other_terminal: Terminal
    store: Store


@pytest.fixture
def shop(db: None) -> Shop:
    standard = Tax.objects.create(name="VAT 21%", rate=Decimal(21), price_includes_tax=True)
    reduced = Tax.objects.create(name="VAT 9%", rate=Decimal(9), price_includes_tax=True)
    net_priced = Tax.objects.create(name="VAT 21% net", rate=Decimal(21), price_includes_tax=False)
    drinks = Category.objects.create(name="Drinks")
    cola = product_create(
        name="Cola 330 ml",
        price="0.99",
        tax=standard,
        ref="COLA",
        category=drinks,
        barcodes=["5449000000996"],
    )
    bread = product_create(
        name="Sourdough loaf", price="3.95", tax=reduced, ref="BREAD", barcodes=["8710000000000"]
    )
    apples = product_create(
        name="Apples",
        price="2.49",
        tax=reduced,
        ref="APPLE",
        unit="kg",
        weighed=True,
        barcodes=["2100005000000"],
    )
    repair = product_create(name="Repair hour", price="40.00", tax=net_priced, ref="REPAIR")
    cash = PaymentMethod.objects.create(name="Cash", is_cash=True)
    card = PaymentMethod.objects.create(name="Card")
    voucher = PaymentMethod.objects.create(name="Voucher")
    store = Store.objects.create(name="Test shop")
    terminal = Terminal.objects.create(name="Till 1", code="POS1", store=store)
    terminal.payment_methods.set([cash, card])
    other = Terminal.objects.create(name="Till 2", code="POS2", store=store)
    other.payment_methods.set([cash, card, voucher])
    return Shop(
        standard,
        reduced,
        net_priced,
        drinks,
        cola,
        bread,
        apples,
        repair,
        cash,
        card,
        voucher,
        alice=cashier_create(name="Alice", pin="1234"),
        maria=cashier_create(name="Maria", pin="9999", role=RoleCode.MANAGER),
        terminal=terminal,
        other_terminal=other,
        store=store,
    )


class Device:
    """A paired terminal talking to the API through Django's test client."""

    def __init__(self, client: Client, token: str, terminal: Terminal):
        self.client = client
        self.token = token
        self.terminal = terminal

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1/{path}", params, headers=self._headers())

    def post(self, path: str, body: Any) -> Any:
        import json

        data = body if isinstance(body, (str, bytes)) else json.dumps(body)
        return self.client.post(
            f"/api/v1/{path}", data, content_type="application/json", headers=self._headers()
        )


def pair(client: Client, terminal: Terminal) -> Device:
    _, secret = terminal_pair(code=pairing_code_create(terminal=terminal))
    return Device(client, secret, terminal)


@pytest.fixture
def device(shop: Shop, client: Client) -> Device:
    return pair(client, shop.terminal)


@pytest.fixture
def session(shop: Shop) -> CashSession:
    return CashSession.objects.create(
        uuid=uuid.uuid4(),
        terminal=shop.terminal,
        opened_by=shop.alice,
        opened_at=timezone.now(),
        opening_float=Decimal("100.00"),
    )


@dataclass
class OrderBuilder:
    """Builds orders the way a correct terminal does: priced with kassa.money."""

    shop: Shop
    session: CashSession
    counter: list[int] = field(default_factory=lambda: [0])

    def line(
        self,
        product: Product,
        quantity: str = "1",
        discount: str = "0",
        unit_price: str | None = None,
    ) -> dict[str, Any]:
        price = Decimal(unit_price) if unit_price is not None else product.price
        amount = line_price(
            quantity=Decimal(quantity),
            unit_price=price,
            discount=Decimal(discount),
            rate=product.tax.rate,
            price_includes_tax=product.tax.price_includes_tax,
        )
        return {
            "product_id": product.pk,
            "quantity": quantity,
            "unit_price": str(price),
            "discount": discount,
            "tax_id": product.tax_id,
            "tax_rate": f"{product.tax.rate.normalize():f}",
            "price_includes_tax": product.tax.price_includes_tax,
            "net": str(amount.net),
            "tax": str(amount.tax),
            "gross": str(amount.gross),
        }

    def order(
        self,
        lines: list[dict[str, Any]] | None = None,
        *,
        cash: str | None = None,
        card: str | None = None,
        **overrides: Any,
    ) -> dict[str, Any]:
        lines = lines if lines is not None else [self.line(self.shop.cola, "2")]
        amounts = [
            line_price(
                quantity=Decimal(x["quantity"]),
                unit_price=Decimal(x["unit_price"]),
                discount=Decimal(x["discount"]),
                rate=Decimal(x["tax_rate"]),
                price_includes_tax=x["price_includes_tax"],
            )
            for x in lines
        ]
        totals = total(amounts)
        payments = []
        change = Decimal(0)
        if card is not None:
            payments.append({"method_id": self.shop.card.pk, "amount": card})
        if cash is not None:
            payments.append({"method_id": self.shop.cash.pk, "amount": cash})
            change = sum((Decimal(p["amount"]) for p in payments), Decimal(0)) - totals.gross
        if not payments:
            payments.append({"method_id": self.shop.card.pk, "amount": str(totals.gross)})
        self.counter[0] += 1
        order = {
            "uuid": str(uuid.uuid4()),
            "receipt_number": f"POS1-1-{self.counter[0]:06d}",
            "session_uuid": str(self.session.uuid),
            "cashier_id": self.shop.alice.pk,
            "created_at": timezone.now().isoformat(),
            "note": "",
            "lines": lines,
            "payments": payments,
            "change": str(change),
            "totals": {"net": str(totals.net), "tax": str(totals.tax), "gross": str(totals.gross)},
        }
        order.update(overrides)
        return order


@pytest.fixture
def orders(shop: Shop, session: CashSession) -> OrderBuilder:
    return OrderBuilder(shop, session)
