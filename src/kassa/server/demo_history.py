"""The demo's past: a second store, two more tills, and 60 days of plausible sales, so
the dashboard, its charts and the reports show something on first start.

Plausible: the shops open 08:00–20:00 in their time zone; Saturdays are busiest and
Sundays quiet; lunchtime and the evening rush peak; baskets of one to six lines, cheap
things more often; cash for about two payments in five, handed over rounded up; one
cash session per till and day, a few counted a little off and a rare one well off (an
alert); one order under review yesterday; about one ticket in 60 refunded later the same day
(a line given back, paid back as it was paid, with a reason), as real refund orders
with their ledger, so that the dashboard's refunds show something. Amounts are priced
with kassa.money, as a till prices them. Seeded random, so every demo has the same
history. (The history has no journal entries: neither its sales nor its refunds.)
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TypeVar
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from kassa.money import line_price, total
from kassa.server.cash.models import CashSession, SessionState
from kassa.server.catalog.models import Product
from kassa.server.orders.models import (
    Order,
    OrderKind,
    OrderLine,
    OrderSource,
    Payment,
    RefundLedger,
)
from kassa.server.staff.models import Cashier
from kassa.server.terminals.models import PaymentMethod, Store, Terminal

SECOND_STORE = "Kassa Demo Market Utrecht"
OPENS, CLOSES = 8, 20
# Orders per hour of the day (08:00 … 19:00) at a till on an ordinary weekday.
HOURLY = [4, 6, 7, 8, 13, 12, 8, 7, 9, 13, 12, 7]
# Monday … Sunday
WEEKDAY = [0.85, 0.9, 0.95, 1.0, 1.2, 1.45, 0.6]
CASH_NOTES = [Decimal(n) for n in ("5", "10", "20", "50", "100")]
REFUND_SHARE = 1 / 60  # of sales, refunded (one line) later the same day
REFUND_REASONS = ["UNWANTED", "UNWANTED", "DEFECT", "WRONG_ITEM"]  # demo.DEMO_REASONS


@dataclass
class _Till:
    terminal: Terminal
    scale: float  # how busy, against an ordinary till


def demo_history(*, days: int, stores: tuple[Store, Store], tills: list[Terminal]) -> int:
    """Sales for `days` days up to now at `tills`; returns how many orders."""
    rng = random.Random(15)
    products = list(Product.objects.select_related("tax").filter(active=True).order_by("pk"))
    # Cheap everyday things sell most: weight by the inverse of the price.
    weights = [1 / float(max(p.price, Decimal("0.5"))) for p in products]
    cashiers = list(Cashier.objects.order_by("pk"))
    cash = PaymentMethod.objects.get(is_cash=True, name="Cash")
    card = PaymentMethod.objects.get(name="Card")
    now = timezone.now()
    count = 0
    scales = [1.0, 0.7, 0.8]
    plan = [_Till(terminal, scales[i % len(scales)]) for i, terminal in enumerate(tills)]
    with transaction.atomic():
        for till in plan:
            zone = ZoneInfo(till.terminal.store.time_zone)
            today = now.astimezone(zone).date()
            receipt = 0
            for back in range(days - 1, -1, -1):
                day = today - timedelta(days=back)
                orders, lines, payments, session, receipt = _day(
                    rng, till, day, zone, now, products, weights, cashiers, cash, card, receipt
                )
                if session is None:
                    continue
                session.save()
                for order in orders:
                    order.session = session
                # The sales first: a refund names its original, which needs its key.
                Order.objects.bulk_create(
                    [order for order in orders if order.original is None], batch_size=1000
                )
                refunds = [order for order in orders if order.original is not None]
                for refund in refunds:
                    refund.original_id = _made(refund.original).pk
                Order.objects.bulk_create(refunds, batch_size=1000)
                for line in lines:
                    line.order_id = line.order.pk
                sold = [line for line in lines if line.original_line is None]
                returned = [line for line in lines if line.original_line is not None]
                OrderLine.objects.bulk_create(sold, batch_size=2000)
                for line in returned:
                    line.original_line_id = _made(line.original_line).pk
                OrderLine.objects.bulk_create(returned, batch_size=2000)
                # What each original line has had refunded, as the refund's ingest
                # counts it (orders.services): positive amounts.
                RefundLedger.objects.bulk_create(
                    RefundLedger(
                        line=_made(line.original_line),
                        quantity=_neg(line.quantity),
                        net=_neg(line.net),
                        tax=_neg(line.tax_amount),
                        gross=_neg(line.gross),
                        refunds=1,
                    )
                    for line in returned
                )
                for payment in payments:
                    payment.order_id = payment.order.pk
                Payment.objects.bulk_create(payments, batch_size=2000)
                count += len(orders)
        _one_under_review(tills[0], now)
    return count


def _day(
    rng: random.Random,
    till: _Till,
    day: date,
    zone: ZoneInfo,
    now: datetime,
    products: list[Product],
    weights: list[float],
    cashiers: list[Cashier],
    cash: PaymentMethod,
    card: PaymentMethod,
    receipt: int,
) -> tuple[list[Order], list[OrderLine], list[Payment], CashSession | None, int]:
    opened = datetime.combine(day, time(OPENS - 1, 55), tzinfo=zone)
    if opened > now:
        return [], [], [], None, receipt
    cashier = cashiers[(day.toordinal() + till.terminal.pk) % len(cashiers)]
    session = CashSession(
        uuid=uuid.UUID(int=rng.getrandbits(128), version=4),
        terminal=till.terminal,
        opened_by=cashier,
        opened_at=opened,
        opening_float=Decimal("150.00"),
    )
    orders: list[Order] = []
    lines: list[OrderLine] = []
    payments: list[Payment] = []
    cash_in = Decimal(0)
    factor = WEEKDAY[day.weekday()] * till.scale
    for offset, per_hour in enumerate(HOURLY):
        hour = OPENS + offset
        for _ in range(max(0, round(rng.gauss(per_hour * factor, per_hour * factor * 0.25)))):
            at = datetime.combine(
                day, time(hour, rng.randrange(60), rng.randrange(60)), tzinfo=zone
            )
            if at > now:
                continue
            receipt += 1
            order, order_lines, order_payments, taken = _order(
                rng, till.terminal, at, products, weights, cashier, cash, card, receipt
            )
            orders.append(order)
            lines.extend(order_lines)
            payments.extend(order_payments)
            cash_in += taken
            if rng.random() >= REFUND_SHARE:
                continue
            back = at + timedelta(minutes=rng.randrange(10, 240))
            if back > now or back.astimezone(zone).hour >= CLOSES:
                continue
            receipt += 1
            refund, refund_lines, refund_payments = _refund(
                rng, order, order_lines, order_payments[0], back, receipt
            )
            orders.append(refund)
            lines.extend(refund_lines)
            payments.extend(refund_payments)
            if refund_payments[0].method == cash:
                cash_in -= _neg(refund.total_gross)  # paid out of the drawer
    orders.sort(key=lambda order: order.created_at)
    closed = datetime.combine(day, time(CLOSES, 5), tzinfo=zone)
    if closed <= now:
        expected = session.opening_float + cash_in
        roll = rng.random()
        if roll < 0.75:
            difference = Decimal(0)
        elif roll < 0.97:
            difference = Decimal(rng.choice([-200, -100, -50, -20, -10, 10, 20, 50])) / 100
        else:
            difference = Decimal(rng.choice([-2000, -1250, 1500])) / 100
        session.state = SessionState.CLOSED
        session.closed_by = cashier
        session.closed_at = closed
        session.expected_cash = expected
        session.counted_cash = expected + difference
        session.difference = difference
    return orders, lines, payments, session, receipt


def _order(
    rng: random.Random,
    terminal: Terminal,
    at: datetime,
    products: list[Product],
    weights: list[float],
    cashier: Cashier,
    cash: PaymentMethod,
    card: PaymentMethod,
    receipt: int,
) -> tuple[Order, list[OrderLine], list[Payment], Decimal]:
    order = Order(
        uuid=uuid.UUID(int=rng.getrandbits(128), version=4),
        terminal=terminal,
        # Pairing 0 is never a real pairing's: a till paired later never repeats these.
        receipt_number=f"{terminal.code}-0-{receipt:06d}",
        cashier=cashier,
        created_at=at,
        received_at=at + timedelta(seconds=rng.randrange(2, 30)),
        source=OrderSource.SYNC,
    )
    lines = []
    amounts = []
    count = min(6, 1 + int(rng.expovariate(0.6)))
    for position, product in enumerate(rng.choices(products, weights, k=count), start=1):
        if product.weighed:
            quantity = Decimal(rng.randrange(150, 1600)) / 1000
        else:
            quantity = Decimal(rng.choice([1, 1, 1, 1, 2, 2, 3]))
        discount = Decimal(10) if rng.random() < 0.03 else Decimal(0)
        amount = line_price(
            quantity=quantity,
            unit_price=product.price,
            discount=discount,
            rate=product.tax.rate,
            price_includes_tax=product.tax.price_includes_tax,
        )
        amounts.append(amount)
        lines.append(
            OrderLine(
                order=order,
                position=position,
                product=product,
                name=product.name,
                quantity=quantity,
                unit_price=product.price,
                discount=discount,
                tax=product.tax,
                tax_rate=product.tax.rate,
                price_includes_tax=product.tax.price_includes_tax,
                net=amount.net,
                tax_amount=amount.tax,
                gross=amount.gross,
            )
        )
    totals = total(amounts)
    order.total_net, order.total_tax, order.total_gross = totals.net, totals.tax, totals.gross
    taken = Decimal(0)
    if rng.random() < 0.4:
        handed = next((note for note in CASH_NOTES if note >= totals.gross), totals.gross)
        if rng.random() < 0.3:
            handed = totals.gross  # the exact amount
        order.change = handed - totals.gross
        payments = [Payment(order=order, method=cash, amount=handed)]
        taken = totals.gross
    else:
        order.change = Decimal(0)
        payments = [Payment(order=order, method=card, amount=totals.gross)]
    return order, lines, payments, taken


def _refund(
    rng: random.Random,
    sale: Order,
    sale_lines: list[OrderLine],
    paid: Payment,
    at: datetime,
    receipt: int,
) -> tuple[Order, list[OrderLine], list[Payment]]:
    """One line of `sale` given back in full at `at`: the line's own figures negated (the
    refund rule for a whole line), paid back by the sale's method."""
    given = rng.choice(sale_lines)
    refund = Order(
        uuid=uuid.UUID(int=rng.getrandbits(128), version=4),
        terminal=sale.terminal,
        receipt_number=f"{sale.terminal.code}-0-{receipt:06d}",
        cashier=sale.cashier,
        created_at=at,
        received_at=at + timedelta(seconds=rng.randrange(2, 30)),
        source=OrderSource.SYNC,
        kind=OrderKind.REFUND,
        original=sale,
        original_uuid=sale.uuid,
        total_net=_neg(given.net),
        total_tax=_neg(given.tax_amount),
        total_gross=_neg(given.gross),
        change=Decimal(0),
    )
    line = OrderLine(
        order=refund,
        position=1,
        product=given.product,
        name=given.name,
        quantity=_neg(given.quantity),
        unit_price=given.unit_price,
        discount=given.discount,
        tax=given.tax,
        tax_rate=given.tax_rate,
        price_includes_tax=given.price_includes_tax,
        net=_neg(given.net),
        tax_amount=_neg(given.tax_amount),
        gross=_neg(given.gross),
        original_line=given,
        reason=rng.choice(REFUND_REASONS),
    )
    return refund, [line], [Payment(order=refund, method=paid.method, amount=_neg(given.gross))]


