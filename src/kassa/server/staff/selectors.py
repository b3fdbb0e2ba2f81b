"""Staff reads: the cashiers a terminal may log in, and PIN checks."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.db.models import QuerySet

from kassa.server.common.throttle import Throttle

from .models import Cashier


def cashier_list_active() -> QuerySet[Cashier]:
    return (
        Cashier.objects.filter(active=True)
        .select_related("role")
        .prefetch_related("role__permissions")
        .order_by("name")
    )


def _pin_throttles() -> tuple[Throttle, Throttle]:
    window, lock = settings.KASSA_THROTTLE_WINDOW_SECONDS, settings.KASSA_THROTTLE_LOCK_SECONDS
    cashier = Throttle(
        "pin-cashier",
        settings.KASSA_PIN_FAILURES,
        window,
        lock,
        "Too many wrong PINs for this cashier; PIN checks are locked for {seconds} s.",
    )
    client = Throttle(
        "pin-client",
        settings.KASSA_PIN_CLIENT_FAILURES,
        window,
        lock,
        "Too many wrong PINs from this address; try again in {seconds} s.",
    )
    return cashier, client


def cashier_check_pin(*, cashier: Cashier, pin: str, client: str | None = None) -> bool:
    """Whether `pin` is the cashier's PIN: the server's one PIN check, throttled.

    A wrong PIN counts against the cashier and against `client` (the address a request
    came from, None for the server's own calls); at their limits every check of that
    cashier, or from that address, raises Throttled (429 with Retry-After) until the
    lock ends, the right PIN too. The one read here that writes: the throttle's counters
    in the cache, so that no caller can check a PIN unthrottled.
    """
    by_cashier, by_client = _pin_throttles()
    by_cashier.check(str(cashier.pk))
    if client is not None:
        by_client.check(client)
    if bool(cashier.pin_hash) and check_password(pin, cashier.pin_hash):
        return True
    by_cashier.fail(str(cashier.pk))
    if client is not None:
        by_client.fail(client)
    return False


def cashier_verifier(cashier: Cashier) -> dict[str, str | int]:
    """What a terminal needs to check a PIN offline; never the PIN or the server's hash."""
    return {
        "algorithm": "pbkdf2_sha256",
        "iterations": cashier.verifier_iterations,
        "salt": cashier.verifier_salt,
        "hash": cashier.verifier_hash,
    }
