"""Real parts for the terminal's end-to-end tests: the Kassa server as a subprocess
(`kassa server`, gunicorn, SQLite in a temporary data folder) and the Debian Chromium
driven by Playwright.

Every test gets its own server and data folder, copied from one migrated and seeded
template, so tests never share a cash session or a receipt counter. The database is
checked by reading the server's SQLite file directly (read-only `sqlite3`): the test
process never loads Django settings for it, and what is read is exactly what the server
stored.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

CHROMIUM = os.environ.get("KASSA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
KASSA = [sys.executable, "-m", "kassa.cli"]
PIN = {"Alice": "1234", "Bob": "2345", "Maria (manager)": "9999"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _server_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KASSA_")}
    env["KASSA_DATA_DIR"] = str(data_dir)
    env["KASSA_LOG_LEVEL"] = "ERROR"
    return env


def _cli(data_dir: Path, *args: str) -> str:
    result = subprocess.run(
        [*KASSA, *args],
        env=_server_env(data_dir),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return result.stdout


@dataclass
class KassaServer:
    """`kassa server` on 127.0.0.1:port over data_dir; stop() and start() keep both."""

    data_dir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    unused_code: str | None = None  # the template's pairing code, still unused in this copy
    terminal_dir: Path | None = None  # serve this folder as /pos/ (KASSA_TERMINAL_DIR)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pos_url(self) -> str:
        return f"{self.url}/pos/"

    def start(self) -> None:
        assert self.process is None
        env = _server_env(self.data_dir)
        if self.terminal_dir is not None:
            env["KASSA_TERMINAL_DIR"] = str(self.terminal_dir)
        log = (self.data_dir / "server.log").open("ab")
        try:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "kassa.cli",
                    "server",
                    "--port",
                    str(self.port),
                    "--workers",
                    "2",
                ],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        finally:
            log.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited: {self.log()}")
            try:
                with urllib.request.urlopen(self.pos_url, timeout=1) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.1)
        raise RuntimeError(f"the server did not start: {self.log()}")

    def stop(self) -> None:
        """SIGTERM, as an operator stops it; the port stays free for start()."""
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def log(self) -> str:
        path = self.data_dir / "server.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def new_pairing_code(self) -> str:
        if self.unused_code:
            unused, self.unused_code = self.unused_code, None
            return unused
        code: str = json.loads(_cli(self.data_dir, "manage", "demo_seed", "--json"))["pairing_code"]
        return code

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Rows from the server's SQLite database, read-only."""
        uri = f"file:{self.data_dir / 'kassa.sqlite3'}?mode=ro"
        connection = sqlite3.connect(uri, uri=True, timeout=10)
        try:
            return connection.execute(sql, params).fetchall()
        finally:
            connection.close()

    def orders(self) -> list[dict[str, Any]]:
        rows = self.query(
            "SELECT id, uuid, receipt_number, CAST(total_gross AS TEXT), CAST(change AS TEXT), "
            "note FROM orders_order ORDER BY id"
        )
        result = []
        for pk, uuid, number, gross, change, note in rows:
            payments = self.query(
                "SELECT m.name, CAST(p.amount AS TEXT) FROM orders_payment p "
                "JOIN terminals_paymentmethod m ON m.id = p.method_id "
                "WHERE p.order_id = ? ORDER BY p.id",
                (pk,),
            )
            lines = self.query(
                "SELECT pr.name, CAST(l.quantity AS TEXT), CAST(l.gross AS TEXT), "
                "CAST(l.discount AS TEXT), l.approved_by_id FROM orders_orderline l "
                "JOIN catalog_product pr ON pr.id = l.product_id WHERE l.order_id = ? "
                "ORDER BY l.id",
                (pk,),
            )
            result.append(
                {
                    "uuid": uuid,
                    "receipt_number": number,
                    "gross": money(gross),
                    "change": money(change),
                    "note": note,
                    "payments": [(name, money(amount)) for name, amount in payments],
                    "lines": [
                        (name, Decimal(q).quantize(Decimal("0.001")), money(g), Decimal(d), a)
                        for name, q, g, d, a in lines
                    ],
                }
            )
        return result

    def barcode(self, product_name: str) -> str:
        ((code,),) = self.query(
            "SELECT b.code FROM catalog_barcode b JOIN catalog_product p ON p.id = b.product_id "
            "WHERE p.name = ? ORDER BY b.id LIMIT 1",
            (product_name,),
        )
        return str(code)


