"""Wire format of a synced order. Amounts are decimal strings, never JSON numbers."""

from __future__ import annotations

from uuid import UUID

from ninja import Schema
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from kassa.server.common.types import DecimalStr


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TotalsIn(Strict):
    net: DecimalStr
    tax: DecimalStr
    gross: DecimalStr


class LineIn(Strict):
    product_id: int = Field(gt=0)
    quantity: DecimalStr
    unit_price: DecimalStr
    discount: DecimalStr = "0"
    tax_id: int = Field(gt=0)
    tax_rate: DecimalStr
    price_includes_tax: bool
    net: DecimalStr
    tax: DecimalStr
    gross: DecimalStr
    price_overridden: bool = False
    approved_by: int | None = None


class PaymentIn(Strict):
    method_id: int = Field(gt=0)
    amount: DecimalStr


class OrderIn(Strict):
    uuid: UUID
    receipt_number: str = Field(min_length=1, max_length=40)
    session_uuid: UUID
    cashier_id: int = Field(gt=0)
    created_at: AwareDatetime
    note: str = Field(default="", max_length=500)
    lines: list[LineIn] = Field(min_length=1, max_length=500)
    payments: list[PaymentIn] = Field(default_factory=list, max_length=20)
    change: DecimalStr = "0"
    totals: TotalsIn


class BatchIn(Strict):
    orders: list[OrderIn]


class SyncResultOut(Schema):
    index: int = Field(description="Position of the order in the batch")
    uuid: str | None
    status: str = Field(description="accepted, duplicate (already stored) or rejected")
    code: str | None = Field(default=None, description="Why it was rejected")
    message: str | None = None


class SyncOut(Schema):
    results: list[SyncResultOut]
