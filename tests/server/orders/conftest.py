"""Helpers for the order tests: a stored order read back in the shape the till sent."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from kassa.server.orders.models import Order, OrderLine, Payment
from kassa.server.orders.schemas import OrderIn

_LINE_FIGURES = ("quantity", "unit_price", "discount", "tax_rate", "net", "tax", "gross")


def stored() -> tuple[int, int, int]:
    return Order.objects.count(), OrderLine.objects.count(), Payment.objects.count()


def _number(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def as_sent(order: dict[str, Any]) -> dict[str, Any]:
    """The order a till sent, defaults filled in and figures as Decimals, to compare
    with as_stored."""
    parsed = OrderIn.model_validate(order).model_dump()
    parsed["uuid"] = str(parsed["uuid"])
    parsed["session_uuid"] = str(parsed["session_uuid"])
    for line in parsed["lines"]:
        for name in _LINE_FIGURES:
            line[name] = _number(line[name])
    for payment in parsed["payments"]:
        payment["amount"] = _number(payment["amount"])
    parsed["change"] = _number(parsed["change"])
    parsed["totals"] = {k: _number(v) for k, v in parsed["totals"].items()}
    return parsed


def as_stored(order: Order) -> dict[str, Any]:
    """A stored order in the wire's shape: each reference the server knows through its
    foreign key, or kept raw in its unknown_ column; each figure as stored."""
    session = order.session.uuid if order.session else order.unknown_session_uuid
    return {
        "uuid": str(order.uuid),
        "receipt_number": order.receipt_number,
        "session_uuid": str(session),
        "cashier_id": order.cashier_id or order.unknown_cashier_id,
        "created_at": order.created_at,
        "note": order.note,
        "lines": [
            {
                "product_id": line.product_id or line.unknown_product_id,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "discount": line.discount,
                "tax_id": line.tax_id or line.unknown_tax_id,
                "tax_rate": line.tax_rate,
                "price_includes_tax": line.price_includes_tax,
                "net": line.net,
                "tax": line.tax_amount,
                "gross": line.gross,
                "price_overridden": line.price_overridden,
                "approved_by": line.approved_by_id or line.unknown_approver_id,
            }
            for line in order.lines.order_by("position")
        ],
        "payments": [
            {"method_id": p.method_id or p.unknown_method_id, "amount": p.amount}
            for p in order.payments.order_by("pk")
        ],
        "change": order.change,
        "totals": {"net": order.total_net, "tax": order.total_tax, "gross": order.total_gross},
    }
