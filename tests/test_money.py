"""The worked pricing cases, shared with the terminal's JavaScript tests."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from kassa.money import (
    MoneyError,
    TaxedAmount,
    from_scaled,
    line_price,
    money_round,
    round_div,
    to_decimal,
    to_scaled,
    total,
)

CASES = json.loads((Path(__file__).parent / "shared" / "money_cases.json").read_text())["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_worked_case(case: dict) -> None:
    places = case["currency_places"]
    priced = []
    for line in case["lines"]:
        amount = line_price(
            quantity=Decimal(line["quantity"]),
            unit_price=Decimal(line["unit_price"]),
            discount=Decimal(line["discount"]),
            rate=Decimal(line["tax_rate"]),
            price_includes_tax=line["price_includes_tax"],
            places=places,
        )
        assert (str(amount.net), str(amount.tax), str(amount.gross)) == (
            line["net"],
            line["tax"],
            line["gross"],
        )
        assert amount.net + amount.tax == amount.gross
        priced.append((Decimal(line["tax_rate"]), line["price_includes_tax"], amount))
    totals = total(a for _, _, a in priced)
    assert {k: str(getattr(totals, k)) for k in ("net", "tax", "gross")} == case["totals"]
    groups: dict[tuple[Decimal, bool], TaxedAmount] = defaultdict(
        lambda: TaxedAmount(Decimal(0), Decimal(0), Decimal(0))
    )
    for rate, included, amount in priced:
        groups[(rate, included)] = groups[(rate, included)] + amount
    breakdown = [
        {
            "rate": f"{rate.normalize():f}",
            "price_includes_tax": included,
            "net": str(a.net),
            "tax": str(a.tax),
            "gross": str(a.gross),
        }
        for (rate, included), a in sorted(groups.items())
    ]
    assert breakdown == case["taxes"]


def test_money_round_is_half_away_from_zero() -> None:
    assert money_round(Decimal("0.125")) == Decimal("0.13")
    assert money_round(Decimal("-0.125")) == Decimal("-0.13")
    assert money_round(Decimal("0.124999")) == Decimal("0.12")
    assert money_round(Decimal("2.5"), 0) == Decimal("3")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (1.5, "not float"),
        ("abc", "is not a decimal number"),
        ("NaN", "is not a finite number"),
        ("Infinity", "is not a finite number"),
        ("1.005", "more than 2 decimals"),
    ],
)
def test_to_decimal_rejects(value: object, message: str) -> None:
    with pytest.raises(MoneyError, match=message):
        to_decimal(value, places=2)  # type: ignore[arg-type]


def test_to_decimal_accepts_trailing_zeros() -> None:
    assert to_decimal("1.500", places=2) == Decimal("1.50")
    assert str(to_decimal("3", places=2)) == "3.00"


def test_round_div_is_half_away_from_zero() -> None:
    assert [round_div(n, 10) for n in (4, 5, 6, -4, -5, -6, 0)] == [0, 1, 1, 0, -1, -1, 0]
    assert round_div(125, 100) == 1 and round_div(-150, 100) == -2


@pytest.mark.parametrize(
    ("text", "places", "scaled"),
    [("12.50", 2, 1250), ("-0.5", 3, -500), ("1.0000", 3, 1000), ("7", 0, 7), ("-0", 2, 0)],
)
def test_to_scaled(text: str, places: int, scaled: int) -> None:
    assert to_scaled(text, places) == scaled
    assert to_scaled(Decimal(text), places) == scaled
    assert from_scaled(scaled, places) == Decimal(text)


@pytest.mark.parametrize(
    "value",
    [
        "1.005",
        "1e5",
        " 1",
        "",
        "-",
        ".5",
        "5.",
        "+1",
        "1_0",
        "１",
        "9" * 30,
        Decimal("NaN"),
        Decimal("1e999999999"),
        Decimal("0.001"),
        1.5,
    ],
)
def test_to_scaled_rejects(value: object) -> None:
    with pytest.raises(MoneyError):
        to_scaled(value, 2)  # type: ignore[arg-type]


def _line_price_in_decimal(
    quantity: Decimal, unit_price: Decimal, discount: Decimal, rate: Decimal, included: bool
) -> tuple[Decimal, Decimal, Decimal]:
    """The policy of docs/money.md written directly in Decimal: the oracle for the
    integers of line_price_scaled."""
    amount = money_round(quantity * unit_price * (100 - discount) / 100)
    if included:
        tax = money_round(amount * rate / (100 + rate))
        return amount - tax, tax, amount
    tax = money_round(amount * rate / 100)
    return amount, tax, amount + tax


def test_integer_pricing_agrees_with_decimal_pricing() -> None:
    rng = random.Random(7)
    for _ in range(20_000):
        quantity = Decimal(rng.choice([1, -1]) * rng.randrange(1, 100_000_000)).scaleb(-3)
        unit_price = Decimal(rng.randrange(0, 10_000_000)).scaleb(-2)
        discount = Decimal(rng.choice([0, rng.randrange(0, 10_001)])).scaleb(-2)
        rate = Decimal(rng.choice([0, 90_000, 210_000, rng.randrange(0, 1_000_001)])).scaleb(-4)
        included = rng.random() < 0.5
        amount = line_price(
            quantity=quantity,
            unit_price=unit_price,
            discount=discount,
            rate=rate,
            price_includes_tax=included,
        )
        expected = _line_price_in_decimal(quantity, unit_price, discount, rate, included)
        assert (amount.net, amount.tax, amount.gross) == expected, (
            quantity,
            unit_price,
            discount,
            rate,
            included,
        )
