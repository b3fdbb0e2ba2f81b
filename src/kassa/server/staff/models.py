"""Cashiers and managers: who may sell, and who may approve."""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    CASHIER = "cashier", "cashier"
    MANAGER = "manager", "manager"


class Cashier(models.Model):
    name = models.CharField(max_length=100)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CASHIER)
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
        return f"{self.name} ({self.role})"

    @property
    def is_manager(self) -> bool:
        return self.role == Role.MANAGER


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