def money(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


@dataclass
class Template:
    folder: Path
    pairing_code: str


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    """A migrated data folder with the demo shop, made once per run."""
    folder = tmp_path_factory.mktemp("kassa-template")
    _cli(folder, "manage", "migrate")
    seed = json.loads(_cli(folder, "manage", "demo_seed", "--json"))
    return Template(folder, seed["pairing_code"])


def make_server(template: Template, folder: Path) -> KassaServer:
    for name in ("kassa.sqlite3", "secret_key"):
        shutil.copy(template.folder / name, folder / name)
    server = KassaServer(data_dir=folder, unused_code=template.pairing_code)
    server.start()
    return server


@pytest.fixture
def server(seeded_template: Template, tmp_path: Path) -> Iterator[KassaServer]:
    """A running server of its own, with the demo shop."""
    folder = tmp_path / "server"
    folder.mkdir()
    server = make_server(seeded_template, folder)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def module_server(
    seeded_template: Template, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[KassaServer]:
    """A server shared by a module's tests that do not change its data."""
    server = make_server(seeded_template, tmp_path_factory.mktemp("server"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
    )
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile: empty IndexedDB, no service worker."""
    context = browser.new_context(viewport={"width": 1024, "height": 768}, accept_downloads=True)
    try:
        yield context
    finally:
        context.close()


class Till:
    """The terminal as a cashier uses it: taps and scans, through the page."""

    def __init__(self, page: Page, server: KassaServer):
        self.page = page
        self.server = server
        self.errors: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def open(self) -> None:
        self.page.goto(self.server.pos_url)

    def pair(self) -> None:
        self.page.fill("[data-test=pair-code]", self.server.new_pairing_code())
        self.page.click("[data-test=pair-submit]")
        self.page.wait_for_selector("[data-test=cashier-tile]", timeout=30_000)

    def pin(self, digits: str, pad: str = "pinpad-keys") -> None:
        for digit in digits:
            self.page.click(f"[data-test={pad}] [data-key='{digit}']")
        self.page.click(f"[data-test={pad}] [data-key=OK]")

    def login(self, name: str = "Alice") -> None:
        self.page.click(f"[data-test=cashier-tile][data-name='{name}']")
        self.pin(PIN[name])

    def open_session(self, opening_float: str = "100") -> None:
        self.page.wait_for_selector("[data-test=open-session]")
        for key in opening_float:
            self.page.click(f"[data-test=float-pad] [data-key='{key}']")
        self.page.click("[data-test=open-session]")
        self.wait_for_sale()

    def wait_for_sale(self) -> None:
        self.page.wait_for_selector("[data-test=search]")

    def start(self, cashier: str = "Alice", opening_float: str = "100") -> None:
        """Open, pair, log in and open a cash session: ready to sell."""
        self.open()
        self.pair()
        self.login(cashier)
        self.open_session(opening_float)
        self.wait_offline_ready()

    def wait_offline_ready(self) -> None:
        """The service worker is active and controls the page (the shell is cached)."""
        self.page.wait_for_function(
            "document.documentElement.dataset.offlineReady === 'true' && "
            "navigator.serviceWorker.controller !== null"
        )

    def search(self, text: str) -> None:
        self.page.fill("[data-test=search]", text)

    def add(self, name: str) -> None:
        """Find a product by name and tap its tile."""
        self.search(name)
        self.page.click(f"[data-test=tile][data-name='{name}']")
        self.page.click("[data-test=clear-search]")

    def scan(self, code: str) -> None:
        """A keyboard-wedge scanner: the digits as fast keystrokes, then Enter."""
        self.page.keyboard.type(code)
        self.page.keyboard.press("Enter")

    def numpad(self, keys: str, mode: str | None = None) -> None:
        if mode:
            self.page.click(f".keypad [data-mode={mode}]")
        for key in keys:
            self.page.click(f".keypad [data-key='{key}']")
        self.page.click("[data-test=apply]")

    def lines(self) -> list[tuple[str, str, str]]:
        """(name, quantity text, gross text) of each line."""
        return [
            (
                line.locator("[data-test=line-name]").inner_text(),
                line.locator("[data-test=line-qty]").inner_text(),
                line.locator("[data-test=line-gross]").inner_text(),
            )
            for line in self.page.locator("[data-test=line]").all()
        ]

    def total(self) -> str:
        return self.page.inner_text("[data-test=total]")

    def pay(self, method: str, amount: str | None = None) -> None:
        for key in amount or "":
            self.page.click(f"[data-test=pay-pad] [data-key='{key}']")
        self.page.click(f"[data-test=method][data-name='{method}']")

    def checkout(self, method: str = "Cash") -> str:
        """Pay the whole order with one method, validate, start the next: the receipt number."""
        self.page.click("[data-test=pay]")
        self.pay(method)
        return self.validate()

    def validate(self) -> str:
        self.page.click("[data-test=validate]")
        receipt = self.page.wait_for_selector("[data-test=receipt]")
        assert receipt is not None
        number = receipt.get_attribute("data-receipt-number")
        assert number
        return number

    def new_order(self) -> None:
        self.page.click("[data-test=new-order]")
        self.wait_for_sale()

    def pending(self) -> int:
        return int(self.page.get_attribute("[data-test=pending]", "data-pending") or "0")

    def wait_synced(self, timeout: float = 30_000) -> None:
        self.page.wait_for_selector(
            "[data-test=pending][data-pending='0']", state="attached", timeout=timeout
        )

    def toast(self) -> str:
        return self.page.locator("[data-test=toast]").last.inner_text()


@pytest.fixture
def till(context: BrowserContext, server: KassaServer) -> Iterator[Till]:
    page = context.new_page()
    till = Till(page, server)
    yield till
    assert till.errors == []
