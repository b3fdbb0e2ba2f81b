"""The dashboard's alerts: what needs a person, from wherever it is recorded, each with
a link to its record and a way to acknowledge it (who and when kept).

Each source is a function in SOURCES; another kind (issue 12's day close, say) is one
more function here and its kind in models.AlertKind."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import F, Q
from django.urls import reverse

from kassa.server.cash.models import CashSession, SessionState, ZCheck, ZReport
from kassa.server.journal.models import IntegrityAlert
from kassa.server.orders.models import Order, RefundFlag, RefundFlagCode, SaleReview
from kassa.server.terminals.models import Terminal, TerminalStatus

from .models import AlertAcknowledgement, AlertKind

RECEIPTS_OWED_AFTER = timedelta(hours=1)
LIMIT = 50  # of each kind: the dashboard is a glance; the record's own list has them all


@dataclass(frozen=True)
class Alert:
    kind: AlertKind
    key: str  # what acknowledging it names: a record's id, a session's uuid…
    at: datetime
    store: str
    terminal: str
    title: str
    detail: str
    url: str
    permission: str  # to acknowledge it

    @property
    def token(self) -> str:
        return f"{self.kind}:{self.key}"


Source = Callable[[Collection[int] | None, datetime], list[Alert]]


def _stores(queryset, path: str, store_ids: Collection[int] | None):  # type: ignore[no-untyped-def]
    return queryset if store_ids is None else queryset.filter(**{f"{path}__in": store_ids})


def _order_alerts(store_ids: Collection[int] | None, now: datetime) -> list[Alert]:
    orders = _stores(
        Order.objects.exclude(review_code="").filter(acknowledgement__isnull=True),
        "terminal__store",
        store_ids,
    ).select_related("terminal__store")
    return [
        Alert(
            kind=AlertKind.ORDER_REVIEW,
            key=str(order.pk),
            at=order.created_at,
            store=order.terminal.store.name,
            terminal=order.terminal.code,
            title=f"Order {order.receipt_number}: {order.review_code}",
            detail=order.review_message,
            url=reverse("admin:orders_order_change", args=[order.pk]),
            permission="orders.acknowledge_order",
        )
        for order in orders.order_by("-created_at")[:LIMIT]
    ]


def _refund_alerts(store_ids: Collection[int] | None, now: datetime) -> list[Alert]:
    """Refunds stored and flagged (issue 11): over-refunds, refunds of refunds, unknown
    originals, figures not the original's."""
    flags = _stores(
        RefundFlag.objects.filter(acknowledged_at__isnull=True), "order__terminal__store", store_ids
    ).select_related("order__terminal__store")
    return [
        Alert(
            kind=AlertKind.OVER_REFUND
            if flag.code == RefundFlagCode.OVER_REFUND
            else AlertKind.REFUND_FLAG,
            key=str(flag.pk),
            at=flag.detected_at,
            store=flag.order.terminal.store.name,
            terminal=flag.order.terminal.code,
            title=f"Refund {flag.order.receipt_number}: {flag.code}",
            detail=flag.message,
            url=reverse("admin:orders_order_change", args=[flag.order_id]),
            permission="orders.acknowledge_order",
        )
        for flag in flags.order_by("-detected_at")[:LIMIT]
    ]


def _visible_codes(store_ids: Collection[int] | None) -> dict[str, str]:
    terminals = _stores(Terminal.objects.all(), "store", store_ids)
    return dict(terminals.values_list("code", "store__name"))


def _integrity_alerts(store_ids: Collection[int] | None, now: datetime) -> list[Alert]:
    codes = _visible_codes(store_ids)
    alerts = IntegrityAlert.objects.filter(acknowledged_at__isnull=True)
    if store_ids is not None:
        alerts = alerts.filter(terminal_code__in=codes)
    return [
        Alert(
            kind=AlertKind.INTEGRITY,
            key=str(alert.pk),
            at=alert.detected_at,
            store=codes.get(alert.terminal_code, ""),
            terminal=alert.terminal_code,
            title=f"Journal {alert.terminal_code}"
            + (f" #{alert.seq}" if alert.seq is not None else "")
            + f": {alert.reason}",
            detail=alert.detail,
            url=reverse("admin:journal_integrityalert_change", args=[alert.pk]),
            permission="journal.change_integrityalert",
        )
        for alert in alerts.order_by("-detected_at")[:LIMIT]
    ]


def _sale_review_alerts(store_ids: Collection[int] | None, now: datetime) -> list[Alert]:
    reviews = _stores(
        SaleReview.objects.filter(acknowledged_at__isnull=True), "terminal__store", store_ids
    ).select_related("terminal__store")
    return [
        Alert(
            kind=AlertKind.SALE_REVIEW,
            key=str(review.pk),
            at=review.detected_at,
            store=review.terminal.store.name,
            terminal=review.terminal.code,
            title=f"Journal {review.terminal.code} #{review.seq}: {review.code}",
            detail=review.message,
            url=reverse("admin:orders_salereview_change", args=[review.pk]),
            permission="orders.acknowledge_order",
        )
        for review in reviews.order_by("-detected_at")[:LIMIT]
    ]


