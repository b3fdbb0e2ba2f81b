"""Issue 16: guesses are throttled. Pairing codes per client and per code, the server's
PIN check per cashier and per client: the N+1th guess gets 429 with Retry-After, and the
right code or PIN is still refused until the lock ends."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from kassa.server.common import throttle
from kassa.server.common.errors import Throttled
from kassa.server.staff.selectors import cashier_check_pin
from kassa.server.terminals.models import DeviceToken
from kassa.server.terminals.services import pairing_code_create

from .conftest import Shop


class Clock:
    def __init__(self) -> None:
        self.at = 1_800_000_000.0

    def __call__(self) -> float:
        return self.at


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(throttle, "now", fake)
    return fake


@pytest.fixture(autouse=True)
def _limits(settings: Any) -> None:
    settings.KASSA_PAIRING_CLIENT_FAILURES = 5
    settings.KASSA_PAIRING_CODE_FAILURES = 8
    settings.KASSA_PIN_FAILURES = 3
    settings.KASSA_PIN_CLIENT_FAILURES = 6
    settings.KASSA_THROTTLE_WINDOW_SECONDS = 600
    settings.KASSA_THROTTLE_LOCK_SECONDS = 300


def _pair(client: Client, code: str, address: str = "10.0.0.7") -> Any:
    return client.post(
        "/api/v1/pair",
        json.dumps({"code": code}),
        content_type="application/json",
        REMOTE_ADDR=address,
    )


def test_a_client_that_guesses_is_locked_out_the_right_code_too(
    client: Client, shop: Shop, clock: Clock
) -> None:
    # given a code waiting in the back office, and 5 wrong guesses from one address
    code = pairing_code_create(terminal=shop.terminal)
    for n in range(5):
        response = _pair(client, f"WRNG-{n:04d}")
        assert (response.status_code, response.json()["error"]["code"]) == (
            403,
            "pairing_code_invalid",
        )
    # when it guesses a 6th time, then 429 with Retry-After, in the error shape
    sixth = _pair(client, "WRNG-0006")
    assert sixth.status_code == 429
    assert sixth["Retry-After"] == "300"
    assert sixth.json()["error"]["code"] == "too_many_requests"
    # and the right code from it is refused too, until the lock ends
    clock.at += 299
    right = _pair(client, code)
    assert (right.status_code, right["Retry-After"]) == (429, "1")
    assert DeviceToken.objects.count() == 0
    # another address is not locked by it
    assert _pair(client, "WRNG-0007", address="10.0.0.8").status_code == 403
    # when the lock ends, the right code pairs
    clock.at += 1
    assert _pair(client, code).status_code == 200
    assert DeviceToken.objects.count() == 1


def test_failures_out_of_the_window_do_not_add_up(client: Client, shop: Shop, clock: Clock) -> None:
    for _ in range(4):
        assert _pair(client, "WRNG-WRNG").status_code == 403
    clock.at += 600
    for _ in range(4):
        assert _pair(client, "WRNG-WRNG").status_code == 403
    assert _pair(client, "WRNG-WRNG").status_code == 403


def test_guesses_from_many_addresses_lock_the_waiting_code(
    client: Client, shop: Shop, clock: Clock
) -> None:
    # given a code waiting, and 8 wrong guesses, each from another address
    code = pairing_code_create(terminal=shop.terminal)
    for n in range(8):
        assert _pair(client, "WRNG-WRNG", address=f"10.1.0.{n}").status_code == 403
    # when the right code comes, from an address that never guessed, then it is locked
    right = _pair(client, code, address="10.2.0.1")
    assert right.status_code == 429
    assert int(right["Retry-After"]) == 300
    assert "make a new code" in right.json()["error"]["message"]
    assert DeviceToken.objects.count() == 0
    # a new code made now is not locked by guesses made before it
    fresh = pairing_code_create(terminal=shop.terminal)
    assert _pair(client, fresh, address="10.2.0.1").status_code == 200
    # the locked one pairs once its lock has ended
    clock.at += 300
    assert _pair(client, code, address="10.2.0.1").status_code == 200


def test_the_pin_check_locks_a_cashier_after_failures(shop: Shop, clock: Clock) -> None:
    # given 3 wrong PINs for Alice
    for pin in ("0000", "1111", "2222"):
        assert cashier_check_pin(cashier=shop.alice, pin=pin) is False
    # when a 4th comes, the right PIN included, then it is refused with the wait
    for pin in ("3333", "1234"):
        with pytest.raises(Throttled) as refused:
            cashier_check_pin(cashier=shop.alice, pin=pin)
        assert refused.value.retry_after == 300
    # Maria is not locked by Alice's failures
    assert cashier_check_pin(cashier=shop.maria, pin="9999") is True
    # the lock ends, the right PIN is right again
    clock.at += 300
    assert cashier_check_pin(cashier=shop.alice, pin="1234") is True


def test_the_pin_check_locks_a_client_that_tries_many_cashiers(
    shop: Shop, clock: Clock, settings: Any
) -> None:
    settings.KASSA_PIN_FAILURES = 10
    # 6 wrong PINs from one address, spread over two cashiers (each under its own limit)
    for cashier in (shop.alice, shop.maria, shop.alice, shop.maria):
        assert cashier_check_pin(cashier=cashier, pin="0000", client="10.0.0.9") is False
    assert cashier_check_pin(cashier=shop.alice, pin="1234", client="10.0.0.9") is True
    for cashier in (shop.maria, shop.alice):
        assert cashier_check_pin(cashier=cashier, pin="0000", client="10.0.0.9") is False
    with pytest.raises(Throttled):
        cashier_check_pin(cashier=shop.maria, pin="9999", client="10.0.0.9")
    assert cashier_check_pin(cashier=shop.maria, pin="9999", client="10.0.0.10") is True
