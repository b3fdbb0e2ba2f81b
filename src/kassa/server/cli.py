"""`kassa demo`, `kassa server`, `kassa import-products`, `kassa manage`, `kassa journal`,
`kassa export`, `kassa backup`, `kassa restore`."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def _django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kassa.server.settings")
    import django

    django.setup()


def _migrate(verbosity: int = 0) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)
    # Workers are forked from this process: a connection left open here would be shared
    # by all of them, and their queries would interleave on one socket.
    from django.db import connections

    connections.close_all()


# gunicorn refuses some requests before Django sees them, with an HTML page of its own.
# Its limits, stated here so docs/security.md can name them: the request line (method, URL
# and query) at most 4094 bytes, at most 100 headers of at most 8190 bytes each.
LIMIT_REQUEST_LINE = 4094
LIMIT_REQUEST_FIELDS = 100
LIMIT_REQUEST_FIELD_SIZE = 8190

_GUNICORN_ERRORS = {
    400: ("bad_request", "The request is not valid HTTP."),
    403: ("forbidden", "Forbidden."),
    414: (
        "uri_too_long",
        f"The request line is longer than {LIMIT_REQUEST_LINE} bytes; send a shorter URL.",
    ),
    417: ("error", "Expectation failed."),
    431: (
        "headers_too_large",
        f"The request has a header longer than {LIMIT_REQUEST_FIELD_SIZE} bytes or more than "
        f"{LIMIT_REQUEST_FIELDS} headers.",
    ),
}


def gunicorn_json_error(sock: Any, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's `util.write_error`, answering the API's JSON error shape instead of an
    HTML page (kassa.server.api.error_body; codes of common.errors.RequestErrorCode).

    gunicorn writes it for what it refuses before any application runs: a request line or
    a header beyond its limits, malformed HTTP. It cannot know the path then (the line
    may not even be read), so every such answer is JSON, the back office's too.
    """
    import orjson
    from gunicorn.util import write_nonblock

    code, message = _GUNICORN_ERRORS.get(
        status_int,
        ("internal_error", "The server failed; nothing was stored.")
        if status_int >= 500
        else ("error", "The request was refused."),
    )
    body = orjson.dumps({"error": {"code": code, "message": message}})
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        "X-Content-Type-Options: nosniff\r\n\r\n"
    )
    write_nonblock(sock, head.encode("latin-1") + body)


def _serve(host: str, port: int, workers: int, *, access_log: bool = False) -> int:
    import gunicorn.util
    from gunicorn.app.base import BaseApplication

    from kassa.server.wsgi import application

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("worker_class", "sync")
            self.cfg.set("timeout", 120)
            self.cfg.set("graceful_timeout", 10)
            self.cfg.set("keepalive", 5)
            self.cfg.set("limit_request_line", LIMIT_REQUEST_LINE)
            self.cfg.set("limit_request_fields", LIMIT_REQUEST_FIELDS)
            self.cfg.set("limit_request_field_size", LIMIT_REQUEST_FIELD_SIZE)
            if access_log:
                self.cfg.set("accesslog", "-")

        def load(self) -> Any:
            return application

    # The workers' error pages, in every worker: they are forked from this process, and
    # gunicorn.workers.base calls util.write_error by its module attribute.
    gunicorn.util.write_error = gunicorn_json_error
    Server().run()
    return 0


def server_main(args: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="kassa server", description="Run the main server.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--workers",
        type=int,
        # Measured (docs/performance.md): with the database on the same machine, more
        # workers than cores + 1 lose throughput to context switches.
        default=(os.cpu_count() or 1) + 1,
        help="worker processes (default: one per core + 1)",
    )
    parser.add_argument("--access-log", action="store_true")
    options = parser.parse_args(args)
    _django_setup()
    _migrate()
    return _serve(options.host, options.port, options.workers, access_log=options.access_log)


def import_main(args: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="kassa import-products",
        description="Import products from a CSV file (see docs/import.md). With any bad row "
        "nothing is imported, unless --partial.",
    )
    parser.add_argument("file", type=Path)
    parser.add_argument(
        "--partial", action="store_true", help="import the good rows even if others have errors"
    )
    options = parser.parse_args(args)
    _django_setup()
    _migrate()
    from kassa.server.catalog.importer import product_import

    try:
        data = options.file.read_bytes()
    except OSError as exc:
        print(f"kassa import-products: {exc}", file=sys.stderr)
        return 2
    report = product_import(data, partial=options.partial)
    print(report.summary())
    return 0 if report.imported and not report.errors else 1


