"""Order sync: a batch of orders in, one result per order out."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import orjson
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import Router
from pydantic import ValidationError

from kassa.server.common.errors import RequestError, RequestErrorCode
from kassa.server.common.types import Count, Cursor
from kassa.server.terminals.models import DeviceToken

from .errors import OrderError, OrderErrorCode
from .schemas import MAX_JOURNAL_ENTRIES, BatchIn, LookupOut, OrderIn, RecentOrdersOut, SyncOut
from .selectors import RECENT_DAYS, order_lookup, orders_recent
from .services import order_batch_sync

router = Router(tags=["orders"])

# Only BATCH_TOO_LARGE answers a request: an order under review or rejected is a result
# inside a 200, and the outbox codes are the back office's import. Each has a status all
# the same, so that no code can reach a client without one.
ERROR_STATUS: dict[OrderErrorCode, int] = {
    **dict.fromkeys(OrderErrorCode, 422),
    OrderErrorCode.BATCH_TOO_LARGE: 413,
    OrderErrorCode.MALFORMED_JSON: 400,
    OrderErrorCode.ORDER_NOT_FOUND: 404,
    OrderErrorCode.INVALID_LOOKUP: 400,
}

# The sync reads its body itself (parse_batch), so Ninja cannot document it: the project
# API adds these to its OpenAPI components.
_order_schema = OrderIn.model_json_schema(ref_template="#/components/schemas/{model}")
OPENAPI_SCHEMAS: dict[str, Any] = {**_order_schema.pop("$defs", {}), "OrderIn": _order_schema}


def parse_batch(body: bytes) -> tuple[list[Any], list[Any]]:
    """The orders and journal entries of a sync request: validated OrderIn objects when
    the whole batch is well-formed (pydantic reads the bytes directly, the fast path),
    else the raw items, for order_batch_sync to judge one by one. The wire entries are
    passed on as they came: the journal judges each."""
    try:
        batch = BatchIn.model_validate_json(body)
        orders: list[Any] = batch.orders
        journal: list[Any] = batch.journal
    except ValidationError:
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise RequestError(
                RequestErrorCode.MALFORMED_JSON, "The request body is not valid JSON."
            ) from None
        if (
            not isinstance(data, dict)
            or not isinstance(data.get("orders", []), list)
            or not isinstance(data.get("journal", []), list)
        ):
            raise RequestError(
                RequestErrorCode.INVALID_REQUEST,
                'The body must be an object {"orders": [...], "journal": [...]}.',
            ) from None
        orders, journal = data.get("orders", []), data.get("journal", [])
    limit = settings.KASSA_SYNC_MAX_BATCH
    if len(orders) > limit:
        raise OrderError(
            OrderErrorCode.BATCH_TOO_LARGE,
            f"A batch holds at most {limit} orders; this one has {len(orders)}.",
        )
    if len(journal) > MAX_JOURNAL_ENTRIES:
        raise OrderError(
            OrderErrorCode.BATCH_TOO_LARGE,
            f"A batch holds at most {MAX_JOURNAL_ENTRIES} journal entries; this one has "
            f"{len(journal)}.",
        )
    if not orders and not journal:
        raise RequestError(
            RequestErrorCode.INVALID_REQUEST,
            "A batch holds at least one order or one journal entry.",
        )
    return orders, journal


@router.post(
    "orders/sync",
    response=SyncOut,
    summary="Store a batch of orders, each exactly once",
    description=(
        "Idempotent by order UUID: an order already stored answers `duplicate`. Each "
        "order is checked on its own. A paid order that breaks a rule is stored all the "
        "same and answered `accepted` with `review` (code, message); only an order that "
        "breaks the schema is `rejected` (`invalid_order`). Journal entries sent with "
        "the orders are checked in the same transaction; `journal` answers the head."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "orders": {
                                "type": "array",
                                "items": {"$ref": "#/components/schemas/OrderIn"},
                            },
                            "journal": {
                                "type": "array",
                                "maxItems": MAX_JOURNAL_ENTRIES,
                                "description": "Wire entries of the terminal's journal "
                                "(docs/journal.md): {seq, canonical, hash, sig}",
                                "items": {"type": "object"},
                            },
                        },
                    }
                }
            },
        }
    },
)
def sync(request: HttpRequest) -> HttpResponse:
    token: DeviceToken = request.auth  # type: ignore[attr-defined]
    orders, journal = parse_batch(request.body)
    outcome = order_batch_sync(terminal=token.terminal, orders=orders, journal=journal)
    # Serialised here: SyncResult.as_dict is already SyncOut's shape, and Ninja's check of
    # the 50 results cost every batch about a millisecond. SyncOut documents the answer.
    body = orjson.dumps(
        {"results": [r.as_dict() for r in outcome.results], "journal": outcome.journal}
    )
    return HttpResponse(body, content_type="application/json")


@router.get(
    "orders/recent",
    response=RecentOrdersOut,
    summary="The store's recent orders, for the till's local index",
    description=(
        "Orders (sales, refunds, exchanges) of this terminal's store created in the last "
        "`days`, with their lines and payments, in the order the server stored them, "
        "after the cursor `after` (the `last` of the previous answer). A till keeps them "
        "so it can refund them offline (docs/refunds.md)."
    ),
)
def recent(
    request: HttpRequest, after: Cursor = 0, days: Count = RECENT_DAYS, limit: Count = 1000
) -> dict[str, Any]:
    token: DeviceToken = request.auth  # type: ignore[attr-defined]
    if not (1 <= days <= 366 and 1 <= limit <= 5000 and after >= 0):
        raise OrderError(
            OrderErrorCode.INVALID_LOOKUP, "days is 1 to 366, limit 1 to 5000, after 0 or more."
        )
    return orders_recent(terminal=token.terminal, after=after, days=days, limit=limit)


@router.get(
    "orders/lookup",
    response=LookupOut,
    summary="An order of the store to refund, with its refunds",
    description=(
        "By `uuid` (the code printed on its receipt) or `receipt` (its number): the "
        "order and every refund or exchange of it the server holds. 404 order_not_found."
    ),
)
def lookup(request: HttpRequest, uuid: str = "", receipt: str = "") -> dict[str, Any]:
    token: DeviceToken = request.auth  # type: ignore[attr-defined]
    wanted: UUID | None = None
    if uuid:
        try:
            wanted = UUID(uuid)
        except ValueError:
            raise OrderError(OrderErrorCode.INVALID_LOOKUP, f"{uuid!r} is not a uuid.") from None
    elif not receipt:
        raise OrderError(OrderErrorCode.INVALID_LOOKUP, "Give a uuid or a receipt number.")
    found = order_lookup(terminal=token.terminal, uuid=wanted, receipt=receipt or None)
    if found is None:
        raise OrderError(
            OrderErrorCode.ORDER_NOT_FOUND,
            f"No order {uuid or receipt} in this store. Search by receipt number, date or amount.",
        )
    return found
