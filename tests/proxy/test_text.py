"""Transliteration to a device's code page, and control characters removed."""

from __future__ import annotations

import pytest

from kassa.proxy.text import encode, transliterate


@pytest.mark.parametrize(
    ("text", "codec", "expected"),
    [
        ("Crème brûlée 5 €", "cp858", "Crème brûlée 5 €"),
        ("Crème brûlée 5 €", "cp437", "Crème brûlée 5 EUR"),
        ("Crème brûlée 5 €", "ascii", "Creme brulee 5 EUR"),
        ("Straße", "ascii", "Strasse"),
        ("Łódź „Kraków“ – 1½ ×2", "ascii", 'Lodz "Krakow" - 11/2 x2'),
        ("Øl, æble, œuvre", "ascii", "Ol, aeble, oeuvre"),
        ("ﬁsh №5", "ascii", "fish No5"),
        ("日本", "cp858", "??"),
        # a combining accent: composed where the code page has the letter, else dropped
        ("Cafe\u0301", "cp858", "Café"),
        ("Cafe\u0301", "ascii", "Cafe"),
        ("x\u0301y\u20dd", "cp858", "xy"),
        ("a\x1bp\x00b\tc\r\nd\x7f\x85e", "cp858", "a p b c  d  e"),
    ],
)
def test_transliterate(text: str, codec: str, expected: str) -> None:
    assert transliterate(text, codec) == expected


def test_encode_never_raises_and_never_emits_controls() -> None:
    data = encode("€\x1b\x10\x04\x01 ok", "cp437")
    assert data == b"EUR  \x04\x01 ok".replace(b"\x04\x01", b"  ")
    assert all(byte >= 0x20 for byte in data)
