"""`kassa backup` and `kassa restore` as an operator runs them, on the database the suite
runs on (SQLite, or PostgreSQL under scripts/pg_temp.py): a shop's database backed up
while it runs, restored into an empty database, and the same data read back."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

KASSA = [sys.executable, "-m", "kassa.cli"]
POSTGRES = os.environ.get("KASSA_DATABASE_URL", "").startswith(("postgres", "postgresql"))
TABLES = ("catalog_product", "staff_cashier", "terminals_terminal", "journal_serverkey")


def _env(data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KASSA_")}
    env["KASSA_DATA_DIR"] = str(data_dir)
    env["KASSA_LOG_LEVEL"] = "ERROR"
    if database_url:
        env["KASSA_DATABASE_URL"] = database_url
    return env


def kassa(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*KASSA, *args], env=env, capture_output=True, text=True, check=check, timeout=180
    )


@pytest.fixture
def databases() -> Iterator[tuple[str | None, str | None]]:
    """Two new, empty databases: the shop's and the one to restore into."""
    if not POSTGRES:
        yield None, None
        return
    import psycopg

    base = os.environ["KASSA_DATABASE_URL"]
    names = [f"kassa_backup_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    with psycopg.connect(base, autocommit=True) as admin:
        for name in names:
            admin.execute(f'CREATE DATABASE "{name}"')
    root = base.rsplit("/", 1)[0]
    try:
        yield f"{root}/{names[0]}", f"{root}/{names[1]}"
    finally:
        with psycopg.connect(base, autocommit=True) as admin:
            for name in names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def counts(env: dict[str, str], data_dir: Path, database_url: str | None) -> dict[str, Any]:
    if database_url is None:
        with sqlite3.connect(data_dir / "kassa.sqlite3") as db:
            return {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}  # noqa: S608
    import psycopg

    with psycopg.connect(database_url) as db:
        return {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}  # type: ignore[index]  # noqa: S608


def test_a_backup_restores_into_an_empty_database(
    tmp_path: Path, databases: tuple[str | None, str | None]
) -> None:
    shop_url, empty_url = databases
    shop = _env(tmp_path / "shop", shop_url)
    kassa(shop, "manage", "migrate", "--verbosity=0")
    kassa(shop, "manage", "demo_seed")
    # the server's chain gets its key (and the key file) as a running shop's has
    kassa(shop, "journal", "verify", check=False)
    before = counts(shop, tmp_path / "shop", shop_url)
    assert before["catalog_product"] > 0 and before["journal_serverkey"] == 1

    backup = tmp_path / "backups" / "kassa-monday.backup"
    written = kassa(shop, "backup", str(backup)).stdout
    assert f"wrote {backup}" in written
    assert (backup.parent / "kassa-monday.backup.journal_key.pem").stat().st_mode & 0o777 == 0o600
    # a backup never overwrites one
    again = kassa(shop, "backup", str(backup), check=False)
    assert again.returncode == 1 and "exists" in again.stderr

    # a restore refuses a database that has data
    refused = kassa(shop, "restore", str(backup), check=False)
    assert refused.returncode == 1 and "not empty" in refused.stderr

    new = _env(tmp_path / "new", empty_url)
    done = kassa(new, "restore", str(backup)).stdout
    assert "database restored" in done and "journal key restored" in done
    assert counts(new, tmp_path / "new", empty_url) == before
    key = (tmp_path / "shop" / "journal_key.pem").read_bytes()
    assert (tmp_path / "new" / "journal_key.pem").read_bytes() == key
    # the restored shop verifies its journal under the same key (no JOURNAL_RESUME)
    verified = kassa(new, "journal", "verify")
    assert verified.returncode == 0, verified.stderr


def test_kassa_says_which_extra_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import importlib.util

    from kassa.cli import main

    real = importlib.util.find_spec
    missing = {"django", "uvicorn"}
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name in missing else real(name, *a),
    )
    assert main(["demo"]) == 2
    assert "pip install 'kassa[server]'" in capsys.readouterr().err
    assert main(["proxy", "status"]) == 2
    assert "pip install 'kassa[proxy]'" in capsys.readouterr().err