def manage_main(args: Sequence[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kassa.server.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["kassa manage", *args])
    return 0


def journal_main(args: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="kassa journal",
        description='The tamper-evident journal (docs/journal.md, "Verifying and archiving").',
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    verify = actions.add_parser(
        "verify",
        help="verify the stored chains, or an archive offline",
        description="Verify every terminal's stored chain (or one), the server chain and the "
        "SALE entries against the paid orders, and record the run on the server chain. Given "
        "an ARCHIVE, verify that archive alone, without the database. Exit 0 if all is "
        "well, 1 naming the first problem of each chain.",
    )
    verify.add_argument(
        "archive", nargs="?", type=Path, metavar="ARCHIVE", help="a journal archive (.zip)"
    )
    verify.add_argument("--terminal", metavar="T", help="only this terminal's chain (its code)")
    verify.add_argument(
        "--from-seq", type=int, default=1, metavar="N", help="verify the chains from seq N on"
    )
    verify.add_argument(
        "--workers", type=int, metavar="N", help="processes that verify (default: one per core)"
    )
    verify.add_argument(
        "--server-key",
        metavar="KEY",
        help="with an ARCHIVE: the id of the server key that must have signed it",
    )
    archive = actions.add_parser(
        "archive",
        help="write a terminal's entries of one month to a zip that verifies on its own",
        description="Write the terminal's entries whose `at` falls in the month (the till's "
        "own clock) to DIR/journal-T-YYYY-MM.zip, and record it on the server chain.",
    )
    archive.add_argument("--terminal", required=True, metavar="T", help="the terminal's code")
    archive.add_argument("--period", required=True, metavar="YYYY-MM", help="the month")
    archive.add_argument(
        "--out", type=Path, default=Path("."), metavar="DIR", help="folder (default: here)"
    )
    options = parser.parse_args(args)
    if options.action == "archive":
        return _journal_archive(options.terminal, options.period, options.out)
    if options.archive is not None:
        if options.terminal is not None or options.from_seq != 1 or options.workers is not None:
            parser.error("an ARCHIVE is verified whole: no --terminal, --from-seq or --workers")
        return _journal_archive_verify(options.archive, options.server_key)
    if options.server_key is not None:
        parser.error("--server-key goes with an ARCHIVE")
    return _journal_verify(options.terminal, options.from_seq, options.workers)


def _journal_archive_verify(path: Path, server_key: str | None) -> int:
    # No Django here: an archive is verified where there is no database (an auditor's
    # machine); kassa.server.journal.archive imports none.
    from kassa.server.journal.archive import ArchiveProblem, archive_verify

    try:
        report = archive_verify(path, server_key=server_key)
    except ArchiveProblem as problem:
        print(f"kassa journal verify: {path}: {problem}", file=sys.stderr)
        return 1
    print(report.summary())
    return 0


def _journal_verify(terminal: str | None, from_seq: int, workers: int | None) -> int:
    _django_setup()
    _migrate()
    from kassa.server.journal.audit import journal_audit
    from kassa.server.orders.selectors import orders_paid_of_terminal

    try:
        report = journal_audit(
            paid_orders=orders_paid_of_terminal,
            terminal_code=terminal,
            from_seq=from_seq,
            workers=workers,
        )
    except LookupError as problem:
        print(f"kassa journal verify: {problem}", file=sys.stderr)
        return 2
    for line in report.problems():
        print(line, file=sys.stderr)
    print(report.summary())
    return 0 if report.ok else 1


def _journal_archive(terminal: str, period: str, out: Path) -> int:
    _django_setup()
    _migrate()
    from kassa.server.journal.archive_export import ArchiveError, journal_archive_export

    try:
        written = journal_archive_export(terminal_code=terminal, period=period, out_dir=out)
    except ArchiveError as problem:
        print(f"kassa journal archive: {problem}", file=sys.stderr)
        return 1
    print(written.summary())
    return 0


def export_main(args: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="kassa export", description="Exports for the tax authorities (docs/dsfinvk.md)."
    )
    formats = parser.add_subparsers(dest="format", required=True, metavar="FORMAT")
    dsfinvk = formats.add_parser(
        "dsfinvk",
        help="the German DSFinV-K export of a terminal's Zs",
        description="Write DIR/dsfinvk-T-Z1-Z2.zip: one Kassenabschluss per Z of the terminal "
        "from Z1 to Z2, checked with the dsfinvk package's validator. Without a TSE it is not "
        "sufficient in Germany (docs/dsfinvk.md).",
    )
    dsfinvk.add_argument("--terminal", required=True, metavar="T", help="the terminal's code")
    dsfinvk.add_argument("--from", dest="first", type=int, required=True, metavar="Z1")
    dsfinvk.add_argument("--to", dest="last", type=int, required=True, metavar="Z2")
    dsfinvk.add_argument(
        "--out", type=Path, default=Path("."), metavar="DIR", help="folder (default: here)"
    )
    dsfinvk.add_argument(
        "--no-validate",
        action="store_true",
        help="skip the dsfinvk package's validator (it reads a year of receipts for minutes)",
    )
    options = parser.parse_args(args)
    _django_setup()
    _migrate()
    from kassa.server.reports.dsfinvk import ExportError, dsfinvk_export

    try:
        report = dsfinvk_export(
            terminal_code=options.terminal,
            first_z=options.first,
            last_z=options.last,
            out_dir=options.out,
            validate=not options.no_validate,
        )
    except ExportError as problem:
        print(f"kassa export dsfinvk: {problem}", file=sys.stderr)
        return 1
    print(report.summary())
    return 0


def demo_main(args: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="kassa demo", description="A demo shop on SQLite with the hardware proxy."
    )
    parser.add_argument("--data", type=Path, default=Path("demo-data"), help="demo data folder")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--proxy-port", type=int, default=8765)
    parser.add_argument("--no-proxy", action="store_true", help="do not start the proxy")
    parser.add_argument("--reset", action="store_true", help="start from a new demo database")
    options = parser.parse_args(args)
    data_dir = options.data.resolve()
    if options.reset and (data_dir / "kassa.sqlite3").exists():
        for name in ("kassa.sqlite3", "kassa.sqlite3-wal", "kassa.sqlite3-shm"):
            (data_dir / name).unlink(missing_ok=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["KASSA_DATA_DIR"] = str(data_dir)
    os.environ.pop("KASSA_DATABASE_URL", None)
    _django_setup()
    _migrate()
    from kassa.server.demo import demo_banner, demo_seed

    # The demo opens on a dashboard with something on it: 60 days of two stores' sales.
    credentials = demo_seed(proxy_url=f"http://127.0.0.1:{options.proxy_port}", history_days=60)
    proxy = None
    if not options.no_proxy:
        proxy = _start_proxy(data_dir, options.proxy_port, options.port)
    print(demo_banner(credentials, port=options.port, proxy_port=options.proxy_port), flush=True)
    try:
        return _serve("127.0.0.1", options.port, 2)
    finally:
        if proxy is not None and proxy.poll() is None:
            proxy.send_signal(signal.SIGTERM)
            try:
                proxy.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proxy.kill()


def _start_proxy(data_dir: Path, port: int, server_port: int) -> subprocess.Popen[bytes] | None:
    import importlib.util

    demo_config = Path(__file__).resolve().parent.parent / "proxy" / "demo.toml"
    if not demo_config.exists() or importlib.util.find_spec("uvicorn") is None:
        print(
            "kassa demo: the hardware proxy is not installed (pip install 'kassa[proxy]'); "
            "starting without it: receipts print through the browser."
        )
        return None
    env = dict(os.environ)
    env["KASSA_PROXY_STATE_DIR"] = str(data_dir / "proxy")
    env["KASSA_PROXY_ALLOWED_ORIGINS"] = (
        f"http://127.0.0.1:{server_port},http://localhost:{server_port}"
    )
    # The proxy also serves the till at http://127.0.0.1:<port>/pos/, as on a POS PC.
    env["KASSA_PROXY_SERVER"] = f"http://127.0.0.1:{server_port}"
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kassa.cli",
            "proxy",
            "--config",
            str(demo_config),
            "--port",
            str(port),
        ],
        env=env,
    )


def backup_main(args: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="kassa backup",
        description="Back up the database while the server runs: SQLite's online backup, or "
        "pg_dump on PostgreSQL. The server's journal key is copied beside it "
        "(FILE.journal_key.pem). See docs/install.md, Backups.",
    )
    parser.add_argument("file", type=Path, help="the backup file to write (never overwritten)")
    options = parser.parse_args(args)
    _django_setup()
    from kassa.server.backup import BackupError, backup

    try:
        written = backup(options.file.resolve())
    except BackupError as problem:
        print(f"kassa backup: {problem}", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path}")
    return 0


def restore_main(args: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="kassa restore",
        description="Restore a backup of kassa backup into the configured database, which "
        "must be empty (KASSA_DATABASE_URL, or the data folder's SQLite file). Stop the "
        "servers first; start them afterwards (they migrate a backup of an older release).",
    )
    parser.add_argument("file", type=Path, help="a file written by kassa backup")
    options = parser.parse_args(args)
    _django_setup()
    from kassa.server.backup import BackupError, restore

    try:
        done = restore(options.file.resolve())
    except BackupError as problem:
        print(f"kassa restore: {problem}", file=sys.stderr)
        return 1
    for line in done:
        print(line)
    return 0


def main(command: str, args: Sequence[str]) -> int:
    handlers = {
        "backup": backup_main,
        "restore": restore_main,
        "demo": demo_main,
        "server": server_main,
        "import-products": import_main,
        "manage": manage_main,
        "journal": journal_main,
        "export": export_main,
    }
    return handlers[command](args)
