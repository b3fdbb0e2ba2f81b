"""The journal mirror: every entry the terminal hands its proxy, kept on the POS PC's disk.

A till whose browser storage is wiped loses the journal entries that had not reached the
server yet; the mirror is where it finds them again (docs/journal.md, "Recovery of a wiped
till"). So an entry is on disk, committed with `synchronous=FULL`, before the proxy says
it has it, and it is kept exactly as it came: the `canonical` bytes as received, never
rebuilt.

The mirror is its own SQLite file (`<state_dir>/journal.sqlite3`), apart from the job
store: deleting `proxy.sqlite3` to start the print queue afresh must never take the
journal with it.

What the mirror checks, entry by entry: the canonical form (parse `canonical`,
canonicalise it again, same bytes), `seq` as written inside, `hash` as `chain_hash`
gives it, seq 1 starting from the genesis hash, the batch one chain of one terminal, and
continuity with the entries it already holds on either side. What it cannot check: the
signature (the proxy has no keys; the server checks it) and the payload (the server
matches it to its order). One batch is written whole or not at all.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from kassa.jcs import GENESIS_HASH, CanonicalFormError, canonicalize, chain_hash
from kassa.proxy.errors import InvalidJournalEntry, JournalChainBroken, JournalFork
from kassa.proxy.store import SqliteFile, now

MAX_TERMINAL_LENGTH = 64

SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    terminal TEXT NOT NULL,
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    canonical BLOB NOT NULL,
    sig TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (terminal, seq)
) WITHOUT ROWID;
-- a mirror adds entries; it never changes or drops one
CREATE TRIGGER IF NOT EXISTS entries_never_updated BEFORE UPDATE ON entries
BEGIN SELECT RAISE(ABORT, 'journal entries are never changed'); END;
CREATE TRIGGER IF NOT EXISTS entries_never_deleted BEFORE DELETE ON entries
BEGIN SELECT RAISE(ABORT, 'journal entries are never deleted'); END;
"""


@dataclass(frozen=True, slots=True)
class WireEntry:
    """An entry as it travels (docs/journal.md, "Wire form")."""

    seq: int
    canonical: str
    hash: str
    sig: str

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "canonical": self.canonical, "hash": self.hash, "sig": self.sig}


@dataclass(frozen=True, slots=True)
class CheckedEntry:
    """A wire entry whose form and hash were checked, with the fields the mirror reads."""

    terminal: str
    seq: int
    hash: str
    prev_hash: str
    canonical: bytes
    sig: str


@dataclass(frozen=True, slots=True)
class TerminalSummary:
    terminal: str
    entries: int
    last_seq: int
    last_hash: str
    last_received_at: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "terminal": self.terminal,
            "entries": self.entries,
            "last_seq": self.last_seq,
            "last_hash": self.last_hash,
            "last_received_at": self.last_received_at,
        }


def _refuse(index: int, field: str, problem: str, *, code: type[InvalidJournalEntry]) -> NoReturn:
    path = f"entries.{index}.{field}"
    raise code(f"{path}: {problem}", details=[{"field": path, "message": problem}])


