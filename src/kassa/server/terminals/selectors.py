"""Terminal reads: a paired terminal's configuration, and the stores a back-office user
may see."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from kassa.server.staff.models import Reason

from .models import DeviceToken, Store, Terminal


def user_store_ids(user: Any) -> frozenset[int] | None:
    """The stores a back-office user is limited to, or None: not limited (a superuser,
    or a user who manages no store in particular: the head office)."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    if user.is_superuser:
        return None
    cached: frozenset[int] | bool | None = getattr(user, "_kassa_store_ids", False)
    if cached is not False:
        return cached  # type: ignore[return-value]
    ids = frozenset(Store.objects.filter(managers=user).values_list("pk", flat=True))
    result = ids or None
    user._kassa_store_ids = result
    return result


def stores_for_user(user: Any) -> QuerySet[Store]:
    ids = user_store_ids(user)
    stores = Store.objects.all()
    return stores if ids is None else stores.filter(pk__in=ids)


def terminal_codes_for_request(request: Any) -> frozenset[str] | None:
    """The codes of the terminals a back-office request may see, or None for all."""
    ids = user_store_ids(request.user)
    if ids is None:
        return None
    return frozenset(Terminal.objects.filter(store_id__in=ids).values_list("code", flat=True))


def terminal_zones() -> dict[str, str]:
    """{terminal code: its store's time zone}: the journal's pages show a terminal's records
    in it (common.admin.terminal_zones)."""
    return dict(Terminal.objects.values_list("code", "store__time_zone"))


def terminals_for_user(user: Any) -> QuerySet[Terminal]:
    ids = user_store_ids(user)
    terminals = Terminal.objects.select_related("store")
    return terminals if ids is None else terminals.filter(store_id__in=ids)


def _decimal(value: Decimal | None, places: int) -> str | None:
    """A setting as a decimal string with `places` decimals, or None when unset."""
    return None if value is None else f"{value:.{places}f}"


def terminal_config(token: DeviceToken) -> dict[str, Any]:
    """What a paired terminal needs to sell: its till, store, receipt and payment methods."""
    terminal = token.terminal
    store = terminal.store
    places = terminal.currency_places
    return {
        "id": terminal.pk,
        "name": terminal.name,
        "code": terminal.code,
        "store_id": store.pk,
        "store_name": store.name,
        "store_address": store.address,
        "store_tax_id": store.tax_id,
        "receipt_header": store.receipt_header,
        "receipt_footer": store.receipt_footer,
        "time_zone": store.time_zone,
        "day_start": f"{store.day_start:%H:%M}",
        "language": terminal.language,
        "proxy_url": terminal.proxy_url,
        "currency": terminal.currency,
        "currency_places": terminal.currency_places,
        "drawer_policy": terminal.drawer_policy,
        "discount_limit": f"{terminal.discount_limit.normalize():f}",
        "receipt_prefix": token.receipt_prefix,
        "barcode_patterns": terminal.barcode_patterns,
        "blind_close": terminal.blind_close,
        "cash_move_slip": terminal.cash_move_slip,
        "variance_amount": _decimal(terminal.variance_amount, places),
        "variance_percent": _decimal(terminal.variance_percent, 2),
        "payment_methods": [
            {
                "id": pk,
                "name": name,
                "is_cash": is_cash,
                "variance_amount": _decimal(amount, places),
                "variance_percent": _decimal(percent, 2),
            }
            for pk, name, is_cash, amount, percent in terminal.payment_methods.filter(active=True)
            .order_by("sort_order", "name")
            .values_list("pk", "name", "is_cash", "variance_amount", "variance_percent")
        ],
        "reasons": list(
            Reason.objects.filter(active=True).values("action", "code", "label", "restock")
        ),
        # None chosen: every method of the terminal may pay a refund out.
        "refund_method_ids": list(
            (terminal.refund_payment_methods.all() or terminal.payment_methods.all())
            .filter(active=True)
            .order_by("sort_order", "name")
            .values_list("pk", flat=True)
        ),
        "recent_order_days": terminal.recent_order_days,
    }