def _acknowledged(kind: AlertKind) -> set[str]:
    return set(AlertAcknowledgement.objects.filter(kind=kind).values_list("key", flat=True))


def _cash_variance_alerts(store_ids: Collection[int] | None, now: datetime) -> list[Alert]:
    """A Z whose variance is over its terminal's limit (issue 12's rule); a session closed
    without a Z, counted further off than its store's threshold."""
    done = _acknowledged(AlertKind.CASH_VARIANCE)
    alerts = []
    zs = _stores(ZReport.objects.filter(over_limit=True), "terminal__store", store_ids)
    for z in zs.select_related("terminal__store").order_by("-closed_at", "-pk")[: LIMIT * 2]:
        key = f"z{z.pk}"
        if key in done:
            continue
        alerts.append(
            Alert(
                kind=AlertKind.CASH_VARIANCE,
                key=key,
                at=z.closed_at or z.at,
                store=z.terminal.store.name,
                terminal=z.terminal.code,
                title=f"Z {z.terminal.code} {z.z_no}: variance {z.variance:+} over the limit",
                detail=f"Business day {z.business_day}, closed by {z.cashier_name or 'unknown'}",
                url=reverse("admin:cash_zreport_change", args=[z.pk]),
                permission="reports.acknowledge_alert",
            )
        )
    threshold = F("terminal__store__cash_variance_threshold")
    sessions = _stores(
        CashSession.objects.filter(state=SessionState.CLOSED)
        .filter(Q(difference__gt=threshold) | Q(difference__lt=-threshold))
        .exclude(pk__in=ZReport.objects.filter(session__isnull=False).values("session_id")),
        "terminal__store",
        store_ids,
    ).select_related("terminal__store", "closed_by")
    for session in sessions.order_by("-closed_at")[: LIMIT * 2]:
        if str(session.uuid) in done:
            continue
        alerts.append(
            Alert(
                kind=AlertKind.CASH_VARIANCE,
                key=str(session.uuid),
                at=session.closed_at or session.opened_at,
                store=session.terminal.store.name,
                terminal=session.terminal.code,
                title=f"Cash {session.terminal.code}: {session.difference:+} counted against "
                f"expected (threshold {session.terminal.store.cash_variance_threshold})",
                detail=f"Counted {session.counted_cash}, expected {session.expected_cash}, "
                f"closed by {session.closed_by.name if session.closed_by else 'unknown'}",
                url=reverse("admin:cash_cashsession_change", args=[session.pk]),
                permission="reports.acknowledge_alert",
            )
        )
    alerts.sort(key=lambda alert: alert.at, reverse=True)
    return alerts[:LIMIT]


def _z_mismatch_alerts(store_ids: Collection[int] | None, now: datetime) -> list[Alert]:
    """A Z the till printed whose figures the server, from the session's entries, does
    not find (issue 12's verification)."""
    done = _acknowledged(AlertKind.Z_MISMATCH)
    zs = _stores(
        ZReport.objects.filter(verification=ZCheck.MISMATCH), "terminal__store", store_ids
    ).select_related("terminal__store")
    return [
        Alert(
            kind=AlertKind.Z_MISMATCH,
            key=f"z{z.pk}",
            at=z.closed_at or z.at,
            store=z.terminal.store.name,
            terminal=z.terminal.code,
            title=f"Z {z.terminal.code} {z.z_no} differs from the server's",
            detail=z.verification_detail,
            url=reverse("admin:cash_zreport_change", args=[z.pk]),
            permission="reports.acknowledge_alert",
        )
        for z in zs.order_by("-pk")[:LIMIT]
        if f"z{z.pk}" not in done
    ]


def receipts_owed_key(status: TerminalStatus) -> str:
    since = status.receipts_owed_since
    return f"{status.terminal_id}@{since.isoformat() if since else ''}"


def _receipts_owed_alerts(store_ids: Collection[int] | None, now: datetime) -> list[Alert]:
    statuses = _stores(
        TerminalStatus.objects.filter(
            receipts_owed__gt=0, receipts_owed_since__lte=now - RECEIPTS_OWED_AFTER
        ),
        "terminal__store",
        store_ids,
    ).select_related("terminal__store")
    done = _acknowledged(AlertKind.RECEIPTS_OWED)
    return [
        Alert(
            kind=AlertKind.RECEIPTS_OWED,
            key=receipts_owed_key(status),
            at=status.receipts_owed_since or status.reported_at,
            store=status.terminal.store.name,
            terminal=status.terminal.code,
            title=f"{status.terminal.name} owes {status.receipts_owed} receipt(s)",
            detail=f"Owed since {status.receipts_owed_since:%Y-%m-%d %H:%M %Z}; printer: "
            f"{status.printer_text or status.printer}",
            url=reverse("admin:terminals_terminal_change", args=[status.terminal_id]),
            permission="reports.acknowledge_alert",
        )
        for status in statuses
        if receipts_owed_key(status) not in done
    ]


