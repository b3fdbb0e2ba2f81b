"""Order intake: `order_sync` stores a batch of orders from a terminal exactly once.

Each order is checked on its own (a rejected order never blocks the others), recomputed
from its lines with kassa.money, and inserted with the database's unique constraint on
the order UUID as the final judge: a retried batch, or the same batch sent by ten
clients at once, stores every order once.
"""

from __future__ import annotations

import uuid as uuid_module
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from pydantic import ValidationError

from kassa.money import (
    DISCOUNT_PLACES,
    PERCENT_DISCOUNT,
    PERCENT_RATE,
    QUANTITY_PLACES,
    QUANTITY_SCALE,
    RATE_PLACES,
    MoneyError,
    from_scaled,
    line_price_scaled,
    to_scaled,
)
from kassa.server.cash.models import CashSession, SessionState
from kassa.server.catalog.models import Product, Tax
from kassa.server.common.errors import validation_details, validation_message
from kassa.server.common.locks import sales_lock
from kassa.server.staff.models import Cashier, Role
from kassa.server.terminals.models import Terminal

from .errors import OrderError, OrderErrorCode
from .models import Order, OrderLine, OrderSource, Payment
from .schemas import OrderIn

MAX_QUANTITY = 100_000
MAX_AMOUNT = 1_000_000_000
ACCEPTED, DUPLICATE, REJECTED = "accepted", "duplicate", "rejected"


@dataclass
class SyncResult:
    index: int
    uuid: str | None
    status: str
    code: OrderErrorCode | None = None
    message: str | None = None

    def as_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {"index": self.index, "uuid": self.uuid, "status": self.status}
        if self.code is not None:
            result["code"] = self.code
            result["message"] = self.message
        return result


@dataclass
class _Context:
    places: int
    products: dict[int, str]
    taxes: set[int]
    cashiers: dict[int, str]
    sessions: dict[uuid_module.UUID, tuple[int, str]]
    methods: dict[int, bool]
    max_amount: int  # MAX_AMOUNT in minor units


def _number(value: str, places: int, field: str) -> int:
    try:
        return to_scaled(value, places, field)
    except MoneyError as exc:
        raise OrderError(OrderErrorCode.INVALID_NUMBER, str(exc)) from None


def _amount(value: str, ctx: _Context, field: str) -> int:
    """An amount in minor units of the terminal's currency."""
    try:
        amount = to_scaled(value, ctx.places, field)
    except MoneyError as exc:
        raise OrderError(OrderErrorCode.INVALID_AMOUNT, str(exc)) from None
    if abs(amount) > ctx.max_amount:
        raise OrderError(OrderErrorCode.ABSURD_AMOUNT, f"{field}: {value} is out of range")
    return amount


