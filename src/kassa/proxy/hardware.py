"""`Hardware`: the devices of one POS PC, as the HTTP API and `kassa proxy ...` both call them.

A thin facade over the parts, so a technician's test print takes the same path as the
terminal's receipt: the print queue (`print_queue.py`), the drawer (`drawer.py`), the
customer display (`customer_display.py`) and the scanner reader here. It owns their life
cycle (the state directory's lock, the SQLite store, the journal mirror, the workers) and
the event bus, and puts their states together for `GET /proxy/v1/status`.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from kassa import __version__
from kassa.proxy.customer_display import CustomerDisplay
from kassa.proxy.devices.display import Display, VirtualDisplayTransport, display_for
from kassa.proxy.devices.printer import Printer, transport_for
from kassa.proxy.devices.scanner import Scanner, VirtualScanner, scanner_for
from kassa.proxy.devices.virtual import VirtualPrinter
from kassa.proxy.drawer import Drawer
from kassa.proxy.errors import ConfigError, DeviceNotConfigured, NotFound, StateDirLocked
from kassa.proxy.events import EventBus
from kassa.proxy.journal_mirror import JournalMirror
from kassa.proxy.print_queue import PrintQueue
from kassa.proxy.receipts import TEST_TITLE, Layout, ReceiptDocument, logo_raster
from kassa.proxy.settings import Settings
from kassa.proxy.status import PrinterStatus
from kassa.proxy.store import Job, Store
from kassa.proxy.text import CODE_PAGES

log = logging.getLogger("kassa.proxy")


def lock_state_dir(state_dir: Path) -> IO[str]:
    """One proxy per state directory: two print queue workers could print a job twice.

    The lock lives as long as the returned file stays open.
    """
    state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    handle = (state_dir / "proxy.lock").open("w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise StateDirLocked(f"another kassa proxy is running with {state_dir}") from None
    return handle


def build_layout(settings: Settings) -> Layout:
    printer = settings.printer
    logo = b""
    if printer.logo:
        try:
            logo = logo_raster(printer.logo, printer.dots)
        except OSError as exc:
            raise ConfigError(f"printer.logo: cannot read {printer.logo}: {exc}") from None
    return Layout(
        columns=printer.effective_columns,
        code_page=CODE_PAGES[printer.code_page],
        cut=printer.cut,
        dots=printer.dots,
        logo=logo,
        test_title=printer.labels.get("test_title", TEST_TITLE),
    )


class Hardware:
    def __init__(
        self,
        settings: Settings,
        *,
        printer: Printer | None = None,
        display: Display | None = None,
        scanner: Scanner | None = None,
    ) -> None:
        self.settings = settings
        self.layout = build_layout(settings)
        self.bus = EventBus()
        self.store: Store | None = None
        self.journal: JournalMirror | None = None
        self.printer = printer if printer is not None else self._make_printer()
        self.drawer: Drawer | None = None
        self.queue: PrintQueue | None = None
        if self.printer is not None:
            self.drawer = Drawer(
                self.printer, pin=settings.printer.drawer_pin, store=self._store, bus=self.bus
            )
            self.queue = PrintQueue(
                self.printer,
                layout=self.layout,
                drawer=self.drawer,
                store=self._store,
                bus=self.bus,
                poll_interval=settings.printer.status_interval,
                send_timeout=settings.printer.timeout,
            )
        device = display if display is not None else self._make_display()
        self.display: CustomerDisplay | None = None
        if device is not None:
            self.display = CustomerDisplay(
                device,
                welcome=settings.display.welcome,
                idle_seconds=settings.display.idle_seconds,
                bus=self.bus,
            )
        self.scanner = scanner if scanner is not None else self._make_scanner()
        self.last_scan: dict[str, Any] | None = None
        self.started_at = datetime.now(UTC).isoformat(timespec="seconds")
        self._lock_file: IO[str] | None = None
        self._scanner_task: asyncio.Task[None] | None = None

    # -- construction ---------------------------------------------------------------------
    def _make_printer(self) -> Printer | None:
        url = self.settings.printer_url
        options = self.settings.printer
        if not url.configured:
            return None
        if url.virtual:
            virtual = VirtualPrinter(columns=self.layout.columns, dots=options.dots)
            return Printer(virtual, status_timeout=0.2, drawer_sensor="open_high")
        return Printer(
            transport_for(url, options),
            status_query=options.status_query,
            status_timeout=options.status_timeout,
            drawer_sensor=options.drawer_sensor,
        )

    def _make_display(self) -> Display | None:
        url = self.settings.display_url
        if not url.configured:
            return None
        options = self.settings.display
        return display_for(
            url,
            protocol=self.settings.display_protocol,
            columns=options.columns,
            rows=options.rows,
            code_page=options.code_page,
        )

    def _make_scanner(self) -> Scanner | None:
        url = self.settings.scanner_url
        if not url.configured:
            return None
        return scanner_for(
            url, layout=self.settings.scanner.layout, grab=self.settings.scanner.grab
        )

    @property
    def virtual_printer(self) -> VirtualPrinter | None:
        return self.queue.virtual if self.queue is not None else None

    @property
    def virtual_display(self) -> VirtualDisplayTransport | None:
        return self.display.virtual if self.display is not None else None

    @property
    def virtual_scanner(self) -> VirtualScanner | None:
        return self.scanner if isinstance(self.scanner, VirtualScanner) else None

    def journal_mirror(self) -> JournalMirror:
        if self.journal is None:
            raise RuntimeError("the proxy is not started")
        return self.journal

    def _store(self) -> Store:
        if self.store is None:
            raise RuntimeError("the proxy is not started")
        return self.store

    # -- life cycle -----------------------------------------------------------------------
    def lock_state_dir(self) -> None:
        if self._lock_file is None:
            self._lock_file = lock_state_dir(self.settings.state_dir)

    async def start(self, *, background: bool = True) -> None:
        """Open the store and start the workers; `background=False` skips scanner and welcome."""
        self.lock_state_dir()
        self.store = Store(self.settings.state_dir / "proxy.sqlite3")
        # Its own file: resetting the job store must never take the journal with it.
        self.journal = JournalMirror(self.settings.state_dir / "journal.sqlite3")
        for job_id in self.store.jobs_recover():
            log.warning(
                "job %s was being printed when the proxy stopped: failed, not resent", job_id
            )
        if self.queue is not None:
            self.queue.start()
        if background and self.scanner is not None:
            self._scanner_task = asyncio.create_task(self._scanner_reader(), name="scanner")
        if background and self.display is not None:
            self.display.start()

    async def stop(self) -> None:
        self.bus.close()
        if self.queue is not None:
            await self.queue.stop()
        if self._scanner_task is not None:
            self._scanner_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._scanner_task
            self._scanner_task = None
        if self.display is not None:
            await self.display.stop()
        if self.store is not None:
            self.store.close()
            self.store = None
        if self.journal is not None:
            self.journal.close()
            self.journal = None
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    # -- printer and drawer ---------------------------------------------------------------
    def _require_queue(self) -> PrintQueue:
        if self.queue is None:
            raise DeviceNotConfigured("no printer is configured")
        return self.queue

    def wake(self) -> None:
        """Make the queue worker look at the printer and the queue now."""
        if self.queue is not None:
            self.queue.wake()

    @property
    def printer_status(self) -> PrinterStatus:
        return self.queue.status if self.queue is not None else PrinterStatus()

    async def refresh_printer_status(self) -> PrinterStatus:
        if self.queue is None:
            return self.printer_status
        return await self.queue.refresh_status()

    def print_receipt(
        self,
        *,
        key: str,
        document: ReceiptDocument,
        open_drawer: bool = False,
        reprint: bool = False,
    ) -> tuple[Job, bool]:
        return self._require_queue().print_receipt(
            key=key, document=document, open_drawer=open_drawer, reprint=reprint
        )

    def print_test(self) -> Job:
        settings = self.settings.printer
        details = [
            f"paper: {settings.paper_width} mm, cut: {settings.cut}",
            f"drawer: pin {settings.drawer_pin}, sensor {settings.drawer_sensor}",
            f"proxy: kassa {__version__}",
        ]
        return self._require_queue().print_test(details)

    def job(self, job_id: str) -> Job:
        if self.queue is None:
            raise NotFound(f"no job {job_id}")
        return self.queue.job(job_id)

    async def wait_job(self, job_id: str, timeout: float) -> Job:
        return await self._require_queue().wait_job(job_id, timeout)

    async def open_drawer(self, *, reason: str, source: str) -> dict[str, Any]:
        """Kick the drawer now (not queued behind receipts); every attempt is logged."""
        queue = self._require_queue()
        stopped = queue.status.fault in {"paper_out", "cover_open"}
        return await queue.drawer.open(reason=reason, source=source, stopped=stopped)

    # -- customer display -----------------------------------------------------------------
    def _require_display(self) -> CustomerDisplay:
        if self.display is None:
            raise DeviceNotConfigured("no customer display is configured")
        return self.display

    async def display_show(self, lines: Sequence[str]) -> list[str]:
        return await self._require_display().show(lines)

    async def display_welcome(self) -> list[str]:
        return await self._require_display().welcome()

    async def display_clear(self) -> list[str]:
        return await self._require_display().clear()

    # -- scanner --------------------------------------------------------------------------
    def _scanned(self, code: str) -> None:
        assert self.scanner is not None
        self.last_scan = {"code": code, "at": datetime.now(UTC).isoformat(timespec="milliseconds")}
        log.info("scan %s", code)
        self.bus.publish(
            "scan", {"code": code, "source": self.scanner.description, "at": self.last_scan["at"]}
        )

    async def _scanner_reader(self) -> None:
        assert self.scanner is not None
        await self.scanner.run(self._scanned)

    def scan(self, code: str) -> None:
        """A scan on the virtual scanner."""
        scanner = self.virtual_scanner
        if scanner is None:
            raise DeviceNotConfigured("the scanner is not virtual")
        if not scanner.inject(code):
            self._scanned(code)

    # -- status ---------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        settings = self.settings
        printer: dict[str, Any] = {"configured": self.queue is not None}
        printer["url"] = settings.printer_url.raw
        if self.queue is None:
            printer |= {"state": "unknown", "fault": None, "detail": "not configured"}
        else:
            pending = self.store.job_count_pending() if self.store else 0
            printer |= self.queue.as_dict(pending_jobs=pending)
        display: dict[str, Any] = {
            "configured": self.display is not None,
            "url": settings.display_url.raw,
        }
        if self.display is None:
            display |= {"state": "not_configured", "detail": ""}
        else:
            display |= self.display.as_dict()
        scanner: dict[str, Any] = {
            "configured": self.scanner is not None,
            "url": settings.scanner_url.raw,
        }
        if self.scanner is None:
            scanner["state"] = "not_configured"
        else:
            scanner |= {
                "state": "connected" if self.scanner.connected else "disconnected",
                "virtual": self.virtual_scanner is not None,
                "last_scan": self.last_scan,
            }
        drawer = "unknown"
        if self.queue is not None:
            drawer = self.queue.drawer.state(self.queue.status)
        return {
            "proxy": {"version": __version__, "started_at": self.started_at, "pid": os.getpid()},
            "printer": printer,
            "drawer": {"state": drawer},
            "display": display,
            "scanner": scanner,
        }
