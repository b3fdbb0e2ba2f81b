"""The roles Kassa ships, with the issue's defaults (docs/permissions.md), and every
cashier moved onto one: the old `role` field's manager → manager, cashier → cashier.

The defaults are written out here, not imported: a migration must do tomorrow what it did
today. tests/server/staff/test_roles.py checks them against tests/shared/permission_cases.json.
"""

from typing import Any

from django.db import migrations
from django.utils import timezone

A, P, D = "allow", "approve", "deny"
DEFAULT_ROLES: dict[str, tuple[str, dict[str, tuple[str, str | None]]]] = {
    "cashier": (
        "Cashier",
        {
            "PRICE_OVERRIDE": (P, None),
            "LINE_DISCOUNT": (A, "10"),
            "ORDER_DISCOUNT": (A, "10"),
            "LINE_VOID": (P, None),
            "ORDER_ABANDON": (P, None),
            "REFUND": (P, None),
            "BLIND_RETURN": (P, None),
            "NO_SALE": (P, None),
            "CASH_IN": (A, None),
            "CASH_OUT": (P, None),
            "CASH_DROP": (A, None),
            "REPRINT": (A, None),
            "X_REPORT": (A, None),
            "CLOSE_SESSION": (A, None),
            "APPROVE_VARIANCE": (P, None),
            "OPEN_PRICE_ITEM": (P, None),
        },
    ),
    "supervisor": (
        "Supervisor",
        {
            "PRICE_OVERRIDE": (A, None),
            "LINE_DISCOUNT": (A, "30"),
            "ORDER_DISCOUNT": (A, "30"),
            "LINE_VOID": (A, None),
            "ORDER_ABANDON": (A, None),
            "REFUND": (A, "100"),
            "BLIND_RETURN": (P, None),
            "NO_SALE": (A, None),
            "CASH_IN": (A, None),
            "CASH_OUT": (A, None),
            "CASH_DROP": (A, None),
            "REPRINT": (A, None),
            "X_REPORT": (A, None),
            "CLOSE_SESSION": (A, None),
            "APPROVE_VARIANCE": (A, "20"),
            "OPEN_PRICE_ITEM": (A, None),
        },
    ),
    "manager": (
        "Manager",
        {
            action: (A, None)
            for action in (
                "PRICE_OVERRIDE",
                "LINE_DISCOUNT",
                "ORDER_DISCOUNT",
                "LINE_VOID",
                "ORDER_ABANDON",
                "REFUND",
                "BLIND_RETURN",
                "NO_SALE",
                "CASH_IN",
                "CASH_OUT",
                "CASH_DROP",
                "REPRINT",
                "X_REPORT",
                "CLOSE_SESSION",
                "APPROVE_VARIANCE",
                "OPEN_PRICE_ITEM",
            )
        },
    ),
}


def seed(apps: Any, schema_editor: Any) -> None:
    Role = apps.get_model("staff", "Role")
    RolePermission = apps.get_model("staff", "RolePermission")
    RoleRevision = apps.get_model("staff", "RoleRevision")
    Cashier = apps.get_model("staff", "Cashier")
    roles = {}
    for code, (name, rules) in DEFAULT_ROLES.items():
        role, created = Role.objects.get_or_create(code=code, defaults={"name": name})
        roles[code] = role
        if not created:
            continue
        RolePermission.objects.bulk_create(
            RolePermission(role=role, action=action, mode=mode, limit=limit)
            for action, (mode, limit) in rules.items()
        )
        RoleRevision.objects.create(
            role=role,
            revision=1,
            rules={a: {"mode": m, "limit": lim} for a, (m, lim) in sorted(rules.items())},
            created_at=timezone.now(),
        )
        Role.objects.filter(pk=role.pk).update(revision=1)
    for old, code in (("manager", "manager"), ("cashier", "cashier")):
        Cashier.objects.filter(role=old).update(role_ref=roles[code])
    # Anything else the old field held (it allowed only those two) becomes a cashier.
    Cashier.objects.filter(role_ref__isnull=True).update(role_ref=roles["cashier"])


def unseed(apps: Any, schema_editor: Any) -> None:
    Cashier = apps.get_model("staff", "Cashier")
    for cashier in Cashier.objects.select_related("role_ref"):
        code = cashier.role_ref.code if cashier.role_ref else "cashier"
        cashier.role = "manager" if code == "manager" else "cashier"
        cashier.save(update_fields=["role"])


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0003_roles"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
