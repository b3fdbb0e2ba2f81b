"""Scanners: a serial scanner on a pseudo-terminal, evdev with synthetic key events."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest

from kassa.proxy.devices.scanner import EvdevScanner, KeyDecoder, LineSplitter, SerialScanner
from kassa.proxy.settings import parse_device_url
from tests.proxy.conftest import Pty

# Linux key codes
K = {str(digit): 2 + (digit - 1) % 10 for digit in range(1, 11)} | {"0": 11}
ENTER, SHIFT = 28, 42


def test_line_splitter() -> None:
    splitter = LineSplitter()
    assert splitter.feed(b"40063813") == []
    assert splitter.feed(b"33931\r\n") == ["4006381333931"]
    assert splitter.feed(b"\r\n\r\nABC-1\n96385074\r") == ["ABC-1", "96385074"]
    assert splitter.feed(b"\x02X1\x03\r") == ["X1"]


def keys(text: str) -> list[tuple[int, int]]:
    events: list[tuple[int, int]] = []
    for char in text:
        events += [(K[char], 1), (K[char], 0)]
    return [*events, (ENTER, 1), (ENTER, 0)]


def feed(decoder: KeyDecoder, events: list[tuple[int, int]]) -> list[str]:
    scanned = (decoder.feed(code, value) for code, value in events)
    return [code for code in scanned if code]


def test_us_layout_digits_and_letters() -> None:
    decoder = KeyDecoder("us")
    assert feed(decoder, keys("4006381333931")) == ["4006381333931"]
    # "Ab-1": shift+a, b, minus, 1
    events = [
        (SHIFT, 1),
        (30, 1),
        (30, 0),
        (SHIFT, 0),
        (48, 1),
        (48, 0),
        (12, 1),
        (12, 0),
        (2, 1),
        (2, 0),
    ]
    assert feed(decoder, [*events, (ENTER, 1)]) == ["Ab-1"]


def test_german_layout_swaps_y_and_z_and_moves_the_dash() -> None:
    decoder = KeyDecoder("de")
    # keys labelled z, y, slash on a US keyboard
    events = [(44, 1), (21, 1), (53, 1), (ENTER, 1)]
    assert feed(decoder, events) == ["yz-"]


def test_french_layout_needs_shift_for_digits() -> None:
    decoder = KeyDecoder("fr")
    digits = []
    for char in "4006":
        digits += [(SHIFT, 1), (K[char], 1), (K[char], 0), (SHIFT, 0)]
    assert feed(decoder, [*digits, (96, 1)]) == ["4006"]
    # unshifted, the same keys are the AZERTY symbols
    assert feed(KeyDecoder("fr"), keys("4006")) == ["'àà-"]


def test_key_repeat_and_releases_do_not_type() -> None:
    decoder = KeyDecoder("us")
    assert feed(decoder, [(2, 1), (2, 2), (2, 0), (ENTER, 1), (ENTER, 0)]) == ["1"]
    assert feed(decoder, [(ENTER, 1)]) == []


def test_a_serial_scanner_on_a_pseudo_terminal_reports_each_scan_once(pty: Pty) -> None:
    url = parse_device_url(f"serial://{pty.path}?baudrate=9600", "scanner")
    scanner = SerialScanner(url)

    async def scenario() -> list[str]:
        scans: list[str] = []
        task = asyncio.create_task(scanner.run(scans.append))
        while not scanner.connected:
            await asyncio.sleep(0.005)
        pty.write(b"4006381")
        await asyncio.sleep(0.03)
        pty.write(b"333931\r")
        pty.write(b"2305000123451\r\n")
        while len(scans) < 2:
            await asyncio.sleep(0.005)
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return scans

    assert asyncio.run(asyncio.wait_for(scenario(), 5)) == ["4006381333931", "2305000123451"]


def test_a_serial_scanner_opens_its_port_with_the_urls_line_settings(pty: Pty) -> None:
    import termios

    url = parse_device_url(f"serial://{pty.path}?baudrate=19200&stopbits=2&xonxoff=on", "scanner")
    scanner = SerialScanner(url)

    async def scenario() -> list[Any]:
        task = asyncio.create_task(scanner.run(lambda code: None))
        while not scanner.connected:
            await asyncio.sleep(0.005)
        attributes = termios.tcgetattr(pty.slave)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return attributes

    iflag, _, cflag, _, _, ospeed, _ = asyncio.run(asyncio.wait_for(scenario(), 5))
    # (a Linux pty forces 8 bits without parity: bytesize and parity cannot be seen here)
    assert ospeed == termios.B19200
    assert cflag & termios.CSTOPB
    assert iflag & termios.IXON


def test_a_serial_scanner_that_cannot_open_keeps_retrying(tmp_path: Any) -> None:
    url = parse_device_url(f"serial://{tmp_path}/ttyACM9", "scanner")
    scanner = SerialScanner(url)
    scanner.retry_interval = 0.01

    async def scenario() -> bool:
        task = asyncio.create_task(scanner.run(lambda code: None))
        await asyncio.sleep(0.1)
        alive = not task.done()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return alive

    assert asyncio.run(asyncio.wait_for(scenario(), 5))
    assert not scanner.connected


class FakeEvent:
    def __init__(self, type_: int, code: int, value: int) -> None:
        self.type, self.code, self.value = type_, code, value


class FakeInputDevice:
    """Stands in for evdev.InputDevice: a pipe's read end is the fd the loop watches."""

    def __init__(self) -> None:
        self.read_fd, self.write_fd = os.pipe()
        self.fd = self.read_fd
        self.events: list[Any] = []
        self.grabbed = False
        self.closed = False

    def push(self, events: list[Any]) -> None:
        self.events += events
        os.write(self.write_fd, b"x")

    def read(self) -> list[Any]:
        os.read(self.read_fd, 4096)
        events, self.events = self.events, []
        return events

    def grab(self) -> None:
        self.grabbed = True

    def ungrab(self) -> None:
        self.grabbed = False

    def close(self) -> None:
        self.closed = True
        os.close(self.read_fd)
        os.close(self.write_fd)


