"""The dashboard, the back office's index: per store figures, tills, alerts and their
acknowledgement; the vendored chart library."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

import kassa.server.reports
from kassa.server.cash.models import CashSession
from kassa.server.orders.models import Order, OrderAcknowledgement
from kassa.server.reports.models import AlertAcknowledgement
from kassa.server.reports.periods import business_day, day_bounds
from kassa.server.terminals.models import Store, TerminalStatus

from ..conftest import Device, OrderBuilder, Shop

STATIC = Path(kassa.server.reports.__file__).parent / "static" / "kassa"
VENDORED = {  # static/kassa/vendor/README.md
    "uPlot.esm.js": "5dd9b3281aa64b461b42d9945f6adb2649d346502b12281a9ae0d46599a80eba",
    "uPlot.min.css": "df630c6a8d6f8eeaff264b50f73ce5b114f646ffd9a0bb74f049b0a00135fa04",
}


def test_the_vendored_chart_library_is_the_pinned_one() -> None:
    for name, digest in VENDORED.items():
        path = STATIC / "vendor" / "uplot" / name
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, name
    assert "MIT" in (STATIC / "vendor/uplot/LICENSE").read_text()


@pytest.fixture
def sold(device: Device, orders: OrderBuilder, shop: Shop) -> list[Order]:
    """Today: 2 cola (1.98) for cash, a loaf (3.95) by card, and one mispriced order
    (flagged on ingest, 2 cola by card)."""
    mispriced = orders.order([orders.line(shop.cola, "2")])
    mispriced["totals"] = {**mispriced["totals"], "gross": "999.00"}
    batch = [
        orders.order([orders.line(shop.cola, "2")], cash="5.00"),
        orders.order([orders.line(shop.bread, "1")]),
        mispriced,
    ]
    assert device.post("orders/sync", {"orders": batch}).status_code == 200
    return list(Order.objects.order_by("pk"))


def test_the_dashboard_is_the_index_and_its_figures_are_the_orders(
    admin_client: Client, sold: list[Order], shop: Shop
) -> None:
    page = admin_client.get("/admin/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<title>Dashboard | Kassa back office</title>" in html
    assert "Django administration" not in html
    assert 'id="kassa-store"' in html and "Test shop" in html
    (figures,) = page.context["figures"]
    # the mispriced order says 999.00: it was paid and is stored, so it counts as sold
    expected = sum((o.total_gross for o in sold), Decimal(0))
    assert figures.today.sales == figures.week.sales == expected
    assert figures.today.tickets == 3
    assert figures.today.average == (expected / 3).quantize(Decimal("0.01"))
    assert (figures.today.refunds, figures.today.refund_count) == (Decimal("0.00"), 0)
    assert figures.last_week.sales == Decimal("0.00")
    charts = page.context["chart_data"]
    assert sum(charts["hourly"]["today"]) == int(expected * 100)
    assert charts["daily"]["sales"][-1] == int(expected * 100)
    assert len(charts["daily"]["days"]) == 30
    split = dict(zip(charts["methods"]["methods"], charts["methods"]["amounts"], strict=True))
    # what was paid: the mispriced order's card payment was its real 1.98
    assert split == {"Card": 395 + 198, "Cash": 198}


def test_an_order_last_week_counts_to_last_week_up_to_the_same_point(
    admin_client: Client, device: Device, orders: OrderBuilder, shop: Shop
) -> None:
    now = timezone.now()
    earlier = orders.order(
        [orders.line(shop.bread, "1")], created_at=(now - timedelta(days=7, minutes=5)).isoformat()
    )
    later = orders.order(
        [orders.line(shop.cola, "1")],
        created_at=(now - timedelta(days=7) + timedelta(minutes=30)).isoformat(),
    )
    # an hour into yesterday's business day, whatever the hour now
    yesterday_start, _ = day_bounds(shop.store, business_day(shop.store, now) - timedelta(days=1))
    yesterday = orders.order(
        [orders.line(shop.cola, "3")],
        created_at=(yesterday_start + timedelta(hours=1)).isoformat(),
    )
    device.post("orders/sync", {"orders": [earlier, later, yesterday]})
    (figures,) = admin_client.get("/admin/").context["figures"]
    assert figures.last_week.sales == Decimal("3.95")
    assert figures.last_week.tickets == 1
    assert (figures.yesterday.sales, figures.yesterday.tickets) == (Decimal("2.97"), 1)


def test_tills_show_their_last_report_and_a_silent_one_is_marked(
    admin_client: Client, device: Device, shop: Shop, session: CashSession
) -> None:
    # given POS1 reported a while ago, in opening hours all day
    Store.objects.filter(pk=shop.store.pk).update(opens_at="00:00", closes_at="23:59:59")
    device.post(
        "terminal/status",
        {
            "synced": True,
            "pending": 3,
            "printer": "bad",
            "printer_text": "Printer: paper out",
            "receipts_owed": 1,
        },
    )
    long_ago = timezone.now() - timedelta(minutes=11)
    TerminalStatus.objects.update(
        reported_at=long_ago, receipts_owed_since=long_ago - timedelta(hours=1)
    )
    shop.terminal.tokens.update(last_seen_at=long_ago)
    # when the manager opens the dashboard
    page = admin_client.get("/admin/")
    tills = {till.terminal.code: till for till in page.context["tills"]}
    pos1 = tills["POS1"]
    assert (pos1.pending, pos1.printer_text, pos1.receipts_owed, pos1.silent) == (
        3,
        "Printer: paper out",
        1,
        True,
    )
    assert pos1.session == session
    # POS2 was never paired: not silent, just not there yet
    assert tills["POS2"].silent is False and tills["POS2"].last_seen is None
    html = page.content.decode()
    assert "silent for over 10 minutes" in html
    # and the receipts owed for over an hour are an alert
    tokens = [alert.token for alert, _ in page.context["alerts"]]
    assert any(token.startswith("receipts_owed:") for token in tokens)


def test_a_flagged_order_is_an_alert_and_acknowledging_it_records_who(
    admin_client: Client, admin_user: User, sold: list[Order]
) -> None:
    flagged = next(o for o in sold if o.review_code)
    page = admin_client.get("/admin/")
    alerts = {alert.token: alert for alert, can in page.context["alerts"]}
    token = f"order_review:{flagged.pk}"
    assert alerts[token].url == f"/admin/orders/order/{flagged.pk}/change/"
    answer = admin_client.post("/admin/dashboard/acknowledge/", {"alert": token}, follow=True)
    ack = OrderAcknowledgement.objects.get(order=flagged)
    assert ack.acknowledged_by == admin_user
    html = answer.content.decode()
    assert "Acknowledged: Order" in html
    assert token not in {alert.token for alert, _ in answer.context["alerts"]}
    assert "by admin at" in html
    # the same alert again: nothing more recorded
    admin_client.post("/admin/dashboard/acknowledge/", {"alert": token})
    assert OrderAcknowledgement.objects.count() == 1


def test_a_cash_variance_over_the_threshold_is_acknowledged_on_the_dashboard(
    admin_client: Client, admin_user: User, shop: Shop
) -> None:
    def closed(difference: str) -> CashSession:
        return CashSession.objects.create(
            uuid=uuid.uuid4(),
            terminal=shop.terminal,
            opened_by=shop.alice,
            opened_at=timezone.now() - timedelta(hours=8),
            opening_float=Decimal(100),
            state="closed",
            closed_by=shop.alice,
            closed_at=timezone.now(),
            counted_cash=Decimal(100) + Decimal(difference),
            expected_cash=Decimal(100),
            difference=Decimal(difference),
        )

    short = closed("-12.50")
    closed("4.99")  # within the store's 5.00
    tokens = [alert.token for alert, _ in admin_client.get("/admin/").context["alerts"]]
    assert tokens == [f"cash_variance:{short.uuid}"]
    admin_client.post("/admin/dashboard/acknowledge/", {"alert": tokens[0]})
    ack = AlertAcknowledgement.objects.get()
    assert (ack.kind, ack.key, ack.acknowledged_by) == (
        "cash_variance",
        str(short.uuid),
        admin_user,
    )
    assert admin_client.get("/admin/").context["alerts"] == []


def test_a_user_without_the_permission_cannot_acknowledge(
    client: Client, sold: list[Order], shop: Shop
) -> None:
    from django.contrib.auth.models import Permission

    user = User.objects.create_user("viewer", password="x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_order"))
    client.force_login(user)
    flagged = next(o for o in sold if o.review_code)
    page = client.get("/admin/")
    assert [can for alert, can in page.context["alerts"]] == [False]
    client.post("/admin/dashboard/acknowledge/", {"alert": f"order_review:{flagged.pk}"})
    assert not OrderAcknowledgement.objects.exists()


def test_an_over_refund_is_an_alert_acknowledged_on_its_flag(
    admin_client: Client, admin_user: User, sold: list[Order]
) -> None:
    from kassa.server.orders.models import RefundFlag

    flag = RefundFlag.objects.create(
        order=sold[0],
        code="over_refund",
        message="2 refunded of 1 sold",
        detected_at=timezone.now(),
    )
    alerts = {alert.token: alert for alert, _ in admin_client.get("/admin/").context["alerts"]}
    assert alerts[f"over_refund:{flag.pk}"].detail == "2 refunded of 1 sold"
    admin_client.post("/admin/dashboard/acknowledge/", {"alert": f"over_refund:{flag.pk}"})
    flag.refresh_from_db()
    assert flag.acknowledged_by == admin_user and flag.acknowledged_at is not None


def test_a_z_over_its_variance_limit_is_an_alert_and_its_session_not_twice(
    admin_client: Client, admin_user: User, shop: Shop
) -> None:
    from kassa.server.cash.models import ZReport
    from kassa.server.journal.models import TerminalEntry

    now = timezone.now()
    session = CashSession.objects.create(
        uuid=uuid.uuid4(),
        terminal=shop.terminal,
        opened_by=shop.alice,
        opened_at=now - timedelta(hours=8),
        opening_float=Decimal(100),
        state="closed",
        closed_by=shop.alice,
        closed_at=now,
        counted_cash=Decimal("80.00"),
        expected_cash=Decimal("100.00"),
        difference=Decimal("-20.00"),
    )
    entry = TerminalEntry.objects.create(
        terminal_code="POS1",
        seq=9,
        type="Z_CLOSE",
        at_text=now.isoformat(),
        at=now,
        key_id="k",
        canonical=b"{}",
        hash="0" * 64,
        sig="s",
        received_at=now,
    )
    z = ZReport.objects.create(
        terminal=shop.terminal,
        entry=entry,
        seq=9,
        at=now,
        session=session,
        cashier_name="Alice",
        z_no=1,
        closed_at=now,
        variance=Decimal("-20.00"),
        over_limit=True,
    )
    # the Z is the alert; its session, counted off too, is not a second one
    tokens = [alert.token for alert, _ in admin_client.get("/admin/").context["alerts"]]
    assert tokens == [f"cash_variance:z{z.pk}"]
    admin_client.post("/admin/dashboard/acknowledge/", {"alert": tokens[0]})
    ack = AlertAcknowledgement.objects.get()
    assert (ack.key, ack.acknowledged_by) == (f"z{z.pk}", admin_user)
    assert admin_client.get("/admin/").context["alerts"] == []
