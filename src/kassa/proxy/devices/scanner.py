"""Barcode scanners read by the proxy: serial (code then CR) and evdev (a grabbed keyboard).

Keyboard-wedge scanners that type into the browser stay the terminal's job. A scanner
read here never types into the cashier's screen: the evdev device is grabbed
(`EVIOCGRAB`) and its key codes are mapped through the layout the scanner is set to.
Readers are asyncio-native (`loop.add_reader`): no thread blocks on a port.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import os
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from kassa.proxy.settings import DeviceUrl

log = logging.getLogger("kassa.proxy.scanner")

ScanCallback = Callable[[str], None]
MAX_CODE_LENGTH = 256


class LineSplitter:
    """Bytes in, one code per CR/LF-terminated line out; blank lines and noise ignored."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[str]:
        self._buffer += data
        codes: list[str] = []
        while True:
            ends = [
                index
                for index in (self._buffer.find(b"\r"), self._buffer.find(b"\n"))
                if index >= 0
            ]
            if not ends:
                break
            end = min(ends)
            line = bytes(self._buffer[:end])
            del self._buffer[: end + 1]
            code = line.decode("latin-1").strip()
            code = "".join(char for char in code if char.isprintable())
            if code:
                codes.append(code)
        if len(self._buffer) > MAX_CODE_LENGTH:
            self._buffer.clear()  # garbage without a terminator
        return codes


# Linux input key codes (input-event-codes.h) for the keys a scanner types.
KEY_ENTER, KEY_KPENTER = 28, 96
KEY_LEFTSHIFT, KEY_RIGHTSHIFT, KEY_RIGHTALT = 42, 54, 100
_ROWS = {
    2: 12,  # KEY_1 .. KEY_EQUAL
    16: 12,  # KEY_Q .. KEY_RIGHTBRACE
    30: 12,  # KEY_A .. KEY_GRAVE
    43: 11,  # KEY_BACKSLASH, KEY_Z .. KEY_SLASH
}
_KEYPAD = {
    71: "7",
    72: "8",
    73: "9",
    74: "-",
    75: "4",
    76: "5",
    77: "6",
    78: "+",
    79: "1",
    80: "2",
    81: "3",
    82: "0",
    83: ".",
    55: "*",
    98: "/",
}


def _layout(
    rows: dict[int, tuple[str, str]], extra: dict[int, tuple[str, str]]
) -> dict[int, tuple[str, str]]:
    keys: dict[int, tuple[str, str]] = {}
    for first, (plain, shifted) in rows.items():
        for offset, (char, upper) in enumerate(zip(plain, shifted, strict=True)):
            keys[first + offset] = (char, upper)
    keys.update(extra)
    keys[57] = (" ", " ")
    for code, char in _KEYPAD.items():
        keys[code] = (char, char)
    return keys


LAYOUTS: dict[str, dict[int, tuple[str, str]]] = {
    "us": _layout(
        {
            2: ("1234567890-=", "!@#$%^&*()_+"),
            16: ("qwertyuiop[]", "QWERTYUIOP{}"),
            30: ("asdfghjkl;'`", 'ASDFGHJKL:"~'),
            43: ("\\zxcvbnm,./", "|ZXCVBNM<>?"),
        },
        {86: ("\\", "|")},
    ),
    "uk": _layout(
        {
            2: ("1234567890-=", '!"£$%^&*()_+'),
            16: ("qwertyuiop[]", "QWERTYUIOP{}"),
            30: ("asdfghjkl;'`", "ASDFGHJKL:@¬"),
            43: ("#zxcvbnm,./", "~ZXCVBNM<>?"),
        },
        {86: ("\\", "|")},
    ),
    "de": _layout(
        {
            2: ("1234567890ß´", '!"§$%&/()=?`'),
            16: ("qwertzuiopü+", "QWERTZUIOPÜ*"),
            30: ("asdfghjklöä^", "ASDFGHJKLÖÄ°"),
            43: ("#yxcvbnm,.-", "'YXCVBNM;:_"),
        },
        {86: ("<", ">")},
    ),
    "fr": _layout(
        {
            2: ("&é\"'(-è_çà)=", "1234567890°+"),
            16: ("azertyuiop^$", "AZERTYUIOP¨£"),
            30: ("qsdfghjklmù²", "QSDFGHJKLM%²"),
            43: ("*wxcvbn,;:!", "µWXCVBN?./§"),
        },
        {86: ("<", ">")},
    ),
}
# AltGr characters a scanner may type (German and French layouts put @ there).
ALTGR: dict[str, dict[int, str]] = {
    "de": {16: "@", 8: "{", 9: "[", 10: "]", 11: "}", 12: "\\", 27: "~", 86: "|", 18: "€"},
    "fr": {11: "@", 4: "#", 5: "{", 6: "[", 7: "|", 9: "\\", 10: "^", 12: "]", 13: "}", 18: "€"},
    "us": {},
    "uk": {18: "€"},
}


