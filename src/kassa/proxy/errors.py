"""Every exception the proxy raises on purpose, in one place.

Each carries a stable `code` and an HTTP status, so the API turns it into
`{"error": {"code": ..., "message": ...}}` (with `details` when the error has them)
without a handler per class; `error_body` builds that body for the API and for the guard
middleware alike.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    """The JSON body of every error answer: `{"error": {"code": ..., "message": ...}}`."""
    return {"error": {"code": code, "message": message, **extra}}


async def send_error(
    send: Callable[[MutableMapping[str, Any]], Awaitable[None]],
    status: int,
    code: str,
    message: str,
    headers: Iterable[tuple[bytes, bytes]] = (),
) -> None:
    """An error answered straight on ASGI (the guard and the forwarder, which sit in front
    of FastAPI), with `error_body`'s JSON and `headers` after the content's own."""
    body = json.dumps(error_body(code, message)).encode()
    head = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *headers,
    ]
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": body})


class ProxyError(Exception):
    """Base of the proxy's own errors."""

    code = "proxy_error"
    status = 400

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        details: list[dict[str, str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        if code is not None:
            self.code = code


class ConfigError(ProxyError):
    """The configuration file, an environment override or a device URL is wrong."""

    code = "config_error"


class NotFound(ProxyError):
    code = "not_found"
    status = 404


class Unauthorized(ProxyError):
    code = "unauthorized"
    status = 401


class Forbidden(ProxyError):
    code = "forbidden"
    status = 403


class DeviceError(ProxyError):
    """A device is missing, unreachable or refused the operation."""

    code = "device_error"
    status = 503


class DeviceNotConfigured(DeviceError):
    code = "not_configured"


class DeviceOffline(DeviceError):
    """The device could not be opened or reached: nothing was sent."""

    code = "offline"


class DeviceWriteError(DeviceError):
    """The device failed while data was being sent: part of it may have arrived."""

    code = "write_interrupted"


class StateDirLocked(ProxyError):
    """Another proxy holds the state directory (its print queue would run twice)."""

    code = "proxy_running"
    status = 409


class InvalidJournalEntry(ProxyError):
    """A journal entry the mirror will not keep: its form, seq or hash is wrong."""

    code = "invalid_journal_entry"
    status = 422


class JournalChainBroken(InvalidJournalEntry):
    """An entry whose prev_hash does not continue the entry before it (or the genesis hash)."""

    code = "journal_chain_broken"


class JournalFork(ProxyError):
    """Another entry at a seq the mirror already holds: the till's chain forked."""

    code = "journal_fork"
    status = 409
