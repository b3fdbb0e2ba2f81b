"""Cash sessions: open, the current one, close."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from django.http import HttpRequest
from ninja import Router, Status

from kassa.money import MoneyError, to_decimal
from kassa.server.terminals.models import DeviceToken

from .errors import CashError, CashErrorCode
from .models import CashSession
from .schemas import SessionCloseIn, SessionOpenIn, SessionOut
from .selectors import session_current
from .services import session_close, session_open

router = Router(tags=["cash sessions"])

ERROR_STATUS: dict[CashErrorCode, int] = {
    CashErrorCode.INVALID_AMOUNT: 422,
    CashErrorCode.NO_OPEN_SESSION: 404,
    CashErrorCode.SESSION_ALREADY_OPEN: 409,
    CashErrorCode.SESSION_OTHER_TERMINAL: 409,
    CashErrorCode.UNKNOWN_CASHIER: 422,
    CashErrorCode.UNKNOWN_SESSION: 404,
}


def _out(session: CashSession) -> SessionOut:
    def text(value: object) -> str | None:
        return None if value is None else str(value)

    return SessionOut(
        uuid=session.uuid,
        state=session.state,
        opened_by=session.opened_by_id,
        opened_at=session.opened_at,
        opening_float=str(session.opening_float),
        closed_by=session.closed_by_id,
        closed_at=session.closed_at,
        counted_cash=text(session.counted_cash),
        expected_cash=text(session.expected_cash),
        difference=text(session.difference),
    )


def _money(value: str, places: int, field: str) -> Decimal:
    try:
        return to_decimal(value, places=places, field=field)
    except MoneyError as exc:
        raise CashError(CashErrorCode.INVALID_AMOUNT, str(exc)) from None


@router.post("sessions", response={200: SessionOut, 201: SessionOut}, summary="Open a cash session")
def open_session(request: HttpRequest, body: SessionOpenIn) -> Status[SessionOut]:
    token: DeviceToken = request.auth  # type: ignore[attr-defined]
    terminal = token.terminal
    session, created = session_open(
        terminal=terminal,
        uuid=body.uuid,
        cashier_id=body.cashier_id,
        opened_at=body.opened_at,
        opening_float=_money(body.opening_float, terminal.currency_places, "opening_float"),
    )
    return Status(201 if created else 200, _out(session))


@router.get("sessions/current", response=SessionOut, summary="This terminal's open session")
def current_session(request: HttpRequest) -> SessionOut:
    token: DeviceToken = request.auth  # type: ignore[attr-defined]
    session = session_current(terminal=token.terminal)
    if session is None:
        raise CashError(CashErrorCode.NO_OPEN_SESSION, "This terminal has no open cash session.")
    return _out(session)


@router.post(
    "sessions/{uuid}/close",
    response=SessionOut,
    summary="Close a cash session with the counted cash; returns expected cash and difference",
)
def close_session(request: HttpRequest, uuid: UUID, body: SessionCloseIn) -> SessionOut:
    token: DeviceToken = request.auth  # type: ignore[attr-defined]
    terminal = token.terminal
    session = session_close(
        terminal=terminal,
        uuid=uuid,
        cashier_id=body.cashier_id,
        closed_at=body.closed_at,
        counted_cash=_money(body.counted_cash, terminal.currency_places, "counted_cash"),
    )
    return _out(session)
