"""A till that closes its day as docs/z-report.md says: its journal (the orders tests'
`Journal`, real keys and signatures) with SESSION_OPEN, sales, cash moves, counts, and a
Z computed from its own entries, sent to the server over HTTP with its orders."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest

from kassa.server.cash.models import CashSession
from kassa.server.cash.zreport import period_closes, z_compute

from ..conftest import Device, OrderBuilder, Shop
from ..orders.conftest import Journal

ANA = {"id": 3, "name": "Ana"}


def parameters(shop: Shop, **variance: str | None) -> dict[str, Any]:
    """The Z's parameters as the till reads them from its configuration."""
    return {
        "currency": "EUR",
        "places": 2,
        "time_zone": "Europe/Amsterdam",
        "day_start": "04:00",
        "methods": [
            {"name": shop.cash.name, "cash": True, "variance": {"amount": None, "percent": None}},
            {"name": shop.card.name, "cash": False, "variance": {"amount": None, "percent": None}},
        ],
        "variance": {"amount": variance.get("amount", "5.00"), "percent": variance.get("percent")},
    }


class DayTill(Journal):
    """A till's journal through sessions and their Zs. `clock` is the `at` of the next
    entries (the journal tests' clock when None)."""

    def __init__(self, device: Device, shop: Shop) -> None:
        super().__init__()
        self.device = device
        self.shop = shop
        self.clock: str | None = None
        self.z_no = 0
        self.previous_z: dict[str, Any] | None = None
        self.open_seq = 0
        self.session: str | None = None
        self.gt_before: dict[str, str | None] = {"gt_after": "0", "gt_abs_after": "0"}
        self.register(device)

    def body(self, type_: str, payload: dict[str, Any], **fields: Any) -> dict[str, Any]:
        body = super().body(type_, payload, **fields)
        if self.clock is not None:
            body["at"] = self.clock
        return body

    def sync(self, orders: Sequence[dict[str, Any]], entries: Sequence[dict[str, Any]]) -> Any:
        response = self.device.post("orders/sync", {"orders": list(orders), "journal": entries})
        assert response.status_code == 200, response.content
        return response.json()

    def open(self, session: CashSession, opening_float: str = "100.00") -> dict[str, Any]:
        self.session = str(session.uuid)
        # The chain's grand totals: the last ticket's, "0.00" before the first.
        sold = any(orjson.loads(w["canonical"])["type"] == "SALE" for w in self.written)
        self.gt_before = (
            {"gt_after": f"{self.gt:.2f}", "gt_abs_after": f"{self.gt_abs:.2f}"}
            if sold
            else {"gt_after": "0.00", "gt_abs_after": "0.00"}
        )
        entry = self.entry(
            "SESSION_OPEN", {"session": self.session, "opening_float": opening_float}
        )
        self.open_seq = entry["seq"]
        return entry

    def move(
        self, kind: str, amount: str, *, move: str | None = None, reason: str = "float"
    ) -> dict[str, Any]:
        return self.entry(
            "CASH_MOVE",
            {
                "move": move or str(uuid.uuid4()),
                "session": self.session,
                "kind": kind,
                "amount": amount,
                "reason": reason,
                "note": "",
                "approval": None,
            },
        )

    def refund(self, sale: dict[str, Any], reason: str = "damaged") -> dict[str, Any]:
        """A REFUND of a SALE's first line, paid back in cash (docs/journal.md)."""
        sold = orjson.loads(sale["canonical"])
        line = sold["payload"]["lines"][0]
        back = {
            **line,
            **{k: f"-{line[k]}" for k in ("qty", "net", "tax", "amount")},
            "original_line": None,
            "reason": reason,
        }
        gross = Decimal(back["amount"])
        self.gt += gross
        self.gt_abs += abs(gross)
        return self.entry(
            "REFUND",
            {
                "order": str(uuid.uuid4()),
                "receipt_no": f"POS1-1-R{self.seq + 1:05d}",
                "session": self.session,
                "lines": [back],
                "totals": {"net": back["net"], "tax": back["tax"], "gross": back["amount"]},
                "payments": [{"method": self.shop.cash.name, "amount": back["amount"]}],
                "change": "0.00",
                "gt_after": f"{self.gt:.2f}",
                "gt_abs_after": f"{self.gt_abs:.2f}",
                "kind": "refund",
                "original": {
                    "order": sold["payload"]["order"],
                    "receipt_no": sold["payload"]["receipt_no"],
                    "at": sold["at"],
                },
                "approval": None,
            },
        )

    def count(self, cash: str, card: str | None = None, attempt: int = 1) -> dict[str, Any]:
        methods = [{"method": self.shop.cash.name, "amount": cash, "denominations": None}]
        if card is not None:
            methods.append({"method": self.shop.card.name, "amount": card, "denominations": None})
        return self.entry(
            "CASH_COUNT",
            {"session": self.session, "attempt": attempt, "blind": False, "methods": methods},
        )

    def session_entries(self) -> list[dict[str, Any]]:
        return [
            orjson.loads(wire["canonical"]) for wire in self.written if wire["seq"] >= self.open_seq
        ]

    def software(self) -> str:
        """The software the journal says: the last JOURNAL_INIT's or SOFTWARE_VERSION's."""
        for wire in reversed(self.written):
            entry = orjson.loads(wire["canonical"])
            if entry["type"] in ("JOURNAL_INIT", "SOFTWARE_VERSION"):
                return str(entry["payload"]["software"])
        raise AssertionError("no JOURNAL_INIT")

    def z(self, **variance: str | None) -> dict[str, Any]:
        """The Z of the session so far, as the till computes it; closed at `clock`, which
        the Z_CLOSE entry will carry (the Ana of every entry closes)."""
        if self.clock is None:
            self.clock = "2026-11-30T20:00:00.000+01:00"
        context = {
            "z_no": self.z_no + 1,
            "terminal": self.terminal,
            "store": {"id": None, "name": "Test shop", "tax_id": ""},
            "parameters": parameters(self.shop, **variance),
            "software": self.software(),
            "closed": {"at": self.clock, "by": ANA},
            "approval": None,
            "before": self.gt_before,
            "previous": self.previous_z,
        }
        return z_compute(self.session_entries(), context)

    def close(self, z: dict[str, Any] | None = None, **variance: str | None) -> list[dict]:
        """PERIOD_CLOSEs if this is a new month, then the Z_CLOSE; `z` to write another."""
        z = z if z is not None else self.z(**variance)
        entries = [self.entry("PERIOD_CLOSE", close) for close in period_closes(z, self.previous_z)]
        entries.append(self.entry("Z_CLOSE", z))
        self.z_no = z["z_no"]
        self.previous_z = {"v": 1, **z}
        return entries


@pytest.fixture(autouse=True)
def _server_journal_key_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.KASSA_JOURNAL_KEY_FILE = tmp_path / "journal_key.pem"


@pytest.fixture
def till(device: Device, shop: Shop) -> DayTill:
    till = DayTill(device, shop)
    till.sync([], [till.init()])
    return till


def gross(order: dict[str, Any]) -> Decimal:
    return Decimal(order["totals"]["gross"])


__all__ = ["ANA", "DayTill", "OrderBuilder", "gross", "parameters"]
