"""The proxy's SQLite state: print jobs, pairing tokens, paired origins, drawer openings.

One connection, one lock, WAL with `synchronous=FULL`: a job is marked `printing` on disk
before its first byte leaves, which is what lets a restart tell "maybe printed" (never
sent again) from "not yet sent" (sent once the printer is ready).
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

JobState = Literal["queued", "printing", "printed", "failed", "waiting"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    key TEXT NOT NULL,
    kind TEXT NOT NULL,
    reprint INTEGER NOT NULL DEFAULT 0,
    open_drawer INTEGER NOT NULL DEFAULT 0,
    drawer_opened INTEGER NOT NULL DEFAULT 0,
    payload BLOB NOT NULL,
    state TEXT NOT NULL,
    fault TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    printed_at TEXT
);
-- the idempotency rule: one original print per key, reprints are separate jobs
CREATE UNIQUE INDEX IF NOT EXISTS jobs_key_once ON jobs (key) WHERE reprint = 0;
CREATE INDEX IF NOT EXISTS jobs_pending ON jobs (state, seq);
CREATE TABLE IF NOT EXISTS tokens (
    digest TEXT PRIMARY KEY,
    origin TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS paired_origins (
    origin TEXT PRIMARY KEY,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS used_pairing_codes (
    digest TEXT PRIMARY KEY,
    used_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS drawer_openings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    reason TEXT NOT NULL,
    source TEXT NOT NULL,
    ok INTEGER NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
"""


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Job:
    id: str
    key: str
    kind: str
    reprint: bool
    open_drawer: bool
    drawer_opened: bool
    payload: bytes
    state: JobState
    fault: str | None
    attempts: int
    created_at: str
    updated_at: str
    printed_at: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "job_id": self.id,
            "key": self.key,
            "kind": self.kind,
            "state": self.state,
            "fault": self.fault,
            "reprint": self.reprint,
            "open_drawer": self.open_drawer,
            "attempts": self.attempts,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "printed_at": self.printed_at,
        }


def _job(row: sqlite3.Row) -> Job:
    return Job(
        id=row["id"],
        key=row["key"],
        kind=row["kind"],
        reprint=bool(row["reprint"]),
        open_drawer=bool(row["open_drawer"]),
        drawer_opened=bool(row["drawer_opened"]),
        payload=bytes(row["payload"]),
        state=row["state"],
        fault=row["fault"],
        attempts=row["attempts"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        printed_at=row["printed_at"],
    )


class SqliteFile:
    """One SQLite file of the state directory, shared by threads behind one lock.

    FULL synchronous: in WAL mode NORMAL may lose the last commits on a power cut, and a
    job or a journal entry the proxy acknowledged must survive one.
    """

    schema = ""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(self.schema)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")


@dataclass(frozen=True, slots=True)
class Pairing:
    """A paired terminal as the status page lists it: `id` is the start of its token's
    digest (never the token), enough to revoke it by."""

    id: str
    origin: str
    label: str
    created_at: str
    last_seen_at: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "origin": self.origin,
            "label": self.label,
            "created_at": self.created_at,
            "last_seen_at": self.last_seen_at,
        }


PAIRING_ID_LENGTH = 12


