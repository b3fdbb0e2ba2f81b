"""The layout of docs/receipt.md, case by case: `wrap`, and document + width in, rows out.

The cases use the shape of tests/shared/receipt_layout_cases.json (rows as
`{"text", "align", "bold", "size"}` or `{"code", "value"}`), so they can join it."""

from __future__ import annotations

from typing import Any

import pytest

from kassa.proxy.receipts import ReceiptDocument, layout_receipt, wrap


@pytest.mark.parametrize(
    ("text", "width", "lines"),
    [
        ("", 10, [""]),
        (" \t  ", 10, [""]),
        ("a b c", 10, ["a b c"]),
        ("  a   b \t c  ", 10, ["a b c"]),
        # a line of exactly the width, and one character more
        ("abcde fghij", 11, ["abcde fghij"]),
        ("abcde fghij", 10, ["abcde", "fghij"]),
        ("abcdefghij", 10, ["abcdefghij"]),
        # a word longer than the width: cut into pieces, the last one goes on
        ("abcdefghijklmnopqrstuvw", 10, ["abcdefghij", "klmnopqrst", "uvw"]),
        ("ab abcdefghijklmnopq rs", 10, ["ab", "abcdefghij", "klmnopq rs"]),
        ("abcdefghijklmnopqrst x", 10, ["abcdefghij", "klmnopqrst", "x"]),
        ("ab c", 1, ["a", "b", "c"]),
        # code points count one each, whatever their UTF-8 or UTF-16 size
        ("€€€€ ßüß", 4, ["€€€€", "ßüß"]),
        ("€€€€ ßüß", 8, ["€€€€ ßüß"]),
        ("𝄞𝄞𝄞 ab", 3, ["𝄞𝄞𝄞", "ab"]),
        # Python's str.split() white space (docs/receipt.md): no-break space and ideographic
        # space separate words; U+FEFF (in JavaScript's \s) and a zero-width space do not
        ("a\u00a0b\u3000c", 3, ["a b", "c"]),
        ("a\ufeffb c", 3, ["a\ufeffb", "c"]),
        ("a\u200bb c", 3, ["a\u200bb", "c"]),
        ("a\x1cb\x85c", 5, ["a b c"]),
    ],
)
def test_wrap(text: str, width: int, lines: list[str]) -> None:
    assert wrap(text, width) == lines


def test_wrap_and_layout_need_a_width_of_at_least_one() -> None:
    with pytest.raises(ValueError, match="cannot wrap to width 0"):
        wrap("a", 0)
    document = ReceiptDocument.model_validate(
        {"format": "kassa.receipt", "version": 1, "blocks": [{"type": "rule"}]}
    )
    with pytest.raises(ValueError, match="cannot lay out a receipt 0 columns wide"):
        layout_receipt(document, 0)


def row(text: str, align: str = "left", bold: bool = False, size: str = "normal") -> dict[str, Any]:
    return {"text": text, "align": align, "bold": bold, "size": size}


