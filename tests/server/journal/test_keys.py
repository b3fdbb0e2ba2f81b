"""journal_key_register: a till's key for its pairing (docs/journal.md, "Keys")."""

from __future__ import annotations

import hashlib
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from django.db import transaction

from kassa.jcs import GENESIS_HASH
from kassa.server.journal.errors import JournalError, JournalErrorCode
from kassa.server.journal.keys import _p1363_to_der, signature_make, signature_valid, spki_of
from kassa.server.journal.models import ServerEntry, TerminalKey
from kassa.server.journal.services import journal_key_register

from .conftest import TERMINAL, Till, ingest


def register(spki: bytes, token_id: int = 1, terminal: str = TERMINAL) -> tuple[str, object]:
    with transaction.atomic():
        return journal_key_register(terminal_code=terminal, token_id=token_id, public_key_spki=spki)


def new_spki() -> bytes:
    return spki_of(ec.generate_private_key(ec.SECP256R1()).public_key())


def test_a_key_is_registered_once_and_recorded(db: None) -> None:
    # given a till's new P-256 key
    spki = new_spki()
    # when it registers it, twice
    first = register(spki)
    again = register(spki)
    # then the key id is SHA-256 of the SPKI, cut to 16 hex digits, and the head genesis
    key_id, head = first
    assert key_id == hashlib.sha256(spki).hexdigest()[:16]
    assert head.as_dict() == {"seq": 0, "hash": GENESIS_HASH}  # type: ignore[attr-defined]
    assert again == first
    row = TerminalKey.objects.get()
    assert (row.terminal_code, row.device_token_id, row.key_id, bytes(row.spki)) == (
        TERMINAL,
        1,
        key_id,
        spki,
    )
    # and the server chain records it once
    recorded = [
        json.loads(bytes(c))["payload"]
        for c in ServerEntry.objects.filter(type="KEY_REGISTERED").values_list(
            "canonical", flat=True
        )
    ]
    assert [(r["terminal"], r["token"], r["key"]) for r in recorded] == [(TERMINAL, 1, key_id)]


def test_the_head_is_where_the_chain_stands(till: Till) -> None:
    wires = till.entries(3)
    ingest(wires)
    _, head = register(till.spki)
    assert head.as_dict() == {"seq": 3, "hash": wires[-1]["hash"]}  # type: ignore[attr-defined]


def test_another_key_for_the_same_pairing_is_refused(db: None) -> None:
    register(new_spki())
    with pytest.raises(JournalError) as refused:
        register(new_spki())
    assert refused.value.code is JournalErrorCode.KEY_ALREADY_REGISTERED
    assert TerminalKey.objects.count() == 1


def test_a_key_of_another_terminal_is_refused(db: None) -> None:
    spki = new_spki()
    register(spki, token_id=1, terminal="POS1")
    with pytest.raises(JournalError) as refused:
        register(spki, token_id=2, terminal="POS2")
    assert refused.value.code is JournalErrorCode.KEY_OTHER_TERMINAL
    assert list(TerminalKey.objects.values_list("terminal_code", flat=True)) == ["POS1"]


def test_each_pairing_of_a_terminal_has_its_key(db: None) -> None:
    first, second = new_spki(), new_spki()
    register(first, token_id=1)
    register(second, token_id=2)
    register(first, token_id=3)  # a till paired again that kept its key: no-op
    assert list(TerminalKey.objects.values_list("device_token_id", flat=True)) == [1, 2]


@pytest.mark.parametrize(
    ("spki", "message"),
    [
        (b"not a key", "not SPKI DER"),
        (
            spki_of(ec.generate_private_key(ec.SECP384R1()).public_key()),
            "must be ECDSA P-256",
        ),
        (
            rsa.generate_private_key(public_exponent=65537, key_size=2048)
            .public_key()
            .public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            ),
            "must be ECDSA P-256",
        ),
        (
            ec.generate_private_key(ec.SECP256R1())
            .public_key()
            .public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )[:-1],
            "not SPKI DER",
        ),
    ],
)
def test_a_key_that_is_not_p256_spki_is_refused(db: None, spki: bytes, message: str) -> None:
    with pytest.raises(JournalError, match=message) as refused:
        register(spki)
    assert refused.value.code is JournalErrorCode.INVALID_KEY
    assert TerminalKey.objects.count() == 0
    assert ServerEntry.objects.count() == 0


@pytest.mark.parametrize(
    ("r", "s"),
    [
        (1, 1),
        (0, 2**256 - 1),  # a zero, and s with its high bit set (a 0 byte before it in DER)
        (2**255, 2**248 - 1),  # r with the high bit, s with a leading zero byte
        (0x7F << 248, 0x80),  # no padding needed; one byte
        (2**256 - 189, 2**200 + 12345),
    ],
)
def test_a_p1363_signature_becomes_the_der_that_cryptography_writes(r: int, s: int) -> None:
    # given r ‖ s as a till sends them (32 bytes each)
    raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    # then the DER given to OpenSSL is encode_dss_signature's, byte for byte
    assert _p1363_to_der(raw) == encode_dss_signature(r, s)


def test_signature_valid_takes_a_tills_signature_and_refuses_a_changed_one() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    data = b'{"v":1}'
    sig = signature_make(key, data)
    assert signature_valid(key.public_key(), sig, data)
    assert not signature_valid(key.public_key(), sig, data + b" ")
    flipped = ("A" if sig[0] != "A" else "B") + sig[1:]
    assert not signature_valid(key.public_key(), flipped, data)
