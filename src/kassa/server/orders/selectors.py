"""Reads of the orders app."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db.models import BooleanField, CharField, ExpressionWrapper, Q, QuerySet, Value
from django.db.models.functions import Cast
from django.utils import timezone

from kassa.server.orders.models import Order, OrderLine, Payment
from kassa.server.terminals.models import Terminal


def orders_paid_of_terminal(
    terminal_code: str, journal_began: datetime | None
) -> Iterator[tuple[str, str, bool]]:
    """Every order of the terminal as (uuid, receipt number, received before
    `journal_began`), streamed; all before it if it is None.

    `kassa journal verify` checks them against the terminal's SALE entries; the journal app
    sits below the orders app, so the project hands these over. The uuid comes as text in
    its one spelling (str(UUID)) and the database compares the times: made into UUID and
    datetime objects here, 950,000 orders took 5.6 s of this process's CPU, as text and a
    flag 0.4 s (docs/performance.md, "Journal verify").
    """
    before: Value | ExpressionWrapper[Q] = (
        Value(True)
        if journal_began is None
        else ExpressionWrapper(Q(received_at__lt=journal_began), output_field=BooleanField())
    )
    rows = (
        Order.objects.filter(terminal__code=terminal_code)
        .order_by()
        .values_list(Cast("uuid", CharField()), "receipt_number", before)
        .iterator(chunk_size=10_000)
    )
    for uuid, receipt, received_before in rows:
        if len(uuid) == 32:  # SQLite keeps a uuid as its 32 hex digits
            uuid = str(UUID(uuid))
        yield uuid, receipt, bool(received_before)


# How far back a till's local index of orders reaches, unless it asks otherwise
# (docs/refunds.md): refunds of those orders work offline.
RECENT_DAYS = 30
RECENT_PAGE = 1000


def _wire_orders(orders: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Orders (as values rows) with their lines and payments, in the wire's shape."""
    ids = [order["id"] for order in orders]
    lines: dict[int, list[dict[str, Any]]] = {pk: [] for pk in ids}
    for row in (
        OrderLine.objects.filter(order_id__in=ids)
        .order_by("order_id", "position")
        .values(
            "order_id",
            "position",
            "product_id",
            "unknown_product_id",
            "name",
            "quantity",
            "unit_price",
            "discount",
            "tax_id",
            "unknown_tax_id",
            "tax_rate",
            "price_includes_tax",
            "net",
            "tax_amount",
            "gross",
            "original_line__position",
            "reason",
        )
    ):
        lines[row["order_id"]].append(
            {
                "position": row["position"],
                "product_id": row["product_id"] or row["unknown_product_id"],
                "name": row["name"],
                "quantity": _text(row["quantity"]),
                "unit_price": _text(row["unit_price"]),
                "discount": _text(row["discount"]),
                "tax_id": row["tax_id"] or row["unknown_tax_id"],
                "tax_rate": _text(row["tax_rate"]),
                "price_includes_tax": row["price_includes_tax"],
                "net": _text(row["net"]),
                "tax": _text(row["tax_amount"]),
                "gross": _text(row["gross"]),
                "original_line": row["original_line__position"],
                "reason": row["reason"],
            }
        )
    payments: dict[int, list[dict[str, Any]]] = {pk: [] for pk in ids}
    for order_id, method_id, unknown, amount in (
        Payment.objects.filter(order_id__in=ids)
        .order_by("order_id", "pk")
        .values_list("order_id", "method_id", "unknown_method_id", "amount")
    ):
        payments[order_id].append({"method_id": method_id or unknown, "amount": _text(amount)})
    return [
        {
            "uuid": str(order["uuid"]),
            "receipt_number": order["receipt_number"],
            "terminal": order["terminal__code"],
            "created_at": order["created_at"].isoformat(),
            "kind": order["kind"],
            "original": str(order["original_uuid"]) if order["original_uuid"] else None,
            "gross": _text(order["total_gross"]),
            "lines": lines[order["id"]],
            "payments": payments[order["id"]],
        }
        for order in orders
    ]


_ORDER_VALUES = (
    "id",
    "uuid",
    "receipt_number",
    "terminal__code",
    "created_at",
    "kind",
    "original_uuid",
    "total_gross",
)


def _text(value: Decimal | None) -> str:
    return "0" if value is None else str(value)


def _store_orders(terminal: Terminal) -> QuerySet[Order]:
    """The orders of the terminal's store."""
    return Order.objects.filter(terminal__store_id=terminal.store_id)


def orders_recent(
    *, terminal: Terminal, after: int = 0, days: int = RECENT_DAYS, limit: int = RECENT_PAGE
) -> dict[str, Any]:
    """The store's orders of the last `days`, in the order the server stored them, from
    after the cursor `after` (the `last` of the previous page): a till pulls them into
    its local index while online, and asks again from its last cursor."""
    since = timezone.now() - timedelta(days=days)
    rows = list(
        _store_orders(terminal)
        .filter(pk__gt=after, created_at__gte=since)
        .order_by("pk")
        .values(*_ORDER_VALUES)[: limit + 1]
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "orders": _wire_orders(rows),
        "last": rows[-1]["id"] if rows else after,
        "more": more,
    }


def order_lookup(
    *, terminal: Terminal, uuid: UUID | None = None, receipt: str | None = None
) -> dict[str, Any] | None:
    """An order of the store by its uuid (the code on its receipt) or its receipt
    number, with every refund and exchange of it the server holds; None if none."""
    orders = _store_orders(terminal)
    if uuid is not None:
        orders = orders.filter(uuid=uuid)
    elif receipt:
        orders = orders.filter(receipt_number=receipt)
    else:
        return None
    found = list(orders.order_by("pk").values(*_ORDER_VALUES)[:1])
    if not found:
        return None
    refunds = list(
        Order.objects.filter(original_id=found[0]["id"]).order_by("pk").values(*_ORDER_VALUES)
    )
    wire = _wire_orders(found + refunds)
    return {"order": wire[0], "refunds": wire[1:]}
