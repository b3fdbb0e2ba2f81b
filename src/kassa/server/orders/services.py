"""Order intake: `order_sync` stores a batch of orders from a terminal exactly once, and
`order_acknowledge` records a manager's look at an order under review.

Each order is checked on its own and recomputed from its lines with kassa.money. A paid
sale is never refused (docs/journal.md): an order that breaks a rule is stored all the
same, under review, with every rule it breaks; only an item that is not an order (it
breaks the schema) is rejected. The database's unique constraint on the order UUID is
the final judge: a retried batch, or the same batch sent by ten clients at once, stores
every order once.
"""

from __future__ import annotations

import uuid as uuid_module
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import partial
from typing import Any, NamedTuple

import orjson
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import DecimalField, Model
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
from kassa.server.cash.services import cash_entries_apply
from kassa.server.catalog.models import Product, Tax
from kassa.server.common.errors import validation_details, validation_message
from kassa.server.common.locks import sales_lock
from kassa.server.journal.entries import ORDER_TYPES
from kassa.server.journal.models import TerminalEntry
from kassa.server.journal.services import AcceptedEntry, journal_ingest
from kassa.server.staff.models import Cashier, Role, RoleRevision
from kassa.server.staff.permissions import Action, Decision, Rules, decide, may_approve
from kassa.server.terminals.models import PaymentMethod, Terminal

from .errors import OrderErrorCode
from .models import (
    AbandonedOrder,
    Order,
    OrderAcknowledgement,
    OrderApproval,
    OrderKind,
    OrderLine,
    OrderSource,
    Payment,
    RefundFlag,
    RefundFlagCode,
    RefundLedger,
    SaleReview,
)
from .refund_rule import Figures, refund_amounts
from .sale_check import Sold, SoldLine, SoldPayment, sale_differences
from .schemas import ApprovalIn, LineIn, OrderIn

MAX_QUANTITY = 100_000
MAX_AMOUNT = 1_000_000_000
ACCEPTED, DUPLICATE, REJECTED = "accepted", "duplicate", "rejected"
# An order that breaks many rules (500 lines, each mispriced) is one review: its message
# names the first few; `received` keeps the whole order.
MAX_REVIEW_PROBLEMS = 10


class Problem(NamedTuple):
    """A rule an order breaks: it is stored all the same, under review."""

    code: OrderErrorCode
    message: str


@dataclass
class SyncResult:
    index: int
    uuid: str | None
    status: str
    code: OrderErrorCode | None = None
    message: str | None = None
    review: Problem | None = None

    def as_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {"index": self.index, "uuid": self.uuid, "status": self.status}
        if self.code is not None:
            result["code"] = self.code
            result["message"] = self.message
        if self.review is not None:
            result["review"] = {"code": self.review.code, "message": self.review.message}
        return result


# An original line as _originals reads it: pk, name, quantity, net, tax, gross.
_OriginalLine = tuple[int, str, Decimal | None, Decimal | None, Decimal | None, Decimal | None]


@dataclass
class _Context:
    places: int
    products: dict[int, str]
    taxes: set[int]
    cashiers: dict[int, str]  # id → role code
    cashier_roles: dict[int, tuple[str, int]]  # id → (role code, its current revision)
    rules: dict[tuple[str, int], Rules]  # (role code, revision) → permissions
    sessions: dict[uuid_module.UUID, tuple[int, str]]
    methods: dict[int, bool]
    method_names: dict[int, str]  # of the methods allowed on this terminal
    max_amount: int  # MAX_AMOUNT in minor units
    # The originals the batch's refunds name: uuid -> (pk, kind, receipt number), and
    # their lines: (order pk, position) -> (line pk, name, quantity, net, tax, gross).
    originals: dict[uuid_module.UUID, tuple[int, str, str]]
    original_lines: dict[tuple[int, int], _OriginalLine]


class _Check:
    """The rules of one order: every broken one is a Problem, in the order they are met,
    so that the first is the one a single mistake always gives."""

    __slots__ = ("ctx", "problems")

    def __init__(self, ctx: _Context):
        self.ctx = ctx
        self.problems: list[Problem] = []

    def flag(self, code: OrderErrorCode, message: str) -> None:
        self.problems.append(Problem(code, message))

    def number(self, value: str, places: int, field: str) -> int | None:
        try:
            return to_scaled(value, places, field)
        except MoneyError as exc:
            self.flag(OrderErrorCode.INVALID_NUMBER, str(exc))
            return None

    def amount(self, value: str, field: str) -> int | None:
        """An amount in minor units of the terminal's currency, or None if it is not one."""
        try:
            amount = to_scaled(value, self.ctx.places, field)
        except MoneyError as exc:
            self.flag(OrderErrorCode.INVALID_AMOUNT, str(exc))
            return None
        if abs(amount) > self.ctx.max_amount:
            self.flag(OrderErrorCode.ABSURD_AMOUNT, f"{field}: {value} is out of range")
            return None
        return amount


def _check_order(order: OrderIn, ctx: _Context) -> list[Problem]:
    """The rules the order breaks, none if it is consistent, priced as kassa.money prices
    it (in scaled integers, as the terminal computes) and paid."""
    check = _Check(ctx)
    if order.cashier_id not in ctx.cashiers:
        check.flag(OrderErrorCode.UNKNOWN_CASHIER, f"Cashier {order.cashier_id} does not exist.")
    session = ctx.sessions.get(order.session_uuid)
    if session is None:
        check.flag(
            OrderErrorCode.UNKNOWN_SESSION,
            f"Cash session {order.session_uuid} is not known for this terminal; "
            "sync the session opening first.",
        )
    elif session[1] != SessionState.OPEN:
        check.flag(OrderErrorCode.SESSION_CLOSED, f"Cash session {order.session_uuid} is closed.")
    net_sum = tax_sum = gross_sum = 0
    priced = True
    for number, line in enumerate(order.lines, start=1):
        expected = _check_line(check, line, f"line {number}")
        if line.voided:
            # Kept for the record and the day's report; it counts for nothing.
            continue
        if expected is None:
            priced = False
        else:
            net_sum += expected[0]
            tax_sum += expected[1]
            gross_sum += expected[2]
    sent_net = check.amount(order.totals.net, "totals.net")
    sent_tax = check.amount(order.totals.tax, "totals.tax")
    sent_gross = check.amount(order.totals.gross, "totals.gross")
    sent_totals = (sent_net, sent_tax, sent_gross)
    if priced and None not in sent_totals and sent_totals != (net_sum, tax_sum, gross_sum):
        net, tax, gross = (from_scaled(v, ctx.places) for v in (net_sum, tax_sum, gross_sum))
        check.flag(
            OrderErrorCode.TOTAL_MISMATCH,
            f"The lines add up to net {net} tax {tax} gross {gross}, the order says "
            f"net {order.totals.net} tax {order.totals.tax} gross {order.totals.gross}.",
        )
    # The payments paid what the till asked for: its printed total.
    _check_payments(check, order, sent_gross)
    if order.cashier_id in ctx.cashiers:
        _check_rights(check, order)
    return check.problems


