"""The receipt document (docs/receipt.md) and its printing: layout, then ESC/POS bytes.

The terminal builds the document and decides every word; this module lays it out with the
one algorithm of docs/receipt.md (`layout_receipt`, the same rules as the terminal's preview,
checked against `tests/shared/receipt_layout_cases.json`) and renders the rows
(`render_receipt`), adding only the configured logo, the feed and the cut.

Rendering goes through python-escpos's `Dummy` printer with its 3.1 pitfalls worked around:
the code page is forced (never the automatic choice, which picks ISO-8859-7 for €) and sent
again after `ESC @`; text is transliterated for the code page before it is encoded;
styles, barcodes and the logo are built here because python-escpos prints to stdout while
making some of them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from kassa.proxy._escpos import Dummy, EscposImage
from kassa.proxy.text import CODE_PAGES, CodePage, transliterate

MAX_BLOCKS = 2000
MAX_STRING = 500
MAX_QR = 300
MAX_CODE128 = 40
TEST_TITLE = "Kassa test print"  # `[printer.labels] test_title`

Align = Literal["left", "center", "right"]
Size = Literal["normal", "large"]


def _no_control_characters(value: str) -> str:
    # A control character would break the layout (a line feed) or drive the printer (ESC p
    # opens the drawer); a multi-line header is several text blocks.
    for char in value:
        if unicodedata.category(char) == "Cc":
            raise ValueError(f"control character U+{ord(char):04X} is not allowed")
    return value


Text = Annotated[str, Field(max_length=MAX_STRING), AfterValidator(_no_control_characters)]


class _Block(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TextBlock(_Block):
    type: Literal["text"]
    text: Text
    align: Align = "left"
    bold: bool = False
    size: Size = "normal"


class PairBlock(_Block):
    type: Literal["pair"]
    left: Text
    right: Text
    bold: bool = False
    size: Size = "normal"


class ColumnsBlock(_Block):
    type: Literal["columns"]
    cells: Annotated[list[Text], Field(min_length=2, max_length=6)]
    bold: bool = False


class RuleBlock(_Block):
    type: Literal["rule"]


class BlankBlock(_Block):
    type: Literal["blank"]


class CodeBlock(_Block):
    type: Literal["code"]
    format: Literal["qr", "code128", "ean13"]
    value: Annotated[str, Field(min_length=1, max_length=MAX_QR)]

    @model_validator(mode="after")
    def _printable(self) -> CodeBlock:
        if self.format == "ean13":
            ean13_digits(self.value)
        elif self.format == "code128":
            if not (self.value.isascii() and self.value.isprintable()):
                raise ValueError("a code128 value must be printable ASCII")
            if len(self.value) > MAX_CODE128:
                raise ValueError(f"a code128 value is at most {MAX_CODE128} characters")
        else:
            _no_control_characters(self.value)
        return self


Block = Annotated[
    TextBlock | PairBlock | ColumnsBlock | RuleBlock | BlankBlock | CodeBlock,
    Field(discriminator="type"),
]


class ReceiptDocument(_Block):
    """What the terminal sends to print: `{"format": "kassa.receipt", "version": 1, "blocks"}`."""

    format: Literal["kassa.receipt"]
    version: Literal[1]
    blocks: Annotated[list[Block], Field(max_length=MAX_BLOCKS)]


def ean_check_digit(digits: str) -> int:
    """Weights 3, 1, 3, ... from the right; check = (10 - sum mod 10) mod 10."""
    total = sum(
        int(digit) * (3 if index % 2 == 0 else 1) for index, digit in enumerate(reversed(digits))
    )
    return (10 - total % 10) % 10


def ean13_digits(value: str) -> str:
    """12 digits get their check digit; 13 digits must carry the right one."""
    if not value.isascii() or not value.isdigit() or len(value) not in {12, 13}:
        raise ValueError("an ean13 value is 12 or 13 digits")
    check = ean_check_digit(value[:12])
    if len(value) == 13 and int(value[12]) != check:
        raise ValueError(f"ean13 check digit should be {check}")
    return value[:12] + str(check)


# -- layout: document and width in, rows out (docs/receipt.md) ------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    """One printed line: its text (not padded for alignment), alignment, emphasis, size."""

    text: str
    align: Align = "left"
    bold: bool = False
    size: Size = "normal"

    def as_dict(self) -> dict[str, Any]:
        return {"text": self.text, "align": self.align, "bold": self.bold, "size": self.size}


@dataclass(frozen=True, slots=True)
class CodeRow:
    """A QR code or barcode, printed natively by the printer."""

    code: Literal["qr", "code128", "ean13"]
    value: str

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "value": self.value}


def wrap(text: str, width: int) -> list[str]:
    """Greedy word wrap on white space; a word longer than `width` is cut into pieces.

    Lengths are code points, as JavaScript's `Array.from(s).length`. White space is what
    `str.split()` splits on (docs/receipt.md; the terminal spells that set out). No words:
    `[""]`.
    """
    if width < 1:
        raise ValueError(f"cannot wrap to width {width}")
    lines: list[str] = []
    current = ""
    for word in text.split():
        if len(word) > width:
            if current:
                lines.append(current)
            pieces = [word[start : start + width] for start in range(0, len(word), width)]
            lines.extend(pieces[:-1])
            current = pieces[-1]
        elif not current:
            current = word
        elif len(current) + 1 + len(word) <= width:
            current = f"{current} {word}"
        else:
            lines.append(current)
            current = word
    if current or not lines:
        lines.append(current)
    return lines


def cut(text: str, count: int) -> str:
    """The first `count` code points; none when `count` <= 0 (not Python's `s[:-1]`)."""
    return text[: max(count, 0)]


def _pair_rows(block: PairBlock, width: int) -> list[Row]:
    right = cut(block.right, width)
    room = width - len(right) - 1
    if room < 1:
        return [Row(right.rjust(width), bold=block.bold, size=block.size)]
    first, *rest = wrap(block.left, room)
    rows = [Row(f"{first.ljust(room)} {right}", bold=block.bold, size=block.size)]
    rows += [Row(line, bold=block.bold, size=block.size) for line in rest]
    return rows


def _columns_row(block: ColumnsBlock, width: int) -> Row:
    cell_width = width // len(block.cells)
    first, *others = block.cells
    text = cut(first, cell_width).ljust(cell_width)
    text += "".join(cut(cell, cell_width - 1).rjust(cell_width) for cell in others)
    return Row(cut(text, width), bold=block.bold)


def layout_receipt(document: ReceiptDocument, columns: int) -> list[Row | CodeRow]:
    """The rows of `document` on paper `columns` characters wide, per docs/receipt.md."""
    if columns < 1:
        raise ValueError(f"cannot lay out a receipt {columns} columns wide")
    rows: list[Row | CodeRow] = []
    for block in document.blocks:
        if isinstance(block, TextBlock):
            rows += [
                Row(line, block.align, block.bold, block.size) for line in wrap(block.text, columns)
            ]
        elif isinstance(block, PairBlock):
            rows += _pair_rows(block, columns)
        elif isinstance(block, ColumnsBlock):
            rows.append(_columns_row(block, columns))
        elif isinstance(block, RuleBlock):
            rows.append(Row("-" * columns))
        elif isinstance(block, BlankBlock):
            rows.append(Row(""))
        else:
            rows.append(CodeRow(block.format, block.value))
    return rows


# -- rendering: rows in, ESC/POS bytes out ----------------------------------------------------

ESC = b"\x1b"
GS = b"\x1d"
_ALIGN = {"left": 0, "center": 1, "right": 2}


@dataclass(frozen=True, slots=True)
class Layout:
    """How receipts print on one printer; built once from the printer settings."""

    columns: int = 48
    code_page: CodePage = CODE_PAGES["CP858"]
    cut: Literal["full", "partial"] = "partial"
    dots: int = 576
    logo: bytes = b""
    test_title: str = TEST_TITLE


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
    """python-escpos `Dummy` for init, code page, QR and cut; styles sent only on change."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.printer = Dummy()
        self.printer.hw("INIT")
        # pitfall: ESC @ resets the printer's code page but python-escpos still believes
        # the old one is selected, so forget it and select ours again.
        self.printer.magic.encoding = None
        self.printer.charcode(layout.code_page.name)
        # What ESC @ left selected: left aligned, not emphasised, normal size.
        self._align: Align = "left"
        self._bold = False
        self._size: Size = "normal"

    def raw(self, data: bytes) -> None:
        self.printer._raw(data)

    def style(self, *, align: Align = "left", bold: bool = False, size: Size = "normal") -> None:
        """`ESC a` alignment, `ESC E` emphasis, `GS !` double height, each only when it changes."""
        if align != self._align:
            self.raw(ESC + b"a" + bytes([_ALIGN[align]]))
            self._align = align
        if bold != self._bold:
            self.raw(ESC + b"E" + bytes([int(bold)]))
            self._bold = bold
        if size != self._size:
            self.raw(GS + b"!" + (b"\x01" if size == "large" else b"\x00"))
            self._size = size

    def row(self, row: Row) -> None:
        # Transliteration can lengthen a row (€ is EUR in CP437): cut it to the paper again.
        text = transliterate(row.text, self.layout.code_page.codec)[: self.layout.columns]
        self.style(align=row.align, bold=row.bold, size=row.size)
        # Encoded here, in the one code page selected at init; python-escpos's per-character
        # encoder would give the same bytes at half the speed of the codec.
        self.raw(text.encode(self.layout.code_page.codec) + b"\n")

    def code(self, row: CodeRow) -> None:
        self.style(align="center")
        if row.code == "qr":
            # Native QR: the printer draws it from a few bytes instead of a raster image.
            self.printer.qr(row.value, native=True, size=5 if self.layout.dots > 400 else 4)
            self.raw(b"\n")
            return
        # Height 80 dots, module width 2, human readable text below.
        self.raw(GS + b"h\x50" + GS + b"w\x02" + GS + b"H\x02")
        if row.code == "ean13":
            self.raw(GS + b"kC\x0d" + ean13_digits(row.value).encode("ascii"))
        else:
            data = b"{B" + row.value.encode("ascii")
            self.raw(GS + b"kI" + bytes([len(data)]) + data)
        self.raw(b"\n")

    def finish(self) -> bytes:
        self.style()
        # Feed (ESC d 6) then cut.
        self.printer.cut(mode="FULL" if self.layout.cut == "full" else "PART")
        return bytes(self.printer.output)


def render_receipt(document: ReceiptDocument, layout: Layout) -> bytes:
    """ESC/POS bytes for `document`: init, code page, logo, its rows, feed and cut."""
    writer = _Writer(layout)
    if layout.logo:
        writer.style(align="center")
        writer.raw(layout.logo + b"\n")
    for row in layout_receipt(document, layout.columns):
        if isinstance(row, Row):
            writer.row(row)
        else:
            writer.code(row)
    return writer.finish()


def self_test_document(layout: Layout, *, printer: str, details: Sequence[str]) -> ReceiptDocument:
    """The technician's test print, the one document whose words are the proxy's own."""
    ruler = "".join(str(index % 10) for index in range(1, layout.columns + 1))
    lines = [
        f"printer: {printer}",
        f"code page: {layout.code_page.name}, {layout.columns} columns",
        *details,
    ]
    blocks: list[dict[str, Any]] = [
        {
            "type": "text",
            "text": layout.test_title,
            "align": "center",
            "bold": True,
            "size": "large",
        },
        {"type": "blank"},
        *({"type": "text", "text": line} for line in lines),
        {"type": "rule"},
        {"type": "text", "text": "€ £ $ ÄÖÜ äöü ß éèêë àâ ç ñ øå"},
        {"type": "text", "text": ruler},
        {"type": "rule"},
    ]
    return ReceiptDocument.model_validate(
        {"format": "kassa.receipt", "version": 1, "blocks": blocks}
    )


def render_test_page(layout: Layout, *, printer: str, details: Sequence[str]) -> bytes:
    return render_receipt(self_test_document(layout, printer=printer, details=details), layout)
