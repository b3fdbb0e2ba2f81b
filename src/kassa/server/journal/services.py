"""Journal writes: a till's key, its entries (ingest), the server's own chain, alerts.

Locks, always in this order, each until the caller's transaction ends: a terminal's
ChainHead row (its ingest, its key registration), then the server chain's ChainHead row
(every append to the server's chain). The server chain's head is the last lock any
transaction takes, so a writer holding it never waits for another lock, and nothing can
wait in a cycle through it. On SQLite the database's write lock serialises writers
anyway (settings: IMMEDIATE transactions).

Ingest is on every order sync's path, so it costs a few statements per batch, never one
per entry: the terminal's head locked; its keys, held entries, open alerts and the
stored entries the batch repeats read in one query; on PostgreSQL the accepted entries
copied in (one binary COPY), the head moved on and the server chain's head locked in one
statement, and the ANCHOR inserted with the server head moved on in another.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple

from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from kassa.jcs import GENESIS_HASH, canonicalize, chain_hash
from kassa.server.common.types import MAX_ID

from .entries import (
    GRAND_TOTAL_TYPES,
    Entry,
    EntryProblem,
    entry_check,
    entry_read,
    grand_totals_check,
    sale_totals,
)
from .errors import JournalError, JournalErrorCode, JournalProblem
from .keys import (
    PublicKeyError,
    key_id,
    public_key_load,
    server_private_key,
    signature_make,
    spki_of,
)
from .models import (
    SERVER_CHAIN,
    SERVER_HEAD,
    ChainHead,
    HeldEntry,
    IntegrityAlert,
    ServerEntry,
    ServerKey,
    TerminalEntry,
    TerminalKey,
)
from .selectors import Head, key_superseded, public_key

MAX_TEXT = 200  # of a wire value echoed into an alert or the server chain
MAX_DETAIL = 1000  # of a problem's sentence, which may quote the entry


class IngestStatus(StrEnum):
    OK = "ok"  # every entry sent is in the chain (or was already)
    GAP = "gap"  # entries held after a gap: send `missing`
    QUARANTINED = "quarantined"  # a person must look; later entries are held


@dataclass(frozen=True)
class AcceptedEntry:
    """An entry this ingest added to the chain, with what the order sync compares with
    its orders (a SALE's payload: order, receipt_no, lines, totals, payments)."""

    seq: int
    type: str
    at: datetime
    hash: str
    cashier: dict[str, Any] | None
    payload: dict[str, Any]
    at_text: str = ""  # `at` as the till wrote it


@dataclass(frozen=True)
class IngestResult:
    status: IngestStatus
    head: Head
    missing: tuple[int, int] | None  # (from, to), both included: the entries to send again
    accepted: list[AcceptedEntry] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The `journal` object of the order sync's answer (docs/journal.md, Transport)."""
        missing = None
        if self.missing is not None:
            missing = {"from": self.missing[0], "to": self.missing[1]}
        return {"status": self.status.value, "head": self.head.as_dict(), "missing": missing}


def _require_transaction(name: str) -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"{name}() must run inside the caller's transaction.atomic()")


class _HeadRow(NamedTuple):
    """A ChainHead row as locked: what ingest and the server chain read of it."""

    pk: int
    seq: int
    hash: str
    key_id: str
    gt_after: str
    gt_abs_after: str


_HEAD_TABLE = ChainHead._meta.db_table
_HEAD_COLUMNS = "id, seq, hash, key_id, gt_after, gt_abs_after"
_HEAD_UPDATE = (
    f"UPDATE {_HEAD_TABLE} SET seq = %s, hash = %s, key_id = %s, gt_after = %s, "  # noqa: S608
    "gt_abs_after = %s, updated_at = %s WHERE id = %s"
)


def _postgresql() -> bool:
    return connection.vendor == "postgresql"


