"""Wire format of a synced order. Amounts are decimal strings, never JSON numbers."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from kassa.money import DECIMAL_PATTERN

# Checked by pydantic-core's own pattern matcher, not by Python code per value: a batch
# of 50 orders holds 2,000 of them. The services turn them into scaled integers
# (kassa.money.to_scaled) and check the places each field allows.
DecimalStr = Annotated[
    str,
    StringConstraints(max_length=32, pattern=DECIMAL_PATTERN),
    Field(description='A decimal string such as "10.00" or "-1.5", never a JSON number'),
]


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