def _decimal(value: str | None) -> Decimal | None:
    try:
        return None if value is None else Decimal(value)
    except ArithmeticError:
        return None


class _Restricted(NamedTuple):
    action: str
    line: LineIn | None  # None: the order is the subject
    value: Decimal | None
    where: str

    @property
    def what(self) -> str:
        return f"{self.where}: {self.action}" + ("" if self.value is None else f" {self.value}")


def _restricted(order: OrderIn) -> list[_Restricted]:
    """The order's restricted changes (docs/permissions.md)."""
    changes: list[_Restricted] = []
    refunded = Decimal(0)
    for number, line in enumerate(order.lines, start=1):
        where = f"line {number}"
        if line.voided:
            changes.append(_Restricted(Action.LINE_VOID, line, None, where))
            continue
        gross = _decimal(line.gross)
        if gross is not None and gross < 0:
            # A returned line keeps its original's price and discount: the refund is
            # what is judged, not the line's figures.
            refunded -= gross
            continue
        price, listed = _decimal(line.unit_price), _decimal(line.list_price)
        if (price != listed) if listed is not None else line.price_overridden:
            changes.append(_Restricted(Action.PRICE_OVERRIDE, line, None, where))
        discount = _decimal(line.discount)
        if discount:
            changes.append(_Restricted(Action.LINE_DISCOUNT, line, discount, where))
    if refunded:
        # Goods back without their original (a blind return) need BLIND_RETURN; with
        # it, REFUND up to the role's amount (docs/permissions.md).
        blind = order.kind != "sale" and order.original_uuid is None
        if blind:
            changes.append(_Restricted(Action.BLIND_RETURN, None, None, "the order"))
        else:
            changes.append(_Restricted(Action.REFUND, None, refunded, "the order"))
    return changes


def _check_rights(check: _Check, order: OrderIn) -> None:
    """Each restricted change is allowed to the cashier's role, or references an approval
    whose approver's role allowed it, as the permissions stood (the role's revision the
    till judged by; it must be one the server recorded). Else the order is stored and
    flagged `unauthorised_change`.

    An order from a till before roles (no `cashier_role`) is judged as it was then: a
    price or discount approved by the line's `approved_by`, by that person's role now."""
    ctx = check.ctx
    current = ctx.cashier_roles[order.cashier_id]
    if order.cashier_role is None:
        _check_legacy_rights(check, order, current)
        return
    role = (order.cashier_role.code, order.cashier_role.revision)
    rules = ctx.rules.get(role)
    if rules is None:
        check.flag(
            OrderErrorCode.UNAUTHORISED_CHANGE,
            f"The cashier's role {role[0]} revision {role[1]} is not one the server "
            f"recorded; judged by {current[0]} revision {current[1]}.",
        )
        rules = ctx.rules.get(current, {})
    used: set[uuid_module.UUID] = set()
    for change in _restricted(order):
        decision = decide(rules, change.action, change.value)
        if decision == Decision.ALLOWED:
            continue
        if decision == Decision.DENIED:
            check.flag(
                OrderErrorCode.UNAUTHORISED_CHANGE,
                f"{change.what} is denied to the cashier's role {role[0]}.",
            )
            continue
        line_id = None if change.line is None else (change.line.line_id or "")
        approval = _approval_for(order, change.action, line_id, used)
        if approval is None:
            check.flag(OrderErrorCode.UNAUTHORISED_CHANGE, f"{change.what} has no approval.")
            continue
        used.add(approval.id)
        problem = _approval_problem(ctx, order, approval, change.action, change.value)
        if problem:
            check.flag(OrderErrorCode.UNAUTHORISED_CHANGE, f"{change.what}: {problem}")


def _approval_for(
    order: OrderIn, action: str, line_id: str | None, used: set[uuid_module.UUID]
) -> ApprovalIn | None:
    for approval in order.approvals:
        if approval.id in used or approval.action != action:
            continue
        subject = approval.subject
        if subject.order is not None and subject.order != str(order.uuid):
            continue
        if line_id is None and subject.kind == "order":
            return approval
        if line_id is not None and subject.kind == "line" and subject.line == line_id:
            return approval
    return None


def _approval_problem(
    ctx: _Context, order: OrderIn, approval: ApprovalIn, action: str, value: Decimal | None
) -> str | None:
    role = (approval.approver_role.code, approval.approver_role.revision)
    if approval.approved_by not in ctx.cashiers:
        return f"approved by {approval.approved_by}, who is not a known cashier."
    rules = ctx.rules.get(role)
    if rules is None:
        return f"the approver's role {role[0]} revision {role[1]} is not one the server recorded."
    if not may_approve(rules, action, value):
        return f"the approver's role {role[0]} (revision {role[1]}) does not allow it."
    return None


def _check_legacy_rights(check: _Check, order: OrderIn, current: tuple[str, int]) -> None:
    ctx = check.ctx
    rules = ctx.rules.get(current, {})
    for change in _restricted(order):
        if change.line is None or change.action not in (
            Action.PRICE_OVERRIDE,
            Action.LINE_DISCOUNT,
        ):
            continue
        if decide(rules, change.action, change.value) == Decision.ALLOWED:
            continue
        approver = change.line.approved_by
        approver_role = ctx.cashier_roles.get(approver) if approver is not None else None
        if approver_role is None or not may_approve(
            ctx.rules.get(approver_role, {}), change.action, change.value
        ):
            check.flag(
                OrderErrorCode.UNAUTHORISED_CHANGE,
                f"{change.what} has no approval by a role that allows it.",
            )


