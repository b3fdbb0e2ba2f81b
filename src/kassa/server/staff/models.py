"""Cashiers and their roles: who may sell, and who may do or approve what."""

from __future__ import annotations

from typing import Any

from django.db import models

from .permissions import Action, Mode


class RoleCode(models.TextChoices):
    """The roles Kassa ships (migration 0004); shops add their own in the back office."""

    CASHIER = "cashier", "cashier"
    SUPERVISOR = "supervisor", "supervisor"
    MANAGER = "manager", "manager"


class ImmutableRevisionError(Exception):
    pass


class Role(models.Model):
    """What a group of people may do at the till: one rule per action code
    (RolePermission), each change recorded as a RoleRevision (docs/permissions.md)."""

    code = models.SlugField(max_length=32, unique=True, help_text="Recorded with approvals.")
    name = models.CharField(max_length=100)
    revision = models.PositiveIntegerField(
        default=0, editable=False, help_text="The last RoleRevision of its permissions."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def rules(self) -> dict[str, dict[str, str | None]]:
        """The permissions as tills and the evaluator take them."""
        return {
            p.action: {
                "mode": p.mode,
                "limit": None if p.limit is None else f"{p.limit.normalize():f}",
            }
            for p in self.permissions.all()
        }


class RolePermission(models.Model):
    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="permissions")
    action = models.CharField(max_length=32, choices=[(a.value, a.value) for a in Action])
    mode = models.CharField(
        max_length=8, choices=[(m.value, m.value) for m in Mode], default=Mode.APPROVE
    )
    limit = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="With allow: alone up to this (percent for discounts, an amount for refunds "
        "and variances), above it with an approval. Empty: no limit.",
    )

    class Meta:
        ordering = ["role", "action"]
        constraints = [
            models.UniqueConstraint(fields=["role", "action"], name="staff_role_permission_once"),
        ]

    def __str__(self) -> str:
        limit = "" if self.limit is None else f" up to {self.limit}"
        return f"{self.role}: {self.action} {self.mode}{limit}"


class RoleRevision(models.Model):
    """A role's permissions as they were from `created_at` on. Never changed: the server
    judges an approval by the revision the till had (docs/permissions.md)."""

    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="revisions")
    revision = models.PositiveIntegerField()
    rules = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["role", "revision"]
        constraints = [
            models.UniqueConstraint(fields=["role", "revision"], name="staff_role_revision_once"),
        ]

    def __str__(self) -> str:
        return f"{self.role} revision {self.revision}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableRevisionError(f"{self} cannot be changed")
        super().save(*args, **kwargs)


class Cashier(models.Model):
    name = models.CharField(max_length=100)
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="cashiers")
    active = models.BooleanField(default=True)
    # Django's password hasher output: the server checks PINs against this.
    pin_hash = models.CharField(max_length=256, editable=False)
    # A separate salted PBKDF2-SHA256 verifier that terminals download to check a PIN
    # offline. It never contains the PIN; the salt differs from pin_hash's.
    verifier_salt = models.CharField(max_length=64, editable=False)
    verifier_iterations = models.PositiveIntegerField(editable=False, default=0)
    verifier_hash = models.CharField(max_length=128, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.role.code})"


class Reason(models.Model):
    """A reason a till offers for an action (docs/permissions.md): refund reasons, cash
    move reasons, no-sale reasons, override reasons. One back-office list per action code."""

    action = models.CharField(
        max_length=32,
        help_text="The action code it is offered for: REFUND, BLIND_RETURN, NO_SALE, CASH_IN, "
        "CASH_OUT, CASH_DROP, PRICE_OVERRIDE, LINE_DISCOUNT, ORDER_DISCOUNT, LINE_VOID, "
        "ORDER_ABANDON, APPROVE_VARIANCE, …",
    )
    code = models.CharField(max_length=32, help_text="Recorded in the journal; never reuse one.")
    label = models.CharField(max_length=100, help_text="What the till shows.")
    restock = models.BooleanField(
        default=False, help_text="For refunds: the goods go back to stock."
    )
    active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["action", "position", "label"]
        constraints = [
            models.UniqueConstraint(fields=["action", "code"], name="staff_reason_action_code"),
        ]

    def __str__(self) -> str:
        return f"{self.action}: {self.label}"
