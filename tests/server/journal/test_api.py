"""POST /api/v1/journal/key and GET /api/v1/journal/head, with a paired terminal's token."""

from __future__ import annotations

import base64

from django.db import transaction

from kassa.jcs import GENESIS_HASH
from kassa.server.journal.models import TerminalKey
from kassa.server.journal.services import journal_ingest
from kassa.server.terminals.models import DeviceToken

from ..conftest import Device, Shop, pair
from .conftest import Till


def b64(spki: bytes) -> str:
    return base64.b64encode(spki).decode()


def test_register_a_key_and_read_the_head(device: Device) -> None:
    # given a paired till with a key of its own
    till = Till(terminal=device.terminal.code)
    # when it registers the key, twice
    first = device.post("journal/key", {"public_key": b64(till.spki)})
    again = device.post("journal/key", {"public_key": b64(till.spki)})
    # then it gets the key id and the empty chain's head, both times
    assert first.status_code == again.status_code == 200
    assert (
        first.json()
        == again.json()
        == {
            "key": till.key,
            "head": {"seq": 0, "hash": GENESIS_HASH},
        }
    )
    token = DeviceToken.objects.get()
    assert list(TerminalKey.objects.values_list("terminal_code", "device_token_id")) == [
        ("POS1", token.pk)
    ]
    # when its entries were accepted, then the head says where the chain stands
    wires = till.entries(3)
    with transaction.atomic():
        journal_ingest(terminal_code="POS1", entries=wires)
    head = device.get("journal/head")
    assert (head.status_code, head.json()) == (200, {"seq": 3, "hash": wires[-1]["hash"]})
    assert device.post("journal/key", {"public_key": b64(till.spki)}).json()["head"]["seq"] == 3


def test_another_key_for_the_same_pairing_is_409(device: Device) -> None:
    device.post("journal/key", {"public_key": b64(Till().spki)})
    answer = device.post("journal/key", {"public_key": b64(Till().spki)})
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "key_already_registered"
    assert TerminalKey.objects.count() == 1


def test_a_new_pairing_registers_its_own_key(device: Device, shop: Shop, client) -> None:
    device.post("journal/key", {"public_key": b64(Till().spki)})
    again = pair(client, shop.terminal)
    answer = again.post("journal/key", {"public_key": b64(Till().spki)})
    assert answer.status_code == 200
    assert TerminalKey.objects.count() == 2


def test_a_key_that_is_not_base64_spki_is_422(device: Device) -> None:
    for body, message in [
        ({"public_key": "not base64!"}, "not base64"),
        ({"public_key": base64.b64encode(b"junk").decode()}, "not SPKI DER"),
    ]:
        answer = device.post("journal/key", body)
        assert answer.status_code == 422
        assert answer.json()["error"]["code"] == "invalid_key"
        assert message in answer.json()["error"]["message"]
    assert device.post("journal/key", {}).json()["error"]["code"] == "invalid_request"
    assert TerminalKey.objects.count() == 0


def test_the_journal_endpoints_need_a_token(client, shop: Shop) -> None:
    assert client.get("/api/v1/journal/head").status_code == 401
    answer = client.post(
        "/api/v1/journal/key",
        {"public_key": b64(Till().spki)},
        content_type="application/json",
    )
    assert (answer.status_code, answer.json()["error"]["code"]) == (401, "unauthorized")
    assert TerminalKey.objects.count() == 0


def test_the_head_of_a_terminal_without_entries(device: Device) -> None:
    assert device.get("journal/head").json() == {"seq": 0, "hash": GENESIS_HASH}
