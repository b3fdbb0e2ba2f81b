"""A streaming ESC/POS interpreter: the virtual printer's "print head".

It understands what the proxy sends (and the usual commands around it) and turns it into
receipts made of elements: text lines with their style, QR codes, barcodes and raster
images. A receipt ends at a cut. Unknown commands are skipped by their documented length.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from kassa.proxy.text import CODE_PAGES

TABLES: dict[int, str] = {page.table: page.codec for page in CODE_PAGES.values()}

Align = Literal["left", "center", "right"]


@dataclass(frozen=True, slots=True)
class TextLine:
    text: str
    align: Align = "left"
    bold: bool = False
    tall: bool = False
    wide: bool = False


@dataclass(frozen=True, slots=True)
class QrCode:
    data: str
    align: Align = "center"


@dataclass(frozen=True, slots=True)
class Barcode:
    symbology: str
    data: str
    align: Align = "center"


@dataclass(frozen=True, slots=True)
class RasterImage:
    width_bytes: int
    height: int
    data: bytes
    align: Align = "left"


Element = TextLine | QrCode | Barcode | RasterImage

BARCODE_NAMES = {
    0: "UPC-A",
    1: "UPC-E",
    2: "EAN13",
    3: "EAN8",
    4: "CODE39",
    5: "ITF",
    6: "CODABAR",
    65: "UPC-A",
    66: "UPC-E",
    67: "EAN13",
    68: "EAN8",
    69: "CODE39",
    70: "ITF",
    71: "CODABAR",
    72: "CODE93",
    73: "CODE128",
}

# Commands skipped by a fixed number of parameter bytes.
_ESC_FIXED = {
    ord("-"): 1,
    ord("{"): 1,
    ord("M"): 1,
    ord("G"): 1,
    ord("V"): 1,
    ord("2"): 0,
    ord("3"): 1,
    ord("R"): 1,
    ord(" "): 1,
    ord("$"): 2,
    ord("\\"): 2,
    ord("J"): 1,
    ord("c"): 2,
    ord("U"): 1,
    ord("r"): 1,
    ord("%"): 1,
    ord("="): 1,
    ord("T"): 1,
    ord("L"): 0,
    ord("S"): 0,
}
_GS_FIXED = {
    ord("h"): 1,
    ord("w"): 1,
    ord("H"): 1,
    ord("f"): 1,
    ord("b"): 1,
    ord("B"): 1,
    ord("L"): 2,
    ord("W"): 2,
    ord("a"): 1,
    ord("P"): 2,
    ord("r"): 1,
    ord("I"): 1,
    ord("$"): 2,
    ord("\\"): 2,
}


@dataclass
class _Style:
    align: Align = "left"
    bold: bool = False
    tall: bool = False
    wide: bool = False
    codec: str = "cp437"


class _Incomplete(Exception):
    """The buffer ends inside a command: wait for more bytes."""


@dataclass
class EscPosDecoder:
    """Feed bytes, get receipts (lists of elements) through `on_cut`."""

    on_cut: Callable[[list[Element]], None]
    on_drawer_kick: Callable[[int], None] = lambda pin: None
    on_status_query: Callable[[int], None] = lambda n: None
    style: _Style = field(default_factory=_Style)
    elements: list[Element] = field(default_factory=list)
    _line: bytearray = field(default_factory=bytearray)
    _line_style: _Style | None = None
    _buffer: bytearray = field(default_factory=bytearray)
    _qr_data: bytes = b""

    def feed(self, data: bytes) -> None:
        self._buffer += data
        position = 0
        while position < len(self._buffer):
            try:
                position = self._step(position)
            except _Incomplete:
                break
        del self._buffer[:position]

    def _need(self, position: int, count: int) -> bytes:
        end = position + count
        if end > len(self._buffer):
            raise _Incomplete
        return bytes(self._buffer[position:end])

    def _step(self, position: int) -> int:
        byte = self._buffer[position]
        if byte == 0x0A:
            self._end_line()
            return position + 1
        if byte in (0x0D, 0x0C, 0x00, 0x18):
            return position + 1
        if byte == 0x09:
            self._text(b" ")
            return position + 1
        if byte == 0x1B:
            return self._esc(position)
        if byte == 0x1D:
            return self._gs(position)
        if byte == 0x10:
            return self._dle(position)
        if byte == 0x1C:
            return self._fs(position)
        if byte < 0x20:
            return position + 1
        end = position + 1
        while end < len(self._buffer) and self._buffer[end] >= 0x20 and self._buffer[end] != 0x7F:
            end += 1
        self._text(bytes(self._buffer[position:end]))
        return end

    def _esc(self, position: int) -> int:
        command = self._need(position + 1, 1)[0]
        start = position + 2
        if command == ord("@"):
            self._end_line_if_any()
            self.style = _Style()
            return start
        if command == ord("t"):
            table = self._need(start, 1)[0]
            self.style.codec = TABLES.get(table, "cp437")
            return start + 1
        if command == ord("!"):
            mode = self._need(start, 1)[0]
            self.style.bold = bool(mode & 0x08)
            self.style.tall = bool(mode & 0x10)
            self.style.wide = bool(mode & 0x20)
            return start + 1
        if command == ord("E"):
            self.style.bold = bool(self._need(start, 1)[0] & 1)
            return start + 1
        if command == ord("a"):
            value = self._need(start, 1)[0] % 48
            self.style.align = ("left", "center", "right")[min(value, 2)]
            return start + 1
        if command == ord("d"):
            count = self._need(start, 1)[0]
            self._end_line_if_any()
            self.elements.extend(TextLine("") for _ in range(count))
            return start + 1
        if command == ord("p"):
            pin = self._need(start, 3)[0]
            self.on_drawer_kick(5 if pin % 48 == 1 else 2)
            return start + 3
        if command == ord("*"):
            mode, low, high = self._need(start, 3)
            width = low + high * 256
            size = width * (3 if mode in (32, 33) else 1)
            self._need(start + 3, size)
            return start + 3 + size
        return start + _ESC_FIXED.get(command, 0)

    def _gs(self, position: int) -> int:
        command = self._need(position + 1, 1)[0]
        start = position + 2
        if command == ord("!"):
            size = self._need(start, 1)[0]
            self.style.tall = bool(size & 0x0F)
            self.style.wide = bool(size & 0xF0)
            return start + 1
        if command == ord("V"):
            mode = self._need(start, 1)[0]
            end = start + (2 if mode in (65, 66, 97, 98, 103, 104) else 1)
            self._need(start, end - start)
            self._cut()
            return end
        if command == ord("k"):
            return self._barcode(start)
        if command == ord("("):
            function = self._need(start, 1)[0]
            low, high = self._need(start + 1, 2)
            length = low + high * 256
            body = self._need(start + 3, length)
            if function == ord("k"):
                self._two_d_code(body)
            return start + 3 + length
        if command == ord("v"):
            header = self._need(start, 6)  # '0' m xL xH yL yH
            width_bytes = header[2] + header[3] * 256
            height = header[4] + header[5] * 256
            data = self._need(start + 6, width_bytes * height)
            self._end_line_if_any()
            self.elements.append(RasterImage(width_bytes, height, data, self.style.align))
            return start + 6 + width_bytes * height
        if command == ord("8"):
            self._need(start, 1)
            low_bytes = self._need(start + 1, 4)
            length = int.from_bytes(low_bytes, "little")
            self._need(start + 5, length)
            return start + 5 + length
        return start + _GS_FIXED.get(command, 0)

    def _barcode(self, start: int) -> int:
        kind = self._need(start, 1)[0]
        if kind <= 6:
            end = start + 1
            while True:
                if self._need(end, 1)[0] == 0:
                    break
                end += 1
            data = bytes(self._buffer[start + 1 : end])
            after = end + 1
        else:
            length = self._need(start + 1, 1)[0]
            data = self._need(start + 2, length)
            after = start + 2 + length
        text = data.decode("ascii", "replace")
        if kind == 73 and text[:2] in {"{A", "{B", "{C"}:
            text = text[2:]
        self._end_line_if_any()
        self.elements.append(
            Barcode(BARCODE_NAMES.get(kind, f"type {kind}"), text, self.style.align)
        )
        return after

    def _two_d_code(self, body: bytes) -> None:
        if len(body) < 2 or body[0] != ord("1"):
            return
        function = body[1]
        if function == ord("P"):
            self._qr_data = body[3:]
        elif function == ord("Q"):
            self._end_line_if_any()
            self.elements.append(QrCode(self._qr_data.decode("utf-8", "replace"), self.style.align))

    def _dle(self, position: int) -> int:
        command = self._need(position + 1, 1)[0]
        if command == 0x04:
            self.on_status_query(self._need(position + 2, 1)[0])
            return position + 3
        if command == 0x14:
            function, pin, _pulse = self._need(position + 2, 3)
            if function == 1:
                self.on_drawer_kick(5 if pin == 1 else 2)
            return position + 5
        return position + 2

    def _fs(self, position: int) -> int:
        command = self._need(position + 1, 1)[0]
        if command == ord("p"):
            return position + 4
        return position + 2

    def _text(self, data: bytes) -> None:
        if not self._line:
            self._line_style = _Style(**vars(self.style))
        self._line += data.decode(self.style.codec, "replace").encode("utf-8")

    def _end_line_if_any(self) -> None:
        if self._line:
            self._end_line()

    def _end_line(self) -> None:
        style = self._line_style or self.style
        self.elements.append(
            TextLine(self._line.decode("utf-8"), style.align, style.bold, style.tall, style.wide)
        )
        self._line.clear()
        self._line_style = None

    def _cut(self) -> None:
        self._end_line_if_any()
        elements, self.elements = self.elements, []
        self.on_cut(elements)
