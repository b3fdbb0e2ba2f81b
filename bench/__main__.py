"""`make bench`: every benchmark in turn; each prints its own figures.

The server benchmark runs on the database KASSA_DATABASE_URL names (the Makefile starts a
throw-away PostgreSQL server for it).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PYTHON_BENCHES = [
    "server_bench.py",
    "journal_bench.py",
    "day_close_bench.py",
    "proxy_print.py",
    "proxy_display.py",
    "proxy_forward.py",
    "terminal_bench.py",
    "approval_bench.py",
]


def main() -> int:
    failed = 0
    for name in PYTHON_BENCHES:
        path = HERE / name
        if not path.exists():
            continue
        print(f"\n== {name}", flush=True)
        failed |= subprocess.run([sys.executable, str(path)], check=False).returncode
    search = HERE / "terminal_search.mjs"
    if search.exists():
        print("\n== terminal_search.mjs", flush=True)
        failed |= subprocess.run(["node", str(search)], check=False).returncode
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
