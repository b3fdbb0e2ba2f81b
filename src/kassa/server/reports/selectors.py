"""Read-only sales figures for the back office."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from kassa.money import QUANTITY_PLACES, money_round
from kassa.server.orders.models import (
    AbandonedOrder,
    Order,
    OrderKind,
    OrderLine,
    Payment,
    RefundFlagCode,
)


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    def bounds(self) -> tuple[datetime, datetime]:
        zone = timezone.get_current_timezone()
        return (
            datetime.combine(self.start, time.min, tzinfo=zone),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=zone),
        )


def _orders(
    period: Period, terminal_id: int | None, store_ids: Collection[int] | None = None
) -> QuerySet[Order]:
    start, end = period.bounds()
    orders = Order.objects.filter(created_at__gte=start, created_at__lt=end)
    if terminal_id is not None:
        orders = orders.filter(terminal_id=terminal_id)
    if store_ids is not None:
        orders = orders.filter(terminal__store_id__in=store_ids)
    return orders


def sales_by_day(
    period: Period, terminal_id: int | None = None, store_ids: Collection[int] | None = None
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = _dicts(
        _orders(period, terminal_id, store_ids)
        .annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(
            orders=Count("id"),
            net=Sum("total_net"),
            tax=Sum("total_tax"),
            gross=Sum("total_gross"),
        )
        .order_by("day")
    )
    return _rounded(rows)


def sales_by_payment_method(
    period: Period, terminal_id: int | None = None, store_ids: Collection[int] | None = None
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = _dicts(
        Payment.objects.filter(order__in=_orders(period, terminal_id, store_ids))
        .values("method__name", "method__is_cash")
        .annotate(payments=Count("id"), amount=Sum("amount"))
        .order_by("method__name")
    )
    change = _orders(period, terminal_id, store_ids).aggregate(total=Sum("change"))[
        "total"
    ] or Decimal(0)
    for row in rows:
        # Change comes out of the drawer: cash taken is cash paid less change given.
        row["net_amount"] = row["amount"] - change if row["method__is_cash"] else row["amount"]
    return _rounded(rows)


def sales_by_product(
    period: Period,
    terminal_id: int | None = None,
    store_ids: Collection[int] | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = _dicts(
        OrderLine.objects.filter(order__in=_orders(period, terminal_id, store_ids), voided=False)
        .values("product_id", "product__name", "product__ref")
        .annotate(
            quantity=Sum("quantity"),
            net=Sum("net"),
            tax=Sum("tax_amount"),
            gross=Sum("gross"),
            discounted=Count("id", filter=Q(discount__gt=0)),
        )
        .order_by("-gross", "product__name")[:limit]
    )
    return _rounded(rows)


def voids_by_day(
    period: Period, terminal_id: int | None = None, store_ids: Collection[int] | None = None
) -> list[dict[str, Any]]:
    """Per day, the lines voided in paid orders and the orders abandoned with lines
    (docs/permissions.md): what was taken away after the customer saw it."""
    zone = timezone.get_current_timezone()
    days: dict[date, dict[str, Any]] = {}

    def day(key: date) -> dict[str, Any]:
        return days.setdefault(
            key, {"day": key, "voided_lines": 0, "voided": Decimal(0), "abandoned": 0}
        )

    for row in (
        OrderLine.objects.filter(order__in=_orders(period, terminal_id, store_ids), voided=True)
        .annotate(day=TruncDate("order__created_at", tzinfo=zone))
        .values("day")
        .annotate(lines=Count("id"), gross=Sum("gross"))
    ):
        entry = day(row["day"])
        entry["voided_lines"] = row["lines"]
        entry["voided"] = money_round(Decimal(str(row["gross"] or 0)))
    start, end = period.bounds()
    abandoned = AbandonedOrder.objects.filter(abandoned_at__gte=start, abandoned_at__lt=end)
    if terminal_id is not None:
        abandoned = abandoned.filter(terminal_id=terminal_id)
    if store_ids is not None:
        abandoned = abandoned.filter(terminal__store_id__in=store_ids)
    for each in (
        abandoned.annotate(day=TruncDate("abandoned_at", tzinfo=zone))
        .values("day")
        .annotate(orders=Count("id"))
    ):
        day(each["day"])["abandoned"] = each["orders"]
    return [days[key] for key in sorted(days)]


def sales_totals(
    period: Period, terminal_id: int | None = None, store_ids: Collection[int] | None = None
) -> dict[str, Any]:
    """The period's totals, refunds netted out (a refund's totals are negative), with
    the refunds apart: how many, what they paid back, and how many were over-refunds
    (two tills refunding the same line offline; stored and flagged, docs/refunds.md)."""
    returns = Q(kind__in=[OrderKind.REFUND, OrderKind.EXCHANGE])
    orders = _orders(period, terminal_id, store_ids)
    totals = orders.aggregate(
        orders=Count("id"),
        net=Sum("total_net"),
        tax=Sum("total_tax"),
        gross=Sum("total_gross"),
        refunds=Count("id", filter=returns),
        refunds_gross=Sum("total_gross", filter=returns),
    )
    totals["over_refunds"] = (
        orders.filter(refund_flags__code=RefundFlagCode.OVER_REFUND).distinct().count()
    )
    return _rounded([totals])[0]


def _dicts(rows: Iterable[Any]) -> list[dict[str, Any]]:
    return [dict(row) for row in rows]


def _rounded(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """SQLite sums decimals in floating point: bring every sum back to its places."""
    for row in rows:
        for key, value in row.items():
            if key == "quantity" and value is not None:
                row[key] = money_round(Decimal(str(value)), QUANTITY_PLACES).normalize()
            elif isinstance(value, Decimal | float) and not isinstance(value, bool):
                row[key] = money_round(Decimal(str(value)))
    return rows
