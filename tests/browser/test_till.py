"""The whole till in real Chromium: the real server, the real hardware proxy (in a thread of
this process) with a network printer on 127.0.0.1 that records bytes and answers `DLE EOT`,
a pseudo-terminal as the serial customer display, and the proxy's virtual scanner. Nothing
is faked in the page: the terminal calls the proxy cross-origin as it does on a POS PC.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import sqlite3
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext

from kassa.proxy.devices.display import DisplayEmulator
from kassa.proxy.devices.escpos_decoder import Barcode, Element, QrCode, TextLine
from kassa.proxy.devices.virtual import render_text
from kassa.proxy.server import ProxyServer
from kassa.proxy.settings import load_settings
from kassa.proxy.text import CODE_PAGES, transliterate
from tests.proxy.conftest import TcpPrinter

from .conftest import KassaServer, Template, Till, free_port

pytestmark = pytest.mark.browser

PAIRING_CODE = "TILL-2345"
CUT = b"\x1dV\x01"
KICK = b"\x1bp\x00\x32\x32"  # ESC p, pin 2: after the receipt
PULSE = b"\x10\x14\x01\x00\x01"  # DLE DC4: the real-time pulse of a receipt that waits


@dataclass
class Display:
    """The serial customer display: the master end of a pseudo-terminal."""

    master: int
    slave: int
    emulator: DisplayEmulator = field(default_factory=lambda: DisplayEmulator(columns=20, rows=2))

    @property
    def url(self) -> str:
        return f"serial://{os.ttyname(self.slave)}?protocol=epson"

    def frame(self) -> list[str]:
        while select.select([self.master], [], [], 0)[0]:
            self.emulator.feed(os.read(self.master, 4096))
        return [line.rstrip() for line in self.emulator.frame]

    def wait_for(self, predicate: Callable[[list[str]], bool], timeout: float = 10) -> list[str]:
        deadline = time.monotonic() + timeout
        while True:
            frame = self.frame()
            if predicate(frame):
                return frame
            if time.monotonic() > deadline:
                raise AssertionError(f"display shows {frame}")
            time.sleep(0.02)


@dataclass
class Proxy:
    """`kassa proxy` (uvicorn in a thread) with this test's printer, display and scanner."""

    state_dir: Path
    origin: str
    printer_url: str
    display_url: str
    port: int = field(default_factory=free_port)
    printer_columns: int | None = None
    server: ProxyServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        settings = load_settings(
            None,
            env={},
            overrides={
                "host": "127.0.0.1",
                "port": self.port,
                "state_dir": str(self.state_dir),
                "allowed_origins": [self.origin],
                "pairing_code": PAIRING_CODE,
                "printer": {
                    "url": self.printer_url,
                    "columns": self.printer_columns,
                    "status_interval": 0.1,
                    "status_timeout": 0.2,
                    "timeout": 1.0,
                },
                "display": {"url": self.display_url, "idle_seconds": 0},
                "scanner": {"url": "virtual:"},
            },
        )
        self.server = ProxyServer(settings, log_level="warning")
        self.server.start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    def call(self, path: str, body: Any = None) -> Any:
        assert self.server is not None
        request = urllib.request.Request(
            f"{self.url}/proxy/v1/{path}",
            data=None if body is None else json.dumps(body).encode(),
            headers={
                "Authorization": f"Bearer {self.server.admin_token}",
                "Content-Type": "application/json",
            },
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read())


class Printer(TcpPrinter):
    """The proxy tests' network printer; a connection the proxy drops is not an error here."""

    def _serve(self, connection: Any) -> None:
        try:
            super()._serve(connection)
        except OSError:
            connection.close()


@pytest.fixture
def printer() -> Iterator[TcpPrinter]:
    printer = Printer()
    printer.start()
    yield printer
    printer.stop()


@pytest.fixture
def display() -> Iterator[Display]:
    master, slave = os.openpty()
    yield Display(master, slave)
    os.close(master)
    os.close(slave)


