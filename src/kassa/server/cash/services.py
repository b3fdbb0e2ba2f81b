"""Cash session writes: open and close, both idempotent by the terminal's session UUID."""

from __future__ import annotations

import uuid as uuid_module
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import DecimalField

from kassa.money import money_round
from kassa.server.staff.models import Cashier
from kassa.server.terminals.models import Terminal

from .errors import CashError, CashErrorCode
from .models import CashSession, SessionState
from .selectors import session_expected_cash


def _fits(value: Decimal, field: str) -> bool:
    column = CashSession._meta.get_field(field)
    assert isinstance(column, DecimalField)
    return abs(value) < Decimal(10) ** (column.max_digits - column.decimal_places)


def _cashier(cashier_id: int) -> Cashier:
    cashier = Cashier.objects.filter(pk=cashier_id).first()
    if cashier is None:
        raise CashError(CashErrorCode.UNKNOWN_CASHIER, f"Cashier {cashier_id} does not exist.")
    return cashier


def session_open(
    *,
    terminal: Terminal,
    uuid: uuid_module.UUID,
    cashier_id: int,
    opened_at: datetime,
    opening_float: Decimal,
) -> tuple[CashSession, bool]:
    """Open a session; returns (session, created). Opening the same UUID again is a no-op."""
    existing = CashSession.objects.filter(uuid=uuid).first()
    if existing is not None:
        if existing.terminal_id != terminal.pk:
            raise CashError(
                CashErrorCode.SESSION_OTHER_TERMINAL, "This session belongs to another terminal."
            )
        return existing, False
    if opening_float < 0:
        raise CashError(CashErrorCode.INVALID_AMOUNT, "The opening float cannot be negative.")
    cashier = _cashier(cashier_id)
    try:
        with transaction.atomic():
            session = CashSession.objects.create(
                uuid=uuid,
                terminal=terminal,
                opened_by=cashier,
                opened_at=opened_at,
                opening_float=money_round(opening_float, terminal.currency_places),
            )
    except IntegrityError:
        # A concurrent request stored the same UUID first, or another session is open.
        existing = CashSession.objects.filter(uuid=uuid).first()
        if existing is not None and existing.terminal_id == terminal.pk:
            return existing, False
        raise CashError(
            CashErrorCode.SESSION_ALREADY_OPEN,
            "This terminal already has an open cash session; close it first.",
        ) from None
    return session, True


@transaction.atomic
def session_close(
    *,
    terminal: Terminal,
    uuid: uuid_module.UUID,
    cashier_id: int,
    closed_at: datetime,
    counted_cash: Decimal,
) -> CashSession:
    """Close a session with the counted cash; closing it again returns it unchanged."""
    session = CashSession.objects.select_for_update().filter(uuid=uuid, terminal=terminal).first()
    if session is None:
        raise CashError(CashErrorCode.UNKNOWN_SESSION, f"Cash session {uuid} is not known.")
    if session.state == SessionState.CLOSED:
        return session
    if counted_cash < 0:
        raise CashError(CashErrorCode.INVALID_AMOUNT, "The counted cash cannot be negative.")
    session.closed_by = _cashier(cashier_id)
    session.closed_at = closed_at
    session.counted_cash = money_round(counted_cash, terminal.currency_places)
    expected = session_expected_cash(session)
    # Orders under review may carry amounts up to their own, wider columns: a sum beyond
    # this one's would be stored unreadable (SQLite) or fail the close (PostgreSQL), and
    # the till could never close. Unknown, then, and the orders under review say why.
    if _fits(expected, "expected_cash") and _fits(counted_cash - expected, "difference"):
        session.expected_cash = expected
        session.difference = session.counted_cash - expected
    else:
        session.expected_cash = session.difference = None
    session.state = SessionState.CLOSED
    session.save()
    return session
