"""The virtual printer: ESC/POS in, readable receipts out; faults behave like a real printer."""

from __future__ import annotations

import pytest

from kassa.proxy.devices.escpos_decoder import Barcode, EscPosDecoder, QrCode, RasterImage, TextLine
from kassa.proxy.devices.printer import Printer
from kassa.proxy.devices.virtual import VirtualPrinter
from kassa.proxy.errors import DeviceOffline
from kassa.proxy.receipts import Layout, ReceiptDocument, drawer_kick, render_receipt
from kassa.proxy.text import CODE_PAGES
from tests.proxy.test_receipts import receipt_data


def test_a_rendered_receipt_reads_back_as_text() -> None:
    receipt = ReceiptDocument.model_validate(
        receipt_data(code={"format": "ean13", "value": "400638133393"})
    )
    printer = VirtualPrinter(columns=32, dots=384)
    printer.write(render_receipt(receipt, Layout(columns=32, dots=384)))

    [printed] = printer.receipts
    assert printed.text == (
        "           Café Ünal\n"
        "\n"
        "Receipt R-7\n"
        "2024-05-03 14:22   Cashier: Anna\n"
        "--------------------------------\n"
        "Brötchen                    0.50\n"
        "Äpfel\n"
        "1.25 kg x 2.00 -10%         2.25\n"
        "--------------------------------\n"
        "TOTAL                     2.75 €\n"
        "Bar                         5.00\n"
        "Change                      2.25\n"
        "\n"
        "Tax          Net Tax amt   Gross\n"
        "7%          2.57    0.18    2.75\n"
        "\n"
        "             Danke!\n"
        "     [EAN13: 4006381333931]\n"
    )
    assert printed.elements[0] == TextLine("Café Ünal", "center", bold=True, tall=True)
    assert printed.png().startswith(b"\x89PNG")


def test_code_pages_styles_images_and_codes_are_decoded() -> None:
    cuts: list[list[object]] = []
    decoder = EscPosDecoder(on_cut=cuts.append)
    decoder.feed(b"\x1b@\x1bt\x10\x80 \x1bt\x13\xd5\n")  # WPC1252 € then CP858 €
    decoder.feed(b"\x1ba\x02\x1bE\x01right\n\x1d!\x11big\n")
    decoder.feed(b"\x1dv0\x00\x01\x00\x02\x00\xff\x00")  # an 8x2 image
    decoder.feed(b"\x1d(k\x04\x001A2\x00\x1d(k\x06\x001P0abc\x1d(k\x03\x00")  # split mid-command
    decoder.feed(b"1Q0\x1dkI\x05{BK-1\x1dV\x01")
    [elements] = cuts
    assert elements == [
        TextLine("€ €"),
        TextLine("right", "right", bold=True),
        TextLine("big", "right", bold=True, tall=True, wide=True),
        RasterImage(1, 2, b"\xff\x00", "right"),
        QrCode("abc", "right"),
        Barcode("CODE128", "K-1", "right"),
    ]


def test_the_virtual_printer_holds_data_while_stopped_and_answers_status() -> None:
    virtual = VirtualPrinter()
    printer = Printer(virtual, drawer_sensor="open_high")
    receipt = render_receipt(
        ReceiptDocument.model_validate(receipt_data()), Layout(code_page=CODE_PAGES["CP858"])
    )

    virtual.set_faults(paper="out")
    status = printer.status()
    assert (status.state, status.paper, status.fault) == ("offline", "out", "paper_out")
    printer.send(receipt + drawer_kick(2))
    assert virtual.receipts == []
    assert not virtual.drawer_open

    virtual.set_faults(paper="near_end")
    assert len(virtual.receipts) == 1
    assert virtual.drawer_open
    status = printer.status()
    assert (status.state, status.paper, status.drawer, status.fault) == (
        "online",
        "near_end",
        "open",
        None,
    )

    virtual.set_faults(no_answer=True)
    assert printer.status().fault == "no_answer"
    virtual.set_faults(no_answer=False, offline=True)
    assert printer.status().state == "offline"
    with pytest.raises(DeviceOffline, match="switched off"):
        printer.send(b"x")
    virtual.close_drawer()
    virtual.set_faults(offline=False)
    assert printer.status().drawer == "closed"