@dataclass
class Shop:
    server: KassaServer
    proxy: Proxy


@contextmanager
def running_shop(
    template: Template, folder: Path, printer_url: str, display_url: str, columns: int | None = None
) -> Iterator[Shop]:
    """Server and proxy that know each other: the terminal's proxy URL is this proxy."""
    (folder / "server").mkdir()
    for name in ("kassa.sqlite3", "secret_key"):
        shutil.copy(template.folder / name, folder / "server" / name)
    server = KassaServer(data_dir=folder / "server", unused_code=template.pairing_code)
    proxy = Proxy(folder / "proxy", server.url, printer_url, display_url, printer_columns=columns)
    connection = sqlite3.connect(folder / "server" / "kassa.sqlite3")
    with connection:
        connection.execute("UPDATE terminals_terminal SET proxy_url = ?", (proxy.url,))
    connection.close()
    proxy.start()
    server.start()
    try:
        yield Shop(server, proxy)
    finally:
        server.stop()
        proxy.stop()


@pytest.fixture
def shop(
    seeded_template: Template, tmp_path: Path, printer: TcpPrinter, display: Display
) -> Iterator[Shop]:
    with running_shop(seeded_template, tmp_path, printer.url, display.url) as shop:
        yield shop


@pytest.fixture
def till(context: BrowserContext, shop: Shop) -> Iterator[Till]:
    page = context.new_page()
    till = Till(page, shop.server)
    yield till
    assert till.errors == []


def pair_devices(till: Till) -> None:
    till.page.click("[data-test=devices]")
    till.page.fill("[data-test=proxy-code]", PAIRING_CODE)
    till.page.click("[data-test=proxy-pair]")
    till.page.wait_for_selector("[data-test=devices][data-paired=true][data-printer=online]")
    till.page.click("[data-test=devices-dialog] [aria-label=Close]")


def print_state(till: Till, state: str, timeout: float = 15_000) -> str:
    locator = till.page.locator(f"[data-test=print-status][data-state={state}]")
    locator.wait_for(timeout=timeout)
    return locator.inner_text()


def wait_until(predicate: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.02)


def test_a_cash_sale_prints_opens_the_drawer_and_shows_the_change(
    till: Till, shop: Shop, printer: TcpPrinter, display: Display
) -> None:
    # given a till paired with the server and with its hardware proxy
    till.start()
    pair_devices(till)
    # when a product is scanned on the proxy's scanner and another tapped twice
    shop.proxy.call("virtual/scan", {"code": shop.server.barcode("Baguette")})
    till.page.wait_for_selector("[data-test=line]")
    till.add("Croissant")
    till.add("Croissant")
    assert till.lines() == [("Baguette", "1", "€1.49"), ("Croissant", "2", "€1.90")]
    # then the customer display shows the line, quantity × price and the running total
    assert display.wait_for(lambda f: f[1].endswith("Tot 3.39")) == [
        "Croissant       1.90",
        "2 x 0.95    Tot 3.39",
    ]
    # and the payment screen shows the total due
    till.page.click("[data-test=pay]")
    assert display.wait_for(lambda f: f[0].startswith("TOTAL"))[1].endswith("3.39 EUR")
    till.page.click("[data-test=quick-cash] [data-amount='500']")
    till.validate()
    # then, with no further click, the receipt prints, the drawer opens after it
    assert print_state(till, "printed") == "Receipt printed"
    data = printer.printed()
    for text in (b"Baguette", b"Croissant", b"3.39", b"5.00", b"1.61"):
        assert text in data
    assert data.endswith(CUT + KICK)
    assert data.count(CUT) == 1
    # and the display's last frame shows what was paid and the change
    frame = display.wait_for(lambda f: f[1].startswith("Change"))
    assert frame[0].startswith("Paid") and frame[0].endswith("5.00")
    assert frame[1].endswith("1.61")
    # and the order reached the server
    till.wait_synced()
    assert [o["change"] for o in shop.server.orders()] == [Decimal("1.61")]
    # New order: the welcome lines
    till.new_order()
    display.wait_for(lambda f: f[0].startswith("Welcome"))

    # a manager opens the drawer without a sale; the proxy logs the reason
    till.page.click("[data-test=menu]")
    till.page.click("[data-test=menu-drawer] >> text=Open drawer")
    till.page.click("[data-test=drawer-reason] >> text=Checking the drawer")
    till.page.click("[data-test=drawer-open]")
    till.pin("9999", pad="manager-pin-keys")
    wait_until(lambda: printer.printed().count(KICK) == 2)
    openings = shop.proxy.call("drawer/openings")
    assert openings[0]["reason"] == "Checking the drawer (Maria (manager), for Alice)"
    assert openings[0]["ok"] is True


