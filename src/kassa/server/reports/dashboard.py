"""The dashboard's reads: per store, today, yesterday and this week against last week;
the charts' series; the tills and how they last were. Every figure is summed by the database.

Sales are the orders of kind sale; refunds the refunds and exchanges (issue 11), whose
totals are what went back to the customer on balance (negative)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    DateTimeField,
    ExpressionWrapper,
    F,
    Max,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import ExtractHour, TruncDate

from kassa.money import money_round
from kassa.server.cash.models import CashSession, SessionState
from kassa.server.orders.models import Order, OrderKind, Payment
from kassa.server.terminals.models import Store, Terminal

from .periods import business_day, day_bounds, day_start_offset, store_zone, week_start

REFUND = Q(kind__in=[OrderKind.REFUND, OrderKind.EXCHANGE])
SILENT_AFTER = timedelta(minutes=10)
CHART_DAYS = 30


def _money(value: Any) -> Decimal:
    """A sum as the database gave it (SQLite: in floating point) at cents."""
    return money_round(Decimal(str(value))) if value is not None else Decimal("0.00")


def cents(value: Decimal) -> int:
    return int(value * 100)


@dataclass(frozen=True)
class Figures:
    sales: Decimal
    tickets: int
    refunds: Decimal  # a positive amount: what went back to customers
    refund_count: int

    @property
    def average(self) -> Decimal:
        return money_round(self.sales / self.tickets) if self.tickets else Decimal("0.00")


@dataclass(frozen=True)
class StoreFigures:
    store: Store
    day: date
    today: Figures
    yesterday: Figures
    week: Figures
    last_week: Figures  # last week up to the same weekday and time as now

    @property
    def week_change(self) -> Decimal | None:
        """This week's sales against last week's to the same point, in percent."""
        if not self.last_week.sales:
            return None
        return money_round((self.week.sales - self.last_week.sales) * 100 / self.last_week.sales)


def _period_sums(name: str, period: Q) -> dict[str, Any]:
    return {
        f"{name}_sales": Sum("total_gross", filter=period & ~REFUND),
        f"{name}_tickets": Count("id", filter=period & ~REFUND),
        f"{name}_refunds": Sum("total_gross", filter=period & REFUND),
        f"{name}_refund_count": Count("id", filter=period & REFUND),
    }


def _figures(name: str, row: dict[str, Any]) -> Figures:
    return Figures(
        sales=_money(row[f"{name}_sales"]),
        tickets=row[f"{name}_tickets"],
        refunds=-_money(row[f"{name}_refunds"]),
        refund_count=row[f"{name}_refund_count"],
    )


def store_figures(store: Store, now: datetime) -> StoreFigures:
    """Today, this week and last week to the same point, in one query."""
    today = business_day(store, now)
    today_start, today_end = day_bounds(store, today)
    yesterday_start, _ = day_bounds(store, today - timedelta(days=1))
    this_week, _ = day_bounds(store, week_start(today))
    last_week = this_week - timedelta(days=7)
    row = Order.objects.filter(
        terminal__store=store,
        created_at__gte=min(last_week, yesterday_start),
        created_at__lt=today_end,
    ).aggregate(
        **_period_sums("today", Q(created_at__gte=today_start)),
        # The morning's question: how did yesterday go?
        **_period_sums("yesterday", Q(created_at__gte=yesterday_start, created_at__lt=today_start)),
        **_period_sums("week", Q(created_at__gte=this_week)),
        **_period_sums(
            "last", Q(created_at__gte=last_week, created_at__lt=now - timedelta(days=7))
        ),
    )
    return StoreFigures(
        store,
        today,
        _figures("today", row),
        _figures("yesterday", row),
        _figures("week", row),
        _figures("last", row),
    )


def _store_orders(store: Store, start: datetime, end: datetime) -> QuerySet[Order]:
    return Order.objects.filter(terminal__store=store, created_at__gte=start, created_at__lt=end)


def sales_by_hour(store: Store, now: datetime) -> dict[str, Any]:
    """Sales per hour of today's business day, and of the same weekday last week, in
    cents, the hours in the order the day has them (from day_start)."""
    today_start, today_end = day_bounds(store, business_day(store, now))
    zone = store_zone(store)
    hours = [(store.day_start.hour + i) % 24 for i in range(24)]

    def per_hour(start: datetime, end: datetime) -> list[int]:
        rows = (
            _store_orders(store, start, end)
            .filter(~REFUND)
            .annotate(hour=ExtractHour("created_at", tzinfo=zone))
            .values("hour")
            .annotate(gross=Sum("total_gross"))
        )
        by_hour = {row["hour"]: cents(_money(row["gross"])) for row in rows}
        return [by_hour.get(hour, 0) for hour in hours]

    week = timedelta(days=7)
    return {
        "hours": [f"{hour:02d}:00" for hour in hours],
        "today": per_hour(today_start, today_end),
        "last_week": per_hour(today_start - week, today_end - week),
    }


def business_date(store: Store, field: str = "created_at") -> TruncDate:
    """The business day of an order's created_at (or another moment, `field`) in
    `store` (its zone, its day start)."""
    shifted = ExpressionWrapper(
        F(field) - Value(day_start_offset(store)), output_field=DateTimeField()
    )
    return TruncDate(shifted, tzinfo=store_zone(store))


def sales_by_day(store: Store, now: datetime, days: int = CHART_DAYS) -> dict[str, Any]:
    """Sales per business day over the last `days` days to today, in cents."""
    today = business_day(store, now)
    first = today - timedelta(days=days - 1)
    start, end = day_bounds(store, first, today)
    rows = (
        _store_orders(store, start, end)
        .filter(~REFUND)
        .annotate(day=business_date(store))
        .values("day")
        .annotate(gross=Sum("total_gross"))
    )
    by_day = {_as_date(row["day"]): cents(_money(row["gross"])) for row in rows}
    every = [first + timedelta(days=i) for i in range(days)]
    return {
        "days": [day.isoformat() for day in every],
        "sales": [by_day.get(day, 0) for day in every],
    }


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def payment_split(store: Store, now: datetime, days: int = CHART_DAYS) -> dict[str, Any]:
    """What customers paid with over the last `days` days, in cents: cash less the
    change given."""
    today = business_day(store, now)
    start, end = day_bounds(store, today - timedelta(days=days - 1), today)
    orders = _store_orders(store, start, end)
    rows = (
        # A join, not order__in=<sub-select>: PostgreSQL then starts from the period's
        # orders (issue 15) instead of reading every order's id.
        Payment.objects.filter(
            order__terminal__store=store, order__created_at__gte=start, order__created_at__lt=end
        )
        .values("method__name", "method__is_cash")
        .annotate(amount=Sum("amount"))
        .order_by("method__name")
    )
    change = _money(orders.aggregate(total=Sum("change"))["total"])
    names, amounts = [], []
    for row in rows:
        amount = _money(row["amount"]) - (change if row["method__is_cash"] else 0)
        names.append(row["method__name"] or "unknown")
        amounts.append(cents(amount))
    return {"methods": names, "amounts": amounts}


@dataclass(frozen=True)
class Till:
    terminal: Terminal
    last_seen: datetime | None
    last_sync: datetime | None
    pending: int | None
    printer: str
    printer_text: str
    receipts_owed: int
    session: CashSession | None
    silent: bool


def in_opening_hours(store: Store, now: datetime) -> bool:
    local = now.astimezone(store_zone(store)).time()
    opens: time = store.opens_at
    closes: time = store.closes_at
    if opens <= closes:
        return opens <= local < closes
    return local >= opens or local < closes  # open past midnight


def tills(stores: Iterable[Store], now: datetime) -> list[Till]:
    terminals = (
        Terminal.objects.filter(store__in=list(stores), active=True)
        .select_related("store", "status")
        .annotate(
            last_seen=Max("tokens__last_seen_at", filter=Q(tokens__revoked_at__isnull=True)),
            live_tokens=Count("tokens", filter=Q(tokens__revoked_at__isnull=True)),
        )
        .order_by("store__name", "name")
    )
    sessions = {
        session.terminal_id: session
        for session in CashSession.objects.filter(
            state=SessionState.OPEN, terminal__in=terminals
        ).select_related("opened_by")
    }
    result = []
    for terminal in terminals:
        status = getattr(terminal, "status", None)
        # The token is stamped at most once a minute; a status report is seen too.
        seen = [terminal.last_seen, status.reported_at if status else None]
        last_seen = max((at for at in seen if at is not None), default=None)
        deployed = terminal.live_tokens > 0
        silent = (
            deployed
            and in_opening_hours(terminal.store, now)
            and (last_seen is None or now - last_seen > SILENT_AFTER)
        )
        result.append(
            Till(
                terminal=terminal,
                last_seen=last_seen,
                last_sync=status.last_sync_at if status else None,
                pending=status.pending if status else None,
                printer=status.printer if status else "unknown",
                printer_text=status.printer_text if status else "",
                receipts_owed=status.receipts_owed if status else 0,
                session=sessions.get(terminal.pk),
                silent=silent,
            )
        )
    return result
