from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .models import CashSession


@admin.register(CashSession)
class CashSessionAdmin(admin.ModelAdmin[CashSession]):
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
    list_filter = ["state", "terminal"]
    date_hierarchy = "opened_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
