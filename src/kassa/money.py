"""Money arithmetic: the one rounding helper and the line pricing algorithm.

Pure Python, no Django: the server, the proxy and the tests share it. The terminal's
`domain/money.js` implements the same algorithm in integer minor units; both are held
to `tests/shared/money_cases.json`. The policy is written down in `docs/money.md`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

ZERO = Decimal(0)
HUNDRED = Decimal(100)
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


def line_amount(
    *, quantity: Decimal, unit_price: Decimal, discount: Decimal, places: int = 2
) -> Decimal:
    """quantity × unit price less the discount percentage, rounded once."""
    return money_round(quantity * unit_price * (HUNDRED - discount) / HUNDRED, places)


def tax_split(
    amount: Decimal, *, rate: Decimal, price_includes_tax: bool, places: int = 2
) -> TaxedAmount:
    """Split a line amount into net, tax and gross; net + tax == gross always holds.

    A price that includes tax is the gross: tax = gross × rate / (100 + rate).
    A price that excludes tax is the net: tax = net × rate / 100.
    """
    if price_includes_tax:
        tax = money_round(amount * rate / (HUNDRED + rate), places)
        return TaxedAmount(net=amount - tax, tax=tax, gross=amount)
    tax = money_round(amount * rate / HUNDRED, places)
    return TaxedAmount(net=amount, tax=tax, gross=amount + tax)


def line_price(
    *,
    quantity: Decimal,
    unit_price: Decimal,
    discount: Decimal,
    rate: Decimal,
    price_includes_tax: bool,
    places: int = 2,
) -> TaxedAmount:
    amount = line_amount(quantity=quantity, unit_price=unit_price, discount=discount, places=places)
    return tax_split(amount, rate=rate, price_includes_tax=price_includes_tax, places=places)


def total(amounts: Iterable[TaxedAmount]) -> TaxedAmount:
    result = TaxedAmount(ZERO, ZERO, ZERO)
    for amount in amounts:
        result = result + amount
    return result
