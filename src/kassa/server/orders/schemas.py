"""Wire format of a synced order. Amounts are decimal strings, never JSON numbers."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field


def _decimal_string(value: Any) -> Any:
    if isinstance(value, str):
        if len(value) > 32:
            raise ValueError("decimal string too long")
        return value
    raise ValueError('must be a decimal string such as "10.00", not a JSON number')


DecimalStr = Annotated[Decimal, BeforeValidator(_decimal_string), Field(allow_inf_nan=False)]


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
    discount: DecimalStr = Decimal(0)
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
    change: DecimalStr = Decimal(0)
    totals: TotalsIn


class BatchIn(Strict):
    orders: list[OrderIn]
