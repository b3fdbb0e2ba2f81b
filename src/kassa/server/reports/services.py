"""Reports' one write: acknowledging a dashboard alert, on its own record where it has
one (an order under review, a refund flag, an integrity alert, a SALE review), else here."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from kassa.server.journal.services import integrity_alerts_acknowledge
from kassa.server.orders.services import (
    order_acknowledge,
    refund_flags_acknowledge,
    sale_reviews_acknowledge,
)

from .alerts import Alert
from .models import AlertAcknowledgement, AlertKind


def alert_acknowledge(*, alert: Alert, user: User) -> bool:
    """Record that `user` looked at `alert`, and when. Returns False if someone had
    acknowledged it already (the first acknowledgement stays)."""
    if alert.kind == AlertKind.ORDER_REVIEW:
        return order_acknowledge(order_ids=[int(alert.key)], user=user) == 1
    if alert.kind in (AlertKind.OVER_REFUND, AlertKind.REFUND_FLAG):
        return refund_flags_acknowledge(flag_ids=[int(alert.key)], user=user) == 1
    if alert.kind == AlertKind.SALE_REVIEW:
        return sale_reviews_acknowledge(review_ids=[int(alert.key)], user=user) == 1
    if alert.kind == AlertKind.INTEGRITY:
        acknowledged = integrity_alerts_acknowledge(
            alert_ids=[int(alert.key)], by=user.get_username()
        )
        return acknowledged == 1
    try:
        with transaction.atomic():
            AlertAcknowledgement.objects.create(
                kind=alert.kind,
                key=alert.key,
                acknowledged_by=user,
                acknowledged_at=timezone.now(),
            )
    except IntegrityError:
        return False
    return True
