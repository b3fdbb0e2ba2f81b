"""Wire format of the cashiers a terminal downloads."""

from __future__ import annotations

from ninja import Schema


class PinVerifierOut(Schema):
    algorithm: str
    iterations: int
    salt: str
    hash: str


class CashierOut(Schema):
    id: int
    name: str
    role: str
    pin_verifier: PinVerifierOut
