"""Cash session reads."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import orjson
from django.db.models import Q, Sum

from kassa.money import money_round
from kassa.server.journal.models import TerminalEntry
from kassa.server.terminals.models import Terminal

from .models import CashMove, CashMoveKind, CashSession, SessionState, ZReport


def session_current(*, terminal: Terminal) -> CashSession | None:
    """The terminal's open session, if any (at most one: a database constraint)."""
    return CashSession.objects.filter(terminal=terminal, state=SessionState.OPEN).first()


def session_expected_cash(session: CashSession) -> Decimal:
    """Opening float + cash taken − change given + cash in − cash out and drops, from the
    orders and cash moves stored so far.

    Read through the reverse side of the orders' foreign key to their session, so this
    app never imports the orders app, which sits above it.
    """
    cash_in = CashSession.objects.filter(pk=session.pk).aggregate(
        total=Sum("orders__payments__amount", filter=Q(orders__payments__method__is_cash=True))
    )["total"] or Decimal(0)
    change = session.orders.aggregate(total=Sum("change"))["total"] or Decimal(0)
    moves = CashMove.objects.filter(session=session).aggregate(
        added=Sum("amount", filter=Q(kind=CashMoveKind.IN)),
        taken=Sum("amount", filter=~Q(kind=CashMoveKind.IN)),
    )
    moved = (moves["added"] or Decimal(0)) - (moves["taken"] or Decimal(0))
    return money_round(
        session.opening_float + cash_in - change + moved, session.terminal.currency_places
    )


# --- the journal entries of a session (docs/z-report.md) ------------------------------


# The types a Z reads (docs/z-report.md, "Entries the Z reads"), and those that end it.
Z_READS = (
    "SESSION_OPEN",
    "SALE",
    "REFUND",
    "LINE_VOID",
    "ORDER_ABANDONED",
    "OVERRIDE",
    "DRAWER_OPEN",
    "CASH_MOVE",
    "CASH_COUNT",
    "PERIOD_CLOSE",
    "Z_CLOSE",
)


def _parsed(rows: Iterable[tuple[int, bytes | memoryview]]) -> list[dict[str, Any]]:
    """Stored entries as the objects their canonical bytes hold (checked on ingest)."""
    return [orjson.loads(bytes(canonical)) for _, canonical in rows]


def journal_entries(*, terminal_code: str, first: int, last: int) -> list[dict[str, Any]]:
    """A till's stored entries from seq `first` to `last`, both included, parsed; the
    types a Z skips (LOGIN, X_REPORT, …) are not read at all."""
    rows = (
        TerminalEntry.objects.filter(terminal_code=terminal_code, seq__gte=first, seq__lte=last)
        .filter(type__in=Z_READS)
        .order_by("seq")
        .values_list("seq", "canonical")
    )
    return _parsed(rows.iterator(chunk_size=2000))


def session_open_seq(*, terminal_code: str, session_uuid: str, before: int) -> int | None:
    """The seq of the SESSION_OPEN of this session, the last one before seq `before`."""
    rows = (
        TerminalEntry.objects.filter(
            terminal_code=terminal_code, type="SESSION_OPEN", seq__lt=before
        )
        .order_by("-seq")
        .values_list("seq", "canonical")
    )
    for seq, canonical in rows.iterator(chunk_size=50):
        payload = orjson.loads(bytes(canonical)).get("payload") or {}
        if payload.get("session") == session_uuid:
            return int(seq)
    return None


def grand_totals_before(*, terminal_code: str, seq: int, places: int) -> dict[str, Any]:
    """The chain's perpetual grand totals just before `seq` (docs/z-report.md, `before`):
    the last SALE's or REFUND's `gt_after` and `gt_abs_after`, "0.00" before any."""
    row = (
        TerminalEntry.objects.filter(
            terminal_code=terminal_code, seq__lt=seq, type__in=["SALE", "REFUND"]
        )
        .order_by("-seq")
        .values_list("canonical", flat=True)
        .first()
    )
    if row is None:
        zero = f"{Decimal(0):.{places}f}"
        return {"gt_after": zero, "gt_abs_after": zero}
    payload = orjson.loads(bytes(row)).get("payload") or {}
    return {"gt_after": payload.get("gt_after"), "gt_abs_after": payload.get("gt_abs_after")}


def software_before(*, terminal_code: str, seq: int, since: tuple[int, Any] | None = None) -> Any:
    """The till's software at `seq`: the last SOFTWARE_VERSION's or JOURNAL_INIT's.
    `since`: (seq, software) known at an earlier entry (the previous Z), so only the
    entries after it are read, not a year of them."""
    entries = TerminalEntry.objects.filter(
        terminal_code=terminal_code,
        seq__lt=seq,
        type__in=["SOFTWARE_VERSION", "JOURNAL_INIT"],
    )
    if since is not None:
        entries = entries.filter(seq__gt=since[0])
    row = entries.order_by("-seq").values_list("canonical", flat=True).first()
    if row is None:
        return since[1] if since is not None else None
    return (orjson.loads(bytes(row)).get("payload") or {}).get("software")


def z_payload(z: ZReport) -> dict[str, Any]:
    """The Z as the till wrote it: its Z_CLOSE entry's payload, read from the stored bytes."""
    payload: dict[str, Any] = orjson.loads(bytes(z.entry.canonical))["payload"]
    return payload


def z_previous(*, terminal: Terminal, seq: int) -> ZReport | None:
    """The terminal's Z before the entry at `seq`, in its chain."""
    return (
        ZReport.objects.filter(terminal=terminal, seq__lt=seq)
        .select_related("entry")
        .order_by("-seq")
        .first()
    )
