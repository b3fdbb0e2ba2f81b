"""The back office: the sales summary."""

from __future__ import annotations

from decimal import Decimal

from django.test import Client
from django.utils import timezone

from ..conftest import Device, OrderBuilder, Shop


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
