"""Virtual devices: a printer that turns ESC/POS into readable receipts, and its drawer.

The virtual printer is a `PrinterTransport`, so the proxy drives it through exactly the
code paths of a real one (queue, status queries, drawer kicks). It behaves like a real
printer under a fault: while the cover is open or the paper is out it keeps what it
receives in its buffer and prints it once the fault clears; `no_answer` makes it ignore
status queries, `offline` makes it unreachable.
"""

from __future__ import annotations

import importlib
import io
import itertools
import threading
from collections import deque
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal

from kassa.proxy.devices.escpos_decoder import (
    Barcode,
    Element,
    EscPosDecoder,
    QrCode,
    RasterImage,
    TextLine,
)
from kassa.proxy.devices.printer import PrinterTransport
from kassa.proxy.errors import DeviceOffline

PaperState = Literal["ok", "near_end", "out"]


@dataclass(frozen=True, slots=True)
class VirtualFaults:
    paper: PaperState = "ok"
    cover_open: bool = False
    offline: bool = False  # unreachable: connections fail
    no_answer: bool = False  # reachable but silent to status queries

    @property
    def stops_printing(self) -> bool:
        return self.cover_open or self.paper == "out"


@dataclass(frozen=True, slots=True)
class VirtualReceipt:
    number: int
    printed_at: datetime
    elements: tuple[Element, ...]
    columns: int
    dots: int
    _png: list[bytes] = field(default_factory=list, compare=False, repr=False)

    @property
    def text(self) -> str:
        return render_text(self.elements, self.columns)

    def png(self) -> bytes:
        if not self._png:
            self._png.append(render_png(self.elements, self.columns, self.dots))
        return self._png[0]

    def as_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "printed_at": self.printed_at.isoformat(),
            "text": self.text,
            "png": f"/proxy/v1/virtual/receipts/{self.number}.png",
        }


class VirtualPrinter(PrinterTransport):
    """An in-process ESC/POS printer with a drawer, for the demo and for tests."""

    def __init__(self, *, columns: int = 48, dots: int = 576, keep: int = 20) -> None:
        super().__init__("virtual:")
        self.columns = columns
        self.dots = dots
        self._lock = threading.Lock()
        self._faults = VirtualFaults()
        self._receipts: deque[VirtualReceipt] = deque(maxlen=keep)
        self._numbers = itertools.count(1)
        self._answers = bytearray()
        self._held = bytearray()
        self.drawer_open = False
        self._decoder = EscPosDecoder(
            on_cut=self._printed,
            on_drawer_kick=self._kicked,
            on_status_query=self._answer,
        )

    # -- fault injection and the drawer -------------------------------------------------
    @property
    def faults(self) -> VirtualFaults:
        return self._faults

    def set_faults(self, **changes: Any) -> VirtualFaults:
        with self._lock:
            self._faults = replace(self._faults, **changes)
            if not self._faults.stops_printing and self._held:
                held, self._held = bytes(self._held), bytearray()
                self._decoder.feed(held)
            return self._faults

    def close_drawer(self) -> None:
        with self._lock:
            self.drawer_open = False

    @property
    def receipts(self) -> list[VirtualReceipt]:
        with self._lock:
            return list(self._receipts)

    # -- PrinterTransport ---------------------------------------------------------------
    def open(self) -> None:
        if self._faults.offline:
            raise DeviceOffline("virtual: printer switched off (injected fault)")

    def write(self, data: bytes) -> None:
        self.open()
        with self._lock:
            if _only_status_queries(data):
                for index in range(2, len(data), 3):
                    self._answer(data[index])  # real-time: answered even while stopped
            elif _realtime_pulse(data):
                self._kicked(5 if data[3] == 1 else 2)  # DLE DC4 1: executed even while stopped
            elif self._faults.stops_printing:
                self._held += data
            else:
                self._decoder.feed(data)

    def read(self, size: int, timeout: float) -> bytes:
        with self._lock:
            data = bytes(self._answers[:size])
            del self._answers[:size]
            return data

    def close(self) -> None:
        pass

    # -- decoder callbacks (called with self._lock held) --------------------------------
    def _answer(self, query: int) -> None:
        faults = self._faults
        if faults.no_answer:
            return
        if query == 1:
            value = (
                0x12 | (0x08 if faults.stops_printing else 0) | (0x04 if self.drawer_open else 0)
            )
        elif query == 2:
            value = (
                0x12 | (0x04 if faults.cover_open else 0) | (0x20 if faults.paper == "out" else 0)
            )
        elif query == 4:
            value = 0x12 | {"ok": 0, "near_end": 0x0C, "out": 0x6C}[faults.paper]
        else:
            value = 0x12
        self._answers.append(value)

    def _kicked(self, pin: int) -> None:
        self.drawer_open = True

    def _printed(self, elements: list[Element]) -> None:
        self._receipts.append(
            VirtualReceipt(
                number=next(self._numbers),
                printed_at=datetime.now(UTC),
                elements=tuple(elements),
                columns=self.columns,
                dots=self.dots,
            )
        )


