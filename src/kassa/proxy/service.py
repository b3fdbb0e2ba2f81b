"""The proxy's services: what an HTTP request or a `kassa proxy` command asks of the devices.

`Hardware` owns the devices, the print queue worker, the scanner reader and the event bus.
The API and the command line both call these methods, so a technician's test print takes
the same path as the terminal's receipt.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from kassa import __version__
from kassa.proxy.devices.display import (
    DISPLAY_LABELS,
    Display,
    VirtualDisplayTransport,
    change_lines,
    display_for,
    item_lines,
    total_lines,
)
from kassa.proxy.devices.printer import Printer, transport_for
from kassa.proxy.devices.scanner import Scanner, VirtualScanner, scanner_for
from kassa.proxy.devices.virtual import VirtualPrinter
from kassa.proxy.errors import (
    ConfigError,
    DeviceNotConfigured,
    DeviceOffline,
    DeviceWriteError,
    NotFound,
    ProxyError,
    StateDirLocked,
)
from kassa.proxy.events import EventBus
from kassa.proxy.receipts import (
    DEFAULT_LABELS,
    Layout,
    Receipt,
    drawer_kick,
    drawer_pulse,
    logo_raster,
    render_receipt,
    render_test_page,
)
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
        decimal_separator=settings.file.decimal_separator,
        dots=printer.dots,
        labels={**DEFAULT_LABELS, **printer.labels},
        logo=logo,
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
        self.kick = drawer_kick(settings.printer.drawer_pin)
        self.pulse = drawer_pulse(settings.printer.drawer_pin)
        self.poll_interval = settings.printer.status_interval
        self.virtual_printer: VirtualPrinter | None = None
        self.printer = printer if printer is not None else self._make_printer()
        if self.printer is not None and isinstance(self.printer.transport, VirtualPrinter):
            self.virtual_printer = self.printer.transport
        self.display = display if display is not None else self._make_display()
        self.scanner = scanner if scanner is not None else self._make_scanner()
        self.store: Store | None = None
        self.bus = EventBus()
        self.printer_status = PrinterStatus(detail="not checked yet")
        self.printer_checked_at: str | None = None
        self.display_state = "unknown" if self.display is not None else "not_configured"
        self.display_detail = ""
        self.last_scan: dict[str, Any] | None = None
        self.started_at = datetime.now(UTC).isoformat(timespec="seconds")
        self._lock_file: IO[str] | None = None
        self._wake = asyncio.Event()
        self._stopping = False
        self._tasks: list[asyncio.Task[None]] = []
        self._printer_task: asyncio.Task[None] | None = None
        self._welcome_timer: asyncio.TimerHandle | None = None
        self._welcome_tasks: set[asyncio.Task[None]] = set()

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
    def virtual_display(self) -> VirtualDisplayTransport | None:
        if self.display is not None and isinstance(self.display.transport, VirtualDisplayTransport):
            return self.display.transport
        return None

    @property
    def virtual_scanner(self) -> VirtualScanner | None:
        return self.scanner if isinstance(self.scanner, VirtualScanner) else None

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
        for job_id in self.store.jobs_recover():
            log.warning(
                "job %s was being printed when the proxy stopped: failed, not resent", job_id
            )
        self._stopping = False
        if self.printer is not None:
            self._printer_task = asyncio.create_task(self._printer_worker(), name="printer")
            self._tasks.append(self._printer_task)
        if background and self.scanner is not None:
            self._tasks.append(asyncio.create_task(self._scanner_reader(), name="scanner"))
        if background and self.display is not None:
            self._start_welcome()

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        self.bus.close()
        if self._welcome_timer is not None:
            self._welcome_timer.cancel()
        if self._printer_task is not None:
            # Let a job being sent finish, so it is not left "printing" (= failed) on disk.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    asyncio.shield(self._printer_task), self.settings.printer.timeout + 1
                )
        tasks = [*self._tasks, *self._welcome_tasks]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        self._welcome_tasks.clear()
        self._printer_task = None
        if self.printer is not None:
            await asyncio.to_thread(self.printer.close)
        if self.display is not None:
            await asyncio.to_thread(self.display.close)
        if self.store is not None:
            self.store.close()
            self.store = None
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    def wake(self) -> None:
        """Make the queue worker look at the printer and the queue now."""
        self._wake.set()

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)
        self._wake.clear()

    # -- printer --------------------------------------------------------------------------
    async def refresh_printer_status(self) -> PrinterStatus:
        if self.printer is None:
            return self.printer_status
        status = await asyncio.to_thread(self.printer.status)
        self.printer_checked_at = datetime.now(UTC).isoformat(timespec="milliseconds")
        if status != self.printer_status:
            self.printer_status = status
            self.bus.publish("printer", status.as_dict())
            log.info("printer %s: %s", self.printer.description, status.fault or status.state)
        return status

    async def _printer_worker(self) -> None:
        store = self._store()
        while not self._stopping:
            job = store.job_next()
            if job is None:
                await self.refresh_printer_status()
                await self._sleep(self.poll_interval)
                continue
            try:
                await self._print_job(job)
            except Exception:  # a bug must not stop the queue
                log.exception("print job %s", job.id)
                await self._sleep(self.poll_interval)

    def _job_changed(self, job: Job) -> Job:
        self.bus.publish(
            "job", {"job_id": job.id, "key": job.key, "state": job.state, "fault": job.fault}
        )
        return job

    async def _print_job(self, job: Job) -> None:
        assert self.printer is not None
        store = self._store()
        if self.printer.status_supported:
            status = await self.refresh_printer_status()
            if status.fault is not None:
                if job.open_drawer and not job.drawer_opened:
                    await self._kick_for_waiting_job(job, status.fault)
                    job = store.job_set_state(
                        job.id, job.state, fault=job.fault, drawer_opened=True
                    )
                if job.state != "waiting" or job.fault != status.fault:
                    self._job_changed(store.job_set_state(job.id, "waiting", fault=status.fault))
                await self._sleep(self.poll_interval)
                return
        # On disk before the first byte leaves: after a crash this job is never resent.
        job = self._job_changed(
            store.job_set_state(job.id, "printing", expect=("queued", "waiting"))
        )
        kick = job.open_drawer and not job.drawer_opened
        try:
            await asyncio.to_thread(self.printer.send, job.payload + (self.kick if kick else b""))
        except DeviceOffline as exc:
            log.warning("job %s waits: %s", job.id, exc.message)
            if kick:
                # The drawer is on the unreachable printer: it cannot open now, and it must
                # not spring open when the printer is back minutes later.
                self._log_drawer(
                    reason=f"receipt {job.key}", source="print job", ok=False, detail=exc.message
                )
            self._job_changed(
                store.job_set_state(
                    job.id, "waiting", fault="offline", drawer_opened=True if kick else None
                )
            )
            await self.refresh_printer_status()
            await self._sleep(self.poll_interval)
            return
        except DeviceWriteError as exc:
            log.error("job %s failed while sending: %s", job.id, exc.message)
            self._job_changed(store.job_set_state(job.id, "failed", fault="write_interrupted"))
            return
        job = self._job_changed(
            store.job_set_state(job.id, "printed", drawer_opened=True if kick else None)
        )
        if kick:
            self._log_drawer(reason=f"receipt {job.key}", source="print job", ok=True)

    async def _kick_for_waiting_job(self, job: Job, fault: str) -> None:
        """A receipt that cannot print now does not hold its drawer: the cash sale is done.

        The kick is the real-time pulse (`DLE DC4`), which a printer stopped on paper out or
        an open cover still executes; the job is then marked as having opened its drawer, so
        the receipt printed later never springs the drawer open again.
        """
        assert self.printer is not None
        reason = f"receipt {job.key}"
        try:
            await asyncio.to_thread(self.printer.send, self.pulse)
        except (DeviceOffline, DeviceWriteError) as exc:
            self._log_drawer(reason=reason, source="print job", ok=False, detail=exc.message)
            return
        self._log_drawer(
            reason=reason, source="print job", ok=True, detail=f"receipt waiting: {fault}"
        )

    def _require_printer(self) -> Printer:
        if self.printer is None:
            raise DeviceNotConfigured("no printer is configured")
        return self.printer

    def print_receipt(
        self, *, key: str, receipt: Receipt, open_drawer: bool = False, reprint: bool = False
    ) -> tuple[Job, bool]:
        """Queue a receipt; the same key returns the first job unless `reprint`."""
        self._require_printer()
        store = self._store()
        if not reprint:
            # A terminal retrying a receipt it already sent: answer without rendering it.
            existing = store.job_by_key(key)
            if existing is not None:
                return existing, False
        payload = render_receipt(receipt, self.layout, copy=reprint)
        # job_add checks the key again, in its transaction: it has the last word.
        job, created = store.job_add(
            key=key, kind="receipt", payload=payload, open_drawer=open_drawer, reprint=reprint
        )
        if created:
            self._job_changed(job)
            self._wake.set()
        return job, created

    def print_test(self) -> Job:
        printer = self._require_printer()
        settings = self.settings.printer
        details = [
            f"paper: {settings.paper_width} mm, cut: {settings.cut}",
            f"drawer: pin {settings.drawer_pin}, sensor {settings.drawer_sensor}",
            f"proxy: kassa {__version__}",
        ]
        payload = render_test_page(self.layout, printer=printer.description, details=details)
        job, _ = self._store().job_add(
            key=f"test-{uuid.uuid4().hex}",
            kind="test",
            payload=payload,
            open_drawer=False,
            reprint=False,
        )
        self._job_changed(job)
        self._wake.set()
        return job

    def job(self, job_id: str) -> Job:
        job = self._store().job_get(job_id)
        if job is None:
            raise NotFound(f"no job {job_id}")
        return job

    async def wait_job(self, job_id: str, timeout: float) -> Job:
        """Wait until the job is printed or failed, or `timeout` passed."""
        deadline = time.monotonic() + timeout
        while True:
            job = self.job(job_id)
            if job.state in ("printed", "failed") or time.monotonic() >= deadline:
                return job
            await asyncio.sleep(0.02)

    # -- drawer ---------------------------------------------------------------------------
    def _log_drawer(self, *, reason: str, source: str, ok: bool, detail: str = "") -> int:
        opening = self._store().drawer_log(reason=reason, source=source, ok=ok, detail=detail)
        log.info(
            "drawer %s: %s (%s)%s",
            "opened" if ok else "NOT opened",
            reason,
            source,
            f": {detail}" if detail else "",
        )
        self.bus.publish("drawer", {"opened": ok, "reason": reason, "source": source})
        return opening

    async def open_drawer(self, *, reason: str, source: str) -> dict[str, Any]:
        """Kick the drawer now (not queued behind receipts); every attempt is logged."""
        printer = self._require_printer()
        # A printer stopped on paper out or an open cover holds `ESC p` with its buffer;
        # the real-time pulse opens the drawer now.
        stopped = self.printer_status.fault in {"paper_out", "cover_open"}
        try:
            await asyncio.to_thread(printer.send, self.pulse if stopped else self.kick)
        except (DeviceOffline, DeviceWriteError) as exc:
            self._log_drawer(reason=reason, source=source, ok=False, detail=exc.message)
            raise DeviceOffline(f"the drawer was not opened: {exc.message}") from None
        opening = self._log_drawer(reason=reason, source=source, ok=True)
        return {"opened": True, "opening_id": opening}

    def drawer_state(self) -> str:
        if self.virtual_printer is not None:
            return "open" if self.virtual_printer.drawer_open else "closed"
        return self.printer_status.drawer

    # -- display --------------------------------------------------------------------------
    def _require_display(self) -> Display:
        if self.display is None:
            raise DeviceNotConfigured("no customer display is configured")
        return self.display

    async def display_show(self, lines: Sequence[str], *, welcome: bool = False) -> list[str]:
        display = self._require_display()
        try:
            frame = await asyncio.to_thread(display.show, lines)
        except DeviceOffline as exc:
            self.display_state, self.display_detail = "offline", exc.message
            raise
        self.display_state, self.display_detail = "ok", ""
        self.bus.publish("display", {"lines": frame})
        self._schedule_welcome(active=not welcome)
        return frame

    def _schedule_welcome(self, *, active: bool) -> None:
        if self._welcome_timer is not None:
            self._welcome_timer.cancel()
            self._welcome_timer = None
        idle = self.settings.display.idle_seconds
        if active and idle > 0 and not self._stopping:
            loop = asyncio.get_running_loop()
            self._welcome_timer = loop.call_later(idle, self._welcome_later)

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
            await self.display_welcome()
        except ProxyError as exc:
            log.warning("display: %s", exc.message)

    async def display_welcome(self) -> list[str]:
        return await self.display_show(self.settings.display.welcome, welcome=True)

    def _display_format(self) -> tuple[int, str, str]:
        display = self._require_display()
        return display.columns, display.codec, self.settings.file.decimal_separator

    async def display_item(
        self, *, name: str, quantity: Decimal, unit_price: Decimal, total: Decimal
    ) -> list[str]:
        columns, codec, separator = self._display_format()
        lines = item_lines(
            name=name,
            quantity=quantity,
            unit_price=unit_price,
            total=total,
            columns=columns,
            codec=codec,
            separator=separator,
        )
        return await self.display_show(lines)

    async def display_total(self, *, total: Decimal, currency: str | None = None) -> list[str]:
        columns, codec, separator = self._display_format()
        lines = total_lines(
            total=total,
            currency=currency or self.settings.file.currency,
            columns=columns,
            codec=codec,
            separator=separator,
            labels=DISPLAY_LABELS,
        )
        return await self.display_show(lines)

    async def display_change(self, *, paid: Decimal, change: Decimal) -> list[str]:
        columns, codec, separator = self._display_format()
        lines = change_lines(
            paid=paid, change=change, columns=columns, codec=codec, separator=separator
        )
        return await self.display_show(lines)

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
        printer: dict[str, Any] = {
            "configured": self.printer is not None,
            "url": settings.printer_url.raw,
        }
        if self.printer is None:
            printer |= {"state": "unknown", "fault": None, "detail": "not configured"}
        else:
            printer |= {
                **self.printer_status.as_dict(),
                "virtual": self.virtual_printer is not None,
                "status_supported": self.printer.status_supported,
                "checked_at": self.printer_checked_at,
                "pending_jobs": self.store.job_count_pending() if self.store else 0,
                "columns": self.layout.columns,
                "code_page": self.layout.code_page.name,
            }
        display: dict[str, Any] = {
            "configured": self.display is not None,
            "url": settings.display_url.raw,
            "state": self.display_state,
            "detail": self.display_detail,
        }
        if self.display is not None:
            display |= {
                "virtual": self.virtual_display is not None,
                "protocol": self.display.protocol,
                "size": [self.display.rows, self.display.columns],
                "lines": list(self.display.frame),
            }
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
        return {
            "proxy": {"version": __version__, "started_at": self.started_at, "pid": os.getpid()},
            "printer": printer,
            "drawer": {"state": self.drawer_state() if self.printer is not None else "unknown"},
            "display": display,
            "scanner": scanner,
        }
