"""The demo's history: two stores, three tills, days of sales priced as a till prices
them, and something for the dashboard's alerts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone

from kassa.server.cash.models import CashSession
from kassa.server.demo import demo_seed
from kassa.server.orders.models import Order, OrderKind, OrderLine, Payment, RefundLedger
from kassa.server.reports.dashboard import store_figures
from kassa.server.terminals.models import Store, Terminal


@pytest.mark.django_db
def test_the_demo_seeds_days_of_sales_for_two_stores_and_three_tills() -> None:
    demo_seed(history_days=3)
    assert Store.objects.count() == 2
    assert sorted(Terminal.objects.values_list("code", flat=True)) == ["POS1", "POS2", "UT1"]
    orders = Order.objects.all()
    assert orders.count() > 50
    assert set(orders.values_list("terminal__code", flat=True)) == {"POS1", "POS2", "UT1"}
    # each order adds up, and is paid
    for order in orders.prefetch_related("lines", "payments")[:200]:
        lines = list(order.lines.all())
        assert all(line.net + line.tax_amount == line.gross for line in lines)
        assert sum((line.gross for line in lines), Decimal(0)) == order.total_gross
        paid = sum((p.amount for p in order.payments.all()), Decimal(0))
        assert paid - order.change == order.total_gross
    assert OrderLine.objects.filter(order__session__isnull=True).count() == 0
    assert Payment.objects.aggregate(total=Sum("amount"))["total"] > 0
    # one session per till and day, and one order for a manager to look at
    assert CashSession.objects.count() >= 6
    assert Order.objects.exclude(review_code="").count() == 1
    # seeding again adds nothing
    before = orders.count()
    demo_seed(history_days=3)
    assert Order.objects.count() == before


@pytest.mark.django_db
def test_the_demo_history_has_refunds_as_a_till_makes_them() -> None:
    demo_seed(history_days=14)
    sales = Order.objects.filter(kind=OrderKind.SALE).count()
    refunds = Order.objects.filter(kind=OrderKind.REFUND).select_related("original")
    # a plausible share: about one ticket in 60
    assert 0.005 * sales < refunds.count() < 0.04 * sales
    for refund in refunds.prefetch_related("lines__original_line", "payments"):
        # a line of its original given back the same day, paid back as it was paid
        sale = refund.original
        assert refund.original_uuid == sale.uuid and refund.terminal_id == sale.terminal_id
        assert sale.created_at < refund.created_at
        assert refund.session_id is not None
        (line,) = refund.lines.all()
        given = line.original_line
        assert given.order_id == sale.pk and line.reason
        assert (line.quantity, line.gross) == (-given.quantity, -given.gross)
        assert refund.total_gross == line.gross < 0
        (paid,) = refund.payments.all()
        assert paid.amount == refund.total_gross
        assert paid.method_id == sale.payments.get().method_id
        # the ledger counts it as the refund's ingest does
        ledger = RefundLedger.objects.get(line=given)
        assert (ledger.quantity, ledger.gross, ledger.refunds) == (given.quantity, given.gross, 1)
    # and the dashboard's refunds figures show them
    store = Store.objects.order_by("pk").first()
    assert store is not None
    week = [
        store_figures(store, timezone.now()).week,
        store_figures(store, timezone.now()).last_week,
    ]
    assert any(figures.refund_count for figures in week)
