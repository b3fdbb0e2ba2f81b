"""Cash session error codes."""

from __future__ import annotations

from enum import StrEnum

from kassa.server.common.errors import DomainError


class CashErrorCode(StrEnum):
    INVALID_AMOUNT = "invalid_amount"
    NO_OPEN_SESSION = "no_open_session"
    SESSION_ALREADY_OPEN = "session_already_open"
    SESSION_OTHER_TERMINAL = "session_other_terminal"
    UNKNOWN_CASHIER = "unknown_cashier"
    UNKNOWN_SESSION = "unknown_session"


class CashError(DomainError):
    code: CashErrorCode

    def __init__(self, code: CashErrorCode, message: str):
        super().__init__(code, message)
