from __future__ import annotations

from typing import Any

import orjson
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema
from pydantic import Field, ValidationError

from kassa.server.api import api
from kassa.server.errors import ApiError
from kassa.server.terminals.models import DeviceToken

from .schemas import BatchIn, OrderIn
from .services import order_sync

router = Router(tags=["orders"])


class SyncResultOut(Schema):
    index: int = Field(description="Position of the order in the batch")
    uuid: str | None
    status: str = Field(description="accepted, duplicate (already stored) or rejected")
    code: str | None = Field(default=None, description="Why it was rejected")
    message: str | None = None


class SyncOut(Schema):
    results: list[SyncResultOut]


_order_schema = OrderIn.model_json_schema(ref_template="#/components/schemas/{model}")
api.extra_schemas.update(_order_schema.pop("$defs", {}))
api.extra_schemas["OrderIn"] = _order_schema


def parse_batch(body: bytes) -> list[Any]:
    """The orders of a sync request: validated OrderIn objects when the whole batch is
    well-formed (pydantic reads the bytes directly, the fast path), else the raw items,
    for order_sync to judge one by one."""
    try:
        orders: list[Any] = BatchIn.model_validate_json(body).orders
    except ValidationError:
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise ApiError("malformed_json", "The request body is not valid JSON.") from None
        if not isinstance(data, dict) or not isinstance(data.get("orders"), list):
            raise ApiError(
                "invalid_request", 'The body must be an object {"orders": [...]}.', status=422
            ) from None
        orders = data["orders"]
    limit = settings.KASSA_SYNC_MAX_BATCH
    if len(orders) > limit:
        raise ApiError(
            "batch_too_large",
            f"A batch holds at most {limit} orders; this one has {len(orders)}.",
            status=413,
        )
    return orders


@router.post(
    "orders/sync",
    response=SyncOut,
    summary="Store a batch of orders, each exactly once",
    description=(
        "Idempotent by order UUID: an order already stored answers `duplicate`. Each "
        "order is checked on its own; a rejected one does not block the others."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["orders"],
                        "properties": {
                            "orders": {
                                "type": "array",
                                "items": {"$ref": "#/components/schemas/OrderIn"},
                            }
                        },
                    }
                }
            },
        }
    },
)
def sync(request: HttpRequest) -> HttpResponse:
    token: DeviceToken = request.auth  # type: ignore[attr-defined]
    orders = parse_batch(request.body)
    results = order_sync(terminal=token.terminal, items=orders)
    # Serialised here: SyncResult.as_dict is already SyncOut's shape, and Ninja's check of
    # the 50 results cost every batch about a millisecond. SyncOut documents the answer.
    body = orjson.dumps({"results": [r.as_dict() for r in results]})
    return HttpResponse(body, content_type="application/json")
