"""Barcode normalisation shared by the catalog, the import and the API."""

from __future__ import annotations

import re

_INTERNAL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-_/]{0,31}$")


class BarcodeError(ValueError):
    pass


def gtin_check_digit(body: str) -> int:
    """Check digit of an EAN/UPC body (the digits before it): weights 3,1,3,… from the right."""
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
    if code.isascii() and code.isdigit() and len(code) in (8, 12, 13, 14):
        if gtin_check_digit(code[:-1]) != int(code[-1]):
            raise BarcodeError(f"barcode {code}: wrong check digit")
        return "0" + code if len(code) == 12 else code
    if not _INTERNAL.match(code):
        raise BarcodeError(f"barcode {code!r}: only letters, digits and . - _ / up to 32 long")
    return code
