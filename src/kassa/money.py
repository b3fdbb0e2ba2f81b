"""Money arithmetic: the one rounding helper and the line pricing algorithm.

Pure Python, no Django: the server, the proxy and the tests share it. The terminal's
`domain/money.js` implements the same algorithm in the same scaled integers
(line_price_scaled); both are held to `tests/shared/money_cases.json`. The policy is
written down in `docs/money.md`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

ZERO = Decimal(0)
QUANTITY_PLACES = 3
DISCOUNT_PLACES = 2
RATE_PLACES = 4


class MoneyError(ValueError):
    """A value that cannot be money: not a number, too many decimals, out of range."""


_QUANTUM = {places: Decimal(1).scaleb(-places) for places in range(7)}


def money_round(value: Decimal, places: int = 2) -> Decimal:
    """Round half away from zero to `places` decimals: the only rounding Kassa does."""
    quantum = _QUANTUM.get(places) or Decimal(1).scaleb(-places)
    return value.quantize(quantum, rounding=ROUND_HALF_UP)


def to_decimal(value: str | int | Decimal, *, places: int, field: str = "value") -> Decimal:
    """Parse a decimal string; reject floats, NaN, infinity and excess decimals."""
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, str | int) and not isinstance(value, bool):
        try:
            number = Decimal(value)
        except (InvalidOperation, ValueError):
            raise MoneyError(f"{field}: {value!r} is not a decimal number") from None
    else:
        raise MoneyError(f"{field}: must be a decimal string, not {type(value).__name__}")
    if not number.is_finite():
        raise MoneyError(f"{field}: {value!r} is not a finite number")
    try:
        rounded = money_round(number, places)
    except InvalidOperation:
        raise MoneyError(f"{field}: {value!r} is out of range") from None
    if rounded != number:
        raise MoneyError(f"{field}: {value!r} has more than {places} decimals")
    return rounded


@dataclass(frozen=True, slots=True)
class TaxedAmount:
    net: Decimal
    tax: Decimal
    gross: Decimal

    def __add__(self, other: TaxedAmount) -> TaxedAmount:
        return TaxedAmount(self.net + other.net, self.tax + other.tax, self.gross + other.gross)


# Scaled integers, as the terminal counts: 100 % is PERCENT_DISCOUNT hundredths of a
# percent for discounts and PERCENT_RATE ten-thousandths of a percent for tax rates.
QUANTITY_SCALE = 10**QUANTITY_PLACES
PERCENT_DISCOUNT = 100 * 10**DISCOUNT_PLACES
PERCENT_RATE = 100 * 10**RATE_PLACES
# Far beyond any till's figures, small enough that no product of them grows unwieldy.
_MAX_DIGITS = 18

DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
"""The wire's decimal strings: "-12.50", "3", "0.455"; no exponent, sign or space else."""
_DECIMAL = re.compile(r"(-?[0-9]+)(?:\.([0-9]+))?\Z")


def round_div(numerator: int, denominator: int) -> int:
    """numerator / denominator (> 0), rounded half away from zero: money_round in integers."""
    quotient = (abs(numerator) * 2 + denominator) // (2 * denominator)
    return quotient if numerator >= 0 else -quotient


def to_scaled(value: str | Decimal, places: int, field: str = "value") -> int:
    """An integer count of 10^-places: "12.50" at 2 places is 1250, "1.5" at 3 is 1500.

    Takes a decimal string of the wire's grammar (DECIMAL_PATTERN) or a Decimal. Decimals
    beyond `places` are accepted only when they are zeros, as in to_decimal.
    """
    if isinstance(value, str):
        match = _DECIMAL.match(value)
        if match is None:
            raise MoneyError(f"{field}: {value!r} is not a decimal number")
        whole, fraction = match.groups("")
        if len(fraction) > places:
            if fraction[places:].strip("0"):
                raise MoneyError(f"{field}: {value!r} has more than {places} decimals")
            fraction = fraction[:places]
        digits = whole + fraction.ljust(places, "0")
        if len(digits.lstrip("-0")) > _MAX_DIGITS:
            raise MoneyError(f"{field}: {value!r} is out of range")
        return int(digits)
    if isinstance(value, Decimal) and value.is_finite() and value.adjusted() < _MAX_DIGITS:
        scaled = value.scaleb(places)
        if scaled != scaled.to_integral_value():
            raise MoneyError(f"{field}: {value} has more than {places} decimals")
        return int(scaled)
    raise MoneyError(f"{field}: {value!r} is not a decimal number in range")


def from_scaled(value: int, places: int) -> Decimal:
    """The Decimal of an integer count of 10^-places: from_scaled(1250, 2) == Decimal("12.50")."""
    return Decimal(value).scaleb(-places)


def line_price_scaled(
    *, quantity: int, unit_price: int, discount: int, rate: int, price_includes_tax: bool
) -> tuple[int, int, int]:
    """Net, tax and gross of a line, all in minor units; net + tax == gross always holds.

    quantity in thousandths, unit_price in minor units, discount in hundredths of a
    percent, rate in ten-thousandths of a percent. Two roundings, nowhere else:
    the line amount = quantity × unit price less the discount; then its tax. A price
    that includes tax is the gross: tax = gross × rate / (100 + rate). A price that
    excludes tax is the net: tax = net × rate / 100.
    """
    amount = round_div(
        quantity * unit_price * (PERCENT_DISCOUNT - discount), QUANTITY_SCALE * PERCENT_DISCOUNT
    )
    if price_includes_tax:
        tax = round_div(amount * rate, PERCENT_RATE + rate)
        return amount - tax, tax, amount
    tax = round_div(amount * rate, PERCENT_RATE)
    return amount, tax, amount + tax


def line_price(
    *,
    quantity: Decimal,
    unit_price: Decimal,
    discount: Decimal,
    rate: Decimal,
    price_includes_tax: bool,
    places: int = 2,
) -> TaxedAmount:
    """line_price_scaled for Decimals; raises MoneyError for excess decimals."""
    net, tax, gross = line_price_scaled(
        quantity=to_scaled(quantity, QUANTITY_PLACES, "quantity"),
        unit_price=to_scaled(unit_price, places, "unit_price"),
        discount=to_scaled(discount, DISCOUNT_PLACES, "discount"),
        rate=to_scaled(rate, RATE_PLACES, "rate"),
        price_includes_tax=price_includes_tax,
    )
    return TaxedAmount(
        from_scaled(net, places), from_scaled(tax, places), from_scaled(gross, places)
    )


def total(amounts: Iterable[TaxedAmount]) -> TaxedAmount:
    result = TaxedAmount(ZERO, ZERO, ZERO)
    for amount in amounts:
        result = result + amount
    return result
