"""Customer display command sets, byte by byte, and a serial display on a pseudo-terminal.
The display as the terminal uses it (frames, welcome, idle timer) is in test_customer_display.py."""

from __future__ import annotations

from typing import Any

import pytest

from kassa.proxy.devices.display import (
    Display,
    DisplayEmulator,
    SerialDisplayTransport,
    cd5220_frame,
    epson_frame,
    epson_init,
    fit_lines,
)
from kassa.proxy.errors import DeviceOffline
from kassa.proxy.settings import parse_device_url
from tests.proxy.conftest import Pty


def test_epson_frame_bytes() -> None:
    lines = fit_lines(["Hello", "World"], columns=20, rows=2, codec="ascii")
    assert epson_frame(lines, "ascii") == (
        b"\x1fC\x00\x0c\x1f$\x01\x01Hello               \x1f$\x01\x02World               "
    )


def test_cd5220_frame_bytes() -> None:
    lines = fit_lines(["Hello", "World"], columns=20, rows=2, codec="ascii")
    assert (
        cd5220_frame(lines, "ascii") == b"\x1bQAHello               \r\x1bQBWorld               \r"
    )


def test_epson_init_selects_the_code_table_only_when_needed() -> None:
    assert epson_init("ascii") == b"\x1b@\x1f\x01\x1fC\x00"
    assert epson_init("cp858") == b"\x1b@\x1f\x01\x1fC\x00\x1bt\x13"


def test_lines_are_transliterated_cut_and_padded() -> None:
    assert fit_lines(["Crème brûlée à 4,50 €", "Grüße"], columns=20, rows=2, codec="ascii") == [
        "Creme brulee a 4,50 ",
        "Grusse              ",
    ]
    assert fit_lines(["only one"], columns=8, rows=2, codec="cp858") == ["only one", "        "]
    assert fit_lines(["a", "b", "c"], columns=4, rows=2, codec="ascii") == ["a   ", "b   "]
    assert fit_lines(["x\x1b@y"], columns=4, rows=1, codec="ascii") == ["x @y"]


@pytest.mark.parametrize("protocol", ["epson", "cd5220"])
def test_the_emulator_shows_what_each_command_set_draws(protocol: str) -> None:
    display = Display(_Recorder(), protocol=protocol)
    emulator = DisplayEmulator()
    display.show(["Hello", "World"])
    display.show(["Brot", "1 x 2.50        2.50"])
    emulator.feed(display.transport.data)  # type: ignore[attr-defined]
    assert emulator.frame == ["Brot                ", "1 x 2.50        2.50"]


class _Recorder:
    description = "recorder"

    def __init__(self) -> None:
        self.data = b""

    def write(self, data: bytes) -> None:
        self.data += data

    def close(self) -> None:
        pass


def test_a_serial_epson_display_on_a_pseudo_terminal(pty: Pty) -> None:
    # given an Epson-mode display on a serial port (the pty's slave end)
    url = parse_device_url(f"serial://{pty.path}?baudrate=9600&protocol=epson", "display")
    display = Display(SerialDisplayTransport(url), protocol="epson")
    try:
        # when two frames are shown
        display.show(["Total", "12.50"])
        first = pty.read(len(epson_init("ascii")) + 4 + 2 * 24)
        display.show(["Danke", ""])
        second = pty.read(4 + 2 * 24)
    finally:
        display.close()

    # then the first is preceded by the init, and every frame rewrites both lines
    assert (
        first
        == epson_init("ascii")
        + b"\x1fC\x00\x0c\x1f$\x01\x01Total"
        + b" " * 15
        + b"\x1f$\x01\x0212.50"
        + b" " * 15
    )
    assert second == b"\x1fC\x00\x0c\x1f$\x01\x01Danke" + b" " * 15 + b"\x1f$\x01\x02" + b" " * 20
    assert pty.read_available() == b""


def test_a_serial_cd5220_display_on_a_pseudo_terminal(pty: Pty) -> None:
    url = parse_device_url(f"serial://{pty.path}?baudrate=9600", "display")
    display = Display(SerialDisplayTransport(url), protocol="cd5220")
    try:
        display.show(["Grüß Gott", "1 x 0.99"])
        data = pty.read(2 + 2 * 24)
    finally:
        display.close()
    assert data == b"\x1b@\x1bQAGruss Gott" + b" " * 10 + b"\r\x1bQB1 x 0.99" + b" " * 12 + b"\r"


def test_a_serial_display_honours_software_flow_control(pty: Pty) -> None:
    import termios

    url = parse_device_url(f"serial://{pty.path}?baudrate=19200&xonxoff=on", "display")
    display = Display(SerialDisplayTransport(url))
    try:
        display.show(["x"])
        iflag, _, _, _, _, ospeed, _ = termios.tcgetattr(pty.slave)
    finally:
        display.close()
    assert ospeed == termios.B19200
    assert iflag & termios.IXON


def test_a_missing_serial_display_is_offline(tmp_path: Any) -> None:
    url = parse_device_url(f"serial://{tmp_path}/ttyUSB9", "display")
    display = Display(SerialDisplayTransport(url))
    with pytest.raises(DeviceOffline, match="ttyUSB9"):
        display.show(["x"])
