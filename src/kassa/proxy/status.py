"""Printer real-time status (`DLE EOT n`) parsed from the bytes the printer answers.

A status byte is valid iff `(b & 0x93) == 0x12`. A missing or invalid answer means the
state is unknown: it is never read as "OK" (python-escpos's `paper_status()` does that).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

DLE_EOT = b"\x10\x04"
QUERY_PRINTER = DLE_EOT + b"\x01"
QUERY_OFFLINE_CAUSE = DLE_EOT + b"\x02"
QUERY_PAPER = DLE_EOT + b"\x04"

Online = Literal["online", "offline", "unknown"]
Paper = Literal["ok", "near_end", "out", "unknown"]
Drawer = Literal["open", "closed", "unknown"]
DrawerSensor = Literal["none", "open_high", "open_low"]


def status_byte_valid(value: int | None) -> bool:
    return value is not None and (value & 0x93) == 0x12


@dataclass(frozen=True, slots=True)
class PrinterStatus:
    state: Online = "unknown"
    cover_open: bool | None = None
    paper: Paper = "unknown"
    drawer: Drawer = "unknown"
    error: bool | None = None
    detail: str = ""

    @property
    def fault(self) -> str | None:
        """Why a job cannot be sent now, or None when the printer can print."""
        if self.state == "unknown":
            return "no_answer"
        if self.cover_open:
            return "cover_open"
        if self.paper == "out":
            return "paper_out"
        if self.error:
            return "error"
        if self.state == "offline":
            return "offline"
        return None

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "fault": self.fault}


def parse_status(
    printer: int | None,
    offline_cause: int | None,
    paper: int | None,
    *,
    drawer_sensor: DrawerSensor = "none",
) -> PrinterStatus:
    """Combine the answers to `DLE EOT 1`, `2` and `4` (None: no or invalid answer)."""
    if not status_byte_valid(printer):
        return PrinterStatus(detail="no valid answer to DLE EOT 1")
    assert printer is not None
    offline_cause = offline_cause if status_byte_valid(offline_cause) else None
    paper = paper if status_byte_valid(paper) else None
    offline = bool(printer & 0x08)
    drawer: Drawer = "unknown"
    if drawer_sensor != "none":
        high = bool(printer & 0x04)
        drawer = "open" if high == (drawer_sensor == "open_high") else "closed"
    cover_open: bool | None = None
    error: bool | None = None
    paper_end_stop = False
    if offline_cause is not None:
        cover_open = bool(offline_cause & 0x04)
        paper_end_stop = bool(offline_cause & 0x20)
        error = bool(offline_cause & 0x40)
    paper_state: Paper = "unknown"
    if paper is not None:
        if paper & 0x60:
            paper_state = "out"
        elif paper & 0x0C:
            paper_state = "near_end"
        else:
            paper_state = "ok"
    elif paper_end_stop:
        paper_state = "out"
    if offline_cause is None or paper is None:
        # The printer answered but not fully: some models stay silent while the cover
        # is open. Without the cause we cannot call it printable.
        return PrinterStatus(
            state="offline" if offline else "unknown",
            cover_open=cover_open,
            paper=paper_state,
            drawer=drawer,
            error=error,
            detail="partial status answer",
        )
    return PrinterStatus(
        state="offline" if offline else "online",
        cover_open=cover_open,
        paper=paper_state,
        drawer=drawer,
        error=error,
    )
