"""The sales summary's place in the menu, and the acknowledgements of the dashboard's
alerts that have no record of their own to hold one."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from kassa.server.orders.models import Order


class SalesSummary(Order):
    """No table: gives the sales summary its place in the back office menu."""

    class Meta:
        proxy = True
        verbose_name = "sales summary"
        verbose_name_plural = "sales summary"


class AlertKind(models.TextChoices):
    """The dashboard's alerts. Orders under review, refund flags, integrity alerts and SALE
    reviews are acknowledged on their own records; the others here."""

    ORDER_REVIEW = "order_review", "order flagged on ingest"
    OVER_REFUND = "over_refund", "over-refund"
    REFUND_FLAG = "refund_flag", "refund flagged"
    INTEGRITY = "integrity", "journal integrity failure"
    SALE_REVIEW = "sale_review", "journal disagrees with an order"
    CASH_VARIANCE = "cash_variance", "cash variance over the threshold"
    Z_MISMATCH = "z_mismatch", "a Z differs from the server's"
    RECEIPTS_OWED = "receipts_owed", "receipts owed for over an hour"


class ImmutableAcknowledgementError(Exception):
    pass


class AlertAcknowledgement(models.Model):
    """A person looked at an alert: who and when, once. `key` names what the alert is
    about (a session's uuid, a till's owing since a time)."""

    kind = models.CharField(max_length=16, choices=AlertKind.choices)
    key = models.CharField(max_length=100)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField()

    class Meta:
        ordering = ["-acknowledged_at"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "key"], name="alert_acknowledged_once")
        ]
        permissions = [("acknowledge_alert", "Can acknowledge the dashboard's alerts")]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} acknowledged by {self.acknowledged_by}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableAcknowledgementError("an acknowledgement cannot be changed")
        super().save(*args, **kwargs)
