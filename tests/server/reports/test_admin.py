"""The back office: the sales summary."""

from __future__ import annotations

from decimal import Decimal

from django.test import Client
from django.utils import timezone

from ..conftest import Device, OrderBuilder, Shop


def test_sales_summary(
    admin_client: Client, device: Device, orders: OrderBuilder, shop: Shop
) -> None:
    # and a third order with one cola sold and three voided (docs/permissions.md)
    voided = orders.order([orders.line(shop.cola, "1")])
    voided["lines"].append({**orders.line(shop.cola, "3"), "voided": True})
    device.post(
        "orders/sync",
        {
            "orders": [
                orders.order([orders.line(shop.cola, "2")], cash="5.00"),  # 1.98, change 3.02
                orders.order([orders.line(shop.bread, "1")]),  # 3.95 by card
                voided,
            ]
        },
    )
    today = timezone.localdate().isoformat()
    response = admin_client.get("/admin/reports/salessummary/", {"start": today, "end": today})
    assert response.status_code == 200
    assert response.context["totals"]["orders"] == 3
    assert response.context["totals"]["gross"] == Decimal("6.92")
    methods = {
        r["method__name"]: (r["amount"], r["net_amount"]) for r in response.context["by_method"]
    }
    assert methods == {
        "Card": (Decimal("4.94"), Decimal("4.94")),
        "Cash": (Decimal("5.00"), Decimal("1.98")),
    }
    products = {r["product__name"]: r["quantity"] for r in response.context["by_product"]}
    # voided lines are not sold, and are counted apart
    assert products == {"Cola 330 ml": Decimal("3"), "Sourdough loaf": Decimal("1")}
    (day,) = response.context["by_day"]
    assert day["orders"] == 3
    (voids,) = response.context["voids"]
    assert (voids["voided_lines"], voids["voided"], voids["abandoned"]) == (1, Decimal("2.97"), 0)
    html = response.content.decode()
    assert "6.92" in html
