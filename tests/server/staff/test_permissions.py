"""Roles and permissions (docs/permissions.md): the full matrix of the shared cases
against the server's evaluator, the shipped defaults, the till's cashier list, revisions,
and the migration of the old role field."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from kassa.server.staff.models import Cashier, Role, RoleRevision
from kassa.server.staff.permissions import DEFAULT_ROLES, Action, decide, may_approve
from kassa.server.staff.services import cashier_create, role_permissions_set

from ..conftest import Device, Shop

CASES = json.loads(
    (Path(__file__).parents[2] / "shared" / "permission_cases.json").read_text(encoding="utf-8")
)
SHIPPED = ("cashier", "supervisor", "manager")


def _id(case: dict[str, Any]) -> str:
    return f"{case['role']}-{case['action']}-{case['value']}"


@pytest.mark.parametrize("case", CASES["cases"], ids=_id)
def test_the_matrix(case: dict[str, Any]) -> None:
    # given a role's rules, when an action is asked with a value
    rules = CASES["roles"][case["role"]]
    # then the decision is the worked one
    assert decide(rules, case["action"], case["value"]) == case["expect"]


def test_who_may_approve() -> None:
    for case in CASES["approvals"]:
        rules = CASES["roles"][case["approver"]]
        assert may_approve(rules, case["action"], case["value"]) is case["expect"], case


def test_the_matrix_covers_every_action_for_every_role() -> None:
    seen = {(c["role"], c["action"]) for c in CASES["cases"]}
    assert {(r, a.value) for r in CASES["roles"] for a in Action} <= seen


@pytest.mark.parametrize("source", ["migration", "services"])
def test_the_shipped_defaults_are_the_shared_ones(source: str) -> None:
    defaults = (
        importlib.import_module("kassa.server.staff.migrations.0004_default_roles").DEFAULT_ROLES
        if source == "migration"
        else DEFAULT_ROLES
    )
    assert set(defaults) == set(SHIPPED)
    for code in SHIPPED:
        _name, rules = defaults[code]
        assert {a: {"mode": m, "limit": lim} for a, (m, lim) in rules.items()} == CASES["roles"][
            code
        ]


@pytest.mark.django_db
def test_shipped_roles_are_in_the_database_with_a_first_revision() -> None:
    for code in SHIPPED:
        role = Role.objects.get(code=code)
        assert role.rules() == CASES["roles"][code]
        assert role.revision == 1
        assert RoleRevision.objects.get(role=role, revision=1).rules == CASES["roles"][code]


def test_the_till_gets_each_cashiers_permissions(device: Device, shop: Shop) -> None:
    cashiers = {c["name"]: c for c in device.get("cashiers").json()}
    alice, maria = cashiers["Alice"], cashiers["Maria"]
    assert (alice["role"], alice["role_name"], alice["role_revision"]) == ("cashier", "Cashier", 1)
    assert alice["permissions"]["LINE_DISCOUNT"] == {"mode": "allow", "limit": "10"}
    assert alice["permissions"]["LINE_VOID"] == {"mode": "approve", "limit": None}
    assert maria["role"] == "manager"
    assert {r["mode"] for r in maria["permissions"].values()} == {"allow"}
    assert len(maria["permissions"]) == len(Action)


@pytest.mark.django_db
def test_a_change_of_permissions_is_a_new_revision_and_the_old_one_stays() -> None:
    # given a shop's own role
    role = Role.objects.create(code="trainee", name="Trainee")
    first = role_permissions_set(role=role, rules={"LINE_VOID": ("deny", None)})
    assert first is not None and first.revision == 1
    # when the same rules are saved again, nothing is recorded
    assert role_permissions_set(role=role, rules={"LINE_VOID": ("deny", None)}) is None
    # when they change, a second revision is recorded and the first is kept as it was
    second = role_permissions_set(role=role, rules={"LINE_VOID": ("approve", None)})
    assert second is not None and second.revision == 2
    role.refresh_from_db()
    assert role.revision == 2
    assert RoleRevision.objects.get(role=role, revision=1).rules == {
        "LINE_VOID": {"mode": "deny", "limit": None}
    }
    with pytest.raises(Exception, match="cannot be changed"):
        first.save()
    # and a cashier of that role carries it
    carl = cashier_create(name="Carl", pin="4711", role="trainee")
    assert carl.role == role


@pytest.mark.django_db(transaction=True)
def test_the_old_role_field_migrates_to_roles() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([("staff", "0002_reason")])
    old = executor.loader.project_state([("staff", "0002_reason")]).apps
    OldCashier = old.get_model("staff", "Cashier")
    OldCashier.objects.create(name="Ann", role="cashier", pin_hash="x")
    OldCashier.objects.create(name="Max", role="manager", pin_hash="x")
    try:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
        roles = dict(Cashier.objects.values_list("name", "role__code"))
        assert roles == {"Ann": "cashier", "Max": "manager"}
    finally:
        Cashier.objects.all().delete()
