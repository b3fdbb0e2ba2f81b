"""The receipt document and its rendering to ESC/POS: a pure function, document in, bytes out.

Rendering goes through python-escpos's `Dummy` printer with its 3.1 pitfalls worked around:
the code page is forced (never the automatic choice, which picks ISO-8859-7 for €) and sent
again after `ESC @`; text is transliterated for the code page before python-escpos sees it;
barcodes and the logo are built here because python-escpos prints to stdout while making them.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from kassa.money import DISCOUNT_PLACES, QUANTITY_PLACES, RATE_PLACES, to_decimal
from kassa.proxy._escpos import Dummy, EscposImage
from kassa.proxy.text import (
    CODE_PAGES,
    CURRENCY_SYMBOLS,
    CodePage,
    format_amount,
    format_quantity,
    transliterate,
)


def _decimal_string(places: int) -> BeforeValidator:
    def parse(value: Any) -> Decimal:
        if not isinstance(value, str | Decimal):
            raise ValueError(
                f'must be a decimal string such as "12.50", not {type(value).__name__}'
            )
        return to_decimal(value, places=places)

    return BeforeValidator(parse)


Money = Annotated[Decimal, _decimal_string(2)]
Quantity = Annotated[Decimal, _decimal_string(QUANTITY_PLACES)]
Percent = Annotated[Decimal, _decimal_string(DISCOUNT_PLACES)]
Rate = Annotated[Decimal, _decimal_string(RATE_PLACES)]
Line = Annotated[str, Field(max_length=200)]


class _Document(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReceiptLine(_Document):
    name: Line
    quantity: Quantity
    unit: Annotated[str, Field(max_length=10)] = ""
    unit_price: Money
    discount: Percent = Decimal(0)
    total: Money


class TaxLine(_Document):
    rate: Rate
    net: Money
    tax: Money
    gross: Money

    @model_validator(mode="after")
    def _balanced(self) -> TaxLine:
        if self.net + self.tax != self.gross:
            raise ValueError(f"net {self.net} + tax {self.tax} != gross {self.gross}")
        return self


class Payment(_Document):
    method: Annotated[str, Field(min_length=1, max_length=60)]
    amount: Money


class Receipt(_Document):
    """What the terminal sends to print; amounts are decimal strings."""

    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "EUR"
    header: Annotated[list[Line], Field(max_length=20)] = []
    number: Annotated[str, Field(min_length=1, max_length=60)]
    date: datetime
    cashier: Annotated[str, Field(max_length=60)] = ""
    lines: Annotated[list[ReceiptLine], Field(max_length=1000)]
    taxes: Annotated[list[TaxLine], Field(max_length=20)] = []
    total: Money
    payments: Annotated[list[Payment], Field(max_length=20)] = []
    change: Money = Decimal(0)
    footer: Annotated[list[Line], Field(max_length=20)] = []
    reference: Annotated[str, Field(min_length=1, max_length=300)] | None = None
    reference_format: Literal["qr", "code128", "ean13"] = "qr"

    @model_validator(mode="after")
    def _printable_reference(self) -> Receipt:
        if self.reference is None:
            return self
        if self.reference_format == "ean13":
            ean13_digits(self.reference)
        elif self.reference_format == "code128":
            if not (self.reference.isascii() and self.reference.isprintable()):
                raise ValueError("a code128 reference must be printable ASCII")
            if len(self.reference) > 40:
                raise ValueError("a code128 reference is at most 40 characters")
        return self


def ean_check_digit(digits: str) -> int:
    """Weights 3, 1, 3, ... from the right; check = (10 - sum mod 10) mod 10."""
    total = sum(
        int(digit) * (3 if index % 2 == 0 else 1) for index, digit in enumerate(reversed(digits))
    )
    return (10 - total % 10) % 10


def ean13_digits(value: str) -> str:
    """12 digits get their check digit; 13 digits must carry the right one."""
    if not value.isascii() or not value.isdigit() or len(value) not in {12, 13}:
        raise ValueError("an ean13 reference is 12 or 13 digits")
    check = ean_check_digit(value[:12])
    if len(value) == 13 and int(value[12]) != check:
        raise ValueError(f"ean13 check digit should be {check}")
    return value[:12] + str(check)


DEFAULT_LABELS: dict[str, str] = {
    "receipt": "Receipt",
    "cashier": "Cashier",
    "total": "TOTAL",
    "change": "Change",
    "tax_rate": "Tax",
    "net": "Net",
    "tax": "Tax amt",
    "gross": "Gross",
    "copy": "*** COPY ***",
    "discount": "disc.",
    "test_title": "Kassa test print",
}

ESC = b"\x1b"
GS = b"\x1d"


@dataclass(frozen=True, slots=True)
class Layout:
    """How receipts look on one printer; built once from the printer settings."""

    columns: int = 48
    code_page: CodePage = CODE_PAGES["CP858"]
    cut: Literal["full", "partial"] = "partial"
    decimal_separator: str = "."
    dots: int = 576
    labels: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_LABELS))
    logo: bytes = b""

    def label(self, name: str) -> str:
        return self.labels.get(name, DEFAULT_LABELS[name])


def logo_raster(path: str | Path, dots: int) -> bytes:
    """`GS v 0` raster bytes for an image file, scaled down to the paper and centred."""
    from PIL import Image

    with Image.open(path) as source:
        image = source.convert("L")
    width = min(image.width, dots)
    if width != image.width:
        image = image.resize((width, max(1, image.height * width // image.width)))
    canvas = Image.new("L", (dots, image.height), 255)
    canvas.paste(image, ((dots - width) // 2, 0))
    raster = EscposImage(canvas)
    width_bytes: int = raster.width_bytes
    height: int = raster.height
    header = GS + b"v0\x00" + width_bytes.to_bytes(2, "little") + height.to_bytes(2, "little")
    return header + bytes(raster.to_raster_format())


def drawer_kick(pin: int) -> bytes:
    """`ESC p m t1 t2`: pin 2 is m=0, pin 5 is m=1; 100 ms on, 100 ms off."""
    printer = Dummy()
    printer.cashdraw(pin)
    return bytes(printer.output)


def drawer_pulse(pin: int) -> bytes:
    """`DLE DC4 1 m t`: a real-time drawer pulse (pin 2 is m=0, pin 5 is m=1; 100 ms).

    Unlike `ESC p` it is executed at once even while the printer is stopped on paper out or
    an open cover, where `ESC p` would wait in the buffer with the receipt.
    """
    return bytes([0x10, 0x14, 0x01, 1 if pin == 5 else 0, 1])


class _Writer:
    """python-escpos `Dummy` plus the layout rules: everything is transliterated first."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.width = layout.columns
        self.printer = Dummy()
        self.printer.hw("INIT")
        # pitfall: ESC @ resets the printer's code page but python-escpos still believes
        # the old one is selected, so forget it and select ours again.
        self.printer.magic.encoding = None
        self.printer.charcode(layout.code_page.name)

    def clean(self, text: str) -> str:
        return transliterate(text, self.layout.code_page.codec)

    def style(self, *, align: str = "left", bold: bool = False, tall: bool = False) -> None:
        self.printer.set(align=align, bold=bold, double_height=tall, normal_textsize=not tall)

    def text(self, text: str) -> None:
        """Already transliterated text: encoded here, in the one code page selected at init.

        python-escpos's per-character encoder would give the same bytes (the code page is
        forced), at half the speed of the codec.
        """
        self.printer._raw(text.encode(self.layout.code_page.codec))

    def line(self, text: str = "") -> None:
        self.text(self.clean(text)[: self.width] + "\n")

    def wrapped(self, text: str, *, indent: str = "") -> None:
        for piece in textwrap.wrap(self.clean(text), self.width, subsequent_indent=indent) or [""]:
            self.text(piece + "\n")

    def pair(self, left: str, right: str) -> None:
        left, right = self.clean(left), self.clean(right)[: self.width]
        room = self.width - len(right) - 1
        if room < 1:
            self.text(right.rjust(self.width) + "\n")
            return
        self.text(left[:room].ljust(room) + " " + right + "\n")

    def rule(self, char: str = "-") -> None:
        self.text(char * self.width + "\n")

    def raw(self, data: bytes) -> None:
        self.printer._raw(data)

    def finish(self) -> bytes:
        self.style()
        if self.layout.cut == "full":
            self.printer.cut(mode="FULL")
        else:
            self.printer.cut(mode="PART")
        return bytes(self.printer.output)


