"""The worked pricing cases, shared with the terminal's JavaScript tests."""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from kassa.money import MoneyError, TaxedAmount, line_price, money_round, to_decimal, total

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
