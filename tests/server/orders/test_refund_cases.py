"""tests/shared/refund_cases.json against the server's refund rule (orders/refund_rule.py);
tests/terminal/refund.test.mjs holds the terminal's domain/refund.js to the same cases."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from kassa.money import line_price_scaled, to_scaled
from kassa.server.orders.refund_rule import NOTHING, Figures, refund_amounts, refundable

SHARED = json.loads(
    (Path(__file__).resolve().parents[2] / "shared" / "refund_cases.json").read_text()
)


def sold(line: dict[str, Any], places: int) -> Figures:
    """The original line's figures, which must be what linePrice gives."""
    net, tax, gross = line_price_scaled(
        quantity=to_scaled(line["quantity"], 3),
        unit_price=to_scaled(line["unit_price"], places),
        discount=to_scaled(line["discount"], 2),
        rate=to_scaled(line["tax_rate"], 4),
        price_includes_tax=line["price_includes_tax"],
    )
    assert (net, tax, gross) == tuple(to_scaled(line[k], places) for k in ("net", "tax", "gross"))
    return Figures(to_scaled(line["quantity"], 3), net, tax, gross)


def add(a: Figures, b: Figures) -> Figures:
    return Figures(*(x + y for x, y in zip(a, b, strict=True)))


@pytest.mark.parametrize("case", SHARED["cases"], ids=lambda c: c["name"])
def test_steps_and_the_full_refund_negates_the_original(case: dict[str, Any]) -> None:
    places = case["currency_places"]
    originals = [sold(line, places) for line in case["original"]]
    refunded = [NOTHING] * len(originals)
    for step in case["refunds"]:
        totals = [0, 0, 0]
        for line in step["lines"]:
            i = line["line"]
            got = refund_amounts(
                original=originals[i],
                refunded=refunded[i],
                quantity=to_scaled(line["quantity"], 3),
            )
            expected = tuple(-to_scaled(line[k], places) for k in ("net", "tax", "gross"))
            assert (got.net, got.tax, got.gross) == expected
            assert got.net + got.tax == got.gross
            refunded[i] = add(refunded[i], got)
            totals = [t + v for t, v in zip(totals, (got.net, got.tax, got.gross), strict=True)]
        assert totals == [-to_scaled(step["totals"][k], places) for k in ("net", "tax", "gross")]
    # every case refunds everything: per line, and so per tax rate, to the cent
    assert refunded == originals
    by_rate: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for line, figures in zip(case["original"], refunded, strict=True):
        for k, v in enumerate((figures.net, figures.tax, figures.gross)):
            by_rate[line["tax_rate"]][k] += v
    for rate, sums in by_rate.items():
        expected_sums = [0, 0, 0]
        for line in case["original"]:
            if line["tax_rate"] == rate:
                for k, name in enumerate(("net", "tax", "gross")):
                    expected_sums[k] += to_scaled(line[name], places)
        assert sums == expected_sums


@pytest.mark.parametrize("case", SHARED["exchanges"], ids=lambda c: c["name"])
def test_exchange_totals(case: dict[str, Any]) -> None:
    places = case["currency_places"]
    originals = [sold(line, places) for line in case["original"]]
    totals = [0, 0, 0]
    for line in case["returned"]:
        got = refund_amounts(
            original=originals[line["line"]],
            refunded=NOTHING,
            quantity=to_scaled(line["quantity"], 3),
        )
        assert (-got.net, -got.tax, -got.gross) == tuple(
            to_scaled(line[k], places) for k in ("net", "tax", "gross")
        )
        totals = [t - v for t, v in zip(totals, (got.net, got.tax, got.gross), strict=True)]
    for line in case["new_lines"]:
        new = sold(line, places)
        totals = [t + v for t, v in zip(totals, (new.net, new.tax, new.gross), strict=True)]
    assert totals == [to_scaled(case["totals"][k], places) for k in ("net", "tax", "gross")]


@pytest.mark.parametrize("case", SHARED["over_refunds"], ids=lambda c: c["name"])
def test_over_refund_is_refused_by_the_rule(case: dict[str, Any]) -> None:
    places = case["currency_places"]
    originals = [sold(line, places) for line in case["original"]]
    refunded = [NOTHING] * len(originals)
    for line in case["refunded"]:
        i = line["line"]
        refunded[i] = add(
            refunded[i],
            refund_amounts(
                original=originals[i],
                refunded=refunded[i],
                quantity=to_scaled(line["quantity"], 3),
            ),
        )
    asked = case["asked"]
    i = asked["line"]
    assert refundable(original=originals[i], refunded=refunded[i]) == to_scaled(
        case["refundable"], 3
    )
    with pytest.raises(ValueError, match="more than"):
        refund_amounts(
            original=originals[i],
            refunded=refunded[i],
            quantity=to_scaled(asked["quantity"], 3),
        )
