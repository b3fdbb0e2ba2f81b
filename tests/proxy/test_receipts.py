"""The receipt document: its validation, and its rendering byte by byte (python-escpos Dummy
output as the printer receives it). The layout's own rules are in test_receipt_layout.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from kassa.proxy.receipts import (
    Layout,
    PairBlock,
    ReceiptDocument,
    drawer_kick,
    ean13_digits,
    logo_raster,
    render_receipt,
    render_test_page,
)
from kassa.proxy.text import CODE_PAGES

INIT = b"\x1b@"
CP858 = b"\x1bt\x13"
LEFT, CENTER = b"\x1ba\x00", b"\x1ba\x01"
BOLD, NOT_BOLD = b"\x1bE\x01", b"\x1bE\x00"
LARGE, NORMAL = b"\x1d!\x01", b"\x1d!\x00"
PARTIAL_CUT = b"\x1bd\x06\x1dV\x01"


def document(blocks: list[dict[str, Any]]) -> dict[str, Any]:
    return {"format": "kassa.receipt", "version": 1, "blocks": blocks}


def receipt_data(*, code: dict[str, Any] | None = None, number: str = "R-7") -> dict[str, Any]:
    """A small sale as the terminal sends it: every word and amount already decided."""
    blocks: list[dict[str, Any]] = [
        {"type": "text", "text": "Café Ünal", "align": "center", "bold": True, "size": "large"},
        {"type": "blank"},
        {"type": "text", "text": f"Receipt {number}"},
        {"type": "pair", "left": "2024-05-03 14:22", "right": "Cashier: Anna"},
        {"type": "rule"},
        {"type": "pair", "left": "Brötchen", "right": "0.50"},
        {"type": "text", "text": "Äpfel"},
        {"type": "pair", "left": "1.25 kg x 2.00 -10%", "right": "2.25"},
        {"type": "rule"},
        {"type": "pair", "left": "TOTAL", "right": "2.75 €", "bold": True, "size": "large"},
        {"type": "pair", "left": "Bar", "right": "5.00"},
        {"type": "pair", "left": "Change", "right": "2.25"},
        {"type": "blank"},
        {"type": "columns", "cells": ["Tax", "Net", "Tax amt", "Gross"]},
        {"type": "columns", "cells": ["7%", "2.57", "0.18", "2.75"]},
        {"type": "blank"},
        {"type": "text", "text": "Danke!", "align": "center"},
    ]
    if code is not None:
        blocks.append({"type": "code", **code})
    return document(blocks)


def test_a_whole_receipt_renders_to_exact_bytes() -> None:
    # given a small receipt and a 58 mm layout in CP858
    receipt = ReceiptDocument.model_validate(receipt_data())
    layout = Layout(columns=32, dots=384)

    # when it is rendered
    data = render_receipt(receipt, layout)

    # then every byte is the expected one: init, CP858, styles only where they change,
    # text in CP858 with € at 0xD5, feed and cut
    expected = (
        INIT
        + CP858
        + CENTER
        + BOLD
        + LARGE
        + b"Caf\x82 \x9anal\n"
        + LEFT
        + NOT_BOLD
        + NORMAL
        + b"\n"
        + b"Receipt R-7\n"
        + b"2024-05-03 14:22   Cashier: Anna\n"
        + b"-" * 32
        + b"\n"
        + b"Br\x94tchen                    0.50\n"
        + b"\x8epfel\n"
        + b"1.25 kg x 2.00 -10%         2.25\n"
        + b"-" * 32
        + b"\n"
        + BOLD
        + LARGE
        + b"TOTAL                     2.75 \xd5\n"
        + NOT_BOLD
        + NORMAL
        + b"Bar                         5.00\n"
        + b"Change                      2.25\n"
        + b"\n"
        + b"Tax          Net Tax amt   Gross\n"
        + b"7%          2.57    0.18    2.75\n"
        + b"\n"
        + CENTER
        + b"Danke!\n"
        + LEFT
        + PARTIAL_CUT
    )
    assert data == expected


def test_the_code_page_is_selected_again_right_after_init() -> None:
    # python-escpos 3.1 forgets to re-send the code page after ESC @
    data = render_receipt(ReceiptDocument.model_validate(receipt_data()), Layout())
    assert data.startswith(INIT + CP858)
    assert data.count(b"\x1bt") == 1


def test_euro_uses_wpc1252_when_configured_and_no_greek_code_page_ever() -> None:
    layout = Layout(code_page=CODE_PAGES["WPC1252"])
    data = render_receipt(ReceiptDocument.model_validate(receipt_data()), layout)
    assert data.startswith(INIT + b"\x1bt\x10")
    assert b" 2.75 \x80\n" in data  # € in Windows-1252
    assert b"\x1bt\x0f" not in data  # ISO-8859-7, python-escpos's automatic pick


def test_characters_outside_the_code_page_are_transliterated_after_the_layout() -> None:
    # given words with characters CP437 lacks (€, ł, „ “, –) and CP437 selected
    receipt = ReceiptDocument.model_validate(
        document(
            [
                {"type": "text", "text": "Łódź „Sklep“", "align": "center"},
                {"type": "pair", "left": "Żubr – 0,5 l", "right": "3.00"},
                {"type": "pair", "left": "TOTAL", "right": "2.75 €"},
            ]
        )
    )
    data = render_receipt(receipt, Layout(columns=32, code_page=CODE_PAGES["CP437"]))

    assert data.startswith(INIT + b"\x1bt\x00")
    assert CENTER + b'L\xa2dz "Sklep"\n' in data
    assert b"Zubr - 0,5 l                3.00\n" in data
    # laid out with "€" as one character, then "EUR": two more, and cut to the 32 columns
    assert b"TOTAL" + b" " * 21 + b"2.75 E\n" in data
    assert b"?" not in data


def test_control_characters_are_refused_and_never_reach_the_printer() -> None:
    # a product name carrying ESC p (drawer kick) and a cut command
    evil = document([{"type": "pair", "left": "evil\x1bp\x00\x19\x1dV\x00", "right": "1.00"}])
    with pytest.raises(ValidationError, match="control character U\\+001B is not allowed"):
        ReceiptDocument.model_validate(evil)
    # and a document built in code without validation still cannot send one
    pair = PairBlock.model_construct(
        type="pair", left="evil\x1bp\x00\x19\xfa\x1dV\x00", right="1.00", bold=False, size="normal"
    )
    built = ReceiptDocument.model_construct(format="kassa.receipt", version=1, blocks=[pair])
    data = render_receipt(built, Layout(columns=32))
    assert b"\x1bp" not in data
    assert data.count(b"\x1dV") == 1
    # each control character became a space; \xfa is "ú", printable, so it stays
    assert ("evil p  ú V ".ljust(27) + " 1.00\n").encode("cp858") in data


def test_a_qr_code_prints_natively() -> None:
    receipt = ReceiptDocument.model_validate(
        receipt_data(code={"format": "qr", "value": "K-ORDER-42"})
    )
    data = render_receipt(receipt, Layout())
    qr = (
        b"\x1d(k\x04\x001A2\x00"  # model 2
        b"\x1d(k\x03\x001C\x05"  # module size 5 on 80 mm
        b"\x1d(k\x03\x001E0"  # error correction L
        b"\x1d(k\x0d\x001P0K-ORDER-42"  # store: pL = len + 3
        b"\x1d(k\x03\x001Q0"  # print
    )
    # centred already by "Danke!" before it
    assert data.endswith(CENTER + b"Danke!\n" + qr + b"\n" + LEFT + PARTIAL_CUT)


def test_an_ean13_code_prints_with_its_check_digit() -> None:
    receipt = ReceiptDocument.model_validate(
        receipt_data(code={"format": "ean13", "value": "400638133393"})
    )
    data = render_receipt(receipt, Layout())
    assert b"Danke!\n\x1dh\x50\x1dw\x02\x1dH\x02\x1dkC\x0d4006381333931\n" in data


def test_a_code128_code_centres_itself_and_resets_the_style_after() -> None:
    receipt = ReceiptDocument.model_validate(
        document(
            [
                {"type": "text", "text": "A", "bold": True},
                {"type": "code", "format": "code128", "value": "K-42"},
                {"type": "text", "text": "B"},
            ]
        )
    )
    data = render_receipt(receipt, Layout())
    assert data == (
        INIT
        + CP858
        + BOLD
        + b"A\n"
        + CENTER
        + NOT_BOLD
        + b"\x1dh\x50\x1dw\x02\x1dH\x02\x1dkI\x06{BK-42\n"
        + LEFT
        + b"B\n"
        + PARTIAL_CUT
    )


def test_a_reprint_prints_what_the_document_says_and_full_cut_is_honoured() -> None:
    # the copy mark is the terminal's block, not the proxy's word
    copy = receipt_data()
    copy["blocks"].insert(
        1, {"type": "text", "text": "*** COPY ***", "align": "center", "bold": True}
    )
    data = render_receipt(ReceiptDocument.model_validate(copy), Layout(columns=32, cut="full"))
    assert b"\x1d!\x00*** COPY ***\n" in data
    assert data.endswith(b"\x1bd\x06\x1dV\x00")
    assert b"COPY" not in render_receipt(ReceiptDocument.model_validate(receipt_data()), Layout())


def test_large_is_double_height_only_so_a_large_row_has_all_the_columns() -> None:
    receipt = ReceiptDocument.model_validate(
        document([{"type": "pair", "left": "TOTAL", "right": "315 ¥", "size": "large"}])
    )
    data = render_receipt(receipt, Layout(columns=24))
    row = b"TOTAL" + b" " * 14 + b"315 \xbe"  # 24 columns, ¥ at 0xBE in CP858
    assert data == INIT + CP858 + LARGE + row + b"\n" + NORMAL + PARTIAL_CUT


def test_long_texts_wrap_within_the_columns() -> None:
    name = "Bio Vollkornbrot mit Sonnenblumenkernen aus der Backstube"
    receipt = ReceiptDocument.model_validate(
        document([{"type": "pair", "left": name, "right": "6.20"}])
    )
    data = render_receipt(receipt, Layout(columns=32))
    assert data == (
        INIT
        + CP858
        + b"Bio Vollkornbrot mit        6.20\n"
        + b"Sonnenblumenkernen aus der\n"
        + b"Backstube\n"
        + PARTIAL_CUT
    )


def block_error(block: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as raised:
        ReceiptDocument.model_validate(document([block]))
    return str(raised.value)


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ({"type": "code", "format": "ean13", "value": "4006381333932"}, "check digit should be 1"),
        ({"type": "code", "format": "ean13", "value": "40063813339"}, "12 or 13 digits"),
        ({"type": "code", "format": "code128", "value": "K-1\n"}, "printable ASCII"),
        ({"type": "code", "format": "code128", "value": "K" * 41}, "at most 40 characters"),
        ({"type": "code", "format": "code128", "value": "Kö"}, "printable ASCII"),
        ({"type": "code", "format": "qr", "value": "x" * 301}, "at most 300 characters"),
        ({"type": "code", "format": "qr", "value": ""}, "at least 1 character"),
        ({"type": "code", "format": "pdf417", "value": "x"}, "'qr', 'code128' or 'ean13'"),
        ({"type": "text", "text": "x" * 501}, "at most 500 characters"),
        ({"type": "text", "text": "two\nlines"}, "control character U+000A"),
        ({"type": "text", "text": "x", "align": "justify"}, "'left', 'center' or 'right'"),
        ({"type": "text", "text": "x", "size": "huge"}, "'normal' or 'large'"),
        ({"type": "text", "text": "x", "bold": "yes please"}, "valid boolean"),
        ({"type": "text", "text": "x", "colour": "red"}, "Extra inputs are not permitted"),
        ({"type": "text"}, "Field required"),
        ({"type": "pair", "left": "x"}, "Field required"),
        ({"type": "pair", "left": "x", "right": "1", "align": "left"}, "Extra inputs"),
        ({"type": "columns", "cells": ["only one"]}, "at least 2 items"),
        ({"type": "columns", "cells": ["c"] * 7}, "at most 6 items"),
        ({"type": "columns", "cells": ["a", "b"], "size": "large"}, "Extra inputs"),
        ({"type": "rule", "char": "="}, "Extra inputs"),
        ({"type": "blank", "text": ""}, "Extra inputs"),
        ({"type": "image", "src": "x"}, "does not match any of the expected tags"),
        ({"text": "no type"}, "Unable to extract tag using discriminator 'type'"),
    ],
)
def test_blocks_that_cannot_print_are_refused(block: dict[str, Any], message: str) -> None:
    assert message in block_error(block)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"format": "kassa.invoice"}, "Input should be 'kassa.receipt'"),
        ({"version": 2}, "Input should be 1"),
        ({"blocks": [{"type": "blank"}] * 2001}, "at most 2000 items"),
        ({"title": "x"}, "Extra inputs are not permitted"),
    ],
)
def test_documents_of_another_kind_version_or_size_are_refused(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        ReceiptDocument.model_validate({**receipt_data(), **changes})
    for field in ("format", "version", "blocks"):
        data = receipt_data()
        del data[field]
        with pytest.raises(ValidationError, match="Field required"):
            ReceiptDocument.model_validate(data)


def test_the_limits_themselves_are_accepted() -> None:
    blocks: list[dict[str, Any]] = [{"type": "text", "text": "x" * 500}] * 1995 + [
        {"type": "columns", "cells": ["a"] * 6},
        {"type": "columns", "cells": ["a", "b"]},
        {"type": "code", "format": "code128", "value": "~" * 40},
        {"type": "code", "format": "qr", "value": "ü" * 300},
        {"type": "code", "format": "ean13", "value": "2305000123451"},
    ]
    assert len(ReceiptDocument.model_validate(document(blocks)).blocks) == 2000


def test_ean13_digits() -> None:
    assert ean13_digits("400638133393") == "4006381333931"
    assert ean13_digits("2305000123451") == "2305000123451"
    with pytest.raises(ValueError, match="12 or 13 digits"):
        ean13_digits("12345")


@pytest.mark.parametrize(
    ("pin", "expected"), [(2, b"\x1bp\x00\x32\x32"), (5, b"\x1bp\x01\x32\x32")]
)
def test_drawer_kick_bytes(pin: int, expected: bytes) -> None:
    assert drawer_kick(pin) == expected


def test_the_logo_is_a_centred_raster_image(tmp_path: Path) -> None:
    from PIL import Image

    # given a 16x2 logo: left half black
    image = Image.new("L", (16, 2), 255)
    for x in range(8):
        for y in range(2):
            image.putpixel((x, y), 0)
    path = tmp_path / "logo.png"
    image.save(path)

    # when it is prepared for a 32-dot wide paper
    raster = logo_raster(path, 32)

    # then GS v 0 with 4 bytes x 2 rows, the black dots centred (dots 8..15)
    assert raster == b"\x1dv0\x00\x04\x00\x02\x00" + b"\x00\xff\x00\x00" * 2
    data = render_receipt(ReceiptDocument.model_validate(receipt_data()), Layout(logo=raster))
    assert data.startswith(INIT + CP858 + CENTER + raster + b"\n" + BOLD + LARGE + b"Caf")


def test_the_test_page_names_the_printer_and_shows_the_code_page() -> None:
    data = render_test_page(
        Layout(columns=32, test_title="Testdruck"),
        printer="tcp://10.0.0.9:9100",
        details=["paper: 58 mm"],
    )
    assert data == (
        INIT
        + CP858
        + CENTER
        + BOLD
        + LARGE
        + b"Testdruck\n"
        + LEFT
        + NOT_BOLD
        + NORMAL
        + b"\n"
        + b"printer: tcp://10.0.0.9:9100\n"
        + b"code page: CP858, 32 columns\n"
        + b"paper: 58 mm\n"
        + b"-" * 32
        + b"\n"
        + "€ £ $ ÄÖÜ äöü ß éèêë àâ ç ñ øå\n".encode("cp858")
        + b"12345678901234567890123456789012\n"
        + b"-" * 32
        + b"\n"
        + PARTIAL_CUT
    )