def _only_status_queries(data: bytes) -> bool:
    return (
        bool(data)
        and len(data) % 3 == 0
        and all(data[index : index + 2] == b"\x10\x04" for index in range(0, len(data), 3))
    )


def _realtime_pulse(data: bytes) -> bool:
    return len(data) == 5 and data[:3] == b"\x10\x14\x01"


def _aligned(text: str, align: str, width: int) -> str:
    if align == "center":
        return text.center(width).rstrip()
    if align == "right":
        return text.rjust(width)
    return text


def render_text(elements: tuple[Element, ...] | list[Element], columns: int) -> str:
    """A plain-text picture of a receipt (codes as `[QR: ...]`, images as `[image WxH]`)."""
    lines: list[str] = []
    for element in elements:
        if isinstance(element, TextLine):
            lines.append(_aligned(element.text, element.align, columns).rstrip())
        elif isinstance(element, QrCode):
            lines.append(_aligned(f"[QR: {element.data}]", element.align, columns))
        elif isinstance(element, Barcode):
            lines.append(_aligned(f"[{element.symbology}: {element.data}]", element.align, columns))
        else:
            label = f"[image {element.width_bytes * 8}x{element.height}]"
            lines.append(_aligned(label, element.align, columns))
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + "\n"


def render_png(elements: tuple[Element, ...] | list[Element], columns: int, dots: int) -> bytes:
    """A picture of the paper: monospaced text, real QR codes and barcodes, raster images."""
    from PIL import Image, ImageDraw, ImageFont

    cell = max(6, dots // columns)
    line_height = cell * 2
    font: Any
    try:
        font = ImageFont.truetype("DejaVuSansMono.ttf", int(cell * 1.6))
    except OSError:
        font = ImageFont.load_default(size=int(cell * 1.6))
    pieces: list[tuple[Image.Image, str]] = []
    for element in elements:
        if isinstance(element, TextLine):
            height = line_height * (2 if element.tall else 1)
            piece = Image.new("L", (dots, height), 255)
            draw = ImageDraw.Draw(piece)
            text = _aligned(element.text, element.align, columns)
            for index, char in enumerate(text[:columns]):
                x = index * cell
                draw.text((x, height - line_height), char, fill=0, font=font)
                if element.bold:
                    draw.text((x + 1, height - line_height), char, fill=0, font=font)
            pieces.append((piece, "left"))
        elif isinstance(element, QrCode):
            qrcode = importlib.import_module("qrcode")
            code = qrcode.QRCode(border=2, box_size=5)
            code.add_data(element.data)
            code.make(fit=True)
            pieces.append((code.make_image().get_image().convert("L"), element.align))
        elif isinstance(element, Barcode):
            pieces.append((_barcode_image(element, line_height, font), element.align))
        elif isinstance(element, RasterImage):
            image = Image.frombytes(
                "1", (element.width_bytes * 8, element.height), element.data
            ).convert("L")
            pieces.append((Image.eval(image, lambda value: 255 - value), element.align))
    height = sum(piece.height for piece, _ in pieces) + 2 * line_height
    paper = Image.new("L", (dots, max(height, line_height)), 255)
    y = line_height
    for piece, align in pieces:
        x = 0
        if align == "center":
            x = max(0, (dots - piece.width) // 2)
        elif align == "right":
            x = max(0, dots - piece.width)
        paper.paste(piece, (x, y))
        y += piece.height
    output = io.BytesIO()
    paper.save(output, format="PNG")
    return output.getvalue()


def _barcode_image(element: Barcode, text_height: int, font: Any) -> Any:
    from PIL import Image, ImageDraw

    modules = ""
    try:
        barcode = importlib.import_module("barcode")
        name = {"EAN13": "ean13", "EAN8": "ean8", "CODE128": "code128", "CODE39": "code39"}
        if element.symbology in name:
            modules = barcode.get(name[element.symbology], element.data).build()[0]
    except Exception:  # an unreadable code still gets its digits printed
        modules = ""
    width = max(len(modules) * 2, 10 * len(element.data)) + 20
    image = Image.new("L", (width, 80 + text_height), 255)
    draw = ImageDraw.Draw(image)
    for index, module in enumerate(modules):
        if module == "1":
            draw.rectangle((10 + index * 2, 0, 11 + index * 2, 79), fill=0)
    draw.text((10, 82), element.data, fill=0, font=font)
    return image
