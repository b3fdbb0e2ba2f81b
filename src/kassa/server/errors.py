"""The API's errors: every failure is JSON `{"code": ..., "message": ...}`, never a 500 page."""

from __future__ import annotations

from typing import Any


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
