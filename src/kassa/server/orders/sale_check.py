"""A SALE of a till's journal against its order: pure, no database.

The journal app knows no orders, so the order sync compares each SALE it gets accepted
into a chain with the order it names (docs/journal.md, "On the server"): the receipt
number, the session, every line (name, quantity, unit price, discount, tax rate, net,
tax, amount), the totals, the payments (method and amount) and the change. Figures are
compared as numbers ("2" is "2.000"), names and numbers as text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from kassa.money import DECIMAL_PATTERN

_DECIMAL = re.compile(DECIMAL_PATTERN)

# A line's figures: (name in the SALE's payload, name in Sold's line)
LINE_FIGURES = (
    ("qty", "quantity"),
    ("unit_price", "unit_price"),
    ("discount", "discount"),
    ("tax_rate", "tax_rate"),
    ("net", "net"),
    ("tax", "tax"),
    ("amount", "gross"),
)


@dataclass(frozen=True)
class SoldLine:
    name: str
    quantity: str | None
    unit_price: str | None
    discount: str | None
    tax_rate: str | None
    net: str | None
    tax: str | None
    gross: str | None


@dataclass(frozen=True)
class SoldPayment:
    method: str | None  # its name; None when the server does not know the method
    amount: str | None


@dataclass(frozen=True)
class Sold:
    """An order as the server holds it, in the terms of a SALE: decimal strings (or
    None where a figure could not be stored), names as text."""

    uuid: str
    receipt_number: str
    session: str
    lines: tuple[SoldLine, ...]
    totals: tuple[str | None, str | None, str | None]  # net, tax, gross
    payments: tuple[SoldPayment, ...]
    change: str | None


def _number(value: object) -> Decimal | None:
    if not isinstance(value, str) or not _DECIMAL.fullmatch(value):
        return None
    try:
        return Decimal(value)
    except InvalidOperation:  # pragma: no cover - the pattern rules it out
        return None


def _same_figure(sent: object, held: str | None) -> bool:
    if sent == held and held is not None:  # the usual case, before any parsing
        return _DECIMAL.fullmatch(held) is not None
    a, b = _number(sent), _number(held)
    return a is not None and b is not None and a == b


def sale_differences(payload: Mapping[str, Any], sold: Sold) -> list[str]:
    """What the SALE says that its order does not, one sentence each; [] if they agree."""
    found: list[str] = []

    def differ(where: str, sent: object, held: object) -> None:
        found.append(f"{where}: the SALE says {sent!r}, the order {held!r}")

    if payload.get("receipt_no") != sold.receipt_number:
        differ("receipt number", payload.get("receipt_no"), sold.receipt_number)
    if str(payload.get("session", "")).lower() != sold.session:
        differ("session", payload.get("session"), sold.session)
    lines = payload.get("lines")
    if not isinstance(lines, list) or len(lines) != len(sold.lines):
        count = len(lines) if isinstance(lines, list) else lines
        found.append(f"lines: the SALE has {count!r}, the order {len(sold.lines)}")
    else:
        for number, (line, held) in enumerate(zip(lines, sold.lines, strict=True), start=1):
            if not isinstance(line, Mapping):
                found.append(f"line {number}: the SALE's line is not an object")
                continue
            if line.get("name") != held.name:
                differ(f"line {number} name", line.get("name"), held.name)
            for key, attribute in LINE_FIGURES:
                if not _same_figure(line.get(key), getattr(held, attribute)):
                    differ(f"line {number} {key}", line.get(key), getattr(held, attribute))
    totals = payload.get("totals")
    totals = totals if isinstance(totals, Mapping) else {}
    for key, held_total in zip(("net", "tax", "gross"), sold.totals, strict=True):
        if not _same_figure(totals.get(key), held_total):
            differ(f"totals.{key}", totals.get(key), held_total)
    payments = payload.get("payments")
    if not isinstance(payments, list) or len(payments) != len(sold.payments):
        count = len(payments) if isinstance(payments, list) else payments
        found.append(f"payments: the SALE has {count!r}, the order {len(sold.payments)}")
    else:
        for number, (payment, held_payment) in enumerate(
            zip(payments, sold.payments, strict=True), start=1
        ):
            if not isinstance(payment, Mapping):
                found.append(f"payment {number}: the SALE's payment is not an object")
                continue
            # A method the server does not know has no name here to compare.
            method = payment.get("method")
            if held_payment.method is not None and method != held_payment.method:
                differ(f"payment {number} method", method, held_payment.method)
            if not _same_figure(payment.get("amount"), held_payment.amount):
                differ(f"payment {number} amount", payment.get("amount"), held_payment.amount)
    if not _same_figure(payload.get("change"), sold.change):
        differ("change", payload.get("change"), sold.change)
    return found
