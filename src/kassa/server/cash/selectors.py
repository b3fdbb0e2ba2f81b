"""Cash session reads."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Q, Sum

from kassa.money import money_round
from kassa.server.terminals.models import Terminal

from .models import CashSession, SessionState


def session_current(*, terminal: Terminal) -> CashSession | None:
    """The terminal's open session, if any (at most one: a database constraint)."""
    return CashSession.objects.filter(terminal=terminal, state=SessionState.OPEN).first()


def session_expected_cash(session: CashSession) -> Decimal:
    """Opening float + cash taken − change given, from the orders stored so far.

    Read through the reverse side of the orders' foreign key to their session, so this
    app never imports the orders app, which sits above it.
    """
    cash_in = CashSession.objects.filter(pk=session.pk).aggregate(
        total=Sum("orders__payments__amount", filter=Q(orders__payments__method__is_cash=True))
    )["total"] or Decimal(0)
    change = session.orders.aggregate(total=Sum("change"))["total"] or Decimal(0)
    return money_round(session.opening_float + cash_in - change, session.terminal.currency_places)