def _check_line(check: _Check, line: LineIn, where: str) -> tuple[int, int, int] | None:
    """Check one line; its net, tax and gross as the server prices them, or None when a
    value is missing or out of range (the order's totals are then not compared)."""
    ctx = check.ctx
    if line.product_id not in ctx.products:
        check.flag(
            OrderErrorCode.UNKNOWN_PRODUCT, f"{where}: product {line.product_id} is unknown."
        )
    if line.tax_id not in ctx.taxes:
        check.flag(OrderErrorCode.UNKNOWN_TAX, f"{where}: tax {line.tax_id} is unknown.")
    quantity = check.number(line.quantity, QUANTITY_PLACES, f"{where} quantity")
    discount = check.number(line.discount, DISCOUNT_PLACES, f"{where} discount")
    rate = check.number(line.tax_rate, RATE_PLACES, f"{where} tax_rate")
    in_range = True
    if quantity is not None and (quantity == 0 or abs(quantity) > MAX_QUANTITY * QUANTITY_SCALE):
        check.flag(
            OrderErrorCode.ABSURD_QUANTITY, f"{where}: quantity {line.quantity} is out of range."
        )
        in_range = False
    if discount is not None and not 0 <= discount <= PERCENT_DISCOUNT:
        check.flag(OrderErrorCode.INVALID_DISCOUNT, f"{where}: discount must be 0 to 100%.")
        in_range = False
    if rate is not None and not 0 <= rate <= PERCENT_RATE:
        check.flag(OrderErrorCode.INVALID_TAX_RATE, f"{where}: tax rate must be 0 to 100%.")
        in_range = False
    unit_price = check.amount(line.unit_price, f"{where} unit_price")
    if line.list_price is not None:
        check.amount(line.list_price, f"{where} list_price")
    if unit_price is not None and unit_price < 0:
        check.flag(OrderErrorCode.INVALID_PRICE, f"{where}: unit price cannot be negative.")
        in_range = False
    if line.approved_by is not None and line.approved_by not in ctx.cashiers:
        check.flag(
            OrderErrorCode.APPROVAL_INVALID,
            f"{where}: approved_by {line.approved_by} is not a known cashier.",
        )
    sent = (
        check.amount(line.net, f"{where} net"),
        check.amount(line.tax, f"{where} tax"),
        check.amount(line.gross, f"{where} gross"),
    )
    if quantity is None or discount is None or rate is None or unit_price is None:
        return None
    if not in_range:
        return None
    if line.original_line is not None:
        # A returned line takes the original's figures × q/Q (docs/refunds.md), which the
        # refund ledger checks once the original's refunds are locked (_refunds_apply).
        return None if None in sent else (sent[0], sent[1], sent[2])  # type: ignore[return-value]
    expected = line_price_scaled(
        quantity=quantity,
        unit_price=unit_price,
        discount=discount,
        rate=rate,
        price_includes_tax=line.price_includes_tax,
    )
    if sent != expected and None not in sent:
        net, tax, gross = (from_scaled(v, ctx.places) for v in expected)
        check.flag(
            OrderErrorCode.LINE_TOTAL_MISMATCH,
            f"{where}: {line.quantity} × {line.unit_price} less {line.discount}% at "
            f"{line.tax_rate}% is net {net} tax {tax} gross {gross}, the order says "
            f"net {line.net} tax {line.tax} gross {line.gross}.",
        )
    return expected


def _check_payments(check: _Check, order: OrderIn, due: int | None) -> None:
    ctx = check.ctx
    paid = cash = 0
    complete = due is not None
    for number, payment in enumerate(order.payments, start=1):
        is_cash = ctx.methods.get(payment.method_id)
        if is_cash is None:
            check.flag(
                OrderErrorCode.UNKNOWN_PAYMENT_METHOD,
                f"payment {number}: method {payment.method_id} is not allowed on this terminal.",
            )
        amount = check.amount(payment.amount, f"payment {number} amount")
        if amount is None:
            complete = False
            continue
        if amount == 0 or (due is not None and (amount < 0) != (due < 0)):
            check.flag(
                OrderErrorCode.INVALID_PAYMENT,
                f"payment {number}: {payment.amount} has the wrong sign for an order of "
                f"{order.totals.gross}.",
            )
        paid += amount
        if is_cash:
            cash += amount
    change = check.amount(order.change, "change")
    if change is None:
        return
    if change < 0 or change > max(cash, 0):
        check.flag(
            OrderErrorCode.CHANGE_INVALID,
            f"Change {order.change} must be between 0 and the cash paid "
            f"({from_scaled(cash, ctx.places)}).",
        )
    if complete and paid - change != due:
        check.flag(
            OrderErrorCode.PAYMENT_MISMATCH,
            f"Payments {from_scaled(paid, ctx.places)} less change {order.change} do not "
            f"equal the total {order.totals.gross}.",
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
    cashier_ids = (
        {order.cashier_id for order in orders}
        | {line.approved_by for order in orders for line in order.lines if line.approved_by}
        | {approval.approved_by for order in orders for approval in order.approvals}
    )
    session_field = CashSession._meta.get_field("uuid")
    session_uuids = {
        session_field.get_db_prep_value(order.session_uuid, connection) for order in orders
    }
    places = terminal.currency_places
    methods = list(terminal.payment_methods.values_list("pk", "is_cash", "name"))
    originals, original_lines = _originals({o.original_uuid for o in orders if o.original_uuid})
    products_in, product_params = _in("id", product_ids)
    cashiers_in, cashier_params = _in("id", cashier_ids)
    sessions_in, session_params = _in("uuid", session_uuids)
    cashier_rows = _rows(
        f"SELECT c.id, r.code, r.revision FROM {Cashier._meta.db_table} c "  # noqa: S608
        f"JOIN {Role._meta.db_table} r ON r.id = c.role_id WHERE c.{cashiers_in}",
        cashier_params,
    )
    codes = {code for _, code, _ in cashier_rows} | {
        ref.code
        for order in orders
        for ref in ([order.cashier_role] if order.cashier_role else [])
        + [a.approver_role for a in order.approvals]
    }
    rules: dict[tuple[str, int], Rules] = {
        (code, revision): rules
        for code, revision, rules in RoleRevision.objects.filter(role__code__in=codes).values_list(
            "role__code", "revision", "rules"
        )
    }
    return _Context(
        places=places,
        products=dict(
            _rows(
                f"SELECT id, name FROM {Product._meta.db_table} WHERE {products_in}",  # noqa: S608
                product_params,
            )
        ),
        taxes={pk for (pk,) in _rows(f"SELECT id FROM {Tax._meta.db_table}", ())},  # noqa: S608
        cashiers={pk: code for pk, code, _ in cashier_rows},
        cashier_roles={pk: (code, revision) for pk, code, revision in cashier_rows},
        rules=rules,
        sessions={
            session_field.to_python(row_uuid): (pk, state)
            for row_uuid, pk, state in _rows(
                f"SELECT uuid, id, state FROM {CashSession._meta.db_table} "  # noqa: S608
                f"WHERE terminal_id = %s AND {sessions_in}",
                [terminal.pk, *session_params],
            )
        },
        methods={pk: is_cash for pk, is_cash, _ in methods},
        method_names={pk: name for pk, _, name in methods},
        max_amount=int(MAX_AMOUNT * 10**places),
        originals=originals,
        original_lines=original_lines,
    )


def _originals(
    uuids: Collection[uuid_module.UUID],
) -> tuple[
    dict[uuid_module.UUID, tuple[int, str, str]],
    dict[tuple[int, int], _OriginalLine],
]:
    """The orders refunds name (of any till of the server) and their lines."""
    if not uuids:
        return {}, {}
    orders = {
        row_uuid: (pk, kind, receipt)
        for pk, row_uuid, kind, receipt in Order.objects.filter(uuid__in=uuids).values_list(
            "pk", "uuid", "kind", "receipt_number"
        )
    }
    lines = {
        (order_id, position): (pk, name, quantity, net, tax, gross)
        for pk, order_id, position, name, quantity, net, tax, gross in OrderLine.objects.filter(
            order_id__in=[pk for pk, _, _ in orders.values()]
        ).values_list(
            "pk", "order_id", "position", "name", "quantity", "net", "tax_amount", "gross"
        )
    }
    return orders, lines


@dataclass
class BatchOutcome:
    results: list[SyncResult]
    # The `journal` of the answer (docs/journal.md, Transport); None when not ingested.
    journal: dict[str, Any] | None = None


def order_sync(
    *,
    terminal: Terminal,
    items: Sequence[Any],
    source: str = OrderSource.SYNC,
) -> list[SyncResult]:
    """Store a batch of orders; one result per item, in order."""
    return order_batch_sync(terminal=terminal, orders=items, journal=None, source=source).results


def order_batch_sync(
    *,
    terminal: Terminal,
    orders: Sequence[Any],
    journal: Sequence[Any] | None,
    source: str = OrderSource.SYNC,
) -> BatchOutcome:
    """Store a batch of orders, then ingest the terminal's journal entries in the same
    transaction, and check each SALE the journal accepted against its order.

    `journal` is the request's wire entries (None, or empty: none). The journal is
    ingested, and its head answered, when entries came: a till with a journal sends each
    SALE with its order, so it hears its head whenever it has entries to drop, and a
    till without one costs the sync no query of the journal's tables. (A till with
    nothing to send reads GET /journal/head.)
    """
    results: list[SyncResult | None] = [None] * len(orders)
    parsed: list[tuple[int, OrderIn]] = []
    for index, item in enumerate(orders):
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

    ingest = bool(journal)
    answer = None
    if unique or ingest:
        with transaction.atomic():
            accepted: dict[uuid_module.UUID, tuple[OrderIn, _Context]] = {}
            if unique:
                # Before reading which products exist: see common.locks.
                sales_lock(exclusive=False)
                # Sales first, so a refund in the same batch as its original finds it.
                sales = [(i, o) for i, o in unique if o.original_uuid is None]
                refunds = [(i, o) for i, o in unique if o.original_uuid is not None]
                accepted = _store(terminal, sales, results, source) if sales else {}
                if refunds:
                    accepted |= _store(terminal, refunds, results, source)
            if ingest:
                # Last: it locks the terminal's chain head, then the server chain's.
                outcome = journal_ingest(terminal_code=terminal.code, entries=journal or [])
                _sales_check(terminal, outcome.accepted, accepted)
                # The day close's entries: cash moves, counts, Zs checked against their
                # sessions' entries (a session closed by its Z closes here too).
                cash_entries_apply(terminal=terminal, entries=outcome.accepted)
                _abandoned_record(terminal, outcome.accepted)
                answer = outcome.as_dict()
    return BatchOutcome([r for r in results if r is not None], answer)


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
) -> dict[uuid_module.UUID, tuple[OrderIn, _Context]]:
    """Store the orders not stored yet; those this request stored, with their context."""
    already = _stored([order.uuid for _, order in unique])
    fresh: list[tuple[int, OrderIn]] = []
    for index, order in unique:
        if order.uuid in already:
            results[index] = SyncResult(index, str(order.uuid), DUPLICATE)
        else:
            fresh.append((index, order))
    if not fresh:
        return {}
    ctx = _context(terminal, [order for _, order in fresh])
    checked = [(index, order, _check_order(order, ctx)) for index, order in fresh]
    pks = _insert(terminal, ctx, checked, results, source)
    accepted = {
        order.uuid: (order, ctx)
        for index, order, _ in checked
        if (result := results[index]) is not None and result.status == ACCEPTED
    }
    returned = [
        order
        for _, order, _ in checked
        if order.uuid in accepted and any(line.original_line is not None for line in order.lines)
    ]
    if returned:
        _refunds_apply(ctx, returned, pks)
    return accepted


