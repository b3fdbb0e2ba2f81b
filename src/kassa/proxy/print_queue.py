"""The print queue: one worker per printer sends jobs once, in order, through faults.

A job is `queued` → `printing` → `printed`; one the printer cannot take now is `waiting`
with its fault and is retried every `status_interval`; one whose bytes may be half out is
`failed` and never resent on its own. Jobs live in the SQLite store, so they survive a
restart; the rules are written down in docs/proxy.md ("Jobs: once, in order, through faults").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from kassa.proxy.devices.printer import Printer
from kassa.proxy.devices.virtual import VirtualPrinter
from kassa.proxy.drawer import Drawer
from kassa.proxy.errors import DeviceOffline, DeviceWriteError, NotFound
from kassa.proxy.events import EventBus
from kassa.proxy.receipts import Layout, ReceiptDocument, render_receipt, render_test_page
from kassa.proxy.status import PrinterStatus
from kassa.proxy.store import Job, Store

log = logging.getLogger("kassa.proxy")


class PrintQueue:
    def __init__(
        self,
        printer: Printer,
        *,
        layout: Layout,
        drawer: Drawer,
        store: Callable[[], Store],
        bus: EventBus,
        poll_interval: float,
        send_timeout: float,
    ) -> None:
        self.printer = printer
        self.layout = layout
        self.drawer = drawer
        self.status = PrinterStatus(detail="not checked yet")
        self.checked_at: str | None = None
        self._store = store
        self._bus = bus
        self._poll_interval = poll_interval
        self._send_timeout = send_timeout
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    @property
    def virtual(self) -> VirtualPrinter | None:
        transport = self.printer.transport
        return transport if isinstance(transport, VirtualPrinter) else None

    # -- life cycle -----------------------------------------------------------------------
    def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._worker(), name="printer")

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            # Let a job being sent finish, so it is not left "printing" (= failed) on disk.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._task), self._send_timeout + 1)
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await asyncio.to_thread(self.printer.close)

    def wake(self) -> None:
        """Make the worker look at the printer and the queue now."""
        self._wake.set()

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)
        self._wake.clear()

    # -- the worker -----------------------------------------------------------------------
    async def refresh_status(self) -> PrinterStatus:
        status = await asyncio.to_thread(self.printer.status)
        self.checked_at = datetime.now(UTC).isoformat(timespec="milliseconds")
        if status != self.status:
            self.status = status
            self._bus.publish("printer", status.as_dict())
            log.info("printer %s: %s", self.printer.description, status.fault or status.state)
        return status

    async def _worker(self) -> None:
        store = self._store()
        while not self._stopping:
            job = store.job_next()
            if job is None:
                await self.refresh_status()
                await self._sleep(self._poll_interval)
                continue
            try:
                await self._print(job)
            except Exception:  # a bug must not stop the queue
                log.exception("print job %s", job.id)
                await self._sleep(self._poll_interval)

    def _changed(self, job: Job) -> Job:
        self._bus.publish(
            "job", {"job_id": job.id, "key": job.key, "state": job.state, "fault": job.fault}
        )
        return job

    async def _print(self, job: Job) -> None:
        store = self._store()
        if self.printer.status_supported:
            status = await self.refresh_status()
            if status.fault is not None:
                if job.open_drawer and not job.drawer_opened:
                    # A receipt that cannot print now does not hold its drawer: the cash
                    # sale is done. The job remembers it, so the receipt printed later
                    # never springs the drawer open again.
                    await self.drawer.pulse_for_waiting_receipt(
                        reason=f"receipt {job.key}", fault=status.fault
                    )
                    job = store.job_set_state(
                        job.id, job.state, fault=job.fault, drawer_opened=True
                    )
                if job.state != "waiting" or job.fault != status.fault:
                    self._changed(store.job_set_state(job.id, "waiting", fault=status.fault))
                await self._sleep(self._poll_interval)
                return
        # On disk before the first byte leaves: after a crash this job is never resent.
        job = self._changed(store.job_set_state(job.id, "printing", expect=("queued", "waiting")))
        kick = job.open_drawer and not job.drawer_opened
        try:
            payload = job.payload + (self.drawer.kick if kick else b"")
            await asyncio.to_thread(self.printer.send, payload)
        except DeviceOffline as exc:
            log.warning("job %s waits: %s", job.id, exc.message)
            if kick:
                # The drawer is on the unreachable printer: it cannot open now, and it must
                # not spring open when the printer is back minutes later.
                self.drawer.log(
                    reason=f"receipt {job.key}", source="print job", ok=False, detail=exc.message
                )
            self._changed(
                store.job_set_state(
                    job.id, "waiting", fault="offline", drawer_opened=True if kick else None
                )
            )
            await self.refresh_status()
            await self._sleep(self._poll_interval)
            return
        except DeviceWriteError as exc:
            log.error("job %s failed while sending: %s", job.id, exc.message)
            self._changed(store.job_set_state(job.id, "failed", fault="write_interrupted"))
            return
        job = self._changed(
            store.job_set_state(job.id, "printed", drawer_opened=True if kick else None)
        )
        if kick:
            self.drawer.log(reason=f"receipt {job.key}", source="print job", ok=True)

    # -- jobs -----------------------------------------------------------------------------
    def _add(
        self, *, key: str, kind: str, payload: bytes, open_drawer: bool, reprint: bool
    ) -> tuple[Job, bool]:
        # job_add checks the key again, in its transaction: it has the last word.
        job, created = self._store().job_add(
            key=key, kind=kind, payload=payload, open_drawer=open_drawer, reprint=reprint
        )
        if created:
            self._changed(job)
            self._wake.set()
        return job, created

    def print_receipt(
        self,
        *,
        key: str,
        document: ReceiptDocument,
        open_drawer: bool = False,
        reprint: bool = False,
    ) -> tuple[Job, bool]:
        """Queue a receipt; the same key returns the first job unless `reprint`.

        A reprint is only a new job for the key: its words (the copy mark) are the
        document's, like every other word on the receipt.
        """
        if not reprint:
            # A terminal retrying a receipt it already sent: answer without rendering it.
            existing = self._store().job_by_key(key)
            if existing is not None:
                return existing, False
        payload = render_receipt(document, self.layout)
        return self._add(
            key=key, kind="receipt", payload=payload, open_drawer=open_drawer, reprint=reprint
        )

    def print_test(self, details: Sequence[str]) -> Job:
        payload = render_test_page(self.layout, printer=self.printer.description, details=details)
        job, _ = self._add(
            key=f"test-{uuid.uuid4().hex}",
            kind="test",
            payload=payload,
            open_drawer=False,
            reprint=False,
        )
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

    def as_dict(self, *, pending_jobs: int) -> dict[str, Any]:
        """The printer part of the proxy's status."""
        return {
            **self.status.as_dict(),
            "virtual": self.virtual is not None,
            "status_supported": self.printer.status_supported,
            "checked_at": self.checked_at,
            "pending_jobs": pending_jobs,
            "columns": self.layout.columns,
            "code_page": self.layout.code_page.name,
        }