def test_paper_out_keeps_the_sale_and_prints_the_owed_receipt_once(
    till: Till, shop: Shop, printer: TcpPrinter
) -> None:
    till.start()
    pair_devices(till)
    # given the paper runs out
    printer.faults.paper = "out"
    till.page.wait_for_selector("[data-test=devices][data-printer=paper_out]")
    # when a cash sale is validated
    till.add("Baguette")
    till.checkout("Cash")
    # then the sale is saved and synced, the cashier is told, the receipt is owed
    assert print_state(till, "owed") == "Receipt not printed: paper out"
    assert "Receipt not printed: paper out" in till.toast()
    till.wait_synced()
    assert len(shop.server.orders()) == 1
    # and the drawer opened at once with the real-time pulse, not waiting for paper
    wait_until(lambda: PULSE in printer.printed())
    assert CUT not in printer.printed()
    # a reload still knows the receipt is owed
    till.page.reload()
    till.page.wait_for_selector("[data-test=owed][data-owed='1']")
    # when the paper is back the receipt prints by itself, once, without a second kick
    printer.faults.paper = "ok"
    till.page.wait_for_selector("[data-test=owed]", state="detached", timeout=15_000)
    time.sleep(0.5)
    data = printer.printed()
    assert data.count(CUT) == 1
    assert b"Baguette" in data
    assert KICK not in data and data.count(PULSE) == 1
    # Print again on a printed receipt is a copy marked as such
    till.page.click("[data-test=menu]")
    till.page.click("[data-test=menu-drawer] >> text=Last receipt")
    till.page.click("[data-test=reprint]")
    wait_until(lambda: printer.printed().count(CUT) == 2)
    assert printer.printed().count(b"DUPLICATE") == 1


def test_with_the_proxy_stopped_the_sale_is_synced_and_the_receipt_owed(
    till: Till, shop: Shop, printer: TcpPrinter
) -> None:
    till.start()
    pair_devices(till)
    # given the proxy stops
    shop.proxy.stop()
    till.page.wait_for_selector("[data-test=devices][data-reachable=false]", timeout=15_000)
    # when a sale is validated
    till.add("Croissant")
    till.checkout("Card")
    # then it is saved and synced, and the receipt is owed with a clear message
    assert print_state(till, "owed") == ("Receipt not printed: the hardware proxy is not reachable")
    till.wait_synced()
    assert len(shop.server.orders()) == 1
    till.page.wait_for_selector("[data-test=owed][data-owed='1']")
    assert CUT not in printer.printed()
    # when the proxy is back the owed receipt prints, once
    shop.proxy.start()
    till.page.wait_for_selector("[data-test=owed]", state="detached", timeout=20_000)
    time.sleep(0.5)
    assert printer.printed().count(CUT) == 1
    assert b"Croissant" in printer.printed()


# -- the paper is the preview ---------------------------------------------------------

PREVIEW_ROWS = """() => Array.from(
  document.querySelectorAll("[data-test=receipt] [data-test=receipt-preview] > *"),
  (row) => row.dataset.test === "receipt-code"
    ? {code: row.dataset.format, value: row.textContent}
    : {text: row.textContent, align: row.dataset.align, bold: row.dataset.bold === "true",
       size: row.dataset.size},
)"""


