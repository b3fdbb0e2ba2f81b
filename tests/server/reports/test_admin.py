"""The back office: the sales summary."""

from __future__ import annotations

from decimal import Decimal

from django.test import Client
from django.utils import timezone

from kassa.server.reports.periods import business_day

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
    today = business_day(shop.terminal.store, timezone.now()).isoformat()  # the store's
    period = {"start": today, "end": today}
    response = admin_client.get("/admin/reports/salessummary/", period)
    assert response.status_code == 200
    assert response.context["totals"]["orders"] == 3
    assert response.context["totals"]["gross"] == Decimal("6.92")
    # the page computes the dimension asked (by day unless told), the totals and voids
    (day,) = response.context["report"].rows
    assert day["tickets"] == 3
    (voids,) = response.context["voids"]
    assert (voids["voided_lines"], voids["voided"], voids["abandoned"]) == (1, Decimal("2.97"), 0)
    by_method = admin_client.get(
        "/admin/reports/salessummary/", {**period, "dimension": "payment_method"}
    )
    methods = {r["method_name"]: (r["paid"], r["kept"]) for r in by_method.context["report"].rows}
    assert methods == {
        "Card": (Decimal("4.94"), Decimal("4.94")),
        "Cash": (Decimal("5.00"), Decimal("1.98")),
    }
    by_product = admin_client.get(
        "/admin/reports/salessummary/", {**period, "dimension": "product"}
    )
    rows = by_product.context["report"].rows
    products = {r["product_name"]: r["quantity"] for r in rows}
    # voided lines are not sold, and are counted apart
    assert products == {"Cola 330 ml": Decimal("3"), "Sourdough loaf": Decimal("1")}
    assert by_product.context["report"].totals["gross"] == Decimal("6.92")
    html = response.content.decode()
    assert "6.92" in html