def _check_order(order: OrderIn, ctx: _Context) -> None:
    """Raise OrderError unless the order is consistent, priced as kassa.money prices it
    (in scaled integers, as the terminal computes), and paid."""
    if order.cashier_id not in ctx.cashiers:
        raise OrderError(
            OrderErrorCode.UNKNOWN_CASHIER, f"Cashier {order.cashier_id} does not exist."
        )
    session = ctx.sessions.get(order.session_uuid)
    if session is None:
        raise OrderError(
            OrderErrorCode.UNKNOWN_SESSION,
            f"Cash session {order.session_uuid} is not known for this terminal; "
            "sync the session opening first.",
        )
    if session[1] != SessionState.OPEN:
        raise OrderError(
            OrderErrorCode.SESSION_CLOSED, f"Cash session {order.session_uuid} is closed."
        )
    net_sum = tax_sum = gross_sum = 0
    for number, line in enumerate(order.lines, start=1):
        where = f"line {number}"
        if line.product_id not in ctx.products:
            raise OrderError(
                OrderErrorCode.UNKNOWN_PRODUCT, f"{where}: product {line.product_id} is unknown."
            )
        if line.tax_id not in ctx.taxes:
            raise OrderError(OrderErrorCode.UNKNOWN_TAX, f"{where}: tax {line.tax_id} is unknown.")
        quantity = _number(line.quantity, QUANTITY_PLACES, f"{where} quantity")
        discount = _number(line.discount, DISCOUNT_PLACES, f"{where} discount")
        rate = _number(line.tax_rate, RATE_PLACES, f"{where} tax_rate")
        if quantity == 0 or abs(quantity) > MAX_QUANTITY * QUANTITY_SCALE:
            raise OrderError(
                OrderErrorCode.ABSURD_QUANTITY,
                f"{where}: quantity {line.quantity} is out of range.",
            )
        if not 0 <= discount <= PERCENT_DISCOUNT:
            raise OrderError(
                OrderErrorCode.INVALID_DISCOUNT, f"{where}: discount must be 0 to 100%."
            )
        if not 0 <= rate <= PERCENT_RATE:
            raise OrderError(
                OrderErrorCode.INVALID_TAX_RATE, f"{where}: tax rate must be 0 to 100%."
            )
        unit_price = _amount(line.unit_price, ctx, f"{where} unit_price")
        if unit_price < 0:
            raise OrderError(
                OrderErrorCode.INVALID_PRICE, f"{where}: unit price cannot be negative."
            )
        if line.approved_by is not None and ctx.cashiers.get(line.approved_by) != Role.MANAGER:
            raise OrderError(
                OrderErrorCode.APPROVAL_INVALID,
                f"{where}: approved_by {line.approved_by} is not a manager.",
            )
        expected = line_price_scaled(
            quantity=quantity,
            unit_price=unit_price,
            discount=discount,
            rate=rate,
            price_includes_tax=line.price_includes_tax,
        )
        sent = (
            _amount(line.net, ctx, f"{where} net"),
            _amount(line.tax, ctx, f"{where} tax"),
            _amount(line.gross, ctx, f"{where} gross"),
        )
        if sent != expected:
            net, tax, gross = (from_scaled(v, ctx.places) for v in expected)
            raise OrderError(
                OrderErrorCode.LINE_TOTAL_MISMATCH,
                f"{where}: {line.quantity} × {line.unit_price} less {line.discount}% at "
                f"{line.tax_rate}% is net {net} tax {tax} gross {gross}, the order says "
                f"net {line.net} tax {line.tax} gross {line.gross}.",
            )
        net_sum += expected[0]
        tax_sum += expected[1]
        gross_sum += expected[2]
    sent_totals = (
        _amount(order.totals.net, ctx, "totals.net"),
        _amount(order.totals.tax, ctx, "totals.tax"),
        _amount(order.totals.gross, ctx, "totals.gross"),
    )
    if sent_totals != (net_sum, tax_sum, gross_sum):
        net, tax, gross = (from_scaled(v, ctx.places) for v in (net_sum, tax_sum, gross_sum))
        raise OrderError(
            OrderErrorCode.TOTAL_MISMATCH,
            f"The lines add up to net {net} tax {tax} gross {gross}, the order says "
            f"net {order.totals.net} tax {order.totals.tax} gross {order.totals.gross}.",
        )
    _check_payments(order, ctx, gross_sum)


def _check_payments(order: OrderIn, ctx: _Context, due: int) -> None:
    paid = cash = 0
    for number, payment in enumerate(order.payments, start=1):
        is_cash = ctx.methods.get(payment.method_id)
        if is_cash is None:
            raise OrderError(
                OrderErrorCode.UNKNOWN_PAYMENT_METHOD,
                f"payment {number}: method {payment.method_id} is not allowed on this terminal.",
            )
        amount = _amount(payment.amount, ctx, f"payment {number} amount")
        if amount == 0 or (amount < 0) != (due < 0):
            raise OrderError(
                OrderErrorCode.INVALID_PAYMENT,
                f"payment {number}: {payment.amount} has the wrong sign for an order of "
                f"{from_scaled(due, ctx.places)}.",
            )
        paid += amount
        if is_cash:
            cash += amount
    change = _amount(order.change, ctx, "change")
    if change < 0 or change > max(cash, 0):
        raise OrderError(
            OrderErrorCode.CHANGE_INVALID,
            f"Change {order.change} must be between 0 and the cash paid "
            f"({from_scaled(cash, ctx.places)}).",
        )
    if paid - change != due:
        raise OrderError(
            OrderErrorCode.PAYMENT_MISMATCH,
            f"Payments {from_scaled(paid, ctx.places)} less change {order.change} do not "
            f"equal the total {from_scaled(due, ctx.places)}.",
        )


