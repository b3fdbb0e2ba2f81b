"""A SALE against its order, the comparison alone."""

from __future__ import annotations

from typing import Any

import pytest

from kassa.server.orders.sale_check import Sold, SoldLine, SoldPayment, sale_differences

SOLD = Sold(
    uuid="7d1c0b6e-0000-4000-8000-000000000001",
    receipt_number="POS1-1-000042",
    session="5a1c0b6e-0000-4000-8000-000000000001",
    lines=(SoldLine("Cola 330 ml", "2", "0.99", "0", "21", "1.64", "0.34", "1.98"),),
    totals=("1.64", "0.34", "1.98"),
    payments=(SoldPayment("Cash", "5.00"),),
    change="3.02",
)


def _payload(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "v": 1,
        "order": SOLD.uuid,
        "receipt_no": "POS1-1-000042",
        "session": SOLD.session,
        "lines": [
            {
                "name": "Cola 330 ml",
                "ref": "COLA",
                "qty": "2.000",
                "unit": "pc",
                "unit_price": "0.99",
                "discount": "0",
                "tax_rate": "21",
                "net": "1.64",
                "tax": "0.34",
                "amount": "1.98",
            }
        ],
        "totals": {"net": "1.64", "tax": "0.34", "gross": "1.98"},
        "payments": [{"method": "Cash", "amount": "5.00"}],
        "change": "3.02",
        "gt_after": "1.98",
        "gt_abs_after": "1.98",
    }
    payload.update(changes)
    return payload


def test_a_sale_as_printed_matches_its_order() -> None:
    assert sale_differences(_payload(), SOLD) == []


@pytest.mark.parametrize(
    ("changes", "found"),
    [
        ({"receipt_no": "POS1-1-000043"}, ["receipt number: the SALE says 'POS1-1-000043'"]),
        ({"session": "00000000-0000-4000-8000-000000000000"}, ["session: the SALE says"]),
        ({"lines": []}, ["lines: the SALE has 0, the order 1"]),
        ({"lines": "x"}, ["lines: the SALE has 'x', the order 1"]),
        ({"lines": [5]}, ["line 1: the SALE's line is not an object"]),
        ({"totals": {"net": "1.64", "tax": "0.34", "gross": "1.99"}}, ["totals.gross:"]),
        ({"totals": None}, ["totals.net:", "totals.tax:", "totals.gross:"]),
        ({"payments": [{"method": "Card", "amount": "5.00"}]}, ["payment 1 method:"]),
        ({"payments": [{"method": "Cash", "amount": "5"}], "change": "3.020"}, []),
        ({"payments": [{"method": "Cash", "amount": 5}]}, ["payment 1 amount:"]),
        ({"change": "1e2"}, ["change: the SALE says '1e2'"]),
        ({"change": "3.02\n"}, ["change: the SALE says '3.02\\n'"]),  # `$` before a \n
    ],
)
def test_each_difference_is_named(changes: dict[str, Any], found: list[str]) -> None:
    differences = sale_differences(_payload(**changes), SOLD)
    assert len(differences) == len(found)
    for difference, start in zip(differences, found, strict=True):
        assert difference.startswith(start)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("name", "Cola"),
        ("qty", "1.000"),
        ("unit_price", "1.00"),
        ("discount", "10"),
        ("tax_rate", "9"),
        ("net", "1.63"),
        ("tax", "0.35"),
        ("amount", "1.97"),
    ],
)
def test_every_figure_of_a_line_is_compared(key: str, value: str) -> None:
    line = {**_payload()["lines"][0], key: value}
    (difference,) = sale_differences(_payload(lines=[line]), SOLD)
    assert difference.startswith(f"line 1 {key}: the SALE says {value!r}, the order ")


def test_a_method_the_server_does_not_know_is_not_compared_by_name() -> None:
    sold = Sold(**{**SOLD.__dict__, "payments": (SoldPayment(None, "5.00"),)})
    assert sale_differences(_payload(payments=[{"method": "#9", "amount": "5.00"}]), sold) == []


def test_a_figure_the_order_could_not_store_differs() -> None:
    sold = Sold(**{**SOLD.__dict__, "change": None})
    assert sale_differences(_payload(), sold) == ["change: the SALE says '3.02', the order None"]
