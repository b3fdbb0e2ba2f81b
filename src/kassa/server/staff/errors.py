"""Staff error codes."""

from __future__ import annotations

from enum import StrEnum

from kassa.server.common.errors import DomainError


class StaffErrorCode(StrEnum):
    PIN_INVALID = "pin_invalid"
    ROLE_INVALID = "role_invalid"
    PERMISSION_INVALID = "permission_invalid"


class StaffError(DomainError):
    code: StaffErrorCode

    def __init__(self, code: StaffErrorCode, message: str):
        super().__init__(code, message)
