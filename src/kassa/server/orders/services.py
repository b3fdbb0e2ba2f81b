"""Order intake: `order_sync` stores a batch of orders from a terminal exactly once.

Each order is checked on its own (a rejected order never blocks the others), recomputed
from its lines with kassa.money, and inserted with the database's unique constraint on
the order UUID as the final judge: a retried batch, or the same batch sent by ten
clients at once, stores every order once.
"""

from __future__ import annotations

import uuid as uuid_module
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from pydantic import ValidationError

from kassa.money import (
    DISCOUNT_PLACES,
    QUANTITY_PLACES,
    RATE_PLACES,
    MoneyError,
    TaxedAmount,
    line_price,
    to_decimal,
    total,
)
from kassa.server.cash.models import CashSession, SessionState
from kassa.server.catalog.models import Product, Tax
from kassa.server.staff.models import Cashier, Role
from kassa.server.terminals.models import Terminal

from .models import Order, OrderLine, OrderSource, Payment
from .schemas import OrderIn

MAX_QUANTITY = Decimal(100_000)
MAX_AMOUNT = Decimal(1_000_000_000)
ACCEPTED, DUPLICATE, REJECTED = "accepted", "duplicate", "rejected"


@dataclass
class SyncResult:
    index: int
    uuid: str | None
    status: str
    code: str | None = None
    message: str | None = None

    def as_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {"index": self.index, "uuid": self.uuid, "status": self.status}
        if self.code is not None:
            result["code"] = self.code
            result["message"] = self.message
        return result


