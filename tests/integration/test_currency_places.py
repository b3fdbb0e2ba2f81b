"""Currency places end to end: the terminal's own `receiptDocument` (run under node) writes a
yen sale and a Kuwaiti dinar sale, and a real proxy prints them to a real TCP socket printer.
The paper must show the amounts as the till's currency writes them: `315 ¥`, `1.234 KWD`,
never `315.00`. tests/proxy/test_currency_places.py proves the proxy's half with documents
written by hand; this one takes them from the terminal's code.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from kassa.proxy.devices.escpos_decoder import TextLine
from tests.proxy.conftest import TcpPrinter
from tests.proxy.test_currency_places import print_and_wait, printed_receipts, terminal

__all__ = ["terminal"]  # the proxy test's fixture: a paired terminal's client, 32 columns

NODE = shutil.which("node")
SCRIPT = Path(__file__).with_name("receipt_documents.mjs")

pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed")


def receipt(
    *,
    number: str,
    currency: str,
    places: int,
    lines: list[tuple[str, int]],
    method: str,
    given: int,
) -> dict[str, Any]:
    """A domain/receipt.js `Receipt`: one tax group (8 % included), integers in minor units."""
    gross = sum(amount for _, amount in lines)
    tax = gross * 8 // 108
    return {
        "uuid": f"order-{currency.lower()}",
        "receiptNumber": number,
        "createdAt": "2024-05-03T14:22:00.000+09:00",
        "currency": currency,
        "places": places,
        "store": {
            "name": f"Kassa {currency}",
            "address": "",
            "taxId": "",
            "header": "",
            "footer": "",
        },
        "terminal": "Till 1",
        "cashier": "Aiko",
        "lines": [
            {
                "name": name,
                "quantity": 1000,
                "unit": "pc",
                "weighed": False,
                "unitPrice": amount,
                "discount": 0,
                "gross": amount,
            }
            for name, amount in lines
        ],
        "totals": {"net": gross - tax, "tax": tax, "gross": gross},
        "taxes": [
            {
                "rate": 80000,
                "priceIncludesTax": True,
                "net": gross - tax,
                "tax": tax,
                "gross": gross,
            }
        ],
        "payments": [{"name": method, "isCash": method == "Cash", "amount": given}],
        "paid": given,
        "cashPaid": given if method == "Cash" else 0,
        "change": given - gross if method == "Cash" else 0,
        "note": "",
    }


JPY = receipt(
    number="T1-000042",
    currency="JPY",
    places=0,
    lines=[("Onigiri", 165), ("Green tea", 150)],
    method="Cash",
    given=1000,
)
KWD = receipt(
    number="T2-000007",
    currency="KWD",
    places=3,
    lines=[("Coffee beans", 1000), ("Cardamom 50 g", 234)],
    method="Card",
    given=1234,
)


def terminal_documents(*receipts: dict[str, Any]) -> list[dict[str, Any]]:
    """The documents the terminal's domain/receipt.js builds for these receipts."""
    assert NODE is not None
    answer = subprocess.run(
        [NODE, str(SCRIPT)],
        input=json.dumps([{"receipt": r} for r in receipts]),
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    documents: list[dict[str, Any]] = json.loads(answer.stdout)
    return documents


def text_lines(elements: list[Any]) -> list[TextLine]:
    return [element for element in elements if isinstance(element, TextLine) and element.text]


def rows_starting(elements: list[Any], *starts: str) -> list[TextLine]:
    """The printed lines starting with one of `starts`, in paper order."""
    return [line for line in text_lines(elements) if line.text.startswith(starts)]


def test_the_terminals_documents_print_with_the_currencys_places(
    terminal: httpx.Client, tcp_printer: TcpPrinter
) -> None:
    # given the documents the terminal builds for a yen sale and a Kuwaiti dinar sale
    jpy_document, kwd_document = terminal_documents(JPY, KWD)

    # when both are printed through a real proxy to a network printer (32 columns, CP858)
    print_and_wait(terminal, "order-jpy", jpy_document)
    print_and_wait(terminal, "order-kwd", kwd_document)

    # then the amounts on paper are exactly the terminal's, with the currency's places
    jpy, kwd = printed_receipts(tcp_printer)
    assert rows_starting(jpy, "1 ×", "TOTAL", "Cash ", "Change ") == [
        TextLine("1 × 165                      165"),
        TextLine("1 × 150                      150"),
        TextLine("TOTAL                      315 ¥", bold=True, tall=True),
        TextLine("Cash                        1000"),
        TextLine("Change                       685"),
    ]
    assert TextLine("8%           292      23     315") in jpy
    assert rows_starting(kwd, "1 ×", "TOTAL", "Card ") == [
        TextLine("1 × 1.000                  1.000"),
        TextLine("1 × 0.234                  0.234"),
        TextLine("TOTAL                  1.234 KWD", bold=True, tall=True),
        TextLine("Card                       1.234"),
    ]
    assert TextLine("8%         1.143   0.091   1.234") in kwd
    # ¥ went as one byte of the printer's code page (CP858: 0xBE), not as "JPY"
    assert b"315 \xbe\n" in tcp_printer.printed()
    # and nothing on either receipt has two places: the proxy formatted no amount
    texts = [line.text for line in text_lines(jpy) + text_lines(kwd)]
    assert not [text for text in texts if "315.00" in text or "1.23 " in text or ".00 " in text]


def journal_rows(elements: list[Any]) -> list[str]:
    """The journal row as printed: the line starting "Journal" and the one after it."""
    texts = [line.text.strip() for line in text_lines(elements)]
    start = next(index for index, text in enumerate(texts) if text.startswith("Journal"))
    return texts[start : start + 2]


def test_the_journal_row_and_the_duplicate_mark_reach_the_paper(
    terminal: httpx.Client, tcp_printer: TcpPrinter
) -> None:
    # given a sale whose journal entry is seq 42, and its reprint recorded as seq 43
    journal = {"seq": 42, "hash": "a1b2c3d4" + "e" * 56, "software": "Kassa 0.1.0"}
    reprint = {"seq": 43, "hash": "0f9e8d7c" + "1" * 56, "software": "Kassa 0.1.0"}
    assert NODE is not None
    answer = subprocess.run(
        [NODE, str(SCRIPT)],
        input=json.dumps(
            [
                {"receipt": {**JPY, "journal": journal}},
                {"receipt": {**JPY, "journal": reprint}, "copy": True},
            ]
        ),
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    original, duplicate = json.loads(answer.stdout)

    # when both are printed through a real proxy to a network printer
    print_and_wait(terminal, "order-jpy", original)
    print_and_wait(terminal, "order-jpy-copy", duplicate)

    # then the paper carries the entry's seq, the start of its hash and the software
    # (35 characters: on this 32-column printer the row wraps, as docs/receipt.md lays it out)
    first, second = printed_receipts(tcp_printer)
    assert journal_rows(first) == ["Journal 42 · a1b2c3d4 · Kassa", "0.1.0"]
    assert not [line for line in text_lines(first) if "DUPLICATE" in line.text]
    # and the reprint says DUPLICATE and names its own DUPLICATE entry
    assert journal_rows(second) == ["Journal 43 · 0f9e8d7c · Kassa", "0.1.0"]
    assert [line.text.strip() for line in text_lines(second) if "DUPLICATE" in line.text] == [
        "DUPLICATE"
    ]
