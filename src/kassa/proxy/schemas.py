"""Request bodies of the HTTP API (the receipt document itself is in `receipts.py`)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from kassa.jcs import MAX_SAFE_INTEGER
from kassa.proxy.receipts import ReceiptDocument


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PairRequest(_Body):
    code: Annotated[str, Field(min_length=1, max_length=32)]
    # Who pairs, as the status page lists it: the terminal's name (and code).
    label: Annotated[str, Field(max_length=120)] = ""


class PrintReceiptRequest(_Body):
    key: Annotated[str, Field(min_length=1, max_length=200)]
    receipt: ReceiptDocument
    open_drawer: bool = False
    reprint: bool = False


class DrawerOpenRequest(_Body):
    reason: Annotated[str, Field(min_length=1, max_length=200)]


class DisplayRequest(_Body):
    lines: Annotated[list[Annotated[str, Field(max_length=200)]], Field(max_length=4)]


class VirtualFaultRequest(_Body):
    paper: Literal["ok", "near_end", "out"] | None = None
    cover_open: bool | None = None
    offline: bool | None = None
    no_answer: bool | None = None


class ScanRequest(_Body):
    code: Annotated[str, Field(min_length=1, max_length=256)]


class JournalEntryBody(_Body):
    """docs/journal.md's wire form; the mirror checks the rest (journal_mirror.py)."""

    seq: Annotated[int, Field(strict=True, ge=1, le=MAX_SAFE_INTEGER)]
    canonical: Annotated[str, Field(min_length=2)]
    hash: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    # base64url without padding; the proxy has no keys, so it never verifies it
    sig: Annotated[str, Field(min_length=1, max_length=512, pattern=r"^[A-Za-z0-9_-]+$")]


class JournalAppendRequest(_Body):
    entries: Annotated[list[JournalEntryBody], Field(min_length=1, max_length=500)]