def _head_select() -> str:
    # SQLite has no FOR UPDATE: its IMMEDIATE transactions hold the database's write lock
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    return f"SELECT {_HEAD_COLUMNS} FROM {_HEAD_TABLE} WHERE chain = %s{lock}"  # noqa: S608


def _head_lock(chain: str) -> _HeadRow:
    """The chain's head row, locked until the transaction ends (made on first use)."""
    with connection.cursor() as cursor:
        cursor.execute(_head_select(), [chain])
        row = cursor.fetchone()
        if row is None:
            ChainHead.objects.bulk_create(
                [ChainHead(chain=chain, seq=0, hash=GENESIS_HASH, gt_after="0", gt_abs_after="0")],
                ignore_conflicts=True,
            )
            cursor.execute(_head_select(), [chain])
            row = cursor.fetchone()
    return _HeadRow(*row)


def _in(column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
    """`column IN values`: one array parameter on PostgreSQL (one statement text for
    every length, which psycopg and the server cache), placeholders on SQLite."""
    if _postgresql():
        return f"{column} = ANY(%s)", [list(values)]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def _text(value: object, limit: int = MAX_TEXT) -> str:
    """A wire value fit for a text column and the server chain: at most `limit`
    characters, no NUL, no lone surrogate."""
    text = value if isinstance(value, str) else repr(value)
    text = text[:limit].replace("\x00", "\\x00")
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


# --- keys ---------------------------------------------------------------------------


@transaction.atomic
def journal_key_register(
    *, terminal_code: str, token_id: int, public_key_spki: bytes
) -> tuple[str, Head]:
    """Register a till's public key for its pairing (device token); returns the key id and
    the head of the terminal's chain (where the till continues, docs/journal.md "Keys").

    The same key again is a no-op. Another key for the same token refuses with
    KEY_ALREADY_REGISTERED; a key already registered to another terminal with
    KEY_OTHER_TERMINAL. Keys of the terminal's earlier pairings stay valid for the
    entries they signed. A new key is recorded on the server's chain (KEY_REGISTERED).
    """
    try:
        public_key_load(public_key_spki)
    except PublicKeyError as exc:
        raise JournalError(JournalErrorCode.INVALID_KEY, str(exc)) from None
    kid = key_id(public_key_spki)
    head = _head_lock(terminal_code)
    known = False
    for key in TerminalKey.objects.filter(Q(key_id=kid) | Q(device_token_id=token_id)):
        if key.key_id != kid:
            raise JournalError(
                JournalErrorCode.KEY_ALREADY_REGISTERED,
                f"This pairing already registered key {key.key_id}; pair the terminal again "
                "to register another.",
            )
        if key.terminal_code != terminal_code:
            raise JournalError(
                JournalErrorCode.KEY_OTHER_TERMINAL,
                f"Key {kid} is registered to another terminal; make a new key.",
            )
        known = True  # this terminal's key already, from this pairing or an earlier one
    if not known:
        TerminalKey.objects.create(
            terminal_code=terminal_code,
            device_token_id=token_id,
            key_id=kid,
            spki=public_key_spki,
            registered_at=timezone.now(),
        )
        _server_append(
            [
                (
                    "KEY_REGISTERED",
                    {
                        "terminal": terminal_code,
                        "token": token_id,
                        "key": kid,
                        "public_key": base64.b64encode(public_key_spki).decode("ascii"),
                    },
                )
            ]
        )
    return kid, Head(head.seq, head.hash)


# --- a till's entries ---------------------------------------------------------------


@dataclass
class _Wire:
    """An entry as the wire carries it, before anything is believed."""

    seq: int | None
    canonical: bytes
    hash: str
    sig: str
    problem: EntryProblem | None = None


def _wire(item: object) -> _Wire:
    if not isinstance(item, Mapping):
        return _Wire(
            None,
            _text(item).encode(),
            "",
            "",
            EntryProblem(JournalProblem.INVALID_ENTRY, "the entry is not an object"),
        )
    seq = item.get("seq")
    if type(seq) is int and not 1 <= seq <= MAX_ID:
        # Beyond a 64-bit column: no entry has it, and the database could not even be
        # asked (a 500 that failed the whole batch, the orders beside it too).
        seq = None
    canonical = item.get("canonical")
    hash_ = item.get("hash")
    sig = item.get("sig")
    text = canonical if isinstance(canonical, str) else None
    problem = None
    if type(seq) is not int or text is None:
        problem = EntryProblem(
            JournalProblem.INVALID_ENTRY,
            "the wire entry needs an integer seq (1 to 2^63-1) and a canonical text",
        )
    elif not isinstance(hash_, str) or not isinstance(sig, str):
        problem = EntryProblem(
            JournalProblem.INVALID_ENTRY, "the wire entry needs a hash and a sig"
        )
    try:
        raw = text.encode("utf-8") if text is not None else _text(canonical).encode()
    except UnicodeEncodeError:
        # Kept as close to verbatim as bytes can be; a lone surrogate has no UTF-8 form.
        raw = text.encode("utf-8", "surrogatepass") if text is not None else b""
        problem = problem or EntryProblem(
            JournalProblem.NOT_CANONICAL, "the canonical text has a lone surrogate"
        )
    wire = _Wire(
        seq if type(seq) is int else None,
        raw,
        hash_ if isinstance(hash_, str) else "",
        sig if isinstance(sig, str) else "",
        problem,
    )
    return wire


class _Held(NamedTuple):
    """A HeldEntry row: an entry that checked out when it came, waiting for its turn."""

    pk: int
    seq: int
    canonical: bytes
    hash: str
    sig: str


class _Row(NamedTuple):
    """An accepted entry as its TerminalEntry row is inserted (with the terminal's code
    and the time received, the same for the whole batch)."""

    seq: int
    type: str
    at_text: str
    at: datetime
    key_id: str
    canonical: bytes
    hash: str
    sig: str


_KEYS, _HELD, _ALERTS, _STORED = range(4)
# TerminalEntry's columns as its rows are copied in: the terminal, a _Row, received_at
_ENTRY_TYPES = ["varchar", "int8", "varchar", "varchar", "timestamptz", "varchar", "bytea"]
_ENTRY_TYPES += ["varchar", "varchar", "timestamptz"]


def _chain_read(
    terminal: str, after: int, seqs: list[int], past: list[int]
) -> list[tuple[Any, ...]]:
    """In one query, what ingest needs of a terminal's chain besides its head: its keys
    (oldest first), its held entries after `after`, its quarantine alerts that are open
    or at one of `seqs`, and the hashes stored at `past`. Rows (kind, id, seq, hash,
    bytes, sig, open), by kind then id. Read after the head is locked, so it sees what
    every ingest before this one committed."""
    where_seqs, seq_params = _in("seq", seqs) if seqs else ("1 = 0", [])
    parts = [
        f"SELECT {_KEYS} AS kind, id, 0 AS seq, key_id AS hash, spki AS data, '' AS sig, "  # noqa: S608
        f"0 AS open FROM {TerminalKey._meta.db_table} WHERE terminal_code = %s",
        f"SELECT {_HELD}, id, seq, hash, canonical, sig, 0 FROM {HeldEntry._meta.db_table} "  # noqa: S608
        "WHERE terminal_code = %s AND seq > %s",
        f"SELECT {_ALERTS}, id, seq, hash, NULL, '', "  # noqa: S608
        "CASE WHEN acknowledged_at IS NULL THEN 1 ELSE 0 END "
        f"FROM {IntegrityAlert._meta.db_table} WHERE terminal_code = %s AND quarantined "
        f"AND (acknowledged_at IS NULL OR {where_seqs})",
    ]
    params: list[Any] = [terminal, terminal, after, terminal, *seq_params]
    if past:
        where_past, past_params = _in("seq", past)
        parts.append(
            f"SELECT {_STORED}, id, seq, hash, NULL, '', 0 FROM {TerminalEntry._meta.db_table} "  # noqa: S608
            f"WHERE terminal_code = %s AND {where_past}"
        )
        params += [terminal, *past_params]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts) + " ORDER BY kind, id", params)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
    return rows


