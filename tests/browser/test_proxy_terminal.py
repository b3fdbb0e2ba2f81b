"""The till on any PC: the browser opens only the hardware proxy's URL. The main server on
127.0.0.1:<port>, the proxy on 127.0.0.2:<another>; the proxy serves the terminal at
/pos/ and forwards /api/v1/ to the server; a TCP printer on a third socket.

Pair, sell, print, sync; the server stopped: sell offline and reload the page offline;
the server back: every order on it exactly once. The admin is not reachable through the
proxy, and a foreign origin still cannot print."""

from __future__ import annotations

import json
import sqlite3
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from kassa.proxy.server import ProxyServer
from kassa.proxy.settings import load_settings
from tests.browser.conftest import (
    KassaServer,
    Template,
    Till,
    free_port,
)
from tests.browser.test_till import CUT, PAIRING_CODE, Printer, print_state
from tests.proxy.conftest import TcpPrinter

pytestmark = pytest.mark.browser
PROXY_HOST = "127.0.0.2"
# Every state the receipt's print status shows, in order.
RECORD_PRINT_STATES = """() => {
  window.printStates = [];
  const seen = () => {
    const status = document.querySelector("[data-test=print-status]");
    const state = status ? status.dataset.state : null;
    if (state && window.printStates.at(-1) !== state) window.printStates.push(state);
  };
  new MutationObserver(seen).observe(document.body,
    {subtree: true, childList: true, attributes: true, attributeFilter: ["data-state"]});
}"""


@pytest.fixture
def printer() -> Iterator[TcpPrinter]:
    printer = Printer()
    printer.start()
    yield printer
    printer.stop()


@pytest.fixture
def server(seeded_template: Template, tmp_path: Path) -> Iterator[KassaServer]:
    folder = tmp_path / "server"
    folder.mkdir()
    # the back office says: this till's proxy is the origin it is opened from
    for name in ("kassa.sqlite3", "secret_key"):
        (folder / name).write_bytes((seeded_template.folder / name).read_bytes())
    with sqlite3.connect(folder / "kassa.sqlite3") as db:
        db.execute("UPDATE terminals_terminal SET proxy_url = 'same-origin'")
    db.close()
    server = KassaServer(data_dir=folder, unused_code=seeded_template.pairing_code)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def proxy(tmp_path: Path, server: KassaServer, printer: TcpPrinter) -> Iterator[ProxyServer]:
    settings = load_settings(
        None,
        env={},
        overrides={
            "host": PROXY_HOST,
            "port": free_port(),
            "state_dir": str(tmp_path / "proxy"),
            "pairing_code": PAIRING_CODE,
            "server_url": server.url,
            "printer": {
                "url": printer.url,
                "status_interval": 0.1,
                "status_timeout": 0.2,
                "timeout": 1.0,
            },
        },
    )
    with ProxyServer(settings, log_level="warning") as running:
        yield running


def _status(url: str, headers: dict[str, str] | None = None, body: bytes | None = None) -> int:
    request = urllib.request.Request(url, headers=headers or {}, data=body)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_a_till_served_by_its_proxy(
    context: object, server: KassaServer, proxy: ProxyServer, printer: TcpPrinter
) -> None:
    page = context.new_page()  # type: ignore[attr-defined]
    till = Till(page, server)
    assert proxy.url.startswith(f"http://{PROXY_HOST}:")
    # the browser opens only the proxy's URL
    page.goto(f"{proxy.url}/pos/")
    till.pair()  # the server's pairing code, through the proxy
    till.login("Alice")
    till.open_session("100")
    till.wait_offline_ready()
    page.click("[data-test=devices]")
    page.fill("[data-test=proxy-code]", PAIRING_CODE)
    page.click("[data-test=proxy-pair]")
    page.wait_for_selector("[data-test=devices][data-paired=true][data-printer=online]")
    page.keyboard.press("Escape")

    # sell, print at the TCP printer, sync
    till.add("Baguette")
    first = till.checkout("Cash")
    assert print_state(till, "printed") == "Receipt printed"
    assert b"Baguette" in printer.printed()
    till.wait_synced()
    assert [o["receipt_number"] for o in server.orders()] == [first]
    till.new_order()

    # paper out: "not printed: paper out" stays, a late answer to the print request does
    # not turn it back to "Printing…" (the proxy's event came first)
    printer.faults.paper = "out"
    page.wait_for_selector("[data-test=devices][data-printer=paper_out]")
    page.evaluate(RECORD_PRINT_STATES)
    till.add("Croissant")
    paper_out = till.checkout("Cash")
    assert print_state(till, "owed") == "Receipt not printed: paper out"
    page.wait_for_timeout(1000)
    states = page.evaluate("window.printStates")
    assert "owed" in states and "printing" not in states[states.index("owed") :], states
    printer.faults.paper = "ok"
    assert print_state(till, "printed") == "Receipt printed"
    till.new_order()

    # the server stopped: sell offline (the receipt still prints), reload offline
    server.stop()
    page.wait_for_selector("[data-test=online][data-online=false]", timeout=30_000)
    till.add("Croissant")
    second = till.checkout("Cash")
    assert print_state(till, "printed") == "Receipt printed"
    assert printer.printed().count(CUT) == 3
    till.new_order()
    page.reload()
    till.wait_for_sale()
    till.add("Baguette")
    third = till.checkout("Card")
    till.new_order()
    assert till.pending() == 2

    # the server back: every order on it exactly once
    server.start()
    till.wait_synced(timeout=60_000)
    orders = server.orders()
    assert sorted(o["receipt_number"] for o in orders) == sorted([first, paper_out, second, third])
    assert len({o["uuid"] for o in orders}) == 4
    assert printer.printed().count(CUT) == 4

    # the admin is not reachable through the proxy, the server's API is
    assert _status(f"{server.url}/admin/login/") == 200
    for path in ("/admin/", "/admin/login/", "/api/docs"):
        assert _status(f"{proxy.url}{path}") == 404, path
    assert _status(f"{proxy.url}/api/v1/terminal") == 401  # the server's answer, forwarded

    # a foreign origin (the server's own, where this till is not opened) cannot print
    body = json.dumps({"key": "evil", "receipt": {"lines": []}}).encode()
    evil = {"Origin": server.url, "Content-Type": "application/json"}
    assert _status(f"{proxy.url}/proxy/v1/print/receipt", evil, body) == 403
    foreign = context.new_page()  # type: ignore[attr-defined]
    foreign.goto(f"{server.url}/pos/")
    answer = foreign.evaluate(
        """async (url) => {
          try {
            return (await fetch(url + "/proxy/v1/print/test", {method: "POST"})).status;
          } catch (e) { return "blocked"; }
        }""",
        proxy.url,
    )
    assert answer in (403, "blocked")
    assert printer.printed().count(CUT) == 4
    assert till.errors == []
