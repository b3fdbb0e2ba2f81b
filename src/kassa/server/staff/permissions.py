"""Who may do what: the pure rule a role's permissions give for one action
(docs/permissions.md). The terminal's `domain/permissions.js` is the same rule; both run
`tests/shared/permission_cases.json`.

A role maps each action code to a rule `{"mode": "allow" | "approve" | "deny", "limit":
decimal string or null}`:

- `allow` with no limit: the person may do it alone;
- `allow` with a limit: alone up to the limit (a percent for discounts, an amount in the
  till's currency otherwise), above it only with an approval; a limited action asked
  without a value needs an approval;
- `approve`: only with the approval of a person whose role allows it;
- `deny`, or an action the role does not name: never, not even with an approval.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any


class Action(StrEnum):
    PRICE_OVERRIDE = "PRICE_OVERRIDE"
    LINE_DISCOUNT = "LINE_DISCOUNT"
    ORDER_DISCOUNT = "ORDER_DISCOUNT"
    LINE_VOID = "LINE_VOID"
    ORDER_ABANDON = "ORDER_ABANDON"
    REFUND = "REFUND"
    BLIND_RETURN = "BLIND_RETURN"
    NO_SALE = "NO_SALE"
    CASH_IN = "CASH_IN"
    CASH_OUT = "CASH_OUT"
    CASH_DROP = "CASH_DROP"
    REPRINT = "REPRINT"
    X_REPORT = "X_REPORT"
    CLOSE_SESSION = "CLOSE_SESSION"
    APPROVE_VARIANCE = "APPROVE_VARIANCE"
    OPEN_PRICE_ITEM = "OPEN_PRICE_ITEM"


class Mode(StrEnum):
    ALLOW = "allow"
    APPROVE = "approve"
    DENY = "deny"


class Decision(StrEnum):
    ALLOWED = "allowed"
    NEEDS_APPROVAL = "needs_approval"
    DENIED = "denied"


# The unit of each limited action's limit and value.
PERCENT_ACTIONS = frozenset({Action.LINE_DISCOUNT, Action.ORDER_DISCOUNT})
AMOUNT_ACTIONS = frozenset({Action.REFUND, Action.APPROVE_VARIANCE})
LIMITED_ACTIONS = PERCENT_ACTIONS | AMOUNT_ACTIONS
# A reason code is required for these (a back-office list, staff.Reason).
REASON_REQUIRED = frozenset({Action.NO_SALE, Action.CASH_OUT})

Rules = Mapping[str, Mapping[str, Any]]

_A, _P = Mode.ALLOW.value, Mode.APPROVE.value
# The roles Kassa ships, as migration staff 0004 wrote them (it keeps its own copy, as a
# migration must; tests check both against tests/shared/permission_cases.json).
DEFAULT_ROLES: dict[str, tuple[str, dict[str, tuple[str, str | None]]]] = {
    "cashier": (
        "Cashier",
        {
            **{a.value: (_P, None) for a in Action},
            "LINE_DISCOUNT": (_A, "10"),
            "ORDER_DISCOUNT": (_A, "10"),
            **{a: (_A, None) for a in ("CASH_IN", "CASH_DROP", "REPRINT", "X_REPORT")},
            "CLOSE_SESSION": (_A, None),
        },
    ),
    "supervisor": (
        "Supervisor",
        {
            **{a.value: (_A, None) for a in Action},
            "LINE_DISCOUNT": (_A, "30"),
            "ORDER_DISCOUNT": (_A, "30"),
            "REFUND": (_A, "100"),
            "BLIND_RETURN": (_P, None),
            "APPROVE_VARIANCE": (_A, "20"),
        },
    ),
    "manager": ("Manager", {a.value: (_A, None) for a in Action}),
}


def _decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def decide(rules: Rules, action: str, value: Any = None) -> Decision:
    """What `rules` (a role's permissions) say about `action`, for `value` (a decimal
    string or Decimal: the discount in percent or the amount; None when it has none)."""
    rule = rules.get(action)
    if rule is None:
        return Decision.DENIED
    mode = rule.get("mode")
    if mode == Mode.APPROVE:
        return Decision.NEEDS_APPROVAL
    if mode != Mode.ALLOW:
        return Decision.DENIED
    limit = _decimal(rule.get("limit"))
    if limit is None:
        return Decision.ALLOWED
    amount = _decimal(value)
    if amount is None or abs(amount) > limit:
        return Decision.NEEDS_APPROVAL
    return Decision.ALLOWED


def may_approve(rules: Rules, action: str, value: Any = None) -> bool:
    """Whether a person with these rules may approve `action` for someone else: only if
    they may do it alone."""
    return decide(rules, action, value) == Decision.ALLOWED