SOURCES: list[Source] = [
    _order_alerts,
    _refund_alerts,
    _integrity_alerts,
    _sale_review_alerts,
    _cash_variance_alerts,
    _z_mismatch_alerts,
    _receipts_owed_alerts,
]


def open_alerts(store_ids: Collection[int] | None, now: datetime) -> list[Alert]:
    """Every alert a person has still to look at, in the stores given (None: all),
    newest first."""
    alerts = [alert for source in SOURCES for alert in source(store_ids, now)]
    return sorted(alerts, key=lambda alert: alert.at, reverse=True)


def recent_acknowledgements(
    store_ids: Collection[int] | None, limit: int = 10
) -> list[dict[str, object]]:
    """The last acknowledgements, of every kind, with who and when."""
    rows: list[dict[str, object]] = []
    orders = _stores(
        Order.objects.filter(acknowledgement__isnull=False), "terminal__store", store_ids
    ).select_related("acknowledgement__acknowledged_by")
    for order in orders.order_by("-acknowledgement__acknowledged_at")[:limit]:
        ack = order.acknowledgement
        rows.append(
            {
                "what": f"Order {order.receipt_number}: {order.review_code}",
                "by": ack.acknowledged_by.get_username(),
                "at": ack.acknowledged_at,
            }
        )
    flags = _stores(
        RefundFlag.objects.filter(acknowledged_at__isnull=False),
        "order__terminal__store",
        store_ids,
    ).select_related("order", "acknowledged_by")
    for flag in flags.order_by("-acknowledged_at")[:limit]:
        rows.append(
            {
                "what": f"Refund {flag.order.receipt_number}: {flag.code}",
                "by": flag.acknowledged_by.get_username() if flag.acknowledged_by else "",
                "at": flag.acknowledged_at,
            }
        )
    codes = _visible_codes(store_ids)
    integrity = IntegrityAlert.objects.filter(acknowledged_at__isnull=False)
    if store_ids is not None:
        integrity = integrity.filter(terminal_code__in=codes)
    for alert in integrity.order_by("-acknowledged_at")[:limit]:
        rows.append(
            {
                "what": f"Journal {alert.terminal_code}: {alert.reason}",
                "by": alert.acknowledged_by,
                "at": alert.acknowledged_at,
            }
        )
    reviews = _stores(
        SaleReview.objects.filter(acknowledged_at__isnull=False), "terminal__store", store_ids
    ).select_related("terminal", "acknowledged_by")
    for review in reviews.order_by("-acknowledged_at")[:limit]:
        rows.append(
            {
                "what": f"Journal {review.terminal.code} #{review.seq}: {review.code}",
                "by": review.acknowledged_by.get_username() if review.acknowledged_by else "",
                "at": review.acknowledged_at,
            }
        )
    # Cash variances and receipts owed name their store through the key's record.
    acks = list(AlertAcknowledgement.objects.select_related("acknowledged_by")[: limit * 4])
    session_keys = [
        ack.key
        for ack in acks
        if ack.kind == AlertKind.CASH_VARIANCE and not ack.key.startswith("z")
    ]
    z_store = {
        f"z{pk}": store_id
        for pk, store_id in ZReport.objects.filter(
            pk__in=[int(a.key[1:]) for a in acks if a.key.startswith("z") and a.key[1:].isdigit()]
        ).values_list("pk", "terminal__store_id")
    }
    session_store = {
        str(uuid): store_id
        for uuid, store_id in CashSession.objects.filter(uuid__in=session_keys).values_list(
            "uuid", "terminal__store_id"
        )
    }
    terminal_store = {
        str(pk): store_id for pk, store_id in Terminal.objects.values_list("pk", "store_id")
    }
    for ack in acks:
        store_id: int | None
        if ack.key in z_store:
            store_id = z_store[ack.key]
        elif ack.kind == AlertKind.CASH_VARIANCE:
            store_id = session_store.get(ack.key)
        else:
            store_id = terminal_store.get(ack.key.partition("@")[0])
        if store_ids is not None and store_id not in store_ids:
            continue
        rows.append(
            {
                "what": f"{AlertKind(ack.kind).label}: {ack.key}",
                "by": ack.acknowledged_by.get_username(),
                "at": ack.acknowledged_at,
            }
        )
    rows.sort(key=lambda row: row["at"], reverse=True)  # type: ignore[arg-type, return-value]
    return rows[:limit]


def alert_find(token: str, store_ids: Collection[int] | None, now: datetime) -> Alert | None:
    """The open alert `token` ("kind:key") names, if the user's stores hold it."""
    for alert in open_alerts(store_ids, now):
        if alert.token == token:
            return alert
    return None


def alert_can_acknowledge(user: AbstractBaseUser, alert: Alert) -> bool:
    return bool(user.has_perm(alert.permission))  # type: ignore[attr-defined]
