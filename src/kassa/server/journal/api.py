"""A till's journal key, and where its chain stands on the server.

The entries themselves travel with the orders (POST /orders/sync, docs/journal.md).
"""

from __future__ import annotations

import base64
import binascii
from typing import Protocol

from django.http import HttpRequest
from ninja import Router

from .errors import JournalError, JournalErrorCode
from .schemas import HeadOut, KeyIn, KeyOut
from .selectors import Head, journal_head
from .services import journal_key_register

router = Router(tags=["journal"])

ERROR_STATUS: dict[JournalErrorCode, int] = {
    JournalErrorCode.INVALID_KEY: 422,
    JournalErrorCode.KEY_ALREADY_REGISTERED: 409,
    JournalErrorCode.KEY_OTHER_TERMINAL: 409,
}


class _Terminal(Protocol):
    code: str


class _Device(Protocol):
    """The device token the API authenticated (terminals.DeviceToken, which this app,
    below terminals, does not import)."""

    pk: int
    terminal: _Terminal


def _device(request: HttpRequest) -> _Device:
    return request.auth  # type: ignore[attr-defined, no-any-return]


@router.post("journal/key", response=KeyOut, summary="Register this till's journal key")
def key(request: HttpRequest, body: KeyIn) -> KeyOut:
    device = _device(request)
    try:
        spki = base64.b64decode(body.public_key, validate=True)
    except (binascii.Error, ValueError):
        raise JournalError(
            JournalErrorCode.INVALID_KEY, "public_key is not base64 (SPKI DER, base64)."
        ) from None
    key_id, _ = journal_key_register(
        terminal_code=device.terminal.code, token_id=device.pk, public_key_spki=spki
    )
    # The head as it stands once the key is in, with its grand totals: a till that was
    # wiped continues its chain (and its sums) from here.
    return KeyOut(key=key_id, head=_head_out(journal_head(terminal_code=device.terminal.code)))


@router.get("journal/head", response=HeadOut, summary="The last entry the server accepted")
def head(request: HttpRequest) -> HeadOut:
    return _head_out(journal_head(terminal_code=_device(request).terminal.code))


def _head_out(found: Head) -> HeadOut:
    return HeadOut(
        seq=found.seq,
        hash=found.hash,
        gt_after=found.gt_after,
        gt_abs_after=found.gt_abs_after,
    )
