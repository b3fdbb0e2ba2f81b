"""Cashier and role writes. PINs are hashed for the server, with a slow salted verifier
for offline login; each change of a role's permissions is a new RoleRevision."""

from __future__ import annotations

import base64
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction

from .errors import StaffError, StaffErrorCode
from .models import Cashier, Role, RoleCode, RolePermission, RoleRevision
from .permissions import DEFAULT_ROLES, Action, Mode

PIN_MIN_LENGTH = 4
PIN_MAX_LENGTH = 8


def pin_validate(pin: str) -> None:
    if not pin.isascii() or not pin.isdigit() or not PIN_MIN_LENGTH <= len(pin) <= PIN_MAX_LENGTH:
        raise StaffError(
            StaffErrorCode.PIN_INVALID, f"A PIN is {PIN_MIN_LENGTH} to {PIN_MAX_LENGTH} digits."
        )


def pin_verifier(pin: str, *, salt: bytes, iterations: int) -> str:
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, iterations, dklen=32)
    return base64.b64encode(digest).decode()


def cashier_set_pin(*, cashier: Cashier, pin: str, save: bool = True) -> None:
    pin_validate(pin)
    salt = secrets.token_bytes(16)
    iterations = settings.KASSA_PIN_VERIFIER_ITERATIONS
    cashier.pin_hash = make_password(pin)
    cashier.verifier_salt = base64.b64encode(salt).decode()
    cashier.verifier_iterations = iterations
    cashier.verifier_hash = pin_verifier(pin, salt=salt, iterations=iterations)
    if save:
        cashier.save(
            update_fields=["pin_hash", "verifier_salt", "verifier_iterations", "verifier_hash"]
        )


@transaction.atomic
def cashier_create(*, name: str, pin: str, role: str | Role = RoleCode.CASHIER) -> Cashier:
    """A new cashier with a role (a Role or its code)."""
    if not isinstance(role, Role):
        if role in DEFAULT_ROLES:
            role_defaults_ensure()
        found = Role.objects.filter(code=role).first()
        if found is None:
            codes = ", ".join(Role.objects.values_list("code", flat=True))
            raise StaffError(StaffErrorCode.ROLE_INVALID, f"Role must be one of {codes}.")
        role = found
    cashier = Cashier(name=name, role=role)
    cashier_set_pin(cashier=cashier, pin=pin, save=False)
    cashier.save()
    return cashier


def role_revision_record(*, role: Role) -> RoleRevision | None:
    """Record the role's permissions as a new revision if they differ from its last one
    (the back office calls this after saving a role); None when unchanged."""
    with transaction.atomic():
        locked = Role.objects.select_for_update().get(pk=role.pk)
        rules = dict(sorted(locked.rules().items()))
        last = locked.revisions.order_by("-revision").first()
        if last is not None and last.rules == rules:
            return None
        revision = RoleRevision.objects.create(
            role=locked, revision=locked.revision + 1, rules=rules
        )
        Role.objects.filter(pk=locked.pk).update(revision=revision.revision)
        role.revision = revision.revision
        return revision


def role_permissions_set(
    *, role: Role, rules: dict[str, tuple[str, str | None]]
) -> RoleRevision | None:
    """Replace a role's permissions with `rules` (action → (mode, limit)), as a new
    revision."""
    for action, (mode, _limit) in rules.items():
        if action not in Action.__members__ or mode not in {m.value for m in Mode}:
            raise StaffError(StaffErrorCode.PERMISSION_INVALID, f"{action}: {mode} is not a rule.")
    with transaction.atomic():
        RolePermission.objects.filter(role=role).delete()
        RolePermission.objects.bulk_create(
            RolePermission(role=role, action=action, mode=mode, limit=limit)
            for action, (mode, limit) in rules.items()
        )
        return role_revision_record(role=role)


def role_defaults_ensure() -> None:
    """The shipped roles, created with their defaults if missing (migration staff 0004
    creates them; a database emptied by `flush` has none)."""
    with transaction.atomic():
        for code, (name, rules) in DEFAULT_ROLES.items():
            role, created = Role.objects.get_or_create(code=code, defaults={"name": name})
            if created:
                role_permissions_set(role=role, rules=rules)
