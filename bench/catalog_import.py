"""The product import alone, at any size, on SQLite or PostgreSQL (issue 17), and the
server's share of a catalog delta.

    uv run --frozen python bench/catalog_import.py --products 300000             # SQLite
    python scripts/pg_temp.py -- uv run --frozen python bench/catalog_import.py --products 1000000

With KASSA_DATABASE_URL set (scripts/pg_temp.py sets it) on PostgreSQL, else on SQLite in
a temporary data folder. Prints, for `kassa import-products` run as a shop would (its own
process, migrations already done): the wall time and the peak RSS of that process, for
new products and for the same file again (every product updated). Then, unless
--no-delta, the server's share of a delta: `--delta` products' prices changed, and the
delta page asked for by a paired device token over HTTP, as the till asks for it (gzip),
three times: built from the database (a new version each time), then again from the
page cache.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.catalog_bench import DELTA_SCRIPT, DbServer, cli, env, new_pairing_code
from bench.terminal_bench import write_csv
from tests.browser.conftest import KASSA

PAGE_SIZE = 25_000  # sync/catalog.js PAGE_SIZE


def timed_import(folder: Path, csv: Path) -> tuple[float, float, int, str]:
    """`kassa import-products` in its own process: wall time, its CPU time (user + system;
    on a shared machine the steadier figure for SQLite, where all the work is in that
    process), peak RSS in kB (of that process alone, from wait4), the report's first line."""
    t0 = time.perf_counter()
    process = subprocess.Popen(
        [*KASSA, "import-products", str(csv)],
        env=env(folder),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert process.stdout is not None
    output = process.stdout.read().decode()
    _, status, usage = os.wait4(process.pid, 0)
    took = time.perf_counter() - t0
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise RuntimeError(f"kassa import-products: {output}")
    cpu = usage.ru_utime + usage.ru_stime
    return took, cpu, usage.ru_maxrss, output.strip().splitlines()[0]


def delta_request(port: int, token: str, since: int) -> tuple[float, int, int]:
    """One delta exchange as the till makes it: every page, gzip. Seconds, bytes, products."""
    t0 = time.perf_counter()
    after, size, products = 0, 0, 0
    while after is not None:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/catalog/products"
            f"?since={since}&after={after}&limit={PAGE_SIZE}",
            headers={
                "Accept": "application/json",
                "Accept-Encoding": "gzip",
                "Authorization": f"Bearer {token}",
            },
        )
        with urllib.request.urlopen(request, timeout=300) as response:  # noqa: S310
            raw = response.read()
            gzipped = response.headers.get("Content-Encoding") == "gzip"
        size += len(raw)
        page = json.loads(gzip.decompress(raw) if gzipped else raw)
        products += len(page["products"])
        after = page["next_after"]
    return time.perf_counter() - t0, size, products


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=300_000)
    parser.add_argument("--delta", type=int, default=10_000)
    parser.add_argument("--no-again", action="store_true", help="skip the re-import")
    parser.add_argument("--no-delta", action="store_true", help="skip the delta")
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="kassa-catalog-import-"))
    try:
        return run(folder, options)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run(folder: Path, options: argparse.Namespace) -> int:
    database = "PostgreSQL" if os.environ.get("KASSA_DATABASE_URL") else "SQLite"
    cli(folder, "manage", "migrate")
    cli(folder, "manage", "demo_seed", "--json")  # a shop with its taxes and a few products
    csv = folder / "products.csv"
    write_csv(csv, options.products)
    size = csv.stat().st_size / 2**20
    lines = [f"{database}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start"]
    print(lines[0], flush=True)

    def say(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    took, cpu, rss, report = timed_import(folder, csv)
    say(
        f"import-products {options.products:,} rows ({size:.0f} MB), new: {took:.1f} s "
        f"(its CPU {cpu:.1f} s), peak RSS {rss / 1024:.0f} MB ({report})"
    )
    if not options.no_again:
        took, cpu, rss, report = timed_import(folder, csv)
        say(
            f"import-products {options.products:,} rows, the same file again: {took:.1f} s "
            f"(its CPU {cpu:.1f} s), peak RSS {rss / 1024:.0f} MB ({report})"
        )
    if not options.no_delta:
        server = DbServer(folder)
        server.start()
        try:
            code = new_pairing_code(folder)
            token = pair(server.port, code)
            change = DELTA_SCRIPT.format(count=options.delta)
            since = catalog_token(server.port, token)
            cli(folder, "manage", "shell", "-c", change)
            delta_request(server.port, token, since)  # a first request warms the workers
            cold, cached = [], []
            for _ in range(3):
                # A new version each round (the same products changed once more): the
                # page is built from the database, then asked for again from the cache.
                since = catalog_token(server.port, token)
                cli(folder, "manage", "shell", "-c", change)
                took, size_bytes, count = delta_request(server.port, token, since)
                cold.append(took)
                cached.append(delta_request(server.port, token, since)[0])
            say(
                f"delta of {count:,} products ({size_bytes / 1024:.0f} kB gzip), the server's "
                f"share over HTTP: from the database {ms(cold)}; from the page cache {ms(cached)}"
            )
        finally:
            server.stop()
    print("summary:")
    for line in lines:
        print(f"  {line}")
    return 0


def ms(values: list[float]) -> str:
    return (
        "median "
        + f"{statistics.median(values) * 1000:.0f} ms ("
        + ", ".join(f"{v * 1000:.0f}" for v in values)
        + ")"
    )


def pair(port: int, code: str) -> str:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/pair",
        data=json.dumps({"code": code, "label": "bench"}).encode(),
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        return str(json.loads(response.read())["token"])


def catalog_token(port: int, token: str) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/catalog",
        headers={"Accept": "application/json", "Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        return int(json.loads(response.read())["token"])


if __name__ == "__main__":
    sys.exit(main())