class _Ingest:
    """One ingest call's view of a terminal's chain, in memory while its head is locked;
    `write` stores what it decided, a handful of statements for the whole batch."""

    def __init__(self, terminal: str, head: _HeadRow, seqs: list[int], now: datetime):
        self.terminal = terminal
        self.head = head
        self.now = now
        self.seq, self.hash, self.key_id = head.seq, head.hash, head.key_id
        self.gt: tuple[str | None, str | None] = (head.gt_after or None, head.gt_abs_after or None)
        self.keys: dict[str, ec.EllipticCurvePublicKey] = {}
        self.key_order: list[str] = []
        self.held: dict[int, _Held | Entry] = {}
        self.stored: dict[int, str] = {}
        self.blocked = False
        self.quarantined: set[tuple[int | None, str]] = set()
        past = [seq for seq in seqs if seq <= head.seq]
        for kind, pk, seq, hash_, data, sig, open_ in _chain_read(terminal, head.seq, seqs, past):
            if kind == _KEYS:
                self.key_order.append(hash_)
                key = public_key(bytes(data))
                if key is not None:
                    self.keys[hash_] = key
            elif kind == _HELD:
                self.held[seq] = _Held(pk, seq, bytes(data), hash_, sig)
            elif kind == _ALERTS:
                self.quarantined.add((seq, hash_))
                self.blocked = self.blocked or bool(open_)
            else:
                self.stored[seq] = hash_
        self.consumed: list[int] = []  # HeldEntry rows applied or quarantined
        self.entries: list[_Row] = []
        self.accepted: list[AcceptedEntry] = []
        self.alerts: list[IntegrityAlert] = []

    def take(self, wire: _Wire) -> None:
        if wire.problem is not None:
            self.quarantine(wire, wire.problem)
            return
        assert wire.seq is not None
        try:
            entry = entry_read(seq=wire.seq, canonical=wire.canonical, hash=wire.hash, sig=wire.sig)
            entry_check(entry, terminal=self.terminal, keys=self.keys)
        except EntryProblem as problem:
            self.quarantine(wire, problem)
            return
        if entry.seq <= self.seq:
            stored = self.stored.get(entry.seq)
            if stored != entry.hash:  # the same entry again is a no-op
                self.quarantine(wire, _fork(entry.seq, stored, "is stored"))
            return
        held = self.held.get(entry.seq)
        if held is None:
            self.held[entry.seq] = entry
        elif held.hash != entry.hash:
            self.quarantine(wire, _fork(entry.seq, held.hash, "is held"))
            return
        self.drain()

    def drain(self) -> None:
        """Apply held entries while the next one is there and nobody must look first."""
        while not self.blocked and (held := self.held.pop(self.seq + 1, None)) is not None:
            if isinstance(held, _Held):
                self.consumed.append(held.pk)
                wire = _Wire(held.seq, held.canonical, held.hash, held.sig)
                try:  # checked when it was held; the held table is not kept immutable
                    entry = entry_read(
                        seq=held.seq, canonical=wire.canonical, hash=wire.hash, sig=wire.sig
                    )
                    entry_check(entry, terminal=self.terminal, keys=self.keys)
                except EntryProblem as problem:
                    self.quarantine(wire, problem)
                    return
                self.append(entry, wire)
            else:
                self.append(held, _Wire(held.seq, held.canonical, held.hash, held.sig))

    def append(self, entry: Entry, wire: _Wire) -> None:
        if entry.prev_hash != self.hash:
            self.quarantine(
                wire,
                EntryProblem(
                    JournalProblem.PREV_HASH_MISMATCH,
                    f"prev_hash {entry.prev_hash[:16]}… is not the hash of seq {self.seq} "
                    f"({self.hash[:16]}…)",
                ),
            )
            return
        if key_superseded(self.key_order, key_id=entry.key_id, after=self.key_id):
            self.quarantine(
                wire,
                EntryProblem(
                    JournalProblem.KEY_SUPERSEDED,
                    f"signed with key {entry.key_id} after a newer pairing's key "
                    f"{self.key_id} signed",
                ),
            )
            return
        self.entries.append(
            _Row(
                entry.seq,
                entry.type,
                entry.at_text,
                entry.at,
                entry.key_id,
                entry.canonical,
                entry.hash,
                entry.sig,
            )
        )
        self.accepted.append(
            AcceptedEntry(
                entry.seq,
                entry.type,
                entry.at,
                entry.hash,
                entry.cashier,
                entry.payload,
                entry.at_text,
            )
        )
        self.stored[entry.seq] = entry.hash
        self.seq, self.hash, self.key_id = entry.seq, entry.hash, entry.key_id
        if entry.type in GRAND_TOTAL_TYPES:
            self.sale(entry)
        elif entry.type == "INTEGRITY_FAILURE":
            self.gt = (None, None)  # a declared loss: the next SALE starts the sums again

    def sale(self, entry: Entry) -> None:
        try:
            totals = sale_totals(entry.payload)
        except EntryProblem as problem:
            self.flag(entry, problem)
            return
        try:
            grand_totals_check(totals, gt_before=self.gt[0], gt_abs_before=self.gt[1])
        except EntryProblem as problem:
            self.flag(entry, problem)
        # Go on from what the till wrote: one wrong sum is one alert, not one per sale after.
        self.gt = (totals.gt_after_text, totals.gt_abs_after_text)

    def quarantine(self, wire: _Wire, problem: EntryProblem) -> None:
        """Keep the entry apart, verbatim, and hold the terminal's later entries. An entry
        already kept (the till sends it again until its head covers it) is kept once."""
        if (wire.seq, _text(wire.hash)) in self.quarantined:
            return
        self.quarantined.add((wire.seq, _text(wire.hash)))
        self.blocked = True
        self.alerts.append(
            IntegrityAlert(
                terminal_code=self.terminal,
                seq=wire.seq,
                reason=problem.problem,
                detail=_text(problem.detail, MAX_DETAIL),
                quarantined=True,
                canonical=wire.canonical,
                hash=_text(wire.hash),
                sig=_text(wire.sig),
                detected_at=self.now,
            )
        )

    def flag(self, entry: Entry, problem: EntryProblem) -> None:
        """The entry is in the chain (it is what the till wrote); a person must look."""
        self.alerts.append(
            IntegrityAlert(
                terminal_code=self.terminal,
                seq=entry.seq,
                reason=problem.problem,
                detail=_text(problem.detail, MAX_DETAIL),
                quarantined=False,
                hash=entry.hash,
                detected_at=self.now,
            )
        )

    def write(self) -> IngestResult:
        if self.consumed:
            HeldEntry.objects.filter(pk__in=self.consumed).delete()
        held = [
            HeldEntry(
                terminal_code=self.terminal,
                seq=held.seq,
                canonical=held.canonical,
                hash=held.hash,
                sig=held.sig,
                received_at=self.now,
            )
            for held in self.held.values()
            if isinstance(held, Entry)
        ]
        if held:
            HeldEntry.objects.bulk_create(held)
        if self.alerts:
            IntegrityAlert.objects.bulk_create(self.alerts)
        records: list[tuple[str, dict[str, Any]]] = [
            (
                "INTEGRITY_FAILURE",
                {
                    "terminal": self.terminal,
                    "seq": alert.seq,
                    "reason": alert.reason,
                    "hash": alert.hash,
                    "detail": _text(alert.detail),
                    "quarantined": alert.quarantined,
                },
            )
            for alert in self.alerts
        ]
        if self.entries:
            records.append(
                ("ANCHOR", {"terminal": self.terminal, "seq": self.seq, "hash": self.hash})
            )
        server_head = self.store(lock_server=bool(records))
        if records:
            _server_append(records, head=server_head)
        if self.blocked:
            status, missing = IngestStatus.QUARANTINED, None
        elif self.held:
            status, missing = IngestStatus.GAP, (self.seq + 1, min(self.held) - 1)
        else:
            status, missing = IngestStatus.OK, None
        return IngestResult(status, Head(self.seq, self.hash), missing, self.accepted)

    def store(self, *, lock_server: bool) -> _HeadRow | None:
        """Insert the accepted entries and move the terminal's head on; then, if
        `lock_server`, lock the server chain's head (the last lock) and answer it. On
        PostgreSQL: one COPY of the rows, then one statement that moves the head on and
        locks the server's; on SQLite, one multi-row INSERT."""
        if not self.entries:
            return _head_lock(SERVER_HEAD) if lock_server else None
        adapt = connection.ops.adapt_datetimefield_value
        now = adapt(self.now)
        head: list[Any] = [
            self.seq,
            self.hash,
            self.key_id,
            self.gt[0] or "",
            self.gt[1] or "",
            now,
            self.head.pk,
        ]
        columns = "terminal_code, seq, type, at_text, at, key_id, canonical, hash, sig, received_at"
        table = TerminalEntry._meta.db_table
        if _postgresql():
            # COPY in binary form: the canonical bytes go as they are, where an INSERT
            # from unnest costs psycopg an escaped array literal (2.5 ms more for 50 SALEs)
            with connection.cursor() as cursor:
                with cursor.cursor.copy(
                    f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)"
                ) as copy:
                    copy.set_types(_ENTRY_TYPES)
                    for entry in self.entries:
                        copy.write_row((self.terminal, *entry, self.now))
                if not lock_server:
                    cursor.execute(_HEAD_UPDATE, head)
                    return None
                cursor.execute(
                    f"WITH head AS ({_HEAD_UPDATE}) {_head_select()}", [*head, SERVER_HEAD]
                )
                row = cursor.fetchone()
            return _HeadRow(*row) if row is not None else _head_lock(SERVER_HEAD)
        rows: list[tuple[Any, ...]] = [
            (self.terminal, *row[:3], adapt(row.at), *row[4:], now) for row in self.entries
        ]
        with connection.cursor() as cursor:
            step = _sqlite_variables() // len(rows[0])  # one INSERT for a batch of 500
            for start in range(0, len(rows), step):
                chunk = rows[start : start + step]
                values = ", ".join(["(" + ", ".join(["%s"] * len(rows[0])) + ")"] * len(chunk))
                cursor.execute(
                    f"INSERT INTO {table} ({columns}) VALUES {values}",  # noqa: S608
                    [value for row in chunk for value in row],
                )
            cursor.execute(_HEAD_UPDATE, head)
        return _head_lock(SERVER_HEAD) if lock_server else None


