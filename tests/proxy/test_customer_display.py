"""The customer display as the terminal uses it: its frames, the welcome lines, the idle timer."""

from __future__ import annotations

import asyncio
from typing import Any

from kassa.proxy.devices.display import Display, DisplayTransport
from kassa.proxy.hardware import Hardware


def test_the_service_shows_messages_and_returns_to_welcome_when_idle(make_settings: Any) -> None:
    settings = make_settings(
        display={"url": "virtual:", "welcome": ["Willkommen", ""], "idle_seconds": 0.2}
    )

    async def scenario() -> list[list[str]]:
        hardware = Hardware(settings)
        await hardware.start()
        frames = []
        try:
            await asyncio.sleep(0.05)
            assert hardware.virtual_display is not None
            frames.append(list(hardware.virtual_display.emulator.frame))
            # the terminal's total frame, formatted with its currency's places
            shown = await hardware.display_show(["TOTAL", "1.234 KWD".rjust(20)])
            assert shown == ["TOTAL               ", "           1.234 KWD"]
            frames.append(list(hardware.virtual_display.emulator.frame))
            await asyncio.sleep(0.4)
            frames.append(list(hardware.virtual_display.emulator.frame))
        finally:
            await hardware.stop()
        return frames

    frames = asyncio.run(scenario())
    assert frames == [
        ["Willkommen          ", " " * 20],
        ["TOTAL               ", "           1.234 KWD"],
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
        assert hardware.display is not None
        before = asyncio.all_tasks()
        await hardware.start()  # the first welcome hangs in the display's write
        await asyncio.sleep(0.02)
        hardware.display._welcome_later()  # the idle timer's welcome, queued behind it
        await asyncio.sleep(0.02)
        welcomes = asyncio.all_tasks() - before - {asyncio.current_task()}
        assert len(welcomes) == 2
        # the port drains a little later (stop closes the display once it is free)
        asyncio.get_running_loop().call_later(0.2, transport.release.set)
        await hardware.stop()
        return [task.cancelled() for task in welcomes]

    assert asyncio.run(asyncio.wait_for(scenario(), 5)) == [True, True]
