"""Customer display update latency: from the HTTP request to the last byte on the serial line.

    uv run python bench/proxy_display.py [--updates 300]

The display is an Epson-mode pole display on a pseudo-terminal (a real serial port for
pyserial; a pty does not throttle to the baud rate, so at 9600 baud add ~50 ms of wire
time for a 2x20 frame). Also measured: the same update on the virtual display.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import select
import tempfile
import time

import httpx

from figures import report
from kassa.proxy.server import ProxyServer
from kassa.proxy.settings import load_settings

FRAME_BYTES = 4 + 2 * (4 + 20)  # cursor off, clear, two positioned 20-character lines


def read_exactly(fd: int, size: int) -> bytes:
    data = b""
    while len(data) < size:
        ready, _, _ = select.select([fd], [], [], 5)
        if not ready:
            raise RuntimeError(f"display frame incomplete: {data!r}")
        data += os.read(fd, size - len(data))
    return data


def item(index: int) -> dict[str, list[str]]:
    """An item frame as the terminal builds it: the name, then quantity x price and total."""
    return {"lines": [f"Product {index}", "2 x 1.99        3.98"]}


def bench(display_url: str, updates: int, warmup: int, master: int | None) -> list[float]:
    with tempfile.TemporaryDirectory(prefix="kassa-bench-") as state:
        settings = load_settings(
            None,
            env={},
            overrides={
                "port": 0,
                "state_dir": state,
                "display": {"url": display_url, "idle_seconds": 0},
            },
        )
        timings: list[float] = []
        with ProxyServer(settings, log_level="error") as server:
            headers = {"Authorization": f"Bearer {server.admin_token}"}
            with httpx.Client(base_url=server.url, headers=headers) as client:
                client.post("/proxy/v1/display/welcome").raise_for_status()
                if master is not None:
                    time.sleep(0.1)
                    os.read(master, 65536)  # the welcome frame and the init
                for index in range(warmup + updates):
                    started = time.perf_counter()
                    client.post("/proxy/v1/display", json=item(index)).raise_for_status()
                    if master is not None:
                        read_exactly(master, FRAME_BYTES)
                    if index >= warmup:
                        timings.append(time.perf_counter() - started)
        return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--updates", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)

    master, slave = os.openpty()
    try:
        serial = bench(
            f"serial://{os.ttyname(slave)}?baudrate=9600&protocol=epson",
            args.updates,
            args.warmup,
            master,
        )
    finally:
        os.close(master)
        os.close(slave)
    virtual = bench("virtual:", args.updates, args.warmup, None)

    print(f"kassa proxy display bench: {args.updates} item updates (2x20, Epson DM-D)")
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.system()}"
    print(f"machine: {machine}, Python {platform.python_version()}")
    report("request -> last byte on the serial line (pty)", serial)
    report("request -> response, virtual display", virtual)


if __name__ == "__main__":
    main()
