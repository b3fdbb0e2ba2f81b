"""Cash writes: sessions opened and closed (idempotent by the terminal's session UUID),
and the day close's journal entries a sync accepted (cash moves, counts, Zs, period
closes), stored as read models of their entries and checked."""

from __future__ import annotations

import uuid as uuid_module
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson
from django.db import IntegrityError, transaction
from django.db.models import DecimalField

from kassa.money import MoneyError, money_round, to_decimal
from kassa.server.common.memory import gc_paused
from kassa.server.common.types import timestamp_problem
from kassa.server.journal.errors import JournalProblem
from kassa.server.journal.models import TerminalEntry
from kassa.server.journal.services import AcceptedEntry, Flag, integrity_flag
from kassa.server.staff.models import Cashier
from kassa.server.terminals.models import Terminal

from .errors import CashError, CashErrorCode
from .models import (
    CashCount,
    CashMove,
    CashMoveKind,
    CashReview,
    CashSession,
    PeriodClose,
    SessionState,
    ZCheck,
    ZReport,
)
from .selectors import (
    grand_totals_before,
    journal_entries,
    session_expected_cash,
    session_open_seq,
    software_before,
    z_payload,
    z_previous,
)
from .zreport import ZError, period_key, period_sum, z_compute


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


# --- the day close's journal entries (docs/z-report.md) -------------------------------

CASH_TYPES = frozenset({"CASH_MOVE", "CASH_COUNT", "Z_CLOSE", "PERIOD_CLOSE"})
TICKET_TYPES = frozenset({"SALE", "REFUND"})


