"""Import of a terminal's exported outbox: the way in for a till that cannot reach the server.
A service (it writes), in a module of its own like the catalog's product import.

The file is what the terminal's "Export unsynced orders" writes (docs/api.md): the cash
session openings, orders and closings it could not send, in the order they happened.
Importing is idempotent like the sync: an order already stored counts as a duplicate;
an order that breaks a rule is stored under review, as by the sync.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import orjson
from pydantic import ValidationError

from kassa.money import MoneyError, to_decimal
from kassa.server.cash.schemas import SessionCloseIn, SessionOpenIn
from kassa.server.cash.services import session_close, session_open
from kassa.server.common.errors import DomainError
from kassa.server.terminals.models import Terminal

from .errors import OrderError, OrderErrorCode
from .models import OrderSource
from .services import REJECTED, order_sync

EXPORT_FORMAT = "kassa-outbox"


class _SessionClose(SessionCloseIn):
    uuid: UUID  # in the API, the session's URL names it


@dataclass
class OutboxImportReport:
    terminal: str = ""
    counts: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"{n} {what}" for what, n in sorted(self.counts.items())]
        head = f"Terminal {self.terminal}: " + (", ".join(parts) or "nothing to import")
        return "\n".join([head + ".", *self.problems])


def outbox_import(data: bytes) -> OutboxImportReport:
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise OrderError(
            OrderErrorCode.MALFORMED_JSON, "The file is not a Kassa export (not JSON)."
        ) from None
    if not isinstance(document, dict) or document.get("format") != EXPORT_FORMAT:
        raise OrderError(
            OrderErrorCode.INVALID_FILE, f"The file is not a Kassa export ({EXPORT_FORMAT})."
        )
    code = (
        (document.get("terminal") or {}).get("code")
        if isinstance(document.get("terminal"), dict)
        else None
    )
    terminal = Terminal.objects.filter(code=code).first() if isinstance(code, str) else None
    if terminal is None:
        raise OrderError(
            OrderErrorCode.UNKNOWN_TERMINAL,
            f"The file names terminal {code!r}, which is not known.",
        )
    entries = document.get("entries")
    if not isinstance(entries, list):
        raise OrderError(OrderErrorCode.INVALID_FILE, "The export has no list of entries.")
    report = OutboxImportReport(terminal=terminal.name)
    places = terminal.currency_places
    for number, entry in enumerate(entries, start=1):
        kind = entry.get("kind") if isinstance(entry, dict) else None
        payload: Any = entry.get("payload") if isinstance(entry, dict) else None
        try:
            if kind == "order":
                (result,) = order_sync(
                    terminal=terminal, items=[payload], source=OrderSource.IMPORT
                )
                report.counts[f"orders {result.status}"] += 1
                if result.status == REJECTED:
                    report.problems.append(f"entry {number}: order {result.uuid}: {result.message}")
                elif result.review is not None:
                    report.counts["orders to review"] += 1
                    report.problems.append(
                        f"entry {number}: order {result.uuid} stored, to review: "
                        f"{result.review.message}"
                    )
            elif kind == "session_open":
                opening = SessionOpenIn.model_validate(payload)
                _, created = session_open(
                    terminal=terminal,
                    uuid=opening.uuid,
                    cashier_id=opening.cashier_id,
                    opened_at=opening.opened_at,
                    opening_float=to_decimal(opening.opening_float, places=places),
                )
                report.counts["sessions opened" if created else "sessions already open"] += 1
            elif kind == "session_close":
                closing = _SessionClose.model_validate(payload)
                session_close(
                    terminal=terminal,
                    uuid=closing.uuid,
                    cashier_id=closing.cashier_id,
                    closed_at=closing.closed_at,
                    counted_cash=to_decimal(closing.counted_cash, places=places),
                )
                report.counts["sessions closed"] += 1
            else:
                raise OrderError(OrderErrorCode.INVALID_ENTRY, f"unknown kind {kind!r}")
        except (DomainError, ValidationError, MoneyError) as exc:
            message = exc.message if isinstance(exc, DomainError) else str(exc).splitlines()[0]
            report.counts["entries rejected"] += 1
            report.problems.append(f"entry {number} ({kind}): {message}")
    return report
