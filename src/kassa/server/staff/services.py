"""Cashier writes. PINs are hashed for the server, with a slow salted verifier for offline
login."""

from __future__ import annotations

import base64
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction

from .errors import StaffError, StaffErrorCode
from .models import Cashier, Role

PIN_MIN_LENGTH = 4
PIN_MAX_LENGTH = 8


def pin_validate(pin: str) -> None:
    if not pin.isascii() or not pin.isdigit() or not PIN_MIN_LENGTH <= len(pin) <= PIN_MAX_LENGTH:
        raise StaffError(
            StaffErrorCode.PIN_INVALID, f"A PIN is {PIN_MIN_LENGTH} to {PIN_MAX_LENGTH} digits."
        )


def pin_verifier(pin: str, *, salt: bytes, iterations: int) -> str:
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, iterations, dklen=32)
    return base64.b64encode(digest).decode()


def cashier_set_pin(*, cashier: Cashier, pin: str, save: bool = True) -> None:
    pin_validate(pin)
    salt = secrets.token_bytes(16)
    iterations = settings.KASSA_PIN_VERIFIER_ITERATIONS
    cashier.pin_hash = make_password(pin)
    cashier.verifier_salt = base64.b64encode(salt).decode()
    cashier.verifier_iterations = iterations
    cashier.verifier_hash = pin_verifier(pin, salt=salt, iterations=iterations)
    if save:
        cashier.save(
            update_fields=["pin_hash", "verifier_salt", "verifier_iterations", "verifier_hash"]
        )


@transaction.atomic
def cashier_create(*, name: str, pin: str, role: str = Role.CASHIER) -> Cashier:
    if role not in Role.values:
        raise StaffError(
            StaffErrorCode.ROLE_INVALID, f"Role must be one of {', '.join(Role.values)}."
        )
    cashier = Cashier(name=name, role=role)
    cashier_set_pin(cashier=cashier, pin=pin, save=False)
    cashier.save()
    return cashier
