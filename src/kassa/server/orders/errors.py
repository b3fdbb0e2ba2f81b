"""Order error codes: why an order of a sync is under review or rejected, why a batch or
an exported outbox is refused.

Neither is an error answer: the sync answers 200 with an order's review (code and
message) or its rejection among the results (docs/api.md). The codes are the clients'
contract; never rename one.
"""

from __future__ import annotations

from enum import StrEnum

from kassa.server.common.errors import DomainError


class OrderErrorCode(StrEnum):
    # One order of a sync, rejected (inside a 200 answer): it is not an order.
    INVALID_ORDER = "invalid_order"
    # One order of a sync, stored under review (inside a 200 answer): a rule it breaks.
    UNKNOWN_CASHIER = "unknown_cashier"
    UNKNOWN_SESSION = "unknown_session"
    SESSION_CLOSED = "session_closed"
    UNKNOWN_PRODUCT = "unknown_product"
    UNKNOWN_TAX = "unknown_tax"
    INVALID_NUMBER = "invalid_number"
    ABSURD_QUANTITY = "absurd_quantity"
    INVALID_DISCOUNT = "invalid_discount"
    INVALID_TAX_RATE = "invalid_tax_rate"
    INVALID_PRICE = "invalid_price"
    INVALID_AMOUNT = "invalid_amount"
    ABSURD_AMOUNT = "absurd_amount"
    APPROVAL_INVALID = "approval_invalid"
    UNAUTHORISED_CHANGE = "unauthorised_change"
    LINE_TOTAL_MISMATCH = "line_total_mismatch"
    TOTAL_MISMATCH = "total_mismatch"
    UNKNOWN_PAYMENT_METHOD = "unknown_payment_method"
    INVALID_PAYMENT = "invalid_payment"
    CHANGE_INVALID = "change_invalid"
    PAYMENT_MISMATCH = "payment_mismatch"
    RECEIPT_NUMBER_TAKEN = "receipt_number_taken"
    # A SALE of the terminal's journal, accepted into its chain, against its order.
    SALE_MISMATCH = "sale_mismatch"
    SALE_WITHOUT_ORDER = "sale_without_order"
    # A lookup of an order to refund (GET orders/lookup).
    ORDER_NOT_FOUND = "order_not_found"
    INVALID_LOOKUP = "invalid_lookup"
    # A whole batch, refused.
    BATCH_TOO_LARGE = "batch_too_large"
    # An exported outbox file, refused as a whole or entry by entry.
    MALFORMED_JSON = "malformed_json"
    INVALID_FILE = "invalid_file"
    UNKNOWN_TERMINAL = "unknown_terminal"
    INVALID_ENTRY = "invalid_entry"


class OrderError(DomainError):
    code: OrderErrorCode

    def __init__(self, code: OrderErrorCode, message: str):
        super().__init__(code, message)
