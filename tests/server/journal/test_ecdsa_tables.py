"""The verify's ECDSA P-256 with a table per key (kassa.server.journal.ecdsa_tables),
held to `cryptography`'s verification: it accepts every signature cryptography accepts,
and none that cryptography refuses. Real keys, real signatures, the real libcrypto."""

from __future__ import annotations

import base64
import os
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from kassa.server.journal import ecdsa_tables
from kassa.server.journal.ecdsa_tables import N, key_table, signature_numbers
from kassa.server.journal.keys import signature_make, signature_valid

from .conftest import Till, walk_wires

pytestmark = pytest.mark.skipif(
    ecdsa_tables._libcrypto() is None, reason="no libcrypto with the EC functions here"
)


def _p1363(r: int, s: int) -> str:
    raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _numbers(sig: str) -> tuple[int, int, int]:
    return signature_numbers([sig])[sig]


def test_every_signature_cryptography_accepts_is_accepted() -> None:
    for _ in range(3):
        private = ec.generate_private_key(ec.SECP256R1())
        table = key_table(private.public_key())
        assert table is not None
        messages = [os.urandom(size) for size in range(0, 1200, 12)]
        sigs = [signature_make(private, message) for message in messages]
        numbers = signature_numbers(sigs)
        for sig, message in zip(sigs, messages, strict=True):
            assert signature_valid(private.public_key(), sig, message)
            assert table.verify(*numbers[sig], message)


MUTATIONS = [
    "another message",
    "r + 1",
    "s + 1",
    "r and s swapped",
    "another key's signature",
    "r = 0",
    "s = 0",
    "r = N",
    "s = N",
    "r + N (the same r modulo N)",
    "s + N",
    "s⁻¹ that is not s's inverse",
]


def _mutations(sig: str, message: bytes, other: ec.EllipticCurvePrivateKey) -> dict[str, Any]:
    """Signatures, messages and s⁻¹ that are not a valid signature of the key."""
    r, s, w = _numbers(sig)
    return {
        "another message": (r, s, w, message + b" "),
        "r + 1": (r + 1, s, w, message),
        "s + 1": (r, s + 1, pow(s + 1, -1, N), message),
        "r and s swapped": (s, r, pow(r, -1, N), message),
        "another key's signature": (*_numbers(signature_make(other, message)), message),
        "r = 0": (0, s, w, message),
        "s = 0": (r, 0, 0, message),
        "r = N": (N, s, w, message),
        "s = N": (r, N, w, message),
        "r + N (the same r modulo N)": (r + N, s, w, message),
        "s + N": (r, s + N, w, message),
        "s⁻¹ that is not s's inverse": (r, s, (w + 1) % N, message),
    }


@pytest.mark.parametrize("mutation", MUTATIONS)
def test_no_signature_cryptography_refuses_is_accepted(mutation: str) -> None:
    private, other = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    table = key_table(private.public_key())
    assert table is not None
    for _ in range(20):
        message = os.urandom(300)
        sig = signature_make(private, message)
        mutations = _mutations(sig, message, other)
        assert list(mutations) == MUTATIONS
        r, s, w, signed = mutations[mutation]
        assert not table.verify(r, s, w, signed)
        if mutation == "s⁻¹ that is not s's inverse":
            # the signature is sound: the table cannot tell, and cryptography decides
            assert signature_valid(private.public_key(), _p1363(r, s), signed)
        elif 0 <= r < 2**256 and 0 <= s < 2**256:  # a P1363 signature can spell it
            assert not signature_valid(private.public_key(), _p1363(r, s), signed)


def test_the_other_s_is_judged_as_cryptography_judges_it() -> None:
    # ECDSA's (r, N - s) verifies as (r, s) does: both accept it, the same
    private = ec.generate_private_key(ec.SECP256R1())
    table = key_table(private.public_key())
    assert table is not None
    for _ in range(20):
        message = os.urandom(100)
        r, s, _ = _numbers(signature_make(private, message))
        other = _p1363(r, N - s)
        assert table.verify(*_numbers(other), message) is True
        assert signature_valid(private.public_key(), other, message) is True


def test_the_inverses_of_a_batch_and_what_is_left_out() -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    sigs = [signature_make(private, os.urandom(64)) for _ in range(300)]
    r = int.from_bytes(base64.urlsafe_b64decode(sigs[0] + "=="), "big") >> 256
    malformed = [
        sigs[0][:85],  # 85 characters
        sigs[0][:85] + "=",  # padded
        "+" + sigs[0][1:],  # the standard alphabet, which a till never writes
        _p1363(0, 5),  # r = 0
        _p1363(r, N),  # s = N
        _p1363(r, 0),  # s = 0
    ]
    numbers = signature_numbers([*sigs, *malformed])
    assert sorted(numbers) == sorted(sigs)
    for r, s, w in numbers.values():
        assert s * w % N == 1
        assert 0 < r < N


def _chain(till: Till, count: int) -> list[dict[str, Any]]:
    return till.entries(count)


@pytest.mark.parametrize("batch", [True, False])
def test_a_walk_finds_a_bad_signature_with_or_without_tables(
    batch: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    till = Till()
    wires = _chain(till, 12)
    # given entry 7 signed with another key, its bytes and hash untouched
    stranger = ec.generate_private_key(ec.SECP256R1())
    wires[6] = {**wires[6], "sig": signature_make(stranger, wires[6]["canonical"].encode())}
    # then the walk stops at seq 7 for its signature, with the tables
    assert walk_wires(till, wires, batch=batch) == (7, "bad_signature")
    assert walk_wires(till, wires[:6] + wires[7:], batch=batch) == (7, "missing_entry")
    # and without them (a libcrypto that lacks the functions), the same
    monkeypatch.setattr(ecdsa_tables, "_lib", None)
    monkeypatch.setattr(ecdsa_tables, "_lib_tried", True)
    assert key_table(till.private.public_key()) is None
    assert walk_wires(till, wires, batch=batch) == (7, "bad_signature")
    assert walk_wires(till, wires[:6], batch=batch) is None
