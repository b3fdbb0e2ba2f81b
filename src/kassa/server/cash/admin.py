from __future__ import annotations

from django.contrib import admin

from kassa.server.common.admin import ReadOnlyAdminMixin
from kassa.server.terminals.admin import StoreScoped

from .models import CashSession


@admin.register(CashSession)
class CashSessionAdmin(ReadOnlyAdminMixin, StoreScoped, admin.ModelAdmin[CashSession]):
    list_display = [
        "terminal",
        "state",
        "opened_by",
        "opened_at",
        "opening_float",
        "closed_at",
        "counted_cash",
        "expected_cash",
        "difference",
    ]
    list_filter = ["state", ("terminal", admin.RelatedOnlyFieldListFilter)]
    date_hierarchy = "opened_at"
