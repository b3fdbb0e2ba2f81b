"""The domain error every service raises, and pydantic's errors in words people read.

A service refuses with `SomeError(SomeErrorCode.X, "sentence")`, where the code comes
from its app's enum (`<app>/errors.py`). It knows nothing of HTTP: only the API layer
(`kassa.server.api` with each app's `api.ERROR_STATUS`) turns a code into a status,
and the back office shows the message.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

from kassa.server.common.types import PATTERN_MESSAGES


class DomainError(Exception):
    """A request a service refuses: a machine code from an app's enum and a sentence."""

    def __init__(self, code: StrEnum, message: str, *, details: list[dict[str, str]] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


class RequestErrorCode(StrEnum):
    """Refusals of a request as a whole, before any app's service runs."""

    MALFORMED_JSON = "malformed_json"
    BAD_REQUEST = "bad_request"  # refused before any JSON was read (Django, gunicorn)
    DISALLOWED_HOST = "disallowed_host"  # the Host header is not in KASSA_ALLOWED_HOSTS
    INVALID_REQUEST = "invalid_request"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    REQUEST_TOO_LARGE = "request_too_large"
    URI_TOO_LONG = "uri_too_long"
    HEADERS_TOO_LARGE = "headers_too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    TOO_MANY_REQUESTS = "too_many_requests"  # a throttle: see Throttled, Retry-After
    ERROR = "error"  # a refusal with a status none of the above describes
    INTERNAL_ERROR = "internal_error"


class RequestError(DomainError):
    code: RequestErrorCode

    def __init__(
        self,
        code: RequestErrorCode,
        message: str,
        *,
        details: list[dict[str, str]] | None = None,
    ):
        super().__init__(code, message, details=details)


class Throttled(RequestError):
    """Too many attempts (pairing codes, PINs): answered 429 with `Retry-After`."""

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(RequestErrorCode.TOO_MANY_REQUESTS, message)
        self.retry_after = max(1, retry_after)


_NOT_A_STRING = 'must be a string; amounts are decimal strings such as "10.00", not JSON numbers'


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
        if kind == "string_pattern_mismatch" and pattern in PATTERN_MESSAGES:
            message = PATTERN_MESSAGES[pattern]
        elif kind == "string_type":  # Ninja drops the input: say what a number should be
            message = _NOT_A_STRING
        else:
            message = str(error.get("msg", ""))
        details.append({"field": field, "message": message})
    return details


def validation_message(details: list[dict[str, str]]) -> str:
    return "; ".join(f"{d['field']}: {d['message']}" for d in details[:5])