def test_an_evdev_scanner_is_grabbed_and_decoded_with_its_layout() -> None:
    from evdev import InputEvent, ecodes

    device = FakeInputDevice()
    scanner = EvdevScanner("/dev/input/by-id/usb-scanner", layout="de", opener=lambda path: device)

    def key(code: int, value: int) -> Any:
        return InputEvent(0, 0, ecodes.EV_KEY, code, value)

    async def scenario() -> tuple[list[str], bool]:
        scans: list[str] = []
        task = asyncio.create_task(scanner.run(scans.append))
        while not scanner.connected:
            await asyncio.sleep(0.005)
        grabbed = device.grabbed
        # "Z-12" on a German-layout scanner, with a SYN event in between
        device.push(
            [
                key(ecodes.KEY_LEFTSHIFT, 1),
                key(ecodes.KEY_Y, 1),
                key(ecodes.KEY_Y, 0),
                key(ecodes.KEY_LEFTSHIFT, 0),
                InputEvent(0, 0, ecodes.EV_SYN, 0, 0),
                key(ecodes.KEY_SLASH, 1),
                key(ecodes.KEY_1, 1),
                key(ecodes.KEY_KP2, 1),
            ]
        )
        await asyncio.sleep(0.02)
        device.push([key(ecodes.KEY_ENTER, 1), key(ecodes.KEY_ENTER, 0)])
        while not scans:
            await asyncio.sleep(0.005)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return scans, grabbed

    scans, grabbed = asyncio.run(asyncio.wait_for(scenario(), 5))
    assert scans == ["Z-12"]
    assert grabbed
    assert device.closed and not device.grabbed
