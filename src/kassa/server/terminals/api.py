"""Pairing, and a paired terminal's configuration."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from .errors import TerminalErrorCode
from .models import DeviceToken
from .schemas import PairIn, PairOut, TerminalOut, TerminalStatusIn, TerminalStatusOut
from .selectors import terminal_config
from .services import terminal_pair, terminal_status_report

router = Router(tags=["terminal"])

ERROR_STATUS: dict[TerminalErrorCode, int] = {
    TerminalErrorCode.PAIRING_CODE_INVALID: 403,
    TerminalErrorCode.TERMINAL_INACTIVE: 403,
}


@router.post("pair", auth=None, response=PairOut, summary="Exchange a pairing code for a token")
def pair(request: HttpRequest, body: PairIn) -> PairOut:
    client = request.META.get("REMOTE_ADDR") or "unknown"
    token, secret = terminal_pair(code=body.code, label=body.label, client=client)
    return PairOut(token=secret, terminal=TerminalOut.model_validate(terminal_config(token)))


@router.get("terminal", response=TerminalOut, summary="This terminal's configuration")
def terminal(request: HttpRequest) -> TerminalOut:
    token: DeviceToken = request.auth  # type: ignore[attr-defined]
    return TerminalOut.model_validate(terminal_config(token))


@router.post(
    "terminal/status",
    response=TerminalStatusOut,
    summary="What the till says of itself after a sync round (the back office's dashboard)",
)
def terminal_status(request: HttpRequest, body: TerminalStatusIn) -> TerminalStatusOut:
    token: DeviceToken = request.auth  # type: ignore[attr-defined]
    status = terminal_status_report(terminal=token.terminal, **body.model_dump())
    return TerminalStatusOut(reported_at=status.reported_at)