def _sqlite_variables() -> int:
    """How many parameters one SQLite statement takes (32,766 since SQLite 3.32)."""
    import sqlite3

    try:
        return int(connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
    except AttributeError:  # pragma: no cover - Python before 3.11
        return 999


def _fork(seq: int, other: str | None, where: str) -> EntryProblem:
    other_hash = f"{other[:16]}…" if other else "(none)"
    return EntryProblem(
        JournalProblem.FORK, f"another entry at seq {seq} {where}, with hash {other_hash}"
    )


def journal_ingest(*, terminal_code: str, entries: Sequence[Mapping[str, Any]]) -> IngestResult:
    """Check a till's wire entries and keep them: in its chain, held, or quarantined
    (docs/journal.md, "On the server"). Runs in the caller's transaction (the order
    sync's) and never commits; it locks the terminal's chain head, so the same batch sent
    by ten clients at once stores each entry once.

    Every entry is checked on its own (canonical form, fields, terminal, registered key,
    hash, signature), then in its chain, in seq order: the next seq is accepted if its
    prev_hash is the head's hash; a seq already stored with the same hash is a no-op; a
    seq beyond the next is held, and the answer asks for the missing range; held entries
    are applied when it arrives. Anything else is quarantined, an IntegrityAlert and an
    INTEGRITY_FAILURE on the server chain, and the terminal's later entries are held until
    a person acknowledges it. A SALE whose grand totals do not add up is accepted and
    flagged. An ANCHOR of the new head goes on the server chain when entries were accepted.
    """
    _require_transaction("journal_ingest")
    wires = [_wire(item) for item in entries]
    # The wire entries that cannot even be placed first, then by seq (a batch is sent
    # ascending; sorting makes one sent out of order no different).
    wires.sort(key=lambda wire: (wire.problem is None, wire.seq or 0))
    head = _head_lock(terminal_code)
    ingest = _Ingest(
        terminal_code, head, [wire.seq for wire in wires if wire.seq is not None], timezone.now()
    )
    for wire in wires:
        ingest.take(wire)
    ingest.drain()  # entries held before, if this call lifted nothing and sent nothing
    return ingest.write()


@dataclass(frozen=True)
class Flag:
    """A problem found in an entry already in its chain (by an app above the journal: a
    Z that does not match its entries, …): an alert for a person, never a refusal."""

    seq: int
    hash: str
    problem: JournalProblem
    detail: str


def integrity_flag(*, terminal_code: str, flags: Sequence[Flag]) -> list[IntegrityAlert]:
    """Record each flag as an IntegrityAlert (not quarantined: the entry stays in its
    chain, it is what the till wrote) and an INTEGRITY_FAILURE on the server's chain, in
    the caller's transaction. Takes the server chain's head lock: call it last."""
    _require_transaction("integrity_flag")
    if not flags:
        return []
    now = timezone.now()
    alerts = IntegrityAlert.objects.bulk_create(
        [
            IntegrityAlert(
                terminal_code=terminal_code,
                seq=flag.seq,
                reason=flag.problem,
                detail=_text(flag.detail, MAX_DETAIL),
                quarantined=False,
                hash=flag.hash,
                detected_at=now,
            )
            for flag in flags
        ]
    )
    _server_append(
        [
            (
                "INTEGRITY_FAILURE",
                {
                    "terminal": terminal_code,
                    "seq": flag.seq,
                    "reason": flag.problem.value,
                    "hash": flag.hash,
                    "detail": _text(flag.detail),
                    "quarantined": False,
                },
            )
            for flag in flags
        ]
    )
    return alerts


@transaction.atomic
def integrity_alerts_acknowledge(*, alert_ids: Iterable[int], by: str) -> int:
    """Record who acknowledged these alerts, and when (once: an acknowledged alert stays
    as it is). A terminal's held entries are applied again on its next ingest once none
    of its quarantined alerts is open. Returns how many were acknowledged now."""
    now = timezone.now()
    alerts = list(
        IntegrityAlert.objects.filter(pk__in=list(alert_ids), acknowledged_at__isnull=True)
        .order_by("pk")
        .values_list("pk", "terminal_code", "seq", "reason")
    )
    if not alerts:
        return 0
    IntegrityAlert.objects.filter(pk__in=[pk for pk, *_ in alerts]).update(
        acknowledged_by=by[:150], acknowledged_at=now
    )
    _server_append(
        [
            (
                "ALERTS_ACKNOWLEDGED",
                {
                    "by": _text(by),
                    "alerts": [
                        {"id": pk, "terminal": terminal, "seq": seq, "reason": reason}
                        for pk, terminal, seq, reason in alerts
                    ],
                },
            )
        ]
    )
    return len(alerts)


# --- the server's own chain ---------------------------------------------------------


def server_chain_append(*, type: str, payload: Mapping[str, Any]) -> ServerEntry:
    """Append one entry to the server's chain, signed with the server's key, in the
    caller's transaction (the change it records commits with it, or neither does).

    `payload` holds JSON values as the journal takes them (integers, strings for money:
    kassa.jcs); its `v` is 1 unless it says otherwise. A `terminal` in it names the
    terminal the entry is about. Takes the server chain's head lock: take it last.
    """
    _require_transaction("server_chain_append")
    return _server_append([(type, dict(payload))])[-1]


_server_key_ids: dict[ec.EllipticCurvePrivateKey, tuple[bytes, str]] = {}


def _server_key_id(private: ec.EllipticCurvePrivateKey) -> tuple[bytes, str]:
    """The SPKI and id of the server key's public half (server_private_key keeps one
    object per key file, so this is worked out once)."""
    known = _server_key_ids.get(private)
    if known is None:
        spki = spki_of(private.public_key())
        known = _server_key_ids[private] = (spki, key_id(spki))
    return known


def _server_append(
    records: list[tuple[str, dict[str, Any]]], *, head: _HeadRow | None = None
) -> list[ServerEntry]:
    """Append `records` to the server's chain, each signed; `head` is its head if the
    caller locked it already. One INSERT and one UPDATE of the head (one statement on
    PostgreSQL)."""
    if head is None:
        head = _head_lock(SERVER_HEAD)
    private = server_private_key(settings.KASSA_JOURNAL_KEY_FILE)
    spki, kid = _server_key_id(private)
    now = timezone.now()
    if head.key_id != kid:
        # A first entry, or a key made anew (a lost data folder): say which key signs on.
        ServerKey.objects.bulk_create(
            [ServerKey(key_id=kid, spki=spki, created_at=now)], ignore_conflicts=True
        )
        public_key = base64.b64encode(spki).decode("ascii")
        first: tuple[str, dict[str, Any]]
        if head.seq == 0:
            first = ("JOURNAL_INIT", {"software": _software(), "key": public_key})
        else:
            first = (
                "JOURNAL_RESUME",
                {"key": public_key, "source": "server", "after_seq": head.seq},
            )
        records = [first, *records]
    at_text = timezone.localtime(now).isoformat(timespec="milliseconds")
    seq, prev_hash = head.seq, head.hash
    rows = []
    for kind, payload in records:
        seq += 1
        body = {"v": 1, **payload}
        canonical = canonicalize(
            {
                "v": 1,
                "terminal": SERVER_CHAIN,
                "seq": seq,
                "type": kind,
                "at": at_text,
                "cashier": None,
                "key": kid,
                "prev_hash": prev_hash,
                "payload": body,
            }
        )
        prev_hash = chain_hash(prev_hash, canonical)
        subject = body.get("terminal")
        rows.append(
            ServerEntry(
                seq=seq,
                type=kind,
                at_text=at_text,
                at=now,
                key_id=kid,
                canonical=canonical,
                hash=prev_hash,
                sig=signature_make(private, canonical),
                received_at=now,
                subject=subject[:16] if isinstance(subject, str) else "",
            )
        )
    if not _postgresql():
        ServerEntry.objects.bulk_create(rows)
        ChainHead.objects.filter(pk=head.pk).update(
            seq=seq, hash=prev_hash, key_id=kid, updated_at=now
        )
        return rows
    columns = "seq, type, at_text, at, key_id, canonical, hash, sig, received_at, subject"
    values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(rows))
    params: list[Any] = [
        seq,
        prev_hash,
        kid,
        head.gt_after,
        head.gt_abs_after,
        now,
        head.pk,
    ]
    for row in rows:
        params += [
            row.seq,
            row.type,
            row.at_text,
            row.at,
            row.key_id,
            row.canonical,
            row.hash,
            row.sig,
            row.received_at,
            row.subject,
        ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH head AS ({_HEAD_UPDATE}) INSERT INTO {ServerEntry._meta.db_table} "  # noqa: S608
            f"({columns}) VALUES {values} RETURNING id",
            params,
        )
        for row, (pk,) in zip(rows, cursor.fetchall(), strict=True):
            row.pk = pk
    return rows


def _software() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("kassa")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree
        return "unknown"
