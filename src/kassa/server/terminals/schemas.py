from __future__ import annotations

from datetime import datetime

from ninja import Schema
from pydantic import Field


class PairIn(Schema):
    code: str = Field(min_length=4, max_length=32, description="The code shown in the back office")
    label: str = Field(default="", max_length=200, description="e.g. the browser's user agent")


class PaymentMethodOut(Schema):
    id: int
    name: str
    is_cash: bool
    variance_amount: str | None = Field(
        description="This method's variance limit at close; null: the terminal's."
    )
    variance_percent: str | None = Field(
        description="This method's variance limit in % of expected; null: the terminal's."
    )


class ReasonOut(Schema):
    action: str
    code: str
    label: str
    restock: bool


class BarcodePatternOut(Schema):
    prefix: str
    kind: str
    itemDigits: int
    valueDigits: int
    decimals: int


class TerminalOut(Schema):
    id: int
    name: str
    code: str
    store_id: int = Field(description="The store the terminal belongs to.")
    store_name: str = Field(description="The store's, as are the address, tax ID and texts.")
    store_address: str
    store_tax_id: str
    receipt_header: str
    receipt_footer: str
    time_zone: str = Field(description="The store's IANA time zone, e.g. Europe/Amsterdam.")
    day_start: str = Field(description='When the store\'s business day turns, "HH:MM".')
    language: str = Field(description="The till's language: en or de.")
    proxy_url: str
    currency: str
    currency_places: int
    drawer_policy: str
    discount_limit: str
    receipt_prefix: str
    payment_methods: list[PaymentMethodOut]
    barcode_patterns: list[BarcodePatternOut]
    blind_close: bool = Field(description="At close, the expected amounts are not shown.")
    cash_move_slip: bool = Field(description="Cash moves open the drawer and print a slip.")
    variance_amount: str | None = Field(
        description="A difference at close above this needs a manager or a recount; null: none."
    )
    variance_percent: str | None = Field(
        description="The same, in % of the expected amount (2 decimals); null: no limit."
    )
    reasons: list[ReasonOut] = Field(description="The back office's reason lists, per action code.")
    refund_method_ids: list[int] = Field(
        description="The payment methods a refund may be paid out in (docs/refunds.md)."
    )
    recent_order_days: int = Field(
        description="Days of the store's orders the till keeps to refund them offline."
    )


class PairOut(Schema):
    token: str = Field(description="Send as `Authorization: Bearer <token>`; shown once.")
    terminal: TerminalOut


# What the status's PositiveIntegerField columns hold.
MAX_COUNT = 2**31 - 1


class TerminalStatusIn(Schema):
    synced: bool = Field(description="The till had just sent its whole outbox")
    pending: int = Field(ge=0, le=MAX_COUNT, description="Outbox entries still waiting to be sent")
    rejected: int = Field(
        default=0, ge=0, le=MAX_COUNT, description="Outbox entries the server refused"
    )
    printer: str = Field(default="unknown", max_length=16, description="good, warn, bad or unknown")
    printer_text: str = Field(default="", max_length=200, description="The status bar's words")
    receipts_owed: int = Field(
        default=0, ge=0, le=MAX_COUNT, description="Receipts not printed yet"
    )


class TerminalStatusOut(Schema):
    reported_at: datetime
