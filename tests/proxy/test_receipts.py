"""Receipt rendering, byte by byte: python-escpos Dummy output as the printer receives it."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from kassa.proxy.receipts import (
    Layout,
    Receipt,
    drawer_kick,
    ean13_digits,
    logo_raster,
    render_receipt,
    render_test_page,
)
from kassa.proxy.text import CODE_PAGES

INIT = b"\x1b@"
CP858 = b"\x1bt\x13"
NORMAL = b"\x1b!\x00\x1b!\x00\x1b!\x00\x1bE\x00\x1ba\x00"
CENTER_BOLD_TALL = b"\x1b!\x00\x1b!\x00\x1b!\x10\x1bE\x01\x1ba\x01"
BOLD_TALL = b"\x1b!\x00\x1b!\x00\x1b!\x10\x1bE\x01\x1ba\x00"
CENTER = b"\x1b!\x00\x1b!\x00\x1b!\x00\x1bE\x00\x1ba\x01"
PARTIAL_CUT = b"\x1bd\x06\x1dV\x01"


def receipt_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "header": ["Café Ünal"],
        "number": "R-7",
        "date": "2024-05-03T14:22:05+02:00",
        "cashier": "Anna",
        "lines": [
            {"name": "Brötchen", "quantity": "1", "unit_price": "0.50", "total": "0.50"},
            {
                "name": "Äpfel",
                "quantity": "1.250",
                "unit": "kg",
                "unit_price": "2.00",
                "discount": "10",
                "total": "2.25",
            },
        ],
        "taxes": [{"rate": "7", "net": "2.57", "tax": "0.18", "gross": "2.75"}],
        "total": "2.75",
        "payments": [{"method": "Bar", "amount": "5.00"}],
        "change": "2.25",
        "footer": ["Danke!"],
    }
    data.update(changes)
    return data


def test_a_whole_receipt_renders_to_exact_bytes() -> None:
    # given a small receipt and a 58 mm layout in CP858
    receipt = Receipt.model_validate(receipt_data())
    layout = Layout(columns=32, dots=384)

    # when it is rendered
    data = render_receipt(receipt, layout)

    # then every byte is the expected one: init, CP858, text in CP858 with € at 0xD5, cut
    expected = (
        INIT
        + CP858
        + CENTER_BOLD_TALL
        + b"Caf\x82 \x9anal\n"
        + NORMAL
        + b"\n"
        + b"Receipt R-7\n"
        + b"2024-05-03 14:22   Cashier: Anna\n"
        + b"-" * 32
        + b"\n"
        + b"Br\x94tchen                    0.50\n"
        + b"\x8epfel\n"
        + b"  1.25 kg x 2.00 -10%       2.25\n"
        + b"-" * 32
        + b"\n"
        + BOLD_TALL
        + b"TOTAL                     2.75 \xd5\n"
        + NORMAL
        + b"Bar                         5.00\n"
        + b"Change                      2.25\n"
        + b"\n"
        + b"Tax          Net Tax amt   Gross\n"
        + b"7%          2.57    0.18    2.75\n"
        + b"\n"
        + CENTER
        + b"Danke!\n"
        + NORMAL
        + b"\n"
        + NORMAL
        + PARTIAL_CUT
    )
    assert data == expected


def test_the_code_page_is_selected_again_right_after_init() -> None:
    # python-escpos 3.1 forgets to re-send the code page after ESC @
    data = render_receipt(Receipt.model_validate(receipt_data()), Layout())
    assert data.startswith(INIT + CP858)
    assert data.count(b"\x1bt") == 1


def test_euro_uses_wpc1252_when_configured_and_no_greek_code_page_ever() -> None:
    layout = Layout(code_page=CODE_PAGES["WPC1252"])
    data = render_receipt(Receipt.model_validate(receipt_data()), layout)
    assert data.startswith(INIT + b"\x1bt\x10")
    assert b"2.75 \x80\n" in data  # € in Windows-1252
    assert b"\x1bt\x0f" not in data  # ISO-8859-7, python-escpos's automatic pick


def test_characters_outside_the_code_page_are_transliterated() -> None:
    # given names with characters CP437 lacks (€, ł, „ “) and CP437 selected
    receipt = Receipt.model_validate(
        receipt_data(
            header=["Łódź „Sklep“"],
            lines=[
                {"name": "Żubr – 0,5 l", "quantity": "1", "unit_price": "3.00", "total": "3.00"}
            ],
        )
    )
    data = render_receipt(receipt, Layout(columns=32, code_page=CODE_PAGES["CP437"]))

    assert b"\x1bt\x00" in data
    assert b'L\xa2dz "Sklep"\n' in data
    assert b"Zubr - 0,5 l                3.00\n" in data
    assert b"2.75 EUR\n" in data
    assert b"?" not in data


def test_control_characters_in_the_document_never_reach_the_printer() -> None:
    # a product name carrying ESC p (drawer kick) and a cut command
    receipt = Receipt.model_validate(
        receipt_data(
            lines=[
                {
                    "name": "evil\x1bp\x00\x19\xfa\x1dV\x00",
                    "quantity": "1",
                    "unit_price": "1.00",
                    "total": "1.00",
                }
            ]
        )
    )
    data = render_receipt(receipt, Layout(columns=32))
    assert b"\x1bp" not in data
    assert data.count(b"\x1dV") == 1
    # each control character became a space; \xfa is "ú", printable, so it stays
    assert ("evil p  ú V ".ljust(27) + " 1.00\n").encode("cp858") in data


def test_the_reference_prints_as_native_qr_code() -> None:
    receipt = Receipt.model_validate(receipt_data(reference="K-ORDER-42"))
    data = render_receipt(receipt, Layout())
    qr = (
        b"\x1d(k\x04\x001A2\x00"  # model 2
        b"\x1d(k\x03\x001C\x05"  # module size 5 on 80 mm
        b"\x1d(k\x03\x001E0"  # error correction L
        b"\x1d(k\x0d\x001P0K-ORDER-42"  # store: pL = len + 3
        b"\x1d(k\x03\x001Q0"  # print
    )
    assert CENTER + qr + b"\n" in data


def test_the_reference_prints_as_ean13_with_its_check_digit() -> None:
    receipt = Receipt.model_validate(
        receipt_data(reference="400638133393", reference_format="ean13")
    )
    data = render_receipt(receipt, Layout())
    assert b"\x1dh\x50\x1dw\x02\x1dH\x02\x1dkC\x0d4006381333931\n" in data


def test_the_reference_prints_as_code128() -> None:
    receipt = Receipt.model_validate(receipt_data(reference="K-42", reference_format="code128"))
    data = render_receipt(receipt, Layout())
    assert b"\x1dkI\x06{BK-42\n" in data


def test_a_reprint_is_marked_as_copy_and_full_cut_is_honoured() -> None:
    receipt = Receipt.model_validate(receipt_data())
    data = render_receipt(receipt, Layout(columns=32, cut="full"), copy=True)
    assert b"\x1bE\x01\x1ba\x01*** COPY ***\n" in data
    assert data.endswith(b"\x1bd\x06\x1dV\x00")


def test_decimal_comma_and_label_overrides() -> None:
    receipt = Receipt.model_validate(receipt_data())
    layout = Layout(
        columns=32, decimal_separator=",", labels={"total": "SUMME", "change": "Rückgeld"}
    )
    data = render_receipt(receipt, layout)
    assert b"SUMME                     2,75 \xd5\n" in data
    assert b"R\x81ckgeld                    2,25\n" in data
    assert b"  1,25 kg x 2,00 -10%       2,25\n" in data


def test_long_names_wrap_within_the_columns() -> None:
    name = "Bio Vollkornbrot mit Sonnenblumenkernen aus der Backstube"
    receipt = Receipt.model_validate(
        receipt_data(lines=[{"name": name, "quantity": "2", "unit_price": "3.10", "total": "6.20"}])
    )
    data = render_receipt(receipt, Layout(columns=32))
    assert b"Bio Vollkornbrot mit\nSonnenblumenkernen aus der\nBackstube\n  2 x 3.10" in data
    for line in data.split(b"\n"):
        text = line.split(b"\x1ba")[-1][1:] if b"\x1ba" in line else line
        assert len(text) <= 32


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"total": 2.75}, "must be a decimal string"),
        ({"total": "2.755"}, "more than 2 decimals"),
        ({"total": "NaN"}, "not a finite number"),
        ({"taxes": [{"rate": "7", "net": "2.57", "tax": "0.18", "gross": "2.76"}]}, "!= gross"),
        ({"reference": "4006381333932", "reference_format": "ean13"}, "check digit should be 1"),
        ({"reference": "K-1\n", "reference_format": "code128"}, "printable ASCII"),
        (
            {
                "lines": [
                    {"name": "x", "quantity": "1", "unit_price": "1", "total": "1", "vat": "1"}
                ]
            },
            "Extra inputs",
        ),
    ],
)
def test_documents_that_cannot_be_money_or_print_are_rejected(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        Receipt.model_validate(receipt_data(**changes))


def test_amounts_are_decimals_and_serialise_as_strings() -> None:
    receipt = Receipt.model_validate(receipt_data())
    assert receipt.total == Decimal("2.75")
    assert receipt.model_dump(mode="json")["lines"][1]["quantity"] == "1.250"


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
    data = render_receipt(Receipt.model_validate(receipt_data()), Layout(logo=raster))
    assert data.startswith(INIT + CP858 + CENTER + raster + b"\n")


def test_the_test_page_names_the_printer_and_shows_the_code_page() -> None:
    data = render_test_page(
        Layout(columns=32), printer="tcp://10.0.0.9:9100", details=["paper: 58 mm"]
    )
    assert b"printer: tcp://10.0.0.9:9100\n" in data
    assert b"\xd5 \x9c $ \x8e\x99\x9a \x84\x94\x81 \xe1" in data
    assert data.endswith(PARTIAL_CUT)
