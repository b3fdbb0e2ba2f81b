"""Customer displays (VFD pole displays, usually 2x20): command sets and transports.

Two command sets, chosen per device because cheap displays pick theirs by DIP switch:
Epson DM-D ("Epson mode", also Bixolon) and CD5220. Text is transliterated to what the
display's code page holds; every frame rewrites every line, so a display that missed a
byte is right again at the next update. The words come from the terminal, which builds
every frame (item, total, change) with its currency's places; the proxy only fits them.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, Literal

from kassa.proxy.errors import ConfigError, DeviceOffline
from kassa.proxy.settings import DeviceUrl
from kassa.proxy.text import transliterate

Protocol = Literal["epson", "cd5220"]
ESC = b"\x1b"
US = b"\x1f"

_EPSON_TABLES = {"ascii": None, "cp437": 0, "cp858": 19}


def fit_lines(lines: Sequence[str], *, columns: int, rows: int, codec: str) -> list[str]:
    """Exactly `rows` lines of exactly `columns` characters the display can show."""
    fitted = [transliterate(line, codec)[:columns].ljust(columns) for line in list(lines)[:rows]]
    fitted += [" " * columns] * (rows - len(fitted))
    return fitted


def epson_init(codec: str) -> bytes:
    """`ESC @`, overwrite mode, cursor off, and the code table when it is not plain ASCII."""
    table = _EPSON_TABLES.get(codec)
    select = ESC + b"t" + bytes([table]) if table is not None else b""
    return ESC + b"@" + US + b"\x01" + US + b"C\x00" + select


def epson_frame(lines: Sequence[str], codec: str) -> bytes:
    """Cursor off, clear, then each line at (1, y): `1F 24 01 y`."""
    frame = bytearray(US + b"C\x00" + b"\x0c")
    for row, line in enumerate(lines, start=1):
        frame += US + b"$" + bytes([1, row]) + line.encode(codec)
    return bytes(frame)


def cd5220_init() -> bytes:
    return ESC + b"@"


def cd5220_frame(lines: Sequence[str], codec: str) -> bytes:
    """`ESC Q A` upper line text CR, `ESC Q B` lower line text CR (two lines only)."""
    frame = bytearray()
    for command, line in zip((b"QA", b"QB"), lines, strict=False):
        frame += ESC + command + line.encode(codec) + b"\r"
    return bytes(frame)


class DisplayEmulator:
    """Interprets Epson DM-D and CD5220 bytes into a frame: the virtual display's glass."""

    def __init__(self, *, columns: int = 20, rows: int = 2, codec: str = "ascii") -> None:
        self.columns, self.rows, self.codec = columns, rows, codec
        self.frame = [" " * columns for _ in range(rows)]
        self._x = 0
        self._y = 0
        self._buffer = bytearray()

    def _put(self, text: str) -> None:
        for char in text:
            if self._x >= self.columns:
                break
            line = self.frame[self._y]
            self.frame[self._y] = line[: self._x] + char + line[self._x + 1 :]
            self._x += 1

    def feed(self, data: bytes) -> None:
        self._buffer += data
        data = bytes(self._buffer)
        position = 0
        while position < len(data):
            byte = data[position]
            needed = {0x1B: 2, 0x1F: 2}.get(byte, 1)
            if position + needed > len(data):
                break
            if byte == 0x0C:
                self.frame = [" " * self.columns for _ in range(self.rows)]
                self._x = self._y = 0
                position += 1
            elif byte == 0x0D:
                self._x = 0
                position += 1
            elif byte == 0x1F:
                command = data[position + 1]
                if command == ord("$"):
                    if position + 4 > len(data):
                        break
                    self._x = min(max(data[position + 2] - 1, 0), self.columns)
                    self._y = min(max(data[position + 3] - 1, 0), self.rows - 1)
                    position += 4
                else:
                    # 1F 01/02/03 modes take none, 1F 43 n and 1F 58 n one parameter
                    size = 3 if command in (ord("C"), ord("X"), ord("E"), ord("r")) else 2
                    if position + size > len(data):
                        break
                    position += size
            elif byte == 0x1B:
                command = data[position + 1]
                if command == ord("Q"):
                    end = data.find(b"\r", position + 3)
                    if position + 3 > len(data) or end < 0:
                        break
                    row = 0 if data[position + 2] == ord("A") else 1
                    if row < self.rows:
                        text = data[position + 3 : end].decode(self.codec, "replace")
                        self.frame[row] = text[: self.columns].ljust(self.columns)
                    position = end + 1
                elif command == ord("@"):
                    self.frame = [" " * self.columns for _ in range(self.rows)]
                    self._x = self._y = 0
                    position += 2
                elif command in (ord("t"), ord("R"), ord("l")):
                    size = 4 if command == ord("l") else 3
                    if position + size > len(data):
                        break
                    if command == ord("l"):
                        self._x = max(data[position + 2] - 1, 0)
                        self._y = min(max(data[position + 3] - 1, 0), self.rows - 1)
                    position += size
                else:
                    position += 2
            elif byte >= 0x20:
                end = position
                while end < len(data) and data[end] >= 0x20:
                    end += 1
                self._put(data[position:end].decode(self.codec, "replace"))
                position = end
            else:
                position += 1
        del self._buffer[:position]


