"""The demo's history: two stores, three tills, days of sales priced as a till prices
them, and something for the dashboard's alerts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import Sum

from kassa.server.cash.models import CashSession
from kassa.server.demo import demo_seed
from kassa.server.orders.models import Order, OrderLine, Payment
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
