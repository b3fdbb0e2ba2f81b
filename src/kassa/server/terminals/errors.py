"""Terminal pairing error codes."""

from __future__ import annotations

from enum import StrEnum

from kassa.server.common.errors import DomainError


class TerminalErrorCode(StrEnum):
    PAIRING_CODE_INVALID = "pairing_code_invalid"
    TERMINAL_INACTIVE = "terminal_inactive"


class TerminalError(DomainError):
    code: TerminalErrorCode

    def __init__(self, code: TerminalErrorCode, message: str):
        super().__init__(code, message)
