"""The back office: orders are read, never edited; orders under review are listed *To
review* and acknowledged by a manager, beside the order, never in it."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission, User
from django.forms.models import model_to_dict
from django.test import Client
from django.utils import formats, timezone

from kassa.server.orders.models import Order, OrderAcknowledgement, SaleReview

from ..conftest import Device, OrderBuilder
from .conftest import Journal

CHANGELIST = "/admin/orders/order/"


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


def _staff(username: str, *permissions: str) -> Client:
    user = User.objects.create_user(username=username, password="x", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="orders", codename__in=permissions)
    )
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def manager(db: None) -> Client:
    return _staff("manager", "view_order", "view_salereview", "acknowledge_order")


@pytest.fixture
def synced(device: Device, orders: OrderBuilder) -> dict[str, Order]:
    """One order that broke no rule and two under review."""
    clean = orders.order()
    mispriced = orders.order()
    mispriced["totals"] = {**mispriced["totals"], "gross": "999.00"}
    stranger = orders.order(cashier_id=999999)
    device.post("orders/sync", {"orders": [clean, mispriced, stranger]})
    by_uuid = {str(o.uuid): o for o in Order.objects.all()}
    return {
        "clean": by_uuid[clean["uuid"]],
        "mispriced": by_uuid[mispriced["uuid"]],
        "stranger": by_uuid[stranger["uuid"]],
    }


def _listed(client: Client, query: str = "") -> set[str]:
    response = client.get(CHANGELIST + query)
    assert response.status_code == 200
    return {order.receipt_number for order in response.context["cl"].result_list}


def _row(order: Order) -> dict[str, Any]:
    fresh = Order.objects.get(pk=order.pk)
    return {
        **model_to_dict(fresh),
        "lines": list(fresh.lines.values()),
        "payments": list(fresh.payments.values()),
    }


def test_orders_to_review_are_listed_apart(manager: Client, synced: dict[str, Order]) -> None:
    page = manager.get(CHANGELIST).content.decode()
    assert "To review (2)" in page
    assert "total_mismatch (to review)" in page
    assert _listed(manager, "?review=open") == {
        synced["mispriced"].receipt_number,
        synced["stranger"].receipt_number,
    }
    assert _listed(manager, "?review=none") == {synced["clean"].receipt_number}
    assert _listed(manager, "?review=acknowledged") == set()


def test_a_manager_acknowledges_orders_without_changing_them(
    manager: Client, synced: dict[str, Order]
) -> None:
    # given the orders as stored
    before = {name: _row(order) for name, order in synced.items()}
    started = timezone.now()
    # when a manager selects all three and acknowledges them
    response = manager.post(
        CHANGELIST,
        {"action": "acknowledge", "_selected_action": [o.pk for o in synced.values()]},
        follow=True,
    )
    # then the two under review are acknowledged, by them, now; the orders are unchanged
    assert "2 orders acknowledged; 1 needed no review or were acknowledged before." in (
        response.content.decode()
    )
    acks = {a.order_id: a for a in OrderAcknowledgement.objects.select_related("acknowledged_by")}
    assert set(acks) == {synced["mispriced"].pk, synced["stranger"].pk}
    for ack in acks.values():
        assert ack.acknowledged_by.username == "manager"
        assert started <= ack.acknowledged_at <= timezone.now()
    assert {name: _row(order) for name, order in synced.items()} == before
    assert _listed(manager, "?review=open") == set()
    assert len(_listed(manager, "?review=acknowledged")) == 2
    page = manager.get(f"/admin/orders/order/{synced['mispriced'].pk}/change/").content.decode()
    assert "by manager at" in page
    assert synced["mispriced"].review_message in page


def test_acknowledging_again_keeps_the_first_acknowledgement(
    manager: Client, synced: dict[str, Order]
) -> None:
    order = synced["mispriced"]
    manager.post(CHANGELIST, {"action": "acknowledge", "_selected_action": [order.pk]})
    first = OrderAcknowledgement.objects.get()
    other = _staff("other", "view_order", "acknowledge_order")
    response = other.post(
        CHANGELIST, {"action": "acknowledge", "_selected_action": [order.pk]}, follow=True
    )
    assert "0 orders acknowledged" in response.content.decode()
    again = OrderAcknowledgement.objects.get()
    assert (again.acknowledged_by_id, again.acknowledged_at) == (
        first.acknowledged_by_id,
        first.acknowledged_at,
    )


def test_acknowledging_takes_the_permission(synced: dict[str, Order]) -> None:
    viewer = _staff("viewer", "view_order")
    page = viewer.get(CHANGELIST).content.decode()
    assert 'value="acknowledge"' not in page
    viewer.post(CHANGELIST, {"action": "acknowledge", "_selected_action": [synced["mispriced"].pk]})
    assert not OrderAcknowledgement.objects.exists()


def test_a_manager_acknowledges_a_sale_review(
    manager: Client, device: Device, orders: OrderBuilder
) -> None:
    # given a SALE of the till's journal that names an order the server never got
    journal = Journal()
    journal.register(device)
    device.post("orders/sync", {"journal": [journal.init(), journal.sale(orders.order())]})
    review = SaleReview.objects.get()
    sales = "/admin/orders/salereview/"
    # then it is listed to review, and linked from the orders
    assert "Journal SALEs to review (1)" in manager.get(CHANGELIST).content.decode()
    response = manager.get(sales + "?review=open")
    assert list(response.context["cl"].result_list) == [review]
    # when a manager acknowledges it, twice
    started = timezone.now()
    manager.post(sales, {"action": "acknowledge", "_selected_action": [review.pk]})
    first = SaleReview.objects.get()
    again = manager.post(
        sales, {"action": "acknowledge", "_selected_action": [review.pk]}, follow=True
    )
    # then who and when are recorded once, and nothing else of it changed
    assert "0 SALE reviews acknowledged; 1 were acknowledged before." in again.content.decode()
    assert first.acknowledged_by.username == "manager"
    assert started <= first.acknowledged_at <= timezone.now()
    assert SaleReview.objects.get().acknowledged_at == first.acknowledged_at
    assert (first.code, first.message, first.seq) == (review.code, review.message, review.seq)
    assert list(manager.get(sales + "?review=open").context["cl"].result_list) == []


def test_acknowledging_a_sale_review_takes_the_permission(
    device: Device, orders: OrderBuilder
) -> None:
    journal = Journal()
    journal.register(device)
    device.post("orders/sync", {"journal": [journal.init(), journal.sale(orders.order())]})
    viewer = _staff("viewer", "view_salereview")
    review = SaleReview.objects.get()
    assert viewer.get("/admin/orders/salereview/").status_code == 200
    viewer.post(
        "/admin/orders/salereview/", {"action": "acknowledge", "_selected_action": [review.pk]}
    )
    assert SaleReview.objects.get().acknowledged_at is None


def test_times_show_in_the_store_time_zone(
    admin_client: Client, device: Device, orders: OrderBuilder, session: Any
) -> None:
    # given a store in New York (the server keeps UTC) and an order at 15:30 UTC
    store = session.terminal.store
    store.time_zone = "America/New_York"
    store.save()
    order = orders.order(created_at="2026-03-02T15:30:00+00:00")
    device.post("orders/sync", {"orders": [order]})
    stored = Order.objects.get(uuid=order["uuid"])
    # then the orders' list shows it at 10:30 New York time, with the zone
    listed = admin_client.get(CHANGELIST).content.decode()
    assert "March 2, 2026, 10:30 a.m. EST" in listed
    assert "3:30 p.m." not in listed
    # and so does the order's page
    page = admin_client.get(f"/admin/orders/order/{stored.pk}/change/").content.decode()
    assert "March 2, 2026, 10:30 a.m." in page
    assert "3:30 p.m." not in page
    # and the session's list, its opening in the store's time too
    opened = session.opened_at.astimezone(ZoneInfo("America/New_York"))
    sessions = admin_client.get("/admin/cash/cashsession/").content.decode()
    assert f"{opened:%Z}" in sessions
    assert formats.localize(opened) in sessions
