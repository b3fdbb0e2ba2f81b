"""Time from a print request to the last byte at a TCP printer, through the whole proxy.

    uv run python bench/proxy_print.py [--receipts 300] [--lines 12]

A network ESC/POS printer is simulated on 127.0.0.1 (records bytes, answers DLE EOT at
once), so what is measured is the proxy: HTTP, validation, rendering, SQLite (WAL,
synchronous=FULL) writes, the queue worker, the status check before each job and the send.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import select
import socket
import tempfile
import threading
import time

import httpx

from figures import percentile, report
from kassa.proxy.receipts import Layout, ReceiptDocument, render_receipt
from kassa.proxy.server import ProxyServer
from kassa.proxy.settings import load_settings

CUT = b"\x1dV\x01"


class Printer:
    """Counts receipts (cuts) as they arrive and answers status queries with "all fine"."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.cuts = 0
        self.arrived = threading.Condition()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        connections: list[socket.socket] = []
        tails: dict[socket.socket, bytes] = {}
        while not self.stop.is_set():
            ready, _, _ = select.select([self.listener, *connections], [], [], 0.05)
            for sock in ready:
                if sock is self.listener:
                    connection, _ = self.listener.accept()
                    connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    connections.append(connection)
                    tails[connection] = b""
                    continue
                data = sock.recv(65536)
                if not data:
                    connections.remove(sock)
                    sock.close()
                    continue
                stream = tails[sock] + data
                answers = stream.count(b"\x10\x04")
                if answers:
                    sock.sendall(b"\x12" * answers)
                cuts = stream.count(CUT)
                tails[sock] = stream[-2:]
                if cuts:
                    with self.arrived:
                        self.cuts += cuts
                        self.arrived.notify_all()
        for connection in connections:
            connection.close()
        self.listener.close()

    def wait_for(self, cuts: int, timeout: float = 10) -> None:
        with self.arrived:
            if not self.arrived.wait_for(lambda: self.cuts >= cuts, timeout):
                raise RuntimeError("the receipt did not arrive")


def receipt(lines: int) -> dict[str, object]:
    """A sale as the terminal sends it (docs/receipt.md): `lines` items with a detail row."""
    items: list[dict[str, object]] = []
    for index in range(lines):
        items += [
            {"type": "text", "text": f"Product number {index} with a longer name"},
            {"type": "pair", "left": "2 pc x 1.99 -10%", "right": "3.58"},
        ]
    blocks: list[dict[str, object]] = [
        {
            "type": "text",
            "text": "Kassa Bench Shop",
            "align": "center",
            "bold": True,
            "size": "large",
        },
        {"type": "text", "text": "Main Street 1", "align": "center"},
        {"type": "text", "text": "VAT ID DE123456789", "align": "center"},
        {"type": "blank"},
        {"type": "text", "text": "Receipt 2024-000001"},
        {"type": "pair", "left": "2024-05-03 14:22", "right": "Cashier: Anna"},
        {"type": "rule"},
        *items,
        {"type": "rule"},
        {"type": "pair", "left": "TOTAL", "right": "42.96 €", "bold": True, "size": "large"},
        {"type": "pair", "left": "Cash", "right": "50.00"},
        {"type": "pair", "left": "Change", "right": "7.04"},
        {"type": "blank"},
        {"type": "columns", "cells": ["Tax", "Net", "Tax amt", "Gross"]},
        {"type": "columns", "cells": ["19%", "36.10", "6.86", "42.96"]},
        {"type": "blank"},
        {"type": "text", "text": "Thank you!", "align": "center"},
        {"type": "code", "format": "qr", "value": "K-2024-000001"},
    ]
    return {"format": "kassa.receipt", "version": 1, "blocks": blocks}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--receipts", type=int, default=300)
    parser.add_argument("--lines", type=int, default=12)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)

    printer = Printer()
    with tempfile.TemporaryDirectory(prefix="kassa-bench-") as state:
        settings = load_settings(
            None,
            env={},
            overrides={
                "port": 0,
                "state_dir": state,
                "printer": {"url": f"tcp://127.0.0.1:{printer.port}", "status_interval": 5.0},
            },
        )
        document = receipt(args.lines)
        payload = render_receipt(ReceiptDocument.model_validate(document), Layout(columns=48))
        render = []
        for _ in range(200):
            started = time.perf_counter()
            render_receipt(ReceiptDocument.model_validate(document), Layout(columns=48))
            render.append(time.perf_counter() - started)

        end_to_end: list[float] = []
        response_times: list[float] = []
        with ProxyServer(settings, log_level="error") as server:
            headers = {"Authorization": f"Bearer {server.admin_token}"}
            with httpx.Client(base_url=server.url, headers=headers) as client:
                for index in range(args.warmup + args.receipts):
                    started = time.perf_counter()
                    response = client.post(
                        "/proxy/v1/print/receipt",
                        json={"key": f"bench-{index}", "receipt": document},
                    )
                    answered = time.perf_counter()
                    response.raise_for_status()
                    printer.wait_for(index + 1)
                    done = time.perf_counter()
                    if index >= args.warmup:
                        response_times.append(answered - started)
                        end_to_end.append(done - started)
        printer.stop.set()
        printer.thread.join()

    size = f"{args.lines} lines, {len(payload)} bytes each"
    print(f"kassa proxy print bench: {args.receipts} receipts of {size}")
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.system()}"
    print(f"machine: {machine}, Python {platform.python_version()}")
    print(f"state dir on: {tempfile.gettempdir()}")
    report("render only (validate, layout, ESC/POS)", render, width=38)
    report("HTTP request -> 202 response", response_times, width=38)
    report("request -> last byte at TCP printer", end_to_end, width=38)
    p95 = percentile(end_to_end, 0.95) * 1000
    print(f"target p95 <= 10 ms per receipt: {'met' if p95 <= 10 else 'NOT met'} ({p95:.2f} ms)")


if __name__ == "__main__":
    main()
