"""A till that writes its journal as docs/journal.md says, with a real ECDSA P-256 key,
kassa.jcs and P1363 signatures; and the database tricks the tamper tests need."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.db import connection, transaction

from kassa.jcs import GENESIS_HASH, canonicalize, chain_hash
from kassa.server.journal.chain import ChainPosition, ChainProblem, ChainWalk
from kassa.server.journal.immutability import journal_triggers_lifted
from kassa.server.journal.keys import key_id, signature_make, spki_of
from kassa.server.journal.services import IngestResult, journal_ingest, journal_key_register

TERMINAL = "POS1"


class Till:
    """Writes a chain of wire entries for one terminal and signs them with its own key."""

    def __init__(self, terminal: str = TERMINAL, token_id: int = 1) -> None:
        self.terminal = terminal
        self.token_id = token_id
        self.private = ec.generate_private_key(ec.SECP256R1())
        self.spki = spki_of(self.private.public_key())
        self.key = key_id(self.spki)
        self.seq = 0
        self.prev_hash = GENESIS_HASH
        self.gt = Decimal(0)
        self.gt_abs = Decimal(0)
        self.written: list[dict[str, Any]] = []

    def register(self) -> str:
        with transaction.atomic():
            kid, _ = journal_key_register(
                terminal_code=self.terminal, token_id=self.token_id, public_key_spki=self.spki
            )
        return kid

    def body(self, type_: str, payload: dict[str, Any], **fields: Any) -> dict[str, Any]:
        """The next entry's object (not yet written)."""
        return {
            "v": 1,
            "terminal": self.terminal,
            "seq": self.seq + 1,
            "type": type_,
            "at": f"2026-11-30T10:{(self.seq // 60) % 60:02d}:{self.seq % 60:02d}.123+01:00",
            "cashier": {"id": 3, "name": "Ana"},
            "key": self.key,
            "prev_hash": self.prev_hash,
            "payload": {"v": 1, **payload},
            **fields,
        }

    def sign(
        self, body: dict[str, Any], *, key: ec.EllipticCurvePrivateKey | None = None
    ) -> dict[str, Any]:
        """The wire form of `body`, hashed on the current head and signed; the till
        moves on to it."""
        canonical = canonicalize(body)
        hash_ = chain_hash(body["prev_hash"], canonical)
        wire = {
            "seq": body["seq"],
            "canonical": canonical.decode(),
            "hash": hash_,
            "sig": signature_make(key or self.private, canonical),
        }
        self.seq, self.prev_hash = body["seq"], hash_
        self.written.append(wire)
        return wire

    def entry(self, type_: str = "LOGIN", payload: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.sign(self.body(type_, payload or {}))

    def sale(self, gross: str = "10.00", type_: str = "SALE", **overrides: Any) -> dict[str, Any]:
        """A SALE (or, with `type_`, a REFUND: a negative `gross`) that moves the grand
        totals by `gross`."""
        amount = Decimal(gross)
        self.gt += amount
        self.gt_abs += abs(amount)
        payload = {
            "order": "7d1c0b6e-0000-4000-8000-000000000001",
            "receipt_no": f"POS1-1-{self.seq + 1:06d}",
            "session": "5a1c0b6e-0000-4000-8000-000000000001",
            "lines": [
                {
                    "name": "Cola 330 ml",
                    "ref": "COLA",
                    "qty": "1",
                    "unit": "pc",
                    "unit_price": gross,
                    "discount": "0",
                    "tax_rate": "21",
                    "net": "8.26",
                    "tax": "1.74",
                    "amount": gross,
                }
            ],
            "totals": {"net": "8.26", "tax": "1.74", "gross": gross},
            "payments": [{"method": "cash", "amount": gross}],
            "change": "0.00",
            "gt_after": f"{self.gt:.2f}",
            "gt_abs_after": f"{self.gt_abs:.2f}",
        }
        payload.update(overrides)
        return self.entry(type_, payload)

    def entries(self, count: int) -> list[dict[str, Any]]:
        first = []
        if self.seq == 0:
            first.append(self.entry("JOURNAL_INIT", {"software": "0.1.0", "key": "…"}))
        return first + [self.sale() for _ in range(count - len(first))]

    def fork(self) -> Till:
        """A copy of this till at its current head: what it writes next competes."""
        twin = copy.copy(self)
        twin.written = list(self.written)
        return twin


def walk_wires(
    till: Till, wires: list[dict[str, Any]], *, batch: bool = True
) -> tuple[int, str] | None:
    """The first (seq, reason) a ChainWalk finds in `till`'s wire entries from seq 1,
    without a database; None if none. `batch`: their signatures announced first
    (ChainWalk.expect), as the verify announces a fetch's."""
    walk = ChainWalk(
        terminal=till.terminal,
        keys={till.key: till.private.public_key()},
        key_order=[till.key],
        start=ChainPosition(0, GENESIS_HASH, "", ("0", "0")),
    )
    if batch:
        walk.expect([wire["sig"] for wire in wires])
    try:
        for wire in wires:
            walk.step(
                seq=wire["seq"],
                canonical=wire["canonical"].encode(),
                hash=wire["hash"],
                sig=wire["sig"],
            )
    except ChainProblem as problem:
        return problem.finding.seq, problem.finding.reason
    return None


def ingest(entries: list[dict[str, Any]], terminal: str = TERMINAL) -> IngestResult:
    with transaction.atomic():
        return journal_ingest(terminal_code=terminal, entries=entries)


@contextmanager
def triggers_lifted() -> Iterator[None]:
    """The journal's immutability triggers dropped for the block (to tamper), then back."""
    with transaction.atomic(), journal_triggers_lifted(connection):
        yield


def sql(statement: str, params: list[Any] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


@pytest.fixture(autouse=True)
def _server_key_in_tmp(settings: Any, tmp_path: Path) -> None:
    # Each test signs the server's chain with a key of its own, made in its own folder.
    settings.KASSA_JOURNAL_KEY_FILE = tmp_path / "journal_key.pem"


@pytest.fixture
def till(db: None) -> Till:
    till = Till()
    till.register()
    return till
