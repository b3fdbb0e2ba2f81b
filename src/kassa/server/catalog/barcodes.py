"""Barcode rules shared by the catalog, the import, the back office and the terminal.

The terminal implements the same rules in src/kassa/terminal/domain/barcode.js; the worked
cases in tests/shared/barcode_cases.json run against both, so they cannot drift.

- GTINs (EAN-8, UPC-A, EAN-13, GTIN-14) carry a GS1 check digit; a UPC-A is stored and
  looked up as the EAN-13 it equals (a leading 0).
- In-store codes (EAN-13 prefixes 20–29, whose layout is each shop's configuration) embed
  a weight or a price. A product sold that way stores one barcode: the code with the value
  digits zeroed and the check digit recomputed (`embedded_lookup_code`); the terminal reads
  the value from the scanned code and looks the product up by that barcode.
"""

from __future__ import annotations

import re

from .errors import CatalogError, CatalogErrorCode

_INTERNAL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-_/]{0,31}$")
_DIGITS = re.compile(r"^[0-9]+$")
GTIN_LENGTHS = (8, 12, 13, 14)
PATTERN_KEYS = frozenset({"prefix", "kind", "itemDigits", "valueDigits", "decimals"})
WEIGHT_DECIMALS = 3  # a weight is read in kilograms with at most 3 places (grams)

# The default in-store patterns: 21… weight in grams, 23… price in cents.
DEFAULT_PATTERNS: tuple[dict[str, object], ...] = (
    {"prefix": "21", "kind": "weight", "itemDigits": 5, "valueDigits": 5, "decimals": 3},
    {"prefix": "23", "kind": "price", "itemDigits": 5, "valueDigits": 5, "decimals": 2},
)


class BarcodeError(CatalogError):
    def __init__(self, message: str):
        super().__init__(CatalogErrorCode.BARCODE_INVALID, message)


class BarcodePatternError(CatalogError):
    def __init__(self, message: str):
        super().__init__(CatalogErrorCode.BARCODE_PATTERN_INVALID, message)


def gtin_check_digit(body: str) -> int:
    """Check digit of an EAN/UPC body (the digits before it): weights 3,1,3,… from the right."""
    if body.isascii() and body.isdigit():
        # The digits' bytes summed in C: a million-row import checks a million codes, and
        # the loop below took a tenth of its time. Each ASCII digit is its byte - 48.
        threes = body[::-2].encode()
        ones = body[-2::-2].encode()
        total = 3 * (sum(threes) - 48 * len(threes)) + sum(ones) - 48 * len(ones)
    else:
        total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def barcode_normalise(code: str) -> str:
    """Validate a barcode and return the form it is stored and looked up in.

    EAN-8, EAN-13, GTIN-14 and UPC-A (12 digits) must carry a valid check digit; a UPC-A
    is stored as the EAN-13 it equals (a leading 0). Other codes (internal labels, PLUs)
    are accepted as they are if made of letters, digits and . - _ /.
    """
    code = code.strip()
    if not code:
        raise BarcodeError("empty barcode")
    if len(code) in GTIN_LENGTHS and code.isascii() and code.isdigit():
        if gtin_check_digit(code[:-1]) != int(code[-1]):
            raise BarcodeError(f"barcode {code}: wrong check digit")
        return "0" + code if len(code) == 12 else code
    if not _INTERNAL.match(code):
        raise BarcodeError(f"barcode {code!r}: only letters, digits and . - _ / up to 32 long")
    return code


def embedded_lookup_code(prefix: str, item_code: str, value_digits: int) -> str:
    """The barcode a product sold with an embedded weight or price is stored with:
    `embedded_lookup_code("23", "05000", 5)` is "2305000000004"."""
    head = prefix + item_code + "0" * value_digits
    if len(head) != 12 or not _DIGITS.match(head):
        raise BarcodePatternError("prefix + item + value digits must make 12 digits")
    return head + str(gtin_check_digit(head))


def barcode_patterns_check(patterns: object, *, places: int) -> None:
    """Raise BarcodePatternError unless `patterns` is a list of in-store patterns the
    terminal can read in a currency with `places` decimals (domain/barcode.js
    validatePatterns applies the same rules)."""
    if not isinstance(patterns, list):
        raise BarcodePatternError("A list of patterns is expected.")
    for pattern in patterns:
        where = f"Pattern {pattern!r}"
        if not isinstance(pattern, dict) or set(pattern) != PATTERN_KEYS:
            raise BarcodePatternError(
                f"{where}: needs exactly the keys {', '.join(sorted(PATTERN_KEYS))}."
            )
        prefix = pattern["prefix"]
        # ASCII digits only: str.isdigit() would take "²" or "٢".
        if not (isinstance(prefix, str) and _DIGITS.match(prefix) and 1 <= len(prefix) <= 3):
            raise BarcodePatternError(f"{where}: prefix must be 1 to 3 digits.")
        kind = pattern["kind"]
        if kind not in ("weight", "price"):
            raise BarcodePatternError(f"{where}: kind must be weight or price.")
        numbers = [pattern[k] for k in ("itemDigits", "valueDigits", "decimals")]
        if not all(isinstance(n, int) and not isinstance(n, bool) for n in numbers):
            raise BarcodePatternError(
                f"{where}: itemDigits, valueDigits and decimals are whole numbers."
            )
        item, digits, decimals = numbers
        if item < 1 or digits < 1 or len(prefix) + item + digits + 1 != 13:
            raise BarcodePatternError(f"{where}: prefix + item + value + check digit must make 13.")
        # A price cannot be finer than the currency's minor unit.
        most = WEIGHT_DECIMALS if kind == "weight" else places
        if not 0 <= decimals <= most:
            raise BarcodePatternError(f"{where}: decimals must be 0 to {most}.")
