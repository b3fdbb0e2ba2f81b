"""Reads of the orders app."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from uuid import UUID

from kassa.server.orders.models import Order


def orders_paid_of_terminal(terminal_code: str) -> Iterator[tuple[UUID, str, datetime]]:
    """Every order of the terminal as (uuid, receipt number, received at), streamed.

    `kassa journal verify` checks them against the terminal's SALE entries; the journal app
    sits below the orders app, so the project hands these over.
    """
    return (
        Order.objects.filter(terminal__code=terminal_code)
        .order_by()
        .values_list("uuid", "receipt_number", "received_at")
        .iterator(chunk_size=10_000)
    )
