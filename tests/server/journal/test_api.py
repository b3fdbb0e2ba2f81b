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
            "head": {"seq": 0, "hash": GENESIS_HASH, "gt_after": "0", "gt_abs_after": "0"},
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
    assert (head.status_code, head.json()) == (
        200,
        {"seq": 3, "hash": wires[-1]["hash"], "gt_after": "20.00", "gt_abs_after": "20.00"},
    )
    assert device.post("journal/key", {"public_key": b64(till.spki)}).json()["head"] == head.json()


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
    assert device.get("journal/head").json() == {
        "seq": 0,
        "hash": GENESIS_HASH,
        "gt_after": "0",
        "gt_abs_after": "0",
    }


def test_the_head_carries_the_grand_totals_a_wiped_till_resumes_from(device: Device) -> None:
    # given a chain with a sale and a refund, then entries that are no SALE
    till = Till(terminal=device.terminal.code)
    device.post("journal/key", {"public_key": b64(till.spki)})
    wires = [till.entry("JOURNAL_INIT", {"software": "0.1.0", "key": "…"})]
    wires += [till.sale("12.50"), till.sale("-2.50"), till.entry("LOGOUT")]
    with transaction.atomic():
        journal_ingest(terminal_code="POS1", entries=wires)
    # when a new pairing of the till (a wiped browser) registers its key
    again = pair(device.client, device.terminal)
    answer = again.post("journal/key", {"public_key": b64(Till().spki)})
    # then both answers give the last SALE's sums as the till wrote them, at the head
    expected = {"seq": 4, "hash": wires[-1]["hash"], "gt_after": "10.00", "gt_abs_after": "15.00"}
    assert (answer.status_code, answer.json()["head"]) == (200, expected)
    assert again.get("journal/head").json() == expected


def test_after_a_declared_loss_the_head_has_no_grand_totals(device: Device) -> None:
    # given sales, then the till's own INTEGRITY_FAILURE (its storage was lost)
    till = Till(terminal=device.terminal.code)
    device.post("journal/key", {"public_key": b64(till.spki)})
    wires = till.entries(2)
    wires.append(till.entry("INTEGRITY_FAILURE", {"reason": "storage_lost", "after_seq": 2}))
    with transaction.atomic():
        journal_ingest(terminal_code="POS1", entries=wires)
    # then the head says so: the next SALE starts the sums again
    assert device.get("journal/head").json() == {
        "seq": 3,
        "hash": wires[-1]["hash"],
        "gt_after": None,
        "gt_abs_after": None,
    }
    # and a SALE after it sets them again
    with transaction.atomic():
        journal_ingest(terminal_code="POS1", entries=[till.sale("3.00")])
    head = device.get("journal/head").json()
    assert (head["seq"], head["gt_after"], head["gt_abs_after"]) == (4, "13.00", "13.00")
