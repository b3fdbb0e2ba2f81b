"""The amounts of a refund (docs/refunds.md): pure, no database.

A refund of q of an original line sold in quantity Q takes that line's own figures,
never today's catalog: its gross and tax are the original's × q/Q, each rounded with
the one money rule (kassa.money.round_div, half away from zero), and its net is gross −
tax, so net + tax == gross holds on every refund line. The one exception: the refund
that brings the refunded quantity to Q takes exactly what is left of each figure, so a
full refund, in any number of steps, negates the original to the cent, per line and so
per tax rate. The terminal's `domain/refund.js` applies the same rule; both are held to
`tests/shared/refund_cases.json`.

Everything is in scaled integers: quantities in thousandths, amounts in minor units,
all positive here (a refund line carries them negated).
"""

from __future__ import annotations

from typing import NamedTuple

from kassa.money import round_div


class Figures(NamedTuple):
    """A quantity (thousandths) and its net, tax and gross (minor units)."""

    quantity: int
    net: int
    tax: int
    gross: int


NOTHING = Figures(0, 0, 0, 0)


def refund_amounts(*, original: Figures, refunded: Figures, quantity: int) -> Figures:
    """What refunding `quantity` more of a line takes, positive, given the line as sold
    (`original`) and what was refunded of it before (`refunded`).

    `quantity` must be positive and at most what is left (refundable); the caller checks
    that first (the till refuses more; the server stores it and flags an over-refund).
    """
    if quantity <= 0:
        raise ValueError(f"a refunded quantity is positive, not {quantity}")
    if original.quantity <= 0:
        raise ValueError("only a line sold in a positive quantity can be refunded")
    left = original.quantity - refunded.quantity
    if quantity > left:
        raise ValueError(f"{quantity} is more than the {left} left to refund")
    if quantity == left:
        return Figures(
            quantity,
            original.net - refunded.net,
            original.tax - refunded.tax,
            original.gross - refunded.gross,
        )
    gross = round_div(original.gross * quantity, original.quantity)
    tax = round_div(original.tax * quantity, original.quantity)
    return Figures(quantity, gross - tax, tax, gross)


def refundable(*, original: Figures, refunded: Figures) -> int:
    """How much of the line can still be refunded (thousandths, never below 0)."""
    return max(0, original.quantity - refunded.quantity)