def _rows(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
        return rows


def _in(column: str, values: Collection[Any]) -> tuple[str, list[Any]]:
    """`column IN values`, as one array parameter on PostgreSQL: psycopg composes a query
    of hundreds of placeholders slowly (it caches only those of up to 50) and the server
    plans each length anew."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(values)]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def _context(terminal: Terminal, orders: Sequence[OrderIn]) -> _Context:
    product_ids = {line.product_id for order in orders for line in order.lines}
    cashier_ids = {order.cashier_id for order in orders} | {
        line.approved_by for order in orders for line in order.lines if line.approved_by
    }
    session_field = CashSession._meta.get_field("uuid")
    session_uuids = {
        session_field.get_db_prep_value(order.session_uuid, connection) for order in orders
    }
    places = terminal.currency_places
    products_in, product_params = _in("id", product_ids)
    cashiers_in, cashier_params = _in("id", cashier_ids)
    sessions_in, session_params = _in("uuid", session_uuids)
    return _Context(
        places=places,
        products=dict(
            _rows(
                f"SELECT id, name FROM {Product._meta.db_table} WHERE {products_in}",  # noqa: S608
                product_params,
            )
        ),
        taxes={pk for (pk,) in _rows(f"SELECT id FROM {Tax._meta.db_table}", ())},  # noqa: S608
        cashiers=dict(
            _rows(
                f"SELECT id, role FROM {Cashier._meta.db_table} WHERE {cashiers_in}",  # noqa: S608
                cashier_params,
            )
        ),
        sessions={
            session_field.to_python(row_uuid): (pk, state)
            for row_uuid, pk, state in _rows(
                f"SELECT uuid, id, state FROM {CashSession._meta.db_table} "  # noqa: S608
                f"WHERE terminal_id = %s AND {sessions_in}",
                [terminal.pk, *session_params],
            )
        },
        methods=dict(terminal.payment_methods.values_list("pk", "is_cash")),
        max_amount=int(MAX_AMOUNT * 10**places),
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
                OrderErrorCode.INVALID_ORDER,
                validation_message(validation_details(exc.errors(), root="order")),
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

    if unique:
        with transaction.atomic():
            # Before reading which products exist: see common.locks.
            sales_lock(exclusive=False)
            _store(terminal, unique, results, source)
    return [r for r in results if r is not None]


def _stored(uuids: Collection[uuid_module.UUID]) -> set[uuid_module.UUID]:
    """Which of these order UUIDs are in the database."""
    if not uuids:
        return set()
    field = Order._meta.get_field("uuid")
    where, params = _in("uuid", [field.get_db_prep_value(u, connection) for u in uuids])
    rows = _rows(f"SELECT uuid FROM {Order._meta.db_table} WHERE {where}", params)  # noqa: S608
    return {field.to_python(row_uuid) for (row_uuid,) in rows}


def _store(
    terminal: Terminal,
    unique: list[tuple[int, OrderIn]],
    results: list[SyncResult | None],
    source: str,
) -> None:
    already = _stored([order.uuid for _, order in unique])
    fresh: list[tuple[int, OrderIn]] = []
    for index, order in unique:
        if order.uuid in already:
            results[index] = SyncResult(index, str(order.uuid), DUPLICATE)
        else:
            fresh.append((index, order))
    if not fresh:
        return
    ctx = _context(terminal, [order for _, order in fresh])
    valid: list[tuple[int, OrderIn]] = []
    for index, order in fresh:
        try:
            _check_order(order, ctx)
        except OrderError as exc:
            results[index] = SyncResult(index, str(order.uuid), REJECTED, exc.code, exc.message)
            continue
        valid.append((index, order))
    if valid:
        _insert(terminal, ctx, valid, results, source)


_RECEIPT_TAKEN = "Receipt number {} is already used by another order of this terminal."
_ORDER_COLUMNS = (
    "uuid, receipt_number, session_id, cashier_id, note, total_net, total_tax, total_gross, "
    "change, created_at"
)
_ORDER_TYPES = ("uuid", "text", "bigint", "bigint", "text") + ("numeric",) * 4 + ("timestamptz",)


def _insert(
    terminal: Terminal,
    ctx: _Context,
    valid: list[tuple[int, OrderIn]],
    results: list[SyncResult | None],
    source: str,
) -> None:
    """Insert the checked orders with plain SQL, inside the sync's transaction.

    `INSERT … ON CONFLICT DO NOTHING RETURNING` answers which rows this request stored,
    in one round trip, whatever a concurrent request did. The amounts stored are the
    order's own decimal strings, which _check_order found equal to kassa.money's.
    """
    ops = connection.ops
    uuid_field = Order._meta.get_field("uuid")
    order_rows = [
        (
            uuid_field.get_db_prep_save(order.uuid, connection),
            order.receipt_number,
            ctx.sessions[order.session_uuid][0],
            order.cashier_id,
            order.note,
            order.totals.net,
            order.totals.tax,
            order.totals.gross,
            order.change,
            ops.adapt_datetimefield_value(order.created_at),
        )
        for _, order in valid
    ]
    received_at = ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        # The unique constraints decide: a UUID stored by a concurrent request, or a
        # receipt number another order has (in the database or earlier in this batch),
        # makes the row skip, and RETURNING leaves it out.
        if connection.vendor == "postgresql":
            # One array per column: a short statement that psycopg and the server cache,
            # where 50 rows of VALUES would be 650 placeholders composed on every request.
            arrays = ", ".join(f"%s::{kind}[]" for kind in _ORDER_TYPES)
            rows_sql = f"SELECT *, %s, %s, %s FROM unnest({arrays})"  # noqa: S608
            params = [terminal.pk, received_at, source, *map(list, zip(*order_rows, strict=True))]
        else:
            values, params = _values(
                [(*row, terminal.pk, received_at, source) for row in order_rows]
            )
            rows_sql = f"VALUES {values}"
        cursor.execute(
            f"INSERT INTO {Order._meta.db_table} ({_ORDER_COLUMNS}, terminal_id, "
            f"received_at, source) {rows_sql} ON CONFLICT DO NOTHING RETURNING id, uuid",
            params,
        )
        inserted = {uuid_field.to_python(row_uuid): pk for pk, row_uuid in cursor.fetchall()}
        # Not inserted: stored meanwhile by a concurrent request (a duplicate), or its
        # receipt number went to another order.
        present = _stored([order.uuid for _, order in valid if order.uuid not in inserted])
        line_rows: list[tuple[Any, ...]] = []
        payment_rows: list[tuple[Any, ...]] = []
        for index, order in valid:
            pk = inserted.get(order.uuid)
            if pk is None:
                if order.uuid in present:
                    results[index] = SyncResult(index, str(order.uuid), DUPLICATE)
                else:
                    results[index] = SyncResult(
                        index,
                        str(order.uuid),
                        REJECTED,
                        OrderErrorCode.RECEIPT_NUMBER_TAKEN,
                        _RECEIPT_TAKEN.format(order.receipt_number),
                    )
                continue
            results[index] = SyncResult(index, str(order.uuid), ACCEPTED)
            for position, line in enumerate(order.lines):
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
                        line.net,
                        line.tax,
                        line.gross,
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
