"""The API's errors: every failure is JSON `{"code": ..., "message": ...}`, never a 500 page."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kassa.money import DECIMAL_PATTERN


class ApiError(Exception):
    """A request the server refuses; raised by services, rendered by the API."""

    status = 400

    def __init__(self, code: str, message: str, *, status: int | None = None, details: Any = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details
        if status is not None:
            self.status = status

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return body


class NotFound(ApiError):
    status = 404


class Conflict(ApiError):
    status = 409


_NOT_A_STRING = 'must be a string; amounts are decimal strings such as "10.00", not JSON numbers'
_DECIMAL = 'must be a decimal string such as "10.00" or "-1.5": digits, an optional "-" and "."'


def validation_details(
    errors: Iterable[Mapping[str, Any]], *, root: str = "body"
) -> list[dict[str, str]]:
    """Pydantic's errors as `{field, message}`, in words a terminal's developer can act on.

    `root` names the whole value validated, for an error about it rather than a field.
    """
    details = []
    for error in errors:
        field = ".".join(str(part) for part in error.get("loc", ())) or root
        kind = error.get("type")
        pattern = (error.get("ctx") or {}).get("pattern")
        if kind == "string_pattern_mismatch" and pattern == DECIMAL_PATTERN:
            message = _DECIMAL
        elif kind == "string_type":  # Ninja drops the input: say what a number should be
            message = _NOT_A_STRING
        else:
            message = str(error.get("msg", ""))
        details.append({"field": field, "message": message})
    return details


def validation_message(details: list[dict[str, str]]) -> str:
    return "; ".join(f"{d['field']}: {d['message']}" for d in details[:5])
