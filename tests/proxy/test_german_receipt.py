"""A German till's receipt on paper: the terminal writes its fixed words in German
(tests/shared/receipt_layout_cases.json, the case the terminal's node test builds), and
the proxy prints them to a real TCP socket printer in CP858, where ä, ö, ü, ß and € are
one byte each of the code page it selects, never transliterated or dropped."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from kassa.proxy.devices.escpos_decoder import TextLine
from tests.proxy.conftest import TcpPrinter
from tests.proxy.test_currency_places import print_and_wait, printed_receipts, terminal

__all__ = ["terminal"]  # the paired terminal fixture, shared with test_currency_places

CASES = Path(__file__).resolve().parents[1] / "shared" / "receipt_layout_cases.json"


def german_case() -> dict[str, Any]:
    cases: list[dict[str, Any]] = json.loads(CASES.read_text(encoding="utf-8"))["cases"]
    return next(case for case in cases if case["name"].startswith("a German till's receipt"))


def test_a_german_receipt_prints_its_umlauts_sharp_s_and_euro_in_cp858(
    terminal: httpx.Client, tcp_printer: TcpPrinter
) -> None:
    # given the German sale's document as the terminal builds it
    case = german_case()
    # when it is printed through the proxy to a network printer
    print_and_wait(terminal, "order-de", case["document"])
    # then the paper reads exactly the case's rows
    (receipt,) = printed_receipts(tcp_printer)
    printed = [element.text for element in receipt if isinstance(element, TextLine)]
    rows = [row["text"] for row in case["rows"] if "text" in row]
    assert printed[: len(rows)] == rows
    assert "Rückgeld                    5.14" in printed
    # and the bytes are CP858's, selected right after the init: ä 0x84, ö 0x94, ü 0x81,
    # ß 0xE1, € 0xD5, × 0x9E
    data = tcp_printer.printed()
    assert data.startswith(b"\x1b@\x1bt\x13")
    assert b"B\x84ckerei S\x81\xe1\n" in data
    assert b"Hauptstra\xe1e 5\n" in data
    assert b"SUMME                     7.86 \xd5\n" in data
    assert b"R\x81ckgeld                    5.14\n" in data
    assert b"Sch\x94nen Tag! Vielen Dank f\x81r\n" in data
    assert b"2 \x9e 1.49" in data
    assert not [text for text in printed if "?" in text]  # nothing replaced on the way
