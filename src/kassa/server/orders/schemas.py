"""Wire format of a synced order. Amounts are decimal strings, never JSON numbers."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from ninja import Schema
from pydantic import BaseModel, ConfigDict, Field

# Ids are the database's 64-bit keys (common.types.Id): a larger number names nothing
# that can be stored, not even as an unknown reference.
from kassa.server.common.types import DecimalStr, Id, Timestamp

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
    product_id: Id
    # The name the till printed; without it the line takes the catalog's name.
    name: str | None = Field(default=None, max_length=200, pattern=NO_NUL)
    quantity: DecimalStr
    unit_price: DecimalStr
    discount: DecimalStr = "0"
    tax_id: Id
    tax_rate: DecimalStr
    price_includes_tax: bool
    net: DecimalStr
    tax: DecimalStr
    gross: DecimalStr
    price_overridden: bool = False
    approved_by: Id | None = None
    # A returned line (docs/refunds.md): the original line's position in the order named
    # by the order's original_uuid, and the reason code.
    original_line: int | None = Field(default=None, ge=0, le=499)
    reason: str = Field(default="", max_length=40, pattern=NO_NUL)
    # The line's id in the till's order (approvals name it), the catalog price when it
    # was added, and whether it was taken away after it was shown (docs/permissions.md).
    line_id: str | None = Field(default=None, max_length=20, pattern=NO_NUL)
    list_price: DecimalStr | None = None
    voided: bool = False


class PaymentIn(Strict):
    method_id: Id
    amount: DecimalStr


class RoleRefIn(Strict):
    code: str = Field(max_length=32, pattern=NO_NUL)
    revision: int = Field(ge=0, le=2**31 - 1)


class SubjectIn(Strict):
    kind: str = Field(max_length=16, pattern=NO_NUL)
    order: str | None = Field(default=None, max_length=64, pattern=NO_NUL)
    line: str | None = Field(default=None, max_length=20, pattern=NO_NUL)
    session: str | None = Field(default=None, max_length=64, pattern=NO_NUL)


class ApprovalIn(Strict):
    """An approval a restricted change of the order used (docs/permissions.md)."""

    id: UUID
    action: str = Field(max_length=32, pattern=NO_NUL)
    subject: SubjectIn
    asked_by: Id
    approved_by: Id
    approver_role: RoleRefIn
    reason: str | None = Field(default=None, max_length=32, pattern=NO_NUL)
    note: str = Field(default="", max_length=500, pattern=NO_NUL)
    before: str | None = Field(default=None, max_length=40, pattern=NO_NUL)
    after: str | None = Field(default=None, max_length=40, pattern=NO_NUL)


class OrderIn(Strict):
    uuid: UUID
    kind: Literal["sale", "refund", "exchange"] = "sale"
    # The order a refund or exchange returns goods of; None for a sale or a blind return.
    original_uuid: UUID | None = None
    receipt_number: str = Field(min_length=1, max_length=40, pattern=NO_NUL)
    session_uuid: UUID
    cashier_id: Id
    created_at: Timestamp
    note: str = Field(default="", max_length=500, pattern=NO_NUL)
    lines: list[LineIn] = Field(min_length=1, max_length=500)
    payments: list[PaymentIn] = Field(default_factory=list, max_length=20)
    change: DecimalStr = "0"
    totals: TotalsIn
    # The role the till judged the cashier's changes by, and the approvals they used.
    cashier_role: RoleRefIn | None = None
    approvals: list[ApprovalIn] = Field(default_factory=list, max_length=500)


MAX_JOURNAL_ENTRIES = 500


class BatchIn(Strict):
    orders: list[OrderIn] = Field(default_factory=list)
    # Wire entries as the till sent them: the journal judges each one (a bad entry is
    # quarantined there, never a reason to refuse the orders beside it).
    journal: list[Any] = Field(default_factory=list)


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


class RangeOut(Schema):
    from_: int = Field(alias="from")
    to: int


class HeadOut(Schema):
    seq: int
    hash: str


class JournalOut(Schema):
    status: str = Field(description="ok, gap (send `missing`) or quarantined")
    head: HeadOut = Field(description="The last entry of this terminal the server accepted")
    missing: RangeOut | None = Field(description="With gap: the entries to send again")


class SyncOut(Schema):
    results: list[SyncResultOut]
    journal: JournalOut | None = Field(
        description="The terminal's journal after this request's entries; null when it sent none"
    )


class RecentLineOut(Schema):
    position: int
    product_id: int | None
    name: str
    quantity: str
    unit_price: str
    discount: str
    tax_id: int | None
    tax_rate: str
    price_includes_tax: bool
    net: str
    tax: str
    gross: str
    original_line: int | None = Field(description="A returned line's original line (position)")
    reason: str


class RecentPaymentOut(Schema):
    method_id: int | None
    amount: str


class RecentOrderOut(Schema):
    uuid: str
    receipt_number: str
    terminal: str = Field(description="The code of the terminal that sold it")
    created_at: str
    kind: str = Field(description="sale, refund or exchange")
    original: str | None = Field(description="The original's uuid (refunds, exchanges)")
    gross: str
    lines: list[RecentLineOut]
    payments: list[RecentPaymentOut]


class RecentOrdersOut(Schema):
    orders: list[RecentOrderOut]
    last: int = Field(description="The cursor to ask from next time (`after`)")
    more: bool = Field(description="More orders than one page: ask again from `last`")


class LookupOut(Schema):
    order: RecentOrderOut
    refunds: list[RecentOrderOut] = Field(
        description="Every refund and exchange of the order the server holds"
    )