def _uuid(value: object) -> uuid_module.UUID | None:
    try:
        return uuid_module.UUID(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _cashier_of(entry: AcceptedEntry) -> tuple[int | None, str]:
    cashier = entry.cashier if isinstance(entry.cashier, dict) else {}
    cashier_id = cashier.get("id")
    name = cashier.get("name")
    return (
        cashier_id if type(cashier_id) is int else None,
        name[:100] if isinstance(name, str) else "",
    )


def _amount(value: object, places: int) -> Decimal | None:
    """A positive amount as printed, or None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        parsed = to_decimal(value, places=places, field="amount")
    except MoneyError:
        return None
    return parsed if parsed > 0 and abs(parsed) < Decimal(10) ** 10 else None


def _aware(text: object) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    # One a timestamp column holds (common.types): an offset of 16 h or more failed the
    # whole sync on PostgreSQL, the orders with it.
    return value if timestamp_problem(value) is None else None


def _text(value: object, limit: int = 200) -> str:
    return value[:limit].replace("\x00", "") if isinstance(value, str) else ""


class _Apply:
    """One sync's accepted entries that matter to cash: records stored, sessions closed,
    flags raised, all in the order's transaction."""

    def __init__(self, terminal: Terminal, entries: Sequence[AcceptedEntry]):
        self.terminal = terminal
        self.places = terminal.currency_places
        self.entries = entries
        self.flags: list[Flag] = []
        seqs = [e.seq for e in entries if e.type in CASH_TYPES]
        self.entry_pks = (
            dict(
                TerminalEntry.objects.filter(terminal_code=terminal.code, seq__in=seqs).values_list(
                    "seq", "pk"
                )
            )
            if seqs
            else {}
        )
        named = {
            e.payload.get("session")
            for e in entries
            if e.type in CASH_TYPES or e.type in TICKET_TYPES
        }
        uuids = [u for u in map(_uuid, named) if u is not None]
        # A batch of tickets alone (most syncs) only needs to know which sessions a Z closed.
        self.sessions: dict[str, CashSession] = (
            {str(s.uuid): s for s in CashSession.objects.filter(terminal=terminal, uuid__in=uuids)}
            if seqs
            else {}
        )
        # The seq of each named session's (first) Z, where the till's chain closed it.
        self.closed_at_seq: dict[str, int] = {
            str(session_uuid): seq
            for session_uuid, seq in ZReport.objects.filter(
                terminal=terminal, session_uuid__in=uuids
            )
            .order_by("-seq")
            .values_list("session_uuid", "seq")
        }

    def flag(self, entry: AcceptedEntry, problem: JournalProblem, detail: str) -> None:
        self.flags.append(Flag(entry.seq, entry.hash, problem, detail))

    def record(self, entry: AcceptedEntry) -> dict[str, Any]:
        """The fields every cash record has, and its review if its session was closed."""
        cashier_id, cashier_name = _cashier_of(entry)
        session_text = entry.payload.get("session")
        session = self.sessions.get(session_text) if isinstance(session_text, str) else None
        fields: dict[str, Any] = {
            "terminal": self.terminal,
            "entry_id": self.entry_pks[entry.seq],
            "seq": entry.seq,
            "at": entry.at,
            "cashier_id": cashier_id,
            "cashier_name": cashier_name,
            "session": session,
            "session_uuid": _uuid(session_text),
        }
        closed = self.closed(entry, session_text, session)
        if closed:
            fields["review_code"] = CashReview.SESSION_CLOSED
            fields["review_message"] = closed
        elif session is None:
            fields["review_code"] = CashReview.UNKNOWN_SESSION
            fields["review_message"] = f"Session {_text(session_text, 80)!r} is not known."
        return fields

    def closed(
        self, entry: AcceptedEntry, session_text: object, session: CashSession | None
    ) -> str:
        """Why the entry came after its session was closed ("" if it did not): the till's
        own chain has the session's Z before it, or (a till without a Z) the session was
        closed at an earlier time."""
        if not isinstance(session_text, str):
            return ""
        z_seq = self.closed_at_seq.get(session_text)
        if z_seq is not None and z_seq < entry.seq:
            return f"Its session was closed by the Z at seq {z_seq}."
        if (
            z_seq is None
            and session is not None
            and session.state == SessionState.CLOSED
            and session.closed_at is not None
            and entry.at > session.closed_at
        ):
            return f"Its session was closed at {session.closed_at.isoformat()}."
        return ""

    def run(self) -> None:
        for entry in self.entries:
            if entry.type == "CASH_MOVE":
                self.cash_move(entry)
            elif entry.type == "CASH_COUNT":
                self.cash_count(entry)
            elif entry.type == "Z_CLOSE":
                self.z_close(entry)
            elif entry.type == "PERIOD_CLOSE":
                self.period_close(entry)
            elif entry.type in TICKET_TYPES:
                session_text = entry.payload.get("session")
                z_seq = (
                    self.closed_at_seq.get(session_text) if isinstance(session_text, str) else None
                )
                if z_seq is not None and z_seq < entry.seq:
                    self.flag(
                        entry,
                        JournalProblem.SESSION_CLOSED,
                        f"{entry.type} for session {session_text}, closed by the Z at seq {z_seq}",
                    )

    def cash_move(self, entry: AcceptedEntry) -> None:
        p = entry.payload
        fields = self.record(entry)
        move_uuid = _uuid(p.get("move"))
        kind = p.get("kind")
        amount = _amount(p.get("amount"), self.places)
        problems = []
        if move_uuid is None:
            problems.append(f"move {_text(p.get('move'), 80)!r} is not a uuid")
            # Still one row per entry: its id is made from the entry's place in the chain.
            move_uuid = uuid_module.uuid5(
                uuid_module.NAMESPACE_URL, f"kassa:{self.terminal.code}:{entry.seq}"
            )
        if kind not in CashMoveKind.values:
            problems.append(f"kind {_text(kind, 20)!r} is not in, out or drop")
        if amount is None:
            problems.append(f"amount {_text(p.get('amount'), 40)!r} is not a positive amount")
        if problems and not fields.get("review_code"):
            code = CashReview.INVALID_AMOUNT if amount is None else CashReview.INVALID_PAYLOAD
            fields["review_code"] = code
            fields["review_message"] = "; ".join(problems)
        if fields.get("review_code") == CashReview.SESSION_CLOSED:
            self.flag(
                entry, JournalProblem.SESSION_CLOSED, f"CASH_MOVE: {fields['review_message']}"
            )
        move = CashMove(
            uuid=move_uuid,
            kind=kind if kind in CashMoveKind.values else CashMoveKind.IN,
            amount=amount,
            reason=_text(p.get("reason"), 64),
            note=_text(p.get("note"), 2000),
            approval=_uuid(p.get("approval")),
            **fields,
        )
        # The same move written again (a retried write on the till) is stored once.
        CashMove.objects.bulk_create([move], ignore_conflicts=True)

    def cash_count(self, entry: AcceptedEntry) -> None:
        p = entry.payload
        fields = self.record(entry)
        if fields.get("review_code") == CashReview.SESSION_CLOSED:
            self.flag(
                entry, JournalProblem.SESSION_CLOSED, f"CASH_COUNT: {fields['review_message']}"
            )
        attempt = p.get("attempt")
        methods = p.get("methods")
        CashCount.objects.bulk_create(
            [
                CashCount(
                    attempt=attempt if type(attempt) is int and attempt > 0 else 0,
                    blind=p.get("blind") is True,
                    methods=methods if isinstance(methods, list) else [],
                    **fields,
                )
            ],
            ignore_conflicts=True,
        )

    def z_close(self, entry: AcceptedEntry) -> None:
        p = entry.payload
        fields = self.record(entry)
        session_text = p.get("session")
        session: CashSession | None = fields["session"]
        z_no = p.get("z_no")
        number = z_no if type(z_no) is int and z_no > 0 else 0
        previous = (
            ZReport.objects.filter(terminal=self.terminal, seq__lt=entry.seq)
            .order_by("-seq")
            .values_list("z_no", flat=True)
            .first()
        )
        expected_no = (previous or 0) + 1
        if number != expected_no:
            self.flag(
                entry,
                JournalProblem.Z_NUMBER,
                f"Z_CLOSE z_no is {_text(repr(z_no), 40)}, the terminal's next Z is {expected_no}",
            )
        if fields.get("review_code") == CashReview.SESSION_CLOSED:
            self.flag(entry, JournalProblem.SESSION_CLOSED, f"Z_CLOSE: {fields['review_message']}")
        verification, detail = self.verify(entry)
        if verification == ZCheck.MISMATCH:
            self.flag(entry, JournalProblem.Z_MISMATCH, detail)
        cash = _obj(p.get("cash"))
        variance = _obj(p.get("variance"))
        sales = _obj(p.get("totals"))
        closed = _obj(p.get("closed"))
        opened = _obj(p.get("opened"))
        day = p.get("business_day")
        z = ZReport.objects.create(
            z_no=number,
            business_day=_date(day),
            opened_at=_aware(opened.get("at")),
            closed_at=_aware(closed.get("at")) or entry.at,
            gross=_signed(sales.get("gross"), self.places),
            tickets=sales.get("tickets") if type(sales.get("tickets")) is int else None,
            variance=_signed(variance.get("amount"), self.places),
            over_limit=variance.get("over") is True,
            verification=verification,
            verification_detail=detail,
            **fields,
        )
        first_z = isinstance(session_text, str) and session_text not in self.closed_at_seq
        if isinstance(session_text, str):
            self.closed_at_seq.setdefault(session_text, entry.seq)
        if session is not None and first_z:
            # The till closed it with this Z: the server's session closes (if the till's
            # close request has not yet) and holds the Z's figures, the close's.
            if session.state == SessionState.OPEN:
                session.state = SessionState.CLOSED
                session.closed_at = z.closed_at
                closer_id = _obj(closed.get("by")).get("id")
                session.closed_by = (
                    Cashier.objects.filter(pk=closer_id).first() if type(closer_id) is int else None
                )
            column = 10**10  # the session's amounts: 12 digits, 2 decimals
            session.counted_cash = _signed(cash.get("counted"), self.places, column)
            session.expected_cash = _signed(cash.get("expected"), self.places, column)
            session.difference = _signed(cash.get("difference"), self.places, column)
            session.save()

    def verify(self, entry: AcceptedEntry) -> tuple[str, str]:
        """The till's Z against the server's (docs/z-report.md, "Declared and computed
        fields"): the declared fields by their rules, the computed ones recomputed from
        the session's entries and compared exactly."""
        p = entry.payload
        session_text = p.get("session")
        if not isinstance(session_text, str):
            return ZCheck.MISMATCH, "the Z names no session"
        code = self.terminal.code
        open_seq = session_open_seq(terminal_code=code, session_uuid=session_text, before=entry.seq)
        if open_seq is None:
            return ZCheck.MISMATCH, f"no SESSION_OPEN of session {session_text} before the Z"
        with gc_paused():
            return self._verify(entry, session_text, open_seq)

    def _verify(self, entry: AcceptedEntry, session_text: str, open_seq: int) -> tuple[str, str]:
        p = entry.payload
        code = self.terminal.code
        entries = journal_entries(terminal_code=code, first=open_seq, last=entry.seq - 1)
        # From the SESSION_OPEN up to the entry before its first PERIOD_CLOSE / Z_CLOSE.
        end = next(
            (i for i, e in enumerate(entries) if e.get("type") in ("PERIOD_CLOSE", "Z_CLOSE")),
            len(entries),
        )
        entries = entries[:end]
        previous = z_previous(terminal=self.terminal, seq=entry.seq)
        previous_z = z_payload(previous) if previous is not None else None
        variance = _obj(p.get("variance"))
        since = (previous.seq, _obj(previous_z).get("software")) if previous is not None else None
        problems = self.declared(entry, variance, since)
        context = {
            "z_no": p.get("z_no"),
            "terminal": p.get("terminal"),
            "store": p.get("store"),
            "parameters": p.get("parameters"),
            "software": p.get("software"),
            "closed": p.get("closed"),
            "approval": variance.get("approval"),
            "before": grand_totals_before(terminal_code=code, seq=open_seq, places=self.places),
            "previous": previous_z,
        }
        try:
            computed = z_compute(entries, context)
        except ZError as exc:
            problems.append(f"the server cannot compute this Z: {exc}")
            return ZCheck.MISMATCH, "; ".join(problems)
        written = {key: value for key, value in p.items() if key != "v"}
        if computed != written:
            keys = sorted(set(computed) | set(written))
            differ = [key for key in keys if computed.get(key) != written.get(key)]
            problems.append(
                f"the Z differs from its entries in {', '.join(differ)}: "
                + "; ".join(
                    f"{key}: the till wrote {_short(written.get(key))}, "
                    f"the entries make {_short(computed.get(key))}"
                    for key in differ[:5]
                )
            )
        if problems:
            return ZCheck.MISMATCH, "; ".join(problems)
        return ZCheck.OK, ""

    def declared(
        self, entry: AcceptedEntry, variance: dict[str, Any], since: tuple[int, Any] | None
    ) -> list[str]:
        """What the till declares in its Z, against the rules the server can check."""
        p = entry.payload
        problems = []
        if p.get("terminal") != self.terminal.code:
            problems.append(f"terminal is {_short(p.get('terminal'))}, not {self.terminal.code}")
        closed = _obj(p.get("closed"))
        if closed.get("at") != entry.at_text or closed.get("by") != entry.cashier:
            problems.append(
                f"closed is {_short(p.get('closed'))}, the Z_CLOSE entry's own at and cashier "
                f"are {_short({'at': entry.at_text, 'by': entry.cashier})}"
            )
        software = software_before(terminal_code=self.terminal.code, seq=entry.seq, since=since)
        if p.get("software") != software:
            problems.append(
                f"software is {_short(p.get('software'))}, the journal says {_short(software)}"
            )
        if variance.get("over") is True and not isinstance(variance.get("approval"), dict):
            problems.append("the variance is over its limit and has no approval")
        return problems

    def period_close(self, entry: AcceptedEntry) -> None:
        p = entry.payload
        fields = self.record(entry)
        fields["review_code"], fields["review_message"] = "", ""  # no session of its own
        fields["session"], fields["session_uuid"] = None, None
        verification, detail = period_check(terminal=self.terminal, payload=p, before=entry.seq)
        if verification == ZCheck.MISMATCH:
            self.flag(entry, JournalProblem.PERIOD_MISMATCH, detail)
        PeriodClose.objects.create(
            period=_text(p.get("period"), 8),
            key=_text(p.get("key"), 8),
            verification=verification,
            verification_detail=detail,
            **fields,
        )


def _obj(value: object) -> dict[str, Any]:
    """A payload's object, or an empty one when the till wrote something else."""
    return value if isinstance(value, dict) else {}


def _short(value: object) -> str:
    text = orjson.dumps(value).decode()
    return text if len(text) <= 120 else f"{text[:117]}…"


def _signed(value: object, places: int, limit: int = 10**12) -> Decimal | None:
    """An amount as written, or None when it is not one or its column cannot hold it."""
    if not isinstance(value, str):
        return None
    try:
        parsed = to_decimal(value, places=places, field="amount")
    except MoneyError:
        return None
    return parsed if abs(parsed) < limit else None


def _date(value: object) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def period_check(*, terminal: Terminal, payload: dict[str, Any], before: int) -> tuple[str, str]:
    """A PERIOD_CLOSE against the Zs it sums: the terminal's Zs before it (in its chain)
    whose business day is in its period, added up as the Z's totals are."""
    period, key = payload.get("period"), payload.get("key")
    if period not in ("month", "year") or not isinstance(key, str):
        return ZCheck.MISMATCH, f"period {period!r} {key!r} is not a month or a year"
    zs = [
        z_payload(z)
        for z in ZReport.objects.filter(terminal=terminal, seq__lt=before)
        .select_related("entry")
        .order_by("seq")
        if z.business_day is not None and period_key(period, z.business_day.isoformat()) == key
    ]
    if not zs:
        return ZCheck.MISMATCH, f"no Z of {key} before this {period} close"
    try:
        summed = period_sum(zs, period=period, places=terminal.currency_places)
    except (ZError, KeyError, TypeError) as exc:
        return ZCheck.MISMATCH, f"its Zs cannot be added up: {exc}"
    written = {k: v for k, v in payload.items() if k not in ("v", "period")}
    if summed == written:
        return ZCheck.OK, ""
    differ = [k for k in sorted(set(summed) | set(written)) if summed.get(k) != written.get(k)]
    detail = "; ".join(
        f"{k}: written {_short(written.get(k))}, its Zs add up to {_short(summed.get(k))}"
        for k in differ[:5]
    )
    return ZCheck.MISMATCH, f"the {period} {key} is not the sum of its {len(zs)} Zs: {detail}"


def cash_entries_apply(*, terminal: Terminal, entries: Sequence[AcceptedEntry]) -> None:
    """What the day close's entries a sync's journal accepted mean to cash, in the
    order sync's transaction, after the journal's ingest: each CASH_MOVE stored once by
    its uuid, each CASH_COUNT, each Z_CLOSE as a Z (its session closed with its figures,
    its z_no and its sums checked against the entries), each PERIOD_CLOSE checked against
    its Zs; an entry for a session its Z closed is stored and flagged. Problems are
    IntegrityAlerts (journal.integrity_flag), never a refusal."""
    if not any(e.type in CASH_TYPES or e.type in TICKET_TYPES for e in entries):
        return
    apply = _Apply(terminal, entries)
    apply.run()
    # Last: it takes the server chain's head lock.
    integrity_flag(terminal_code=terminal.code, flags=apply.flags)