def entry_check(entry: WireEntry, index: int = 0) -> CheckedEntry:
    """The entry's own checks: everything that needs no other entry. `index` names it."""
    try:
        canonical = entry.canonical.encode("utf-8")
    except UnicodeEncodeError:
        _refuse(index, "canonical", "has a lone surrogate: no UTF-8 form", code=InvalidJournalEntry)
    try:
        parsed = json.loads(entry.canonical)
    except (ValueError, RecursionError):
        _refuse(index, "canonical", "is not JSON", code=InvalidJournalEntry)
    try:
        again = canonicalize(parsed)
    except CanonicalFormError as exc:
        _refuse(
            index, "canonical", f"holds what the journal cannot: {exc}", code=InvalidJournalEntry
        )
    except RecursionError:
        _refuse(index, "canonical", "is nested too deeply", code=InvalidJournalEntry)
    if again != canonical:
        _refuse(
            index,
            "canonical",
            "is not in the canonical form (canonicalising it again gives other bytes)",
            code=InvalidJournalEntry,
        )
    if not isinstance(parsed, dict):
        _refuse(index, "canonical", "is not a JSON object", code=InvalidJournalEntry)
    terminal = parsed.get("terminal")
    if not isinstance(terminal, str) or not 1 <= len(terminal) <= MAX_TERMINAL_LENGTH:
        _refuse(
            index,
            "canonical",
            f"terminal must be a string of 1 to {MAX_TERMINAL_LENGTH} characters",
            code=InvalidJournalEntry,
        )
    # type() first: True == 1 in Python, and a seq is never a boolean
    if type(parsed.get("seq")) is not int or parsed["seq"] != entry.seq:
        _refuse(
            index,
            "seq",
            f"is {entry.seq} but the entry says {parsed.get('seq')!r}",
            code=InvalidJournalEntry,
        )
    prev_hash = parsed.get("prev_hash")
    if not isinstance(prev_hash, str):
        _refuse(index, "canonical", "prev_hash must be a string", code=InvalidJournalEntry)
    try:
        expected = chain_hash(prev_hash, canonical)
    except ValueError as exc:
        _refuse(index, "canonical", str(exc), code=InvalidJournalEntry)
    if expected != entry.hash:
        _refuse(
            index,
            "hash",
            f"is not the chain hash of the entry (chain_hash(prev_hash, canonical) is {expected})",
            code=InvalidJournalEntry,
        )
    if entry.seq == 1 and prev_hash != GENESIS_HASH:
        _refuse(
            index,
            "canonical",
            "the first entry's prev_hash must be the genesis hash",
            code=JournalChainBroken,
        )
    return CheckedEntry(
        terminal=terminal,
        seq=entry.seq,
        hash=entry.hash,
        prev_hash=prev_hash,
        canonical=canonical,
        sig=entry.sig,
    )


def batch_check(entries: Sequence[WireEntry]) -> list[CheckedEntry]:
    """Each entry's checks, then the batch's: one terminal, consecutive seqs, one chain."""
    checked: list[CheckedEntry] = []
    for index, entry in enumerate(entries):
        current = entry_check(entry, index)
        if checked:
            previous = checked[-1]
            if current.terminal != previous.terminal:
                _refuse(
                    index,
                    "canonical",
                    f"is terminal {current.terminal!r}; a batch holds one terminal's entries "
                    f"(entries.0 is {checked[0].terminal!r})",
                    code=InvalidJournalEntry,
                )
            if current.seq != previous.seq + 1:
                _refuse(
                    index,
                    "seq",
                    f"is {current.seq} after {previous.seq}: a batch's entries are consecutive",
                    code=InvalidJournalEntry,
                )
            if current.prev_hash != previous.hash:
                _refuse(
                    index,
                    "canonical",
                    f"prev_hash is not the hash of seq {previous.seq} in this batch",
                    code=JournalChainBroken,
                )
        checked.append(current)
    return checked


