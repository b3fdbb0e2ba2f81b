"""The customer display as the terminal uses it: frames of lines, and back to welcome.

The terminal builds every frame (item, total, change) itself, with its currency's places;
the proxy fits the lines to the glass (transliterated, cut, padded), remembers whether the
last write worked, and shows the welcome lines again after `idle_seconds` without update.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any

from kassa.proxy.devices.display import Display, VirtualDisplayTransport
from kassa.proxy.errors import DeviceOffline, ProxyError
from kassa.proxy.events import EventBus

log = logging.getLogger("kassa.proxy")


class CustomerDisplay:
    def __init__(
        self, device: Display, *, welcome: Sequence[str], idle_seconds: float, bus: EventBus
    ) -> None:
        self.device = device
        self.welcome_lines = list(welcome)
        self.idle_seconds = idle_seconds
        self.state = "unknown"  # nothing written yet
        self.detail = ""
        self._bus = bus
        self._stopping = False
        self._timer: asyncio.TimerHandle | None = None
        self._welcome_tasks: set[asyncio.Task[None]] = set()

    @property
    def virtual(self) -> VirtualDisplayTransport | None:
        transport = self.device.transport
        return transport if isinstance(transport, VirtualDisplayTransport) else None

    def start(self) -> None:
        """Show the welcome lines now (in a task: a slow serial port does not hold the start)."""
        self._stopping = False
        self._start_welcome()

    async def stop(self) -> None:
        self._stopping = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        tasks = list(self._welcome_tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._welcome_tasks.clear()
        await asyncio.to_thread(self.device.close)

    async def show(self, lines: Sequence[str], *, welcome: bool = False) -> list[str]:
        """Write a frame; return it as the glass shows it. Any frame but the welcome one
        starts the idle timer again."""
        try:
            frame = await asyncio.to_thread(self.device.show, lines)
        except DeviceOffline as exc:
            self.state, self.detail = "offline", exc.message
            raise
        self.state, self.detail = "ok", ""
        self._bus.publish("display", {"lines": frame})
        self._schedule_welcome(active=not welcome)
        return frame

    async def welcome(self) -> list[str]:
        return await self.show(self.welcome_lines, welcome=True)

    async def clear(self) -> list[str]:
        return await self.show([])

    def _schedule_welcome(self, *, active: bool) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if active and self.idle_seconds > 0 and not self._stopping:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(self.idle_seconds, self._welcome_later)

    def _welcome_later(self) -> None:
        if not self._stopping:
            self._start_welcome()

    def _start_welcome(self) -> None:
        """Show the welcome lines in a task; stop() cancels every one still running."""
        task = asyncio.create_task(self._show_welcome())
        self._welcome_tasks.add(task)
        task.add_done_callback(self._welcome_tasks.discard)

    async def _show_welcome(self) -> None:
        try:
            await self.welcome()
        except ProxyError as exc:
            log.warning("display: %s", exc.message)

    def as_dict(self) -> dict[str, Any]:
        """The display part of the proxy's status; `size` is [rows, columns]."""
        return {
            "state": self.state,
            "detail": self.detail,
            "virtual": self.virtual is not None,
            "protocol": self.device.protocol,
            "size": [self.device.rows, self.device.columns],
            "lines": list(self.device.frame),
        }