class Store(SqliteFile):
    schema = SCHEMA

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        # Columns added after the first release: a state directory of an older proxy
        # gains them on start.
        columns = {row["name"] for row in self._db.execute("PRAGMA table_info(tokens)")}
        with self._transaction() as db:
            if "label" not in columns:
                db.execute("ALTER TABLE tokens ADD COLUMN label TEXT NOT NULL DEFAULT ''")
            if "last_seen_at" not in columns:
                db.execute("ALTER TABLE tokens ADD COLUMN last_seen_at TEXT")

    # -- jobs -----------------------------------------------------------------------------
    def job_add(
        self, *, key: str, kind: str, payload: bytes, open_drawer: bool, reprint: bool
    ) -> tuple[Job, bool]:
        """Queue a job; for an original (not a reprint) whose key exists, return that job.

        Returns (job, created).
        """
        stamp = now()
        with self._transaction() as db:
            if not reprint:
                row = db.execute(
                    "SELECT * FROM jobs WHERE key = ? AND reprint = 0", (key,)
                ).fetchone()
                if row is not None:
                    return _job(row), False
            job_id = uuid.uuid4().hex
            db.execute(
                "INSERT INTO jobs (id, key, kind, reprint, open_drawer, payload, state,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?)",
                (job_id, key, kind, int(reprint), int(open_drawer), payload, stamp, stamp),
            )
            row = db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
            return _job(row), True

    def job_by_key(self, key: str) -> Job | None:
        """The original (not a reprint) job queued under an idempotency key, if any."""
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM jobs WHERE key = ? AND reprint = 0", (key,)
            ).fetchone()
        return None if row is None else _job(row)

    def job_get(self, job_id: str) -> Job | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return None if row is None else _job(row)

    def job_next(self) -> Job | None:
        """The oldest job not yet printed: strict order, a waiting job holds the ones behind."""
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM jobs WHERE state IN ('queued', 'waiting') ORDER BY seq LIMIT 1"
            ).fetchone()
        return None if row is None else _job(row)

    def job_count_pending(self) -> int:
        with self._lock:
            row = self._db.execute(
                "SELECT count(*) FROM jobs WHERE state IN ('queued', 'waiting', 'printing')"
            ).fetchone()
        return int(row[0])

    def job_set_state(
        self,
        job_id: str,
        state: JobState,
        *,
        fault: str | None = None,
        expect: tuple[str, ...] | None = None,
        drawer_opened: bool | None = None,
    ) -> Job:
        """Move a job to `state`; with `expect`, only from one of those states."""
        stamp = now()
        with self._transaction() as db:
            row = db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
            job = _job(row)
            if expect is not None and job.state not in expect:
                raise RuntimeError(f"job {job_id} is {job.state}, expected {expect}")
            assignments = ["state = ?", "fault = ?", "updated_at = ?"]
            values: list[Any] = [state, fault, stamp]
            if state == "printing":
                assignments.append("attempts = attempts + 1")
            if state == "printed":
                # The bytes are not needed any more; the row stays for idempotency.
                assignments += ["printed_at = ?", "payload = x''"]
                values.append(stamp)
            if drawer_opened is not None:
                assignments.append("drawer_opened = ?")
                values.append(int(drawer_opened))
            # the SET clause is made of the constant fragments above only
            sql = f"UPDATE jobs SET {', '.join(assignments)} WHERE id = ?"  # noqa: S608
            db.execute(sql, (*values, job_id))
            row = db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
            return _job(row)

    def jobs_recover(self) -> list[str]:
        """After a crash, jobs caught `printing` may have printed: fail them, never resend."""
        with self._transaction() as db:
            rows = db.execute("SELECT id FROM jobs WHERE state = 'printing'").fetchall()
            db.execute(
                "UPDATE jobs SET state = 'failed', fault = 'interrupted', updated_at = ?"
                " WHERE state = 'printing'",
                (now(),),
            )
        return [row["id"] for row in rows]

    def jobs_recent(self, limit: int = 20) -> list[Job]:
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM jobs ORDER BY seq DESC LIMIT ?", (limit,)
            ).fetchall()
        return [_job(row) for row in rows]

    # -- pairing --------------------------------------------------------------------------
    def token_add(self, token: str, origin: str, label: str = "") -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT INTO tokens (digest, origin, created_at, label) VALUES (?, ?, ?, ?)",
                (digest(token), origin, now(), label),
            )

    def token_origin(self, token: str) -> str | None:
        with self._lock:
            row = self._db.execute(
                "SELECT origin, last_seen_at FROM tokens WHERE digest = ?", (digest(token),)
            ).fetchone()
        if row is None:
            return None
        seen = now()
        # Last seen to the minute: enough for the status page, one write a minute a till.
        if (row["last_seen_at"] or "")[:16] != seen[:16]:
            with self._transaction() as db:
                db.execute(
                    "UPDATE tokens SET last_seen_at = ? WHERE digest = ?", (seen, digest(token))
                )
        return str(row["origin"])

    def pairings(self) -> list[Pairing]:
        with self._lock:
            rows = self._db.execute(
                "SELECT digest, origin, label, created_at, last_seen_at FROM tokens"
                " ORDER BY created_at"
            ).fetchall()
        return [
            Pairing(
                id=str(row["digest"])[:PAIRING_ID_LENGTH],
                origin=str(row["origin"]),
                label=str(row["label"]),
                created_at=str(row["created_at"]),
                last_seen_at=row["last_seen_at"],
            )
            for row in rows
        ]

    def pairing_revoke(self, pairing_id: str) -> Pairing | None:
        """Forget one pairing (its token stops working at once); the origin stays allowed
        only while another pairing from it remains. None if no pairing has that id."""
        pairing_id = pairing_id.strip().lower()
        if len(pairing_id) < 6 or any(c not in "0123456789abcdef" for c in pairing_id):
            return None
        with self._transaction() as db:
            rows = db.execute(
                "SELECT digest, origin, label, created_at, last_seen_at FROM tokens"
                " WHERE substr(digest, 1, ?) = ?",
                (len(pairing_id), pairing_id),
            ).fetchall()
            if len(rows) != 1:
                return None  # unknown, or a prefix too short to name one
            row = rows[0]
            db.execute("DELETE FROM tokens WHERE digest = ?", (row["digest"],))
            left = db.execute(
                "SELECT 1 FROM tokens WHERE origin = ? LIMIT 1", (row["origin"],)
            ).fetchone()
            if left is None:
                db.execute("DELETE FROM paired_origins WHERE origin = ?", (row["origin"],))
        return Pairing(
            id=str(row["digest"])[:PAIRING_ID_LENGTH],
            origin=str(row["origin"]),
            label=str(row["label"]),
            created_at=str(row["created_at"]),
            last_seen_at=row["last_seen_at"],
        )

    def origin_add(self, origin: str) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO paired_origins (origin, created_at) VALUES (?, ?)",
                (origin, now()),
            )

    def origins(self) -> set[str]:
        with self._lock:
            rows = self._db.execute("SELECT origin FROM paired_origins").fetchall()
        return {str(row["origin"]) for row in rows}

    def pairing_code_use(self, code: str) -> bool:
        """Record a pairing code as used; False if it was used before."""
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO used_pairing_codes (digest, used_at) VALUES (?, ?)",
                (digest(code), now()),
            )
            return cursor.rowcount == 1

    def pairing_code_used(self, code: str) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM used_pairing_codes WHERE digest = ?", (digest(code),)
            ).fetchone()
        return row is not None

    # -- drawer ---------------------------------------------------------------------------
    def drawer_log(self, *, reason: str, source: str, ok: bool, detail: str = "") -> int:
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO drawer_openings (at, reason, source, ok, detail)"
                " VALUES (?, ?, ?, ?, ?)",
                (now(), reason, source, int(ok), detail),
            )
            return int(cursor.lastrowid or 0)

    def drawer_openings(self, limit: int = 50) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, at, reason, source, ok, detail FROM drawer_openings"
                " ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [{**dict(row), "ok": bool(row["ok"])} for row in rows]