def preview(till: Till) -> tuple[int, list[Element]]:
    """The receipt screen's preview: its width and its rows as the elements a printer prints.

    The one step between them that docs/receipt.md allows is the printer's code page (CP858
    here): the demo shop's header has an en dash, which the paper prints as "-". Every other
    character of these receipts is in CP858, so for them this step is the identity.
    """
    columns = int(till.page.get_attribute("[data-test=receipt-preview]", "data-columns") or "0")
    elements: list[Element] = []
    for row in till.page.evaluate(PREVIEW_ROWS):
        if "code" in row:
            code = row["code"]
            elements.append(
                QrCode(row["value"]) if code == "qr" else Barcode(code.upper(), row["value"])
            )
        else:
            text = transliterate(row["text"], CODE_PAGES["CP858"].codec).rstrip(" ")
            elements.append(TextLine(text, row["align"], row["bold"], row["size"] == "large"))
    return columns, elements


def printed_elements(elements: tuple[Element, ...]) -> list[Element]:
    """What the printer printed, without the feed before the cut; trailing spaces stripped."""
    kept = [
        replace(element, text=element.text.rstrip(" "))
        if isinstance(element, TextLine)
        else element
        for element in elements
    ]
    while kept and isinstance(kept[-1], TextLine) and not kept[-1].text:
        kept.pop()
    return kept


def lines(text: str) -> list[str]:
    return [line.rstrip(" ") for line in text.splitlines()]


@pytest.fixture
def virtual_shop(seeded_template: Template, tmp_path: Path) -> Iterator[Shop]:
    """The proxy's virtual printer, 42 columns wide: not the 48 a till assumes unknown."""
    with running_shop(seeded_template, tmp_path, "virtual:", "none:", columns=42) as shop:
        yield shop


def test_the_paper_and_the_preview_are_the_same_rows(
    context: BrowserContext, virtual_shop: Shop
) -> None:
    till = Till(context.new_page(), virtual_shop.server)
    proxy = virtual_shop.proxy
    assert proxy.server is not None and proxy.server.hardware.virtual_printer is not None
    printer = proxy.server.hardware.virtual_printer
    till.start()
    pair_devices(till)
    # given a sale with a weighed-free basket, a note with accents and change given
    till.add("Baguette")
    till.add("Croissant")
    till.add("Croissant")
    till.page.click("[data-test=note]")
    till.page.fill("[data-test=note-input]", "Grüße an Jürgen")
    till.page.click("[data-test=save-note]")
    till.page.click("[data-test=pay]")
    till.page.click("[data-test=quick-cash] [data-amount='500']")
    # when it is validated and printed on the virtual printer
    till.validate()
    assert print_state(till, "printed") == "Receipt printed"
    wait_until(lambda: len(printer.receipts) == 1)

    # then the preview is as wide as the paper and shows exactly the printed rows,
    columns, shown = preview(till)
    assert columns == 42
    [paper] = proxy.call("virtual/receipts")
    assert lines(paper["text"]) == lines(render_text(shown, columns))
    # with the same alignment, emphasis and height, row for row
    assert printed_elements(printer.receipts[-1].elements) == shown
    texts = [element.text for element in shown if isinstance(element, TextLine)]
    assert "Grüße an Jürgen" in texts and "DUPLICATE" not in texts
    assert any(text.startswith("TOTAL") and text.endswith("3.39 €") for text in texts)

    # when the cashier prints it again
    till.page.click("[data-test=reprint]")
    till.page.wait_for_selector("[data-test=receipt][data-copy=true]")
    wait_until(lambda: len(printer.receipts) == 2)
    assert print_state(till, "printed") == "Receipt printed"

    # then paper and preview both carry the copy mark, and are still the same rows
    _, shown = preview(till)
    newest = proxy.call("virtual/receipts")[0]
    assert lines(newest["text"]) == lines(render_text(shown, columns))
    assert printed_elements(printer.receipts[-1].elements) == shown
    assert TextLine("DUPLICATE", "center", bold=True) in shown
    assert till.errors == []
