"""The back office: what a shop owner does in /admin/."""

from __future__ import annotations

from django.test import Client

from .conftest import Shop


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
