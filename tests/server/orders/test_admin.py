"""The back office: orders are read, never edited."""

from __future__ import annotations

from django.test import Client

from kassa.server.orders.models import Order

from ..conftest import Device, OrderBuilder


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
