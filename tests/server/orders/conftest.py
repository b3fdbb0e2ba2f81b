"""Helpers for the order tests: a stored order read back in the shape the till sent, and
a till's journal to send with its orders."""

from __future__ import annotations

import base64
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from kassa.server.catalog.models import Product
from kassa.server.orders.models import Order, OrderLine, Payment
from kassa.server.orders.schemas import OrderIn
from kassa.server.terminals.models import PaymentMethod
from tests.server.journal.conftest import Till

_LINE_FIGURES = (
    "quantity",
    "unit_price",
    "discount",
    "tax_rate",
    "net",
    "tax",
    "gross",
    "list_price",
)


def stored() -> tuple[int, int, int]:
    return Order.objects.count(), OrderLine.objects.count(), Payment.objects.count()


def _number(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def as_sent(order: dict[str, Any]) -> dict[str, Any]:
    """The order a till sent, defaults filled in and figures as Decimals, to compare
    with as_stored; a line without the name the till printed has the catalog's."""
    parsed = OrderIn.model_validate(order).model_dump()
    # Kept apart: the approvals in their own rows, the role judged by in the review.
    parsed.pop("cashier_role")
    parsed.pop("approvals")
    parsed["uuid"] = str(parsed["uuid"])
    parsed["session_uuid"] = str(parsed["session_uuid"])
    for line in parsed["lines"]:
        if line["name"] is None:
            product = Product.objects.filter(pk=line["product_id"]).first()
            line["name"] = product.name if product else ""
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
        "kind": order.kind,
        "original_uuid": order.original_uuid,
        "receipt_number": order.receipt_number,
        "session_uuid": str(session),
        "cashier_id": order.cashier_id or order.unknown_cashier_id,
        "created_at": order.created_at,
        "note": order.note,
        "lines": [
            {
                "product_id": line.product_id or line.unknown_product_id,
                "name": line.name,
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
                "original_line": line.original_line.position if line.original_line else None,
                "reason": line.reason,
                "line_id": line.line_ref or None,
                "list_price": line.list_price,
                "voided": line.voided,
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


class Journal(Till):
    """A till's journal as docs/journal.md writes it (the journal tests' `Till`), registered
    over HTTP, its SALEs written from the orders it syncs."""

    def register(self, device: Any) -> None:
        response = device.post("journal/key", {"public_key": base64.b64encode(self.spki).decode()})
        assert response.status_code == 200, response.content

    def init(self) -> dict[str, Any]:
        return self.entry(
            "JOURNAL_INIT", {"software": "test", "key": base64.b64encode(self.spki).decode()}
        )

    def sale(self, sold: dict[str, Any], **changes: Any) -> dict[str, Any]:
        """The SALE of an order (its wire form) as the till printed it; `changes`
        replace payload fields, to write one that does not match."""
        payload = sale_payload(sold)
        payload.update(changes)
        gross = Decimal(payload["totals"]["gross"])
        self.gt += gross
        self.gt_abs += abs(gross)
        payload["gt_after"] = f"{self.gt:.2f}"
        payload["gt_abs_after"] = f"{self.gt_abs:.2f}"
        return self.entry("SALE", payload)

    def refund(self, sold: dict[str, Any], original: dict[str, Any] | None) -> dict[str, Any]:
        """The REFUND of a refund order (docs/journal.md): a SALE's payload, its kind,
        original and approval, and each returned line's original line and reason."""
        payload = sale_payload(sold)
        for line, sent in zip(payload["lines"], sold["lines"], strict=True):
            if Decimal(sent["quantity"]) < 0:
                line["original_line"] = sent.get("original_line")
                line["reason"] = sent.get("reason", "")
        gross = Decimal(payload["totals"]["gross"])
        self.gt += gross
        self.gt_abs += abs(gross)
        payload.update(
            kind=sold.get("kind", "refund"),
            original=None
            if original is None
            else {
                "order": original["uuid"],
                "receipt_no": original["receipt_number"],
                "at": original["created_at"],
            },
            approval=None,
            gt_after=f"{self.gt:.2f}",
            gt_abs_after=f"{self.gt_abs:.2f}",
        )
        return self.entry("REFUND", payload)


def sale_payload(order: dict[str, Any]) -> dict[str, Any]:
    names = dict(Product.objects.values_list("pk", "name"))
    methods = dict(PaymentMethod.objects.values_list("pk", "name"))
    return {
        "order": order["uuid"],
        "receipt_no": order["receipt_number"],
        "session": order["session_uuid"],
        "lines": [
            {
                "name": line.get("name") or names.get(line["product_id"], ""),
                "ref": "",
                "qty": f"{Decimal(line['quantity']):.3f}",
                "unit": "pc",
                "unit_price": line["unit_price"],
                "discount": line.get("discount", "0"),
                "tax_rate": line["tax_rate"],
                "net": line["net"],
                "tax": line["tax"],
                "amount": line["gross"],
            }
            for line in order["lines"]
        ],
        "totals": dict(order["totals"]),
        "payments": [
            {"method": methods.get(p["method_id"], f"#{p['method_id']}"), "amount": p["amount"]}
            for p in order["payments"]
        ],
        "change": order["change"],
    }


@pytest.fixture(autouse=True)
def _server_journal_key_in_tmp(settings: Any, tmp_path: Path) -> None:
    # The server signs its own chain (an ANCHOR per accepted batch) with a key of the
    # test's own, in the test's own folder.
    settings.KASSA_JOURNAL_KEY_FILE = tmp_path / "journal_key.pem"