def _money(layout: Layout, value: Decimal) -> str:
    return format_amount(value, layout.decimal_separator)


def _line_detail(layout: Layout, line: ReceiptLine) -> str:
    quantity = format_quantity(line.quantity, layout.decimal_separator)
    unit = f" {line.unit}" if line.unit else ""
    detail = f"  {quantity}{unit} x {_money(layout, line.unit_price)}"
    if line.discount:
        detail += f" -{format_quantity(line.discount, layout.decimal_separator)}%"
    return detail


def _reference(writer: _Writer, receipt: Receipt) -> None:
    if receipt.reference is None:
        return
    writer.style(align="center")
    if receipt.reference_format == "qr":
        # Native QR: the printer draws it from a few bytes instead of a raster image.
        writer.printer.qr(receipt.reference, native=True, size=5 if writer.layout.dots > 400 else 4)
        writer.text("\n")
        return
    # Height 80 dots, module width 2, human readable text below.
    writer.raw(GS + b"h\x50" + GS + b"w\x02" + GS + b"H\x02")
    if receipt.reference_format == "ean13":
        writer.raw(GS + b"kC\x0d" + ean13_digits(receipt.reference).encode("ascii"))
    else:
        data = b"{B" + receipt.reference.encode("ascii")
        writer.raw(GS + b"kI" + bytes([len(data)]) + data)
    writer.text("\n")