class KeyDecoder:
    """Key events (code, value: 1 down, 0 up, 2 repeat) to scanned codes, per layout."""

    def __init__(self, layout: str = "us") -> None:
        self.keys = LAYOUTS[layout]
        self.altgr = ALTGR[layout]
        self._shift: set[int] = set()
        self._altgr = False
        self._chars: list[str] = []

    def feed(self, code: int, value: int) -> str | None:
        if code in (KEY_LEFTSHIFT, KEY_RIGHTSHIFT):
            if value:
                self._shift.add(code)
            else:
                self._shift.discard(code)
            return None
        if code == KEY_RIGHTALT:
            self._altgr = value != 0
            return None
        if value != 1:
            return None
        if code in (KEY_ENTER, KEY_KPENTER):
            scanned = "".join(self._chars).strip()
            self._chars.clear()
            return scanned or None
        if self._altgr:
            char = self.altgr.get(code)
        else:
            pair = self.keys.get(code)
            char = None if pair is None else pair[1 if self._shift else 0]
        if char is not None and len(self._chars) < MAX_CODE_LENGTH:
            self._chars.append(char)
        return None


class Scanner(ABC):
    """A scanner source; `run` reads until cancelled and reconnects when the device goes."""

    description: str
    connected: bool = False
    retry_interval: float = 2.0

    @abstractmethod
    async def run(self, on_scan: ScanCallback) -> None: ...


class _FdScanner(Scanner):
    """Common loop: open, read whenever the fd is readable, reopen after a failure."""

    async def run(self, on_scan: ScanCallback) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                fd = self._open()
            except OSError as exc:
                self.connected = False
                log.warning("scanner %s: %s", self.description, exc)
                await asyncio.sleep(self.retry_interval)
                continue
            self.connected = True
            gone = loop.create_future()

            def readable(fd: int = fd, gone: asyncio.Future[None] = gone) -> None:
                try:
                    for code in self._read():
                        on_scan(code)
                except OSError as exc:
                    if not gone.done():
                        gone.set_exception(exc)

            loop.add_reader(fd, readable)
            try:
                await gone
            except OSError as exc:
                log.warning("scanner %s lost: %s", self.description, exc)
            finally:
                loop.remove_reader(fd)
                self.connected = False
                self._close()
            await asyncio.sleep(self.retry_interval)

    @abstractmethod
    def _open(self) -> int: ...

    @abstractmethod
    def _read(self) -> list[str]: ...

    @abstractmethod
    def _close(self) -> None: ...


class SerialScanner(_FdScanner):
    """A serial or USB-CDC scanner (`serial:///dev/ttyACM0?baudrate=9600`)."""

    def __init__(self, url: DeviceUrl) -> None:
        self.url = url
        self.description = url.raw
        self._serial_options = url.serial_options()
        self._port: Any = None
        self._splitter = LineSplitter()

    def _open(self) -> int:
        import serial

        try:
            self._port = serial.Serial(self.url.path, **self._serial_options, timeout=0)
        except (ValueError, serial.SerialException) as exc:
            # an OSError: the run loop retries instead of ending the scanner task
            raise OSError(str(exc)) from None
        self._splitter = LineSplitter()
        return int(self._port.fileno())

    def _read(self) -> list[str]:
        import serial

        try:
            data = os.read(self._port.fileno(), 4096)
        except BlockingIOError:
            return []
        except serial.SerialException as exc:
            raise OSError(str(exc)) from None
        if not data:
            raise OSError("end of file: the scanner was unplugged")
        return self._splitter.feed(data)

    def _close(self) -> None:
        if self._port is not None:
            port, self._port = self._port, None
            with contextlib.suppress(OSError):
                port.close()


def open_evdev_device(path: str) -> Any:
    return importlib.import_module("evdev").InputDevice(path)


class EvdevScanner(_FdScanner):
    """A USB HID scanner read through evdev and grabbed so it types nowhere else."""

    def __init__(
        self,
        path: str,
        *,
        layout: str = "us",
        grab: bool = True,
        opener: Callable[[str], Any] = open_evdev_device,
    ) -> None:
        self.path = path
        self.description = f"evdev://{path}"
        self.layout = layout
        self.grab = grab
        self._opener = opener
        self._device: Any = None
        self._decoder = KeyDecoder(layout)

    def _open(self) -> int:
        self._device = self._opener(self.path)
        if self.grab:
            self._device.grab()
        self._decoder = KeyDecoder(self.layout)
        return int(self._device.fd)

    def _read(self) -> list[str]:
        codes: list[str] = []
        try:
            events = list(self._device.read())
        except BlockingIOError:
            return codes
        for event in events:
            if event.type != 1:  # EV_KEY
                continue
            scanned = self._decoder.feed(event.code, event.value)
            if scanned:
                codes.append(scanned)
        return codes

    def _close(self) -> None:
        if self._device is not None:
            device, self._device = self._device, None
            with contextlib.suppress(OSError):
                if self.grab:
                    device.ungrab()
            with contextlib.suppress(OSError):
                device.close()


class VirtualScanner(Scanner):
    """Scans typed on the status page or sent to `POST /proxy/v1/virtual/scan`."""

    def __init__(self) -> None:
        self.description = "virtual:"
        self.connected = True
        self._on_scan: ScanCallback | None = None

    async def run(self, on_scan: ScanCallback) -> None:
        self._on_scan = on_scan
        try:
            await asyncio.Event().wait()
        finally:
            self._on_scan = None

    def inject(self, code: str) -> bool:
        if self._on_scan is None:
            return False
        self._on_scan(code)
        return True


def scanner_for(url: DeviceUrl, *, layout: str, grab: bool) -> Scanner:
    if url.scheme == "virtual":
        return VirtualScanner()
    if url.scheme == "serial":
        return SerialScanner(url)
    if url.scheme == "evdev":
        return EvdevScanner(url.path, layout=layout, grab=grab)
    raise ValueError(f"no scanner for {url.raw!r}")