class OrderRejected(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class _Context:
    places: int
    products: dict[int, str]
    taxes: dict[int, Tax]
    cashiers: dict[int, str]
    sessions: dict[uuid_module.UUID, CashSession]
    methods: dict[int, bool]


def _validation_message(error: ValidationError) -> str:
    parts = []
    for item in error.errors()[:5]:
        where = ".".join(str(p) for p in item["loc"]) or "order"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def _amount(value: Decimal, places: int, field: str) -> Decimal:
    try:
        amount = to_decimal(value, places=places, field=field)
    except MoneyError as exc:
        raise OrderRejected("invalid_amount", str(exc)) from None
    if abs(amount) > MAX_AMOUNT:
        raise OrderRejected("absurd_amount", f"{field}: {value} is out of range")
    return amount


def _check_order(order: OrderIn, ctx: _Context) -> tuple[TaxedAmount, list[TaxedAmount]]:
    places = ctx.places
    if order.cashier_id not in ctx.cashiers:
        raise OrderRejected("unknown_cashier", f"Cashier {order.cashier_id} does not exist.")
    session = ctx.sessions.get(order.session_uuid)
    if session is None:
        raise OrderRejected(
            "unknown_session",
            f"Cash session {order.session_uuid} is not known for this terminal; "
            "sync the session opening first.",
        )
    if session.state != SessionState.OPEN:
        raise OrderRejected("session_closed", f"Cash session {order.session_uuid} is closed.")
    priced: list[TaxedAmount] = []
    for number, line in enumerate(order.lines, start=1):
        where = f"line {number}"
        if line.product_id not in ctx.products:
            raise OrderRejected(
                "unknown_product", f"{where}: product {line.product_id} is unknown."
            )
        tax = ctx.taxes.get(line.tax_id)
        if tax is None:
            raise OrderRejected("unknown_tax", f"{where}: tax {line.tax_id} is unknown.")
        try:
            quantity = to_decimal(line.quantity, places=QUANTITY_PLACES, field=f"{where} quantity")
            discount = to_decimal(line.discount, places=DISCOUNT_PLACES, field=f"{where} discount")
            rate = to_decimal(line.tax_rate, places=RATE_PLACES, field=f"{where} tax_rate")
        except MoneyError as exc:
            raise OrderRejected("invalid_number", str(exc)) from None
        if quantity == 0 or abs(quantity) > MAX_QUANTITY:
            raise OrderRejected(
                "absurd_quantity", f"{where}: quantity {line.quantity} is out of range."
            )
        if not 0 <= discount <= 100:
            raise OrderRejected("invalid_discount", f"{where}: discount must be 0 to 100%.")
        if not 0 <= rate <= 100:
            raise OrderRejected("invalid_tax_rate", f"{where}: tax rate must be 0 to 100%.")
        unit_price = _amount(line.unit_price, places, f"{where} unit_price")
        if unit_price < 0:
            raise OrderRejected("invalid_price", f"{where}: unit price cannot be negative.")
        if line.approved_by is not None and ctx.cashiers.get(line.approved_by) != Role.MANAGER:
            raise OrderRejected(
                "approval_invalid", f"{where}: approved_by {line.approved_by} is not a manager."
            )
        expected = line_price(
            quantity=quantity,
            unit_price=unit_price,
            discount=discount,
            rate=rate,
            price_includes_tax=line.price_includes_tax,
            places=places,
        )
        sent = TaxedAmount(
            _amount(line.net, places, f"{where} net"),
            _amount(line.tax, places, f"{where} tax"),
            _amount(line.gross, places, f"{where} gross"),
        )
        if sent != expected:
            raise OrderRejected(
                "line_total_mismatch",
                f"{where}: {line.quantity} × {line.unit_price} less {line.discount}% at "
                f"{line.tax_rate}% is net {expected.net} tax {expected.tax} gross "
                f"{expected.gross}, the order says net {sent.net} tax {sent.tax} "
                f"gross {sent.gross}.",
            )
        priced.append(expected)
    totals = total(priced)
    sent_totals = TaxedAmount(
        _amount(order.totals.net, places, "totals.net"),
        _amount(order.totals.tax, places, "totals.tax"),
        _amount(order.totals.gross, places, "totals.gross"),
    )
    if sent_totals != totals:
        raise OrderRejected(
            "total_mismatch",
            f"The lines add up to net {totals.net} tax {totals.tax} gross {totals.gross}, "
            f"the order says net {sent_totals.net} tax {sent_totals.tax} "
            f"gross {sent_totals.gross}.",
        )
    _check_payments(order, ctx, totals.gross)
    return totals, priced


def _check_payments(order: OrderIn, ctx: _Context, due: Decimal) -> None:
    places = ctx.places
    paid = cash = Decimal(0)
    for number, payment in enumerate(order.payments, start=1):
        is_cash = ctx.methods.get(payment.method_id)
        if is_cash is None:
            raise OrderRejected(
                "unknown_payment_method",
                f"payment {number}: method {payment.method_id} is not allowed on this terminal.",
            )
        amount = _amount(payment.amount, places, f"payment {number} amount")
        if amount == 0 or (amount < 0) != (due < 0):
            raise OrderRejected(
                "invalid_payment",
                f"payment {number}: {amount} has the wrong sign for an order of {due}.",
            )
        paid += amount
        if is_cash:
            cash += amount
    change = _amount(order.change, places, "change")
    if change < 0 or change > max(cash, Decimal(0)):
        raise OrderRejected(
            "change_invalid", f"Change {change} must be between 0 and the cash paid ({cash})."
        )
    if paid - change != due:
        raise OrderRejected(
            "payment_mismatch",
            f"Payments {paid} less change {change} do not equal the total {due}.",
        )


def _context(terminal: Terminal, orders: Sequence[OrderIn]) -> _Context:
    product_ids = {line.product_id for order in orders for line in order.lines}
    cashier_ids = {order.cashier_id for order in orders} | {
        line.approved_by for order in orders for line in order.lines if line.approved_by
    }
    return _Context(
        places=terminal.currency_places,
        products=dict(Product.objects.filter(pk__in=product_ids).values_list("pk", "name")),
        taxes={tax.pk: tax for tax in Tax.objects.all()},
        cashiers=dict(Cashier.objects.filter(pk__in=cashier_ids).values_list("pk", "role")),
        sessions={
            s.uuid: s
            for s in CashSession.objects.filter(
                terminal=terminal, uuid__in={order.session_uuid for order in orders}
            )
        },
        methods=dict(terminal.payment_methods.values_list("pk", "is_cash")),
    )


def order_sync(
    *,
    terminal: Terminal,
    items: Sequence[Any],
    source: str = OrderSource.SYNC,
) -> list[SyncResult]:
    """Store a batch of orders; one result per item, in order."""
    results: list[SyncResult | None] = [None] * len(items)
    parsed: list[tuple[int, OrderIn]] = []
    for index, item in enumerate(items):
        if isinstance(item, OrderIn):
            parsed.append((index, item))
            continue
        try:
            parsed.append((index, OrderIn.model_validate(item)))
        except ValidationError as exc:
            raw_uuid = item.get("uuid") if isinstance(item, dict) else None
            results[index] = SyncResult(
                index,
                raw_uuid if isinstance(raw_uuid, str) else None,
                REJECTED,
                "invalid_order",
                _validation_message(exc),
            )
    # The same UUID twice in one batch: the first one counts, later ones are duplicates.
    first_seen: dict[uuid_module.UUID, int] = {}
    unique: list[tuple[int, OrderIn]] = []
    for index, order in parsed:
        if order.uuid in first_seen:
            results[index] = SyncResult(index, str(order.uuid), DUPLICATE)
        else:
            first_seen[order.uuid] = index
            unique.append((index, order))

    already = set(
        Order.objects.filter(uuid__in=[o.uuid for _, o in unique]).values_list("uuid", flat=True)
    )
    fresh: list[tuple[int, OrderIn]] = []
    for index, order in unique:
        if order.uuid in already:
            results[index] = SyncResult(index, str(order.uuid), DUPLICATE)
        else:
            fresh.append((index, order))
    if fresh:
        _store(terminal, fresh, results, source)
    return [r for r in results if r is not None]


def _store(
    terminal: Terminal,
    fresh: list[tuple[int, OrderIn]],
    results: list[SyncResult | None],
    source: str,
) -> None:
    ctx = _context(terminal, [o for _, o in fresh])
    valid: list[tuple[int, OrderIn, TaxedAmount, list[TaxedAmount]]] = []
    for index, order in fresh:
        try:
            totals, priced = _check_order(order, ctx)
        except OrderRejected as exc:
            results[index] = SyncResult(index, str(order.uuid), REJECTED, exc.code, exc.message)
            continue
        valid.append((index, order, totals, priced))
    if not valid:
        return

    _insert(terminal, ctx, valid, results, source)


_RECEIPT_TAKEN = "Receipt number {} is already used by another order of this terminal."


def _insert(
    terminal: Terminal,
    ctx: _Context,
    valid: list[tuple[int, OrderIn, TaxedAmount, list[TaxedAmount]]],
    results: list[SyncResult | None],
    source: str,
) -> None:
    """Insert with plain SQL: `INSERT … ON CONFLICT DO NOTHING RETURNING` answers which
    rows this request stored, in one round trip, whatever a concurrent request did.

    The ORM's bulk_create spent a third of the sync's time preparing values one by one;
    here the values are already checked and typed.
    """
    ops = connection.ops
    uuid_field = Order._meta.get_field("uuid")
    now = ops.adapt_datetimefield_value(timezone.now())
    order_rows = []
    for _, order, totals, _ in valid:
        order_rows.append(
            (
                uuid_field.get_db_prep_save(order.uuid, connection),
                terminal.pk,
                order.receipt_number,
                ctx.sessions[order.session_uuid].pk,
                order.cashier_id,
                order.note,
                totals.net,
                totals.tax,
                totals.gross,
                to_decimal(order.change, places=ctx.places),
                ops.adapt_datetimefield_value(order.created_at),
                now,
                source,
            )
        )
    values, params = _values(order_rows)
    with transaction.atomic(), connection.cursor() as cursor:
        # The unique constraints decide: a UUID stored by a concurrent request, or a
        # receipt number another order has (in the database or earlier in this batch),
        # makes the row skip, and RETURNING leaves it out.
        cursor.execute(
            f"INSERT INTO {Order._meta.db_table} (uuid, terminal_id, receipt_number, "  # noqa: S608
            "session_id, cashier_id, note, total_net, total_tax, total_gross, change, "
            f"created_at, received_at, source) VALUES {values} "
            "ON CONFLICT DO NOTHING RETURNING id, uuid",
            params,
        )
        inserted = {uuid_module.UUID(str(row_uuid)): pk for pk, row_uuid in cursor.fetchall()}
        missing = [order.uuid for _, order, _, _ in valid if order.uuid not in inserted]
        # Not inserted: stored meanwhile by a concurrent request (a duplicate), or its
        # receipt number went to another order.
        present = (
            set(Order.objects.filter(uuid__in=missing).values_list("uuid", flat=True))
            if missing
            else set()
        )
        line_rows: list[tuple[Any, ...]] = []
        payment_rows: list[tuple[Any, ...]] = []
        for index, order, _, priced in valid:
            pk = inserted.get(order.uuid)
            if pk is None:
                if order.uuid in present:
                    results[index] = SyncResult(index, str(order.uuid), DUPLICATE)
                else:
                    results[index] = SyncResult(
                        index,
                        str(order.uuid),
                        REJECTED,
                        "receipt_number_taken",
                        _RECEIPT_TAKEN.format(order.receipt_number),
                    )
                continue
            results[index] = SyncResult(index, str(order.uuid), ACCEPTED)
            for position, (line, amount) in enumerate(zip(order.lines, priced, strict=True)):
                line_rows.append(
                    (
                        pk,
                        position,
                        line.product_id,
                        ctx.products[line.product_id],
                        line.quantity,
                        line.unit_price,
                        line.discount,
                        line.tax_id,
                        line.tax_rate,
                        line.price_includes_tax,
                        amount.net,
                        amount.tax,
                        amount.gross,
                        line.price_overridden,
                        line.approved_by,
                    )
                )
            payment_rows.extend((pk, p.method_id, p.amount) for p in order.payments)
        _insert_rows(
            cursor,
            f"{OrderLine._meta.db_table} (order_id, position, product_id, name, quantity, "
            "unit_price, discount, tax_id, tax_rate, price_includes_tax, net, tax_amount, "
            "gross, price_overridden, approved_by_id)",
            line_rows,
        )
        _insert_rows(
            cursor, f"{Payment._meta.db_table} (order_id, method_id, amount)", payment_rows
        )


def _insert_rows(cursor: Any, target: str, rows: list[tuple[Any, ...]], chunk: int = 1000) -> None:
    """Insert many rows into `table (columns)`: COPY on PostgreSQL, multi-row INSERTs
    elsewhere. Both spare the database a parse and plan per row."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        with cursor.cursor.copy(f"COPY {target} FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    for start in range(0, len(rows), chunk):
        values, params = _values(rows[start : start + chunk])
        cursor.execute(f"INSERT INTO {target} VALUES {values}", params)  # noqa: S608


def _values(rows: list[tuple[Any, ...]]) -> tuple[str, list[Any]]:
    """`(%s, %s), (%s, %s)` for a multi-row INSERT, and its parameters in order."""
    row_sql = "(" + ", ".join(["%s"] * len(rows[0])) + ")"
    return ", ".join([row_sql] * len(rows)), [value for row in rows for value in row]
