"""Currency places, proven through a real print: the terminal formats every amount with its
currency's places (JPY 0, KWD 3) and the proxy prints those words as they are.

A real proxy (uvicorn on a loopback port) takes the documents over HTTP from a paired
terminal and prints them to a real TCP socket printer; the bytes that arrive are read back
with the ESC/POS decoder of the virtual printer. The documents are the JSON the terminal's
receipt builder sends for these two sales; its output is checked against the same strings.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from kassa.proxy.devices.escpos_decoder import Barcode, Element, EscPosDecoder, QrCode, TextLine
from kassa.proxy.server import ProxyServer
from tests.proxy.conftest import TcpPrinter

TERMINAL = "http://127.0.0.1:8000"

JPY_SALE: dict[str, Any] = {
    "format": "kassa.receipt",
    "version": 1,
    "blocks": [
        {"type": "text", "text": "Kassa Tokyo", "align": "center", "bold": True, "size": "large"},
        {"type": "text", "text": "Shibuya 1-2-3", "align": "center"},
        {"type": "blank"},
        {"type": "text", "text": "Receipt T1-000042"},
        {"type": "pair", "left": "2024-05-03 14:22", "right": "Cashier: Aiko"},
        {"type": "rule"},
        {"type": "pair", "left": "Onigiri", "right": "165 ¥"},
        {"type": "pair", "left": "Green tea", "right": "150 ¥"},
        {"type": "rule"},
        {"type": "pair", "left": "TOTAL", "right": "315 ¥", "bold": True, "size": "large"},
        {"type": "pair", "left": "Cash", "right": "1,000 ¥"},
        {"type": "pair", "left": "Change", "right": "685 ¥"},
        {"type": "blank"},
        {"type": "columns", "cells": ["Tax", "Net", "Tax amt", "Gross"]},
        {"type": "columns", "cells": ["8%", "292 ¥", "23 ¥", "315 ¥"]},
        {"type": "blank"},
        {"type": "text", "text": "Arigato!", "align": "center"},
        {"type": "code", "format": "code128", "value": "T1-000042"},
    ],
}

KWD_SALE: dict[str, Any] = {
    "format": "kassa.receipt",
    "version": 1,
    "blocks": [
        {"type": "text", "text": "Kassa Kuwait", "align": "center", "bold": True, "size": "large"},
        {"type": "text", "text": "Receipt T2-000007"},
        {"type": "pair", "left": "2024-05-03 14:22", "right": "Cashier: Omar"},
        {"type": "rule"},
        {"type": "pair", "left": "Coffee beans", "right": "1.000 KWD"},
        {"type": "pair", "left": "Cardamom 50 g", "right": "0.234 KWD"},
        {"type": "rule"},
        {"type": "pair", "left": "TOTAL", "right": "1.234 KWD", "bold": True, "size": "large"},
        {"type": "pair", "left": "Card", "right": "1.234 KWD"},
        {"type": "blank"},
        {"type": "text", "text": "Shukran!", "align": "center"},
        {"type": "code", "format": "qr", "value": "T2-000007"},
    ],
}

FEED = [TextLine("")] * 6  # ESC d 6 before the cut

JPY_PRINTED: list[Element] = [
    TextLine("Kassa Tokyo", "center", bold=True, tall=True),
    TextLine("Shibuya 1-2-3", "center"),
    TextLine(""),
    TextLine("Receipt T1-000042"),
    TextLine("2024-05-03 14:22   Cashier: Aiko"),
    TextLine("--------------------------------"),
    TextLine("Onigiri                    165 ¥"),
    TextLine("Green tea                  150 ¥"),
    TextLine("--------------------------------"),
    TextLine("TOTAL                      315 ¥", bold=True, tall=True),
    TextLine("Cash                     1,000 ¥"),
    TextLine("Change                     685 ¥"),
    TextLine(""),
    TextLine("Tax          Net Tax amt   Gross"),
    TextLine("8%         292 ¥    23 ¥   315 ¥"),
    TextLine(""),
    TextLine("Arigato!", "center"),
    Barcode("CODE128", "T1-000042", "center"),
    TextLine("", "center"),  # the line feed that prints the code
    *FEED,
]

KWD_PRINTED: list[Element] = [
    TextLine("Kassa Kuwait", "center", bold=True, tall=True),
    TextLine("Receipt T2-000007"),
    TextLine("2024-05-03 14:22   Cashier: Omar"),
    TextLine("--------------------------------"),
    TextLine("Coffee beans           1.000 KWD"),
    TextLine("Cardamom 50 g          0.234 KWD"),
    TextLine("--------------------------------"),
    TextLine("TOTAL                  1.234 KWD", bold=True, tall=True),
    TextLine("Card                   1.234 KWD"),
    TextLine(""),
    TextLine("Shukran!", "center"),
    QrCode("T2-000007", "center"),
    TextLine("", "center"),
    *FEED,
]


@pytest.fixture
def terminal(make_settings: Any, tcp_printer: TcpPrinter) -> Iterator[httpx.Client]:
    settings = make_settings(
        port=0,
        allowed_origins=[TERMINAL],
        pairing_code="TEST-CODE",
        printer={
            "url": tcp_printer.url,
            "columns": 32,
            "code_page": "CP858",
            "status_interval": 0.03,
            "status_timeout": 0.2,
        },
    )
    with (
        ProxyServer(settings, log_level="warning") as server,
        httpx.Client(base_url=server.url, headers={"Origin": TERMINAL}, timeout=5) as client,
    ):
        token = client.post("/proxy/v1/pair", json={"code": "TEST-CODE"}).json()["token"]
        client.headers["Authorization"] = f"Bearer {token}"
        yield client


def print_and_wait(client: httpx.Client, key: str, document: dict[str, Any]) -> None:
    response = client.post("/proxy/v1/print/receipt", json={"key": key, "receipt": document})
    assert response.status_code == 202, response.text
    job_id = response.json()["job_id"]
    deadline = time.monotonic() + 5
    while (job := client.get(f"/proxy/v1/jobs/{job_id}").json())["state"] != "printed":
        assert time.monotonic() < deadline, job
        time.sleep(0.01)


def printed_receipts(printer: TcpPrinter) -> list[list[Element]]:
    receipts: list[list[Element]] = []
    EscPosDecoder(on_cut=receipts.append).feed(printer.printed())
    return receipts


def test_amounts_print_with_the_currencys_places_as_the_terminal_wrote_them(
    terminal: httpx.Client, tcp_printer: TcpPrinter
) -> None:
    # given a yen sale (0 places) and a Kuwaiti dinar sale (3 places) from the terminal
    # when both are printed through the proxy to a network printer
    print_and_wait(terminal, "order-jpy", JPY_SALE)
    print_and_wait(terminal, "order-kwd", KWD_SALE)

    # then the paper carries exactly the terminal's amounts: 315 ¥, 1.234 KWD
    jpy, kwd = printed_receipts(tcp_printer)
    assert jpy == JPY_PRINTED
    assert kwd == KWD_PRINTED
    # ¥ went as one byte of the printer's code page (CP858: 0xBE), not as "JPY"
    assert b"315 \xbe\n" in tcp_printer.printed()
    # and nothing on either receipt was formatted by the proxy with two places
    texts = [element.text for element in jpy + kwd if isinstance(element, TextLine)]
    assert not [text for text in texts if "315.00" in text or "1.23 " in text]