class DisplayTransport(ABC):
    description: str

    @abstractmethod
    def write(self, data: bytes) -> None:
        """Open if needed and send; DeviceOffline when the display cannot be reached."""

    def close(self) -> None:
        return None


class SerialDisplayTransport(DisplayTransport):
    def __init__(self, url: DeviceUrl) -> None:
        self.url = url
        self.description = url.raw
        self._serial_options = url.serial_options()
        self._port: Any = None

    def write(self, data: bytes) -> None:
        import serial

        try:
            if self._port is None:
                self._port = serial.Serial(self.url.path, **self._serial_options, write_timeout=2.0)
            self._port.write(data)
            self._port.flush()
        except (OSError, ValueError, serial.SerialException) as exc:
            self.close()
            raise DeviceOffline(f"{self.description}: {exc}") from None

    def close(self) -> None:
        if self._port is not None:
            port, self._port = self._port, None
            port.close()


class VirtualDisplayTransport(DisplayTransport):
    """Keeps the frame an emulated display would show."""

    def __init__(self, *, columns: int, rows: int, codec: str) -> None:
        self.description = "virtual:"
        self.emulator = DisplayEmulator(columns=columns, rows=rows, codec=codec)

    def write(self, data: bytes) -> None:
        self.emulator.feed(data)


class Display:
    """One customer display: a transport, a command set, its size and its lock."""

    def __init__(
        self,
        transport: DisplayTransport,
        *,
        protocol: str = "epson",
        columns: int = 20,
        rows: int = 2,
        code_page: str = "ascii",
    ) -> None:
        if protocol not in ("epson", "cd5220"):
            raise ConfigError(f"display protocol {protocol!r}: use epson or cd5220")
        if protocol == "cd5220" and rows > 2:
            raise ConfigError("a CD5220 display has two lines")
        self.transport = transport
        self.protocol = protocol
        self.columns, self.rows = columns, rows
        self.codec = code_page
        self.lock = threading.Lock()
        self.frame = [" " * columns for _ in range(rows)]
        self._initialised = False

    @property
    def description(self) -> str:
        return self.transport.description

    def encode(self, lines: Sequence[str]) -> tuple[list[str], bytes]:
        fitted = fit_lines(lines, columns=self.columns, rows=self.rows, codec=self.codec)
        if self.protocol == "epson":
            return fitted, epson_frame(fitted, self.codec)
        return fitted, cd5220_frame(fitted, self.codec)

    def show(self, lines: Sequence[str]) -> list[str]:
        """Write a whole frame; return it as the display shows it."""
        fitted, data = self.encode(lines)
        with self.lock:
            if not self._initialised:
                init = epson_init(self.codec) if self.protocol == "epson" else cd5220_init()
                data = init + data
            try:
                self.transport.write(data)
            except DeviceOffline:
                self._initialised = False
                raise
            self._initialised = True
            self.frame = fitted
        return fitted

    def close(self) -> None:
        with self.lock:
            self.transport.close()
            self._initialised = False


def display_for(
    url: DeviceUrl, *, protocol: str, columns: int, rows: int, code_page: str
) -> Display:
    transport: DisplayTransport
    if url.scheme == "virtual":
        transport = VirtualDisplayTransport(columns=columns, rows=rows, codec=code_page)
    elif url.scheme == "serial":
        transport = SerialDisplayTransport(url)
    else:
        raise ConfigError(f"no display transport for {url.raw!r}")
    return Display(transport, protocol=protocol, columns=columns, rows=rows, code_page=code_page)