def render_receipt(receipt: Receipt, layout: Layout, *, copy: bool = False) -> bytes:
    """ESC/POS bytes for `receipt`: init, code page, logo, text, reference code, feed and cut."""
    writer = _Writer(layout)
    if layout.logo:
        writer.style(align="center")
        writer.raw(layout.logo)
        writer.text("\n")
    for index, text in enumerate(receipt.header):
        writer.style(align="center", bold=index == 0, tall=index == 0)
        writer.wrapped(text)
    writer.style()
    if copy:
        writer.style(align="center", bold=True)
        writer.line(layout.label("copy"))
        writer.style()
    writer.line()
    writer.line(f"{layout.label('receipt')} {receipt.number}")
    date = receipt.date.strftime("%Y-%m-%d %H:%M")
    cashier = f"{layout.label('cashier')}: {receipt.cashier}" if receipt.cashier else ""
    writer.pair(date, cashier)
    writer.rule()
    for line in receipt.lines:
        total = _money(layout, line.total)
        if line.quantity == 1 and not line.discount and not line.unit:
            writer.pair(line.name, total)
            continue
        writer.wrapped(line.name)
        writer.pair(_line_detail(layout, line), total)
    writer.rule()
    symbol = CURRENCY_SYMBOLS.get(receipt.currency, receipt.currency)
    writer.style(bold=True, tall=True)
    writer.pair(layout.label("total"), f"{_money(layout, receipt.total)} {symbol}")
    writer.style()
    for payment in receipt.payments:
        writer.pair(payment.method, _money(layout, payment.amount))
    if receipt.change:
        writer.pair(layout.label("change"), _money(layout, receipt.change))
    if receipt.taxes:
        writer.line()
        writer.line(
            _tax_row(
                layout,
                (
                    layout.label("tax_rate"),
                    layout.label("net"),
                    layout.label("tax"),
                    layout.label("gross"),
                ),
            )
        )
        for tax in receipt.taxes:
            rate = format_quantity(tax.rate, layout.decimal_separator) + "%"
            writer.line(
                _tax_row(
                    layout,
                    (
                        rate,
                        _money(layout, tax.net),
                        _money(layout, tax.tax),
                        _money(layout, tax.gross),
                    ),
                )
            )
    if receipt.footer:
        writer.line()
        writer.style(align="center")
        for text in receipt.footer:
            writer.wrapped(text)
    writer.style()
    writer.line()
    _reference(writer, receipt)
    return writer.finish()


def _tax_row(layout: Layout, cells: Sequence[str]) -> str:
    width = layout.columns // 4
    first = cells[0][:width].ljust(width)
    rest = "".join(cell[: width - 1].rjust(width) for cell in cells[1:])
    return (first + rest)[: layout.columns]


def render_test_page(layout: Layout, *, printer: str, details: Sequence[str]) -> bytes:
    """The technician's test print: the settings in use and a code page sample."""
    writer = _Writer(layout)
    writer.style(align="center", bold=True, tall=True)
    writer.wrapped(layout.label("test_title"))
    writer.style()
    writer.line()
    writer.wrapped(f"printer: {printer}")
    writer.wrapped(f"code page: {layout.code_page.name}, {layout.columns} columns")
    for detail in details:
        writer.wrapped(detail)
    writer.rule()
    writer.line("€ £ $ ÄÖÜ äöü ß éèêë àâ ç ñ øå")
    writer.line("".join(str(index % 10) for index in range(1, layout.columns + 1)))
    writer.rule()
    return writer.finish()
