from __future__ import annotations

from kassa.server.orders.models import Order


class SalesSummary(Order):
    """No table: gives the sales summary its place in the back office menu."""

    class Meta:
        proxy = True
        verbose_name = "sales summary"
        verbose_name_plural = "sales summary"
