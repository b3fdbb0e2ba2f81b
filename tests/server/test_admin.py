"""The back office: what a shop owner does in /admin/."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from kassa.server.catalog.models import Product
from kassa.server.orders.models import Order
from kassa.server.staff.models import Cashier
from kassa.server.staff.services import cashier_check_pin
from kassa.server.terminals.models import DeviceToken

from .conftest import Device, OrderBuilder, Shop


def test_product_pages_and_csv_import(admin_client: Client, shop: Shop) -> None:
    assert admin_client.get("/admin/catalog/product/").status_code == 200
    page = admin_client.get("/admin/catalog/product/import/")
    assert page.status_code == 200
    upload = SimpleUploadedFile(
        "products.csv", b"name,ref,price,tax\nMints,MINT,1.20,VAT 21%\nBroken,BRK,x,VAT 21%\n"
    )
    response = admin_client.post("/admin/catalog/product/import/", {"file": upload})
    assert response.status_code == 200
    html = response.content.decode()
    assert "line 3" not in html or "is not an amount" in html
    assert re.search(r"<td>3</td><td>price &#x27;x&#x27; is not an amount", html)
    assert not Product.objects.filter(ref="MINT").exists()
    upload = SimpleUploadedFile(
        "products.csv", b"name,ref,price,tax\nMints,MINT,1.20,VAT 21%\nBroken,BRK,x,VAT 21%\n"
    )
    admin_client.post("/admin/catalog/product/import/", {"file": upload, "partial": "on"})
    assert Product.objects.get(ref="MINT").price == Decimal("1.20")


def test_editing_a_product_marks_it_changed_for_terminals(admin_client: Client, shop: Shop) -> None:
    before = Product.objects.get(pk=shop.cola.pk).version
    response = admin_client.post(
        f"/admin/catalog/product/{shop.cola.pk}/change/",
        {
            "name": "Cola 330 ml",
            "ref": "COLA",
            "category": shop.drinks.pk,
            "price": "1.19",
            "tax": shop.standard.pk,
            "unit": "pc",
            "active": "on",
            "barcodes-TOTAL_FORMS": "1",
            "barcodes-INITIAL_FORMS": "0",
            "barcodes-MIN_NUM_FORMS": "0",
            "barcodes-MAX_NUM_FORMS": "1000",
            "barcodes-0-code": "",
            "barcodes-0-id": "",
            "barcodes-0-product": shop.cola.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    cola = Product.objects.get(pk=shop.cola.pk)
    assert cola.price == Decimal("1.19")
    assert cola.version > before


def test_cashier_pin_is_set_hashed_and_never_shown(admin_client: Client, shop: Shop) -> None:
    response = admin_client.post(
        "/admin/staff/cashier/add/",
        {"name": "Carl", "role": "cashier", "active": "on", "new_pin": "4711"},
    )
    assert response.status_code == 302
    carl = Cashier.objects.get(name="Carl")
    assert carl.pin_hash and "4711" not in carl.pin_hash
    assert cashier_check_pin(cashier=carl, pin="4711")
    page = admin_client.get(f"/admin/staff/cashier/{carl.pk}/change/").content.decode()
    assert carl.pin_hash not in page
    assert carl.verifier_hash not in page
    assert "4711" not in page
    # saving without a PIN keeps it; a bad PIN is refused
    admin_client.post(
        f"/admin/staff/cashier/{carl.pk}/change/",
        {"name": "Carl", "role": "manager", "active": "on", "new_pin": ""},
    )
    carl.refresh_from_db()
    assert carl.role == "manager"
    assert cashier_check_pin(cashier=carl, pin="4711")
    bad = admin_client.post(
        f"/admin/staff/cashier/{carl.pk}/change/",
        {"name": "Carl", "role": "manager", "active": "on", "new_pin": "12ab"},
    )
    assert bad.status_code == 200
    assert "A PIN is 4 to 8 digits." in bad.content.decode()


def test_new_cashier_needs_a_pin(admin_client: Client, shop: Shop) -> None:
    response = admin_client.post("/admin/staff/cashier/add/", {"name": "Dora", "role": "cashier"})
    assert response.status_code == 200
    assert not Cashier.objects.filter(name="Dora").exists()


def test_pairing_code_action_and_token_revocation(
    admin_client: Client, client: Client, shop: Shop
) -> None:
    response = admin_client.post(
        "/admin/terminals/terminal/",
        {"action": "new_pairing_code", "_selected_action": [shop.terminal.pk]},
        follow=True,
    )
    message = next(str(m) for m in response.context["messages"])
    code = re.search(r"Pairing code for Till 1: (\w{4}-\w{4})", message).group(1)
    paired = client.post(
        "/api/v1/pair", json.dumps({"code": code}), content_type="application/json"
    )
    assert paired.status_code == 200
    token = paired.json()["token"]
    admin_client.post(
        "/admin/terminals/devicetoken/",
        {"action": "revoke", "_selected_action": [DeviceToken.objects.get().pk]},
    )
    assert (
        client.get("/api/v1/terminal", headers={"Authorization": f"Bearer {token}"}).status_code
        == 401
    )


def test_orders_are_read_only(admin_client: Client, device: Device, orders: OrderBuilder) -> None:
    order = orders.order()
    device.post("orders/sync", {"orders": [order]})
    stored = Order.objects.get(uuid=order["uuid"])
    page = admin_client.get(f"/admin/orders/order/{stored.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert (
        admin_client.post(f"/admin/orders/order/{stored.pk}/change/", {"note": "x"}).status_code
        == 403
    )
    assert (
        admin_client.post(f"/admin/orders/order/{stored.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert Order.objects.get(pk=stored.pk).note == ""


def test_sales_summary(
    admin_client: Client, device: Device, orders: OrderBuilder, shop: Shop
) -> None:
    device.post(
        "orders/sync",
        {
            "orders": [
                orders.order([orders.line(shop.cola, "2")], cash="5.00"),  # 1.98, change 3.02
                orders.order([orders.line(shop.bread, "1")]),  # 3.95 by card
            ]
        },
    )
    today = timezone.localdate().isoformat()
    response = admin_client.get("/admin/reports/salessummary/", {"start": today, "end": today})
    assert response.status_code == 200
    assert response.context["totals"]["orders"] == 2
    assert response.context["totals"]["gross"] == Decimal("5.93")
    methods = {
        r["method__name"]: (r["amount"], r["net_amount"]) for r in response.context["by_method"]
    }
    assert methods == {
        "Card": (Decimal("3.95"), Decimal("3.95")),
        "Cash": (Decimal("5.00"), Decimal("1.98")),
    }
    products = {r["product__name"]: r["quantity"] for r in response.context["by_product"]}
    assert products == {"Cola 330 ml": Decimal("2"), "Sourdough loaf": Decimal("1")}
    (day,) = response.context["by_day"]
    assert day["orders"] == 2
    html = response.content.decode()
    assert "5.93" in html


def test_every_admin_list_page_renders(admin_client: Client, shop: Shop) -> None:
    for url in [
        "/admin/",
        "/admin/catalog/tax/",
        "/admin/catalog/category/",
        "/admin/staff/cashier/",
        "/admin/terminals/terminal/",
        f"/admin/terminals/terminal/{shop.terminal.pk}/change/",
        "/admin/terminals/paymentmethod/",
        "/admin/terminals/devicetoken/",
        "/admin/cash/cashsession/",
        "/admin/orders/order/",
        "/admin/orders/order/import/",
        "/admin/reports/salessummary/",
    ]:
        assert admin_client.get(url).status_code == 200, url


def test_terminal_refuses_a_currency_it_cannot_store(shop: Shop) -> None:
    # money is stored with 2 decimals: a 3-decimal currency would be rounded
    terminal = shop.terminal
    for code, message in [("KWD", "KWD has 3 decimals"), ("E1R", "not an ISO 4217")]:
        terminal.currency = code
        with pytest.raises(ValidationError, match=message):
            terminal.full_clean()
    for code in ["JPY", "EUR", "chf"]:
        terminal.currency = code
        terminal.full_clean()
