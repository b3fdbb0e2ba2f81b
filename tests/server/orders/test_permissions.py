"""Order ingest and permissions (docs/permissions.md): every restricted change of an order
references an approval whose approver's role allowed it, as the permissions stood; an
order without one is stored all the same and flagged `unauthorised_change`. Voided lines
are kept, marked, and count for nothing."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from kassa.server.orders.models import AbandonedOrder, Order, OrderApproval, OrderLine
from kassa.server.staff.models import Cashier, Role
from kassa.server.staff.permissions import Decision, decide
from kassa.server.staff.services import cashier_create, role_permissions_set

from ..conftest import Device, OrderBuilder, Shop
from .conftest import Journal

CASES = json.loads(
    (Path(__file__).parents[2] / "shared" / "permission_cases.json").read_text(encoding="utf-8")
)


def _role(code: str) -> dict[str, Any]:
    role = Role.objects.get(code=code)
    return {"code": code, "revision": role.revision}


def _approval(
    order: dict[str, Any], action: str, approver: Cashier, line: str | None = None, **role: Any
) -> dict[str, Any]:
    subject: dict[str, Any] = {"kind": "line" if line else "order", "order": order["uuid"]}
    if line:
        subject["line"] = line
    return {
        "id": str(uuid.uuid4()),
        "action": action,
        "subject": subject,
        "asked_by": order["cashier_id"],
        "approved_by": approver.pk,
        "approver_role": role or _role(approver.role.code),
        "reason": None,
        "note": "",
        "before": None,
        "after": None,
    }


def _line(orders: OrderBuilder, shop: Shop, line_id: str, **kw: Any) -> dict[str, Any]:
    line = orders.line(shop.cola, **kw)
    line.update(line_id=line_id, list_price=str(shop.cola.price), voided=False)
    return line


def _sync(device: Device, order: dict[str, Any]) -> dict[str, Any]:
    (result,) = device.post("orders/sync", {"orders": [order]}).json()["results"]
    assert result["status"] == "accepted"
    return dict(result)


def test_a_price_override_without_an_approval_is_stored_and_flagged(
    device: Device, orders: OrderBuilder, shop: Shop
) -> None:
    # given a cashier's order with a price below the list price and no approval
    order = orders.order([_line(orders, shop, "1", unit_price="0.50")])
    order["cashier_role"] = _role("cashier")
    # when it is synced
    result = _sync(device, order)
    # then it is stored, never refused, and flagged for the back office
    assert result["review"]["code"] == "unauthorised_change"
    assert result["review"]["message"] == "line 1: PRICE_OVERRIDE has no approval."
    stored = Order.objects.get()
    assert stored.review_code == "unauthorised_change"
    assert stored.total_gross == Decimal("0.50")
    assert stored.lines.get().list_price == shop.cola.price


def test_a_price_override_approved_by_a_manager_is_clean_and_the_approval_kept(
    device: Device, orders: OrderBuilder, shop: Shop
) -> None:
    order = orders.order([_line(orders, shop, "1", unit_price="0.50")])
    order["cashier_role"] = _role("cashier")
    approval = _approval(order, "PRICE_OVERRIDE", shop.maria, line="1")
    approval.update(before="0.99", after="0.50", reason="DAMAGED")
    order["approvals"] = [approval]
    assert "review" not in _sync(device, order)
    kept = OrderApproval.objects.get()
    assert (str(kept.uuid), kept.action, kept.approved_by_id, kept.approver_role) == (
        approval["id"],
        "PRICE_OVERRIDE",
        shop.maria.pk,
        "manager",
    )
    assert (kept.before, kept.after, kept.reason) == ("0.99", "0.50", "DAMAGED")


def test_voided_lines_are_kept_marked_and_count_for_nothing(
    device: Device, orders: OrderBuilder, shop: Shop
) -> None:
    # given an order of one cola, with a second line voided with a manager's approval
    order = orders.order([_line(orders, shop, "1")])
    voided = _line(orders, shop, "2", quantity="3")
    voided["voided"] = True
    order["lines"].append(voided)
    order["cashier_role"] = _role("cashier")
    order["approvals"] = [_approval(order, "LINE_VOID", shop.maria, line="2")]
    # when it is synced, it is stored clean, the voided line kept and marked
    assert "review" not in _sync(device, order)
    lines = list(OrderLine.objects.order_by("position").values_list("voided", "quantity", "gross"))
    assert lines == [
        (False, Decimal("1.000"), Decimal("0.99")),
        (True, Decimal("3.000"), Decimal("2.97")),
    ]
    assert Order.objects.get().total_gross == Decimal("0.99")


def test_one_approval_for_two_changes_covers_one(
    device: Device, orders: OrderBuilder, shop: Shop
) -> None:
    order = orders.order([_line(orders, shop, "1")])
    for line_id in ("2", "3"):
        voided = _line(orders, shop, line_id)
        voided["voided"] = True
        order["lines"].append(voided)
    order["cashier_role"] = _role("cashier")
    approval = _approval(order, "LINE_VOID", shop.maria, line="2")
    order["approvals"] = [approval, {**approval, "subject": {**approval["subject"], "line": "3"}}]
    # the same approval named again for a second line is not a second approval
    result = _sync(device, order)
    assert result["review"]["code"] == "unauthorised_change"
    assert result["review"]["message"] == "line 3: LINE_VOID has no approval."


def test_an_approval_is_judged_by_the_permissions_as_they_stood(
    device: Device, orders: OrderBuilder, shop: Shop
) -> None:
    # given a supervisor who approved a 25 % discount under revision 1 of their role
    sam = cashier_create(name="Sam", pin="5555", role="supervisor")
    line = _line(orders, shop, "1", discount="25")
    first = orders.order([line])
    first["cashier_role"] = _role("cashier")
    first["approvals"] = [_approval(first, "LINE_DISCOUNT", sam, line="1")]
    # when the supervisor role is then cut to 20 % (revision 2)
    supervisor = Role.objects.get(code="supervisor")
    rules = {a: (r["mode"], r["limit"]) for a, r in supervisor.rules().items()}
    role_permissions_set(role=supervisor, rules={**rules, "LINE_DISCOUNT": ("allow", "20")})
    # then the approval given under revision 1 stands
    assert "review" not in _sync(device, first)
    # and one that cites revision 2 does not
    second = orders.order([_line(orders, shop, "1", discount="25")])
    second["cashier_role"] = _role("cashier")
    second["approvals"] = [
        _approval(second, "LINE_DISCOUNT", sam, line="1", code="supervisor", revision=2)
    ]
    result = _sync(device, second)
    assert result["review"]["message"] == (
        "line 1: LINE_DISCOUNT 25: the approver's role supervisor (revision 2) does not allow it."
    )
    # and a revision the server never recorded is flagged too
    third = orders.order([_line(orders, shop, "1", discount="25")])
    third["cashier_role"] = _role("cashier")
    third["approvals"] = [
        _approval(third, "LINE_DISCOUNT", sam, line="1", code="supervisor", revision=9)
    ]
    assert "is not one the server recorded" in _sync(device, third)["review"]["message"]


def test_a_change_made_alone_is_judged_by_the_role_of_who_made_it(
    device: Device, orders: OrderBuilder, shop: Shop
) -> None:
    # given a line a manager voided alone, in an order a cashier then finished
    order = orders.order([_line(orders, shop, "1")])
    voided = _line(orders, shop, "2")
    voided["voided"] = True
    order["lines"].append(voided)
    order["cashier_role"] = _role("cashier")
    alone = _approval(order, "LINE_VOID", shop.maria, line="2")
    alone["asked_by"] = shop.maria.pk
    order["approvals"] = [alone]
    # then the manager's role allowed it
    assert "review" not in _sync(device, order)
    # but the cashier's own record of a void their role does not allow alone is flagged
    second = orders.order([_line(orders, shop, "1")])
    second["lines"].append({**voided})
    second["cashier_role"] = _role("cashier")
    second["approvals"] = [_approval(second, "LINE_VOID", shop.alice, line="2")]
    assert _sync(device, second)["review"]["message"] == (
        "line 2: LINE_VOID: the approver's role cashier (revision 1) does not allow it."
    )


# The order-borne actions of the shared matrix, each through ingest with no approval: the
# order is clean exactly when the role allows it alone.
LINE_CASES = [
    c
    for c in CASES["cases"]
    if c["action"] in ("LINE_DISCOUNT", "PRICE_OVERRIDE", "LINE_VOID", "REFUND")
    and (c["value"] is None) == (c["action"] in ("PRICE_OVERRIDE", "LINE_VOID"))
    and (c["value"] is None or Decimal(c["value"]) > 0)
    and (c["action"] != "LINE_DISCOUNT" or Decimal(c["value"]) < 100)
]


@pytest.mark.parametrize(
    "case", LINE_CASES, ids=lambda c: f"{c['role']}-{c['action']}-{c['value']}"
)
def test_the_matrix_on_ingest(
    case: dict[str, Any], device: Device, orders: OrderBuilder, shop: Shop
) -> None:
    # given a cashier of the case's role
    role, _ = Role.objects.get_or_create(code=case["role"], defaults={"name": case["role"]})
    if case["role"] not in ("cashier", "supervisor", "manager"):
        role_permissions_set(
            role=role,
            rules={a: (r["mode"], r["limit"]) for a, r in CASES["roles"][case["role"]].items()},
        )
        role.refresh_from_db()
    person = cashier_create(name="Pat", pin="4321", role=role)
    # and an order that makes the case's change
    action, value = case["action"], case["value"]
    if action == "LINE_DISCOUNT":
        lines = [_line(orders, shop, "1", discount=value)]
    elif action == "PRICE_OVERRIDE":
        lines = [_line(orders, shop, "1", unit_price="0.10")]
    elif action == "REFUND":
        # a refund of `value`: a negative line at that price
        lines = [_line(orders, shop, "1", quantity="-1", unit_price=value)]
    else:
        lines = [_line(orders, shop, "1")]
    order = orders.order(lines, cashier_id=person.pk)
    if action == "LINE_VOID":
        voided = _line(orders, shop, "2")
        voided["voided"] = True
        order["lines"].append(voided)
    order["cashier_role"] = {"code": role.code, "revision": role.revision}
    # when it is synced without an approval
    result = _sync(device, order)
    # then it is flagged exactly when the role does not allow it alone
    expected = decide(CASES["roles"][case["role"]], action, value)
    assert expected == case["expect"]
    flagged = result.get("review", {}).get("code") == "unauthorised_change"
    assert flagged is (expected != Decision.ALLOWED), result


def test_abandoned_orders_are_kept_from_the_journal_and_flagged_without_an_approval(
    device: Device, shop: Shop
) -> None:
    journal = Journal()
    journal.register(device)
    alice = {"id": shop.alice.pk, "name": "Alice"}
    maria = {"id": shop.maria.pk, "name": "Maria"}
    first, second, third = (str(uuid.uuid4()) for _ in range(3))
    line = {
        "name": "Cola",
        "ref": "",
        "qty": "1",
        "unit": "pc",
        "unit_price": "0.99",
        "discount": "0",
        "tax_rate": "21",
        "net": "0.82",
        "tax": "0.17",
        "amount": "0.99",
    }

    def abandoned(order: str, cashier: dict[str, Any]) -> dict[str, Any]:
        payload = {"order": order, "lines": [line], "total": "0.99"}
        return journal.sign(journal.body("ORDER_ABANDONED", payload, cashier=cashier))

    override = {
        "approval": str(uuid.uuid4()),
        "action": "ORDER_ABANDON",
        "subject": {"kind": "order", "order": second},
        "asked_by": alice,
        "approved_by": maria,
        "approver_role": _role("manager"),
        "reason": "LEFT",
        "note": "",
        "before": "0.99",
        "after": None,
    }
    entries = [
        journal.init(),
        # a cashier abandons an order alone: her role does not allow it
        abandoned(first, alice),
        # with a manager's approval (its OVERRIDE first)
        journal.sign(journal.body("OVERRIDE", override, cashier=alice)),
        abandoned(second, alice),
        # a manager alone
        abandoned(third, maria),
    ]
    response = device.post("orders/sync", {"orders": [], "journal": entries})
    assert response.json()["journal"]["status"] == "ok"
    kept = {
        str(a.uuid): (a.total, a.cashier_name, a.approved_by_name, a.review_code)
        for a in AbandonedOrder.objects.all()
    }
    assert kept == {
        first: ("0.99", "Alice", "", "unauthorised_change"),
        second: ("0.99", "Alice", "Maria", ""),
        third: ("0.99", "Maria", "", ""),
    }
    assert AbandonedOrder.objects.get(uuid=first).lines == [line]


def test_a_returned_line_is_judged_as_a_refund_not_by_its_discount(
    device: Device, orders: OrderBuilder, shop: Shop
) -> None:
    # given goods back at the original's 25 % discount, the refund approved by a manager
    order = orders.order([_line(orders, shop, "1", quantity="-2", discount="25")])
    order["cashier_role"] = _role("cashier")
    order["approvals"] = [_approval(order, "REFUND", shop.maria)]
    # then only the refund needed an approval, and it has one
    assert "review" not in _sync(device, order)
    # and without it, the refund is what is flagged
    second = orders.order([_line(orders, shop, "1", quantity="-2", discount="25")])
    second["cashier_role"] = _role("cashier")
    assert _sync(device, second)["review"]["message"] == "the order: REFUND 1.49 has no approval."
