"""Text for devices with 8-bit code pages: transliteration and control-character hygiene.

A printer or display shows what its code page holds; everything else is transliterated
(`é` → `e`, `€` → `EUR`, `„` → `"`) rather than printed as garbage. Control characters
from a request never reach a device: an `ESC p` hidden in a product name would open the
drawer. No amount is formatted here or anywhere in the proxy: the terminal sends the words.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True, slots=True)
class CodePage:
    name: str  # as python-escpos names it
    codec: str  # Python codec
    table: int  # ESC t n


CODE_PAGES: dict[str, CodePage] = {
    "CP437": CodePage("CP437", "cp437", 0),
    "CP850": CodePage("CP850", "cp850", 2),
    "CP852": CodePage("CP852", "cp852", 18),
    "CP858": CodePage("CP858", "cp858", 19),
    "CP866": CodePage("CP866", "cp866", 17),
    "CP1252": CodePage("CP1252", "cp1252", 16),
    "WPC1252": CodePage("CP1252", "cp1252", 16),
}

# Characters that Unicode decomposition does not reduce to ASCII.
_FALLBACKS: dict[str, str] = {
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "ß": "ss",
    "ẞ": "SS",
    "æ": "ae",
    "Æ": "AE",
    "œ": "oe",
    "Œ": "OE",
    "ø": "o",
    "Ø": "O",
    "å": "a",
    "Å": "A",
    "ł": "l",
    "Ł": "L",
    "đ": "d",
    "Đ": "D",
    "ð": "d",
    "Ð": "D",
    "þ": "th",
    "Þ": "Th",
    "ı": "i",
    "‘": "'",
    "’": "'",
    "‚": ",",
    "‛": "'",
    "“": '"',
    "”": '"',
    "„": '"',
    "«": '"',
    "»": '"',
    "‹": "<",
    "›": ">",
    "–": "-",
    "—": "-",
    "‐": "-",
    "−": "-",
    "…": "...",
    "•": "*",
    "·": ".",
    "×": "x",
    "÷": "/",
    "°": "o",
    "½": "1/2",
    "¼": "1/4",
    "¾": "3/4",
    "©": "(c)",
    "®": "(R)",
    "™": "TM",
    "\u00a0": " ",
    "\u202f": " ",
    "\u2009": " ",
}


def clean_controls(text: str) -> str:
    """Replace control characters (C0, DEL, C1, line and paragraph separators) by spaces."""
    return "".join(
        " " if unicodedata.category(char) in {"Cc", "Zl", "Zp"} else char for char in text
    )


@lru_cache(maxsize=4096)
def _transliterate_char(char: str, codec: str) -> str:
    if _encodable(char, codec):
        return char
    if char in _FALLBACKS:
        replacement = _FALLBACKS[char]
        if all(_encodable(part, codec) for part in replacement):
            return replacement
    decomposed = "".join(
        part for part in unicodedata.normalize("NFKD", char) if not unicodedata.combining(part)
    )
    if decomposed and decomposed != char:
        return "".join(_transliterate_char(part, codec) for part in decomposed)
    if unicodedata.category(char).startswith("Z"):
        return " "
    if unicodedata.category(char) in {"Mn", "Me"}:
        return ""  # an accent the code page cannot put on its letter: the bare letter
    return "?"


def _encodable(char: str, codec: str) -> bool:
    try:
        char.encode(codec)
    except UnicodeEncodeError:
        return False
    return True


def transliterate(text: str, codec: str) -> str:
    """Return `text` with only characters `codec` can encode and no control characters."""
    if text.isascii() and text.isprintable():
        return text  # the common case, and every code page holds printable ASCII
    # Composed first: "e" + U+0301 (as macOS and some keyboards type it) is the code
    # page's "é", not "e?".
    text = unicodedata.normalize("NFC", clean_controls(text))
    return "".join(_transliterate_char(char, codec) for char in text)


def encode(text: str, codec: str) -> bytes:
    """Transliterate then encode: never raises, never emits control bytes from `text`."""
    return transliterate(text, codec).encode(codec)
