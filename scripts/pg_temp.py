#!/usr/bin/env python3
"""Run a command against a throw-away PostgreSQL server.

    python scripts/pg_temp.py -- pytest tests/server

initdb in a temporary folder, a server on a free loopback port, KASSA_DATABASE_URL set
for the command, everything removed afterwards. As root, the server runs as the
`postgres` user (PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time


def _pg_bin() -> str:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[4]))
    if candidates:
        return candidates[-1]
    initdb = shutil.which("initdb")
    if initdb:
        return os.path.dirname(os.path.realpath(initdb))
    sys.exit("pg_temp: PostgreSQL is not installed (apt-get install postgresql)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stop_on_sigterm(signum: int, frame: object) -> None:
    # `timeout` and CI stop us with SIGTERM: leave through `finally`, which stops the
    # server, instead of leaving it running with its temporary folder.
    raise SystemExit(128 + signum)


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    if "--" in argv:
        argv = argv[argv.index("--") + 1 :]
    if not argv:
        sys.exit("usage: pg_temp.py -- COMMAND [ARGS...]")
    pg_bin = _pg_bin()
    as_root = os.geteuid() == 0
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    workdir = tempfile.mkdtemp(prefix="kassa-pg-")
    data = os.path.join(workdir, "data")
    if as_root:
        shutil.chown(workdir, "postgres")
    port = _free_port()
    user = "postgres" if as_root else os.environ.get("USER", "kassa")
    subprocess.run(
        [
            *prefix,
            f"{pg_bin}/initdb",
            "-D",
            data,
            "-U",
            user,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    log = os.path.join(workdir, "server.log")
    subprocess.run(
        [
            *prefix,
            f"{pg_bin}/pg_ctl",
            "-D",
            data,
            "-l",
            log,
            "-w",
            "-o",
            f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
            "start",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    try:
        for _ in range(50):
            ready = subprocess.run(
                [f"{pg_bin}/pg_isready", "-h", "127.0.0.1", "-p", str(port)],
                stdout=subprocess.DEVNULL,
                check=False,
            )
            if ready.returncode == 0:
                break
            time.sleep(0.1)
        subprocess.run(
            [f"{pg_bin}/createdb", "-h", "127.0.0.1", "-p", str(port), "-U", user, "kassa"],
            check=True,
        )
        env = dict(os.environ)
        env["KASSA_DATABASE_URL"] = f"postgres://{user}@127.0.0.1:{port}/kassa"
        print(f"pg_temp: PostgreSQL on 127.0.0.1:{port}", flush=True)
        return subprocess.run(argv, env=env, check=False).returncode
    finally:
        subprocess.run(
            [*prefix, f"{pg_bin}/pg_ctl", "-D", data, "-m", "fast", "-w", "stop"],
            stdout=subprocess.DEVNULL,
            check=False,
        )
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