class JournalMirror(SqliteFile):
    """The mirror's SQLite file. Blocking: call it from a worker thread (one lock inside)."""

    schema = SCHEMA

    def append(self, entries: Sequence[WireEntry]) -> tuple[str, int]:
        """Check and store a batch, whole or not at all; return (terminal, its last seq).

        An entry already held with the same hash is skipped (a retry); another entry at a
        held seq raises JournalFork; a bad entry raises InvalidJournalEntry (or its
        JournalChainBroken). Durable when it returns: committed with synchronous=FULL.
        """
        if not entries:
            raise ValueError("a batch holds at least one entry")
        checked = batch_check(entries)
        terminal = checked[0].terminal
        stamp = now()
        with self._transaction() as db:
            for index, entry in enumerate(checked):
                held = db.execute(
                    "SELECT hash FROM entries WHERE terminal = ? AND seq = ?",
                    (terminal, entry.seq),
                ).fetchone()
                if held is not None:
                    if held["hash"] == entry.hash:
                        continue  # a retry: the terminal did not hear the first answer
                    problem = (
                        f"{terminal} seq {entry.seq} is held with hash {held['hash']}; "
                        f"this entry's hash is {entry.hash}"
                    )
                    raise JournalFork(
                        f"entries.{index}: {problem}",
                        details=[{"field": f"entries.{index}", "message": problem}],
                    )
                self._continuity_check(db, entry, index)
                db.execute(
                    "INSERT INTO entries (terminal, seq, hash, prev_hash, canonical, sig,"
                    " received_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        terminal,
                        entry.seq,
                        entry.hash,
                        entry.prev_hash,
                        entry.canonical,
                        entry.sig,
                        stamp,
                    ),
                )
            return terminal, self._last_seq(db, terminal)

    @staticmethod
    def _continuity_check(db: sqlite3.Connection, entry: CheckedEntry, index: int) -> None:
        # Against the held neighbours only: the mirror may have a gap (it came after the
        # chain began, or the proxy was down), and an entry next to a gap is still kept.
        before = db.execute(
            "SELECT hash FROM entries WHERE terminal = ? AND seq = ?",
            (entry.terminal, entry.seq - 1),
        ).fetchone()
        if before is not None and before["hash"] != entry.prev_hash:
            _refuse(
                index,
                "canonical",
                f"prev_hash is not the hash of the held seq {entry.seq - 1} ({before['hash']})",
                code=JournalChainBroken,
            )
        after = db.execute(
            "SELECT prev_hash FROM entries WHERE terminal = ? AND seq = ?",
            (entry.terminal, entry.seq + 1),
        ).fetchone()
        if after is not None and after["prev_hash"] != entry.hash:
            _refuse(
                index,
                "hash",
                f"is not the prev_hash of the held seq {entry.seq + 1} ({after['prev_hash']})",
                code=JournalChainBroken,
            )

    @staticmethod
    def _last_seq(db: sqlite3.Connection, terminal: str) -> int:
        row = db.execute("SELECT max(seq) FROM entries WHERE terminal = ?", (terminal,)).fetchone()
        return int(row[0] or 0)

    def read(
        self, terminal: str, *, after: int = 0, limit: int = 500
    ) -> tuple[list[WireEntry], int]:
        """Up to `limit` entries of `terminal` after seq `after`, in seq order; its last seq."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, canonical, hash, sig FROM entries"
                " WHERE terminal = ? AND seq > ? ORDER BY seq LIMIT ?",
                (terminal, after, limit),
            ).fetchall()
            last_seq = self._last_seq(self._db, terminal)
        entries = [
            WireEntry(
                seq=row["seq"],
                canonical=bytes(row["canonical"]).decode("utf-8"),
                hash=row["hash"],
                sig=row["sig"],
            )
            for row in rows
        ]
        return entries, last_seq

    def summary(self) -> list[TerminalSummary]:
        """Per terminal: how many entries, the last one's seq, hash and arrival."""
        with self._lock:
            rows = self._db.execute(
                "SELECT e.terminal, counts.entries, e.seq, e.hash, e.received_at"
                " FROM (SELECT terminal, count(*) AS entries, max(seq) AS last_seq"
                "       FROM entries GROUP BY terminal) AS counts"
                " JOIN entries AS e ON e.terminal = counts.terminal AND e.seq = counts.last_seq"
                " ORDER BY e.terminal"
            ).fetchall()
        return [
            TerminalSummary(
                terminal=row["terminal"],
                entries=row["entries"],
                last_seq=row["seq"],
                last_hash=row["hash"],
                last_received_at=row["received_at"],
            )
            for row in rows
        ]
