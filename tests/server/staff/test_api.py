"""The cashiers a terminal downloads."""

from __future__ import annotations

import json

from kassa.server.staff.models import Cashier
from kassa.server.staff.services import pin_verifier

from ..conftest import Device, Shop


def test_cashiers_come_with_a_verifier_not_the_pin(device: Device, shop: Shop) -> None:
    cashiers = device.get("cashiers").json()
    assert [(c["name"], c["role"]) for c in cashiers] == [
        ("Alice", "cashier"),
        ("Maria", "manager"),
    ]
    alice = cashiers[0]
    verifier = alice["pin_verifier"]
    assert verifier["algorithm"] == "pbkdf2_sha256"
    assert "1234" not in json.dumps(alice)
    stored = Cashier.objects.get(name="Alice")
    assert stored.pin_hash not in json.dumps(cashiers)
    import base64

    salt = base64.b64decode(verifier["salt"])
    assert pin_verifier("1234", salt=salt, iterations=verifier["iterations"]) == verifier["hash"]
    assert pin_verifier("1235", salt=salt, iterations=verifier["iterations"]) != verifier["hash"]