CASES: list[dict[str, Any]] = [
    {
        "name": "text: wrapped, every line with the block's style, no padding",
        "columns": 12,
        "document": [
            {
                "type": "text",
                "text": "Kassa Demo Shop Berlin",
                "align": "center",
                "bold": True,
                "size": "large",
            }
        ],
        "rows": [
            row("Kassa Demo", "center", True, "large"),
            row("Shop Berlin", "center", True, "large"),
        ],
    },
    {
        "name": "text: empty and white space only give one empty row",
        "columns": 12,
        "document": [
            {"type": "text", "text": "", "align": "right"},
            {"type": "text", "text": "   "},
        ],
        "rows": [row("", "right"), row("")],
    },
    {
        "name": "pair: left padded to the room, a space, the right side",
        "columns": 20,
        "document": [{"type": "pair", "left": "Espresso", "right": "12.50"}],
        "rows": [row("Espresso       12.50")],
    },
    {
        "name": "pair: a long left side wraps in the room; the rows keep bold and size",
        "columns": 20,
        "document": [
            {
                "type": "pair",
                "left": "Espresso beans dark roast 1 kg",
                "right": "12.50",
                "bold": True,
                "size": "large",
            }
        ],
        "rows": [
            row("Espresso beans 12.50", bold=True, size="large"),
            row("dark roast 1", bold=True, size="large"),
            row("kg", bold=True, size="large"),
        ],
    },
    {
        "name": "pair: empty left side puts the right side at the right edge",
        "columns": 12,
        "document": [{"type": "pair", "left": "", "right": "9.99"}],
        "rows": [row("        9.99")],
    },
    {
        "name": "pair: room of exactly 1 wraps the left side one character a line",
        "columns": 10,
        "document": [{"type": "pair", "left": "ab", "right": "12345678"}],
        "rows": [row("a 12345678"), row("b")],
    },
    {
        "name": "pair: room 0 (right side one short of the width): the right side alone",
        "columns": 10,
        "document": [{"type": "pair", "left": "lost", "right": "123456789", "bold": True}],
        "rows": [row(" 123456789", bold=True)],
    },
    {
        "name": "pair: a right side longer than the width is cut to it, the left side dropped",
        "columns": 10,
        "document": [{"type": "pair", "left": "lost", "right": "1234567890AB"}],
        "rows": [row("1234567890")],
    },
    {
        "name": "pair: € ß ü count one each",
        "columns": 16,
        "document": [{"type": "pair", "left": "Grüße", "right": "2.75 €"}],
        "rows": [row("Grüße     2.75 €")],
    },
    {
        "name": "columns: first cell left, the others right with one space before them",
        "columns": 32,
        "document": [
            {"type": "columns", "cells": ["Tax", "Net", "Tax amt", "Gross"], "bold": True},
            {"type": "columns", "cells": ["7%", "2.57", "0.18", "2.75"]},
        ],
        "rows": [
            row("Tax          Net Tax amt   Gross", bold=True),
            row("7%          2.57    0.18    2.75"),
        ],
    },
    {
        "name": "columns: cells cut to their width; an uneven width leaves the rest empty",
        "columns": 11,
        "document": [{"type": "columns", "cells": ["Description", "Quantity", "Total"]}],
        "rows": [row("Des Qu To")],
    },
    {
        "name": "columns: six cells",
        "columns": 32,
        "document": [{"type": "columns", "cells": ["a", "b", "c", "d", "e", "ffffffff"]}],
        "rows": [row("a        b    c    d    e ffff")],
    },
    {
        "name": "columns: narrower than the cells, cut(s, n <= 0) keeps nothing",
        "columns": 5,
        "document": [{"type": "columns", "cells": ["ab", "cd", "ef", "gh", "ij", "kl"]}],
        "rows": [row("")],
    },
    {
        "name": "columns: one column per cell leaves only the first cell's character",
        "columns": 3,
        "document": [{"type": "columns", "cells": ["ab", "cd", "ef"]}],
        "rows": [row("a  ")],
    },
    {
        "name": "rule, blank and codes",
        "columns": 8,
        "document": [
            {"type": "rule"},
            {"type": "blank"},
            {"type": "code", "format": "qr", "value": "K-1"},
            {"type": "code", "format": "code128", "value": "T1-000042"},
            {"type": "code", "format": "ean13", "value": "400638133393"},
        ],
        "rows": [
            row("--------"),
            row(""),
            {"code": "qr", "value": "K-1"},
            {"code": "code128", "value": "T1-000042"},
            {"code": "ean13", "value": "400638133393"},
        ],
    },
]


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_layout(case: dict[str, Any]) -> None:
    document = ReceiptDocument.model_validate(
        {"format": "kassa.receipt", "version": 1, "blocks": case["document"]}
    )
    rows = [laid.as_dict() for laid in layout_receipt(document, case["columns"])]
    assert rows == case["rows"]
