"""`kassa backup FILE` and `kassa restore FILE`: the database, whichever it is.

- SQLite: SQLite's online backup API (`sqlite3.Connection.backup`), a consistent copy
  while tills keep syncing; the backup is itself a SQLite file. Restore copies it into the
  configured database file the same way.
- PostgreSQL: `pg_dump --format=custom` and `pg_restore` (their version must be at least
  the server's), with the connection of KASSA_DATABASE_URL (the password in
  PGPASSWORD, not on the command line).

The server's journal key (KASSA_JOURNAL_KEY_FILE) is not in the database: it is copied
beside the backup as `FILE.journal_key.pem` (mode 0600) and put back by restore when the
target has none. The secret key is configuration (KASSA_SECRET_KEY), not data.

A restore goes only into an empty database (no tables): it never merges into, or
overwrites, a shop's live data. Drop and re-create the database first, on purpose.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

KEY_SUFFIX = ".journal_key.pem"


class BackupError(Exception):
    """A backup or restore that cannot be done, with a sentence saying why."""


@dataclass(frozen=True)
class Database:
    vendor: str  # "sqlite" or "postgresql"
    name: str  # the SQLite file, or the PostgreSQL database name
    settings: Any  # the DATABASES entry

    @classmethod
    def configured(cls) -> Database:
        from django.conf import settings

        db = settings.DATABASES["default"]
        engine = str(db["ENGINE"])
        if engine.endswith("sqlite3"):
            return cls("sqlite", str(db["NAME"]), db)
        if "postgresql" in engine:
            return cls("postgresql", str(db["NAME"]), db)
        raise BackupError(f"kassa backup knows SQLite and PostgreSQL, not {engine}")

    def _pg_env(self) -> dict[str, str]:
        env = dict(os.environ)
        for key, variable in (
            ("HOST", "PGHOST"),
            ("PORT", "PGPORT"),
            ("USER", "PGUSER"),
            ("PASSWORD", "PGPASSWORD"),
        ):
            if self.settings.get(key):
                env[variable] = str(self.settings[key])
        env["PGDATABASE"] = self.name
        return env

    def is_empty(self) -> bool:
        if self.vendor == "sqlite":
            path = Path(self.name)
            if not path.exists() or path.stat().st_size == 0:
                return True
            with sqlite3.connect(path) as db:
                row = db.execute(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                    " AND name NOT LIKE 'sqlite_%'"
                ).fetchone()
            return int(row[0]) == 0
        import psycopg
        from psycopg.conninfo import make_conninfo

        params = {
            "dbname": self.name,
            "host": self.settings.get("HOST"),
            "port": self.settings.get("PORT"),
            "user": self.settings.get("USER"),
            "password": self.settings.get("PASSWORD"),
        }
        conninfo = make_conninfo("", **{k: str(v) for k, v in params.items() if v})
        with psycopg.connect(conninfo) as db:
            row = db.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
            ).fetchone()
        return row is not None and int(row[0]) == 0


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (apt-get install postgresql-client)")
    return found


def _sqlite_copy(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=WAL")
    src.close()
    dst.close()


def backup(out: Path) -> list[Path]:
    """Write the database to `out` (and the journal key beside it); the files written."""
    from django.conf import settings

    database = Database.configured()
    if out.exists():
        raise BackupError(f"{out} exists: a backup never overwrites a file")
    out.parent.mkdir(parents=True, exist_ok=True)
    if database.vendor == "sqlite":
        source = Path(database.name)
        if not source.exists():
            raise BackupError(f"no database at {source}")
        draft = out.with_name(f".{out.name}.partial")
        draft.unlink(missing_ok=True)
        try:
            _sqlite_copy(source, draft)
            with sqlite3.connect(draft) as check:
                result = check.execute("PRAGMA integrity_check").fetchone()[0]
            check.close()
            if result != "ok":
                raise BackupError(f"the copy does not check out: {result}")
            draft.rename(out)
        finally:
            draft.unlink(missing_ok=True)
    else:
        dump = subprocess.run(
            [_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={out}"],
            env=database._pg_env(),
            capture_output=True,
            text=True,
            check=False,
        )
        if dump.returncode != 0:
            out.unlink(missing_ok=True)
            raise BackupError(f"pg_dump failed: {dump.stderr.strip()}")
    written = [out]
    key = Path(settings.KASSA_JOURNAL_KEY_FILE)
    if key.exists():
        copy = out.with_name(out.name + KEY_SUFFIX)
        fd = os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key.read_bytes())
        written.append(copy)
    return written


def restore(source: Path) -> list[str]:
    """Restore `source` into the configured database, which must be empty; what was done."""
    from django.conf import settings

    if not source.is_file():
        raise BackupError(f"no backup at {source}")
    database = Database.configured()
    if not database.is_empty():
        raise BackupError(
            f"the database {database.name} is not empty: a restore goes only into an empty "
            "database (drop and create it, or point KASSA_DATABASE_URL at a new one)"
        )
    done = []
    if database.vendor == "sqlite":
        with sqlite3.connect(source) as check:
            try:
                tables = check.execute(
                    "SELECT count(*) FROM sqlite_master WHERE name = 'django_migrations'"
                ).fetchone()[0]
            except sqlite3.DatabaseError:
                raise BackupError(f"{source} is not a SQLite backup") from None
        check.close()
        if not tables:
            raise BackupError(f"{source} is not a Kassa database backup")
        target = Path(database.name)
        target.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        _sqlite_copy(source, target)
        done.append(f"database restored into {target}")
    else:
        result = subprocess.run(
            [
                _tool("pg_restore"),
                "--no-owner",
                "--exit-on-error",
                f"--dbname={database.name}",
                str(source),
            ],
            env=database._pg_env(),
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise BackupError(f"pg_restore failed: {result.stderr.strip()}")
        done.append(f"database restored into {database.name}")
    key_copy = source.with_name(source.name + KEY_SUFFIX)
    key = Path(settings.KASSA_JOURNAL_KEY_FILE)
    if key_copy.exists():
        if not key.exists():
            key.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(key_copy.read_bytes())
            done.append(f"journal key restored into {key}")
        elif key.read_bytes() != key_copy.read_bytes():
            done.append(
                f"journal key kept: {key} differs from the backup's; the server chain "
                "continues with a JOURNAL_RESUME under the key in place"
            )
    return done