_RECEIPT_TAKEN = "Receipt number {} is already used by another order of this terminal."
_ORDER_COLUMNS = (
    "uuid, receipt_number, session_id, cashier_id, note, total_net, total_tax, total_gross, "
    "change, created_at, kind, original_uuid, original_id"
)
_ORDER_TYPES = (
    ("uuid", "text", "bigint", "bigint", "text")
    + ("numeric",) * 4
    + ("timestamptz", "text", "uuid", "bigint")
)
_REVIEW_COLUMNS = (
    ", unknown_session_uuid, unknown_cashier_id, review_code, review_message, received"
)
_REVIEW_TYPES = ("uuid", "bigint", "text", "text", "jsonb")
_LINE_COLUMNS = (
    "order_id, position, product_id, name, quantity, unit_price, discount, tax_id, tax_rate, "
    "price_includes_tax, net, tax_amount, gross, price_overridden, approved_by_id, "
    "original_line_id, reason, voided, list_price, line_ref"
)
_LINE_REVIEW_COLUMNS = ", unknown_product_id, unknown_tax_id, unknown_approver_id"
_PAYMENT_COLUMNS = "order_id, method_id, amount"
_PAYMENT_REVIEW_COLUMNS = ", unknown_method_id"

_Checked = tuple[int, OrderIn, list[Problem]]


def _insert(
    terminal: Terminal,
    ctx: _Context,
    checked: list[_Checked],
    results: list[SyncResult | None],
    source: str,
) -> dict[uuid_module.UUID, int]:
    """Insert the checked orders with plain SQL, inside the sync's transaction; the ids
    of the orders this request stored, by uuid.

    `INSERT … ON CONFLICT DO NOTHING RETURNING` answers which rows this request stored,
    in one round trip, whatever a concurrent request did. The orders that broke no rule
    go first, in the statement they always had (the fast path); those under review
    follow with their review columns; then, under review too, those whose receipt number
    another order holds. The amounts stored are the order's own decimal strings: what
    the till printed, which for an order that broke no rule are kassa.money's.
    """
    clean = [(index, order) for index, order, problems in checked if not problems]
    flagged = [item for item in checked if item[2]]
    with connection.cursor() as cursor:
        received_at = connection.ops.adapt_datetimefield_value(timezone.now())

        def insert(rows: list[tuple[Any, ...]], review: bool) -> dict[uuid_module.UUID, int]:
            if not rows:
                return {}
            return _insert_orders(cursor, terminal, rows, received_at, source, review=review)

        clean_in = insert([_order_row(order, ctx) for _, order in clean], False)
        review_in = insert(
            [_review_order_row(o, ctx, problems) for _, o, problems in flagged], True
        )
        reviewed = [item for item in flagged if item[1].uuid in review_in]
        # Not inserted: stored meanwhile by a concurrent request (a duplicate), or its
        # receipt number went to another order (in the database or earlier in this batch).
        missing = [
            item
            for item in checked
            if item[1].uuid not in clean_in and item[1].uuid not in review_in
        ]
        present = _stored([order.uuid for _, order, _ in missing])
        taken: list[_Checked] = []
        for index, order, problems in missing:
            if order.uuid in present:
                results[index] = SyncResult(index, str(order.uuid), DUPLICATE)
            else:
                message = _RECEIPT_TAKEN.format(order.receipt_number)
                problem = Problem(OrderErrorCode.RECEIPT_NUMBER_TAKEN, message)
                taken.append((index, order, [problem, *problems]))
        taken_in = insert([_review_order_row(o, ctx, ps) for _, o, ps in taken], True)
        # These hold no receipt number: only their UUID, stored since by a concurrent
        # request, can have kept them out.
        late = [order.uuid for _, order, _ in taken if order.uuid not in taken_in]
        if _stored(late) != set(late):
            raise RuntimeError(f"orders {late} were neither stored nor found stored")
        for index, order, _ in taken:
            if order.uuid not in taken_in:
                results[index] = SyncResult(index, str(order.uuid), DUPLICATE)
        review_in |= taken_in
        reviewed += [item for item in taken if item[1].uuid in taken_in]

        line_rows: list[tuple[Any, ...]] = []
        payment_rows: list[tuple[Any, ...]] = []
        for index, order in clean:
            pk = clean_in.get(order.uuid)
            if pk is None:
                continue
            results[index] = SyncResult(index, str(order.uuid), ACCEPTED)
            for position, line in enumerate(order.lines):
                line_rows.append(
                    (
                        pk,
                        position,
                        line.product_id,
                        ctx.products[line.product_id] if line.name is None else line.name,
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
                        _original_line_id(order, line, ctx),
                        line.reason,
                        line.voided,
                        line.list_price,
                        line.line_id or "",
                    )
                )
            payment_rows.extend((pk, p.method_id, p.amount) for p in order.payments)
        _insert_rows(cursor, f"{OrderLine._meta.db_table} ({_LINE_COLUMNS})", line_rows)
        _insert_rows(cursor, f"{Payment._meta.db_table} ({_PAYMENT_COLUMNS})", payment_rows)
        if reviewed:
            _insert_review_children(cursor, ctx, reviewed, review_in, results)
        stored_pks = {**clean_in, **review_in}
        _insert_approvals(
            [(stored_pks[order.uuid], order) for _, order, _ in checked if order.uuid in stored_pks]
        )
    return clean_in | review_in


