"""Terminal reads: a paired terminal's configuration."""

from __future__ import annotations

from typing import Any

from kassa.server.staff.models import Reason

from .models import DeviceToken


def terminal_config(token: DeviceToken) -> dict[str, Any]:
    """What a paired terminal needs to sell: its till, store, receipt and payment methods."""
    terminal = token.terminal
    return {
        "id": terminal.pk,
        "name": terminal.name,
        "code": terminal.code,
        "store_name": terminal.store_name,
        "store_address": terminal.store_address,
        "store_tax_id": terminal.store_tax_id,
        "receipt_header": terminal.receipt_header,
        "receipt_footer": terminal.receipt_footer,
        "proxy_url": terminal.proxy_url,
        "currency": terminal.currency,
        "currency_places": terminal.currency_places,
        "drawer_policy": terminal.drawer_policy,
        "discount_limit": f"{terminal.discount_limit.normalize():f}",
        "receipt_prefix": token.receipt_prefix,
        "barcode_patterns": terminal.barcode_patterns,
        "payment_methods": [
            {"id": pk, "name": name, "is_cash": is_cash}
            for pk, name, is_cash in terminal.payment_methods.filter(active=True)
            .order_by("sort_order", "name")
            .values_list("pk", "name", "is_cash")
        ],
        "reasons": list(
            Reason.objects.filter(active=True).values("action", "code", "label", "restock")
        ),
    }
