from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import DeviceToken, PaymentMethod, Terminal
from .services import device_token_revoke, pairing_code_create, terminal_settings_record

# What the back office shows of a token: never its hash.
TOKEN_FIELDS = ("receipt_prefix", "label", "created_at", "last_seen_at", "revoked_at")


class DeviceTokenInline(admin.TabularInline[DeviceToken, Terminal]):
    model = DeviceToken
    fields = readonly_fields = TOKEN_FIELDS
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Terminal)
class TerminalAdmin(admin.ModelAdmin[Terminal]):
    list_display = ["name", "code", "store_name", "proxy_url", "currency", "active"]
    filter_horizontal = ["payment_methods"]
    inlines = [DeviceTokenInline]
    actions = ["new_pairing_code"]
    # The proxy is a local HTTP service: a URL typed without a scheme means http.
    formfield_overrides = {
        models.URLField: {"form_class": forms.URLField, "assume_scheme": "http"},
    }
    fieldsets = [
        (None, {"fields": ["name", "code", "active", "currency", "payment_methods"]}),
        (
            "Receipt",
            {
                "fields": [
                    "store_name",
                    "store_address",
                    "store_tax_id",
                    "receipt_header",
                    "receipt_footer",
                ]
            },
        ),
        ("Till", {"fields": ["proxy_url", "drawer_policy", "discount_limit", "barcode_patterns"]}),
    ]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # A till's settings and receipt texts matter to what it prints: each change goes
        # on the server's journal chain, once the payment methods are saved too.
        terminal = form.instance
        fields = form.changed_data if change else list(form.fields)
        before = {name: form.initial.get(name) for name in fields}
        if "payment_methods" in before:
            before["payment_methods"] = sorted(m.name for m in before["payment_methods"] or [])
        terminal_settings_record(
            terminal=terminal,
            fields=fields,
            before=before,
            by=request.user.get_username(),
            created=not change,
        )

    @admin.action(description="Show a new pairing code")
    def new_pairing_code(self, request: HttpRequest, queryset: QuerySet[Terminal]) -> None:
        for terminal in queryset:
            code = pairing_code_create(terminal=terminal)
            messages.success(
                request,
                f"Pairing code for {terminal.name}: {code} — enter it on the terminal at /pos/ "
                "within 30 minutes. It works once and is not shown again.",
            )


@admin.register(DeviceToken)
class DeviceTokenAdmin(admin.ModelAdmin[DeviceToken]):
    list_display = readonly_fields = ("terminal", *TOKEN_FIELDS)
    list_filter = ["terminal"]
    exclude = ["token_hash"]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Revoke (the terminal must be paired again)")
    def revoke(self, request: HttpRequest, queryset: QuerySet[DeviceToken]) -> None:
        for token in queryset:
            device_token_revoke(token=token)
        messages.success(request, f"Revoked {queryset.count()} token(s).")


@admin.register(PaymentMethod)
class PaymentMethodAdmin(admin.ModelAdmin[PaymentMethod]):
    list_display = ["name", "is_cash", "active", "sort_order"]
