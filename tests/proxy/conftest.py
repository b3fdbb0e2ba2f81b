"""Real parts for the proxy's tests: a network ESC/POS printer on 127.0.0.1, pseudo-terminals
for serial devices, settings in a temporary state directory, and a leak check."""

from __future__ import annotations

import contextlib
import os
import select
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal

from kassa.proxy.app import create_app
from kassa.proxy.settings import Settings, load_settings


@dataclass
class PrinterFaults:
    paper: str = "ok"  # ok | near_end | out
    cover_open: bool = False
    no_answer: bool = False


@dataclass
class TcpPrinter:
    """A network printer on port 9100's protocol: records bytes, answers DLE EOT n.

    Under an injected paper-out or cover-open fault it answers status like a stopped
    printer (it still records the bytes, as a printer buffers them).
    """

    faults: PrinterFaults = field(default_factory=PrinterFaults)
    received: bytearray = field(default_factory=bytearray)
    connections: int = 0
    drawer_open: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _listener: socket.socket | None = None
    port: int = 0

    def start(self, port: int = 0) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(8)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._stop.clear()
        thread = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        thread.start()
        self._threads.append(thread)

    @property
    def url(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    def _accept(self, listener: socket.socket) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([listener], [], [], 0.02)
            if not ready:
                continue
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            self.connections += 1
            thread = threading.Thread(target=self._serve, args=(connection,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def status_byte(self, query: int) -> int:
        faults = self.faults
        stopped = faults.cover_open or faults.paper == "out"
        if query == 1:
            return 0x12 | (0x08 if stopped else 0) | (0x04 if self.drawer_open else 0)
        if query == 2:
            return (
                0x12 | (0x04 if faults.cover_open else 0) | (0x20 if faults.paper == "out" else 0)
            )
        if query == 4:
            return 0x12 | {"ok": 0, "near_end": 0x0C, "out": 0x6C}[faults.paper]
        return 0x12

    def _serve(self, connection: socket.socket) -> None:
        pending = b""
        with connection:
            while not self._stop.is_set():
                ready, _, _ = select.select([connection], [], [], 0.02)
                if not ready:
                    continue
                try:
                    data = connection.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                with self._lock:
                    self.received += data
                pending += data
                while b"\x10\x04" in pending:
                    index = pending.index(b"\x10\x04")
                    if len(pending) < index + 3:
                        break
                    query = pending[index + 2]
                    pending = pending[index + 3 :]
                    if not self.faults.no_answer:
                        # a client that hung up before the answer: a printer carries on
                        # with what it was sent, and so does this one
                        with contextlib.suppress(OSError):
                            connection.sendall(bytes([self.status_byte(query)]))
                if b"\x1bp" in pending:
                    self.drawer_open = True
                pending = pending[-2:]

    def stop(self) -> None:
        """Power off: every connection closes, new ones are refused."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=2)
        self._threads.clear()
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def printed(self) -> bytes:
        """What arrived, without the status queries."""
        with self._lock:
            data = bytes(self.received)
        for query in (b"\x10\x04\x01", b"\x10\x04\x02", b"\x10\x04\x04"):
            data = data.replace(query, b"")
        return data

    def wait_for(self, predicate: Any, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError("timed out waiting for the printer")
            time.sleep(0.005)


@pytest.fixture
def tcp_printer() -> Iterator[TcpPrinter]:
    printer = TcpPrinter()
    printer.start()
    yield printer
    printer.stop()


@dataclass
class Pty:
    master: int
    slave: int
    path: str

    def read(self, size: int, timeout: float = 2.0) -> bytes:
        """Exactly `size` bytes from the master end, or fail."""
        data = b""
        deadline = time.monotonic() + timeout
        while len(data) < size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"expected {size} bytes, got {data!r}")
            ready, _, _ = select.select([self.master], [], [], remaining)
            if ready:
                data += os.read(self.master, size - len(data))
        return data

    def read_available(self, wait: float = 0.05) -> bytes:
        data = b""
        while True:
            ready, _, _ = select.select([self.master], [], [], wait)
            if not ready:
                return data
            data += os.read(self.master, 4096)

    def write(self, data: bytes) -> None:
        os.write(self.master, data)


@pytest.fixture
def pty() -> Iterator[Pty]:
    master, slave = os.openpty()
    pair = Pty(master, slave, os.ttyname(slave))
    yield pair
    os.close(master)
    os.close(slave)


@pytest.fixture
def make_settings(tmp_path: Path) -> Any:
    def make(**overrides: Any) -> Settings:
        overrides.setdefault("state_dir", str(tmp_path / "state"))
        return load_settings(None, env={}, overrides=overrides)

    return make


@pytest.fixture(autouse=True)
def no_leftover_threads() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 3
    while True:
        left = [
            thread for thread in threading.enumerate() if thread not in before and thread.is_alive()
        ]
        if not left:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"threads left behind: {left}")
        time.sleep(0.01)


class AppClient:
    """The app in-process (httpx's ASGI transport) with its lifespan, for request/response rules.

    Starlette's TestClient would do, but in Starlette 1.x it warns unless `httpx2` is installed.
    """

    def __init__(self, settings: Settings, base_url: str = "http://127.0.0.1:8765") -> None:
        self.app = create_app(settings)
        self.base_url = base_url
        self._stack = ExitStack()
        self._portal: BlockingPortal | None = None
        self._client: httpx.AsyncClient | None = None

    def __enter__(self) -> AppClient:
        portal_cm: AbstractContextManager[BlockingPortal] = start_blocking_portal()
        self._portal = self._stack.enter_context(portal_cm)
        lifespan = self.app.router.lifespan_context(self.app)
        self._stack.enter_context(self._portal.wrap_async_context_manager(lifespan))
        transport = httpx.ASGITransport(app=self.app)
        self._client = httpx.AsyncClient(transport=transport, base_url=self.base_url)
        self._stack.enter_context(self._portal.wrap_async_context_manager(self._client))
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        assert self._portal is not None and self._client is not None
        client = self._client
        return self._portal.call(lambda: client.request(method, path, **kwargs))

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def options(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("OPTIONS", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)
