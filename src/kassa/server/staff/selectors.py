"""Staff reads: the cashiers a terminal may log in, and PIN checks."""

from __future__ import annotations

from django.contrib.auth.hashers import check_password
from django.db.models import QuerySet

from .models import Cashier


def cashier_list_active() -> QuerySet[Cashier]:
    return (
        Cashier.objects.filter(active=True)
        .select_related("role")
        .prefetch_related("role__permissions")
        .order_by("name")
    )


def cashier_check_pin(*, cashier: Cashier, pin: str) -> bool:
    return bool(cashier.pin_hash) and check_password(pin, cashier.pin_hash)


def cashier_verifier(cashier: Cashier) -> dict[str, str | int]:
    """What a terminal needs to check a PIN offline; never the PIN or the server's hash."""
    return {
        "algorithm": "pbkdf2_sha256",
        "iterations": cashier.verifier_iterations,
        "salt": cashier.verifier_salt,
        "hash": cashier.verifier_hash,
    }