def _insert_approvals(stored: list[tuple[int, OrderIn]]) -> None:
    """The approvals the stored orders' restricted changes used, as the till sent them."""
    rows = [
        OrderApproval(
            order_id=pk,
            uuid=approval.id,
            action=approval.action,
            subject=approval.subject.model_dump(exclude_none=True),
            asked_by_id=approval.asked_by,
            approved_by_id=approval.approved_by,
            approver_role=approval.approver_role.code,
            role_revision=approval.approver_role.revision,
            reason=approval.reason or "",
            note=approval.note,
            before=approval.before or "",
            after=approval.after or "",
        )
        for pk, order in stored
        for approval in order.approvals
    ]
    if rows:
        OrderApproval.objects.bulk_create(rows, ignore_conflicts=True)


def _insert_orders(
    cursor: Any,
    terminal: Terminal,
    rows: list[tuple[Any, ...]],
    received_at: Any,
    source: str,
    *,
    review: bool,
) -> dict[uuid_module.UUID, int]:
    """INSERT the order rows, skipping those a unique constraint refuses; the ids of
    those inserted, by UUID."""
    columns = _ORDER_COLUMNS + (_REVIEW_COLUMNS if review else "")
    types = _ORDER_TYPES + (_REVIEW_TYPES if review else ())
    if connection.vendor == "postgresql":
        # One array per column: a short statement that psycopg and the server cache,
        # where 50 rows of VALUES would be 650 placeholders composed on every request.
        arrays = ", ".join(f"%s::{kind}[]" for kind in types)
        rows_sql = f"SELECT *, %s, %s, %s FROM unnest({arrays})"  # noqa: S608
        params = [terminal.pk, received_at, source, *map(list, zip(*rows, strict=True))]
    else:
        values, params = _values([(*row, terminal.pk, received_at, source) for row in rows])
        rows_sql = f"VALUES {values}"
    # The unique constraints decide: a UUID stored by a concurrent request, or a receipt
    # number another order holds, makes the row skip, and RETURNING leaves it out.
    cursor.execute(
        f"INSERT INTO {Order._meta.db_table} ({columns}, terminal_id, received_at, source) "
        f"{rows_sql} ON CONFLICT DO NOTHING RETURNING id, uuid",
        params,
    )
    uuid_field = Order._meta.get_field("uuid")
    return {uuid_field.to_python(row_uuid): pk for pk, row_uuid in cursor.fetchall()}


_uuid_field = Order._meta.get_field("uuid")


def _order_row(order: OrderIn, ctx: _Context) -> tuple[Any, ...]:
    return (
        _uuid_field.get_db_prep_save(order.uuid, connection),
        order.receipt_number,
        ctx.sessions[order.session_uuid][0],
        order.cashier_id,
        order.note,
        order.totals.net,
        order.totals.tax,
        order.totals.gross,
        order.change,
        connection.ops.adapt_datetimefield_value(order.created_at),
        *_refund_columns(order, ctx),
    )


def _refund_columns(order: OrderIn, ctx: _Context) -> tuple[Any, Any, Any]:
    """kind, original_uuid and original_id of an order's row."""
    if order.original_uuid is None:
        return order.kind, None, None
    original = ctx.originals.get(order.original_uuid)
    return (
        order.kind,
        _uuid_field.get_db_prep_save(order.original_uuid, connection),
        original[0] if original else None,
    )


def _original_line_id(order: OrderIn, line: LineIn, ctx: _Context) -> int | None:
    if line.original_line is None or order.original_uuid is None:
        return None
    original = ctx.originals.get(order.original_uuid)
    if original is None:
        return None
    found = ctx.original_lines.get((original[0], line.original_line))
    return found[0] if found else None


def _refunds_apply(ctx: _Context, refunds: list[OrderIn], pks: dict[uuid_module.UUID, int]) -> None:
    """Count the returned lines of the refunds this request stored in each original
    line's ledger, under the ledger rows' locks taken in primary-key order; flag what
    breaks a rule (docs/refunds.md). Nothing is refused: the money has left the drawer.

    Two tills that refunded the same line offline both get here; the second waits on
    the first's lock, then reads what the first counted, so exactly one is over.
    """
    flags = _Flags(timezone.now())
    plan: list[tuple[OrderIn, int, LineIn, _OriginalLine, str]] = []
    for order in refunds:
        pk = pks[order.uuid]
        original = ctx.originals.get(order.original_uuid) if order.original_uuid else None
        if original is None:
            flags.add(
                pk,
                RefundFlagCode.ORIGINAL_UNKNOWN,
                f"Refund {order.receipt_number} names order {order.original_uuid}, which the "
                "server does not hold.",
            )
            continue
        original_pk, kind, receipt = original
        if kind == OrderKind.REFUND:
            flags.add(
                pk,
                RefundFlagCode.REFUND_OF_REFUND,
                f"Refund {order.receipt_number} refunds {receipt}, which is itself a refund.",
            )
            continue
        for line in order.lines:
            if line.original_line is None:
                continue
            held = ctx.original_lines.get((original_pk, line.original_line))
            where = f"line {line.original_line + 1} of {receipt}"
            if held is None or None in held[2:]:
                flags.add(
                    pk,
                    RefundFlagCode.ORIGINAL_LINE_UNKNOWN,
                    f"Refund {order.receipt_number} returns {where}, which has no such line.",
                )
            elif held[2] is not None and held[2] <= 0:
                flags.add(
                    pk,
                    RefundFlagCode.REFUND_OF_REFUND,
                    f"Refund {order.receipt_number} returns {where}, itself a returned line.",
                    held[0],
                )
            else:
                plan.append((order, pk, line, held, f"line {line.original_line + 1} ({held[1]})"))
    if plan:
        wanted = sorted({held[0] for _, _, _, held, _ in plan})
        RefundLedger.objects.bulk_create(
            [RefundLedger(line_id=line_pk) for line_pk in wanted], ignore_conflicts=True
        )
        ledgers = {
            ledger.line_id: ledger
            for ledger in RefundLedger.objects.select_for_update()
            .filter(line_id__in=wanted)
            .order_by("line_id")
        }
        for order, pk, line, held, where in plan:
            _ledger_count(ctx.places, flags, ledgers[held[0]], order, pk, line, held, where)
        RefundLedger.objects.bulk_update(
            list(ledgers.values()), ["quantity", "net", "tax", "gross", "refunds"]
        )
    RefundFlag.objects.bulk_create(flags.found)


