"""Wire format of a synced order. Amounts are decimal strings, never JSON numbers."""

from __future__ import annotations

from uuid import UUID

from ninja import Schema
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from kassa.server.common.types import DecimalStr

# Ids are the database's 64-bit keys: a larger number names nothing that can be stored,
# not even as an unknown reference.
MAX_ID = 2**63 - 1
# Text without U+0000, which PostgreSQL cannot store: one such character would fail the
# whole batch, again on every retry.
NO_NUL = r"^[^\x00]*$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TotalsIn(Strict):
    net: DecimalStr
    tax: DecimalStr
    gross: DecimalStr


class LineIn(Strict):
    product_id: int = Field(gt=0, le=MAX_ID)
    quantity: DecimalStr
    unit_price: DecimalStr
    discount: DecimalStr = "0"
    tax_id: int = Field(gt=0, le=MAX_ID)
    tax_rate: DecimalStr
    price_includes_tax: bool
    net: DecimalStr
    tax: DecimalStr
    gross: DecimalStr
    price_overridden: bool = False
    approved_by: int | None = Field(default=None, gt=0, le=MAX_ID)


class PaymentIn(Strict):
    method_id: int = Field(gt=0, le=MAX_ID)
    amount: DecimalStr


class OrderIn(Strict):
    uuid: UUID
    receipt_number: str = Field(min_length=1, max_length=40, pattern=NO_NUL)
    session_uuid: UUID
    cashier_id: int = Field(gt=0, le=MAX_ID)
    created_at: AwareDatetime
    note: str = Field(default="", max_length=500, pattern=NO_NUL)
    lines: list[LineIn] = Field(min_length=1, max_length=500)
    payments: list[PaymentIn] = Field(default_factory=list, max_length=20)
    change: DecimalStr = "0"
    totals: TotalsIn


class BatchIn(Strict):
    orders: list[OrderIn]


class ReviewOut(Schema):
    code: str = Field(description="The first rule the order breaks (docs/api.md)")
    message: str = Field(description="Every rule it breaks, in words")


class SyncResultOut(Schema):
    index: int = Field(description="Position of the order in the batch")
    uuid: str | None
    status: str = Field(
        description="accepted (stored now), duplicate (stored before) or rejected (not an "
        "order: it breaks the schema)"
    )
    code: str | None = Field(default=None, description="Why it was rejected: invalid_order")
    message: str | None = None
    review: ReviewOut | None = Field(
        default=None,
        description="Accepted, but it breaks a rule: stored under review for a manager",
    )


class SyncOut(Schema):
    results: list[SyncResultOut]