def _neg(value: Decimal | None) -> Decimal:
    assert value is not None  # the history's own figures, never null
    return -value


T = TypeVar("T")


def _made(value: T | None) -> T:
    assert value is not None
    return value


def _one_under_review(terminal: Terminal, now: datetime) -> None:
    """Yesterday's order whose total did not add up: stored, for a manager to look at."""
    order = (
        Order.objects.filter(
            terminal=terminal, kind=OrderKind.SALE, created_at__lt=now - timedelta(hours=20)
        )
        .order_by("-created_at")
        .first()
    )
    if order is None:
        return
    # Orders are immutable once stored (Order.save refuses): this one is written as it
    # would have arrived, under review.
    Order.objects.filter(pk=order.pk).update(
        review_code="total_mismatch",
        review_message="The till's total 41.30 is not the sum of its lines 31.30.",
    )


def demo_stores_and_tills(
    first: Store, till: Terminal
) -> tuple[tuple[Store, Store], list[Terminal]]:
    """The demo's second till in the first store, and a second store with its own."""
    methods = list(till.payment_methods.all())
    second_till = Terminal.objects.create(
        name="Till 2", code="POS2", store=first, currency=till.currency, proxy_url=""
    )
    second_till.payment_methods.set(methods)
    utrecht = Store.objects.create(
        name=SECOND_STORE,
        address="Oudegracht 100\n3511 AX Utrecht",
        tax_id="NL000099998B57",
        receipt_header="Open every day 8:00–20:00",
        receipt_footer="Thank you for shopping with us!",
        time_zone=first.time_zone,
    )
    third_till = Terminal.objects.create(
        name="Utrecht 1", code="UT1", store=utrecht, currency=till.currency, proxy_url=""
    )
    third_till.payment_methods.set(methods)
    return (first, utrecht), [till, second_till, third_till]