class _Flags:
    def __init__(self, now: Any) -> None:
        self.now = now
        self.found: list[RefundFlag] = []

    def add(
        self, order_pk: int, code: RefundFlagCode, message: str, line: int | None = None
    ) -> None:
        self.found.append(
            RefundFlag(
                order_id=order_pk, line_id=line, code=code, message=message, detected_at=self.now
            )
        )


def _figures(values: tuple[Any, Any, Any, Any], places: int, sign: int = 1) -> Figures:
    quantity, net, tax, gross = values
    return Figures(
        sign * to_scaled(quantity, QUANTITY_PLACES),
        sign * to_scaled(net, places),
        sign * to_scaled(tax, places),
        sign * to_scaled(gross, places),
    )


def _ledger_count(
    places: int,
    flags: _Flags,
    ledger: RefundLedger,
    order: OrderIn,
    pk: int,
    line: LineIn,
    held: _OriginalLine,
    where: str,
) -> None:
    """Count one returned line in its original line's ledger (locked); flag it when it
    takes more than is left, or other figures than the refund rule's."""
    line_pk, _, quantity, *_ = held
    sold = _figures((quantity, held[3], held[4], held[5]), places)
    before = _figures((ledger.quantity, ledger.net, ledger.tax, ledger.gross), places)
    try:
        sent = _figures((line.quantity, line.net, line.tax, line.gross), places, sign=-1)
    except MoneyError:
        return  # the order is under review for this figure already
    money = partial(from_scaled, places=places)
    if sent.quantity <= 0:
        flags.add(
            pk,
            RefundFlagCode.AMOUNT_MISMATCH,
            f"Refund {order.receipt_number} gives back {where} with a quantity of "
            f"{line.quantity}: a returned line's is negative.",
            line_pk,
        )
        return
    if before.quantity + sent.quantity > sold.quantity:
        over = from_scaled(before.quantity + sent.quantity - sold.quantity, QUANTITY_PLACES)
        flags.add(
            pk,
            RefundFlagCode.OVER_REFUND,
            f"Refund {order.receipt_number} refunds {-Decimal(line.quantity)} of {where}: "
            f"{ledger.quantity} of {quantity} were refunded before, so {over} more than was "
            f"sold ({money(-sent.gross)} paid out).",
            line_pk,
        )
    else:
        expected = refund_amounts(original=sold, refunded=before, quantity=sent.quantity)
        if expected != sent:
            flags.add(
                pk,
                RefundFlagCode.AMOUNT_MISMATCH,
                f"Refund {order.receipt_number} of {where}: {-Decimal(line.quantity)} of "
                f"{quantity} is net {money(-expected.net)} tax {money(-expected.tax)} gross "
                f"{money(-expected.gross)}, the refund says net {line.net} tax {line.tax} "
                f"gross {line.gross}.",
                line_pk,
            )
    # What left the drawer is counted, over or not.
    ledger.quantity += from_scaled(sent.quantity, QUANTITY_PLACES)
    ledger.net += money(sent.net)
    ledger.tax += money(sent.tax)
    ledger.gross += money(sent.gross)
    ledger.refunds += 1


def _review(problems: list[Problem]) -> Problem:
    """One review of all an order's problems: the first one's code, their messages."""
    messages = [
        problem.message if problem.message.endswith(".") else f"{problem.message}."
        for problem in problems[:MAX_REVIEW_PROBLEMS]
    ]
    if len(problems) > MAX_REVIEW_PROBLEMS:
        messages.append(f"And {len(problems) - MAX_REVIEW_PROBLEMS} more problems.")
    return Problem(problems[0].code, " ".join(messages))


def _review_order_row(order: OrderIn, ctx: _Context, problems: list[Problem]) -> tuple[Any, ...]:
    """The row of an order under review: what it references if the server knows it, the
    till's raw id if not; each figure if its column holds it exactly."""
    session = ctx.sessions.get(order.session_uuid)
    cashier_known = order.cashier_id in ctx.cashiers
    review = _review(problems)
    return (
        _uuid_field.get_db_prep_save(order.uuid, connection),
        order.receipt_number,
        session[0] if session else None,
        order.cashier_id if cashier_known else None,
        order.note,
        _fit(order.totals.net, Order, "total_net"),
        _fit(order.totals.tax, Order, "total_tax"),
        _fit(order.totals.gross, Order, "total_gross"),
        _fit(order.change, Order, "change"),
        connection.ops.adapt_datetimefield_value(order.created_at),
        *_refund_columns(order, ctx),
        None if session else _uuid_field.get_db_prep_save(order.session_uuid, connection),
        None if cashier_known else order.cashier_id,
        review.code,
        review.message,
        orjson.dumps(order.model_dump(mode="json")).decode(),
    )


def _fit(value: str, model: type[Model], name: str) -> str | None:
    """`value` if the model's decimal column holds it exactly, else None (the order's
    `received` keeps it). Every figure of an order that broke no rule fits."""
    field = model._meta.get_field(name)
    assert isinstance(field, DecimalField)
    try:
        scaled = to_scaled(value, field.decimal_places)
    except MoneyError:
        return None
    return value if abs(scaled) < 10**field.max_digits else None


def _line_name(line: LineIn, ctx: _Context) -> str:
    """The name the till printed, else the catalog's ("" for a product it does not know)."""
    return line.name if line.name is not None else ctx.products.get(line.product_id, "")


