"""Customer display command sets, byte by byte, and a serial display on a pseudo-terminal."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest

from kassa.proxy.devices.display import (
    Display,
    DisplayEmulator,
    DisplayTransport,
    SerialDisplayTransport,
    cd5220_frame,
    change_lines,
    epson_frame,
    epson_init,
    fit_lines,
    item_lines,
    total_lines,
)
from kassa.proxy.errors import DeviceOffline
from kassa.proxy.service import Hardware
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


def test_ready_messages() -> None:
    assert item_lines(
        name="Äpfel Braeburn",
        quantity=Decimal("1.250"),
        unit_price=Decimal("2.00"),
        total=Decimal("2.50"),
        columns=20,
        codec="ascii",
    ) == ["Apfel Braeburn", "1.25 x 2.00     2.50"]
    assert total_lines(total=Decimal("12.50"), currency="EUR", columns=20, codec="ascii") == [
        "TOTAL",
        "           12.50 EUR",
    ]
    assert total_lines(
        total=Decimal("12.50"), currency="EUR", columns=20, codec="cp858", separator=","
    ) == [
        "TOTAL",
        "             12,50 €",
    ]
    assert change_lines(
        paid=Decimal("20.00"), change=Decimal("7.50"), columns=20, codec="ascii"
    ) == [
        "Paid           20.00",
        "Change          7.50",
    ]


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


def test_the_service_shows_messages_and_returns_to_welcome_when_idle(make_settings: Any) -> None:
    settings = make_settings(
        display={"url": "virtual:", "welcome": ["Willkommen", ""], "idle_seconds": 0.2},
        decimal_separator=",",
    )

    async def scenario() -> list[list[str]]:
        hardware = Hardware(settings)
        await hardware.start()
        frames = []
        try:
            await asyncio.sleep(0.05)
            assert hardware.virtual_display is not None
            frames.append(list(hardware.virtual_display.emulator.frame))
            await hardware.display_total(total=Decimal("3.10"))
            frames.append(list(hardware.virtual_display.emulator.frame))
            await asyncio.sleep(0.4)
            frames.append(list(hardware.virtual_display.emulator.frame))
        finally:
            await hardware.stop()
        return frames

    frames = asyncio.run(scenario())
    assert frames == [
        ["Willkommen          ", " " * 20],
        ["TOTAL               ", "            3,10 EUR"],
        ["Willkommen          ", " " * 20],
    ]


class _StuckTransport(DisplayTransport):
    """A display whose writes hang until released (a serial port that stopped draining)."""

    description = "stuck"

    def __init__(self) -> None:
        import threading

        self.release = threading.Event()

    def write(self, data: bytes) -> None:
        self.release.wait(5)

    def close(self) -> None:
        pass


def test_stopping_cancels_every_welcome_still_being_shown(make_settings: Any) -> None:
    settings = make_settings(display={"url": "virtual:", "idle_seconds": 0})
    transport = _StuckTransport()

    async def scenario() -> list[bool]:
        hardware = Hardware(settings, display=Display(transport))
        before = asyncio.all_tasks()
        await hardware.start()  # the first welcome hangs in the display's write
        await asyncio.sleep(0.02)
        hardware._welcome_later()  # the idle timer's welcome, queued behind it
        await asyncio.sleep(0.02)
        welcomes = asyncio.all_tasks() - before - {asyncio.current_task()}
        assert len(welcomes) == 2
        # the port drains a little later (stop closes the display once it is free)
        asyncio.get_running_loop().call_later(0.2, transport.release.set)
        await hardware.stop()
        return [task.cancelled() for task in welcomes]

    assert asyncio.run(asyncio.wait_for(scenario(), 5)) == [True, True]
