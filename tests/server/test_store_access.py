"""A back-office user limited to a store sees that store's orders, sessions, reports,
terminals and journal only, through every admin page and export."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission, User
from django.db.models import ForeignKey, Model, OneToOneField
from django.test import Client
from django.utils import timezone

from kassa.server.cash.models import CashSession
from kassa.server.journal.models import IntegrityAlert
from kassa.server.orders.models import AbandonedOrder, Order
from kassa.server.terminals.models import Store, Terminal

from .conftest import Device, OrderBuilder, Shop, pair

VIEW = [
    ("orders", "view_order"),
    ("orders", "view_salereview"),
    ("orders", "view_abandonedorder"),
    ("cash", "view_cashsession"),
    ("terminals", "view_terminal"),
    ("terminals", "view_store"),
    ("terminals", "view_devicetoken"),
    ("journal", "view_integrityalert"),
    ("journal", "change_integrityalert"),  # may acknowledge: but only their stores'
    ("journal", "view_terminalentry"),
    ("journal", "view_serverentry"),
    ("reports", "view_salessummary"),
]


@pytest.fixture
def two_stores(
    shop: Shop, device: Device, orders: OrderBuilder, client: Client
) -> dict[str, object]:
    """The shop's store with an order on POS1, and another store whose till POS3 sold
    one too, with an open session and an integrity alert."""
    other = Store.objects.create(name="Other shop")
    till = Terminal.objects.create(name="Till 3", code="POS3", store=other)
    till.payment_methods.set([shop.cash, shop.card])
    other_device = pair(client, till)
    session = CashSession.objects.create(
        uuid=uuid.uuid4(),
        terminal=till,
        opened_by=shop.alice,
        opened_at=timezone.now(),
        opening_float=Decimal("50.00"),
    )
    mine = orders.order([orders.line(shop.cola, "1")])
    device.post("orders/sync", {"orders": [mine]})
    theirs = orders.order(
        [orders.line(shop.bread, "3")],
        session_uuid=str(session.uuid),
        receipt_number="POS3-1-000001",
    )
    assert other_device.post("orders/sync", {"orders": [theirs]}).status_code == 200
    IntegrityAlert.objects.create(
        terminal_code="POS3",
        seq=7,
        reason="bad_hash",
        detail="their alert",
        quarantined=False,
        detected_at=timezone.now(),
    )
    for at, name in ((shop.terminal, "Own cashier"), (till, "Their cashier")):
        AbandonedOrder.objects.create(
            terminal=at,
            seq=9,
            abandoned_at=timezone.now(),
            lines=[],
            total="1.00",
            cashier_name=name,
        )
    return {
        "store": other,
        "till": till,
        "session": session,
        "mine": Order.objects.get(uuid=mine["uuid"]),
        "theirs": Order.objects.get(uuid=theirs["uuid"]),
    }


@pytest.fixture
def store_manager(shop: Shop) -> Client:
    user = User.objects.create_user("ana", password="x", is_staff=True)
    for app, codename in VIEW:
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app, codename=codename)
        )
    shop.store.managers.add(user)
    client = Client()
    client.force_login(user)
    return client


def test_a_store_manager_sees_only_their_store(
    store_manager: Client, admin_client: Client, shop: Shop, two_stores: dict[str, object]
) -> None:
    theirs = two_stores["theirs"]
    mine = two_stores["mine"]
    assert isinstance(theirs, Order) and isinstance(mine, Order)
    pages = {
        "/admin/orders/order/": (mine.receipt_number, theirs.receipt_number),
        "/admin/cash/cashsession/": ("Till 1", "Till 3"),
        "/admin/terminals/terminal/": ("Till 1", "Till 3"),
        "/admin/terminals/store/": ("Test shop", "Other shop"),
        "/admin/terminals/devicetoken/": ("POS1-1-", "POS3-1-"),
        "/admin/journal/integrityalert/": ("", "their alert"),
        "/admin/orders/abandonedorder/": ("Own cashier", "Their cashier"),
    }
    for url, (own, foreign) in pages.items():
        # the head office sees both stores
        everything = admin_client.get(url).content.decode()
        assert foreign in everything, url
        # the store manager sees theirs, and not even the other's name in a filter
        page = store_manager.get(url)
        assert page.status_code == 200, url
        html = page.content.decode()
        assert own in html, url
        assert foreign not in html, url
        assert "Till 3" not in html and "Other shop" not in html, url
    # a foreign record's own pages are not found
    their_abandoned = AbandonedOrder.objects.get(cashier_name="Their cashier").pk
    for url in (
        f"/admin/orders/order/{theirs.pk}/change/",
        f"/admin/orders/order/{theirs.pk}/history/",
        f"/admin/cash/cashsession/{two_stores['session'].pk}/change/",  # type: ignore[attr-defined]
        f"/admin/terminals/terminal/{two_stores['till'].pk}/change/",  # type: ignore[attr-defined]
        f"/admin/terminals/store/{two_stores['store'].pk}/change/",  # type: ignore[attr-defined]
        f"/admin/orders/abandonedorder/{their_abandoned}/change/",
    ):
        answer = store_manager.get(url, follow=True)
        assert theirs.receipt_number not in answer.content.decode(), url
        assert "doesn’t exist" in answer.content.decode(), url
    # the server's chain speaks of every store: not theirs to read
    assert store_manager.get("/admin/journal/serverentry/").status_code == 403
    # the sales summary counts their store only, and refuses the other's terminal
    today = timezone.localdate().isoformat()
    report = store_manager.get("/admin/reports/salessummary/", {"start": today, "end": today})
    assert report.context["totals"]["orders"] == 1
    assert report.context["totals"]["gross"] == mine.total_gross
    refused = store_manager.get(
        "/admin/reports/salessummary/",
        {"start": today, "end": today, "terminal": two_stores["till"].pk},  # type: ignore[attr-defined]
    )
    assert "Select a valid choice" in refused.content.decode()
    assert refused.context["totals"]["orders"] == 1


def test_a_store_manager_dashboard_is_their_store(
    store_manager: Client, admin_client: Client, shop: Shop, two_stores: dict[str, object]
) -> None:
    everything = admin_client.get("/admin/").context
    assert [f.store.name for f in everything["figures"]] == ["Other shop", "Test shop"]
    assert any(alert.terminal == "POS3" for alert, _ in everything["alerts"])
    page = store_manager.get("/admin/")
    assert [f.store.name for f in page.context["figures"]] == ["Test shop"]
    (figures,) = page.context["figures"]
    mine = two_stores["mine"]
    assert isinstance(mine, Order)
    assert (figures.today.sales, figures.today.tickets) == (mine.total_gross, 1)
    assert {till.terminal.code for till in page.context["tills"]} == {"POS1", "POS2"}
    assert all(alert.terminal != "POS3" for alert, _ in page.context["alerts"])
    html = page.content.decode()
    assert "Other shop" not in html and "Till 3" not in html and "their alert" not in html
    assert 'id="kassa-store"' in html
    # an alert of the other store cannot be acknowledged by naming it
    (theirs,) = [a for a, _ in everything["alerts"] if a.terminal == "POS3"]
    store_manager.post("/admin/dashboard/acknowledge/", {"alert": theirs.token})
    assert IntegrityAlert.objects.get(terminal_code="POS3").acknowledged_at is None


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_store_manager_exports_only_their_store(
    store_manager: Client, admin_client: Client, two_stores: dict[str, object], kind: str
) -> None:
    today = timezone.localdate().isoformat()
    query = {"start": today, "end": today, "dimension": "terminal", "format": kind}
    url = "/admin/reports/salessummary/export/"
    everything = admin_client.get(url, query).content
    mine = store_manager.get(url, query)
    assert mine.status_code == 200
    if kind == "csv":
        assert b"POS3" in everything and b"Other shop" in everything
        assert b"POS1" in mine.content
        assert b"POS3" not in mine.content and b"Other shop" not in mine.content
    else:
        import io

        from openpyxl import load_workbook

        def codes(content: bytes) -> set[object]:
            sheet = load_workbook(io.BytesIO(content)).active
            assert sheet is not None
            return {row[1] for row in sheet.iter_rows(min_row=3, values_only=True)}

        assert {"POS1", "POS3"} <= codes(everything)
        assert "POS3" not in codes(mine.content) and "POS1" in codes(mine.content)
    # naming the other store or its till is refused, not answered with its figures
    other = {"store": two_stores["store"].pk}  # type: ignore[attr-defined]
    assert store_manager.get(url, {**query, **other}).status_code == 400
    till = {"terminal": two_stores["till"].pk}  # type: ignore[attr-defined]
    assert store_manager.get(url, {**query, **till}).status_code == 400


def _path_to_store(model: type[Model], depth: int = 0) -> str | None:
    """The lookup from `model` to the Store it belongs to ("" for Store itself, a
    `terminal_code` field for the journal's records), or None when it holds no store's
    data: every foreign key is followed, three deep."""
    if model is Store:
        return ""
    if model is Terminal:
        return "store"
    names = {f.name for f in model._meta.get_fields()}
    if "terminal_code" in names:
        return "terminal_code"
    if depth >= 3:
        return None
    for field in model._meta.get_fields():
        if isinstance(field, (ForeignKey, OneToOneField)) and field.related_model is not model:
            rest = _path_to_store(field.related_model, depth + 1)  # type: ignore[arg-type]
            if rest is not None:
                return f"{field.name}__{rest}".rstrip("_")
    return None


def _resolves_to_store(model: type[Model], path: str) -> bool:
    for name in path.split("__"):
        if name == "pk":
            continue
        field = model._meta.get_field(name)
        if field.related_model is None:
            return False
        model = field.related_model  # type: ignore[assignment]
    return model is Store


# Pages holding per-store data that filter it by their own view rather than by a mixin,
# each proved store by store above: the report's form limits stores and terminals.
SCOPED_BY_THEIR_VIEW = {"reports.SalesSummary"}


def test_every_admin_page_of_per_store_data_is_scoped() -> None:
    """Walks the admin registry: a model reaching a Store or a Terminal through its foreign
    keys (or naming its terminal by code, as the journal does) holds one store's data, and
    its page must be StoreScoped along a path that ends at Store, or TerminalCodeScoped."""
    from django.contrib import admin

    from kassa.server.common.admin import TerminalCodeScoped
    from kassa.server.terminals.admin import StoreScoped

    per_store, unscoped = [], []
    for model, model_admin in admin.site._registry.items():
        path = _path_to_store(model)
        if path is None:
            continue
        per_store.append(model._meta.label)
        if model._meta.label in SCOPED_BY_THEIR_VIEW:
            continue
        if isinstance(model_admin, TerminalCodeScoped):
            assert "terminal_code" in {f.name for f in model._meta.get_fields()}
            continue
        if isinstance(model_admin, StoreScoped):
            assert _resolves_to_store(model, model_admin.store_path), model._meta.label
            continue
        unscoped.append(model._meta.label)
    assert unscoped == []
    # the walk finds what it should: the pages named by the issue, and the journal's
    assert {
        "orders.Order",
        "orders.AbandonedOrder",
        "orders.RefundFlag",
        "cash.CashSession",
        "cash.CashMove",
        "cash.CashCount",
        "cash.ZReport",
        "terminals.Terminal",
        "journal.TerminalEntry",
        "journal.IntegrityAlert",
    } <= set(per_store)
    assert "catalog.Product" not in per_store and "journal.ServerEntry" not in per_store


def test_journal_and_abandoned_orders_show_their_store_s_time(
    admin_client: Client, shop: Shop
) -> None:
    """A terminal's journal records and abandoned orders show in its store's zone, with
    the zone's abbreviation; the server chain's page says its times are the server's."""
    from datetime import UTC, datetime

    from kassa.server.journal.models import ServerEntry, TerminalEntry

    shop.store.time_zone = "America/New_York"
    shop.store.save()
    moment = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)  # 07:00 EST
    alert = IntegrityAlert.objects.create(
        terminal_code="POS1",
        seq=7,
        reason="bad_hash",
        detail="",
        quarantined=False,
        detected_at=moment,
    )
    entry = TerminalEntry.objects.create(
        terminal_code="POS1",
        seq=1,
        type="LOGIN",
        at_text="x",
        at=moment,
        key_id="k",
        canonical=b"{}",
        hash="0" * 64,
        sig="s",
        received_at=moment,
    )
    abandoned = AbandonedOrder.objects.create(
        terminal=shop.terminal, seq=9, abandoned_at=moment, lines=[], total="1.00"
    )
    for url in (
        "/admin/journal/integrityalert/",
        "/admin/journal/terminalentry/",
        "/admin/orders/abandonedorder/",
    ):
        html = admin_client.get(url).content.decode()
        assert "7 a.m. EST" in html, url
        assert "noon" not in html, url
    for url in (
        f"/admin/journal/integrityalert/{alert.pk}/change/",
        f"/admin/journal/terminalentry/{entry.pk}/change/",
        f"/admin/orders/abandonedorder/{abandoned.pk}/change/",
    ):
        html = admin_client.get(url).content.decode()
        assert "7 a.m." in html and "noon" not in html, url
    ServerEntry.objects.create(
        seq=1,
        type="X",
        at_text="x",
        at=moment,
        key_id="k",
        canonical=b"{}",
        hash="1" * 64,
        sig="s",
        received_at=moment,
    )
    html = admin_client.get("/admin/journal/serverentry/").content.decode()
    assert "server&#x27;s time zone (UTC)" in html or "server's time zone (UTC)" in html
    assert "noon" in html