def _insert_review_children(
    cursor: Any,
    ctx: _Context,
    reviewed: list[_Checked],
    inserted: dict[uuid_module.UUID, int],
    results: list[SyncResult | None],
) -> None:
    """The lines and payments of the orders under review this request stored, each
    reference kept raw where the server does not know it."""
    method_ids = {p.method_id for _, order, _ in reviewed for p in order.payments}
    methods = set(
        PaymentMethod.objects.filter(pk__in=method_ids - set(ctx.methods)).values_list(
            "pk", flat=True
        )
    ) | set(ctx.methods)
    line_rows: list[tuple[Any, ...]] = []
    payment_rows: list[tuple[Any, ...]] = []
    for index, order, problems in reviewed:
        pk = inserted[order.uuid]
        results[index] = SyncResult(index, str(order.uuid), ACCEPTED, review=_review(problems))
        for position, line in enumerate(order.lines):
            product_known = line.product_id in ctx.products
            tax_known = line.tax_id in ctx.taxes
            approver_known = line.approved_by is None or line.approved_by in ctx.cashiers
            line_rows.append(
                (
                    pk,
                    position,
                    line.product_id if product_known else None,
                    _line_name(line, ctx),
                    _fit(line.quantity, OrderLine, "quantity"),
                    _fit(line.unit_price, OrderLine, "unit_price"),
                    _fit(line.discount, OrderLine, "discount"),
                    line.tax_id if tax_known else None,
                    _fit(line.tax_rate, OrderLine, "tax_rate"),
                    line.price_includes_tax,
                    _fit(line.net, OrderLine, "net"),
                    _fit(line.tax, OrderLine, "tax_amount"),
                    _fit(line.gross, OrderLine, "gross"),
                    line.price_overridden,
                    line.approved_by if approver_known else None,
                    _original_line_id(order, line, ctx),
                    line.reason,
                    line.voided,
                    None
                    if line.list_price is None
                    else _fit(line.list_price, OrderLine, "list_price"),
                    line.line_id or "",
                    None if product_known else line.product_id,
                    None if tax_known else line.tax_id,
                    None if approver_known else line.approved_by,
                )
            )
        for payment in order.payments:
            known = payment.method_id in methods
            payment_rows.append(
                (
                    pk,
                    payment.method_id if known else None,
                    _fit(payment.amount, Payment, "amount"),
                    None if known else payment.method_id,
                )
            )
    _insert_rows(
        cursor,
        f"{OrderLine._meta.db_table} ({_LINE_COLUMNS}{_LINE_REVIEW_COLUMNS})",
        line_rows,
    )
    _insert_rows(
        cursor,
        f"{Payment._meta.db_table} ({_PAYMENT_COLUMNS}{_PAYMENT_REVIEW_COLUMNS})",
        payment_rows,
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


def _sales_check(
    terminal: Terminal,
    entries: Sequence[AcceptedEntry],
    here: dict[uuid_module.UUID, tuple[OrderIn, _Context]],
) -> None:
    """Each SALE the journal accepted against the order it names: a SaleReview when they
    disagree or no such order of this terminal is stored. Nothing is refused or changed.

    An order this request stored is compared as the till sent it, from memory (the fast
    path: a till sends a SALE with its order); one stored before, from the database.
    """
    # A REFUND records its ticket as a SALE does (docs/journal.md), and is checked alike.
    sales = [entry for entry in entries if entry.type in ORDER_TYPES]
    if not sales:
        return
    named: list[tuple[AcceptedEntry, uuid_module.UUID | None]] = []
    for entry in sales:
        try:
            named.append((entry, uuid_module.UUID(entry.payload["order"])))
        except (KeyError, TypeError, ValueError, AttributeError):
            named.append((entry, None))
    earlier = _sold_stored(terminal, {u for _, u in named if u is not None and u not in here})
    now = timezone.now()
    reviews: list[SaleReview] = []
    for entry, order_uuid in named:
        sold = None
        if order_uuid in here:
            order, ctx = here[order_uuid]
            sold = _sold_sent(order, ctx)
        elif order_uuid is not None:
            sold = earlier.get(order_uuid)
        if sold is None:
            what = order_uuid or f"(payload.order is {entry.payload.get('order')!r})"
            code = OrderErrorCode.SALE_WITHOUT_ORDER
            message = (
                f"{entry.type} #{entry.seq} names order {what}, which this terminal never synced."
            )
        else:
            differences = sale_differences(entry.payload, sold)
            if not differences:
                continue
            code = OrderErrorCode.SALE_MISMATCH
            shown = differences[:MAX_REVIEW_PROBLEMS]
            more = len(differences) - len(shown)
            message = (
                f"{entry.type} #{entry.seq} does not match order {order_uuid} as stored: "
                + "; ".join(shown)
                + (f"; and {more} more differences." if more else ".")
            )
        reviews.append(
            SaleReview(
                terminal=terminal,
                seq=entry.seq,
                entry_hash=entry.hash,
                order_uuid=order_uuid,
                code=code,
                message=message,
                detected_at=now,
            )
        )
    if not reviews:
        return
    pks = dict(
        Order.objects.filter(
            terminal=terminal, uuid__in=[r.order_uuid for r in reviews if r.order_uuid]
        ).values_list("uuid", "pk")
    )
    for review in reviews:
        review.order_id = pks.get(review.order_uuid) if review.order_uuid else None
    SaleReview.objects.bulk_create(reviews, ignore_conflicts=True)


# How far back before an ORDER_ABANDONED its OVERRIDE is looked for: the till writes the
# OVERRIDE when the approval is given, just before the abandon.
_OVERRIDE_REACH = 50


def _abandoned_record(terminal: Terminal, entries: Sequence[AcceptedEntry]) -> None:
    """An AbandonedOrder for each ORDER_ABANDONED the journal accepted, flagged
    `unauthorised_change` unless the cashier's role (its revision in force at the
    entry's time) allowed ORDER_ABANDON or an approving OVERRIDE came before it."""
    abandons = [entry for entry in entries if entry.type == "ORDER_ABANDONED"]
    if not abandons:
        return
    overrides = [
        entry.payload for entry in entries if entry.type == "OVERRIDE"
    ] + _stored_overrides(terminal, min(e.seq for e in abandons) - _OVERRIDE_REACH)
    rows = []
    for entry in abandons:
        payload = entry.payload
        order = payload.get("order") if isinstance(payload.get("order"), str) else None
        cashier = entry.cashier or {}
        review = ""
        approval = next(
            (
                o
                for o in overrides
                if o.get("action") == Action.ORDER_ABANDON
                and isinstance(o.get("subject"), dict)
                and o["subject"].get("order") == order
            ),
            None,
        )
        if approval is not None:
            problem = _override_problem(approval)
            if problem:
                review = problem
        elif not _allowed_alone(cashier.get("id"), Action.ORDER_ABANDON, entry.at):
            review = "ORDER_ABANDON has no approval and the cashier's role does not allow it."
        try:
            order_uuid = uuid_module.UUID(order) if order else None
        except ValueError:
            order_uuid = None
        rows.append(
            AbandonedOrder(
                terminal=terminal,
                seq=entry.seq,
                uuid=order_uuid,
                cashier_id_at_till=cashier.get("id")
                if isinstance(cashier.get("id"), int)
                else None,
                cashier_name=str(cashier.get("name", ""))[:100],
                abandoned_at=entry.at,
                lines=payload.get("lines", []),
                total=str(payload.get("total", ""))[:40],
                approval=_uuid_or_none(approval.get("approval") if approval else None),
                approved_by_name=str((approval or {}).get("approved_by", {}).get("name", ""))[:100],
                review_code=OrderErrorCode.UNAUTHORISED_CHANGE if review else "",
                review_message=review,
            )
        )
    AbandonedOrder.objects.bulk_create(rows, ignore_conflicts=True)


def _uuid_or_none(value: Any) -> uuid_module.UUID | None:
    try:
        return uuid_module.UUID(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _stored_overrides(terminal: Terminal, from_seq: int) -> list[dict[str, Any]]:
    """The OVERRIDE payloads of this terminal's chain from `from_seq` on, from their bytes."""
    found = []
    for canonical in TerminalEntry.objects.filter(
        terminal_code=terminal.code, type="OVERRIDE", seq__gte=max(from_seq, 1)
    ).values_list("canonical", flat=True):
        payload = orjson.loads(bytes(canonical)).get("payload")
        if isinstance(payload, dict):
            found.append(payload)
    return found


def _override_problem(payload: dict[str, Any]) -> str | None:
    """Why an OVERRIDE does not approve its action, or None."""
    role = payload.get("approver_role")
    if not isinstance(role, dict) or not isinstance(role.get("revision"), int):
        return "the OVERRIDE names no approver role."
    rules = (
        RoleRevision.objects.filter(role__code=str(role.get("code")), revision=role["revision"])
        .values_list("rules", flat=True)
        .first()
    )
    if rules is None:
        return f"the approver's role {role.get('code')} revision {role.get('revision')} is unknown."
    if not may_approve(rules, str(payload.get("action"))):
        return f"the approver's role {role.get('code')} does not allow {payload.get('action')}."
    return None


def _allowed_alone(cashier_id: Any, action: str, at: Any) -> bool:
    """Whether the cashier's role, as its permissions stood at `at`, allowed `action`."""
    if not isinstance(cashier_id, int):
        return False
    role_id = Cashier.objects.filter(pk=cashier_id).values_list("role_id", flat=True).first()
    if role_id is None:
        return False
    revisions = RoleRevision.objects.filter(role_id=role_id).order_by("-revision")
    rules = (
        revisions.filter(created_at__lte=at).values_list("rules", flat=True).first()
        or revisions.values_list("rules", flat=True).last()
    )
    return rules is not None and decide(rules, action) == Decision.ALLOWED


def _sold_sent(order: OrderIn, ctx: _Context) -> Sold:
    """An order this request stored, as the till sent it and as the lines were named."""
    names = ctx.method_names
    if any(p.method_id not in names for p in order.payments):
        # A method not allowed on this terminal (the order is under review): by its name
        # if it exists at all.
        wanted = {p.method_id for p in order.payments} - names.keys()
        names = {
            **names,
            **dict(PaymentMethod.objects.filter(pk__in=wanted).values_list("pk", "name")),
        }
    return Sold(
        uuid=str(order.uuid),
        receipt_number=order.receipt_number,
        session=str(order.session_uuid),
        lines=tuple(
            SoldLine(
                _line_name(line, ctx),
                line.quantity,
                line.unit_price,
                line.discount,
                line.tax_rate,
                line.net,
                line.tax,
                line.gross,
            )
            for line in order.lines
            # A SALE lists what was sold; voided lines are the order's record only.
            if not line.voided
        ),
        totals=(order.totals.net, order.totals.tax, order.totals.gross),
        payments=tuple(SoldPayment(names.get(p.method_id), p.amount) for p in order.payments),
        change=order.change,
    )


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _sold_stored(terminal: Terminal, uuids: Collection[uuid_module.UUID]) -> dict[Any, Sold]:
    """Orders of this terminal stored before this request: an order under review as
    `received` keeps it, the others as their rows hold them."""
    if not uuids:
        return {}
    orders = list(Order.objects.filter(terminal=terminal, uuid__in=uuids).select_related("session"))
    ids = [order.pk for order in orders]
    lines: dict[int, list[SoldLine]] = {pk: [] for pk in ids}
    for row in OrderLine.objects.filter(order_id__in=ids, voided=False).order_by(
        "order_id", "position"
    ):
        lines[row.order_id].append(
            SoldLine(
                row.name,
                *map(
                    _text,
                    (
                        row.quantity,
                        row.unit_price,
                        row.discount,
                        row.tax_rate,
                        row.net,
                        row.tax_amount,
                        row.gross,
                    ),
                ),
            )
        )
    payments: dict[int, list[SoldPayment]] = {pk: [] for pk in ids}
    for order_id, method, amount in (
        Payment.objects.filter(order_id__in=ids)
        .order_by("order_id", "pk")
        .values_list("order_id", "method__name", "amount")
    ):
        payments[order_id].append(SoldPayment(method, _text(amount)))
    sold: dict[Any, Sold] = {}
    for order in orders:
        session = order.session.uuid if order.session else order.unknown_session_uuid
        stored = Sold(
            uuid=str(order.uuid),
            receipt_number=order.receipt_number,
            session=str(session),
            lines=tuple(lines[order.pk]),
            totals=(_text(order.total_net), _text(order.total_tax), _text(order.total_gross)),
            payments=tuple(payments[order.pk]),
            change=_text(order.change),
        )
        if order.received is not None:
            # Under review: a figure its column could not hold is only in `received`.
            sent = OrderIn.model_validate(order.received)
            stored = replace(
                stored,
                lines=tuple(
                    replace(
                        held,
                        quantity=line.quantity,
                        unit_price=line.unit_price,
                        discount=line.discount,
                        tax_rate=line.tax_rate,
                        net=line.net,
                        tax=line.tax,
                        gross=line.gross,
                    )
                    for held, line in zip(
                        stored.lines, [x for x in sent.lines if not x.voided], strict=True
                    )
                ),
                totals=(sent.totals.net, sent.totals.tax, sent.totals.gross),
                payments=tuple(
                    replace(held, amount=payment.amount)
                    for held, payment in zip(stored.payments, sent.payments, strict=True)
                ),
                change=sent.change,
            )
        sold[order.uuid] = stored
    return sold


def sale_reviews_acknowledge(*, review_ids: Collection[int], user: User) -> int:
    """Record that `user` looked at these SALE reviews, and when; a review acknowledged
    before keeps its first acknowledgement. Returns how many were acknowledged now."""
    with transaction.atomic():
        return SaleReview.objects.filter(pk__in=review_ids, acknowledged_at__isnull=True).update(
            acknowledged_by=user, acknowledged_at=timezone.now()
        )


def refund_flags_acknowledge(*, flag_ids: Collection[int], user: User) -> int:
    """Record that `user` looked at these refund flags; a flag acknowledged before keeps
    its first acknowledgement. Returns how many were acknowledged now."""
    with transaction.atomic():
        return RefundFlag.objects.filter(pk__in=flag_ids, acknowledged_at__isnull=True).update(
            acknowledged_by=user, acknowledged_at=timezone.now()
        )


def order_acknowledge(*, order_ids: Collection[int], user: User) -> int:
    """Record that `user` looked at these orders under review, and when. The orders are
    not changed. An order not under review, or acknowledged before, is left as it is;
    returns how many were acknowledged now."""
    with transaction.atomic():
        # Locked in primary-key order, so that two managers acknowledging the same
        # orders at once record each once and both count right.
        candidates = list(
            Order.objects.filter(pk__in=order_ids)
            .exclude(review_code="")
            .select_for_update()
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        done = set(
            OrderAcknowledgement.objects.filter(order_id__in=candidates).values_list(
                "order_id", flat=True
            )
        )
        now = timezone.now()
        fresh = [
            OrderAcknowledgement(order_id=pk, acknowledged_by=user, acknowledged_at=now)
            for pk in candidates
            if pk not in done
        ]
        OrderAcknowledgement.objects.bulk_create(fresh)
    return len(fresh)
