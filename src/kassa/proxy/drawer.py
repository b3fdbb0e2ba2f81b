"""The cash drawer on the printer's drawer port: kicks now, and a log of every attempt.

A drawer kick is never queued behind receipts (a drawer must not spring open minutes
later); it goes to the printer at once, through the printer's lock like every write.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from kassa.proxy.devices.printer import Printer
from kassa.proxy.devices.virtual import VirtualPrinter
from kassa.proxy.errors import DeviceOffline, DeviceWriteError
from kassa.proxy.events import EventBus
from kassa.proxy.receipts import drawer_kick, drawer_pulse
from kassa.proxy.status import PrinterStatus
from kassa.proxy.store import Store

log = logging.getLogger("kassa.proxy")


class Drawer:
    def __init__(
        self, printer: Printer, *, pin: int, store: Callable[[], Store], bus: EventBus
    ) -> None:
        self.printer = printer
        self.kick = drawer_kick(pin)
        self.pulse = drawer_pulse(pin)
        self._store = store
        self._bus = bus

    def log(self, *, reason: str, source: str, ok: bool, detail: str = "") -> int:
        """Record an attempt (also a failed one) and publish it; return the opening's id."""
        opening = self._store().drawer_log(reason=reason, source=source, ok=ok, detail=detail)
        log.info(
            "drawer %s: %s (%s)%s",
            "opened" if ok else "NOT opened",
            reason,
            source,
            f": {detail}" if detail else "",
        )
        self._bus.publish("drawer", {"opened": ok, "reason": reason, "source": source})
        return opening

    async def open(self, *, reason: str, source: str, stopped: bool) -> dict[str, Any]:
        """Kick the drawer now; DeviceOffline (logged) when the printer cannot be reached.

        A printer `stopped` on paper out or an open cover holds `ESC p` with its buffer;
        the real-time pulse opens the drawer now.
        """
        try:
            await asyncio.to_thread(self.printer.send, self.pulse if stopped else self.kick)
        except (DeviceOffline, DeviceWriteError) as exc:
            self.log(reason=reason, source=source, ok=False, detail=exc.message)
            raise DeviceOffline(f"the drawer was not opened: {exc.message}") from None
        return {"opened": True, "opening_id": self.log(reason=reason, source=source, ok=True)}

    async def pulse_for_waiting_receipt(self, *, reason: str, fault: str) -> None:
        """The real-time pulse for a receipt that waits on a fault; logged, never raises."""
        try:
            await asyncio.to_thread(self.printer.send, self.pulse)
        except (DeviceOffline, DeviceWriteError) as exc:
            self.log(reason=reason, source="print job", ok=False, detail=exc.message)
            return
        self.log(reason=reason, source="print job", ok=True, detail=f"receipt waiting: {fault}")

    def state(self, status: PrinterStatus) -> str:
        """`open`, `closed` or `unknown` (no sensor configured, or the printer did not say)."""
        if isinstance(self.printer.transport, VirtualPrinter):
            return "open" if self.printer.transport.drawer_open else "closed"
        return status.drawer
