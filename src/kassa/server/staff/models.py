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
